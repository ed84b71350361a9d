/*
 * tests/unit/test_policy.c: the maintenance policy (proxy/policy.c) against
 * MISSION.md R1-R11 and every row of its job matrix, with a fake clock (the
 * time is a number each step passes in).
 *
 * The helpers play the proxy's shell: decide, then (when forwarded) record,
 * then hand over the repository's status, then tick.
 */
#include "autoconfig.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

struct fixture {
	struct policy *policy;
	struct jobs *jobs;
	struct policy_settings settings;
	struct policy_change change;  /* the last apply's or tick's */
	int ticks;                    /* state changes reported by tick */
	double now;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct jobs_limits limits;

	assert_non_null(f);
	jobs_limits_default(&limits);
	limits.max_jobs = 16;
	limits.max_tasks = 4;
	limits.idle_expiry = 3600;
	f->jobs = jobs_new(&limits);
	f->policy = policy_new();
	assert_non_null(f->jobs);
	assert_non_null(f->policy);
	policy_settings_default(&f->settings);
	f->now = 1000;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	policy_free(f->policy);
	jobs_free(f->jobs);
	free(f);
	return 0;
}

/* ---- the shell's part ---- */

static struct tsp_request
request(enum tsp_category cat, enum tsp_role role, const char *tenant, const char *job,
	const char *task)
{
	struct tsp_request req;

	memset(&req, 0, sizeof(req));
	req.category = cat;
	req.role = role;
	snprintf(req.tenant, sizeof(req.tenant), "%s", tenant);
	snprintf(req.job, sizeof(req.job), "%s", job);
	snprintf(req.task, sizeof(req.task), "%s", task);
	return req;
}

/* Count the state changes tick reports; keep the last one. */
static void
tick(struct fixture *f)
{
	if (policy_tick(f->policy, f->jobs, f->now, &f->change))
		f->ticks++;
}

/* One request end to end; status is the repository's answer when forwarded. */
static struct policy_decision
send_status(struct fixture *f, const struct tsp_request *req, unsigned status)
{
	struct policy_decision d = policy_decide(f->policy, f->jobs, req, f->now);
	struct policy_record rec;

	if (d.verdict == POLICY_FORWARD) {
		assert_true(policy_record(f->jobs, req, f->now, &rec));
		policy_on_response(f->jobs, req, &rec, status);
		tick(f);
	}
	return d;
}

static struct policy_decision
send(struct fixture *f, enum tsp_category cat, enum tsp_role role, const char *job,
     const char *task)
{
	struct tsp_request req = request(cat, role, "acme", job, task);

	return send_status(f, &req, 200);
}

static struct policy_decision
open_job(struct fixture *f, enum tsp_category cat, const char *tenant, const char *job,
	 enum tsp_origin origin, enum tsp_workload workload, enum tsp_operation op)
{
	struct tsp_request req = request(cat, TSP_ROLE_JOB_OPEN, tenant, job, "");

	req.origin = origin;
	req.workload = workload;
	req.operation = op;
	return send_status(f, &req, 201);
}

static void
apply(struct fixture *f)
{
	const char *error = "unset";

	assert_true(policy_apply(f->policy, &f->settings, f->jobs, f->now, &f->change, &error));
	assert_null(error);
	tick(f);
}

static void
maintenance(struct fixture *f, bool enabled, enum policy_mode mode)
{
	f->settings.enabled = enabled;
	f->settings.mode = mode;
	apply(f);
}

#define assert_forwarded(d, why)                                 \
	do {                                                     \
		struct policy_decision d_ = (d);                 \
		assert_int_equal(d_.verdict, POLICY_FORWARD);    \
		assert_int_equal(d_.reason, (why));              \
	} while (0)

#define assert_refused(d, why, m)                                        \
	do {                                                             \
		struct policy_decision d_ = (d);                         \
		assert_int_equal(d_.verdict, POLICY_REFUSE_MAINTENANCE); \
		assert_int_equal(d_.reason, (why));                      \
		assert_int_equal(d_.mode, (m));                          \
	} while (0)

/* A server-managed job with one task running: the usual state at T. */
static void
running_vbr_task(struct fixture *f, enum tsp_category cat, enum tsp_workload workload)
{
	assert_forwarded(open_job(f, cat, "acme", "job", TSP_ORIGIN_VBR, workload, TSP_OP_NONE),
			 POLICY_WHY_OFF);
	assert_forwarded(send(f, cat, TSP_ROLE_TASK_OPEN, "job", "t1"), POLICY_WHY_OFF);
	assert_forwarded(send(f, cat, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_OFF);
}

/* ---- R1-R11 ---- */

static void
test_r1_running_task_finishes_later_tasks_refused(void **state)
{
	struct fixture *f = *state;

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->now = 2000;
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 1);
	f->now = 2001;
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
			 POLICY_WHY_TASK_AT_T);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
			 POLICY_WHY_TASK_AT_T);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t1"),
			 POLICY_WHY_TASK_AT_T);
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2"),
		       POLICY_WHY_LATER_TASK, POLICY_MODE_DRAIN);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "job", ""),
			 POLICY_WHY_JOB_CLOSE);
}

static void
test_r2_agent_job_finishes_as_a_whole(void **state)
{
	struct fixture *f = *state;

	open_job(f, TSP_CAT_BACKUP, "acme", "laptop", TSP_ORIGIN_AGENT, TSP_WORKLOAD_LINUX,
		 TSP_OP_NONE);
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "laptop", "disk0");
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_jobs, 1);
	assert_int_equal(f->change.draining_tasks, 0); /* counted as one job */
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "laptop", "disk0"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "laptop", "disk0"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	/* later tasks of that job too (R2) */
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "laptop", "disk1"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "laptop", "disk1"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "laptop", "disk1"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "laptop", ""),
			 POLICY_WHY_JOB_CLOSE);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
}

