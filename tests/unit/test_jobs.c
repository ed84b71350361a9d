/*
 * tests/unit/test_jobs.c: the process-wide job table (proxy/policy/jobs.c).
 * Time is a plain number passed in: a fake clock.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy/jobs.h"

static const struct job_desc vbr_vsphere = { TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE, TSP_OP_NONE };
static const struct job_desc agent_linux = { TSP_ORIGIN_AGENT, TSP_WORKLOAD_LINUX, TSP_OP_NONE };

static struct jobs *table(size_t max_jobs, size_t max_tasks, double idle_expiry)
{
	struct jobs_limits limits;
	struct jobs *jobs;

	jobs_limits_default(&limits);
	limits.max_jobs = max_jobs;
	limits.max_tasks = max_tasks;
	limits.idle_expiry = idle_expiry;
	jobs = jobs_new(&limits);
	assert_non_null(jobs);
	return jobs;
}

static struct job *open_job(struct jobs *jobs, const char *tenant, enum tsp_category cat, const char *id,
			    double now)
{
	struct job *job = NULL;

	assert_int_equal(jobs_open(jobs, tenant, cat, id, &vbr_vsphere, now, &job), JOBS_OK);
	assert_non_null(job);
	return job;
}

static struct job_task *open_task(struct jobs *jobs, struct job *job, const char *id, double now)
{
	struct job_task *task = NULL;

	assert_int_equal(jobs_open_task(jobs, job, id, now, &task), JOBS_OK);
	assert_non_null(task);
	return task;
}

static void test_new_rejects_zero_limits(void **state)
{
	struct jobs_limits limits;

	(void)state;
	jobs_limits_default(&limits);
	limits.max_jobs = 0;
	assert_null(jobs_new(&limits));
	jobs_limits_default(&limits);
	limits.max_tasks = 0;
	assert_null(jobs_new(&limits));
	jobs_limits_default(&limits);
	limits.idle_expiry = -1;
	assert_null(jobs_new(&limits));
	jobs_free(NULL);
}

static void test_open_find_fields(void **state)
{
	struct jobs *jobs = table(10, 10, 60);
	struct job *job, *found;
	struct job_task *task;

	(void)state;
	job = open_job(jobs, "acme", TSP_CAT_BACKUP, "nightly", 100);
	found = jobs_find(jobs, "acme", TSP_CAT_BACKUP, "nightly");
	assert_ptr_equal(found, job);
	assert_int_equal(job->desc.origin, TSP_ORIGIN_VBR);
	assert_int_equal(job->desc.workload, TSP_WORKLOAD_VSPHERE);
	assert_true(job->opened_at == 100);
	assert_string_equal(job->key.id, "nightly");
	assert_string_equal(job->tenant->name, "acme");
	assert_false(job->learned);
	task = open_task(jobs, job, "vm-1", 105);
	assert_ptr_equal(jobs_find_task(job, "vm-1"), task);
	assert_ptr_equal(task->job, job);
	assert_true(task->opened_at == 105);
	assert_true(job->last_activity == 105);
	assert_null(jobs_find_task(job, "vm-2"));
	assert_null(jobs_find(jobs, "acme", TSP_CAT_BACKUP, "weekly"));
	assert_null(jobs_find(jobs, "other", TSP_CAT_BACKUP, "nightly"));
	jobs_free(jobs);
}

static void test_tenant_isolation(void **state)
{
	struct jobs *jobs = table(10, 10, 60);
	struct job *a, *b;

	(void)state;
	a = open_job(jobs, "acme", TSP_CAT_BACKUP, "nightly", 1);
	b = open_job(jobs, "globex", TSP_CAT_BACKUP, "nightly", 1);
	assert_ptr_not_equal(a, b);
	open_task(jobs, a, "vm-1", 2);
	/* globex's job of the same id has no such task */
	assert_null(jobs_find_task(jobs_find(jobs, "globex", TSP_CAT_BACKUP, "nightly"), "vm-1"));
	assert_int_equal(jobs_tenant_count(jobs), 2);
	jobs_close(jobs, b);
	assert_null(jobs_find(jobs, "globex", TSP_CAT_BACKUP, "nightly"));
	assert_ptr_equal(jobs_find(jobs, "acme", TSP_CAT_BACKUP, "nightly"), a);
	assert_non_null(jobs_find_task(a, "vm-1"));
	assert_null(jobs_find_tenant(jobs, "globex")); /* went with its last job */
	assert_int_equal(jobs_tenant_count(jobs), 1);
	jobs_free(jobs);
}

