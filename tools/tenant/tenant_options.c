/*
 * tools/tenant/tenant_options.c: the command line of sluice-tenant (see tenant_options.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tenant_options.h"

static const char *const command_names[] = {
	[TENANT_CMD_BACKUP] = "backup",       [TENANT_CMD_BACKUP_COPY] = "backup-copy",
	[TENANT_CMD_REPLICATE] = "replicate", [TENANT_CMD_FAILOVER] = "failover",
	[TENANT_CMD_FAILBACK] = "failback",   [TENANT_CMD_UNDO] = "undo",
	[TENANT_CMD_RESTORE] = "restore",
};

#define COMMAND_COUNT (sizeof(command_names) / sizeof(command_names[0]))

enum long_only {
	OPT_CONNECT = 256,
	OPT_CA,
	OPT_PLAIN,
	OPT_TENANT,
	OPT_ORIGIN,
	OPT_WORKLOAD,
	OPT_TASKS,
	OPT_BLOCKS,
	OPT_BLOCK_SIZE,
	OPT_PARALLEL,
	OPT_JOB,
	OPT_SOURCE,
	OPT_JSON,
	OPT_PAUSE_AT,
	OPT_PAUSE_FILE,
	OPT_TASK_PREFIX
};

static const struct option long_options[] = { { "connect", required_argument, NULL, OPT_CONNECT },
					      { "ca", required_argument, NULL, OPT_CA },
					      { "plain", no_argument, NULL, OPT_PLAIN },
					      { "tenant", required_argument, NULL, OPT_TENANT },
					      { "origin", required_argument, NULL, OPT_ORIGIN },
					      { "workload", required_argument, NULL, OPT_WORKLOAD },
					      { "tasks", required_argument, NULL, OPT_TASKS },
					      { "blocks", required_argument, NULL, OPT_BLOCKS },
					      { "block-size", required_argument, NULL, OPT_BLOCK_SIZE },
					      { "parallel", required_argument, NULL, OPT_PARALLEL },
					      { "job", required_argument, NULL, OPT_JOB },
					      { "source", required_argument, NULL, OPT_SOURCE },
					      { "json", no_argument, NULL, OPT_JSON },
					      { "pause-at", required_argument, NULL, OPT_PAUSE_AT },
					      { "pause-file", required_argument, NULL, OPT_PAUSE_FILE },
					      { "task-prefix", required_argument, NULL, OPT_TASK_PREFIX },
					      { "help", no_argument, NULL, 'h' },
					      { "version", no_argument, NULL, 'V' },
					      { NULL, 0, NULL, 0 } };

/* What the parser has seen besides the final values. */
struct seen {
	const char *command;
	const char *tenant; /* --tenant NAME:SECRET */
	const char *pause_at;
	bool workload; /* --workload given: no default from the origin */
};

