/*
 * tools/repo/repo_catalog_internal.h: the catalog's in-memory tables, shared by
 * repo_catalog.c (the cache: lookup, loading, eviction) and repo_catalog_ops.c (the
 * operations of PROTOCOL.md §4).
 */
#ifndef SLUICE_REPO_CATALOG_INTERNAL_H
#define SLUICE_REPO_CATALOG_INTERNAL_H

#include <sys/queue.h>

#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#include "repo_catalog.h"

struct cat_block {
	struct block_record rec; /* rec.number is the hash key */
	UT_hash_handle hh;
};

struct cat_task {
	char id[TSP_ID_MAX + 1];
	struct task_meta meta;
	struct cat_block *blocks; /* stored (restore tasks: read), by number */
	uint32_t block_count;
	uint64_t bytes;
	TAILQ_ENTRY(cat_task) order_link; /* in its job's tasks, in the order of opening */
	UT_hash_handle hh;
};

struct cat_job {
	struct repo_job_key key; /* hashed as raw bytes: zeroed before filling */
	struct job_meta meta;
	struct cat_task *tasks;                          /* by id */
	TAILQ_HEAD(cat_task_order, cat_task) task_order; /* as opened (seq order) */
	unsigned task_count;
	TAILQ_ENTRY(cat_job) lru_link; /* closed jobs only */
	UT_hash_handle hh;
};

struct catalog {
	struct store *store;
	bool discard;
	struct catalog_limits limits;
	struct cat_job *jobs; /* by key */
	size_t open_count, closed_count;
	TAILQ_HEAD(cat_job_lru, cat_job) closed_lru; /* closed jobs, least recent first */
};

/* Finds a job in memory or loads it from disk. Returns 0, ENOENT (never
 * opened) or an error (EINVAL: metadata unreadable, ENOMEM, ...). */
int cat_job_get(struct catalog *cat, const char *tenant, enum tsp_category category, const char *job,
		struct cat_job **out);
/* Adds a freshly opened job (counts as open). ENOMEM on failure. */
int cat_job_insert(struct catalog *cat, const struct repo_job_key *key, const struct job_meta *meta,
		   struct cat_job **out);
/* The job just closed: it joins the closed set (which may evict others). */
void cat_job_closed(struct catalog *cat, struct cat_job *job);

struct cat_task *cat_task_find(const struct cat_job *job, const char *id);
/* Appends a task (in opening order). ENOMEM on failure. */
int cat_task_add(struct cat_job *job, const char *id, const struct task_meta *meta, struct cat_task **out);
struct cat_block *cat_block_find(const struct cat_task *task, uint32_t number);
/* Records or replaces a block in the task's table, keeping the counts. */
int cat_block_put(struct cat_task *task, const struct block_record *rec);
void cat_block_drop(struct cat_task *task, uint32_t number);

void cat_make_job_key(struct repo_job_key *key, const char *tenant, enum tsp_category category,
		      const char *job);
void cat_make_task_key(struct task_key *key, const struct cat_job *job, const char *task);

/* Whether tasks of the job store blocks (backup, backup-copy, replicate). */
bool cat_job_has_data(const struct cat_job *job);

#endif
