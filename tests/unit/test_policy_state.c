/*
 * tests/unit/test_policy_state.c: the maintenance policy (proxy/policy/policy.c): the job table after
 * decisions, bounds, and state changes (apply, tick, drain timeout, generations),
 * with a fake clock (the time is a number each step passes in). The helpers
 * in policy_fixture.c play the proxy's shell.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_fixture.h"
/* ---- the table after decisions ---- */

static void test_failed_open_leaves_no_phantom(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "acme", "j", "");

	req.origin = TSP_ORIGIN_AGENT;
	req.workload = TSP_WORKLOAD_WINDOWS;
	fx_send_status(f, &req, 503);
	assert_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "j"));
	fx_send_status(f, &req, 201);
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "acme", "j", "t");
	fx_send_status(f, &req, 409);
	assert_int_equal(jobs_task_count(f->jobs), 0);
	fx_send_status(f, &req, 0); /* the upstream went away: no answer at all */
	assert_int_equal(jobs_task_count(f->jobs), 0);
	/* a repeated open the repository refuses does not remove the job */
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "acme", "j", "");
	fx_send_status(f, &req, 409);
	assert_non_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "j"));
}

/* An open forwarded before T whose answer comes after T was open at T. */
static void test_open_in_flight_at_t_drains(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "acme", "j", "t");
	struct policy_record rec;

	fx_open_job(f, TSP_CAT_BACKUP, "acme", "j", TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE, TSP_OP_NONE);
	assert_forwarded(policy_decide(f->policy, f->jobs, &req, f->now), POLICY_WHY_OFF);
	assert_true(policy_record(f->jobs, &req, f->now, &rec));
	fx_maintenance(f, true, POLICY_MODE_DRAIN); /* HUP before the repository answers */
	assert_int_equal(f->change.draining_tasks, 1);
	policy_on_response(f->jobs, &req, &rec, 201);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "j", "t"), POLICY_WHY_TASK_AT_T);
	/* the same, but the repository refuses the open: the set shrinks */
	fx_maintenance(f, false, POLICY_MODE_DRAIN);
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "acme", "j", "t2");
	assert_true(policy_record(f->jobs, &req, f->now, &rec));
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 2);
	policy_on_response(f->jobs, &req, &rec, 500);
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
}

/* Pipelined on one connection or spread over several: a task's writes may
 * arrive before the repository has answered its open. */
static void test_writes_behind_an_unanswered_open(void **state)
{
	struct fixture *f = *state;
	struct tsp_request open = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "acme", "j", "t");
	struct tsp_request write = fx_request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "j", "t");
	struct policy_record open_rec, write_rec;

	fx_open_job(f, TSP_CAT_BACKUP, "acme", "j", TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE, TSP_OP_NONE);
	assert_true(policy_record(f->jobs, &open, f->now, &open_rec));
	assert_true(open_rec.task_added);
	assert_true(policy_record(f->jobs, &write, f->now, &write_rec));
	assert_false(write_rec.task_learned); /* found, not learned */
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_forwarded(policy_decide(f->policy, f->jobs, &write, f->now), POLICY_WHY_TASK_AT_T);
	policy_on_response(f->jobs, &open, &open_rec, 201);
	policy_on_response(f->jobs, &write, &write_rec, 200);
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
}

static void test_close_removes_only_on_2xx(void **state)
{
	struct fixture *f = *state;
	struct tsp_request close = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "acme", "job", "t1");
	struct tsp_request job_close = fx_request(TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "acme", "job", "");

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	fx_send_status(f, &close, 401); /* e.g. a forged close: the entry stays */
	fx_send_status(f, &close, 503); /* the repository failed: it still runs */
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
	assert_forwarded(fx_send_status(f, &close, 200), POLICY_WHY_TASK_AT_T);
	assert_int_equal(jobs_draining_tasks(f->jobs), 0);
	fx_send_status(f, &job_close, 500);
	assert_non_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job"));
	fx_send_status(f, &job_close, 200);
	assert_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job"));
}

