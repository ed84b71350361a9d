/*
 * proxy/policy/jobs.c: the process-wide job table (see jobs.h).
 *
 * Three levels of uthash tables: tenants by name, a tenant's jobs by
 * (category, id), a job's open tasks by id. Two table-wide lists keep jobs
 * and tasks in order of last activity (least recent first), so expiry costs
 * only what it removes. uthash runs in its non-fatal out-of-memory mode: a
 * failed insertion leaves hh.tbl NULL and the caller backs out.
 */
#include "autoconfig.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_NONFATAL_OOM 1
#include "policy/jobs.h"

struct jobs {
	struct jobs_limits limits;
	struct jobs_tenant *tenants; /* by name */
	size_t job_count;
	size_t task_count;
	size_t category_jobs[TSP_CAT_COUNT];
	size_t draining_tasks;
	size_t draining_jobs;
	TAILQ_HEAD(, job) job_lru;       /* least recently active first */
	TAILQ_HEAD(, job_task) task_lru; /* least recently active first */
	uint64_t serial;                 /* the last entry's */
};

/* ---- names and keys ---- */

static bool name_fits(const char *name, size_t max)
{
	size_t len;

	if (name == NULL)
		return false;
	len = strnlen(name, max + 1);
	return len >= 1 && len <= max;
}

static bool make_key(struct job_key *key, enum tsp_category category, const char *job_id)
{
	/* Zeroed as a whole: the key is hashed and compared as raw bytes. */
	memset(key, 0, sizeof(*key));
	if ((int)category < 0 || category >= TSP_CAT_COUNT || !name_fits(job_id, TSP_ID_MAX))
		return false;
	key->category = (int)category;
	memcpy(key->id, job_id, strlen(job_id));
	return true;
}

/* ---- activity order ---- */

/* Active now: to the end of the list, the most recent end. */
static void job_lru_move_last(struct jobs *jobs, struct job *job)
{
	TAILQ_REMOVE(&jobs->job_lru, job, lru_link);
	TAILQ_INSERT_TAIL(&jobs->job_lru, job, lru_link);
}

static void task_lru_move_last(struct jobs *jobs, struct job_task *task)
{
	TAILQ_REMOVE(&jobs->task_lru, task, lru_link);
	TAILQ_INSERT_TAIL(&jobs->task_lru, task, lru_link);
}

void jobs_touch(struct jobs *jobs, struct job *job, struct job_task *task, double now)
{
	if (task != NULL) {
		assert(task->job == job);
		task->last_activity = now;
		task_lru_move_last(jobs, task);
	}
	job->last_activity = now;
	job_lru_move_last(jobs, job);
}

void jobs_touch_all(struct jobs *jobs, struct job *job, double now)
{
	struct job_task *task, *next;

	HASH_ITER(hh, job->tasks, task, next) {
		task->last_activity = now;
		task_lru_move_last(jobs, task);
	}
	jobs_touch(jobs, job, NULL, now);
}

/* ---- table ---- */

void jobs_limits_default(struct jobs_limits *limits)
{
	limits->max_jobs = JOBS_DEFAULT_MAX_JOBS;
	limits->max_tasks = JOBS_DEFAULT_MAX_TASKS;
	limits->max_all_tasks = JOBS_DEFAULT_MAX_ALL_TASKS;
	limits->idle_expiry = JOBS_DEFAULT_IDLE_EXPIRY;
	limits->max_tenant_jobs = JOBS_DEFAULT_TENANT_JOBS;
	limits->max_tenant_tasks = JOBS_DEFAULT_TENANT_TASKS;
}

static bool limits_valid(const struct jobs_limits *limits)
{
	/* !(x >= 0) also rejects NaN */
	return limits->max_jobs >= 1 && limits->max_tasks >= 1 && limits->max_all_tasks >= 1 &&
	       limits->idle_expiry >= 0;
}

struct jobs *jobs_new(const struct jobs_limits *limits)
{
	struct jobs *jobs;

	if (!limits_valid(limits))
		return NULL;
	jobs = calloc(1, sizeof(*jobs));
	if (jobs == NULL)
		return NULL;
	jobs->limits = *limits;
	TAILQ_INIT(&jobs->job_lru);
	TAILQ_INIT(&jobs->task_lru);
	return jobs;
}

