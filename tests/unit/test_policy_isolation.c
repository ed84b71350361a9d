/*
 * tests/unit/test_policy_isolation.c: tenants are adversaries of each other.
 * A party that names another tenant with a wrong secret (every answer 401)
 * must not remove that tenant's entries, nor keep entries alive; one
 * tenant must not fill the table for the others; a drain_timeout makes the
 * barrier honest. Each case plays the shell with requests in flight at once
 * (record now, answer later), as pipelining and several connections do.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy_fixture.h"

/* A request forwarded now, answered later. */
struct in_flight {
	struct tsp_request req;
	struct policy_record rec;
};

static void forward(struct fixture *f, struct in_flight *r, enum tsp_category cat, enum tsp_role role,
		    const char *tenant, const char *job, const char *task)
{
	r->req = fx_request(cat, role, tenant, job, task);
	if (role == TSP_ROLE_JOB_OPEN) {
		r->req.origin = TSP_ORIGIN_VBR;
		r->req.workload = TSP_WORKLOAD_VSPHERE;
	}
	assert_int_equal(policy_decide(f->policy, f->jobs, &r->req, f->now).verdict, POLICY_FORWARD);
	assert_true(policy_record(f->jobs, &r->req, f->now, &r->rec));
}

static void answer(struct fixture *f, struct in_flight *r, unsigned status)
{
	policy_settle(f->jobs, &r->req, &r->rec, status, f->now, NULL);
	fx_tick(f);
}

static const struct job_task *task_of(struct fixture *f, const char *tenant, const char *job,
				      const char *task)
{
	return jobs_find_task(jobs_find(f->jobs, tenant, TSP_CAT_BACKUP, job), task);
}

/* The forged open: A's open naming B with a wrong secret is answered
 * 401 after B opened the same job and a task for real. */
static void test_late_401_does_not_remove_the_job_another_opened(void **state)
{
	struct fixture *f = *state;
	struct in_flight forged, open, task;

	forward(f, &forged, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "globex", "J", "");
	forward(f, &open, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "globex", "J", "");
	answer(f, &open, 201);
	forward(f, &task, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "globex", "J", "vm1");
	answer(f, &task, 201);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
	answer(f, &forged, 401); /* the forged open's answer, last */
	assert_non_null(task_of(f, "globex", "J", "vm1"));
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING); /* the barrier does not lie */
	{
		struct tsp_request write =
			fx_request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "globex", "J", "vm1");

		assert_forwarded(fx_send_status(f, &write, 200), POLICY_WHY_TASK_AT_T); /* R1 */
	}
}

/* The same at task level: a forged task open answered after the real one. */
static void test_late_401_does_not_remove_the_task_another_opened(void **state)
{
	struct fixture *f = *state;
	struct in_flight forged, real;
	struct tsp_request write = fx_request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "globex", "J", "vm1");

	assert_forwarded(fx_open_job(f, TSP_CAT_BACKUP, "globex", "J", TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE,
				     TSP_OP_NONE),
			 POLICY_WHY_OFF);
	forward(f, &forged, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "globex", "J", "vm1");
	forward(f, &real, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "globex", "J", "vm1");
	answer(f, &real, 201);
	answer(f, &forged, 401);
	assert_non_null(task_of(f, "globex", "J", "vm1"));
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_forwarded(policy_decide(f->policy, f->jobs, &write, f->now), POLICY_WHY_TASK_AT_T);
}

/* What only forged requests created goes when their answers come, in any
 * order, and only when the last of them is answered. */
static void test_forged_opens_leave_nothing(void **state)
{
	struct fixture *f = *state;
	struct in_flight a, b, t;

	forward(f, &a, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "globex", "J", "");
	forward(f, &t, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "globex", "J", "vm1");
	forward(f, &b, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "globex", "J", "");
	answer(f, &a, 401);
	assert_non_null(task_of(f, "globex", "J", "vm1")); /* t and b still pending */
	answer(f, &t, 401);
	assert_non_null(jobs_find(f->jobs, "globex", TSP_CAT_BACKUP, "J")); /* b pending */
	answer(f, &b, 0);                                                   /* no answer at all */
	assert_int_equal(jobs_count(f->jobs), 0);
	assert_int_equal(jobs_task_count(f->jobs), 0);
}

