/*
 * tests/unit/test_policy_rules.c: the maintenance policy (proxy/policy/policy.c) against
 * R1-R11, every row of the job matrix (both in HACKING.md), and the fail-closed
 * and learning rules, with a fake clock (the time is a number each step passes
 * in). The helpers in policy_fixture.c play the proxy's shell.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_fixture.h"
/* ---- R1-R11 ---- */

static void test_r1_running_task_finishes_later_tasks_refused(void **state)
{
	struct fixture *f = *state;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->now = 2000;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 1);
	f->now = 2001;
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_TASK_AT_T);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_TASK_AT_T);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t1"), POLICY_WHY_TASK_AT_T);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2"), POLICY_WHY_LATER_TASK,
		       POLICY_MODE_DRAIN);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "job", ""), POLICY_WHY_JOB_CLOSE);
}

static void test_r2_agent_job_finishes_as_a_whole(void **state)
{
	struct fixture *f = *state;

	fx_open_job(f, TSP_CAT_BACKUP, "acme", "laptop", TSP_ORIGIN_AGENT, TSP_WORKLOAD_LINUX, TSP_OP_NONE);
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "laptop", "disk0");
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_jobs, 1);
	assert_int_equal(f->change.draining_tasks, 0); /* counted as one job */
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "laptop", "disk0"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "laptop", "disk0"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	/* later tasks of that job too (R2) */
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "laptop", "disk1"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "laptop", "disk1"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "laptop", "disk1"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "laptop", ""), POLICY_WHY_JOB_CLOSE);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
}

static void test_r3_job_open_refused_while_on(void **state)
{
	struct fixture *f = *state;

	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_refused(fx_open_job(f, TSP_CAT_BACKUP, "acme", "new", TSP_ORIGIN_VBR, TSP_WORKLOAD_HYPERV,
				   TSP_OP_NONE),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_refused(fx_open_job(f, TSP_CAT_BACKUP, "acme", "agent", TSP_ORIGIN_AGENT, TSP_WORKLOAD_MAC,
				   TSP_OP_NONE),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_refused(fx_open_job(f, TSP_CAT_BACKUP_COPY, "acme", "copy", TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD,
				   TSP_OP_NONE),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "new")); /* nothing recorded */
	fx_maintenance(f, true, POLICY_MODE_BLOCK);
	assert_refused(fx_open_job(f, TSP_CAT_BACKUP, "acme", "new", TSP_ORIGIN_VBR, TSP_WORKLOAD_HYPERV,
				   TSP_OP_NONE),
		       POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
}

/* The notification text is the shell's ([maintenance] message); the policy
 * gives every refusal the mode for Tsp-Maintenance and the hello its notice. */
static void test_r4_refusal_carries_mode_and_hello_notice(void **state)
{
	struct fixture *f = *state;
	struct tsp_request hello = fx_request(TSP_CAT_CONTROL, TSP_ROLE_SESSION_HELLO, "acme", "", "");
	struct policy_decision d;

	assert_forwarded(fx_send_status(f, &hello, 200), POLICY_WHY_HELLO);
	f->now = 1234;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	f->now = 1300;
	d = policy_decide(f->policy, f->jobs, &hello, f->now);
	assert_int_equal(d.verdict, POLICY_HELLO_NOTICE);
	assert_int_equal(d.mode, POLICY_MODE_DRAIN);
	assert_true(d.since == 1234);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "x", "y"), POLICY_WHY_UNKNOWN_JOB,
		       POLICY_MODE_DRAIN);
	fx_maintenance(f, true, POLICY_MODE_BLOCK);
	d = policy_decide(f->policy, f->jobs, &hello, f->now);
	assert_int_equal(d.verdict, POLICY_HELLO_NOTICE);
	assert_int_equal(d.mode, POLICY_MODE_BLOCK);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "x", "y"), POLICY_WHY_BLOCK_MODE,
		       POLICY_MODE_BLOCK);
}