void jobs_free(struct jobs *jobs)
{
	if (jobs == NULL)
		return;
	while (!TAILQ_EMPTY(&jobs->job_lru))
		jobs_close(jobs, TAILQ_FIRST(&jobs->job_lru));
	assert(jobs->tenants == NULL && jobs->task_count == 0);
	free(jobs);
}

bool jobs_set_limits(struct jobs *jobs, const struct jobs_limits *limits)
{
	if (!limits_valid(limits))
		return false;
	jobs->limits = *limits;
	return true;
}

const struct jobs_limits *jobs_limits(const struct jobs *jobs)
{
	return &jobs->limits;
}

static struct jobs_tenant *tenant_find(const struct jobs *jobs, const char *name)
{
	struct jobs_tenant *tenant = NULL;

	if (!name_fits(name, TSP_TENANT_MAX))
		return NULL;
	HASH_FIND_STR(jobs->tenants, name, tenant);
	return tenant;
}

const struct jobs_tenant *jobs_find_tenant(const struct jobs *jobs, const char *tenant)
{
	return tenant_find(jobs, tenant);
}

struct job *jobs_find(const struct jobs *jobs, const char *tenant_name, enum tsp_category category,
		      const char *job_id)
{
	struct jobs_tenant *tenant = tenant_find(jobs, tenant_name);
	struct job_key key;
	struct job *job = NULL;

	if (tenant == NULL || !make_key(&key, category, job_id))
		return NULL;
	HASH_FIND(hh, tenant->jobs, &key, sizeof(key), job);
	return job;
}

struct job_task *jobs_find_task(const struct job *job, const char *task_id)
{
	struct job_task *task = NULL;

	if (job == NULL || !name_fits(task_id, TSP_ID_MAX))
		return NULL;
	HASH_FIND_STR(job->tasks, task_id, task);
	return task;
}

bool jobs_full(const struct jobs *jobs)
{
	return jobs->job_count >= jobs->limits.max_jobs;
}

static bool over(size_t count, size_t bound)
{
	return bound != 0 && count >= bound;
}

bool jobs_full_for(const struct jobs *jobs, const char *tenant_name)
{
	const struct jobs_tenant *tenant = tenant_find(jobs, tenant_name);

	return jobs_full(jobs) ||
	       (tenant != NULL && over(tenant->confirmed_jobs, jobs->limits.max_tenant_jobs));
}

bool jobs_tasks_full(const struct jobs *jobs, const struct job *job)
{
	return job->task_count >= jobs->limits.max_tasks || jobs->task_count >= jobs->limits.max_all_tasks ||
	       over(job->tenant->confirmed_tasks, jobs->limits.max_tenant_tasks);
}

/* The tenant's entry, created when missing; NULL when memory is short. */
static struct jobs_tenant *tenant_get(struct jobs *jobs, const char *name)
{
	struct jobs_tenant *tenant = tenant_find(jobs, name);

	if (tenant != NULL)
		return tenant;
	tenant = calloc(1, sizeof(*tenant));
	if (tenant == NULL)
		return NULL;
	memcpy(tenant->name, name, strlen(name));
	HASH_ADD_STR(jobs->tenants, name, tenant);
	if (tenant->hh.tbl == NULL) {
		free(tenant);
		return NULL;
	}
	return tenant;
}

static void tenant_drop_if_empty(struct jobs *jobs, struct jobs_tenant *tenant)
{
	if (tenant->job_count > 0)
		return;
	HASH_DEL(jobs->tenants, tenant);
	free(tenant);
}

