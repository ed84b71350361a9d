/*
 * tests/unit/conf_fixture.c: scratch directory for the configuration tests.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf_fixture.h"

int conf_fixture_setup(void **state)
{
	struct conf_fixture *f = calloc(1, sizeof *f);
	const char *tmp = getenv("TMPDIR");
	char template[PATH_MAX];

	assert_non_null(f);
	snprintf(template, sizeof template, "%s/sluice-conf-XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(template));
	/* realpath: the loader reports directories without symlinks (TMPDIR may have some). */
	assert_non_null(realpath(template, f->dir));
	conf_fixture_write(f, "test.crt", "-----BEGIN CERTIFICATE-----\n(readable is enough)\n");
	conf_fixture_write(f, "test.key", "-----BEGIN PRIVATE KEY-----\n(readable is enough)\n");
	*state = f;
	return 0;
}

int conf_fixture_teardown(void **state)
{
	struct conf_fixture *f = *state;

	config_free(f->cfg);
	for (unsigned i = 0; i < f->file_count; i++) {
		unlink(f->files[i]);
		free(f->files[i]);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

const char *conf_fixture_write(struct conf_fixture *f, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *file;

	snprintf(path, sizeof path, "%s/%s", f->dir, name);
	file = fopen(path, "w");
	assert_non_null(file);
	assert_int_equal(fwrite(text, 1, strlen(text), file), strlen(text));
	assert_int_equal(fclose(file), 0);
	for (unsigned i = 0; i < f->file_count; i++) {
		if (strcmp(f->files[i], path) == 0)
			return f->files[i];
	}
	assert_true(f->file_count < CONF_FIXTURE_FILES);
	f->files[f->file_count] = strdup(path);
	assert_non_null(f->files[f->file_count]);
	return f->files[f->file_count++];
}

bool conf_fixture_load(struct conf_fixture *f, const char *text)
{
	const char *path = conf_fixture_write(f, "sluice.ini", text);

	config_free(f->cfg);
	f->cfg = NULL;
	memset(&f->err, 0, sizeof f->err);
	return config_load(path, &f->cfg, &f->err);
}
