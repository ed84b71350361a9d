/*
 * tools/tenant/tenant_job.h: the job runner. One job the way tenant backup software
 * runs it: hello, job open, tasks (several at once on separate connections
 * with --parallel), block writes or verified block reads, task closes with
 * each task's result, the job close with the job's result.
 */
#ifndef SLUICE_TENANT_JOB_H
#define SLUICE_TENANT_JOB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tenant_client.h"
#include "tenant_options.h"
#include "tenant_report.h"

#define PAUSE_WAIT_MAX_MS 120000 /* --pause-at: how long PATH.go may take */
#define PAUSE_POLL_MS 10
#define PROGRESS_INTERVAL_US 100000 /* redraw the progress line at most 10 times a second */

/* Run the job. st->tasks must hold opt->tasks zeroed entries; everything
 * else in *st is filled here. progress: draw a progress line on stderr. */
void job_run(const struct tenant_options *opt, const struct client_setup *setup, bool progress,
	     struct job_stats *st);

/* Shared by the workers of one job (tenant_job.c) and the task code (tenant_task.c). */
struct job_context {
	const struct tenant_options *opt;
	const struct client_setup *setup;
	struct job_stats *st;
	atomic_uint next_task;  /* 0-based index of the next task to start */
	atomic_bool abort;      /* a connection or local error: start no more tasks */
	atomic_uint tasks_done; /* for the progress line */
	atomic_ulong blocks_done;
	bool progress;
	uint64_t progress_drawn_us; /* when the progress line was last drawn */
	pthread_mutex_t lock;       /* st->aborted, the progress line */
};

/* A worker's block buffers, opt->block_size bytes each (expected: restores). */
struct task_buffers {
	unsigned char *block;
	unsigned char *expected;
};

/* Run task index (0-based) on c, filling st->tasks[index]. False when a
 * connection or local error cut it short (recorded in the task). */
bool task_run(struct job_context *ctx, struct client *c, const struct task_buffers *buf, unsigned index);

/* Redraw the progress line (no-op unless ctx->progress, or drawn too recently). */
void job_progress(struct job_context *ctx);

/* Microseconds of CLOCK_MONOTONIC. */
uint64_t job_clock_us(void);

#endif