static void
test_r3_job_open_refused_while_on(void **state)
{
	struct fixture *f = *state;

	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_refused(open_job(f, TSP_CAT_BACKUP, "acme", "new", TSP_ORIGIN_VBR,
				TSP_WORKLOAD_HYPERV, TSP_OP_NONE),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_refused(open_job(f, TSP_CAT_BACKUP, "acme", "agent", TSP_ORIGIN_AGENT,
				TSP_WORKLOAD_MAC, TSP_OP_NONE),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_refused(open_job(f, TSP_CAT_BACKUP_COPY, "acme", "copy", TSP_ORIGIN_VBR,
				TSP_WORKLOAD_VCD, TSP_OP_NONE),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "new")); /* nothing recorded */
	maintenance(f, true, POLICY_MODE_BLOCK);
	assert_refused(open_job(f, TSP_CAT_BACKUP, "acme", "new", TSP_ORIGIN_VBR,
				TSP_WORKLOAD_HYPERV, TSP_OP_NONE),
		       POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
}

/* The notification text is the shell's ([maintenance] message); the policy
 * gives every refusal the mode for Tsp-Maintenance and the hello its notice. */
static void
test_r4_refusal_carries_mode_and_hello_notice(void **state)
{
	struct fixture *f = *state;
	struct tsp_request hello = request(TSP_CAT_CONTROL, TSP_ROLE_SESSION_HELLO, "acme", "", "");
	struct policy_decision d;

	assert_forwarded(send_status(f, &hello, 200), POLICY_WHY_HELLO);
	f->now = 1234;
	maintenance(f, true, POLICY_MODE_DRAIN);
	f->now = 1300;
	d = policy_decide(f->policy, f->jobs, &hello, f->now);
	assert_int_equal(d.verdict, POLICY_HELLO_NOTICE);
	assert_int_equal(d.mode, POLICY_MODE_DRAIN);
	assert_true(d.since == 1234);
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "x", "y"),
		       POLICY_WHY_UNKNOWN_JOB, POLICY_MODE_DRAIN);
	maintenance(f, true, POLICY_MODE_BLOCK);
	d = policy_decide(f->policy, f->jobs, &hello, f->now);
	assert_int_equal(d.verdict, POLICY_HELLO_NOTICE);
	assert_int_equal(d.mode, POLICY_MODE_BLOCK);
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "x", "y"),
		       POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
}

static void
restore_passes(struct fixture *f, const char *tenant)
{
	struct tsp_request req = request(TSP_CAT_RESTORE, TSP_ROLE_JOB_OPEN, tenant, "r1", "");

	req.origin = TSP_ORIGIN_VBR;
	req.workload = TSP_WORKLOAD_VSPHERE;
	assert_forwarded(send_status(f, &req, 201), POLICY_WHY_NOT_COVERED);
	req = request(TSP_CAT_RESTORE, TSP_ROLE_TASK_OPEN, tenant, "r1", "vm");
	assert_forwarded(send_status(f, &req, 201), POLICY_WHY_NOT_COVERED);
	req = request(TSP_CAT_RESTORE, TSP_ROLE_BLOCK_READ, tenant, "r1", "vm");
	assert_forwarded(send_status(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = request(TSP_CAT_RESTORE, TSP_ROLE_TASK_CLOSE, tenant, "r1", "vm");
	assert_forwarded(send_status(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = request(TSP_CAT_RESTORE, TSP_ROLE_JOB_CLOSE, tenant, "r1", "");
	assert_forwarded(send_status(f, &req, 200), POLICY_WHY_NOT_COVERED);
}

static void
test_r5_restore_and_replication_never_refused(void **state)
{
	struct fixture *f = *state;

	maintenance(f, true, POLICY_MODE_DRAIN);
	restore_passes(f, "acme");
	assert_forwarded(open_job(f, TSP_CAT_REPLICATION, "acme", "rep", TSP_ORIGIN_VBR,
				  TSP_WORKLOAD_VSPHERE, TSP_OP_FAILOVER),
			 POLICY_WHY_NOT_COVERED);
	maintenance(f, true, POLICY_MODE_BLOCK);
	restore_passes(f, "acme");
	assert_forwarded(send(f, TSP_CAT_REPLICATION, TSP_ROLE_TASK_OPEN, "rep", "vm"),
			 POLICY_WHY_NOT_COVERED);
	assert_int_equal(jobs_count_category(f->jobs, TSP_CAT_RESTORE), 0); /* never tracked */
}

static void
test_r6_off_restores_service_at_once(void **state)
{
	struct fixture *f = *state;

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2"),
		       POLICY_WHY_LATER_TASK, POLICY_MODE_DRAIN);
	f->now += 60;
	maintenance(f, false, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.event, POLICY_EVENT_OFF);
	assert_true(f->change.elapsed == 60);
	assert_int_equal(f->change.draining_tasks, 0);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2"), POLICY_WHY_OFF);
	assert_forwarded(open_job(f, TSP_CAT_BACKUP, "acme", "next", TSP_ORIGIN_VBR,
				  TSP_WORKLOAD_VSPHERE, TSP_OP_NONE),
			 POLICY_WHY_OFF);
	assert_int_equal(jobs_draining_tasks(f->jobs), 0);
}

/* R7 at the policy's level: settings that do not validate change nothing. */
static void
test_r7_invalid_settings_change_nothing(void **state)
{
	struct fixture *f = *state;
	struct policy_settings bad;
	const char *error = NULL;
	uint64_t generation;

	maintenance(f, true, POLICY_MODE_DRAIN);
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

static void
test_r8_block_refuses_running_tasks_but_job_close(void **state)
{
	struct fixture *f = *state;

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	open_job(f, TSP_CAT_BACKUP, "acme", "agent", TSP_ORIGIN_AGENT, TSP_WORKLOAD_WINDOWS,
		 TSP_OP_NONE);
	maintenance(f, true, POLICY_MODE_BLOCK);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKING);
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
		       POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t1"),
		       POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "agent", "t9"),
		       POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	/* jobs close so the tenant sees a final status; the drain completes */
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "job", ""),
			 POLICY_WHY_JOB_CLOSE);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKING);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "agent", ""),
			 POLICY_WHY_JOB_CLOSE);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKED);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
}