static enum options_outcome fail(char *err, size_t errsize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum options_outcome fail(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return TENANT_OPTIONS_USAGE_ERROR;
}

/* Canonical-enough decimal: digits only, value in [min, max]. */
static bool parse_uint(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool tenant_size_parse(const char *text, uint32_t *out)
{
	char digits[16];
	size_t len = strlen(text), ndigits = len;
	unsigned long value, unit = 1;

	if (len > 0) {
		switch (text[len - 1]) {
		case 'k':
		case 'K':
			unit = 1024;
			ndigits--;
			break;
		case 'm':
		case 'M':
			unit = 1024 * 1024;
			ndigits--;
			break;
		default:
			break;
		}
	}
	if (ndigits == 0 || ndigits >= sizeof(digits))
		return false;
	memcpy(digits, text, ndigits);
	digits[ndigits] = '\0';
	if (!parse_uint(digits, 1, TSP_BLOCK_MAX, &value) || value > TSP_BLOCK_MAX / unit)
		return false;
	*out = (uint32_t)(value * unit);
	return true;
}

/* HOST:PORT or [V6]:PORT. */
static bool parse_connect(const char *text, struct tenant_options *opt)
{
	const char *colon = strrchr(text, ':');
	const char *host = text;
	size_t host_len;
	unsigned long port;

	if (colon == NULL || strlen(text) >= sizeof(opt->host_header))
		return false;
	host_len = (size_t)(colon - text);
	if (text[0] == '[') {
		if (host_len < 3 || text[host_len - 1] != ']')
			return false;
		host++;
		host_len -= 2;
	} else if (memchr(text, ':', host_len) != NULL) {
		return false; /* an IPv6 literal needs its brackets */
	}
	if (host_len == 0 || host_len > TENANT_HOST_MAX)
		return false;
	if (strlen(colon + 1) > TENANT_PORT_MAX || !parse_uint(colon + 1, 1, 65535, &port))
		return false;
	memcpy(opt->host, host, host_len);
	opt->host[host_len] = '\0';
	strcpy(opt->port, colon + 1);
	strcpy(opt->host_header, text);
	return true;
}

static bool parse_credentials(const char *text, struct tenant_options *opt)
{
	const char *colon = strchr(text, ':');
	size_t name_len, secret_len;

	if (colon == NULL)
		return false;
	name_len = (size_t)(colon - text);
	secret_len = strlen(colon + 1);
	if (!tsp_id_valid(text, name_len) || secret_len == 0 || secret_len > TSP_SECRET_MAX)
		return false;
	for (const char *p = colon + 1; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	}
	memcpy(opt->tenant, text, name_len);
	opt->tenant[name_len] = '\0';
	memcpy(opt->secret, colon + 1, secret_len + 1);
	return true;
}

/* TASK:BLOCK, TASK 1-based, BLOCK 0-based. */
static bool parse_pause_at(const char *text, struct tenant_options *opt)
{
	char task[16];
	const char *colon = strchr(text, ':');
	unsigned long t, b;
	size_t len;

	if (colon == NULL)
		return false;
	len = (size_t)(colon - text);
	if (len == 0 || len >= sizeof(task))
		return false;
	memcpy(task, text, len);
	task[len] = '\0';
	if (!parse_uint(task, 1, TENANT_TASKS_MAX, &t) ||
	    !parse_uint(colon + 1, 0, TENANT_BLOCKS_MAX - 1, &b))
		return false;
	opt->pause_task = (unsigned)t;
	opt->pause_block = (uint32_t)b;
	return true;
}

static bool copy_bounded(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size)
		return false;
	memcpy(dst, src, len + 1);
	return true;
}

static bool parse_command(const char *name, enum tenant_command *out)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		if (strcmp(command_names[i], name) == 0) {
			*out = (enum tenant_command)i;
			return true;
		}
	}
	return false;
}

static void set_defaults(struct tenant_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	strcpy(opt->host, "127.0.0.1");
	strcpy(opt->port, "8443");
	strcpy(opt->host_header, "127.0.0.1:8443");
	opt->tasks = 2;
	opt->blocks = 4;
	opt->block_size = TSP_BLOCK_DEFAULT;
	opt->parallel = 1;
	opt->origin = TSP_ORIGIN_VBR;
}

/* --tasks, --blocks, --parallel, --block-size. */
static enum options_outcome apply_count(int ch, const char *arg, struct tenant_options *opt, char *err,
					size_t errsize)
{
	unsigned long n;

	switch (ch) {
	case OPT_TASKS:
		if (!parse_uint(arg, 1, TENANT_TASKS_MAX, &n))
			return fail(err, errsize, "--tasks '%s': expected a number in 1..%u", arg,
				    TENANT_TASKS_MAX);
		opt->tasks = (unsigned)n;
		break;
	case OPT_BLOCKS:
		if (!parse_uint(arg, 1, TENANT_BLOCKS_MAX, &n))
			return fail(err, errsize, "--blocks '%s': expected a number in 1..%u", arg,
				    TENANT_BLOCKS_MAX);
		opt->blocks = (unsigned)n;
		break;
	case OPT_PARALLEL:
		if (!parse_uint(arg, 1, TENANT_PARALLEL_MAX, &n))
			return fail(err, errsize, "--parallel '%s': expected a number in 1..%u", arg,
				    TENANT_PARALLEL_MAX);
		opt->parallel = (unsigned)n;
		break;
	default: /* OPT_BLOCK_SIZE */
		if (!tenant_size_parse(arg, &opt->block_size))
			return fail(err, errsize,
				    "--block-size '%s': expected 1..%u bytes, "
				    "optionally with a k or m suffix (e.g. 512k, 1m)",
				    arg, TSP_BLOCK_MAX);
		break;
	}
	return TENANT_OPTIONS_RUN;
}

/* The options that name what the run is: origin, workload, job, source,
 * task prefix. TENANT_OPTIONS_RUN means "go on". */