enum jobs_result jobs_open(struct jobs *jobs, const char *tenant_name, enum tsp_category category,
			   const char *job_id, const struct job_desc *desc, double now, struct job **out)
{
	struct jobs_tenant *tenant;
	struct job *job;
	struct job_key key;

	if (out != NULL)
		*out = NULL;
	if (!name_fits(tenant_name, TSP_TENANT_MAX) || !make_key(&key, category, job_id))
		return JOBS_BAD_NAME;
	job = jobs_find(jobs, tenant_name, category, job_id);
	if (job != NULL) {
		jobs_touch(jobs, job, NULL, now);
		if (out != NULL)
			*out = job;
		return JOBS_EXISTS;
	}
	if (jobs_full_for(jobs, tenant_name))
		return JOBS_FULL;
	tenant = tenant_get(jobs, tenant_name);
	if (tenant == NULL)
		return JOBS_NO_MEMORY;
	job = calloc(1, sizeof(*job));
	if (job == NULL) {
		tenant_drop_if_empty(jobs, tenant);
		return JOBS_NO_MEMORY;
	}
	job->key = key;
	job->serial = ++jobs->serial;
	job->tenant = tenant;
	job->desc = *desc;
	job->opened_at = now;
	job->last_activity = now;
	HASH_ADD(hh, tenant->jobs, key, sizeof(job->key), job);
	if (job->hh.tbl == NULL) {
		free(job);
		tenant_drop_if_empty(jobs, tenant);
		return JOBS_NO_MEMORY;
	}
	TAILQ_INSERT_TAIL(&jobs->job_lru, job, lru_link);
	tenant->job_count++;
	jobs->job_count++;
	jobs->category_jobs[category]++;
	if (out != NULL)
		*out = job;
	return JOBS_OK;
}

bool jobs_attach_session(struct job *job, const char *repository, const char *client)
{
	struct job_session *session = job->session != NULL ? job->session : calloc(1, sizeof(*session));

	if (session == NULL)
		return false;
	snprintf(session->repository, sizeof(session->repository), "%s", repository);
	snprintf(session->client, sizeof(session->client), "%s", client);
	job->session = session;
	return true;
}

void jobs_describe(struct job *job, const struct job_desc *desc)
{
	job->desc = *desc;
	job->learned = false;
}

/* A new task at the young end of the activity order; the job is not
 * touched. NULL when memory is short. */
static struct job_task *task_add(struct jobs *jobs, struct job *job, const char *task_id, double now)
{
	struct job_task *task = calloc(1, sizeof(*task));

	if (task == NULL)
		return NULL;
	memcpy(task->id, task_id, strlen(task_id));
	task->serial = ++jobs->serial;
	task->job = job;
	task->opened_at = now;
	task->last_activity = now;
	HASH_ADD_STR(job->tasks, id, task);
	if (task->hh.tbl == NULL) {
		free(task);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&jobs->task_lru, task, lru_link);
	job->task_count++;
	job->tenant->task_count++;
	jobs->task_count++;
	return task;
}

enum jobs_result jobs_open_task(struct jobs *jobs, struct job *job, const char *task_id, double now,
				struct job_task **out)
{
	struct job_task *task;

	if (out != NULL)
		*out = NULL;
	if (!name_fits(task_id, TSP_ID_MAX))
		return JOBS_BAD_NAME;
	task = jobs_find_task(job, task_id);
	if (task != NULL) {
		jobs_touch(jobs, job, task, now);
		if (out != NULL)
			*out = task;
		return JOBS_EXISTS;
	}
	if (jobs_tasks_full(jobs, job))
		return JOBS_FULL;
	task = task_add(jobs, job, task_id, now);
	if (task == NULL)
		return JOBS_NO_MEMORY;
	jobs_touch(jobs, job, NULL, now);
	if (out != NULL)
		*out = task;
	return JOBS_OK;
}

void jobs_confirm(struct jobs *jobs, struct job *job, struct job_task *task)
{
	(void)jobs;
	if (!job->confirmed) {
		job->confirmed = true;
		job->tenant->confirmed_jobs++;
	}
	if (task != NULL && !task->confirmed) {
		assert(task->job == job);
		task->confirmed = true;
		job->tenant->confirmed_tasks++;
	}
}

void jobs_mark_learned(struct job *job, struct job_task *task)
{
	if (task != NULL)
		task->learned = true;
	else
		job->learned = true;
}

void jobs_set_task_draining(struct jobs *jobs, struct job_task *task, bool draining)
{
	struct job *job = task->job;

	if (task->draining == draining)
		return;
	task->draining = draining;
	if (draining) {
		job->draining_tasks++;
		job->tenant->draining_tasks++;
		jobs->draining_tasks++;
	} else {
		job->draining_tasks--;
		job->tenant->draining_tasks--;
		jobs->draining_tasks--;
	}
}