struct tenant_counts {
	char names[4][TSP_TENANT_MAX + 1];
	size_t tasks[4], jobs[4];
	int count;
};

static void
collect(void *ctx, const char *tenant, size_t tasks, size_t jobs)
{
	struct tenant_counts *c = ctx;

	assert_true(c->count < 4);
	snprintf(c->names[c->count], sizeof(c->names[0]), "%s", tenant);
	c->tasks[c->count] = tasks;
	c->jobs[c->count] = jobs;
	c->count++;
}

static void
test_r9_draining_counts_per_tenant(void **state)
{
	struct fixture *f = *state;
	struct tenant_counts counts;
	struct policy_status status;
	struct tsp_request req;

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2");
	open_job(f, TSP_CAT_BACKUP, "globex", "laptop", TSP_ORIGIN_AGENT, TSP_WORKLOAD_MAC,
		 TSP_OP_NONE);
	open_job(f, TSP_CAT_BACKUP, "initech", "idle", TSP_ORIGIN_VBR, TSP_WORKLOAD_HYPERV,
		 TSP_OP_NONE); /* no task running: nothing to drain */
	f->now = 5000;
	maintenance(f, true, POLICY_MODE_DRAIN);
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

	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t1");
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t2");
	f->now = 5042.5;
	req = request(TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "globex", "laptop", "");
	send_status(f, &req, 200);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_true(f->change.elapsed == 42.5);
	policy_status(f->policy, f->jobs, f->now, &status);
	assert_int_equal(status.state, POLICY_DRAINED);
	assert_true(status.drained_at == 5042.5);
	memset(&counts, 0, sizeof(counts));
	policy_foreach_draining_tenant(f->jobs, collect, &counts);
	assert_int_equal(counts.count, 0);
}

static void
test_r10_disabled_tenant_refused_everything(void **state)
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
		maintenance(f, pass == 1, POLICY_MODE_DRAIN);
		for (role = TSP_ROLE_SESSION_HELLO; role < TSP_ROLE_COUNT; role++) {
			for (cat = TSP_CAT_CONTROL; cat < TSP_CAT_COUNT; cat++) {
				if ((cat == TSP_CAT_CONTROL) != (role == TSP_ROLE_SESSION_HELLO))
					continue; /* only the hello has no category */
				req = request(cat, role, "globex", cat ? "j" : "", "t");
				d = policy_decide(f->policy, f->jobs, &req, f->now);
				assert_int_equal(d.verdict, POLICY_REFUSE_DISABLED);
				assert_int_equal(d.reason, POLICY_WHY_TENANT_DISABLED);
				checked++;
			}
		}
		restore_passes(f, "acme"); /* other tenants are fine */
	}
	assert_int_equal(checked, 2 * (1 + 4 * (TSP_ROLE_COUNT - 1)));
	assert_true(policy_tenant_disabled(f->policy, "globex"));
	assert_false(policy_tenant_disabled(f->policy, "acme"));
	f->settings.disabled_count = 0;
	apply(f);
	assert_true(f->change.tenants_changed);
	restore_passes(f, "globex");
}

/* R11: in drain mode a task is refused at its start or not at all: a task
 * open at T is never refused halfway, whatever happens around it. */
static void
test_r11_never_refused_halfway(void **state)
{
	struct fixture *f = *state;
	int block;

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	maintenance(f, true, POLICY_MODE_DRAIN);
	for (block = 0; block < 100; block++) {
		f->now += 1;
		assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
				 POLICY_WHY_TASK_AT_T);
		if (block == 50) { /* a repeated HUP, a refused job of another tenant */
			apply(f);
			open_job(f, TSP_CAT_BACKUP, "globex", "late", TSP_ORIGIN_VBR,
				 TSP_WORKLOAD_VCD, TSP_OP_NONE);
		}
	}
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t1"),
			 POLICY_WHY_TASK_AT_T);
	/* the refused task was refused at its open: nothing of it is tracked */
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2"),
		       POLICY_WHY_LATER_TASK, POLICY_MODE_DRAIN);
	assert_null(jobs_find_task(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job"), "t2"));
}

/* R2 is the standalone agent's backup job only; anything else drains per
 * task (the classifier already refuses agent origins outside backup and
 * restore: this is the policy's own line of defence). */
static void
test_r2_only_for_backup_category(void **state)
{
	struct fixture *f = *state;

	open_job(f, TSP_CAT_BACKUP_COPY, "acme", "copy", TSP_ORIGIN_AGENT, TSP_WORKLOAD_LINUX,
		 TSP_OP_NONE);
	send(f, TSP_CAT_BACKUP_COPY, TSP_ROLE_TASK_OPEN, "copy", "t1");
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_jobs, 0);
	assert_int_equal(f->change.draining_tasks, 1);
	assert_refused(send(f, TSP_CAT_BACKUP_COPY, TSP_ROLE_TASK_OPEN, "copy", "t2"),
		       POLICY_WHY_LATER_TASK, POLICY_MODE_DRAIN);
}