static void test_category_is_part_of_key(void **state)
{
	struct jobs *jobs = table(10, 10, 60);
	struct job *b, *c;

	(void)state;
	b = open_job(jobs, "acme", TSP_CAT_BACKUP, "j1", 1);
	c = open_job(jobs, "acme", TSP_CAT_BACKUP_COPY, "j1", 1);
	assert_ptr_not_equal(b, c);
	assert_int_equal(jobs_count_category(jobs, TSP_CAT_BACKUP), 1);
	assert_int_equal(jobs_count_category(jobs, TSP_CAT_BACKUP_COPY), 1);
	assert_int_equal(jobs_count_category(jobs, TSP_CAT_REPLICATION), 0);
	assert_int_equal(jobs_count(jobs), 2);
	jobs_free(jobs);
}

static void test_open_existing_keeps_entry(void **state)
{
	struct jobs *jobs = table(10, 10, 60);
	struct job *job, *again = NULL;
	struct job_task *task, *task_again = NULL;

	(void)state;
	job = open_job(jobs, "acme", TSP_CAT_BACKUP, "j1", 1);
	task = open_task(jobs, job, "t1", 2);
	assert_int_equal(jobs_open(jobs, "acme", TSP_CAT_BACKUP, "j1", &agent_linux, 5, &again), JOBS_EXISTS);
	assert_ptr_equal(again, job);
	assert_int_equal(job->desc.origin, TSP_ORIGIN_VBR); /* not rewritten by a bare open */
	assert_true(job->opened_at == 1);
	assert_true(job->last_activity == 5);
	assert_int_equal(jobs_open_task(jobs, job, "t1", 6, &task_again), JOBS_EXISTS);
	assert_ptr_equal(task_again, task);
	assert_int_equal(job->task_count, 1);
	jobs_describe(job, &agent_linux);
	assert_int_equal(job->desc.origin, TSP_ORIGIN_AGENT);
	jobs_free(jobs);
}

static void test_size_bound(void **state)
{
	struct jobs *jobs = table(3, 10, 60);
	struct job *job = NULL;

	(void)state;
	open_job(jobs, "acme", TSP_CAT_BACKUP, "j1", 1);
	open_job(jobs, "acme", TSP_CAT_BACKUP, "j2", 1);
	open_job(jobs, "globex", TSP_CAT_BACKUP, "j1", 1);
	assert_true(jobs_full(jobs));
	assert_int_equal(jobs_open(jobs, "acme", TSP_CAT_BACKUP, "j3", &vbr_vsphere, 2, &job), JOBS_FULL);
	assert_null(job);
	assert_null(jobs_find(jobs, "acme", TSP_CAT_BACKUP, "j3"));
	/* an open of a job that is there is not an addition */
	assert_int_equal(jobs_open(jobs, "acme", TSP_CAT_BACKUP, "j1", &vbr_vsphere, 2, NULL), JOBS_EXISTS);
	/* a new tenant does not get a slot either, and leaves nothing behind */
	assert_int_equal(jobs_open(jobs, "initech", TSP_CAT_BACKUP, "j1", &vbr_vsphere, 2, NULL), JOBS_FULL);
	assert_null(jobs_find_tenant(jobs, "initech"));
	jobs_close(jobs, jobs_find(jobs, "acme", TSP_CAT_BACKUP, "j2"));
	assert_false(jobs_full(jobs));
	open_job(jobs, "acme", TSP_CAT_BACKUP, "j3", 3);
	assert_int_equal(jobs_count(jobs), 3);
	jobs_free(jobs);
}