void jobs_set_job_draining(struct jobs *jobs, struct job *job, bool draining)
{
	if (job->draining == draining)
		return;
	job->draining = draining;
	if (draining) {
		job->tenant->draining_jobs++;
		jobs->draining_jobs++;
	} else {
		job->tenant->draining_jobs--;
		jobs->draining_jobs--;
	}
}

void jobs_set_tasks_draining(struct jobs *jobs, struct job *job, bool draining)
{
	struct job_task *task;

	for (task = job->tasks; task != NULL; task = task->hh.next)
		jobs_set_task_draining(jobs, task, draining);
}

void jobs_close_task(struct jobs *jobs, struct job_task *task)
{
	struct job *job = task->job;

	jobs_set_task_draining(jobs, task, false);
	if (task->confirmed)
		job->tenant->confirmed_tasks--;
	HASH_DEL(job->tasks, task);
	TAILQ_REMOVE(&jobs->task_lru, task, lru_link);
	job->task_count--;
	job->tenant->task_count--;
	jobs->task_count--;
	free(task);
}

void jobs_close(struct jobs *jobs, struct job *job)
{
	struct jobs_tenant *tenant = job->tenant;
	struct job_task *task, *next;

	HASH_ITER(hh, job->tasks, task, next)
		jobs_close_task(jobs, task);
	jobs_set_job_draining(jobs, job, false);
	if (job->confirmed)
		tenant->confirmed_jobs--;
	HASH_DEL(tenant->jobs, job);
	TAILQ_REMOVE(&jobs->job_lru, job, lru_link);
	tenant->job_count--;
	jobs->job_count--;
	jobs->category_jobs[job->key.category]--;
	free(job->session);
	free(job);
	tenant_drop_if_empty(jobs, tenant);
}

bool jobs_count_bytes(struct jobs *jobs, const char *tenant, enum tsp_category category, const char *job_id,
		      const char *task_id, uint64_t bytes, double now)
{
	struct job *job = jobs_find(jobs, tenant, category, job_id);
	struct job_task *task = jobs_find_task(job, task_id);

	if (task == NULL)
		return false;
	task->bytes += bytes;
	task->writes++;
	task->last_write = now;
	jobs_touch(jobs, job, task, now);
	return true;
}

void jobs_task_done(struct job_task *task)
{
	struct job *job = task->job;

	if (task->writes == 0 || job->done_tasks == UINT32_MAX)
		return;
	job->done_tasks++;
	job->done_bytes += task->bytes;
}

/* ---- restoring a saved table ---- */

enum jobs_result jobs_restore_job(struct jobs *jobs, const struct job_saved *saved, struct job **out)
{
	struct job *job = NULL;
	enum jobs_result result;

	*out = NULL;
	if (jobs_find(jobs, saved->tenant, saved->category, saved->id) != NULL)
		return JOBS_EXISTS;
	result = jobs_open(jobs, saved->tenant, saved->category, saved->id, &saved->desc,
			   saved->last_activity, &job);
	if (result != JOBS_OK)
		return result;
	if (saved->session != NULL) {
		job->session = malloc(sizeof(*job->session));
		if (job->session == NULL) {
			jobs_close(jobs, job);
			return JOBS_NO_MEMORY;
		}
		*job->session = *saved->session;
	}
	job->opened_at = saved->opened_at;
	job->learned = saved->learned;
	job->done_tasks = saved->done_tasks;
	job->done_bytes = saved->done_bytes;
	jobs_confirm(jobs, job, NULL);
	jobs_set_job_draining(jobs, job, saved->draining);
	*out = job;
	return JOBS_OK;
}

enum jobs_result jobs_restore_task(struct jobs *jobs, struct job *job, const struct job_task_saved *saved)
{
	struct job_task *task;