/* A task the table holds that was not open at T (here put there directly)
 * is refused: only the draining set and R2 jobs pass. */
static void
test_known_task_not_open_at_t_refused(void **state)
{
	struct fixture *f = *state;
	struct job *job;

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	maintenance(f, true, POLICY_MODE_DRAIN);
	job = jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job");
	assert_int_equal(jobs_open_task(f->jobs, job, "late", f->now, NULL), JOBS_OK);
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "late"),
		       POLICY_WHY_LATER_TASK, POLICY_MODE_DRAIN);
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "late"),
		       POLICY_WHY_LATER_TASK, POLICY_MODE_DRAIN);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
			 POLICY_WHY_TASK_AT_T);
}

/* ---- the job matrix ---- */

/* server-managed, task granularity (R1) */
static void
check_task_granularity(void **state, enum tsp_category cat, enum tsp_workload workload)
{
	struct fixture *f = *state;

	running_vbr_task(f, cat, workload);
	send(f, cat, TSP_ROLE_TASK_OPEN, "job", "t2");
	send(f, cat, TSP_ROLE_TASK_CLOSE, "job", "t2"); /* finished before T */
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 1);
	assert_int_equal(f->change.draining_jobs, 0);
	assert_forwarded(send(f, cat, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_TASK_AT_T);
	assert_refused(send(f, cat, TSP_ROLE_TASK_OPEN, "job", "t3"), POLICY_WHY_LATER_TASK,
		       POLICY_MODE_DRAIN);
	assert_refused(send(f, cat, TSP_ROLE_BLOCK_WRITE, "job", "t3"), POLICY_WHY_UNKNOWN_TASK,
		       POLICY_MODE_DRAIN);
	assert_refused(open_job(f, cat, "acme", "job2", TSP_ORIGIN_VBR, workload, TSP_OP_NONE),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_forwarded(send(f, cat, TSP_ROLE_TASK_CLOSE, "job", "t1"), POLICY_WHY_TASK_AT_T);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_forwarded(send(f, cat, TSP_ROLE_JOB_CLOSE, "job", ""), POLICY_WHY_JOB_CLOSE);
}

/* standalone agent, job granularity (R2) */
static void
check_job_granularity(void **state, enum tsp_workload workload)
{
	struct fixture *f = *state;

	open_job(f, TSP_CAT_BACKUP, "acme", "agent", TSP_ORIGIN_AGENT, workload, TSP_OP_NONE);
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "agent", "volume-c");
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_jobs, 1);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "agent", "volume-c"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "agent", "volume-c");
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "agent", "volume-d"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "agent", "volume-d"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	assert_refused(open_job(f, TSP_CAT_BACKUP, "acme", "agent2", TSP_ORIGIN_AGENT, workload,
				TSP_OP_NONE),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "agent", "volume-d");
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING); /* the job is the unit */
	send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "agent", "");
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
}

/* replication and its operations: never refused (R5) */
static void
check_replication(void **state, enum tsp_operation op)
{
	struct fixture *f = *state;

	assert_forwarded(open_job(f, TSP_CAT_REPLICATION, "acme", "rep", TSP_ORIGIN_VBR,
				  TSP_WORKLOAD_HYPERV, op),
			 POLICY_WHY_OFF);
	send(f, TSP_CAT_REPLICATION, TSP_ROLE_TASK_OPEN, "rep", "vm1");
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 0);
	assert_forwarded(send(f, TSP_CAT_REPLICATION, TSP_ROLE_BLOCK_WRITE, "rep", "vm1"),
			 POLICY_WHY_NOT_COVERED);
	assert_forwarded(send(f, TSP_CAT_REPLICATION, TSP_ROLE_TASK_OPEN, "rep", "vm2"),
			 POLICY_WHY_NOT_COVERED);
	assert_forwarded(open_job(f, TSP_CAT_REPLICATION, "acme", "rep2", TSP_ORIGIN_VBR,
				  TSP_WORKLOAD_VSPHERE, op),
			 POLICY_WHY_NOT_COVERED);
	maintenance(f, true, POLICY_MODE_BLOCK);
	assert_forwarded(send(f, TSP_CAT_REPLICATION, TSP_ROLE_BLOCK_WRITE, "rep", "vm2"),
			 POLICY_WHY_NOT_COVERED);
	assert_forwarded(send(f, TSP_CAT_REPLICATION, TSP_ROLE_JOB_CLOSE, "rep", ""),
			 POLICY_WHY_NOT_COVERED);
}

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

static void
test_matrix_restore_every_workload(void **state)
{
	struct fixture *f = *state;
	static const enum tsp_workload workloads[] = {
		TSP_WORKLOAD_VSPHERE, TSP_WORKLOAD_HYPERV, TSP_WORKLOAD_VCD,
		TSP_WORKLOAD_WINDOWS, TSP_WORKLOAD_LINUX, TSP_WORKLOAD_MAC,
	};
	size_t i;
	int mode;

	for (mode = 0; mode < 2; mode++) {
		maintenance(f, true, mode ? POLICY_MODE_BLOCK : POLICY_MODE_DRAIN);
		for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++) {
			enum tsp_origin origin = i >= 3 && mode ? TSP_ORIGIN_AGENT : TSP_ORIGIN_VBR;

			assert_forwarded(open_job(f, TSP_CAT_RESTORE, "acme", "restore", origin,
						  workloads[i], TSP_OP_NONE),
					 POLICY_WHY_NOT_COVERED);
			assert_forwarded(send(f, TSP_CAT_RESTORE, TSP_ROLE_BLOCK_READ, "restore",
					      "disk"),
					 POLICY_WHY_NOT_COVERED);
		}
	}
}

