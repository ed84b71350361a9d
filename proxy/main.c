/*
 * proxy/main.c: sluice's front door. Parses the command line, loads the
 * configuration, and either answers (-t, --dump-config, --list-keys, -V,
 * -h) or hands the configuration to the proxy (server.c).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "options.h"
#include "server.h"

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

static int load_and_answer(const struct options *options)
{
	struct sluice_config *cfg;
	struct config_error err;
	int status = EXIT_FAILURE;

	if (!config_load(options->config_path, &cfg, &err)) {
		fprintf(stderr, "sluice: %s\n", err.message);
		if (options->action == OPTIONS_TEST)
			fprintf(stderr, "sluice: configuration file %s test failed\n", options->config_path);
		return EXIT_FAILURE;
	}
	switch (options->action) {
	case OPTIONS_TEST:
		printf("configuration file %s test is successful\n", options->config_path);
		status = EXIT_SUCCESS;
		break;
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
