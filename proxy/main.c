/*
 * proxy/main.c: sluice's front door. Parses the command line, loads the
 * configuration, and either answers (-t, --dump-config, --list-keys, -V,
 * -h) or hands the configuration to the proxy (server.c).
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "net/log.h"
#include "key_line.h"
#include "options.h"
#include "net/runconf.h"
#include "server.h"
#include "net/tls.h"

/* --list-keys: one key per line, tab-separated: section.key, type, default,
 * reload (reload or restart). tests/check-docs.sh reads it. */
static int list_keys(void)
{
	size_t count;
	const struct config_key *keys = config_keys(&count);

	for (size_t i = 0; i < count; i++)
		printf("%s.%s\t%s\t%s\t%s\n", keys[i].section, keys[i].name, config_type_name(&keys[i]),
		       keys[i].default_text, keys[i].reloadable ? "reload" : "restart");
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int test_failed(const char *path, const char *message)
{
	fprintf(stderr, "sluice: %s\n", message);
	fprintf(stderr, "sluice: configuration file %s test failed\n", path);
	return EXIT_FAILURE;
}

/* A certificate that expires within [tls] expiry_warning passes, with a
 * warning, as the daemon logs it at start. */
static void warn_expiry(const struct runconf *rc)
{
	char note[RUNCONF_ERROR_MAX + 256];

	if (runconf_certificate_note(rc, (int64_t)time(NULL), note, sizeof note))
		fprintf(stderr, "sluice: warning: %s\n", note);
}

/* [log] target = syslog with nothing listening: the daemon would log to
 * stderr instead (log.c); say so now. */
static void warn_syslog(const struct sluice_config *cfg)
{
	char why[160];

	if (cfg->log.target == CONFIG_LOG_TO_SYSLOG && !log_syslog_reachable(why, sizeof why))
		fprintf(stderr,
			"sluice: warning: [log] target = syslog, but no syslog daemon listens (%s); "
			"the daemon would log to stderr\n",
			why);
}

/* -t: build everything a start builds (the TLS contexts of both sides, the
 * repository's addresses, the admin token), as the file says, then drop it;
 * a problem reads "FILE:LINE: [section] key: ..." as the loader's do. Owns
 * cfg. */
static int test_configuration(const char *path, struct sluice_config *cfg)
{
	struct tls_ticket_keys *keys = tls_ticket_keys_new();
	struct runconf *rc = NULL;
	struct config_error located;
	char why[RUNCONF_ERROR_MAX] = "cannot make a session ticket key";

	if (keys != NULL)
		rc = runconf_new(cfg, cfg->tls.enabled, keys, 1, why, sizeof why);
	if (rc == NULL) {
		config_free(cfg);
		tls_ticket_keys_free(keys);
		config_error_at_key(&located, path, why);
		return test_failed(path, located.message);
	}
	warn_expiry(rc);
	warn_syslog(rc->cfg);
	runconf_unref(rc); /* and cfg with it */
	tls_ticket_keys_free(keys);
	printf("configuration file %s test is successful\n", path);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int load_and_answer(const struct options *options)
{
	struct sluice_config *cfg;
	struct config_error err;
	int status = EXIT_FAILURE;

	if (!config_load(options->config_path, &cfg, &err)) {
		if (options->action == OPTIONS_TEST)
			return test_failed(options->config_path, err.message);
		fprintf(stderr, "sluice: %s\n", err.message);
		return EXIT_FAILURE;
	}
	switch (options->action) {
	case OPTIONS_TEST:
		return test_configuration(options->config_path, cfg);
	case OPTIONS_DUMP_CONFIG:
		if (config_dump(cfg, stdout))
			status = EXIT_SUCCESS;
		else
			fputs("sluice: cannot write the configuration to stdout\n", stderr);
		break;
	default:
		return server_run(cfg, options); /* owns cfg from here on */
	}
	config_free(cfg);
	return status;
}

int main(int argc, char **argv)
{
	struct options options;

	options_parse(argc, argv, &options);
	switch (options.action) {
	case OPTIONS_USAGE_ERROR:
		options_usage(stderr);
		return 2;
	case OPTIONS_HELP:
		options_usage(stdout);
		return EXIT_SUCCESS;
	case OPTIONS_VERSION:
		printf("sluice %s\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	case OPTIONS_LIST_KEYS:
		return list_keys();
	default:
		return load_and_answer(&options);
	}
}