/* ---- fail closed, job close, learning ---- */

static void
test_unknown_job_or_task_refused_while_on_forwarded_while_off(void **state)
{
	struct fixture *f = *state;

	open_job(f, TSP_CAT_BACKUP, "acme", "known", TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE,
		 TSP_OP_NONE);
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "ghost", "t"),
		       POLICY_WHY_UNKNOWN_JOB, POLICY_MODE_DRAIN);
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "ghost", "t"),
		       POLICY_WHY_UNKNOWN_JOB, POLICY_MODE_DRAIN);
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "known", "ghost"),
		       POLICY_WHY_UNKNOWN_TASK, POLICY_MODE_DRAIN);
	assert_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "ghost")); /* nothing learned */
	maintenance(f, false, POLICY_MODE_DRAIN);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "ghost", "t"),
			 POLICY_WHY_OFF);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "known", "ghost"),
			 POLICY_WHY_OFF);
}

static void
test_job_close_always_forwarded(void **state)
{
	struct fixture *f = *state;
	int mode;

	for (mode = 0; mode < 2; mode++) {
		maintenance(f, true, mode ? POLICY_MODE_BLOCK : POLICY_MODE_DRAIN);
		/* even one the proxy never saw: the tenant must get a final status */
		assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "never-seen", ""),
				 POLICY_WHY_JOB_CLOSE);
		assert_forwarded(send(f, TSP_CAT_BACKUP_COPY, TSP_ROLE_JOB_CLOSE, "copy", ""),
				 POLICY_WHY_JOB_CLOSE);
	}
	assert_int_equal(jobs_count(f->jobs), 0); /* and nothing was learned from them */
}

static void
test_learning_while_off_then_drains(void **state)
{
	struct fixture *f = *state;
	struct job *job;
	struct job_task *task;
	struct tsp_request req = request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "old", "vm");
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
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "other", "vm");
	assert_non_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "other"));

	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 1);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "old", "vm"),
			 POLICY_WHY_TASK_AT_T);
	/* learned = server-managed: no later task */
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "old", "vm2"),
		       POLICY_WHY_LATER_TASK, POLICY_MODE_DRAIN);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "old", "vm"),
			 POLICY_WHY_TASK_AT_T);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
}

static void
test_learning_undone_when_repository_refuses(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "j", "t");

	/* e.g. a forged tenant name: the repository answers 401 */
	send_status(f, &req, 401);
	assert_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "j"));
	assert_int_equal(jobs_count(f->jobs), 0);
	/* a learned task of a known job goes, the job stays */
	open_job(f, TSP_CAT_BACKUP, "acme", "j", TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD, TSP_OP_NONE);
	send_status(f, &req, 404);
	assert_non_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "j"));
	assert_int_equal(jobs_task_count(f->jobs), 0);
	/* a learned job that gained a task from elsewhere stays */
	req = request(TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "acme", "k", "t");
	{
		struct policy_record rec;
		struct tsp_request open = request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "acme", "k",
						  "u");

		assert_true(policy_record(f->jobs, &req, f->now, &rec));
		assert_true(rec.job_learned);
		send_status(f, &open, 201);
		policy_on_response(f->jobs, &req, &rec, 500);
		assert_non_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "k"));
	}
}

static void
test_learning_best_effort_when_full(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "late", "t");
	struct policy_record rec;
	char id[16];
	int i;

	for (i = 0; i < 16; i++) {
		snprintf(id, sizeof(id), "j%d", i);
		open_job(f, TSP_CAT_BACKUP, "acme", id, TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD, TSP_OP_NONE);
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

/* ---- the table after decisions ---- */

static void
test_failed_open_leaves_no_phantom(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = request(TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "acme", "j", "");

	req.origin = TSP_ORIGIN_AGENT;
	req.workload = TSP_WORKLOAD_WINDOWS;
	send_status(f, &req, 503);
	assert_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "j"));
	send_status(f, &req, 201);
	req = request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "acme", "j", "t");
	send_status(f, &req, 409);
	assert_int_equal(jobs_task_count(f->jobs), 0);
	send_status(f, &req, 0); /* the upstream went away: no answer at all */
	assert_int_equal(jobs_task_count(f->jobs), 0);
	/* a repeated open the repository refuses does not remove the job */
	req = request(TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "acme", "j", "");
	send_status(f, &req, 409);
	assert_non_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "j"));
}

/* An open forwarded before T whose answer comes after T was open at T. */
static void
test_open_in_flight_at_t_drains(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "acme", "j", "t");
	struct policy_record rec;

	open_job(f, TSP_CAT_BACKUP, "acme", "j", TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE, TSP_OP_NONE);
	assert_forwarded(policy_decide(f->policy, f->jobs, &req, f->now), POLICY_WHY_OFF);
	assert_true(policy_record(f->jobs, &req, f->now, &rec));
	maintenance(f, true, POLICY_MODE_DRAIN); /* HUP before the repository answers */
	assert_int_equal(f->change.draining_tasks, 1);
	policy_on_response(f->jobs, &req, &rec, 201);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "j", "t"),
			 POLICY_WHY_TASK_AT_T);
	/* the same, but the repository refuses the open: the set shrinks */
	maintenance(f, false, POLICY_MODE_DRAIN);
	req = request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "acme", "j", "t2");
	assert_true(policy_record(f->jobs, &req, f->now, &rec));
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 2);
	policy_on_response(f->jobs, &req, &rec, 500);
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
}