static enum options_outcome apply_name(int ch, const char *arg, struct tenant_options *opt, struct seen *seen,
				       char *err, size_t errsize)
{
	switch (ch) {
	case OPT_ORIGIN:
		if (!tsp_origin_parse(arg, strlen(arg), &opt->origin))
			return fail(err, errsize, "--origin '%s': expected vbr or agent", arg);
		break;
	case OPT_WORKLOAD:
		if (!tsp_workload_parse(arg, strlen(arg), &opt->workload))
			return fail(err, errsize,
				    "--workload '%s': expected vsphere, hyperv, vcd, windows, linux or mac",
				    arg);
		seen->workload = true;
		break;
	case OPT_JOB:
		if (!tsp_id_valid(arg, strlen(arg)))
			return fail(err, errsize, "--job '%s': expected 1-%d of [A-Za-z0-9._-], not . or ..",
				    arg, TSP_ID_MAX);
		strcpy(opt->job, arg);
		break;
	case OPT_SOURCE:
		if (arg[0] == '\0' || !copy_bounded(opt->source, sizeof(opt->source), arg))
			return fail(err, errsize, "--source: expected [backup/|backup-copy/]JOB");
		break;
	default: /* OPT_TASK_PREFIX */
		if (strlen(arg) > TENANT_PREFIX_MAX || !tsp_id_valid(arg, strlen(arg)))
			return fail(err, errsize, "--task-prefix '%s': expected 1-%d of [A-Za-z0-9._-]", arg,
				    TENANT_PREFIX_MAX);
		strcpy(opt->task_prefix, arg);
		break;
	}
	return TENANT_OPTIONS_RUN;
}

/* One option of the getopt loop; TENANT_OPTIONS_RUN means "go on". */
static enum options_outcome apply_option(int ch, const char *arg, struct tenant_options *opt,
					 struct seen *seen, char *err, size_t errsize)
{
	switch (ch) {
	case OPT_CONNECT:
		if (!parse_connect(arg, opt))
			return fail(err, errsize, "--connect '%s': expected HOST:PORT or [IPV6]:PORT", arg);
		break;
	case OPT_CA:
		if (arg[0] == '\0' || !copy_bounded(opt->ca_file, sizeof(opt->ca_file), arg))
			return fail(err, errsize, "--ca: expected the path of a PEM CA file");
		break;
	case OPT_PLAIN:
		opt->plain = true;
		break;
	case OPT_TENANT:
		seen->tenant = arg;
		break;
	case OPT_ORIGIN:
	case OPT_WORKLOAD:
	case OPT_JOB:
	case OPT_SOURCE:
	case OPT_TASK_PREFIX:
		return apply_name(ch, arg, opt, seen, err, errsize);
	case OPT_TASKS:
	case OPT_BLOCKS:
	case OPT_PARALLEL:
	case OPT_BLOCK_SIZE:
		return apply_count(ch, arg, opt, err, errsize);
	case OPT_JSON:
		opt->json = true;
		break;
	case OPT_PAUSE_AT:
		seen->pause_at = arg;
		break;
	case OPT_PAUSE_FILE:
		if (arg[0] == '\0' || !copy_bounded(opt->pause_file, sizeof(opt->pause_file), arg))
			return fail(err, errsize,
				    "--pause-file: expected a path (PATH.reached and PATH.go are made from it)");
		break;
	case 'h':
		return TENANT_OPTIONS_HELP;
	case 'V':
		return TENANT_OPTIONS_VERSION;
	default:
		return fail(err, errsize, "unknown option");
	}
	return TENANT_OPTIONS_RUN;
}

static bool workload_is_agent(enum tsp_workload w)
{
	return w == TSP_WORKLOAD_WINDOWS || w == TSP_WORKLOAD_LINUX || w == TSP_WORKLOAD_MAC;
}

/* The job-open combinations of PROTOCOL.md §4.2, checked before connecting. */
static enum options_outcome check_job_kind(struct tenant_options *opt, const struct seen *seen, char *err,
					   size_t errsize)
{
	const char *cmd = tenant_command_name(opt->command);

	if (!seen->workload)
		opt->workload = opt->origin == TSP_ORIGIN_AGENT ? TSP_WORKLOAD_LINUX : TSP_WORKLOAD_VSPHERE;
	if (opt->origin == TSP_ORIGIN_AGENT) {
		if (opt->category == TSP_CAT_BACKUP_COPY || opt->category == TSP_CAT_REPLICATION)
			return fail(err, errsize,
				    "%s: jobs of this kind are server-managed: use "
				    "--origin vbr",
				    cmd);
		if (!workload_is_agent(opt->workload))
			return fail(err, errsize,
				    "--origin agent: a standalone agent backs up "
				    "windows, linux or mac, not %s",
				    tsp_workload_name(opt->workload));
	}
	if (opt->category == TSP_CAT_REPLICATION && workload_is_agent(opt->workload))
		return fail(err, errsize, "%s: replication covers vsphere, hyperv and vcd VMs, not %s", cmd,
			    tsp_workload_name(opt->workload));
	return TENANT_OPTIONS_RUN;
}

