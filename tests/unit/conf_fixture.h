/*
 * tests/unit/conf_fixture.h: a scratch directory (mkdtemp) for the
 * configuration tests, with files written into it and removed afterwards.
 */
#ifndef SLUICE_TEST_CONF_FIXTURE_H
#define SLUICE_TEST_CONF_FIXTURE_H

#include <limits.h>
#include <stdbool.h>

#include "config.h"

#define CONF_FIXTURE_FILES 16

struct conf_fixture {
	char dir[PATH_MAX];              /* absolute, without symlinks */
	char *files[CONF_FIXTURE_FILES]; /* absolute paths written so far */
	unsigned file_count;
	struct sluice_config *cfg; /* the last load_ini() result, freed by teardown */
	struct config_error err;
};

/* A minimal valid file: upstream and a (dummy, readable) certificate and key
 * in the scratch directory. Tests append sections and keys to it. */
#define CONF_MINIMAL \
	"[proxy]\nupstream = 127.0.0.1:9000\n[tls]\ncertificate = test.crt\nprivate_key = test.key\n"

/* cmocka group setup/teardown: *state is a struct conf_fixture. Setup also
 * writes test.crt and test.key. */
int conf_fixture_setup(void **state);
int conf_fixture_teardown(void **state);

/* Write text to dir/name (a new or replaced file); the absolute path,
 * owned by the fixture. */
const char *conf_fixture_write(struct conf_fixture *f, const char *name, const char *text);

/* Write text to dir/sluice.ini and config_load() it into f->cfg / f->err
 * (freeing the previous f->cfg). */
bool conf_fixture_load(struct conf_fixture *f, const char *text);

#endif
