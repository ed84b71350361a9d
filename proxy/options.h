/*
 * proxy/options.h: sluice's command line.
 *
 *   sluice [-c FILE] [-f] [-t] [-V] [-h] [--dump-config] [--list-keys] [--ready-file PATH]
 */
#ifndef SLUICE_OPTIONS_H
#define SLUICE_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

/* What the command line asks for; one action per run. */
enum options_action {
	OPTIONS_RUN = 0,     /* load the configuration and serve */
	OPTIONS_TEST,        /* -t: load, validate, report, exit */
	OPTIONS_DUMP_CONFIG, /* --dump-config: load, print every effective value */
	OPTIONS_LIST_KEYS,   /* --list-keys: print the key table (for the docs check) */
	OPTIONS_VERSION,     /* -V */
	OPTIONS_HELP,        /* -h */
	OPTIONS_USAGE_ERROR  /* a bad command line: usage to stderr, exit 2 */
};

struct options {
	enum options_action action;
	const char *config_path; /* -c, default SYSCONFDIR "/sluice/sluice.ini" */
	bool foreground;         /* -f: stay attached */
	const char *ready_file;  /* --ready-file: where to write the bound addresses once listening */
};

/* Parse argv (getopt_long; reports its own errors on stderr). */
void options_parse(int argc, char **argv, struct options *out);

void options_usage(FILE *out);

#endif