static void test_r5_restore_and_replication_never_refused(void **state)
{
	struct fixture *f = *state;

	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	fx_restore_passes(f, "acme");
	assert_forwarded(fx_open_job(f, TSP_CAT_REPLICATION, "acme", "rep", TSP_ORIGIN_VBR,
				     TSP_WORKLOAD_VSPHERE, TSP_OP_FAILOVER),
			 POLICY_WHY_NOT_COVERED);
	fx_maintenance(f, true, POLICY_MODE_BLOCK);
	fx_restore_passes(f, "acme");
	assert_forwarded(fx_send(f, TSP_CAT_REPLICATION, TSP_ROLE_TASK_OPEN, "rep", "vm"),
			 POLICY_WHY_NOT_COVERED);
	assert_int_equal(jobs_count_category(f->jobs, TSP_CAT_RESTORE), 0); /* never tracked */
}

static void test_r6_off_restores_service_at_once(void **state)
{
	struct fixture *f = *state;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2"), POLICY_WHY_LATER_TASK,
		       POLICY_MODE_DRAIN);
	f->now += 60;
	fx_maintenance(f, false, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.event, POLICY_EVENT_OFF);
	assert_true(f->change.elapsed == 60);
	assert_int_equal(f->change.draining_tasks, 0);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2"), POLICY_WHY_OFF);
	assert_forwarded(fx_open_job(f, TSP_CAT_BACKUP, "acme", "next", TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE,
				     TSP_OP_NONE),
			 POLICY_WHY_OFF);
	assert_int_equal(jobs_draining_tasks(f->jobs), 0);
}

/* R7 at the policy's level: settings that do not validate change nothing. */
static void test_r7_invalid_settings_change_nothing(void **state)
{
	struct fixture *f = *state;
	struct policy_settings bad;
	const char *error = NULL;
	uint64_t generation;

	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	generation = policy_generation(f->policy);
	bad = f->settings;
	bad.enabled = false;
	bad.categories |= POLICY_CATEGORY(TSP_CAT_RESTORE);
	assert_false(policy_apply(f->policy, &bad, f->jobs, f->now, &f->change, &error));
	assert_non_null(strstr(error, "R5"));
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(policy_generation(f->policy), generation);
	assert_true(policy_covers(f->policy, TSP_CAT_BACKUP));
	assert_false(policy_covers(f->policy, TSP_CAT_RESTORE));
}

static void test_r8_block_refuses_running_tasks_but_job_close(void **state)
{
	struct fixture *f = *state;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	fx_open_job(f, TSP_CAT_BACKUP, "acme", "agent", TSP_ORIGIN_AGENT, TSP_WORKLOAD_WINDOWS, TSP_OP_NONE);
	fx_maintenance(f, true, POLICY_MODE_BLOCK);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKING);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_BLOCK_MODE,
		       POLICY_MODE_BLOCK);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t1"), POLICY_WHY_BLOCK_MODE,
		       POLICY_MODE_BLOCK);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "agent", "t9"), POLICY_WHY_BLOCK_MODE,
		       POLICY_MODE_BLOCK);
	/* jobs close so the tenant sees a final status; the drain completes */
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "job", ""), POLICY_WHY_JOB_CLOSE);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKING);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "agent", ""), POLICY_WHY_JOB_CLOSE);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKED);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
}

struct tenant_counts {
	char names[4][TSP_TENANT_MAX + 1];
	size_t tasks[4], jobs[4];
	int count;
};

static void collect(void *ctx, const char *tenant, size_t tasks, size_t jobs)
{
	struct tenant_counts *c = ctx;

	assert_true(c->count < 4);
	snprintf(c->names[c->count], sizeof(c->names[0]), "%s", tenant);
	c->tasks[c->count] = tasks;
	c->jobs[c->count] = jobs;
	c->count++;
}