/* An answer never acts on an entry created after its request was recorded. */
static void test_answer_ignores_a_recreated_entry(void **state)
{
	struct fixture *f = *state;
	struct in_flight old_close, forged, reopen;

	assert_forwarded(fx_open_job(f, TSP_CAT_BACKUP, "globex", "J", TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE,
				     TSP_OP_NONE),
			 POLICY_WHY_OFF);
	forward(f, &forged, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "globex", "J", "");
	forward(f, &old_close, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "globex", "J", "");
	answer(f, &old_close, 200); /* closed for real */
	forward(f, &reopen, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "globex", "J", "");
	answer(f, &forged, 401); /* held the old entry: must not touch the new one */
	assert_int_equal(jobs_find(f->jobs, "globex", TSP_CAT_BACKUP, "J")->pending, 1);
	answer(f, &reopen, 201);
	assert_non_null(jobs_find(f->jobs, "globex", TSP_CAT_BACKUP, "J"));
}

/* Item 3: only answers the repository accepted keep an entry alive. */
static void test_unauthenticated_traffic_keeps_nothing_alive(void **state)
{
	struct fixture *f = *state;
	struct tsp_request write = fx_request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "job", "t1");
	struct tsp_request close = fx_request(TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "acme", "job", "");

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE); /* at 1000 */
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	for (int i = 1; i <= 7; i++) { /* a wrong secret every 10 minutes for 70 minutes */
		f->now = 1000 + 600.0 * i;
		fx_send_status(f, &write, 401);
		fx_send_status(f, &close, 401);
		jobs_expire(f->jobs, f->now, NULL, NULL);
		fx_tick(f);
	}
	assert_int_equal(jobs_count(f->jobs), 0); /* expired after the idle expiry (3600 s) */
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
}

static void test_accepted_traffic_keeps_the_task_alive(void **state)
{
	struct fixture *f = *state;
	struct tsp_request write = fx_request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "job", "t1");

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	for (int i = 1; i <= 7; i++) {
		f->now = 1000 + 600.0 * i;
		assert_forwarded(fx_send_status(f, &write, 200), POLICY_WHY_TASK_AT_T);
		jobs_expire(f->jobs, f->now, NULL, NULL);
		fx_tick(f);
	}
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
}

/* Item 2: one tenant's share is bounded; the others still open jobs. */
static void test_one_tenant_cannot_fill_the_table(void **state)
{
	struct fixture *f = *state;
	struct jobs_limits limits = *jobs_limits(f->jobs);
	char id[16];
	struct policy_decision d;

	limits.max_tenant_jobs = 4;
	limits.max_tenant_tasks = 3;
	assert_true(jobs_set_limits(f->jobs, &limits));
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof id, "j%d", i);
		assert_forwarded(fx_open_job(f, TSP_CAT_BACKUP, "mallory", id, TSP_ORIGIN_VBR,
					     TSP_WORKLOAD_VSPHERE, TSP_OP_NONE),
				 POLICY_WHY_OFF);
	}
	d = fx_open_job(f, TSP_CAT_BACKUP, "mallory", "j4", TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE,
			TSP_OP_NONE);
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
	assert_int_equal(d.reason, POLICY_WHY_TABLE_FULL);
	assert_forwarded(fx_open_job(f, TSP_CAT_BACKUP, "acme", "nightly", TSP_ORIGIN_VBR,
				     TSP_WORKLOAD_VSPHERE, TSP_OP_NONE),
			 POLICY_WHY_OFF);
	/* tasks: three for mallory across jobs, then busy; acme's still open */
	for (int i = 0; i < 3; i++) {
		struct tsp_request t = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "mallory", "j0", "");

		snprintf(t.task, sizeof t.task, "t%d", i);
		assert_forwarded(fx_send_status(f, &t, 201), POLICY_WHY_OFF);
	}
	{
		struct tsp_request t = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "mallory", "j1", "t9");
		struct tsp_request mine =
			fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "acme", "nightly", "vm");

		assert_int_equal(fx_send_status(f, &t, 201).verdict, POLICY_REFUSE_BUSY);
		assert_forwarded(fx_send_status(f, &mine, 201), POLICY_WHY_OFF);
	}
}

