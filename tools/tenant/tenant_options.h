/*
 * tools/tenant/tenant_options.h: the command line of sluice-tenant, parsed into one
 * value. Pure: no I/O besides getopt's own state, no environment lookups (the
 * caller passes SLUICE_TENANT in), so every rule has a unit test.
 */
#ifndef SLUICE_TENANT_OPTIONS_H
#define SLUICE_TENANT_OPTIONS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "protocol/tsp.h"

#define TENANT_TASKS_MAX 10000u
#define TENANT_BLOCKS_MAX 1000000u
#define TENANT_PARALLEL_MAX 64u
#define TENANT_HOST_MAX 255 /* a DNS name or an address literal */
#define TENANT_PORT_MAX 5   /* decimal digits */
/* The longest task prefix that leaves room for "-<any unsigned>" in an id. */
#define TENANT_PREFIX_MAX (TSP_ID_MAX - 11)
/* "backup-copy/" + an id */
#define TENANT_SOURCE_MAX (12 + TSP_ID_MAX)

/* What the run does: one job of one kind. */
enum tenant_command {
	TENANT_CMD_BACKUP,
	TENANT_CMD_BACKUP_COPY,
	TENANT_CMD_REPLICATE,
	TENANT_CMD_FAILOVER,
	TENANT_CMD_FAILBACK,
	TENANT_CMD_UNDO,
	TENANT_CMD_RESTORE
};

struct tenant_options {
	/* Where and who. */
	char host[TENANT_HOST_MAX + 1]; /* without the brackets of an IPv6 literal */
	char port[TENANT_PORT_MAX + 1];
	char host_header[TENANT_HOST_MAX + 3 + TENANT_PORT_MAX + 1]; /* --connect as given */
	char ca_file[PATH_MAX];                                      /* "": the system store */
	bool plain;                                                  /* plain HTTP instead of TLS */
	char tenant[TSP_TENANT_MAX + 1];
	char secret[TSP_SECRET_MAX + 1];

	/* The job. */
	enum tenant_command command;
	enum tsp_category category;
	enum tsp_operation operation; /* replication jobs; else NONE */
	enum tsp_origin origin;
	enum tsp_workload workload;
	unsigned tasks;
	unsigned blocks; /* per task; failover/failback/undo write none */
	uint32_t block_size;
	unsigned parallel;                       /* connections running tasks at once */
	char job[TSP_ID_MAX + 1];                /* "": generate one (tenant_default_job_id) */
	char source[TENANT_SOURCE_MAX + 1];      /* --source as given; "" when absent */
	char source_job[TSP_ID_MAX + 1];         /* restore: the id part of --source */
	enum tsp_category source_category;       /* restore: backup or backup-copy */
	char task_prefix[TENANT_PREFIX_MAX + 1]; /* vm, host, vol or --task-prefix */
	bool json;

	/* Test hook: wait before block pause_block of task pause_task. */
	bool pause;
	unsigned pause_task;            /* 1-based */
	uint32_t pause_block;           /* 0-based */
	char pause_file[PATH_MAX - 16]; /* room for ".reached" */
};

enum options_outcome {
	TENANT_OPTIONS_RUN,        /* *opt is complete and valid */
	TENANT_OPTIONS_HELP,       /* --help */
	TENANT_OPTIONS_VERSION,    /* --version */
	TENANT_OPTIONS_USAGE_ERROR /* err says what is wrong and how to fix it */
};

/* Parse argv (getopt_long; options may come before or after the command).
 * env_tenant is the value of SLUICE_TENANT or NULL; --tenant wins over it.
 * Resets getopt's state first, so it may be called more than once. */
enum options_outcome tenant_options_parse(int argc, char *argv[], const char *env_tenant,
					  struct tenant_options *opt, char *err, size_t errsize);

/* "1048576", "512k", "1m", "64M": a block size in 1..TSP_BLOCK_MAX bytes. */
bool tenant_size_parse(const char *text, uint32_t *out);

/* "backup", "backup-copy", "replicate", ... as typed on the command line. */
const char *tenant_command_name(enum tenant_command command);

/* "<command>-<UTC yyyymmddThhmmss>-<pid>", always a valid id. */
void tenant_default_job_id(enum tenant_command command, time_t now, long pid, char out[TSP_ID_MAX + 1]);

/* Task index (1-based) to its name: "<prefix>-<index>". */
void tenant_task_name(const struct tenant_options *opt, unsigned index, char out[TSP_ID_MAX + 1]);

void tenant_usage(FILE *out);

#endif