static void test_r9_draining_counts_per_tenant(void **state)
{
	struct fixture *f = *state;
	struct tenant_counts counts;
	struct policy_status status;
	struct tsp_request req;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2");
	fx_open_job(f, TSP_CAT_BACKUP, "globex", "laptop", TSP_ORIGIN_AGENT, TSP_WORKLOAD_MAC, TSP_OP_NONE);
	fx_open_job(f, TSP_CAT_BACKUP, "initech", "idle", TSP_ORIGIN_VBR, TSP_WORKLOAD_HYPERV,
		    TSP_OP_NONE); /* no task running: nothing to drain */
	f->now = 5000;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.event, POLICY_EVENT_ON);
	assert_int_equal(f->change.draining_tasks, 2);
	assert_int_equal(f->change.draining_jobs, 1);
	memset(&counts, 0, sizeof(counts));
	policy_foreach_draining_tenant(f->jobs, collect, &counts);
	assert_int_equal(counts.count, 2);
	assert_string_equal(counts.names[0], "acme");
	assert_int_equal(counts.tasks[0], 2);
	assert_int_equal(counts.jobs[0], 0);
	assert_string_equal(counts.names[1], "globex");
	assert_int_equal(counts.tasks[1], 0);
	assert_int_equal(counts.jobs[1], 1);
	policy_status(f->policy, f->jobs, f->now, &status);
	assert_int_equal(status.state, POLICY_DRAINING);
	assert_true(status.since == 5000);
	assert_int_equal(status.draining_tasks, 2);
	assert_int_equal(status.draining_jobs, 1);

	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t1");
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t2");
	f->now = 5042.5;
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "globex", "laptop", "");
	fx_send_status(f, &req, 200);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_true(f->change.elapsed == 42.5);
	policy_status(f->policy, f->jobs, f->now, &status);
	assert_int_equal(status.state, POLICY_DRAINED);
	assert_true(status.drained_at == 5042.5);
	memset(&counts, 0, sizeof(counts));
	policy_foreach_draining_tenant(f->jobs, collect, &counts);
	assert_int_equal(counts.count, 0);
}

static void test_r10_disabled_tenant_refused_everything(void **state)
{
	struct fixture *f = *state;
	static char globex[] = "globex";
	static char *const disabled[] = { globex };
	struct tsp_request req;
	struct policy_decision d;
	enum tsp_role role;
	enum tsp_category cat;
	int pass, checked = 0;

	f->settings.disabled_tenants = disabled;
	f->settings.disabled_count = 1;
	for (pass = 0; pass < 2; pass++) { /* maintenance off, then on */
		fx_maintenance(f, pass == 1, POLICY_MODE_DRAIN);
		for (role = TSP_ROLE_SESSION_HELLO; role < TSP_ROLE_COUNT; role++) {
			for (cat = TSP_CAT_CONTROL; cat < TSP_CAT_COUNT; cat++) {
				if ((cat == TSP_CAT_CONTROL) != (role == TSP_ROLE_SESSION_HELLO))
					continue; /* only the hello has no category */
				req = fx_request(cat, role, "globex", cat ? "j" : "", "t");
				d = policy_decide(f->policy, f->jobs, &req, f->now);
				assert_int_equal(d.verdict, POLICY_REFUSE_DISABLED);
				assert_int_equal(d.reason, POLICY_WHY_TENANT_DISABLED);
				checked++;
			}
		}
		fx_restore_passes(f, "acme"); /* other tenants are fine */
	}
	assert_int_equal(checked, 2 * (1 + 4 * (TSP_ROLE_COUNT - 1)));
	assert_true(policy_tenant_disabled(f->policy, "globex"));
	assert_false(policy_tenant_disabled(f->policy, "acme"));
	f->settings.disabled_count = 0;
	fx_apply(f);
	assert_true(f->change.tenants_changed);
	fx_restore_passes(f, "globex");
}

/* R11: in drain mode a task is refused at its start or not at all: a task
 * open at T is never refused halfway, whatever happens around it. */
