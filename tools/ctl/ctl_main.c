/*
 * tools/ctl/ctl_main.c: sluicectl's command line and dispatch, and the
 * `check` command. See ctl.h for the forms and sluicectl(8) for the rest.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "conf/tls_files.h"
#include "conf/value.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* --timeout bounds: up to a month; a reply wait of at least a second. */
#define CTL_TIMEOUT_MAX_MS (30 * CONFIG_MS_DAY)
#define CTL_REPLY_TIMEOUT_MIN_MS CONFIG_MS_SECOND

enum { OPT_JSON = 256, OPT_MODE, OPT_MESSAGE, OPT_RETRY_AFTER, OPT_TIMEOUT, OPT_TENANTS, OPT_FLEET };

/* Bits of the options a command allows. */
#define ALLOW(opt) (1u << ((opt)-OPT_JSON))

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "message", required_argument, NULL, OPT_MESSAGE },
	{ "retry-after", required_argument, NULL, OPT_RETRY_AFTER },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "tenants", required_argument, NULL, OPT_TENANTS },
	{ "fleet", required_argument, NULL, OPT_FLEET },
	{ NULL, 0, NULL, 0 },
};

static const struct command {
	const char *name;
	enum ctl_command command;
	unsigned allowed;
} commands[] = {
	{ "status", CTL_STATUS, ALLOW(OPT_JSON) | ALLOW(OPT_FLEET) },
	{ "maintenance", CTL_MAINTENANCE,
	  ALLOW(OPT_MODE) | ALLOW(OPT_MESSAGE) | ALLOW(OPT_RETRY_AFTER) | ALLOW(OPT_TIMEOUT) |
		  ALLOW(OPT_FLEET) },
	{ "wait-drained", CTL_WAIT_DRAINED, ALLOW(OPT_TIMEOUT) | ALLOW(OPT_FLEET) },
	{ "reload", CTL_RELOAD, ALLOW(OPT_TIMEOUT) },
	{ "check", CTL_CHECK, 0 },
};

/* `maintenance plan`: the dry run, with options of its own. */
static const struct command plan_command = { "maintenance plan", CTL_PLAN,
					     ALLOW(OPT_MODE) | ALLOW(OPT_TENANTS) | ALLOW(OPT_JSON) };

static void usage(FILE *out)
{
	fputs("usage: sluicectl [-c FILE] COMMAND [OPTIONS]\n"
	      "  status [--json]              what sluice is doing, from its admin endpoint\n"
	      "  maintenance on|off [--mode drain|block|hold] [--message TEXT] [--retry-after DURATION]\n"
	      "                               set [maintenance] in FILE (checked first), reload, report\n"
	      "  maintenance plan [--mode drain|block] [--tenants LIST] [--json]\n"
	      "                               what maintenance on now would do; changes nothing\n"
	      "  wait-drained [--timeout DURATION]\n"
	      "                               wait until nothing from before maintenance still runs\n"
	      "  reload [--timeout DURATION]  reload FILE and report the result\n"
	      "  check                        check FILE as `sluice -t` does\n"
	      "  -c, --config FILE   configuration file (default " SYSCONFDIR "/sluice/sluice.ini)\n"
	      "      --fleet FLEET   status, maintenance on|off, wait-drained: on every instance FLEET\n"
	      "                      lists (an INI file or unix:/admin/socket a line)\n"
	      "      --timeout D     wait-drained: give up after D (default: wait on); reload and\n"
	      "                      maintenance: wait D for the daemon's answer (default 10s)\n"
	      "  -V, --version       print the version and exit\n"
	      "  -h, --help          print this help and exit\n"
	      "Exit status: 0 done (drained), 1 failed (still draining), 2 bad command line.\n"
	      "See sluicectl(8).\n",
	      out);
}

static bool parse_timeout(const char *text, struct ctl_args *args)
{
	struct config_error err;

	if (!config_parse_duration(text, 0, CTL_TIMEOUT_MAX_MS, &args->timeout_ms, &err)) {
		fprintf(stderr, "sluicectl: --timeout: %s\n", err.message);
		return false;
	}
	args->timeout_set = true;
	return true;
}

/* One option into args; false on a usage error. *given collects its bit. */
static bool take_option(int c, struct ctl_args *args, unsigned *given)
{
	if (c >= OPT_JSON)
		*given |= ALLOW(c);
	switch (c) {
	case 'c':
		args->config_path = optarg;
		return true;
	case OPT_JSON:
		args->json = true;
		return true;
	case OPT_MODE:
		args->mode = optarg;
		return true;
	case OPT_MESSAGE:
		args->message = optarg;
		return true;
	case OPT_RETRY_AFTER:
		args->retry_after = optarg;
		return true;
	case OPT_TIMEOUT:
		return parse_timeout(optarg, args);
	case OPT_TENANTS:
		args->tenants = optarg;
		return true;
	case OPT_FLEET:
		args->fleet_path = optarg;
		return true;
	default: /* getopt_long said what was wrong */
		return false;
	}
}