/* Pipelined on one connection or spread over several: a task's writes may
 * arrive before the repository has answered its open. */
static void
test_writes_behind_an_unanswered_open(void **state)
{
	struct fixture *f = *state;
	struct tsp_request open = request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "acme", "j", "t");
	struct tsp_request write = request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "j", "t");
	struct policy_record open_rec, write_rec;

	open_job(f, TSP_CAT_BACKUP, "acme", "j", TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE, TSP_OP_NONE);
	assert_true(policy_record(f->jobs, &open, f->now, &open_rec));
	assert_true(open_rec.task_added);
	assert_true(policy_record(f->jobs, &write, f->now, &write_rec));
	assert_false(write_rec.task_learned); /* found, not learned */
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_forwarded(policy_decide(f->policy, f->jobs, &write, f->now), POLICY_WHY_TASK_AT_T);
	policy_on_response(f->jobs, &open, &open_rec, 201);
	policy_on_response(f->jobs, &write, &write_rec, 200);
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
}

static void
test_close_removes_only_on_2xx(void **state)
{
	struct fixture *f = *state;
	struct tsp_request close = request(TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "acme", "job", "t1");
	struct tsp_request job_close = request(TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "acme", "job", "");

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	maintenance(f, true, POLICY_MODE_DRAIN);
	send_status(f, &close, 401); /* e.g. a forged close: the entry stays */
	send_status(f, &close, 503); /* the repository failed: it still runs */
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
	assert_forwarded(send_status(f, &close, 200), POLICY_WHY_TASK_AT_T);
	assert_int_equal(jobs_draining_tasks(f->jobs), 0);
	send_status(f, &job_close, 500);
	assert_non_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job"));
	send_status(f, &job_close, 200);
	assert_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job"));
}

static void
test_job_table_full_is_busy(void **state)
{
	struct fixture *f = *state;
	struct policy_decision d;
	char id[16];
	int i;

	for (i = 0; i < 16; i++) {
		snprintf(id, sizeof(id), "j%d", i);
		assert_forwarded(open_job(f, TSP_CAT_BACKUP, "acme", id, TSP_ORIGIN_VBR,
					  TSP_WORKLOAD_VCD, TSP_OP_NONE),
				 POLICY_WHY_OFF);
	}
	d = open_job(f, TSP_CAT_BACKUP, "acme", "one-more", TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD,
		     TSP_OP_NONE);
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
	assert_int_equal(d.reason, POLICY_WHY_TABLE_FULL);
	/* a task open of a job the table does not know needs room for the job */
	d = send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "unknown", "t");
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
	/* reopening a known job, and restores, need no room */
	assert_forwarded(open_job(f, TSP_CAT_BACKUP, "acme", "j3", TSP_ORIGIN_VBR,
				  TSP_WORKLOAD_VCD, TSP_OP_NONE),
			 POLICY_WHY_OFF);
	restore_passes(f, "acme");
	/* a replication job while on is bounded too (it is tracked) */
	maintenance(f, true, POLICY_MODE_DRAIN);
	d = open_job(f, TSP_CAT_REPLICATION, "acme", "rep", TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD,
		     TSP_OP_REPLICATE);
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
	/* while on, a backup job open is refused for maintenance, not busy */
	assert_refused(open_job(f, TSP_CAT_BACKUP, "acme", "one-more", TSP_ORIGIN_VBR,
				TSP_WORKLOAD_VCD, TSP_OP_NONE),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
}

static void
test_tasks_per_job_full_is_busy(void **state)
{
	struct fixture *f = *state;
	struct policy_decision d;

	open_job(f, TSP_CAT_BACKUP, "acme", "j", TSP_ORIGIN_AGENT, TSP_WORKLOAD_LINUX, TSP_OP_NONE);
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t1");
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t2");
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t3");
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t4");
	d = send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t5");
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
	assert_int_equal(d.reason, POLICY_WHY_TASKS_FULL);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t4"), POLICY_WHY_OFF);
	/* the R2 path has the same bound */
	maintenance(f, true, POLICY_MODE_DRAIN);
	d = send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t5");
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
}

static void
test_table_wide_task_bound_is_busy(void **state)
{
	struct fixture *f = *state;
	struct jobs_limits limits = *jobs_limits(f->jobs);
	struct policy_decision d;

	limits.max_all_tasks = 2;
	assert_true(jobs_set_limits(f->jobs, &limits));
	open_job(f, TSP_CAT_BACKUP, "acme", "a", TSP_ORIGIN_VBR, TSP_WORKLOAD_VCD, TSP_OP_NONE);
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "a", "t1");
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "a", "t2");
	d = send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "a", "t3");
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
	assert_int_equal(d.reason, POLICY_WHY_TASKS_FULL);
	/* also for a task whose job the table has yet to learn */
	d = send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "unknown", "t1");
	assert_int_equal(d.verdict, POLICY_REFUSE_BUSY);
	assert_int_equal(d.reason, POLICY_WHY_TASKS_FULL);
	assert_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "unknown"));
}

static void
test_tenants_are_isolated(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "globex", "job", "t1");

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE); /* acme's */
	maintenance(f, true, POLICY_MODE_DRAIN);
	/* the same ids under another tenant are not acme's draining task */
	assert_refused(policy_decide(f->policy, f->jobs, &req, f->now), POLICY_WHY_UNKNOWN_JOB,
		       POLICY_MODE_DRAIN);
	req = request(TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "globex", "job", "");
	send_status(f, &req, 200);
	assert_non_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job"));
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
}