static void test_r11_never_refused_halfway(void **state)
{
	struct fixture *f = *state;
	int block;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	for (block = 0; block < 100; block++) {
		f->now += 1;
		assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
				 POLICY_WHY_TASK_AT_T);
		if (block == 50) { /* a repeated HUP, a refused job of another tenant */
			fx_apply(f);
			fx_open_job(f, TSP_CAT_BACKUP, "globex", "late", TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD,
				    TSP_OP_NONE);
		}
	}
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t1"), POLICY_WHY_TASK_AT_T);
	/* the refused task was refused at its open: nothing of it is tracked */
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2"), POLICY_WHY_LATER_TASK,
		       POLICY_MODE_DRAIN);
	assert_null(jobs_find_task(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job"), "t2"));
}

/* R2 is the standalone agent's backup job only; anything else drains per
 * task (the classifier already refuses agent origins outside backup and
 * restore: this is the policy's own line of defence). */
static void test_r2_only_for_backup_category(void **state)
{
	struct fixture *f = *state;

	fx_open_job(f, TSP_CAT_BACKUP_COPY, "acme", "copy", TSP_ORIGIN_AGENT, TSP_WORKLOAD_LINUX,
		    TSP_OP_NONE);
	fx_send(f, TSP_CAT_BACKUP_COPY, TSP_ROLE_TASK_OPEN, "copy", "t1");
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_jobs, 0);
	assert_int_equal(f->change.draining_tasks, 1);
	assert_refused(fx_send(f, TSP_CAT_BACKUP_COPY, TSP_ROLE_TASK_OPEN, "copy", "t2"),
		       POLICY_WHY_LATER_TASK, POLICY_MODE_DRAIN);
}

/* A task the table holds that was not open at T (here put there directly)
 * is refused: only the draining set and R2 jobs pass. */
static void test_known_task_not_open_at_t_refused(void **state)
{
	struct fixture *f = *state;
	struct job *job;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	job = jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job");
	assert_int_equal(jobs_open_task(f->jobs, job, "late", f->now, NULL), JOBS_OK);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "late"), POLICY_WHY_LATER_TASK,
		       POLICY_MODE_DRAIN);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "late"), POLICY_WHY_LATER_TASK,
		       POLICY_MODE_DRAIN);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_TASK_AT_T);
}

/* ---- the job matrix ---- */

/* server-managed, task granularity (R1) */
static void check_task_granularity(void **state, enum tsp_category cat, enum tsp_workload workload)
{
	struct fixture *f = *state;

	fx_running_vbr_task(f, cat, workload);
	fx_send(f, cat, TSP_ROLE_TASK_OPEN, "job", "t2");
	fx_send(f, cat, TSP_ROLE_TASK_CLOSE, "job", "t2"); /* finished before T */
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 1);
	assert_int_equal(f->change.draining_jobs, 0);
	assert_forwarded(fx_send(f, cat, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_TASK_AT_T);
	assert_refused(fx_send(f, cat, TSP_ROLE_TASK_OPEN, "job", "t3"), POLICY_WHY_LATER_TASK,
		       POLICY_MODE_DRAIN);
	assert_refused(fx_send(f, cat, TSP_ROLE_BLOCK_WRITE, "job", "t3"), POLICY_WHY_UNKNOWN_TASK,
		       POLICY_MODE_DRAIN);
	assert_refused(fx_open_job(f, cat, "acme", "job2", TSP_ORIGIN_VBR, workload, TSP_OP_NONE),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_forwarded(fx_send(f, cat, TSP_ROLE_TASK_CLOSE, "job", "t1"), POLICY_WHY_TASK_AT_T);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_forwarded(fx_send(f, cat, TSP_ROLE_JOB_CLOSE, "job", ""), POLICY_WHY_JOB_CLOSE);
}

/* standalone agent, job granularity (R2) */
static void check_job_granularity(void **state, enum tsp_workload workload)
{
	struct fixture *f = *state;

	fx_open_job(f, TSP_CAT_BACKUP, "acme", "agent", TSP_ORIGIN_AGENT, workload, TSP_OP_NONE);
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "agent", "volume-c");
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_jobs, 1);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "agent", "volume-c"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "agent", "volume-c");
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "agent", "volume-d"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "agent", "volume-d"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	assert_refused(fx_open_job(f, TSP_CAT_BACKUP, "acme", "agent2", TSP_ORIGIN_AGENT, workload,
				   TSP_OP_NONE),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "agent", "volume-d");
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING); /* the job is the unit */
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "agent", "");
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
}