static void test_tasks_per_job_bound(void **state)
{
	struct jobs *jobs = table(10, 2, 60);
	struct job *a, *b;
	struct job_task *task = NULL;

	(void)state;
	a = open_job(jobs, "acme", TSP_CAT_BACKUP, "a", 1);
	b = open_job(jobs, "acme", TSP_CAT_BACKUP, "b", 1);
	open_task(jobs, a, "t1", 2);
	open_task(jobs, a, "t2", 2);
	assert_true(jobs_tasks_full(jobs, a));
	assert_int_equal(jobs_open_task(jobs, a, "t3", 3, &task), JOBS_FULL);
	assert_null(task);
	assert_int_equal(jobs_open_task(jobs, a, "t1", 3, NULL), JOBS_EXISTS);
	open_task(jobs, b, "t1", 3); /* the bound is per job */
	jobs_close_task(jobs, jobs_find_task(a, "t1"));
	open_task(jobs, a, "t3", 4);
	assert_int_equal(a->task_count, 2);
	assert_int_equal(jobs_task_count(jobs), 3);
	jobs_free(jobs);
}

static void test_table_wide_task_bound(void **state)
{
	struct jobs_limits limits;
	struct jobs *jobs;
	struct job *a, *b;

	(void)state;
	jobs_limits_default(&limits);
	limits.max_all_tasks = 3;
	jobs = jobs_new(&limits);
	assert_non_null(jobs);
	a = open_job(jobs, "acme", TSP_CAT_BACKUP, "a", 1);
	b = open_job(jobs, "globex", TSP_CAT_BACKUP, "b", 1);
	open_task(jobs, a, "t1", 1);
	open_task(jobs, a, "t2", 1);
	open_task(jobs, b, "t1", 1);
	assert_int_equal(jobs_open_task(jobs, b, "t2", 1, NULL), JOBS_FULL);
	jobs_close(jobs, a);
	open_task(jobs, b, "t2", 2);
	jobs_free(jobs);
}

static void test_bad_names(void **state)
{
	struct jobs *jobs = table(10, 10, 60);
	char long_id[TSP_ID_MAX + 2];
	struct job *job;

	(void)state;
	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0'; /* 65 characters: one too many */
	assert_int_equal(jobs_open(jobs, "", TSP_CAT_BACKUP, "j", &vbr_vsphere, 1, NULL), JOBS_BAD_NAME);
	assert_int_equal(jobs_open(jobs, "acme", TSP_CAT_BACKUP, "", &vbr_vsphere, 1, NULL), JOBS_BAD_NAME);
	assert_int_equal(jobs_open(jobs, long_id, TSP_CAT_BACKUP, "j", &vbr_vsphere, 1, NULL), JOBS_BAD_NAME);
	assert_int_equal(jobs_open(jobs, "acme", TSP_CAT_BACKUP, long_id, &vbr_vsphere, 1, NULL),
			 JOBS_BAD_NAME);
	assert_int_equal(jobs_open(jobs, "acme", TSP_CAT_COUNT, "j", &vbr_vsphere, 1, NULL), JOBS_BAD_NAME);
	assert_null(jobs_find(jobs, "acme", TSP_CAT_BACKUP, long_id));
	long_id[TSP_ID_MAX] = '\0'; /* exactly 64: fine */
	job = open_job(jobs, "acme", TSP_CAT_BACKUP, long_id, 1);
	assert_int_equal(jobs_open_task(jobs, job, "", 1, NULL), JOBS_BAD_NAME);
	open_task(jobs, job, long_id, 1);
	assert_int_equal(jobs_count(jobs), 1);
	jobs_free(jobs);
}

struct expiry_log {
	int jobs, tasks;
	char last[3 * (TSP_ID_MAX + 1)];
};

static void note_expired(void *ctx, const struct job *job, const struct job_task *task)
{
	struct expiry_log *log = ctx;

	if (task != NULL)
		log->tasks++;
	else
		log->jobs++;
	snprintf(log->last, sizeof(log->last), "%s/%s/%s", job->tenant->name, job->key.id,
		 task != NULL ? task->id : "-");
}

