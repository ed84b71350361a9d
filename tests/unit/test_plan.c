/* tests/unit/test_plan.c: the dry run of maintenance (proxy/policy/plan.h)
 * with the fake clock of the policy fixture. */
#include "autoconfig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_fixture.h"
#include "policy/plan.h"

#define MIB (1024u * 1024u)

/* ---- the tenant's side ---- */

static void open_job(struct fixture *f, enum tsp_category cat, const char *tenant, const char *job,
		     enum tsp_origin origin)
{
	enum tsp_workload workload = origin == TSP_ORIGIN_AGENT ? TSP_WORKLOAD_LINUX : TSP_WORKLOAD_VSPHERE;
	struct tsp_request req = fx_request(cat, TSP_ROLE_JOB_OPEN, tenant, job, "");

	req.origin = origin;
	req.workload = workload;
	if (cat == TSP_CAT_RESTORE) {
		snprintf(req.source, sizeof req.source, "%s", "src");
		req.source_category = TSP_CAT_BACKUP;
	}
	assert_int_equal(fx_send_status(f, &req, 201).verdict, POLICY_FORWARD);
}

static void task_message(struct fixture *f, enum tsp_category cat, enum tsp_role role, const char *tenant,
			 const char *job, const char *task, uint32_t bytes, enum tsp_result result)
{
	struct tsp_request req = fx_request(cat, role, tenant, job, task);

	req.body_bytes = bytes;
	req.result = result;
	assert_int_equal(fx_send_status(f, &req, role == TSP_ROLE_TASK_CLOSE ? 200 : 201).verdict,
			 POLICY_FORWARD);
}

static void open_task(struct fixture *f, const char *tenant, const char *job, const char *task)
{
	task_message(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, tenant, job, task, 0, TSP_RESULT_NONE);
}

static void write_block(struct fixture *f, const char *tenant, const char *job, const char *task,
			uint32_t bytes)
{
	task_message(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, tenant, job, task, bytes, TSP_RESULT_NONE);
}

static void close_task(struct fixture *f, const char *tenant, const char *job, const char *task)
{
	task_message(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, tenant, job, task, 0, TSP_RESULT_SUCCESS);
}

/* ---- reading the plan ---- */

static struct plan *build(struct fixture *f, enum policy_mode mode, const char *const *only,
			  size_t only_count)
{
	struct plan_settings s = { mode, POLICY_CATEGORIES_DEFAULT, only, only_count };
	struct plan *plan = plan_build(f->policy, f->jobs, &s, f->now);

	assert_non_null(plan);
	return plan;
}

static const struct plan_tenant *tenant_of(const struct plan *plan, const char *name)
{
	for (size_t i = 0; i < plan->tenant_count; i++)
		if (strcmp(plan->tenants[i].name, name) == 0)
			return &plan->tenants[i];
	return NULL;
}

static const struct plan_item *item_of(const struct plan *plan, const char *tenant, enum plan_item_kind kind,
				       const char *job, const char *task)
{
	const struct plan_tenant *t = tenant_of(plan, tenant);

	if (t == NULL)
		return NULL;
	for (size_t i = t->first_item; i < t->first_item + t->item_count; i++) {
		const struct plan_item *item = &plan->items[i];

		if (item->kind == kind && strcmp(item->job, job) == 0 && strcmp(item->task, task) == 0)
			return item;
	}
	return NULL;
}

/* ---- tests ---- */

/* Three tasks of one job: t0 completed (4 MiB, the job's history), t1
 * half way at 1 MiB/s, t2 opened without a write. */