/* ---- state changes ---- */

static void
test_repeated_apply_keeps_t(void **state)
{
	struct fixture *f = *state;
	uint64_t generation;
	struct policy_status status;

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->now = 100;
	maintenance(f, true, POLICY_MODE_DRAIN);
	generation = policy_generation(f->policy);
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "refused"); /* refused, no effect */
	f->now = 200;
	apply(f); /* the same file, HUP again */
	assert_int_equal(f->change.event, POLICY_EVENT_NONE);
	assert_false(f->change.tenants_changed);
	assert_int_equal(policy_generation(f->policy), generation);
	policy_status(f->policy, f->jobs, f->now, &status);
	assert_true(status.since == 100);
	assert_int_equal(status.draining_tasks, 1);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
			 POLICY_WHY_TASK_AT_T);
}

static void
test_generation_counts_every_state_change(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(policy_generation(f->policy), 0);
	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->settings.drain_timeout = 600;
	maintenance(f, true, POLICY_MODE_DRAIN);            /* on */
	assert_int_equal(f->change.generation, 1);
	assert_int_equal(policy_generation(f->policy), 1);
	maintenance(f, true, POLICY_MODE_BLOCK);            /* mode */
	assert_int_equal(f->change.event, POLICY_EVENT_MODE);
	assert_int_equal(policy_generation(f->policy), 2);
	maintenance(f, true, POLICY_MODE_DRAIN);            /* mode back */
	assert_int_equal(policy_generation(f->policy), 3);
	f->now += 600;
	tick(f);                                            /* drain timeout */
	assert_int_equal(f->change.event, POLICY_EVENT_DRAIN_TIMEOUT);
	assert_int_equal(policy_generation(f->policy), 4);
	send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "job", ""); /* drained */
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_int_equal(policy_generation(f->policy), 5);
	maintenance(f, false, POLICY_MODE_DRAIN);           /* off */
	assert_int_equal(policy_generation(f->policy), 6);
	maintenance(f, false, POLICY_MODE_BLOCK);           /* off stays off */
	assert_int_equal(policy_generation(f->policy), 6);
	maintenance(f, true, POLICY_MODE_DRAIN);            /* on, then drained at once */
	assert_int_equal(policy_generation(f->policy), 8);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_true(f->change.elapsed == 0);
}

static void
test_drained_exactly_when_last_task_closes(void **state)
{
	struct fixture *f = *state;
	int ticks;

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2");
	f->now = 10;
	maintenance(f, true, POLICY_MODE_DRAIN);
	ticks = f->ticks;
	f->now = 20;
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t1");
	assert_int_equal(f->ticks, ticks);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t2");
	assert_int_equal(f->ticks, ticks);
	f->now = 31;
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t2");
	assert_int_equal(f->ticks, ticks + 1);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_true(f->change.elapsed == 21);
	assert_int_equal(f->change.draining_tasks, 0);
	f->now = 40;
	tick(f);
	tick(f);
	assert_int_equal(f->ticks, ticks + 1); /* once */
}

static void
test_expiry_shrinks_the_draining_set(void **state)
{
	struct fixture *f = *state;

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	open_job(f, TSP_CAT_BACKUP, "acme", "agent", TSP_ORIGIN_AGENT, TSP_WORKLOAD_MAC,
		 TSP_OP_NONE);
	maintenance(f, true, POLICY_MODE_DRAIN);
	f->now += 3599;
	assert_int_equal(jobs_expire(f->jobs, f->now, NULL, NULL), 0);
	tick(f);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	f->now += 1; /* the tenant vanished an hour ago */
	assert_int_equal(jobs_expire(f->jobs, f->now, NULL, NULL), 2);
	tick(f);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	/* and the expired task is now unknown: fail closed */
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
		       POLICY_WHY_UNKNOWN_JOB, POLICY_MODE_DRAIN);
}

static void
test_drain_timeout_switches_to_block(void **state)
{
	struct fixture *f = *state;
	struct tsp_request write = request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "job", "t1");
	struct policy_decision d;

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->settings.drain_timeout = 300;
	f->now = 1000;
	maintenance(f, true, POLICY_MODE_DRAIN);
	f->now = 1299.5;
	tick(f);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	assert_forwarded(policy_decide(f->policy, f->jobs, &write, f->now), POLICY_WHY_TASK_AT_T);
	f->now = 1300;
	/* the deadline holds even before the timer reports it */
	d = policy_decide(f->policy, f->jobs, &write, f->now);
	assert_refused(d, POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	tick(f);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAIN_TIMEOUT);
	assert_int_equal(f->change.state, POLICY_BLOCKING);
	assert_int_equal(f->change.mode, POLICY_MODE_BLOCK);
	assert_int_equal(f->change.draining_tasks, 1);
	assert_true(f->change.elapsed == 300);
	/* a HUP with the same file keeps the block */
	apply(f);
	assert_int_equal(f->change.event, POLICY_EVENT_NONE);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKING);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "job", ""),
			 POLICY_WHY_JOB_CLOSE);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKED);
}

static void
test_drain_timeout_ignored_once_drained(void **state)
{
	struct fixture *f = *state;

	f->settings.drain_timeout = 10;
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	f->now += 100;
	tick(f);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "j", "t"),
		       POLICY_WHY_UNKNOWN_JOB, POLICY_MODE_DRAIN);
}

static void
test_mode_change_applies_at_once(void **state)
{
	struct fixture *f = *state;

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->now = 50;
	maintenance(f, true, POLICY_MODE_DRAIN);
	f->now = 60;
	maintenance(f, true, POLICY_MODE_BLOCK);
	assert_int_equal(f->change.event, POLICY_EVENT_MODE);
	assert_true(f->change.since == 50); /* T kept */
	assert_refused(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
		       POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	maintenance(f, true, POLICY_MODE_DRAIN); /* back: the task open at T goes on */
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
			 POLICY_WHY_TASK_AT_T);
}