/* The command word and its operands; false on a usage error. */
static bool take_command(int argc, char **argv, struct ctl_args *args, unsigned given)
{
	const struct command *found = NULL;
	int operands;

	if (optind >= argc) {
		fputs("sluicectl: name a command\n", stderr);
		return false;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[optind], commands[i].name) == 0)
			found = &commands[i];
	}
	if (found == NULL) {
		fprintf(stderr, "sluicectl: unknown command '%s'\n", argv[optind]);
		return false;
	}
	operands = argc - optind - 1;
	if (found->command == CTL_MAINTENANCE && operands == 1 && strcmp(argv[optind + 1], "plan") == 0)
		found = &plan_command;
	args->command = found->command;
	for (const struct option *o = long_options; o->name != NULL; o++) {
		if (o->val >= OPT_JSON && (given & ~found->allowed & ALLOW(o->val)) != 0) {
			fprintf(stderr, "sluicectl: --%s does not apply to %s\n", o->name, found->name);
			return false;
		}
	}
	if (found->command == CTL_PLAN)
		return true; /* its one operand, plan, was read above */
	if (found->command == CTL_MAINTENANCE) {
		if (operands != 1 ||
		    (strcmp(argv[optind + 1], "on") != 0 && strcmp(argv[optind + 1], "off") != 0)) {
			fputs("sluicectl: maintenance takes one word: on, off or plan\n", stderr);
			return false;
		}
		args->maintenance_on = strcmp(argv[optind + 1], "on") == 0;
	} else if (operands != 0) {
		fprintf(stderr, "sluicectl: unexpected argument '%s'\n", argv[optind + 1]);
		return false;
	}
	if (args->fleet_path != NULL && args->json) {
		fputs("sluicectl: --json does not apply with --fleet\n", stderr);
		return false;
	}
	if (args->timeout_set && found->command != CTL_WAIT_DRAINED &&
	    args->timeout_ms < CTL_REPLY_TIMEOUT_MIN_MS) {
		fputs("sluicectl: --timeout: give the daemon at least 1s to answer\n", stderr);
		return false;
	}
	return true;
}

/* -1 = run the command in args; otherwise the exit status. */
static int parse(int argc, char **argv, struct ctl_args *args)
{
	unsigned given = 0;
	int c;

	memset(args, 0, sizeof *args);
	args->config_path = SYSCONFDIR "/sluice/sluice.ini";
	while ((c = getopt_long(argc, argv, "c:hV", long_options, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return CTL_EXIT_OK;
		}
		if (c == 'V') {
			printf("sluicectl %s\n", PACKAGE_VERSION);
			return CTL_EXIT_OK;
		}
		if (!take_option(c, args, &given))
			goto usage_error;
	}
	if (take_command(argc, argv, args, given))
		return -1;
usage_error:
	usage(stderr);
	return CTL_EXIT_USAGE;
}

/* `check`: what `sluice -t` prints. The certificate and key are read and
 * checked as the daemon reads them (conf/tls_files.h). */
static int check(const char *path)
{
	struct sluice_config *cfg;
	struct config_error err, warning;
	bool ok;

	if (!config_load(path, &cfg, &err)) {
		ctl_warn("%s", err.message);
		ctl_warn("configuration file %s test failed", path);
		return CTL_EXIT_FAILED;
	}
	ok = config_check_tls_files(cfg, (int64_t)time(NULL), &err, &warning);
	config_free(cfg);
	if (!ok) {
		ctl_warn("%s", err.message);
		ctl_warn("configuration file %s test failed", path);
		return CTL_EXIT_FAILED;
	}
	if (warning.message[0] != '\0')
		ctl_warn("warning: %s", warning.message);
	printf("configuration file %s test is successful\n", path);
	return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
}

int main(int argc, char **argv)
{
	struct ctl_args args;
	int status = parse(argc, argv, &args);

	if (status >= 0)
		return status;
	if (args.fleet_path != NULL)
		return ctl_fleet(&args);
	switch (args.command) {
	case CTL_STATUS:
		return ctl_status(&args);
	case CTL_MAINTENANCE:
		return ctl_maintenance(&args);
	case CTL_PLAN:
		return ctl_plan(&args);
	case CTL_WAIT_DRAINED:
		return ctl_wait_drained(&args);
	case CTL_RELOAD:
		return ctl_reload(&args);
	case CTL_CHECK:
		return check(args.config_path);
	}
	return CTL_EXIT_USAGE;
}