static void test_expiry_removes_idle_jobs(void **state)
{
	struct jobs *jobs = table(10, 10, 60);
	struct expiry_log log = { 0, 0, "" };
	struct job *old, *young;

	(void)state;
	old = open_job(jobs, "acme", TSP_CAT_BACKUP, "old", 0);
	open_task(jobs, old, "t1", 10);
	young = open_job(jobs, "acme", TSP_CAT_BACKUP, "young", 30);
	assert_int_equal(jobs_expire(jobs, 69.9, note_expired, &log), 0);
	assert_int_equal(jobs_expire(jobs, 70, note_expired, &log), 1);
	assert_int_equal(log.jobs, 1);
	assert_int_equal(log.tasks, 0); /* its task went with it, unreported */
	assert_string_equal(log.last, "acme/old/-");
	assert_null(jobs_find(jobs, "acme", TSP_CAT_BACKUP, "old"));
	assert_ptr_equal(jobs_find(jobs, "acme", TSP_CAT_BACKUP, "young"), young);
	assert_int_equal(jobs_task_count(jobs), 0);
	assert_int_equal(jobs_expire(jobs, 90, NULL, NULL), 1);
	assert_int_equal(jobs_count(jobs), 0);
	assert_int_equal(jobs_tenant_count(jobs), 0);
	jobs_free(jobs);
}

static void test_activity_defers_expiry(void **state)
{
	struct jobs *jobs = table(10, 10, 60);
	struct job *job;
	struct job_task *task;

	(void)state;
	job = open_job(jobs, "acme", TSP_CAT_BACKUP, "j", 0);
	task = open_task(jobs, job, "t", 0);
	assert_true(jobs_count_bytes(jobs, "acme", TSP_CAT_BACKUP, "j", "t", 4096, 50));
	assert_true(task->bytes == 4096);
	assert_true(jobs_count_bytes(jobs, "acme", TSP_CAT_BACKUP, "j", "t", 100, 55));
	assert_true(task->bytes == 4196);
	assert_false(jobs_count_bytes(jobs, "acme", TSP_CAT_BACKUP, "j", "nope", 1, 55));
	assert_false(jobs_count_bytes(jobs, "globex", TSP_CAT_BACKUP, "j", "t", 1, 55));
	assert_int_equal(jobs_expire(jobs, 100, NULL, NULL), 0);
	assert_int_equal(jobs_expire(jobs, 115, NULL, NULL), 1);
	jobs_free(jobs);
}

static void test_abandoned_task_expires_alone(void **state)
{
	struct jobs *jobs = table(10, 10, 60);
	struct expiry_log log = { 0, 0, "" };
	struct job *job;
	struct job_task *live;

	(void)state;
	job = open_job(jobs, "acme", TSP_CAT_BACKUP, "j", 0);
	open_task(jobs, job, "dead", 0);
	live = open_task(jobs, job, "live", 0);
	jobs_touch(jobs, job, live, 40);
	assert_int_equal(jobs_expire(jobs, 61, note_expired, &log), 1);
	assert_int_equal(log.tasks, 1);
	assert_string_equal(log.last, "acme/j/dead");
	assert_ptr_equal(jobs_find(jobs, "acme", TSP_CAT_BACKUP, "j"), job);
	assert_null(jobs_find_task(job, "dead"));
	assert_non_null(jobs_find_task(job, "live"));
	assert_int_equal(job->task_count, 1);
	jobs_free(jobs);
}

static void test_expiry_zero_means_never(void **state)
{
	struct jobs *jobs = table(10, 10, 0);

	(void)state;
	open_job(jobs, "acme", TSP_CAT_BACKUP, "j", 0);
	assert_int_equal(jobs_expire(jobs, 1e9, NULL, NULL), 0);
	assert_int_equal(jobs_count(jobs), 1);
	jobs_free(jobs);
}

