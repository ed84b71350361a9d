/*
 * proxy/options.c: sluice's command line, parsed with getopt_long.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "options.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

enum { OPT_DUMP_CONFIG = 256, OPT_LIST_KEYS, OPT_READY_FILE };

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "test", no_argument, NULL, 't' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ "dump-config", no_argument, NULL, OPT_DUMP_CONFIG },
	{ "list-keys", no_argument, NULL, OPT_LIST_KEYS },
	{ "ready-file", required_argument, NULL, OPT_READY_FILE },
	{ NULL, 0, NULL, 0 },
};

void options_usage(FILE *out)
{
	fputs("usage: sluice [-c FILE] [-f] [-t] [-V] [-h] [--dump-config] [--list-keys]\n"
	      "              [--ready-file PATH]\n"
	      "  -c, --config FILE   configuration file (default " SYSCONFDIR "/sluice/sluice.ini)\n"
	      "  -f, --foreground    do not detach (the log goes where [log] target says)\n"
	      "  -t, --test          check the configuration and exit\n"
	      "      --dump-config   print every effective value as an INI file and exit\n"
	      "      --list-keys     print every key: section.key, type, default, reload\n"
	      "      --ready-file P  once listening, write the bound addresses to P\n"
	      "  -V, --version       print the version and exit\n"
	      "  -h, --help          print this help and exit\n"
	      "Signals: HUP reloads the configuration, TERM or INT stop gracefully, USR1 reopens logs.\n"
	      "See sluice(8) and sluice.ini(5).\n",
	      out);
}

/* Two actions on one command line (e.g. -t --dump-config) are a usage error. */
static void set_action(struct options *out, enum options_action action)
{
	if (out->action != OPTIONS_RUN && out->action != action) {
		fputs("sluice: choose one of -t, --dump-config, --list-keys, -V and -h\n", stderr);
		out->action = OPTIONS_USAGE_ERROR;
		return;
	}
	out->action = action;
}

void options_parse(int argc, char **argv, struct options *out)
{
	int c;

	memset(out, 0, sizeof *out);
	out->config_path = SYSCONFDIR "/sluice/sluice.ini";
	while ((c = getopt_long(argc, argv, "c:ftVh", long_options, NULL)) != -1 &&
	       out->action != OPTIONS_USAGE_ERROR) {
		switch (c) {
		case 'c':
			out->config_path = optarg;
			break;
		case 'f':
			out->foreground = true;
			break;
		case 't':
			set_action(out, OPTIONS_TEST);
			break;
		case 'V':
			set_action(out, OPTIONS_VERSION);
			break;
		case 'h':
			set_action(out, OPTIONS_HELP);
			break;
		case OPT_DUMP_CONFIG:
			set_action(out, OPTIONS_DUMP_CONFIG);
			break;
		case OPT_LIST_KEYS:
			set_action(out, OPTIONS_LIST_KEYS);
			break;
		case OPT_READY_FILE:
			out->ready_file = optarg;
			break;
		default: /* getopt_long printed what was wrong */
			out->action = OPTIONS_USAGE_ERROR;
			break;
		}
	}
	if (out->action != OPTIONS_USAGE_ERROR && optind < argc) {
		fprintf(stderr, "sluice: unexpected argument '%s'\n", argv[optind]);
		out->action = OPTIONS_USAGE_ERROR;
	}
}