/* Pending opens with a tenant's name and a wrong secret do not use up that
 * tenant's share: only entries the repository accepted count. */
static void test_pending_forged_opens_do_not_use_the_share(void **state)
{
	struct fixture *f = *state;
	struct jobs_limits limits = *jobs_limits(f->jobs);
	struct in_flight forged[4];
	char id[16];

	limits.max_tenant_jobs = 2;
	assert_true(jobs_set_limits(f->jobs, &limits));
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof id, "f%d", i);
		forward(f, &forged[i], TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "acme", id, "");
	}
	assert_forwarded(fx_open_job(f, TSP_CAT_BACKUP, "acme", "nightly", TSP_ORIGIN_VBR,
				     TSP_WORKLOAD_VSPHERE, TSP_OP_NONE),
			 POLICY_WHY_OFF);
	assert_forwarded(fx_open_job(f, TSP_CAT_BACKUP, "acme", "weekly", TSP_ORIGIN_VBR,
				     TSP_WORKLOAD_VSPHERE, TSP_OP_NONE),
			 POLICY_WHY_OFF);
	assert_int_equal(fx_open_job(f, TSP_CAT_BACKUP, "acme", "third", TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE,
				     TSP_OP_NONE)
				 .verdict,
			 POLICY_REFUSE_BUSY);
	for (int i = 0; i < 4; i++)
		answer(f, &forged[i], 401);
	assert_int_equal(jobs_count(f->jobs), 2);
	assert_int_equal(jobs_find_tenant(f->jobs, "acme")->confirmed_jobs, 2);
}

/* The honest barrier: after drain_timeout what remains is cut, and the
 * state is "drained" (safe to work) at once. */
static void test_drain_timeout_cuts_and_reports_drained(void **state)
{
	struct fixture *f = *state;
	struct policy_status st;
	struct tsp_request write = fx_request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "job", "t1");

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->settings.drain_timeout = 300;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	f->now += 300;
	fx_tick(f);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAIN_TIMEOUT);
	assert_int_equal(f->change.cut_tasks, 1);
	assert_int_equal(f->change.draining_tasks, 0);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKED);
	assert_refused(policy_decide(f->policy, f->jobs, &write, f->now), POLICY_WHY_BLOCK_MODE,
		       POLICY_MODE_BLOCK);
	policy_status(f->policy, f->jobs, f->now, &st);
	assert_int_equal(st.cut_tasks, 1);
	assert_true(st.drained_at == f->now);
	/* the job may still close; the task stays refused */
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "job", ""), POLICY_WHY_JOB_CLOSE);
	/* a new maintenance starts with no cut */
	fx_maintenance(f, false, POLICY_MODE_DRAIN);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	policy_status(f->policy, f->jobs, f->now, &st);
	assert_int_equal(st.cut_tasks, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_late_401_does_not_remove_the_job_another_opened,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_late_401_does_not_remove_the_task_another_opened,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forged_opens_leave_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_answer_ignores_a_recreated_entry, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unauthenticated_traffic_keeps_nothing_alive, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_accepted_traffic_keeps_the_task_alive, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_one_tenant_cannot_fill_the_table, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pending_forged_opens_do_not_use_the_share, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_drain_timeout_cuts_and_reports_drained, fx_setup,
						fx_teardown),
	};

	return cmocka_run_group_tests_name("policy isolation", tests, NULL, NULL);
}
