/*
 * tools/repo/repo_catalog.h: jobs, tasks and replicas with their states, the
 * repository side of PROTOCOL.md §4, §6 and §7.
 *
 * The store (repo_store.h) holds the state; the catalog is its cache: open jobs
 * stay in memory, closed ones in a bounded least-recently-used set, and a job
 * is loaded from disk the first time a request names it (so state survives a
 * restart). The catalog does no network I/O and knows nothing of HTTP: every
 * operation returns true, or false with the status, code and message of the
 * error answer.
 */
#ifndef SLUICE_REPO_CATALOG_H
#define SLUICE_REPO_CATALOG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "repo_store.h"
#include "protocol/tsp.h"

struct catalog;

struct catalog_limits {
	size_t closed_jobs_cached; /* closed jobs kept in memory (>= 1) */
	size_t open_jobs;          /* open jobs at once (503 busy beyond) */
	unsigned tasks_per_job;    /* 409 conflict beyond */
	uint32_t blocks_per_task;  /* distinct blocks; 507 storage-full beyond */
};

struct catalog_error {
	unsigned status;  /* 404, 409, 500, 503, 507 */
	const char *code; /* "unknown-job", "conflict", ... */
	char message[256];
};

/* A task as task close and job close report it. */
struct task_view {
	const char *task;
	enum task_state state;
	uint32_t blocks; /* distinct blocks stored (restore: read) */
	uint64_t bytes;
	bool has_replica; /* replication tasks report the replica state */
	enum replica_state replica;
};

void catalog_limits_default(struct catalog_limits *limits);

/* discard: blocks are counted, never stored (sluice-repo --discard). */
struct catalog *catalog_new(struct store *store, bool discard, const struct catalog_limits *limits);
void catalog_free(struct catalog *cat);

bool catalog_job_open(struct catalog *cat, const struct tsp_request *req, struct catalog_error *err);

/* view->has_replica and view->replica are set for failover/failback/undo
 * tasks (the operation is done at task open). */
bool catalog_task_open(struct catalog *cat, const struct tsp_request *req, struct task_view *view,
		       struct catalog_error *err);

/* Before the body of a block write: the task accepts blocks. Fills data_dir
 * (PATH_MAX bytes), where the block's temporary file goes. */
bool catalog_block_write_begin(struct catalog *cat, const struct tsp_request *req, char *data_dir,
			       struct catalog_error *err);

/* After the body, its digest checked: records block rec of the task named by
 * req. With a writer (NULL in discard mode) renames the block into place,
 * unless the identical block is stored already (*identical: answer 204, the
 * writer is aborted). The writer is always finished with. */
bool catalog_block_write_end(struct catalog *cat, const struct tsp_request *req,
			     const struct block_record *rec, struct store_block_writer *writer,
			     bool *identical, struct catalog_error *err);

/* A restore read: opens the source block (the caller closes *fd) and fills
 * *rec (its length and digest). */
bool catalog_block_read(struct catalog *cat, const struct tsp_request *req, int *fd, struct block_record *rec,
			struct catalog_error *err);

bool catalog_task_close(struct catalog *cat, const struct tsp_request *req, struct task_view *view,
			struct catalog_error *err);

/* Closes the job (open tasks become incomplete), then calls each for every
 * task in the order they were opened. */
bool catalog_job_close(struct catalog *cat, const struct tsp_request *req,
		       void (*each)(void *arg, const struct task_view *view), void *arg,
		       struct catalog_error *err);

/* Jobs held in memory, for the log. */
size_t catalog_open_jobs(const struct catalog *cat);

#endif