/* replication and its operations: never refused (R5) */
static void check_replication(void **state, enum tsp_operation op)
{
	struct fixture *f = *state;

	assert_forwarded(fx_open_job(f, TSP_CAT_REPLICATION, "acme", "rep", TSP_ORIGIN_VBR,
				     TSP_WORKLOAD_HYPERV, op),
			 POLICY_WHY_OFF);
	fx_send(f, TSP_CAT_REPLICATION, TSP_ROLE_TASK_OPEN, "rep", "vm1");
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 0);
	assert_forwarded(fx_send(f, TSP_CAT_REPLICATION, TSP_ROLE_BLOCK_WRITE, "rep", "vm1"),
			 POLICY_WHY_NOT_COVERED);
	assert_forwarded(fx_send(f, TSP_CAT_REPLICATION, TSP_ROLE_TASK_OPEN, "rep", "vm2"),
			 POLICY_WHY_NOT_COVERED);
	assert_forwarded(fx_open_job(f, TSP_CAT_REPLICATION, "acme", "rep2", TSP_ORIGIN_VBR,
				     TSP_WORKLOAD_VSPHERE, op),
			 POLICY_WHY_NOT_COVERED);
	fx_maintenance(f, true, POLICY_MODE_BLOCK);
	assert_forwarded(fx_send(f, TSP_CAT_REPLICATION, TSP_ROLE_BLOCK_WRITE, "rep", "vm2"),
			 POLICY_WHY_NOT_COVERED);
	assert_forwarded(fx_send(f, TSP_CAT_REPLICATION, TSP_ROLE_JOB_CLOSE, "rep", ""),
			 POLICY_WHY_NOT_COVERED);
}

/* clang-format off */
#define MATRIX_TEST(name, call) \
	static void name(void **state) { call; }

MATRIX_TEST(test_matrix_backup_vbr_vsphere, check_task_granularity(state, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE))
MATRIX_TEST(test_matrix_backup_vbr_hyperv, check_task_granularity(state, TSP_CAT_BACKUP, TSP_WORKLOAD_HYPERV))
MATRIX_TEST(test_matrix_backup_vbr_vcd, check_task_granularity(state, TSP_CAT_BACKUP, TSP_WORKLOAD_VCD))
MATRIX_TEST(test_matrix_backup_vbr_windows_agent, check_task_granularity(state, TSP_CAT_BACKUP, TSP_WORKLOAD_WINDOWS))
MATRIX_TEST(test_matrix_backup_vbr_linux_agent, check_task_granularity(state, TSP_CAT_BACKUP, TSP_WORKLOAD_LINUX))
MATRIX_TEST(test_matrix_backup_vbr_mac_agent, check_task_granularity(state, TSP_CAT_BACKUP, TSP_WORKLOAD_MAC))
MATRIX_TEST(test_matrix_backup_agent_windows, check_job_granularity(state, TSP_WORKLOAD_WINDOWS))
MATRIX_TEST(test_matrix_backup_agent_linux, check_job_granularity(state, TSP_WORKLOAD_LINUX))
MATRIX_TEST(test_matrix_backup_agent_mac, check_job_granularity(state, TSP_WORKLOAD_MAC))
MATRIX_TEST(test_matrix_backup_copy_vsphere, check_task_granularity(state, TSP_CAT_BACKUP_COPY, TSP_WORKLOAD_VSPHERE))
MATRIX_TEST(test_matrix_backup_copy_hyperv, check_task_granularity(state, TSP_CAT_BACKUP_COPY, TSP_WORKLOAD_HYPERV))
MATRIX_TEST(test_matrix_backup_copy_vcd, check_task_granularity(state, TSP_CAT_BACKUP_COPY, TSP_WORKLOAD_VCD))
MATRIX_TEST(test_matrix_backup_copy_agent_backups, check_task_granularity(state, TSP_CAT_BACKUP_COPY, TSP_WORKLOAD_LINUX))
MATRIX_TEST(test_matrix_replication_replicate, check_replication(state, TSP_OP_REPLICATE))
MATRIX_TEST(test_matrix_replication_failover, check_replication(state, TSP_OP_FAILOVER))
MATRIX_TEST(test_matrix_replication_failback, check_replication(state, TSP_OP_FAILBACK))
MATRIX_TEST(test_matrix_replication_undo, check_replication(state, TSP_OP_UNDO))
/* clang-format on */

