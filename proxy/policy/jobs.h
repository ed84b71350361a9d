/*
 * proxy/policy/jobs.h: the process-wide job table.
 *
 * Jobs are keyed by (tenant, category, job id), so one tenant can never touch
 * another's job: the table is a hash of tenants, each holding a hash of its
 * jobs, each holding a hash of its open tasks (uthash). Nothing here is per
 * connection: a job's tasks may arrive on several connections at once, and
 * the table outlives them all. Callers never hold entries across events;
 * they look them up again by key (an entry may have expired in between).
 *
 * Bounded: at most max_jobs jobs (a job open beyond it gets JOBS_FULL),
 * max_tasks open tasks per job and max_all_tasks in the whole table (a task
 * open beyond either gets JOBS_FULL). Entries idle for idle_expiry seconds are
 * removed by jobs_expire(). Time is passed in (seconds on a monotonic clock,
 * never decreasing from call to call); there is no I/O.
 *
 * The drain flags belong to the maintenance policy (policy.c), which sets them
 * through jobs_set_*_draining() so that the counts kept here stay exact as
 * entries close or expire.
 *
 * Entry fields are read-only outside jobs.c. A pointer returned by a lookup
 * is valid until the next call that may remove entries (close, expire,
 * jobs_free).
 */
#ifndef SLUICE_JOBS_H
#define SLUICE_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "policy/keyed_hash.h" /* uthash, with a keyed hash */
#include "tsp.h"

/* The defaults match [limits] job_table_size and job_idle_expiry. */
#define JOBS_DEFAULT_MAX_JOBS 100000u
#define JOBS_DEFAULT_MAX_TASKS 1024u       /* open tasks per job */
#define JOBS_DEFAULT_MAX_ALL_TASKS 100000u /* open tasks in the whole table */
#define JOBS_DEFAULT_IDLE_EXPIRY 21600.0   /* seconds: 6 h */
#define JOBS_DEFAULT_TENANT_JOBS 1000u     /* [limits] tenant_jobs */
#define JOBS_DEFAULT_TENANT_TASKS 10000u   /* [limits] tenant_tasks */

struct jobs_limits {
	size_t max_jobs;         /* [limits] job_table_size; >= 1 */
	size_t max_tasks;        /* open tasks per job; >= 1 */
	size_t max_all_tasks;    /* open tasks in the whole table ([limits] job_table_size); >= 1 */
	double idle_expiry;      /* [limits] job_idle_expiry, seconds; 0 = never */
	size_t max_tenant_jobs;  /* [limits] tenant_jobs: jobs of one tenant; 0 = no bound */
	size_t max_tenant_tasks; /* [limits] tenant_tasks: open tasks of one tenant; 0 = no bound */
};

enum jobs_result {
	JOBS_OK,        /* done */
	JOBS_EXISTS,    /* open: the entry was there already (it is returned, touched) */
	JOBS_FULL,      /* open: the table, the tenant's share or the job's task set is at its bound */
	JOBS_NO_MEMORY, /* open: allocation failed; nothing changed */
	JOBS_BAD_NAME   /* a tenant, job or task name is empty or too long */
};

/* What a job open says about the job (origin, workload, operation: PROTOCOL.md 4.2). */
struct job_desc {
	enum tsp_origin origin; /* NONE when learned from later messages */
	enum tsp_workload workload;
	enum tsp_operation operation;
};

struct job_task {
	char id[TSP_ID_MAX + 1];
	double opened_at;
	double last_activity;
	uint64_t bytes;                 /* body bytes forwarded (jobs_count_bytes) */
	uint64_t writes;                /* block writes accepted (jobs_count_bytes) */
	double last_write;              /* when the latest of them was accepted; 0 = none */
	bool learned;                   /* registered from a message other than its open */
	bool draining;                  /* policy: open when maintenance began (R1) */
	uint64_t serial;                /* unique in the table's life: who created it (policy) */
	unsigned pending;               /* policy: forwarded requests naming it, not answered yet */
	bool confirmed;                 /* policy: the repository accepted a request naming it */
	struct job *job;                /* the job holding it */
	UT_hash_handle hh;              /* in job->tasks, by id */
	TAILQ_ENTRY(job_task) lru_link; /* table-wide, least recently active first */
};

/* What a session (restic profile: tenant, repository, client address) adds
 * to its job. The job's tasks are the session's locks. */
struct job_session {
	char repository[TSP_REPOSITORY_MAX + 1];
	char client[TSP_CLIENT_MAX + 1];
	uint64_t writes;   /* writes the repository accepted */
	uint64_t bytes;    /* their body bytes */
	uint64_t refused;  /* writes refused for maintenance */
	bool snapshot;     /* a snapshot was saved: the backup completed */
	bool refusal_seen; /* a write was refused since a new command began (policy) */
	bool config_read;  /* the config was read since the last lock create: a
			    * new command began (every restic command does) */
};