static void
test_off_on_again_takes_a_new_t(void **state)
{
	struct fixture *f = *state;

	running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->now = 10;
	maintenance(f, true, POLICY_MODE_DRAIN);
	f->now = 20;
	maintenance(f, false, POLICY_MODE_DRAIN);
	send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2"); /* opened in between */
	f->now = 30;
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_true(f->change.since == 30);
	assert_int_equal(f->change.draining_tasks, 2);
	assert_forwarded(send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t2"),
			 POLICY_WHY_TASK_AT_T);
}

static void
test_replication_covered_when_added(void **state)
{
	struct fixture *f = *state;

	running_vbr_task(f, TSP_CAT_REPLICATION, TSP_WORKLOAD_VSPHERE);
	f->settings.categories = POLICY_CATEGORIES_DEFAULT | POLICY_CATEGORY(TSP_CAT_REPLICATION);
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 1);
	assert_true(policy_covers(f->policy, TSP_CAT_REPLICATION));
	assert_forwarded(send(f, TSP_CAT_REPLICATION, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
			 POLICY_WHY_TASK_AT_T);
	assert_refused(send(f, TSP_CAT_REPLICATION, TSP_ROLE_TASK_OPEN, "job", "t2"),
		       POLICY_WHY_LATER_TASK, POLICY_MODE_DRAIN);
	assert_refused(open_job(f, TSP_CAT_REPLICATION, "acme", "rep", TSP_ORIGIN_VBR,
				TSP_WORKLOAD_VSPHERE, TSP_OP_FAILOVER),
		       POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	restore_passes(f, "acme"); /* restore still never */
}

static void
test_categories_change_while_on(void **state)
{
	struct fixture *f = *state;
	uint64_t generation;

	running_vbr_task(f, TSP_CAT_REPLICATION, TSP_WORKLOAD_HYPERV);
	maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	generation = policy_generation(f->policy);
	f->settings.categories |= POLICY_CATEGORY(TSP_CAT_REPLICATION);
	apply(f);
	assert_int_equal(f->change.event, POLICY_EVENT_CATEGORIES);
	assert_int_equal(f->change.state, POLICY_DRAINING);
	assert_int_equal(f->change.draining_tasks, 1);
	assert_int_equal(policy_generation(f->policy), generation + 1);
	assert_forwarded(send(f, TSP_CAT_REPLICATION, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
			 POLICY_WHY_TASK_AT_T);
	f->settings.categories = POLICY_CATEGORIES_DEFAULT;
	apply(f); /* replication leaves the set: drained again */
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(jobs_draining_tasks(f->jobs), 0);
	assert_forwarded(send(f, TSP_CAT_REPLICATION, TSP_ROLE_TASK_OPEN, "job", "t2"),
			 POLICY_WHY_NOT_COVERED);
	/* drained, and a change that moves nothing in or out: still a new
	 * generation, since what is refused changed */
	generation = policy_generation(f->policy);
	f->settings.categories = POLICY_CATEGORY(TSP_CAT_BACKUP);
	apply(f);
	assert_int_equal(f->change.event, POLICY_EVENT_CATEGORIES);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(policy_generation(f->policy), generation + 1);
	assert_forwarded(send(f, TSP_CAT_BACKUP_COPY, TSP_ROLE_BLOCK_WRITE, "j", "t"),
			 POLICY_WHY_NOT_COVERED);
}

static void
test_on_in_block_mode_directly(void **state)
{
	struct fixture *f = *state;

	running_vbr_task(f, TSP_CAT_BACKUP_COPY, TSP_WORKLOAD_VCD);
	maintenance(f, true, POLICY_MODE_BLOCK);
	assert_int_equal(f->change.event, POLICY_EVENT_ON);
	assert_int_equal(f->change.state, POLICY_BLOCKING);
	assert_int_equal(f->change.draining_tasks, 1);
	assert_refused(send(f, TSP_CAT_BACKUP_COPY, TSP_ROLE_BLOCK_WRITE, "job", "t1"),
		       POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
}

static void
test_invalid_settings_rejected(void **state)
{
	struct fixture *f = *state;
	static char empty[] = "", too_long[] = "a-tenant-name-far-too-long-for-the-id-grammar-0123456789-abcdefgh";
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

static void
test_disabled_list_sorted_lookup(void **state)
{
	struct fixture *f = *state;
	static char zeta[] = "zeta", alpha[] = "alpha", mid[] = "mid", beta[] = "beta";
	static char *const disabled[] = { zeta, alpha, mid, beta };
	uint64_t generation = policy_generation(f->policy);

	f->settings.disabled_tenants = disabled;
	f->settings.disabled_count = 4;
	apply(f);
	assert_true(f->change.tenants_changed);
	assert_int_equal(policy_generation(f->policy), generation);
	assert_true(policy_tenant_disabled(f->policy, "zeta"));
	assert_true(policy_tenant_disabled(f->policy, "alpha"));
	assert_true(policy_tenant_disabled(f->policy, "mid"));
	assert_true(policy_tenant_disabled(f->policy, "beta"));
	assert_false(policy_tenant_disabled(f->policy, "gamma"));
	assert_false(policy_tenant_disabled(f->policy, "alph"));
	apply(f);
	assert_false(f->change.tenants_changed); /* same list, same order or not */
}

static void
test_names(void **state)
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

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
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