static void test_matrix_restore_every_workload(void **state)
{
	struct fixture *f = *state;
	static const enum tsp_workload workloads[] = {
		TSP_WORKLOAD_VSPHERE, TSP_WORKLOAD_HYPERV, TSP_WORKLOAD_VCD,
		TSP_WORKLOAD_WINDOWS, TSP_WORKLOAD_LINUX,  TSP_WORKLOAD_MAC,
	};
	size_t i;
	int mode;

	for (mode = 0; mode < 2; mode++) {
		fx_maintenance(f, true, mode ? POLICY_MODE_BLOCK : POLICY_MODE_DRAIN);
		for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++) {
			enum tsp_origin origin = i >= 3 && mode ? TSP_ORIGIN_AGENT : TSP_ORIGIN_VBR;

			assert_forwarded(fx_open_job(f, TSP_CAT_RESTORE, "acme", "restore", origin,
						     workloads[i], TSP_OP_NONE),
					 POLICY_WHY_NOT_COVERED);
			assert_forwarded(fx_send(f, TSP_CAT_RESTORE, TSP_ROLE_BLOCK_READ, "restore", "disk"),
					 POLICY_WHY_NOT_COVERED);
		}
	}
}

/* ---- fail closed, job close, learning ---- */

static void test_unknown_job_or_task_refused_while_on_forwarded_while_off(void **state)
{
	struct fixture *f = *state;

	fx_open_job(f, TSP_CAT_BACKUP, "acme", "known", TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE, TSP_OP_NONE);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "ghost", "t"), POLICY_WHY_UNKNOWN_JOB,
		       POLICY_MODE_DRAIN);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "ghost", "t"), POLICY_WHY_UNKNOWN_JOB,
		       POLICY_MODE_DRAIN);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "known", "ghost"),
		       POLICY_WHY_UNKNOWN_TASK, POLICY_MODE_DRAIN);
	assert_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "ghost")); /* nothing learned */
	fx_maintenance(f, false, POLICY_MODE_DRAIN);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "ghost", "t"), POLICY_WHY_OFF);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "known", "ghost"), POLICY_WHY_OFF);
}

static void test_job_close_always_forwarded(void **state)
{
	struct fixture *f = *state;
	int mode;

	for (mode = 0; mode < 2; mode++) {
		fx_maintenance(f, true, mode ? POLICY_MODE_BLOCK : POLICY_MODE_DRAIN);
		/* even one the proxy never saw: the tenant must get a final status */
		assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "never-seen", ""),
				 POLICY_WHY_JOB_CLOSE);
		assert_forwarded(fx_send(f, TSP_CAT_BACKUP_COPY, TSP_ROLE_JOB_CLOSE, "copy", ""),
				 POLICY_WHY_JOB_CLOSE);
	}
	assert_int_equal(jobs_count(f->jobs), 0); /* and nothing was learned from them */
}

static void test_learning_while_off_then_drains(void **state)
{
	struct fixture *f = *state;
	struct job *job;
	struct job_task *task;
	struct tsp_request req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "old", "vm");
	struct policy_record rec;

	/* sluice restarted mid-job: the first message seen is a block write */
	assert_forwarded(policy_decide(f->policy, f->jobs, &req, f->now), POLICY_WHY_OFF);
	assert_true(policy_record(f->jobs, &req, f->now, &rec));
	assert_true(rec.job_learned && rec.task_learned && !rec.untracked);
	policy_on_response(f->jobs, &req, &rec, 200);
	job = jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "old");
	assert_non_null(job);
	task = jobs_find_task(job, "vm");
	assert_non_null(task);
	assert_true(job->learned && task->learned);
	assert_int_equal(job->desc.origin, TSP_ORIGIN_NONE);
	/* a task close names only the job: it learns the job, not the task */
	fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "other", "vm");
	assert_non_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "other"));

	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 1);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "old", "vm"), POLICY_WHY_TASK_AT_T);
	/* learned = server-managed: no later task */
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "old", "vm2"), POLICY_WHY_LATER_TASK,
		       POLICY_MODE_DRAIN);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "old", "vm"), POLICY_WHY_TASK_AT_T);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
}