static enum options_outcome check_source(struct tenant_options *opt, char *err, size_t errsize)
{
	const char *id = opt->source;

	if (opt->command == TENANT_CMD_RESTORE) {
		opt->source_category = TSP_CAT_BACKUP;
		if (opt->source[0] == '\0')
			return fail(err, errsize,
				    "restore: --source JOB is required (the backup job "
				    "to restore from; backup-copy/JOB for a backup copy job)");
		if (strncmp(id, "backup/", 7) == 0) {
			id += 7;
		} else if (strncmp(id, "backup-copy/", 12) == 0) {
			id += 12;
			opt->source_category = TSP_CAT_BACKUP_COPY;
		}
	} else if (opt->source[0] != '\0' && opt->category != TSP_CAT_REPLICATION) {
		return fail(err, errsize,
			    "--source applies to restore, failover, failback and undo "
			    "jobs only");
	}
	if (opt->source[0] != '\0' && !tsp_id_valid(id, strlen(id)))
		return fail(err, errsize,
			    "--source '%s': expected [backup/|backup-copy/]JOB with "
			    "JOB 1-%d of [A-Za-z0-9._-]",
			    opt->source, TSP_ID_MAX);
	if (opt->command == TENANT_CMD_RESTORE)
		strcpy(opt->source_job, id);
	return TENANT_OPTIONS_RUN;
}

static enum options_outcome check_pause(struct tenant_options *opt, const struct seen *seen, char *err,
					size_t errsize)
{
	if ((seen->pause_at != NULL) != (opt->pause_file[0] != '\0'))
		return fail(err, errsize, "--pause-at TASK:BLOCK and --pause-file PATH go together");
	if (seen->pause_at == NULL)
		return TENANT_OPTIONS_RUN;
	if (!parse_pause_at(seen->pause_at, opt))
		return fail(err, errsize,
			    "--pause-at '%s': expected TASK:BLOCK (task from 1, "
			    "block from 0)",
			    seen->pause_at);
	if (opt->pause_task > opt->tasks || opt->pause_block >= opt->blocks)
		return fail(err, errsize, "--pause-at %u:%u: the job has %u tasks of %u blocks",
			    opt->pause_task, (unsigned)opt->pause_block, opt->tasks, opt->blocks);
	opt->pause = true;
	return TENANT_OPTIONS_RUN;
}

static const char *default_task_prefix(const struct tenant_options *opt)
{
	if (opt->origin == TSP_ORIGIN_AGENT)
		return "vol";
	return workload_is_agent(opt->workload) ? "host" : "vm";
}

/* Everything that depends on more than one option. */
static enum options_outcome finish(struct tenant_options *opt, const struct seen *seen,
				   const char *env_tenant, char *err, size_t errsize)
{
	static const enum tsp_category categories[] = {
		[TENANT_CMD_BACKUP] = TSP_CAT_BACKUP,         [TENANT_CMD_BACKUP_COPY] = TSP_CAT_BACKUP_COPY,
		[TENANT_CMD_REPLICATE] = TSP_CAT_REPLICATION, [TENANT_CMD_FAILOVER] = TSP_CAT_REPLICATION,
		[TENANT_CMD_FAILBACK] = TSP_CAT_REPLICATION,  [TENANT_CMD_UNDO] = TSP_CAT_REPLICATION,
		[TENANT_CMD_RESTORE] = TSP_CAT_RESTORE,
	};
	static const enum tsp_operation operations[] = {
		[TENANT_CMD_BACKUP] = TSP_OP_NONE,         [TENANT_CMD_BACKUP_COPY] = TSP_OP_NONE,
		[TENANT_CMD_REPLICATE] = TSP_OP_REPLICATE, [TENANT_CMD_FAILOVER] = TSP_OP_FAILOVER,
		[TENANT_CMD_FAILBACK] = TSP_OP_FAILBACK,   [TENANT_CMD_UNDO] = TSP_OP_UNDO,
		[TENANT_CMD_RESTORE] = TSP_OP_NONE,
	};
	const char *credentials = seen->tenant != NULL ? seen->tenant : env_tenant;
	enum options_outcome r;

	if (seen->command == NULL)
		return fail(err, errsize,
			    "no job kind given: backup, backup-copy, replicate, "
			    "failover, failback, undo or restore");
	if (!parse_command(seen->command, &opt->command))
		return fail(err, errsize,
			    "'%s' is no job kind: expected backup, backup-copy, "
			    "replicate, failover, failback, undo or restore",
			    seen->command);
	opt->category = categories[opt->command];
	opt->operation = operations[opt->command];
	if (credentials == NULL || credentials[0] == '\0')
		return fail(err, errsize,
			    "no credentials: give --tenant NAME:SECRET or set "
			    "SLUICE_TENANT=NAME:SECRET");
	if (!parse_credentials(credentials, opt))
		return fail(err, errsize,
			    "%s: expected NAME:SECRET, NAME 1-%d of [A-Za-z0-9._-], "
			    "SECRET 1-%d bytes without control characters",
			    seen->tenant != NULL ? "--tenant" : "SLUICE_TENANT", TSP_TENANT_MAX,
			    TSP_SECRET_MAX);
	if (opt->plain && opt->ca_file[0] != '\0')
		return fail(err, errsize,
			    "--ca and --plain contradict each other: --plain "
			    "speaks HTTP without TLS");
	if ((r = check_job_kind(opt, seen, err, errsize)) != TENANT_OPTIONS_RUN ||
	    (r = check_source(opt, err, errsize)) != TENANT_OPTIONS_RUN ||
	    (r = check_pause(opt, seen, err, errsize)) != TENANT_OPTIONS_RUN)
		return r;
	if (opt->task_prefix[0] == '\0')
		strcpy(opt->task_prefix, default_task_prefix(opt));
	return TENANT_OPTIONS_RUN;
}