static void test_progress_and_estimates(void **state)
{
	struct fixture *f = *state;
	const struct plan_item *t1, *t2;
	struct plan *plan;

	open_job(f, TSP_CAT_BACKUP, "acme", "J", TSP_ORIGIN_VBR);
	open_task(f, "acme", "J", "t0");
	for (int i = 0; i < 4; i++)
		write_block(f, "acme", "J", "t0", MIB);
	close_task(f, "acme", "J", "t0");
	open_task(f, "acme", "J", "t1");
	f->now += 1;
	write_block(f, "acme", "J", "t1", MIB);
	f->now += 1;
	write_block(f, "acme", "J", "t1", MIB);
	open_task(f, "acme", "J", "t2");
	f->now += 3; /* t1: 2 MiB in 5 s since it opened, last write 3 s ago */

	plan = build(f, POLICY_MODE_DRAIN, NULL, 0);
	t1 = item_of(plan, "acme", PLAN_TASK, "J", "t1");
	t2 = item_of(plan, "acme", PLAN_TASK, "J", "t2");
	assert_non_null(t1);
	assert_non_null(t2);
	assert_null(item_of(plan, "acme", PLAN_TASK, "J", "t0")); /* closed */
	assert_false(t1->cut);
	assert_int_equal(t1->progress.writes, 2);
	assert_int_equal(t1->progress.bytes, 2 * MIB);
	assert_true(t1->progress.opened_at == 1000);
	assert_true(t1->progress.last_write == 1002);
	assert_true(t1->progress.rate == 2.0 * MIB / 5);
	assert_int_equal(t1->progress.expected_bytes, 4 * MIB);
	assert_true(t1->progress.estimated);
	assert_true(fabs(t1->progress.seconds_left - 5.0) < 1e-9); /* 2 MiB more at 0.4 MiB/s */
	assert_int_equal(t2->progress.writes, 0);
	assert_true(t2->progress.rate == 0);
	assert_false(t2->progress.estimated); /* no write: the rate says nothing */
	assert_non_null(item_of(plan, "acme", PLAN_REFUSED_JOB, "J", ""));
	assert_int_equal(plan->totals.tasks, 2);
	assert_int_equal(plan->totals.refused_jobs, 1);
	assert_int_equal(plan->totals.unknown, 1);
	assert_true(plan->totals.estimated);
	assert_true(fabs(plan->totals.seconds_left - 5.0) < 1e-9);
	assert_int_equal(plan->tenants_total, 1);
	assert_false(plan->truncated);
	plan_free(plan);
}

/* A task with no completed task in its job has no expected size; a task
 * past the job's mean is not guessed at either. */
static void test_unknown_without_history(void **state)
{
	struct fixture *f = *state;
	struct plan *plan;
	const struct plan_item *item;

	open_job(f, TSP_CAT_BACKUP, "acme", "J", TSP_ORIGIN_VBR);
	open_task(f, "acme", "J", "t1");
	f->now += 2;
	write_block(f, "acme", "J", "t1", MIB);
	plan = build(f, POLICY_MODE_DRAIN, NULL, 0);
	item = item_of(plan, "acme", PLAN_TASK, "J", "t1");
	assert_non_null(item);
	assert_true(item->progress.rate == MIB / 2.0);
	assert_int_equal(item->progress.expected_bytes, 0);
	assert_false(item->progress.estimated);
	assert_false(plan->totals.estimated);
	plan_free(plan);

	open_task(f, "acme", "J", "t0");
	write_block(f, "acme", "J", "t0", MIB / 2);
	close_task(f, "acme", "J", "t0"); /* the mean is now 0.5 MiB, t1 wrote 1 */
	plan = build(f, POLICY_MODE_DRAIN, NULL, 0);
	item = item_of(plan, "acme", PLAN_TASK, "J", "t1");
	assert_int_equal(item->progress.expected_bytes, MIB / 2);
	assert_false(item->progress.estimated);
	plan_free(plan);
}

static void two_tenants(struct fixture *f)
{
	open_job(f, TSP_CAT_BACKUP, "acme", "J1", TSP_ORIGIN_VBR);
	open_task(f, "acme", "J1", "vm");
	open_job(f, TSP_CAT_BACKUP, "beta", "J2", TSP_ORIGIN_VBR);
	open_task(f, "beta", "J2", "vm");
	open_job(f, TSP_CAT_BACKUP_COPY, "beta", "C", TSP_ORIGIN_VBR); /* between tasks */
}

static void test_tenant_filter(void **state)
{
	struct fixture *f = *state;
	const char *const only[] = { "beta", "nobody" };
	struct plan *plan;

	two_tenants(f);
	plan = build(f, POLICY_MODE_DRAIN, only, 2);
	assert_int_equal(plan->tenant_count, 1);
	assert_null(tenant_of(plan, "acme"));
	assert_non_null(tenant_of(plan, "beta"));
	assert_int_equal(plan->tenants_total, 1);
	assert_int_equal(plan->totals.tasks, 1);
	assert_int_equal(plan->totals.refused_jobs, 2); /* J2 and the copy job C */
	assert_non_null(item_of(plan, "beta", PLAN_REFUSED_JOB, "C", ""));
	plan_free(plan);

	plan = build(f, POLICY_MODE_DRAIN, NULL, 0);
	assert_int_equal(plan->tenant_count, 2);
	assert_int_equal(plan->totals.tasks, 2);
	plan_free(plan);
}

/* Drain: the agent job finishes as a whole, later tasks included (R2);
 * block: everything is cut at once and every job's later tasks refused (R8). */