static void test_draining_counts_follow_removals(void **state)
{
	struct jobs *jobs = table(10, 10, 60);
	struct job *a, *b;
	struct job_task *t1, *t2, *t3;
	const struct jobs_tenant *tenant;

	(void)state;
	a = open_job(jobs, "acme", TSP_CAT_BACKUP, "a", 0);
	b = open_job(jobs, "acme", TSP_CAT_BACKUP, "b", 0);
	t1 = open_task(jobs, a, "t1", 0);
	t2 = open_task(jobs, a, "t2", 0);
	t3 = open_task(jobs, b, "t3", 0);
	jobs_set_task_draining(jobs, t1, true);
	jobs_set_task_draining(jobs, t1, true); /* idempotent */
	jobs_set_task_draining(jobs, t2, true);
	jobs_set_task_draining(jobs, t3, true);
	jobs_set_job_draining(jobs, b, true);
	assert_int_equal(jobs_draining_tasks(jobs), 3);
	assert_int_equal(jobs_draining_jobs(jobs), 1);
	tenant = jobs_find_tenant(jobs, "acme");
	assert_int_equal(tenant->draining_tasks, 3);
	assert_int_equal(tenant->draining_jobs, 1);
	assert_int_equal(a->draining_tasks, 2);
	jobs_close_task(jobs, t1);
	assert_int_equal(jobs_draining_tasks(jobs), 2);
	jobs_set_task_draining(jobs, t2, false);
	assert_int_equal(jobs_draining_tasks(jobs), 1);
	jobs_close(jobs, b); /* the job and its draining task */
	assert_int_equal(jobs_draining_tasks(jobs), 0);
	assert_int_equal(jobs_draining_jobs(jobs), 0);
	assert_int_equal(tenant->draining_tasks, 0);
	/* expiry keeps the counts exact too */
	jobs_set_task_draining(jobs, t2, true);
	assert_int_equal(jobs_expire(jobs, 60, NULL, NULL), 1);
	assert_int_equal(jobs_draining_tasks(jobs), 0);
	jobs_free(jobs);
}

/* Two connections of one tenant: the table is process-wide, so a task opened
 * on one is found, written and closed from the other. */
static void test_cross_connection_use(void **state)
{
	struct jobs *jobs = table(10, 10, 60);
	struct job *on_first, *on_second;

	(void)state;
	on_first = open_job(jobs, "acme", TSP_CAT_BACKUP, "nightly", 0); /* connection 1 */
	on_second = jobs_find(jobs, "acme", TSP_CAT_BACKUP, "nightly");  /* connection 2 */
	assert_ptr_equal(on_first, on_second);
	open_task(jobs, on_second, "vm-1", 1);                                          /* connection 2 */
	open_task(jobs, jobs_find(jobs, "acme", TSP_CAT_BACKUP, "nightly"), "vm-2", 1); /* 3 */
	assert_true(jobs_count_bytes(jobs, "acme", TSP_CAT_BACKUP, "nightly", "vm-1", 10, 2));
	jobs_close_task(jobs, jobs_find_task(jobs_find(jobs, "acme", TSP_CAT_BACKUP, "nightly"),
					     "vm-1")); /* connection 1 */
	assert_int_equal(on_first->task_count, 1);
	jobs_close(jobs, jobs_find(jobs, "acme", TSP_CAT_BACKUP, "nightly")); /* connection 3 */
	assert_int_equal(jobs_count(jobs), 0);
	assert_int_equal(jobs_task_count(jobs), 0);
	jobs_free(jobs);
}

struct walk {
	int tenants, jobs, tasks;
	char order[128];
};

static void walk_task(void *ctx, const struct job_task *task)
{
	struct walk *w = ctx;

	w->tasks++;
	strncat(w->order, task->id, sizeof(w->order) - strlen(w->order) - 1);
	strncat(w->order, " ", sizeof(w->order) - strlen(w->order) - 1);
}

