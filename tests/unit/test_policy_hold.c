/*
 * tests/unit/test_policy_hold.c: [maintenance] mode = hold
 * (proxy/policy/policy.c): hold is drain in everything about the draining
 * set and the barrier; what drain refuses for maintenance is POLICY_HOLD
 * instead, with the same reason; decided again after maintenance goes off,
 * it is forwarded; a drain_timeout that passed refuses (block). Fake clock:
 * the time is a number each step passes in.
 */
#include "autoconfig.h"

#include <string.h>

#include "policy_fixture.h"

static struct policy_decision decide(struct fixture *f, enum tsp_role role, const char *job, const char *task)
{
	struct tsp_request req = fx_request(TSP_CAT_BACKUP, role, "acme", job, task);

	if (role == TSP_ROLE_JOB_OPEN) {
		req.origin = TSP_ORIGIN_VBR;
		req.workload = TSP_WORKLOAD_VSPHERE;
	}
	return policy_decide(f->policy, f->jobs, &req, f->now);
}

static void assert_held(struct policy_decision d, enum policy_reason why)
{
	assert_int_equal(d.verdict, POLICY_HOLD);
	assert_int_equal(d.reason, why);
	assert_int_equal(d.mode, POLICY_MODE_HOLD);
}

/* What drain refuses, hold holds, for the same reason; what drain lets
 * through (the task open at T, job close) goes through. */
static void test_hold_where_drain_refuses(void **state)
{
	struct fixture *f = *state;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	fx_maintenance(f, true, POLICY_MODE_HOLD);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	assert_held(decide(f, TSP_ROLE_JOB_OPEN, "job2", ""), POLICY_WHY_JOB_OPEN);
	assert_held(decide(f, TSP_ROLE_TASK_OPEN, "job", "t2"), POLICY_WHY_LATER_TASK);
	assert_held(decide(f, TSP_ROLE_BLOCK_WRITE, "nojob", "t1"), POLICY_WHY_UNKNOWN_JOB);
	assert_forwarded(decide(f, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_TASK_AT_T);
	assert_forwarded(decide(f, TSP_ROLE_JOB_CLOSE, "job", ""), POLICY_WHY_JOB_CLOSE);
	fx_restore_passes(f, "acme");
}

/* The same requests under drain are refusals: only the verdict differs. */
static void test_drain_still_refuses(void **state)
{
	struct fixture *f = *state;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_refused(decide(f, TSP_ROLE_JOB_OPEN, "job2", ""), POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_refused(decide(f, TSP_ROLE_TASK_OPEN, "job", "t2"), POLICY_WHY_LATER_TASK, POLICY_MODE_DRAIN);
}

/* The barrier: the draining set of hold is drain's; it drains, and what is
 * held stays held while drained (maintenance still on). */
static void test_barrier_as_drain(void **state)
{
	struct fixture *f = *state;
	struct policy_status st;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	fx_maintenance(f, true, POLICY_MODE_HOLD);
	policy_status(f->policy, f->jobs, f->now, &st);
	assert_int_equal(st.draining_tasks, 1);
	assert_int_equal(st.mode, POLICY_MODE_HOLD);
	f->now += 3;
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t1"), POLICY_WHY_TASK_AT_T);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_held(decide(f, TSP_ROLE_JOB_OPEN, "job2", ""), POLICY_WHY_JOB_OPEN);
}

/* Maintenance off: the held request, decided again, is forwarded. */
static void test_released_when_off(void **state)
{
	struct fixture *f = *state;

	fx_maintenance(f, true, POLICY_MODE_HOLD);
	assert_held(decide(f, TSP_ROLE_JOB_OPEN, "job2", ""), POLICY_WHY_JOB_OPEN);
	f->now += 60;
	fx_maintenance(f, false, POLICY_MODE_HOLD);
	assert_int_equal(f->change.event, POLICY_EVENT_OFF);
	assert_forwarded(decide(f, TSP_ROLE_JOB_OPEN, "job2", ""), POLICY_WHY_OFF);
}

/* drain_timeout passed: hold becomes block, which refuses (not holds). */
static void test_drain_timeout_refuses(void **state)
{
	struct fixture *f = *state;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->settings.drain_timeout = 10;
	fx_maintenance(f, true, POLICY_MODE_HOLD);
	assert_held(decide(f, TSP_ROLE_JOB_OPEN, "job2", ""), POLICY_WHY_JOB_OPEN);
	f->now += 10;
	assert_refused(decide(f, TSP_ROLE_JOB_OPEN, "job2", ""), POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
}

/* Switching mode while on is immediate, both ways; T stays. */
static void test_mode_switch(void **state)
{
	struct fixture *f = *state;
	double t;

	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	t = policy_since(f->policy);
	f->now += 5;
	fx_maintenance(f, true, POLICY_MODE_HOLD);
	assert_int_equal(f->change.event, POLICY_EVENT_MODE);
	assert_int_equal(f->change.mode, POLICY_MODE_HOLD);
	assert_true(policy_since(f->policy) == t);
	assert_held(decide(f, TSP_ROLE_JOB_OPEN, "j", ""), POLICY_WHY_JOB_OPEN);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_refused(decide(f, TSP_ROLE_JOB_OPEN, "j", ""), POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
}

/* The hello carries mode hold; the names. */
static void test_hello_and_names(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = fx_request(TSP_CAT_CONTROL, TSP_ROLE_SESSION_HELLO, "acme", "", "");
	struct policy_decision d;

	fx_maintenance(f, true, POLICY_MODE_HOLD);
	d = policy_decide(f->policy, f->jobs, &req, f->now);
	assert_int_equal(d.verdict, POLICY_HELLO_NOTICE);
	assert_string_equal(policy_mode_name(d.mode), "hold");
	assert_string_equal(policy_verdict_name(POLICY_HOLD), "held");
	f->settings.mode = (enum policy_mode)7;
	{
		const char *error = NULL;

		assert_false(policy_apply(f->policy, &f->settings, f->jobs, f->now, &f->change, &error));
		assert_non_null(strstr(error, "hold"));
	}
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_hold_where_drain_refuses), T(test_drain_still_refuses),   T(test_barrier_as_drain),
		T(test_released_when_off),        T(test_drain_timeout_refuses), T(test_mode_switch),
		T(test_hello_and_names),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