static void test_learning_undone_when_repository_refuses(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "j", "t");

	/* e.g. a forged tenant name: the repository answers 401 */
	fx_send_status(f, &req, 401);
	assert_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "j"));
	assert_int_equal(jobs_count(f->jobs), 0);
	/* a learned task of a known job goes, the job stays */
	fx_open_job(f, TSP_CAT_BACKUP, "acme", "j", TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD, TSP_OP_NONE);
	fx_send_status(f, &req, 404);
	assert_non_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "j"));
	assert_int_equal(jobs_task_count(f->jobs), 0);
	/* a learned job that gained a task from elsewhere stays */
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "acme", "k", "t");
	{
		struct policy_record rec;
		struct tsp_request open = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "acme", "k", "u");

		assert_true(policy_record(f->jobs, &req, f->now, &rec));
		assert_true(rec.job_learned);
		fx_send_status(f, &open, 201);
		policy_on_response(f->jobs, &req, &rec, 500);
		assert_non_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "k"));
	}
}

static void test_learning_best_effort_when_full(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "late", "t");
	struct policy_record rec;
	char id[16];
	int i;

	for (i = 0; i < 16; i++) {
		snprintf(id, sizeof(id), "j%d", i);
		fx_open_job(f, TSP_CAT_BACKUP, "acme", id, TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD, TSP_OP_NONE);
	}
	assert_true(jobs_full(f->jobs));
	/* a running task's block write is never refused for room */
	assert_forwarded(policy_decide(f->policy, f->jobs, &req, f->now), POLICY_WHY_OFF);
	assert_true(policy_record(f->jobs, &req, f->now, &rec));
	assert_true(rec.untracked);
	assert_false(rec.job_learned);
	policy_on_response(f->jobs, &req, &rec, 200);
	assert_int_equal(jobs_count(f->jobs), 16);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_r1_running_task_finishes_later_tasks_refused),
		T(test_r2_agent_job_finishes_as_a_whole),
		T(test_r3_job_open_refused_while_on),
		T(test_r4_refusal_carries_mode_and_hello_notice),
		T(test_r5_restore_and_replication_never_refused),
		T(test_r6_off_restores_service_at_once),
		T(test_r7_invalid_settings_change_nothing),
		T(test_r8_block_refuses_running_tasks_but_job_close),
		T(test_r9_draining_counts_per_tenant),
		T(test_r10_disabled_tenant_refused_everything),
		T(test_r11_never_refused_halfway),
		T(test_r2_only_for_backup_category),
		T(test_known_task_not_open_at_t_refused),
		T(test_matrix_backup_vbr_vsphere),
		T(test_matrix_backup_vbr_hyperv),
		T(test_matrix_backup_vbr_vcd),
		T(test_matrix_backup_vbr_windows_agent),
		T(test_matrix_backup_vbr_linux_agent),
		T(test_matrix_backup_vbr_mac_agent),
		T(test_matrix_backup_agent_windows),
		T(test_matrix_backup_agent_linux),
		T(test_matrix_backup_agent_mac),
		T(test_matrix_backup_copy_vsphere),
		T(test_matrix_backup_copy_hyperv),
		T(test_matrix_backup_copy_vcd),
		T(test_matrix_backup_copy_agent_backups),
		T(test_matrix_replication_replicate),
		T(test_matrix_replication_failover),
		T(test_matrix_replication_failback),
		T(test_matrix_replication_undo),
		T(test_matrix_restore_every_workload),
		T(test_unknown_job_or_task_refused_while_on_forwarded_while_off),
		T(test_job_close_always_forwarded),
		T(test_learning_while_off_then_drains),
		T(test_learning_undone_when_repository_refuses),
		T(test_learning_best_effort_when_full),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