static void test_drain_and_block(void **state)
{
	struct fixture *f = *state;
	const struct plan_item *item;
	struct plan *plan;

	open_job(f, TSP_CAT_BACKUP, "acme", "vbr", TSP_ORIGIN_VBR);
	open_task(f, "acme", "vbr", "vm");
	open_job(f, TSP_CAT_BACKUP, "acme", "laptop", TSP_ORIGIN_AGENT);
	open_task(f, "acme", "laptop", "disk0");
	f->now += 4;
	write_block(f, "acme", "laptop", "disk0", 3 * MIB);

	plan = build(f, POLICY_MODE_DRAIN, NULL, 0);
	item = item_of(plan, "acme", PLAN_WHOLE_JOB, "laptop", "");
	assert_non_null(item);
	assert_false(item->cut);
	assert_false(item->session);
	assert_int_equal(item->open_tasks, 1);
	assert_int_equal(item->progress.bytes, 3 * MIB);
	assert_int_equal(item->progress.writes, 1);
	assert_false(item->progress.estimated); /* its later tasks are not announced */
	assert_null(item_of(plan, "acme", PLAN_TASK, "laptop", "disk0"));
	assert_null(item_of(plan, "acme", PLAN_REFUSED_JOB, "laptop", ""));
	assert_non_null(item_of(plan, "acme", PLAN_REFUSED_JOB, "vbr", ""));
	assert_int_equal(plan->totals.whole_jobs, 1);
	assert_int_equal(plan->totals.tasks, 1);
	assert_int_equal(plan->totals.refused_jobs, 1);
	assert_int_equal(plan->totals.unknown, 2);
	plan_free(plan);

	plan = build(f, POLICY_MODE_BLOCK, NULL, 0);
	assert_true(item_of(plan, "acme", PLAN_WHOLE_JOB, "laptop", "")->cut);
	assert_true(item_of(plan, "acme", PLAN_TASK, "vbr", "vm")->cut);
	assert_non_null(item_of(plan, "acme", PLAN_REFUSED_JOB, "laptop", ""));
	assert_non_null(item_of(plan, "acme", PLAN_REFUSED_JOB, "vbr", ""));
	assert_int_equal(plan->totals.refused_jobs, 2);
	assert_int_equal(plan->totals.unknown, 0); /* nothing waits */
	assert_false(plan->totals.estimated);
	plan_free(plan);
}

static void test_disabled_tenant(void **state)
{
	struct fixture *f = *state;
	char acme[] = "acme";
	char *disabled[] = { acme };
	struct plan *plan;

	two_tenants(f);
	f->settings.disabled_tenants = disabled;
	f->settings.disabled_count = 1;
	fx_apply(f);
	plan = build(f, POLICY_MODE_DRAIN, NULL, 0);
	assert_null(tenant_of(plan, "acme"));
	assert_non_null(tenant_of(plan, "beta"));
	assert_int_equal(plan->skipped_disabled, 1);
	assert_int_equal(plan->tenants_total, 1);
	plan_free(plan);
}

static void test_scope_and_exempt(void **state)
{
	struct fixture *f = *state;
	char acme[] = "acme", beta[] = "beta";
	char *scope[] = { acme };
	char *exempt[] = { beta };
	struct plan *plan;

	two_tenants(f);
	open_job(f, TSP_CAT_BACKUP, "gamma", "G", TSP_ORIGIN_VBR);
	f->settings.scope_tenants = scope;
	f->settings.scope_count = 1;
	fx_apply(f);
	plan = build(f, POLICY_MODE_DRAIN, NULL, 0);
	assert_non_null(tenant_of(plan, "acme"));
	assert_int_equal(plan->tenant_count, 1);
	assert_int_equal(plan->skipped_out_of_scope, 2);
	plan_free(plan);

	f->settings.scope_count = 0;
	f->settings.exempt_tenants = exempt;
	f->settings.exempt_count = 1;
	fx_apply(f);
	plan = build(f, POLICY_MODE_DRAIN, NULL, 0);
	assert_null(tenant_of(plan, "beta"));
	assert_int_equal(plan->skipped_exempt, 1);
	assert_int_equal(plan->tenant_count, 2); /* acme, gamma */
	plan_free(plan);
}

/* A restic session drains as a whole, with the writes it made. */
static void test_session(void **state)
{
	struct fixture *f = *state;
	static const struct job_desc desc = { TSP_ORIGIN_NONE, TSP_WORKLOAD_NONE, TSP_OP_NONE };
	const struct plan_item *item;
	struct job *job;
	struct plan *plan;

	assert_int_equal(jobs_open(f->jobs, "acme", TSP_CAT_BACKUP, "s1", &desc, f->now, &job), JOBS_OK);
	assert_true(jobs_attach_session(job, "/acme/main", "127.0.0.1"));
	job->session->writes = 3;
	job->session->bytes = 3000;
	f->now += 10;
	plan = build(f, POLICY_MODE_DRAIN, NULL, 0);
	item = item_of(plan, "acme", PLAN_WHOLE_JOB, "s1", "");
	assert_non_null(item);
	assert_true(item->session);
	assert_int_equal(item->progress.writes, 3);
	assert_int_equal(item->progress.bytes, 3000);
	assert_true(item->progress.rate == 300);
	assert_false(item->progress.estimated);
	assert_null(item_of(plan, "acme", PLAN_REFUSED_JOB, "s1", ""));
	plan_free(plan);
}

