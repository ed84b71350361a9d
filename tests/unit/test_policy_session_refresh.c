/*
 * tests/unit/test_policy_session_refresh.c: the session rules of the maintenance
 * policy (proxy/policy/policy.h, "Sessions"; proxy/policy/policy_session.c) for the restic
 * profile, part two: the hang mitigation (refuse_session_refresh), idle
 * expiry, a full table, and TSP/1 through policy_settle; fake clock. The helpers below build the requests the
 * restic classifier would (tenant, repository, client address, role, lock
 * id; job = restic_session_key(repository, client)) and play the proxy's
 * shell: decide -> if forwarded: policy_record -> policy_settle(status, now)
 * -> policy_tick; a refusal for maintenance goes to policy_note_refusal, as
 * proxy/conn/exchange.c does.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "restic.h"
#include "session_fixture.h"

/* ---- hang mitigation (refuse_session_refresh) ---- */

/* Maintenance on, refuse_session_refresh as given; a session opened after
 * T whose write was refused (the shell noted it). */
static void refused_session(struct fixture *f, bool refuse_refresh)
{
	struct tsp_request req;

	f->settings.refuse_session_refresh = refuse_refresh;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	f->now = 1100;
	req = read_req(true); /* restic backup opens the repository ... */
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = lock_create("lock1"); /* ... then takes its lock */
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_false(the_session(f)->session->refusal_seen);
	req = read_req(false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = write_req(100, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_LATER_SESSION, POLICY_MODE_DRAIN);
	assert_true(the_session(f)->session->refusal_seen);
	assert_int_equal(the_session(f)->session->refused, 1);
	f->now = 1400;
}

static void test_refresh_refused_after_refused_write(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct policy_session_end end;

	refused_session(f, true);
	req = lock_create("lock2"); /* the refresh */
	assert_refused(play(f, &req, 200), POLICY_WHY_REFRESH_REFUSED, POLICY_MODE_DRAIN);
	assert_int_equal(the_session(f)->task_count, 1);
	f->now = 1700;
	req = lock_create("lock3"); /* and the next attempts */
	assert_refused(play(f, &req, 200), POLICY_WHY_REFRESH_REFUSED, POLICY_MODE_DRAIN);
	/* reads other than the config change nothing */
	req = read_req(false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = lock_create("lock3");
	assert_refused(play(f, &req, 200), POLICY_WHY_REFRESH_REFUSED, POLICY_MODE_DRAIN);
	/* nor does a config read the repository did not accept */
	req = read_req(true);
	assert_forwarded(play(f, &req, 401), POLICY_WHY_NOT_COVERED);
	assert_false(the_session(f)->session->config_read);
	req = lock_create("lock3");
	assert_refused(play(f, &req, 200), POLICY_WHY_REFRESH_REFUSED, POLICY_MODE_DRAIN);
	/* the refused client may still clean up */
	req = lock_delete("lock1");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_true(end.ended);
	assert_int_equal(end.verdict, POLICY_SESSION_REFUSED);
	assert_int_equal(end.session.refused, 1); /* the refused refreshes are no writes */
	assert_int_equal(jobs_count(f->jobs), 0);
}

static void test_refresh_refused_in_block_mode(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	open_session(f, "lock1");
	f->settings.refuse_session_refresh = true;
	fx_maintenance(f, true, POLICY_MODE_BLOCK);
	req = write_req(1, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	req = lock_create("lock2");
	assert_refused(play(f, &req, 200), POLICY_WHY_REFRESH_REFUSED, POLICY_MODE_BLOCK);
	/* another session's lock create is not affected */
	req = restic_req(TSP_ROLE_LOCK_CREATE, TENANT, REPO, OTHER_HOST, "lock2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
}

static void test_refresh_refused_only_after_note_refusal(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct tsp_request write = write_req(100, false);
	struct policy_decision d, other;

	f->settings.refuse_session_refresh = true;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	req = lock_create("lock1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	/* the decision alone remembers nothing */
	d = policy_decide(f->policy, f->jobs, &write, f->now);
	assert_refused(d, POLICY_WHY_LATER_SESSION, POLICY_MODE_DRAIN);
	assert_false(the_session(f)->session->refusal_seen);
	req = lock_create("lock2");
	assert_forwarded(policy_decide(f->policy, f->jobs, &req, f->now), POLICY_WHY_LOCK);
	/* other roles noted change nothing */
	req = lock_delete("lock1");
	policy_note_refusal(f->jobs, &req, &d, f->now);
	req = read_req(true);
	policy_note_refusal(f->jobs, &req, &d, f->now);
	req = lock_create("lock2");
	policy_note_refusal(f->jobs, &req, &d, f->now);
	assert_false(the_session(f)->session->refusal_seen);
	assert_forwarded(policy_decide(f->policy, f->jobs, &req, f->now), POLICY_WHY_LOCK);
	/* a write noted for another host's session changes nothing of ours */
	req = restic_req(TSP_ROLE_WRITE, TENANT, REPO, OTHER_HOST, NULL);
	policy_note_refusal(f->jobs, &req, &d, f->now);
	assert_false(the_session(f)->session->refusal_seen);
	/* nor does the write with a decision that is no refusal for maintenance */
	other = d;
	other.verdict = POLICY_FORWARD;
	policy_note_refusal(f->jobs, &write, &other, f->now);
	other.verdict = POLICY_REFUSE_DISABLED;
	policy_note_refusal(f->jobs, &write, &other, f->now);
	other.verdict = POLICY_REFUSE_BUSY;
	policy_note_refusal(f->jobs, &write, &other, f->now);
	assert_false(the_session(f)->session->refusal_seen);
	/* the write noted: the refresh is refused */
	policy_note_refusal(f->jobs, &write, &d, f->now);
	assert_true(the_session(f)->session->refusal_seen);
	req = lock_create("lock2");
	assert_refused(policy_decide(f->policy, f->jobs, &req, f->now), POLICY_WHY_REFRESH_REFUSED,
		       POLICY_MODE_DRAIN);
}

static void test_config_read_lets_a_new_command_lock(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	refused_session(f, true);
	/* a restore from the same host: it opens the repository first */
	req = read_req(true);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	assert_true(the_session(f)->session->config_read);
	assert_true(the_session(f)->session->refusal_seen);
	req = lock_create("restore1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(the_session(f)->task_count, 2);
	/* accepted: the refusal memory is cleared, the config read consumed */
	assert_false(the_session(f)->session->refusal_seen);
	assert_false(the_session(f)->session->config_read);
	/* so the next refresh is forwarded ... */
	req = lock_create("restore2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	/* ... until a write of the session is refused again */
	req = write_req(1, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_LATER_SESSION, POLICY_MODE_DRAIN);
	assert_true(the_session(f)->session->refusal_seen);
	assert_int_equal(the_session(f)->session->refused, 2);
	req = lock_create("restore3");
	assert_refused(play(f, &req, 200), POLICY_WHY_REFRESH_REFUSED, POLICY_MODE_DRAIN);
}

static void test_config_read_then_lock_create_not_accepted_keeps_memory(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	refused_session(f, true);
	req = read_req(true);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = lock_create("restore1");
	assert_forwarded(play(f, &req, 500), POLICY_WHY_LOCK);
	assert_true(the_session(f)->session->refusal_seen);
	/* the retry of that new command is still let through */
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_false(the_session(f)->session->refusal_seen);
}

static void test_refuse_refresh_off_forwards_lock_create(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	refused_session(f, false);
	req = lock_create("lock2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(the_session(f)->task_count, 2);
	req = lock_delete("lock1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(the_session(f)->task_count, 1);
}

static void test_refuse_refresh_maintenance_off_forwards_lock_create(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	refused_session(f, true);
	fx_maintenance(f, false, POLICY_MODE_DRAIN);
	assert_int_equal(policy_state(f->policy), POLICY_OFF);
	req = lock_create("lock2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	req = write_req(1, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_OFF);
}

/* The contract: a refused write makes "that session's next lock create"
 * refused (a refresh of the refused backup). Once maintenance went off and
 * a lock create of the session was accepted, that refusal is spent: when
 * maintenance comes on again, the session is open at the new T and must
 * finish (R1, R2) -- its refreshes included, or restic >= 0.16 gives up
 * on a backup that was to be let through. */
static void test_refusal_memory_spent_by_accepted_lock_create(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	refused_session(f, true);
	fx_maintenance(f, false, POLICY_MODE_DRAIN);
	f->now = 1500;
	req = lock_create("lock2"); /* the refresh, maintenance off */
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	req = lock_delete("lock1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	req = write_req(100, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_OFF);
	/* maintenance again: the session is open at the new T */
	f->now = 1600;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_true(the_session(f)->draining);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	req = write_req(100, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_SESSION_AT_T);
	f->now = 1800;
	req = lock_create("lock3"); /* its next refresh */
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
}

/* ---- idle expiry ---- */

struct expired_log {
	int jobs;
	int tasks;
	bool session;
};

static void note_expired(void *ctx, const struct job *job, const struct job_task *task)
{
	struct expired_log *log = ctx;

	if (task == NULL) {
		log->jobs++;
		log->session = job->session != NULL;
	} else {
		log->tasks++;
	}
}

static void test_idle_session_expires_and_drain_completes(void **state)
{
	struct fixture *f = *state;
	struct expired_log log = { 0, 0, false };
	struct tsp_request req;

	set_idle_expiry(f, 600);
	open_session(f, "lock1"); /* at 1000 */
	f->now = 1100;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	f->now = 1599;
	assert_int_equal(jobs_expire(f->jobs, f->now, note_expired, &log), 0);
	fx_tick(f);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	f->now = 1600;
	assert_int_equal(jobs_expire(f->jobs, f->now, note_expired, &log), 1);
	assert_int_equal(log.jobs, 1);
	assert_int_equal(log.tasks, 0);
	assert_true(log.session);
	assert_int_equal(jobs_count(f->jobs), 0);
	fx_tick(f);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	/* what the dropped session sends now is unknown: fail closed */
	req = write_req(1, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_UNKNOWN_SESSION, POLICY_MODE_DRAIN);
	req = lock_delete("lock1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(jobs_count(f->jobs), 0);
}

static void test_accepted_requests_touch_the_session(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	set_idle_expiry(f, 600);
	open_session(f, "lock1"); /* at 1000 */
	f->now = 1500;
	req = read_req(false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	f->now = 1600;
	jobs_expire(f->jobs, f->now, NULL, NULL);
	assert_non_null(the_session(f));
	f->now = 2000;
	req = write_req(1, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_OFF);
	f->now = 2100;
	jobs_expire(f->jobs, f->now, NULL, NULL);
	assert_non_null(the_session(f));
	f->now = 2500;
	req = lock_create("lock2"); /* a refresh */
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	f->now = 2600;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	/* answers that were no acceptance touch nothing */
	f->now = 2700;
	req = read_req(false);
	assert_forwarded(play(f, &req, 401), POLICY_WHY_NOT_COVERED);
	req = read_req(false);
	assert_forwarded(play(f, &req, 0), POLICY_WHY_NOT_COVERED);
	req = write_req(1, false);
	assert_forwarded(play(f, &req, 500), POLICY_WHY_SESSION_AT_T);
	req = lock_create("lock3");
	assert_forwarded(play(f, &req, 401), POLICY_WHY_LOCK);
	req = lock_delete("lock1");
	assert_forwarded(play(f, &req, 401), POLICY_WHY_LOCK);
	f->now = 3099;
	jobs_expire(f->jobs, f->now, NULL, NULL);
	assert_non_null(the_session(f));
	f->now = 3100; /* 600 s after the refresh */
	jobs_expire(f->jobs, f->now, NULL, NULL);
	assert_null(the_session(f));
	fx_tick(f);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
}

static void test_reads_keep_a_draining_session(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	set_idle_expiry(f, 600);
	open_session(f, "lock1"); /* a long restore */
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	for (f->now = 1300; f->now <= 3100; f->now += 300) {
		req = read_req(false);
		assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
		jobs_expire(f->jobs, f->now, NULL, NULL);
		fx_tick(f);
		assert_non_null(the_session(f));
		assert_int_equal(jobs_draining_jobs(f->jobs), 1);
		assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	}
}

/* A refused lock refresh keeps a session opened after T alive (so that it
 * is not dropped after session_idle and a later refresh accepted); a
 * session open at T is not kept by it (it would hold the barrier). */
static void test_refused_refresh_keeps_later_session_alive(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	set_idle_expiry(f, 600);
	refused_session(f, true); /* lock create and refused write at 1100; now 1400 */
	req = lock_create("lock2");
	assert_refused(play(f, &req, 200), POLICY_WHY_REFRESH_REFUSED, POLICY_MODE_DRAIN);
	f->now = 1700;
	req = lock_create("lock3");
	assert_refused(play(f, &req, 200), POLICY_WHY_REFRESH_REFUSED, POLICY_MODE_DRAIN);
	f->now = 2299;
	jobs_expire(f->jobs, f->now, NULL, NULL);
	assert_non_null(the_session(f));
	assert_true(the_session(f)->session->refusal_seen);
	req = lock_create("lock4");
	assert_refused(play(f, &req, 200), POLICY_WHY_REFRESH_REFUSED, POLICY_MODE_DRAIN);
	/* a refused write does not touch it */
	f->now = 2800;
	req = write_req(1, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_LATER_SESSION, POLICY_MODE_DRAIN);
	f->now = 2898;
	jobs_expire(f->jobs, f->now, NULL, NULL);
	assert_non_null(the_session(f));
	f->now = 2899; /* 600 s after the last refused refresh */
	jobs_expire(f->jobs, f->now, NULL, NULL);
	assert_null(the_session(f));
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
}

static void test_refused_refresh_does_not_keep_session_at_t(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	set_idle_expiry(f, 600);
	open_session(f, "lock1"); /* at 1000 */
	f->settings.refuse_session_refresh = true;
	fx_maintenance(f, true, POLICY_MODE_BLOCK);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKING);
	f->now = 1100;
	req = write_req(1, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	f->now = 1300;
	req = lock_create("lock2");
	assert_refused(play(f, &req, 200), POLICY_WHY_REFRESH_REFUSED, POLICY_MODE_BLOCK);
	f->now = 1599;
	jobs_expire(f->jobs, f->now, NULL, NULL);
	assert_non_null(the_session(f));
	f->now = 1600; /* 600 s after its last accepted request */
	jobs_expire(f->jobs, f->now, NULL, NULL);
	assert_null(the_session(f));
	fx_tick(f);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKED);
}

/* ---- the table's bounds ---- */

static void test_lock_create_without_room_is_untracked(void **state)
{
	struct fixture *f = *state;
	struct jobs_limits limits = *jobs_limits(f->jobs);
	struct tsp_request req;
	struct policy_session_end end;

	limits.max_jobs = 1;
	assert_true(jobs_set_limits(f->jobs, &limits));
	open_session(f, "lock1");
	req = restic_req(TSP_ROLE_LOCK_CREATE, TENANT, REPO, OTHER_HOST, "l2");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_int_equal(end.untracked, 1);
	assert_false(end.ended);
	assert_int_equal(jobs_count(f->jobs), 1);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	req = restic_req(TSP_ROLE_WRITE, TENANT, REPO, OTHER_HOST, NULL);
	assert_refused(play(f, &req, 200), POLICY_WHY_UNKNOWN_SESSION, POLICY_MODE_DRAIN);
}

/* ---- TSP/1 through policy_settle ---- */

static struct policy_decision tsp_play(struct fixture *f, struct tsp_request *req, unsigned status,
				       struct policy_session_end *end)
{
	struct policy_decision d = policy_decide(f->policy, f->jobs, req, f->now);
	struct policy_record rec;

	if (d.verdict == POLICY_FORWARD) {
		assert_true(policy_record(f->jobs, req, f->now, &rec));
		memset(end, 0xa5, sizeof(*end));
		policy_settle(f->jobs, req, &rec, status, f->now, end);
		assert_false(end->ended);
		assert_int_equal(end->untracked, 0);
		fx_tick(f);
	}
	return d;
}

static void test_tsp_through_settle(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct policy_session_end end;
	struct job *job;

	/* a job open the repository refuses is undone */
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "acme", "job", "");
	req.origin = TSP_ORIGIN_VBR;
	req.workload = TSP_WORKLOAD_VSPHERE;
	assert_forwarded(tsp_play(f, &req, 500, &end), POLICY_WHY_OFF);
	assert_int_equal(jobs_count(f->jobs), 0);
	assert_forwarded(tsp_play(f, &req, 0, &end), POLICY_WHY_OFF);
	assert_int_equal(jobs_count(f->jobs), 0);
	/* accepted: kept, not a session */
	assert_forwarded(tsp_play(f, &req, 201, &end), POLICY_WHY_OFF);
	job = jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job");
	assert_non_null(job);
	assert_null(job->session);
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "acme", "job", "t1");
	assert_forwarded(tsp_play(f, &req, 401, &end), POLICY_WHY_OFF);
	assert_int_equal(jobs_task_count(f->jobs), 0);
	assert_forwarded(tsp_play(f, &req, 201, &end), POLICY_WHY_OFF);
	assert_int_equal(jobs_task_count(f->jobs), 1);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "acme", "job", "t1");
	assert_forwarded(tsp_play(f, &req, 200, &end), POLICY_WHY_TASK_AT_T);
	/* the TSP refusal notes nothing, and no session appears */
	policy_note_refusal(f->jobs, &req,
			    &(struct policy_decision){ POLICY_REFUSE_MAINTENANCE, POLICY_WHY_LATER_TASK,
						       POLICY_MODE_DRAIN, 0 },
			    f->now);
	assert_null(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job")->session);
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "acme", "job", "t1");
	assert_forwarded(tsp_play(f, &req, 500, &end), POLICY_WHY_TASK_AT_T);
	assert_int_equal(jobs_task_count(f->jobs), 1); /* a failed close: still running */
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	assert_forwarded(tsp_play(f, &req, 200, &end), POLICY_WHY_TASK_AT_T);
	assert_int_equal(jobs_task_count(f->jobs), 0);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "acme", "job", "");
	assert_forwarded(tsp_play(f, &req, 401, &end), POLICY_WHY_JOB_CLOSE);
	assert_int_equal(jobs_count(f->jobs), 1);
	assert_forwarded(tsp_play(f, &req, 200, &end), POLICY_WHY_JOB_CLOSE);
	assert_int_equal(jobs_count(f->jobs), 0);
	/* end may be NULL */
	fx_maintenance(f, false, POLICY_MODE_DRAIN);
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "acme", "job2", "");
	{
		struct policy_record rec;

		assert_true(policy_record(f->jobs, &req, f->now, &rec));
		policy_settle(f->jobs, &req, &rec, 201, f->now, NULL);
	}
	assert_int_equal(jobs_count(f->jobs), 1);
	req = lock_create("lock1");
	policy_settle(f->jobs, &req, &(struct policy_record){ 0 }, 200, f->now, NULL);
	assert_int_equal(jobs_count(f->jobs), 2);
	req = lock_delete("lock1");
	policy_settle(f->jobs, &req, &(struct policy_record){ 0 }, 200, f->now, NULL);
	assert_int_equal(jobs_count(f->jobs), 1);
}

/* The same TSP sequence through policy_on_response and policy_settle ends
 * in the same table. */
static void test_tsp_settle_matches_on_response(void **state)
{
	struct fixture *f = *state;
	struct jobs_limits limits;
	struct jobs *other;
	static const struct {
		enum tsp_role role;
		const char *task;
		unsigned status;
	} steps[] = {
		{ TSP_ROLE_JOB_OPEN, "", 201 },     { TSP_ROLE_TASK_OPEN, "t1", 201 },
		{ TSP_ROLE_TASK_OPEN, "t2", 500 },  { TSP_ROLE_BLOCK_WRITE, "t3", 200 },
		{ TSP_ROLE_BLOCK_WRITE, "t4", 0 },  { TSP_ROLE_TASK_CLOSE, "t1", 401 },
		{ TSP_ROLE_TASK_CLOSE, "t3", 200 },
	};
	size_t i;

	jobs_limits_default(&limits);
	other = jobs_new(&limits);
	assert_non_null(other);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct tsp_request req =
			fx_request(TSP_CAT_BACKUP, steps[i].role, "acme", "job", steps[i].task);
		struct policy_record a, b;
		struct policy_session_end end;

		req.origin = TSP_ORIGIN_VBR;
		assert_true(policy_record(f->jobs, &req, f->now, &a));
		policy_settle(f->jobs, &req, &a, steps[i].status, f->now, &end);
		assert_false(end.ended);
		assert_true(policy_record(other, &req, f->now, &b));
		policy_on_response(other, &req, &b, steps[i].status);
		assert_memory_equal(&a, &b, sizeof(a));
		assert_int_equal(jobs_count(f->jobs), jobs_count(other));
		assert_int_equal(jobs_task_count(f->jobs), jobs_task_count(other));
	}
	assert_non_null(jobs_find_task(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job"), "t1"));
	assert_null(jobs_find_task(jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "job"), "t3"));
	jobs_free(other);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_refresh_refused_after_refused_write),
		T(test_refresh_refused_in_block_mode),
		T(test_refresh_refused_only_after_note_refusal),
		T(test_config_read_lets_a_new_command_lock),
		T(test_config_read_then_lock_create_not_accepted_keeps_memory),
		T(test_refuse_refresh_off_forwards_lock_create),
		T(test_refuse_refresh_maintenance_off_forwards_lock_create),
		T(test_refusal_memory_spent_by_accepted_lock_create),
		T(test_idle_session_expires_and_drain_completes),
		T(test_accepted_requests_touch_the_session),
		T(test_reads_keep_a_draining_session),
		T(test_refused_refresh_keeps_later_session_alive),
		T(test_refused_refresh_does_not_keep_session_at_t),
		T(test_lock_create_without_room_is_untracked),
		T(test_tsp_through_settle),
		T(test_tsp_settle_matches_on_response),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