	if (!name_fits(saved->id, TSP_ID_MAX))
		return JOBS_BAD_NAME;
	if (jobs_find_task(job, saved->id) != NULL)
		return JOBS_EXISTS;
	if (jobs_tasks_full(jobs, job))
		return JOBS_FULL;
	task = task_add(jobs, job, saved->id, saved->last_activity);
	if (task == NULL)
		return JOBS_NO_MEMORY;
	task->opened_at = saved->opened_at;
	task->last_write = saved->last_write;
	task->bytes = saved->bytes;
	task->writes = saved->writes;
	task->learned = saved->learned;
	jobs_confirm(jobs, job, task);
	jobs_set_task_draining(jobs, task, saved->draining);
	return JOBS_OK;
}

/* ---- expiry ---- */

static bool idle(const struct jobs *jobs, double last_activity, double now)
{
	return now - last_activity >= jobs->limits.idle_expiry;
}

size_t jobs_expire(struct jobs *jobs, double now, jobs_expired_fn *expired, void *ctx)
{
	size_t reported = 0;
	struct job *job;
	struct job_task *task;

	if (jobs->limits.idle_expiry <= 0)
		return 0;
	/* Jobs first: a job's activity includes its tasks', so an idle job has
	 * only idle tasks, and they go with it. */
	while ((job = TAILQ_FIRST(&jobs->job_lru)) != NULL && idle(jobs, job->last_activity, now)) {
		if (expired != NULL)
			expired(ctx, job, NULL);
		jobs_close(jobs, job);
		reported++;
	}
	/* Then idle tasks of jobs that are still active (an abandoned task). */
	while ((task = TAILQ_FIRST(&jobs->task_lru)) != NULL && idle(jobs, task->last_activity, now)) {
		if (expired != NULL)
			expired(ctx, task->job, task);
		jobs_close_task(jobs, task);
		reported++;
	}
	return reported;
}

/* ---- counts and iteration ---- */

size_t jobs_count(const struct jobs *jobs)
{
	return jobs->job_count;
}

size_t jobs_count_category(const struct jobs *jobs, enum tsp_category category)
{
	if ((int)category < 0 || category >= TSP_CAT_COUNT)
		return 0;
	return jobs->category_jobs[category];
}

size_t jobs_task_count(const struct jobs *jobs)
{
	return jobs->task_count;
}

size_t jobs_tenant_count(const struct jobs *jobs)
{
	return HASH_COUNT(jobs->tenants);
}

size_t jobs_draining_tasks(const struct jobs *jobs)
{
	return jobs->draining_tasks;
}

size_t jobs_draining_jobs(const struct jobs *jobs)
{
	return jobs->draining_jobs;
}

void jobs_foreach_tenant(const struct jobs *jobs, jobs_tenant_fn *fn, void *ctx)
{
	const struct jobs_tenant *tenant;

	for (tenant = jobs->tenants; tenant != NULL; tenant = tenant->hh.next)
		fn(ctx, tenant);
}

void jobs_foreach_job(const struct jobs_tenant *tenant, jobs_job_fn *fn, void *ctx)
{
	const struct job *job;

	for (job = tenant->jobs; job != NULL; job = job->hh.next)
		fn(ctx, job);
}

void jobs_foreach_task(const struct job *job, jobs_task_fn *fn, void *ctx)
{
	const struct job_task *task;

	for (task = job->tasks; task != NULL; task = task->hh.next)
		fn(ctx, task);
}

void jobs_foreach_job_by_activity(const struct jobs *jobs, jobs_job_fn *fn, void *ctx)
{
	const struct job *job;

	TAILQ_FOREACH(job, &jobs->job_lru, lru_link)
		fn(ctx, job);
}

void jobs_foreach_task_by_activity(const struct jobs *jobs, jobs_task_fn *fn, void *ctx)
{
	const struct job_task *task;

	TAILQ_FOREACH(task, &jobs->task_lru, lru_link)
		fn(ctx, task);
}

void jobs_foreach_job_mut(struct jobs *jobs, jobs_job_mut_fn *fn, void *ctx)
{
	struct jobs_tenant *tenant;
	struct job *job;

	for (tenant = jobs->tenants; tenant != NULL; tenant = tenant->hh.next)
		for (job = tenant->jobs; job != NULL; job = job->hh.next)
			fn(ctx, jobs, job);
}