static void walk_job(void *ctx, const struct job *job)
{
	struct walk *w = ctx;

	w->jobs++;
	strncat(w->order, job->key.id, sizeof(w->order) - strlen(w->order) - 1);
	strncat(w->order, ": ", sizeof(w->order) - strlen(w->order) - 1);
	jobs_foreach_task(job, walk_task, w);
}

static void walk_tenant(void *ctx, const struct jobs_tenant *tenant)
{
	struct walk *w = ctx;

	w->tenants++;
	strncat(w->order, tenant->name, sizeof(w->order) - strlen(w->order) - 1);
	strncat(w->order, "| ", sizeof(w->order) - strlen(w->order) - 1);
	jobs_foreach_job(tenant, walk_job, w);
}

static void test_iteration_in_insertion_order(void **state)
{
	struct jobs *jobs = table(10, 10, 60);
	struct walk w = { 0, 0, 0, "" };
	struct job *a, *c;

	(void)state;
	a = open_job(jobs, "acme", TSP_CAT_BACKUP, "a", 0);
	open_job(jobs, "acme", TSP_CAT_BACKUP, "b", 0);
	c = open_job(jobs, "globex", TSP_CAT_REPLICATION, "c", 0);
	open_task(jobs, a, "t1", 0);
	open_task(jobs, a, "t2", 0);
	open_task(jobs, c, "t3", 0);
	jobs_foreach_tenant(jobs, walk_tenant, &w);
	assert_int_equal(w.tenants, 2);
	assert_int_equal(w.jobs, 3);
	assert_int_equal(w.tasks, 3);
	assert_string_equal(w.order, "acme| a: t1 t2 b: globex| c: t3 ");
	jobs_free(jobs);
}

static void mark_all(void *ctx, struct jobs *jobs, struct job *job)
{
	int *seen = ctx;

	(*seen)++;
	jobs_set_job_draining(jobs, job, true);
}

static void test_mutable_walk(void **state)
{
	struct jobs *jobs = table(10, 10, 60);
	int seen = 0;

	(void)state;
	open_job(jobs, "acme", TSP_CAT_BACKUP, "a", 0);
	open_job(jobs, "globex", TSP_CAT_BACKUP, "a", 0);
	jobs_foreach_job_mut(jobs, mark_all, &seen);
	assert_int_equal(seen, 2);
	assert_int_equal(jobs_draining_jobs(jobs), 2);
	jobs_free(jobs);
}

static void test_set_limits(void **state)
{
	struct jobs *jobs = table(5, 10, 60);
	struct jobs_limits limits = *jobs_limits(jobs);

	(void)state;
	open_job(jobs, "acme", TSP_CAT_BACKUP, "a", 0);
	open_job(jobs, "acme", TSP_CAT_BACKUP, "b", 0);
	limits.max_jobs = 1;
	assert_true(jobs_set_limits(jobs, &limits));
	assert_int_equal(jobs_count(jobs), 2); /* nothing evicted */
	assert_int_equal(jobs_open(jobs, "acme", TSP_CAT_BACKUP, "c", &vbr_vsphere, 0, NULL), JOBS_FULL);
	limits.max_jobs = 0;
	assert_false(jobs_set_limits(jobs, &limits));
	assert_int_equal(jobs_limits(jobs)->max_jobs, 1);
	jobs_free(jobs);
}

static void test_learned_flag(void **state)
{
	struct jobs *jobs = table(5, 10, 60);
	struct job *job;
	struct job_task *task;

	(void)state;
	job = open_job(jobs, "acme", TSP_CAT_BACKUP, "a", 0);
	task = open_task(jobs, job, "t", 0);
	jobs_mark_learned(job, NULL);
	jobs_mark_learned(job, task);
	assert_true(job->learned);
	assert_true(task->learned);
	jobs_describe(job, &agent_linux); /* its open was seen after all */
	assert_false(job->learned);
	jobs_free(jobs);
}