/* A restore (R5), and replication unless covered, are never listed. */
static void test_restore_never_listed(void **state)
{
	struct fixture *f = *state;
	struct plan_settings s = { POLICY_MODE_BLOCK,
				   POLICY_CATEGORIES_ALLOWED | POLICY_CATEGORY(TSP_CAT_RESTORE), NULL, 0 };
	struct tsp_request req;
	struct plan *plan;

	open_job(f, TSP_CAT_RESTORE, "acme", "R", TSP_ORIGIN_VBR);
	req = fx_request(TSP_CAT_RESTORE, TSP_ROLE_TASK_OPEN, "acme", "R", "vm");
	snprintf(req.source, sizeof req.source, "%s", "vm");
	assert_int_equal(fx_send_status(f, &req, 201).verdict, POLICY_FORWARD);
	req = fx_request(TSP_CAT_REPLICATION, TSP_ROLE_JOB_OPEN, "acme", "P", "");
	req.origin = TSP_ORIGIN_VBR;
	req.workload = TSP_WORKLOAD_VSPHERE;
	req.operation = TSP_OP_REPLICATE;
	assert_int_equal(fx_send_status(f, &req, 201).verdict, POLICY_FORWARD);

	plan = build(f, POLICY_MODE_BLOCK, NULL, 0);
	assert_int_equal(plan->tenant_count, 0);
	assert_int_equal(plan->tenants_total, 0);
	plan_free(plan);

	plan = plan_build(f->policy, f->jobs, &s, f->now); /* restore asked for: ignored */
	assert_non_null(plan);
	assert_int_equal(plan->tenant_count, 1);
	assert_non_null(item_of(plan, "acme", PLAN_REFUSED_JOB, "P", ""));
	assert_null(item_of(plan, "acme", PLAN_REFUSED_JOB, "R", ""));
	assert_int_equal(plan->totals.refused_jobs, 1);
	assert_false(plan->categories & POLICY_CATEGORY(TSP_CAT_RESTORE));
	plan_free(plan);
}

/* The plan changes nothing: no drain flag, no state, no generation. */
static void test_changes_nothing(void **state)
{
	struct fixture *f = *state;
	uint64_t generation;
	struct plan *plan;

	two_tenants(f);
	generation = policy_generation(f->policy);
	plan = build(f, POLICY_MODE_DRAIN, NULL, 0);
	plan_free(plan);
	assert_int_equal(policy_state(f->policy), POLICY_OFF);
	assert_int_equal(policy_generation(f->policy), generation);
	assert_int_equal(jobs_draining_tasks(f->jobs), 0);
	assert_int_equal(jobs_draining_jobs(f->jobs), 0);
	assert_forwarded(fx_open_job(f, TSP_CAT_BACKUP, "acme", "new", TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE,
				     TSP_OP_NONE),
			 POLICY_WHY_OFF);

	/* while on, the plan is the same as while off: the same hypothetical T */
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	generation = policy_generation(f->policy);
	plan = build(f, POLICY_MODE_DRAIN, NULL, 0);
	assert_int_equal(plan->totals.tasks, 2);
	plan_free(plan);
	assert_int_equal(policy_generation(f->policy), generation);
}

/* More tenants than are listed: counted all the same, and said. */
static void test_bounded(void **state)
{
	struct fixture *f = *state;
	struct jobs_limits limits;
	struct plan *plan;
	char name[16];

	jobs_limits_default(&limits);
	assert_true(jobs_set_limits(f->jobs, &limits));
	for (int i = 0; i < PLAN_TENANTS_MAX + 5; i++) {
		snprintf(name, sizeof name, "t%03d", i);
		open_job(f, TSP_CAT_BACKUP, name, "J", TSP_ORIGIN_VBR);
	}
	plan = build(f, POLICY_MODE_DRAIN, NULL, 0);
	assert_int_equal(plan->tenant_count, PLAN_TENANTS_MAX);
	assert_int_equal(plan->tenants_total, PLAN_TENANTS_MAX + 5);
	assert_int_equal(plan->totals.refused_jobs, PLAN_TENANTS_MAX + 5);
	assert_true(plan->truncated);
	assert_true(plan->item_count <= PLAN_ITEMS_MAX);
	plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_progress_and_estimates, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_without_history, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tenant_filter, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_drain_and_block, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_disabled_tenant, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_scope_and_exempt, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_session, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_never_listed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_changes_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bounded, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