static void test_job_table_full_is_busy(void **state)
{
	struct fixture *f = *state;
	struct policy_decision d;
	char id[16];
	int i;

	for (i = 0; i < 16; i++) {
		snprintf(id, sizeof(id), "j%d", i);
		assert_forwarded(fx_open_job(f, TSP_CAT_BACKUP, "acme", id, TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD,
					     TSP_OP_NONE),
				 POLICY_WHY_OFF);
	}
	d = fx_open_job(f, TSP_CAT_BACKUP, "acme", "one-more", TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD, TSP_OP_NONE);
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
	assert_int_equal(d.reason, POLICY_WHY_TABLE_FULL);
	/* a task open of a job the table does not know needs room for the job */
	d = fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "unknown", "t");
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
	/* reopening a known job, and restores, need no room */
	assert_forwarded(fx_open_job(f, TSP_CAT_BACKUP, "acme", "j3", TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD,
				     TSP_OP_NONE),
			 POLICY_WHY_OFF);
	fx_restore_passes(f, "acme");
	/* a replication job while on is bounded too (it is tracked) */
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	d = fx_open_job(f, TSP_CAT_REPLICATION, "acme", "rep", TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD,
			TSP_OP_REPLICATE);
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
	/* while on, a backup job open is refused for maintenance, not busy */
	assert_refused(fx_open_job(f, TSP_CAT_BACKUP, "acme", "one-more", TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD,
				   TSP_OP_NONE),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
}

static void test_tasks_per_job_full_is_busy(void **state)
{
	struct fixture *f = *state;
	struct policy_decision d;

	fx_open_job(f, TSP_CAT_BACKUP, "acme", "j", TSP_ORIGIN_AGENT, TSP_WORKLOAD_LINUX, TSP_OP_NONE);
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t1");
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t2");
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t3");
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t4");
	d = fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t5");
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
	assert_int_equal(d.reason, POLICY_WHY_TASKS_FULL);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t4"), POLICY_WHY_OFF);
	/* the R2 path has the same bound */
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	d = fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t5");
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
}

static void test_table_wide_task_bound_is_busy(void **state)
{
	struct fixture *f = *state;
	struct jobs_limits limits = *jobs_limits(f->jobs);
	struct policy_decision d;

	limits.max_all_tasks = 2;
	assert_true(jobs_set_limits(f->jobs, &limits));
	fx_open_job(f, TSP_CAT_BACKUP, "acme", "a", TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD, TSP_OP_NONE);
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "a", "t1");
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "a", "t2");
	d = fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "a", "t3");
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
	assert_int_equal(d.reason, POLICY_WHY_TASKS_FULL);
	/* also for a task whose job the table has yet to learn */
	d = fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "unknown", "t1");
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
	assert_int_equal(d.reason, POLICY_WHY_TASKS_FULL);
	assert_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "unknown"));
}

static void test_tenants_are_isolated(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "globex", "job", "t1");

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE); /* acme's */
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	/* the same ids under another tenant are not acme's draining task */
	assert_refused(policy_decide(f->policy, f->jobs, &req, f->now), POLICY_WHY_UNKNOWN_JOB,
		       POLICY_MODE_DRAIN);
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "globex", "job", "");
	fx_send_status(f, &req, 200);
	assert_non_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job"));
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
}

/* ---- state changes ---- */

static void test_repeated_apply_keeps_t(void **state)
{
	struct fixture *f = *state;
	uint64_t generation;
	struct policy_status status;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->now = 100;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	generation = policy_generation(f->policy);
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "refused"); /* refused, no effect */
	f->now = 200;
	fx_apply(f); /* the same file, HUP again */
	assert_int_equal(f->change.event, POLICY_EVENT_NONE);
	assert_false(f->change.tenants_changed);
	assert_int_equal(policy_generation(f->policy), generation);
	policy_status(f->policy, f->jobs, f->now, &status);
	assert_true(status.since == 100);
	assert_int_equal(status.draining_tasks, 1);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_TASK_AT_T);
}