/* xorshift: deterministic, so a failure reproduces. */
static uint32_t next_random(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* Random opens, closes and expiry against a small model of which
 * (tenant, job, task) triples exist; counts must always agree. */
static size_t model_count(const bool *flags, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		count += flags[i];
	return count;
}

/* Random opens, closes and expiry against a small model of which
 * (tenant, job, task) triples exist; results and counts must always agree. */
static void test_random_against_model(void **state)
{
	enum { TENANTS = 3, JOBS = 4, TASKS = 3, MAX_JOBS = 8, MAX_TASKS = 2 };
	static const char *const tenants[TENANTS] = { "acme", "globex", "initech" };
	static const char *const ids[JOBS] = { "j0", "j1", "j2", "j3" };
	static const char *const task_ids[TASKS] = { "t0", "t1", "t2" };
	bool job_open[TENANTS][JOBS] = { { false } };
	bool task_open[TENANTS][JOBS][TASKS] = { { { false } } };
	struct jobs *jobs = table(MAX_JOBS, MAX_TASKS, 1e9);
	uint32_t seed = 12345u;
	int step;

	(void)state;
	for (step = 0; step < 20000; step++) {
		unsigned t = next_random(&seed) % TENANTS, j = next_random(&seed) % JOBS;
		unsigned k = next_random(&seed) % TASKS, op = next_random(&seed) % 4;
		struct job *job = jobs_find(jobs, tenants[t], TSP_CAT_BACKUP, ids[j]);
		size_t jobs_now = model_count(&job_open[0][0], TENANTS * JOBS);
		size_t tasks_in_job = model_count(task_open[t][j], TASKS);
		enum jobs_result r;

		assert_int_equal(job != NULL, job_open[t][j]);
		if (op == 0) {
			r = jobs_open(jobs, tenants[t], TSP_CAT_BACKUP, ids[j], &vbr_vsphere, step, NULL);
			assert_int_equal(r, job_open[t][j]         ? JOBS_EXISTS
					    : jobs_now >= MAX_JOBS ? JOBS_FULL
								   : JOBS_OK);
			job_open[t][j] = true;
			if (r == JOBS_FULL)
				job_open[t][j] = false;
		} else if (op == 1 && job != NULL) {
			r = jobs_open_task(jobs, job, task_ids[k], step, NULL);
			assert_int_equal(r, task_open[t][j][k]          ? JOBS_EXISTS
					    : tasks_in_job >= MAX_TASKS ? JOBS_FULL
									: JOBS_OK);
			if (r == JOBS_OK)
				task_open[t][j][k] = true;
		} else if (op == 2 && job != NULL) {
			struct job_task *task = jobs_find_task(job, task_ids[k]);

			assert_int_equal(task != NULL, task_open[t][j][k]);
			if (task != NULL)
				jobs_close_task(jobs, task);
			task_open[t][j][k] = false;
		} else if (op == 3 && job != NULL) {
			jobs_close(jobs, job);
			job_open[t][j] = false;
			memset(task_open[t][j], 0, sizeof(task_open[t][j]));
		}
		assert_int_equal(jobs_count(jobs), model_count(&job_open[0][0], TENANTS * JOBS));
		assert_int_equal(jobs_task_count(jobs),
				 model_count(&task_open[0][0][0], TENANTS * JOBS * TASKS));
	}
	jobs_free(jobs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_rejects_zero_limits),
		cmocka_unit_test(test_open_find_fields),
		cmocka_unit_test(test_tenant_isolation),
		cmocka_unit_test(test_category_is_part_of_key),
		cmocka_unit_test(test_open_existing_keeps_entry),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_tasks_per_job_bound),
		cmocka_unit_test(test_table_wide_task_bound),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_expiry_removes_idle_jobs),
		cmocka_unit_test(test_activity_defers_expiry),
		cmocka_unit_test(test_abandoned_task_expires_alone),
		cmocka_unit_test(test_expiry_zero_means_never),
		cmocka_unit_test(test_draining_counts_follow_removals),
		cmocka_unit_test(test_cross_connection_use),
		cmocka_unit_test(test_iteration_in_insertion_order),
		cmocka_unit_test(test_mutable_walk),
		cmocka_unit_test(test_set_limits),
		cmocka_unit_test(test_learned_flag),
		cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
