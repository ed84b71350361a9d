/*
 * tools/tenant/tenant_report.h: the job statistics as the tenant sees them, and
 * their two renderings: text for people, JSON (--json) for scripts. The
 * rendering is pure: values in, bytes out through a FILE.
 */
#ifndef SLUICE_TENANT_REPORT_H
#define SLUICE_TENANT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "protocol/tsp.h"

#define REPORT_MESSAGE_MAX 512
#define REPORT_CODE_MAX 32

enum run_status {
	RUN_SUCCESS,
	RUN_WARNING, /* jobs only: every task succeeded but the job close did not */
	RUN_FAILED
};

/* Why something failed, as the tenant saw it. */
struct failure {
	unsigned http_status;             /* 0: no HTTP answer (connection or local error) */
	char code[REPORT_CODE_MAX];       /* the answer's "error" code; "connection", "verify",
					    * "local" for failures of the tenant's own */
	char message[REPORT_MESSAGE_MAX]; /* the answer's "message", or the tenant's own text */
};

struct task_stats {
	char name[TSP_ID_MAX + 1];
	bool started;           /* tasks never started are not reported */
	enum run_status status; /* RUN_SUCCESS or RUN_FAILED */
	uint64_t blocks;        /* blocks written (or read and verified) */
	uint64_t bytes;
	uint64_t duration_us;
	char replica[24];   /* replication: the replica state answered, or "" */
	struct failure why; /* status RUN_FAILED */
};

/* The hello's maintenance notice (PROTOCOL.md §4.1). */
struct notice {
	bool present;
	char mode[16];
	char since[40];
	char message[REPORT_MESSAGE_MAX];
};

struct job_stats {
	const char *command; /* "backup", "replicate", ... */
	enum tsp_category category;
	enum tsp_operation operation;
	enum tsp_origin origin;
	enum tsp_workload workload;
	char job[TSP_ID_MAX + 1];
	const char *source; /* --source as given, or "" */
	bool opened;        /* the job open was answered 201 */
	enum run_status status;
	enum tsp_result sent_result; /* the Tsp-Result of the job close; NONE when not sent */
	bool aborted;                /* a connection or local error cut the run short: exit 2 */
	uint64_t duration_us;
	uint64_t blocks, bytes; /* sums over the tasks */
	struct failure why;     /* job-level failure: open refused, close failed, ... */
	struct notice notice;
	unsigned task_count;
	struct task_stats *tasks; /* task_count entries, in task order */
};

const char *run_status_name(enum run_status status); /* "Success", "Warning", "Failed" */

/* Sets status, blocks and bytes from the tasks and the job-level failure:
 * Failed when the job was not opened, a task failed or the connection broke;
 * Warning when only the job close went wrong; Success otherwise. */
void job_stats_settle(struct job_stats *st);

/* 0 success or warning, 1 failed job, 2 the run was aborted. */
int job_stats_exit_code(const struct job_stats *st);

/* Human-readable statistics; control characters in server text become '?'. */
void report_text(FILE *out, const struct job_stats *st);

/* One JSON object and a newline (fields: see sluice-tenant(1)). */
void report_json(FILE *out, const struct job_stats *st);

/* "512 B", "1.0 KiB", "4.0 MiB", "1.5 GiB"; returns buf. */
const char *report_bytes(uint64_t bytes, char *buf, size_t size);

#endif