static void test_generation_counts_every_state_change(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(policy_generation(f->policy), 0);
	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->settings.drain_timeout = 600;
	fx_maintenance(f, true, POLICY_MODE_DRAIN); /* on */
	assert_int_equal(f->change.generation, 1);
	assert_int_equal(policy_generation(f->policy), 1);
	fx_maintenance(f, true, POLICY_MODE_BLOCK); /* mode */
	assert_int_equal(f->change.event, POLICY_EVENT_MODE);
	assert_int_equal(policy_generation(f->policy), 2);
	fx_maintenance(f, true, POLICY_MODE_DRAIN); /* mode back */
	assert_int_equal(policy_generation(f->policy), 3);
	f->now += 600;
	fx_tick(f); /* drain timeout: cut, drained */
	assert_int_equal(f->change.event, POLICY_EVENT_DRAIN_TIMEOUT);
	assert_int_equal(policy_generation(f->policy), 4);
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "job", ""); /* no change */
	assert_int_equal(policy_generation(f->policy), 4);
	fx_maintenance(f, false, POLICY_MODE_DRAIN); /* off */
	assert_int_equal(policy_generation(f->policy), 5);
	fx_maintenance(f, false, POLICY_MODE_BLOCK); /* off stays off */
	assert_int_equal(policy_generation(f->policy), 5);
	fx_maintenance(f, true, POLICY_MODE_DRAIN); /* on, then drained at once */
	assert_int_equal(policy_generation(f->policy), 7);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_true(f->change.elapsed == 0);
}

static void test_drained_exactly_when_last_task_closes(void **state)
{
	struct fixture *f = *state;
	int ticks;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2");
	f->now = 10;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	ticks = f->ticks;
	f->now = 20;
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t1");
	assert_int_equal(f->ticks, ticks);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t2");
	assert_int_equal(f->ticks, ticks);
	f->now = 31;
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t2");
	assert_int_equal(f->ticks, ticks + 1);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_true(f->change.elapsed == 21);
	assert_int_equal(f->change.draining_tasks, 0);
	f->now = 40;
	fx_tick(f);
	fx_tick(f);
	assert_int_equal(f->ticks, ticks + 1); /* once */
}

static void test_expiry_shrinks_the_draining_set(void **state)
{
	struct fixture *f = *state;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	fx_open_job(f, TSP_CAT_BACKUP, "acme", "agent", TSP_ORIGIN_AGENT, TSP_WORKLOAD_MAC, TSP_OP_NONE);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	f->now += 3599;
	assert_int_equal(jobs_expire(f->jobs, f->now, NULL, NULL), 0);
	fx_tick(f);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	f->now += 1; /* the tenant vanished an hour ago */
	assert_int_equal(jobs_expire(f->jobs, f->now, NULL, NULL), 2);
	fx_tick(f);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	/* and the expired task is now unknown: fail closed */
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_UNKNOWN_JOB,
		       POLICY_MODE_DRAIN);
}

static void test_drain_timeout_switches_to_block(void **state)
{
	struct fixture *f = *state;
	struct tsp_request write = fx_request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "job", "t1");
	struct policy_decision d;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->settings.drain_timeout = 300;
	f->now = 1000;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	f->now = 1299.5;
	fx_tick(f);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	assert_forwarded(policy_decide(f->policy, f->jobs, &write, f->now), POLICY_WHY_TASK_AT_T);
	f->now = 1300;
	/* the deadline holds even before the timer reports it */
	d = policy_decide(f->policy, f->jobs, &write, f->now);
	assert_refused(d, POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	fx_tick(f);
	/* what still drained is cut: blocked, so the drain is complete at once */
	assert_int_equal(f->change.event, POLICY_EVENT_DRAIN_TIMEOUT);
	assert_int_equal(f->change.state, POLICY_BLOCKED);
	assert_int_equal(f->change.mode, POLICY_MODE_BLOCK);
	assert_int_equal(f->change.draining_tasks, 0);
	assert_int_equal(f->change.cut_tasks, 1);
	assert_true(f->change.elapsed == 300);
	/* a HUP with the same file keeps the block */
	fx_apply(f);
	assert_int_equal(f->change.event, POLICY_EVENT_NONE);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKED);
	assert_refused(policy_decide(f->policy, f->jobs, &write, f->now), POLICY_WHY_BLOCK_MODE,
		       POLICY_MODE_BLOCK);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "job", ""), POLICY_WHY_JOB_CLOSE);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKED);
}

static void test_drain_timeout_ignored_once_drained(void **state)
{
	struct fixture *f = *state;

	f->settings.drain_timeout = 10;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	f->now += 100;
	fx_tick(f);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t"), POLICY_WHY_UNKNOWN_JOB,
		       POLICY_MODE_DRAIN);
}