struct job_key {
	int category; /* enum tsp_category, as int for a fixed layout */
	char id[TSP_ID_MAX + 1];
};

struct jobs_tenant;

struct job {
	struct job_key key; /* zero-padded: hashed as bytes */
	struct jobs_tenant *tenant;
	struct job_desc desc;
	bool learned;    /* registered from a message other than its open */
	bool draining;   /* policy: a job drained as a whole (R2) */
	uint64_t serial; /* as for tasks */
	unsigned pending;
	bool confirmed;
	struct job_session *session; /* sessions only (restic); NULL for TSP/1 jobs */
	double opened_at;
	double last_activity; /* the latest activity of the job or any task */
	/* Tasks of this job closed with success after block writes
	 * (jobs_task_done): what a plan expects of the job's open tasks. */
	uint32_t done_tasks;
	uint64_t done_bytes;
	struct job_task *tasks; /* open tasks, by id */
	size_t task_count;
	size_t draining_tasks;     /* tasks with draining set */
	UT_hash_handle hh;         /* in tenant->jobs, by key */
	TAILQ_ENTRY(job) lru_link; /* table-wide, least recently active first */
};

struct jobs_tenant {
	char name[TSP_TENANT_MAX + 1];
	struct job *jobs; /* by (category, id) */
	size_t job_count;
	size_t task_count;
	size_t confirmed_jobs;  /* jobs and tasks the repository accepted a request */
	size_t confirmed_tasks; /* of (jobs_confirm): what the tenant quotas count */
	size_t draining_tasks;  /* draining tasks in this tenant's jobs */
	size_t draining_jobs;   /* jobs with draining set */
	UT_hash_handle hh;      /* in the table, by name */
};

struct jobs; /* opaque */

/* The defaults above. */
void jobs_limits_default(struct jobs_limits *limits);

/* NULL when memory is short or a limit is 0. The limits are copied. */
struct jobs *jobs_new(const struct jobs_limits *limits);
void jobs_free(struct jobs *jobs);
/* New limits (reload). Lower bounds evict nothing: they refuse new opens until
 * the table shrinks below them. False (nothing changed) when a limit is 0. */
bool jobs_set_limits(struct jobs *jobs, const struct jobs_limits *limits);
const struct jobs_limits *jobs_limits(const struct jobs *jobs);

struct job *jobs_find(const struct jobs *jobs, const char *tenant, enum tsp_category category,
		      const char *job_id);
struct job_task *jobs_find_task(const struct job *job, const char *task_id);
const struct jobs_tenant *jobs_find_tenant(const struct jobs *jobs, const char *tenant);

/* A job open: adds the job (JOBS_OK) or finds it (JOBS_EXISTS, desc left as
 * it was); *out (may be NULL) gets the entry on OK and EXISTS. */
enum jobs_result jobs_open(struct jobs *jobs, const char *tenant, enum tsp_category category,
			   const char *job_id, const struct job_desc *desc, double now, struct job **out);
/* Make the job a session (see struct job_session): false when memory is
 * short. Freed with the job. */
bool jobs_attach_session(struct job *job, const char *repository, const char *client);
/* Replace what the job open said (a repeated open the repository accepted). */
void jobs_describe(struct job *job, const struct job_desc *desc);
/* True when another job open would be refused with JOBS_FULL: jobs_full
 * for the table alone, jobs_full_for for the table or the tenant's share. */
bool jobs_full(const struct jobs *jobs);
bool jobs_full_for(const struct jobs *jobs, const char *tenant);
/* True when another task open in this job would be refused with JOBS_FULL
 * (the job's, the tenant's or the table's bound). */
bool jobs_tasks_full(const struct jobs *jobs, const struct job *job);

/* A task open in an existing job: JOBS_OK, JOBS_EXISTS or JOBS_FULL (the job
 * holds max_tasks open tasks, or the table max_all_tasks). Touches the job. */
enum jobs_result jobs_open_task(struct jobs *jobs, struct job *job, const char *task_id, double now,
				struct job_task **out);
/* The repository accepted a request naming the job (and the task, when not
 * NULL): mark them confirmed. Only confirmed entries count toward the
 * tenant's share ([limits] tenant_jobs, tenant_tasks), so requests with a
 * tenant's name and a wrong secret, pending or not, never use up that
 * tenant's share; unconfirmed entries live only while their requests are in
 * flight, bounded by the table and by the connections. */
void jobs_confirm(struct jobs *jobs, struct job *job, struct job_task *task);
/* Mark an entry as learned (see policy.h: registered without seeing its open). */
void jobs_mark_learned(struct job *job, struct job_task *task);

/* Remove one task, or a job with all its tasks (the tenant goes with its last job). */
void jobs_close_task(struct jobs *jobs, struct job_task *task);
void jobs_close(struct jobs *jobs, struct job *job);