enum options_outcome tenant_options_parse(int argc, char *argv[], const char *env_tenant,
					  struct tenant_options *opt, char *err, size_t errsize)
{
	struct seen seen = { 0 };
	enum options_outcome r;
	int ch;

	set_defaults(opt);
	err[0] = '\0';
	optind = 0; /* glibc: full re-initialisation, so repeated calls work */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hV", long_options, NULL)) != -1) {
		if (ch == '?')
			return fail(err, errsize, "unknown option '%s'", argv[optind - 1]);
		if (ch == ':')
			return fail(err, errsize, "option '%s' needs a value", argv[optind - 1]);
		r = apply_option(ch, optarg, opt, &seen, err, errsize);
		if (r != TENANT_OPTIONS_RUN)
			return r;
	}
	if (optind < argc)
		seen.command = argv[optind++];
	if (optind < argc)
		return fail(err, errsize, "unexpected argument '%s' (one job kind per run)", argv[optind]);
	return finish(opt, &seen, env_tenant, err, errsize);
}

const char *tenant_command_name(enum tenant_command command)
{
	return (size_t)command < COMMAND_COUNT ? command_names[command] : "?";
}

void tenant_default_job_id(enum tenant_command command, time_t now, long pid, char out[TSP_ID_MAX + 1])
{
	struct tm tm;
	char stamp[32];

	if (gmtime_r(&now, &tm) == NULL || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm) == 0)
		strcpy(stamp, "0");
	snprintf(out, TSP_ID_MAX + 1, "%s-%s-%ld", tenant_command_name(command), stamp, pid < 0 ? -pid : pid);
}

void tenant_task_name(const struct tenant_options *opt, unsigned index, char out[TSP_ID_MAX + 1])
{
	snprintf(out, TSP_ID_MAX + 1, "%s-%u", opt->task_prefix, index);
}

void tenant_usage(FILE *out)
{
	fputs("usage: sluice-tenant [--connect HOST:PORT] [--ca FILE | --plain] [--tenant NAME:SECRET]\n"
	      "                     backup|backup-copy|replicate|failover|failback|undo|restore\n"
	      "                     [--origin vbr|agent] [--workload vsphere|hyperv|vcd|windows|linux|mac]\n"
	      "                     [--tasks N] [--blocks N] [--block-size SIZE] [--parallel N]\n"
	      "                     [--job ID] [--source [backup/|backup-copy/]JOB] [--task-prefix NAME]\n"
	      "                     [--json] [--pause-at TASK:BLOCK --pause-file PATH]\n"
	      "       sluice-tenant --help | --version\n"
	      "Runs one TSP/1 job the way tenant backup software does and prints its statistics.\n"
	      "Defaults: --connect 127.0.0.1:8443, TLS verified against the system store (or --ca),\n"
	      "--origin vbr, --workload vsphere (linux for agents), --tasks 2 --blocks 4\n"
	      "--block-size 1m --parallel 1. Credentials: --tenant or SLUICE_TENANT=NAME:SECRET.\n"
	      "Exit: 0 success or warning, 1 job failed, 2 usage or connection error.\n"
	      "See sluice-tenant(1).\n",
	      out);
}