static void test_mode_change_applies_at_once(void **state)
{
	struct fixture *f = *state;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->now = 50;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	f->now = 60;
	fx_maintenance(f, true, POLICY_MODE_BLOCK);
	assert_int_equal(f->change.event, POLICY_EVENT_MODE);
	assert_true(f->change.since == 50); /* T kept */
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_BLOCK_MODE,
		       POLICY_MODE_BLOCK);
	fx_maintenance(f, true, POLICY_MODE_DRAIN); /* back: the task open at T goes on */
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_TASK_AT_T);
}

static void test_off_on_again_takes_a_new_t(void **state)
{
	struct fixture *f = *state;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->now = 10;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	f->now = 20;
	fx_maintenance(f, false, POLICY_MODE_DRAIN);
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2"); /* opened in between */
	f->now = 30;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_true(f->change.since == 30);
	assert_int_equal(f->change.draining_tasks, 2);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t2"), POLICY_WHY_TASK_AT_T);
}

static void test_replication_covered_when_added(void **state)
{
	struct fixture *f = *state;

	fx_running_vbr_task(f, TSP_CAT_REPLICATION, TSP_WORKLOAD_VSPHERE);
	f->settings.categories = POLICY_CATEGORIES_DEFAULT | POLICY_CATEGORY(TSP_CAT_REPLICATION);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 1);
	assert_true(policy_covers(f->policy, TSP_CAT_REPLICATION));
	assert_forwarded(fx_send(f, TSP_CAT_REPLICATION, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
			 POLICY_WHY_TASK_AT_T);
	assert_refused(fx_send(f, TSP_CAT_REPLICATION, TSP_ROLE_TASK_OPEN, "job", "t2"),
		       POLICY_WHY_LATER_TASK, POLICY_MODE_DRAIN);
	assert_refused(fx_open_job(f, TSP_CAT_REPLICATION, "acme", "rep", TSP_ORIGIN_VBR,
				   TSP_WORKLOAD_VSPHERE, TSP_OP_FAILOVER),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	fx_restore_passes(f, "acme"); /* restore still never */
}

static void test_categories_change_while_on(void **state)
{
	struct fixture *f = *state;
	uint64_t generation;

	fx_running_vbr_task(f, TSP_CAT_REPLICATION, TSP_WORKLOAD_HYPERV);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	generation = policy_generation(f->policy);
	f->settings.categories |= POLICY_CATEGORY(TSP_CAT_REPLICATION);
	fx_apply(f);
	assert_int_equal(f->change.event, POLICY_EVENT_CATEGORIES);
	assert_int_equal(f->change.state, POLICY_DRAINING);
	assert_int_equal(f->change.draining_tasks, 1);
	assert_int_equal(policy_generation(f->policy), generation + 1);
	assert_forwarded(fx_send(f, TSP_CAT_REPLICATION, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
			 POLICY_WHY_TASK_AT_T);
	f->settings.categories = POLICY_CATEGORIES_DEFAULT;
	fx_apply(f); /* replication leaves the set: drained again */
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(jobs_draining_tasks(f->jobs), 0);
	assert_forwarded(fx_send(f, TSP_CAT_REPLICATION, TSP_ROLE_TASK_OPEN, "job", "t2"),
			 POLICY_WHY_NOT_COVERED);
	/* drained, and a change that moves nothing in or out: still a new
	 * generation, since what is refused changed */
	generation = policy_generation(f->policy);
	f->settings.categories = POLICY_CATEGORY(TSP_CAT_BACKUP);
	fx_apply(f);
	assert_int_equal(f->change.event, POLICY_EVENT_CATEGORIES);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(policy_generation(f->policy), generation + 1);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP_COPY, TSP_ROLE_BLOCK_WRITE, "j", "t"),
			 POLICY_WHY_NOT_COVERED);
}