/* Activity: moves the entry (and its job) to the young end of the expiry
 * order. task may be NULL (job-level activity). */
void jobs_touch(struct jobs *jobs, struct job *job, struct job_task *task, double now);
/* The job and every one of its open tasks (a session and its locks: a lock
 * lives as long as its session is active). O(open tasks). */
void jobs_touch_all(struct jobs *jobs, struct job *job, double now);
/* An accepted block write of a task, found by key: its body bytes, one
 * more write, the time of the write; also touches it. False when the task
 * is not in the table. */
bool jobs_count_bytes(struct jobs *jobs, const char *tenant, enum tsp_category category, const char *job_id,
		      const char *task_id, uint64_t bytes, double now);

/* A task the repository closed with success: its bytes join the job's
 * history (done_tasks, done_bytes) when it wrote any. Closes nothing. */
void jobs_task_done(struct job_task *task);

/* Drain flags (policy.c only): keep the counts exact. */
void jobs_set_task_draining(struct jobs *jobs, struct job_task *task, bool draining);
void jobs_set_job_draining(struct jobs *jobs, struct job *job, bool draining);
/* Every open task of the job at once. */
void jobs_set_tasks_draining(struct jobs *jobs, struct job *job, bool draining);

/* Idle expiry. Removes every task and every job with no activity for
 * idle_expiry seconds (a job's activity includes its tasks'), calling
 * expired() (may be NULL) for each just before it goes: task != NULL for a
 * task that expires inside a live job, task == NULL for a whole job (its
 * remaining tasks go with it and are not reported one by one).
 * Returns the number of entries reported. Cost: O(expired). */
typedef void jobs_expired_fn(void *ctx, const struct job *job, const struct job_task *task);
size_t jobs_expire(struct jobs *jobs, double now, jobs_expired_fn *expired, void *ctx);

/* Restoring a saved table (state_file.c): an entry as it was saved, into
 * a fresh table, with its own times (opened, last active) and flags. The
 * entry is confirmed (only confirmed entries are saved: an unconfirmed one
 * belonged to a request that died with the process). Give jobs, then tasks,
 * each in order of last activity, least recent first (the order of
 * jobs_foreach_*_by_activity), so that expiry finds them in the right
 * order. JOBS_OK; JOBS_EXISTS for a duplicate (nothing changed), JOBS_FULL
 * when a bound of the limits is reached, JOBS_BAD_NAME, JOBS_NO_MEMORY. */
struct job_saved {
	const char *tenant;
	enum tsp_category category;
	const char *id;
	struct job_desc desc;
	bool learned, draining;
	double opened_at, last_activity;
	uint32_t done_tasks;
	uint64_t done_bytes;
	const struct job_session *session; /* NULL: not a session */
};
struct job_task_saved {
	const char *id;
	bool learned, draining;
	double opened_at, last_activity, last_write;
	uint64_t bytes, writes;
};
enum jobs_result jobs_restore_job(struct jobs *jobs, const struct job_saved *saved, struct job **out);
enum jobs_result jobs_restore_task(struct jobs *jobs, struct job *job, const struct job_task_saved *saved);

/* Counts, O(1). */
size_t jobs_count(const struct jobs *jobs);
size_t jobs_count_category(const struct jobs *jobs, enum tsp_category category);
size_t jobs_task_count(const struct jobs *jobs);
size_t jobs_tenant_count(const struct jobs *jobs);
size_t jobs_draining_tasks(const struct jobs *jobs);
size_t jobs_draining_jobs(const struct jobs *jobs);

/* Iteration for the status endpoint and the policy, in insertion order. The
 * callbacks must not add or remove entries. */
typedef void jobs_tenant_fn(void *ctx, const struct jobs_tenant *tenant);
typedef void jobs_job_fn(void *ctx, const struct job *job);
typedef void jobs_task_fn(void *ctx, const struct job_task *task);
void jobs_foreach_tenant(const struct jobs *jobs, jobs_tenant_fn *fn, void *ctx);
void jobs_foreach_job(const struct jobs_tenant *tenant, jobs_job_fn *fn, void *ctx);
void jobs_foreach_task(const struct job *job, jobs_task_fn *fn, void *ctx);
/* Every job, and then every open task, of the table in order of last
 * activity, least recent first (what a saved table is written in). */
void jobs_foreach_job_by_activity(const struct jobs *jobs, jobs_job_fn *fn, void *ctx);
void jobs_foreach_task_by_activity(const struct jobs *jobs, jobs_task_fn *fn, void *ctx);
/* Every job of the table, mutable: the policy's marking pass. fn must not
 * add or remove entries. */
typedef void jobs_job_mut_fn(void *ctx, struct jobs *jobs, struct job *job);
void jobs_foreach_job_mut(struct jobs *jobs, jobs_job_mut_fn *fn, void *ctx);

#endif