static void test_on_in_block_mode_directly(void **state)
{
	struct fixture *f = *state;

	fx_running_vbr_task(f, TSP_CAT_BACKUP_COPY, TSP_WORKLOAD_VCD);
	fx_maintenance(f, true, POLICY_MODE_BLOCK);
	assert_int_equal(f->change.event, POLICY_EVENT_ON);
	assert_int_equal(f->change.state, POLICY_BLOCKING);
	assert_int_equal(f->change.draining_tasks, 1);
	assert_refused(fx_send(f, TSP_CAT_BACKUP_COPY, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
		       POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
}

static void test_invalid_settings_rejected(void **state)
{
	struct fixture *f = *state;
	static char empty[] = "",
		    too_long[] = "a-tenant-name-far-too-long-for-the-id-grammar-0123456789-abcdefgh";
	static char *const empty_name[] = { empty };
	static char *const long_name[] = { too_long };
	struct policy_settings s;
	const char *error = NULL;

	s = f->settings;
	s.categories = 0;
	assert_false(policy_apply(f->policy, &s, f->jobs, f->now, &f->change, &error));
	assert_non_null(error);
	s = f->settings;
	s.categories = POLICY_CATEGORY(TSP_CAT_CONTROL);
	assert_false(policy_apply(f->policy, &s, f->jobs, f->now, &f->change, &error));
	s = f->settings;
	s.drain_timeout = -1;
	assert_false(policy_apply(f->policy, &s, f->jobs, f->now, &f->change, &error));
	assert_non_null(strstr(error, "drain_timeout"));
	s.drain_timeout = NAN;
	assert_false(policy_apply(f->policy, &s, f->jobs, f->now, &f->change, &error));
	s = f->settings;
	s.disabled_tenants = empty_name;
	s.disabled_count = 1;
	assert_false(policy_apply(f->policy, &s, f->jobs, f->now, &f->change, &error));
	s.disabled_tenants = long_name;
	assert_false(policy_apply(f->policy, &s, f->jobs, f->now, &f->change, &error));
	assert_non_null(strstr(error, "tenant"));
	assert_int_equal(policy_generation(f->policy), 0);
}

static void test_disabled_list_sorted_lookup(void **state)
{
	struct fixture *f = *state;
	static char zeta[] = "zeta", alpha[] = "alpha", mid[] = "mid", beta[] = "beta";
	static char *const disabled[] = { zeta, alpha, mid, beta };
	uint64_t generation = policy_generation(f->policy);

	f->settings.disabled_tenants = disabled;
	f->settings.disabled_count = 4;
	fx_apply(f);
	assert_true(f->change.tenants_changed);
	assert_int_equal(policy_generation(f->policy), generation);
	assert_true(policy_tenant_disabled(f->policy, "zeta"));
	assert_true(policy_tenant_disabled(f->policy, "alpha"));
	assert_true(policy_tenant_disabled(f->policy, "mid"));
	assert_true(policy_tenant_disabled(f->policy, "beta"));
	assert_false(policy_tenant_disabled(f->policy, "gamma"));
	assert_false(policy_tenant_disabled(f->policy, "alph"));
	fx_apply(f);
	assert_false(f->change.tenants_changed); /* same list, same order or not */
}

static void test_names(void **state)
{
	enum policy_reason why;

	(void)state;
	assert_string_equal(policy_mode_name(POLICY_MODE_DRAIN), "drain");
	assert_string_equal(policy_mode_name(POLICY_MODE_BLOCK), "block");
	assert_string_equal(policy_state_name(POLICY_DRAINED), "drained");
	assert_string_equal(policy_verdict_name(POLICY_REFUSE_MAINTENANCE), "refused maintenance");
	assert_string_equal(policy_event_name(POLICY_EVENT_DRAIN_TIMEOUT), "drain timeout");
	for (why = POLICY_WHY_OFF; why <= POLICY_WHY_TASKS_FULL; why++)
		assert_string_not_equal(policy_reason_text(why), "?");
	assert_non_null(strstr(policy_reason_text(POLICY_WHY_JOB_OPEN), "R3"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_failed_open_leaves_no_phantom),
		T(test_open_in_flight_at_t_drains),
		T(test_writes_behind_an_unanswered_open),
		T(test_close_removes_only_on_2xx),
		T(test_job_table_full_is_busy),
		T(test_tasks_per_job_full_is_busy),
		T(test_table_wide_task_bound_is_busy),
		T(test_tenants_are_isolated),
		T(test_repeated_apply_keeps_t),
		T(test_generation_counts_every_state_change),
		T(test_drained_exactly_when_last_task_closes),
		T(test_expiry_shrinks_the_draining_set),
		T(test_drain_timeout_switches_to_block),
		T(test_drain_timeout_ignored_once_drained),
		T(test_mode_change_applies_at_once),
		T(test_off_on_again_takes_a_new_t),
		T(test_replication_covered_when_added),
		T(test_categories_change_while_on),
		T(test_on_in_block_mode_directly),
		T(test_invalid_settings_rejected),
		T(test_disabled_list_sorted_lookup),
		T(test_names),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
