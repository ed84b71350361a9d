/*
 * tests/unit/test_policy_session.c: the session rules of the maintenance
 * policy (proxy/policy.h, "Sessions"; proxy/policy_session.c) for the restic
 * profile, with a fake clock. The helpers below build the requests the
 * restic classifier would (tenant, repository, client address, role, lock
 * id; job = restic_session_key(repository, client)) and play the proxy's
 * shell: decide -> if forwarded: policy_record -> policy_settle(status, now)
 * -> policy_tick; a refusal for maintenance goes to policy_note_refusal, as
 * proxy/exchange.c does.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_fixture.h"
#include "restic.h"

#define TENANT "acme"
#define REPO "/acme/main"
#define HOST "192.0.2.10"
#define OTHER_HOST "192.0.2.99"

/* ---- requests ---- */

/* A request as restic_classify() would make it: reads have category
 * restore, the rest the session's category; source_category is always the
 * session's (backup unless changed with as_copy()). */
static struct tsp_request
restic_req(enum tsp_role role, const char *tenant, const char *repo, const char *client,
	   const char *lock)
{
	struct tsp_request req;

	memset(&req, 0, sizeof(req));
	req.role = role;
	req.category = role == TSP_ROLE_READ ? TSP_CAT_RESTORE : TSP_CAT_BACKUP;
	req.source_category = TSP_CAT_BACKUP;
	snprintf(req.tenant, sizeof(req.tenant), "%s", tenant);
	snprintf(req.repository, sizeof(req.repository), "%s", repo);
	snprintf(req.client, sizeof(req.client), "%s", client);
	restic_session_key(req.repository, req.client, req.job);
	if ((role == TSP_ROLE_LOCK_CREATE || role == TSP_ROLE_LOCK_DELETE) && lock != NULL)
		snprintf(req.task, sizeof(req.task), "%s", lock);
	return req;
}

/* The session's category is backup-copy (a repository matching
 * [restic] backup_copy_repositories). */
static struct tsp_request
as_copy(struct tsp_request req)
{
	if (req.role != TSP_ROLE_READ)
		req.category = TSP_CAT_BACKUP_COPY;
	req.source_category = TSP_CAT_BACKUP_COPY;
	return req;
}

static struct tsp_request
lock_create(const char *lock)
{
	return restic_req(TSP_ROLE_LOCK_CREATE, TENANT, REPO, HOST, lock);
}

static struct tsp_request
lock_delete(const char *lock)
{
	return restic_req(TSP_ROLE_LOCK_DELETE, TENANT, REPO, HOST, lock);
}

/* POST data/..., index/... (bytes of body); snapshot: POST snapshots/... */
static struct tsp_request
write_req(uint32_t bytes, bool snapshot)
{
	struct tsp_request req = restic_req(TSP_ROLE_WRITE, TENANT, REPO, HOST, NULL);

	req.body_bytes = bytes;
	req.saves_snapshot = snapshot;
	return req;
}

/* GET data/..., or with config = true HEAD/GET config (a command begins). */
static struct tsp_request
read_req(bool config)
{
	struct tsp_request req = restic_req(TSP_ROLE_READ, TENANT, REPO, HOST, NULL);

	req.opens_repository = config;
	return req;
}

/* ---- the shell ---- */

/* One request end to end; status is the repository's final answer when it
 * is forwarded (0: none came). *end (may be NULL) gets what policy_settle
 * said; it is filled with garbage first so that the test sees it cleared. */
static struct policy_decision
play_end(struct fixture *f, const struct tsp_request *req, unsigned status,
	 struct policy_session_end *end)
{
	struct policy_decision d = policy_decide(f->policy, f->jobs, req, f->now);
	struct policy_session_end local;
	struct policy_record rec;

	if (end == NULL)
		end = &local;
	if (d.verdict == POLICY_FORWARD) {
		assert_true(policy_record(f->jobs, req, f->now, &rec));
		memset(end, 0xa5, sizeof(*end));
		policy_settle(f->jobs, req, &rec, status, f->now, end);
		fx_tick(f);
	} else {
		memset(end, 0, sizeof(*end));
		if (d.verdict == POLICY_REFUSE_MAINTENANCE)
			policy_note_refusal(f->jobs, req, &d, f->now);
	}
	return d;
}

static struct policy_decision
play(struct fixture *f, const struct tsp_request *req, unsigned status)
{
	return play_end(f, req, status, NULL);
}

static struct job *
find_session(struct fixture *f, const char *tenant, enum tsp_category category, const char *repo,
	     const char *client)
{
	char key[TSP_ID_MAX + 1];

	restic_session_key(repo, client, key);
	return jobs_find(f->jobs, tenant, category, key);
}

static struct job *
the_session(struct fixture *f)
{
	return find_session(f, TENANT, TSP_CAT_BACKUP, REPO, HOST);
}

/* A session with one lock, opened while maintenance is off. */
static void
open_session(struct fixture *f, const char *lock)
{
	struct tsp_request req = lock_create(lock);

	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_non_null(the_session(f));
}

static void
set_idle_expiry(struct fixture *f, double seconds)
{
	struct jobs_limits limits = *jobs_limits(f->jobs);

	limits.idle_expiry = seconds;
	assert_true(jobs_set_limits(f->jobs, &limits));
}

#define assert_disabled(d)                                                \
	do {                                                              \
		struct policy_decision d_ = (d);                          \
		assert_int_equal(d_.verdict, POLICY_REFUSE_DISABLED);     \
		assert_int_equal(d_.reason, POLICY_WHY_TENANT_DISABLED);  \
	} while (0)

/* ---- maintenance off: the session's life ---- */

static void
test_off_lock_create_opens_session(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = lock_create("lock1");
	struct policy_session_end end;
	struct job *job;
	char key[TSP_ID_MAX + 1];

	restic_session_key(REPO, HOST, key);
	assert_string_equal(req.job, key);
	assert_int_equal(strlen(key), 64);
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_false(end.ended);
	assert_int_equal(end.untracked, 0);
	assert_int_equal(jobs_count(f->jobs), 1);
	assert_int_equal(jobs_count_category(f->jobs, TSP_CAT_BACKUP), 1);
	job = the_session(f);
	assert_non_null(job);
	assert_non_null(job->session);
	assert_string_equal(job->session->repository, REPO);
	assert_string_equal(job->session->client, HOST);
	assert_int_equal(job->session->writes, 0);
	assert_int_equal(job->session->bytes, 0);
	assert_false(job->session->snapshot);
	assert_int_equal(job->session->refused, 0);
	assert_false(job->session->refusal_seen);
	assert_false(job->session->config_read);
	assert_int_equal(job->task_count, 1);
	assert_non_null(jobs_find_task(job, "lock1"));
	assert_false(job->draining);
	assert_true(job->opened_at == f->now);
	assert_int_equal(jobs_draining_jobs(f->jobs), 0);
	assert_int_equal(policy_state(f->policy), POLICY_OFF);
}

static void
test_off_everything_forwarded(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	/* restic init: a write with no session is forwarded and not tracked */
	req = write_req(155, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_OFF);
	assert_int_equal(jobs_count(f->jobs), 0);
	req = read_req(true);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = lock_delete("nolock");
	assert_forwarded(play(f, &req, 404), POLICY_WHY_LOCK);
	assert_int_equal(jobs_count(f->jobs), 0);

	open_session(f, "lock1");
	req = read_req(true);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = read_req(false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = write_req(4096, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_OFF);
	req = write_req(512, true);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_OFF);
	assert_int_equal(the_session(f)->session->writes, 2);
	assert_int_equal(the_session(f)->session->bytes, 4608);
	assert_true(the_session(f)->session->snapshot);
	/* a backup-copy session too */
	req = as_copy(write_req(1, false));
	assert_forwarded(play(f, &req, 200), POLICY_WHY_OFF);
}

static void
test_refresh_keeps_session(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct policy_session_end end;
	struct job *job;

	open_session(f, "lock1");
	f->now += 300;
	req = lock_create("lock2");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_false(end.ended);
	assert_int_equal(jobs_count(f->jobs), 1);
	assert_int_equal(the_session(f)->task_count, 2);
	req = lock_delete("lock1");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_false(end.ended);
	job = the_session(f);
	assert_non_null(job);
	assert_int_equal(job->task_count, 1);
	assert_null(jobs_find_task(job, "lock1"));
	assert_non_null(jobs_find_task(job, "lock2"));
	assert_true(job->opened_at == 1000);
	/* the same lock created again (a retried POST): still one lock */
	req = lock_create("lock2");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_int_equal(the_session(f)->task_count, 1);
	req = lock_delete("lock2");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_true(end.ended);
	assert_int_equal(jobs_count(f->jobs), 0);
	assert_int_equal(jobs_tenant_count(f->jobs), 0);
}

static void
test_end_complete_reports_writes_and_bytes(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct policy_session_end end;

	open_session(f, "lock1");
	f->now = 1010;
	req = write_req(1000, false); /* data */
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_OFF);
	assert_false(end.ended);
	req = write_req(200, false); /* index */
	assert_forwarded(play(f, &req, 200), POLICY_WHY_OFF);
	req = write_req(7777, false); /* refused by the repository: not counted */
	assert_forwarded(play(f, &req, 500), POLICY_WHY_OFF);
	req = write_req(300, true); /* POST snapshots/{id} */
	assert_forwarded(play(f, &req, 200), POLICY_WHY_OFF);
	f->now = 1020;
	req = lock_delete("lock1");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_true(end.ended);
	assert_int_equal(end.verdict, POLICY_SESSION_COMPLETE);
	assert_string_equal(policy_session_verdict_name(end.verdict), "complete");
	assert_int_equal(end.session.writes, 3);
	assert_int_equal(end.session.bytes, 1500);
	assert_true(end.session.snapshot);
	assert_string_equal(end.session.repository, REPO);
	assert_string_equal(end.session.client, HOST);
	assert_false(end.draining);
	assert_true(end.opened_at == 1000);
	assert_int_equal(end.untracked, 0);
	assert_int_equal(jobs_count(f->jobs), 0);
}

static void
test_end_writes_without_snapshot(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct policy_session_end end;

	open_session(f, "lock1");
	req = write_req(10, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_OFF);
	req = write_req(0, false); /* DELETE of a file (forget/prune): a write without body */
	assert_forwarded(play(f, &req, 200), POLICY_WHY_OFF);
	req = write_req(20, true); /* the snapshot's POST failed */
	assert_forwarded(play(f, &req, 500), POLICY_WHY_OFF);
	req = lock_delete("lock1");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_true(end.ended);
	assert_int_equal(end.verdict, POLICY_SESSION_WRITES);
	assert_string_equal(policy_session_verdict_name(end.verdict), "writes-without-snapshot");
	assert_int_equal(end.session.writes, 2);
	assert_int_equal(end.session.bytes, 10);
	assert_false(end.session.snapshot);
}

static void
test_end_read_only(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct policy_session_end end;

	open_session(f, "lock1");
	req = read_req(false);
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_NOT_COVERED);
	assert_false(end.ended);
	req = read_req(true);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = write_req(99, false); /* refused by the repository (401): no write */
	assert_forwarded(play(f, &req, 401), POLICY_WHY_OFF);
	req = lock_delete("lock1");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_true(end.ended);
	assert_int_equal(end.verdict, POLICY_SESSION_READ_ONLY);
	assert_string_equal(policy_session_verdict_name(end.verdict), "read-only");
	assert_int_equal(end.session.writes, 0);
	assert_int_equal(end.session.bytes, 0);
}

static void
test_session_verdict_of_a_session(void **state)
{
	struct job_session s;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(policy_session_verdict(&s), POLICY_SESSION_READ_ONLY);
	s.refused = 3; /* writes refused for maintenance, none accepted */
	assert_int_equal(policy_session_verdict(&s), POLICY_SESSION_REFUSED);
	assert_string_equal(policy_session_verdict_name(POLICY_SESSION_REFUSED), "refused");
	s.writes = 1;
	assert_int_equal(policy_session_verdict(&s), POLICY_SESSION_WRITES);
	s.snapshot = true;
	assert_int_equal(policy_session_verdict(&s), POLICY_SESSION_COMPLETE);
	s.writes = 0; /* a snapshot is the last word whatever was counted */
	assert_int_equal(policy_session_verdict(&s), POLICY_SESSION_COMPLETE);
	assert_string_equal(policy_session_verdict_name(POLICY_SESSION_VERDICTS), "?");
}

/* ---- what the repository's answer does to the table ---- */

static void
test_lock_create_not_accepted_opens_nothing(void **state)
{
	struct fixture *f = *state;
	static const unsigned statuses[] = { 401, 403, 404, 500, 503, 0 };
	struct tsp_request req = lock_create("lock1");
	struct policy_session_end end;
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		assert_forwarded(play_end(f, &req, statuses[i], &end), POLICY_WHY_LOCK);
		assert_false(end.ended);
		assert_int_equal(end.untracked, 0);
		assert_int_equal(jobs_count(f->jobs), 0);
		assert_int_equal(jobs_tenant_count(f->jobs), 0);
	}
	/* nor does it add a lock to an open session */
	open_session(f, "lock1");
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		req = lock_create("lock2");
		assert_forwarded(play(f, &req, statuses[i]), POLICY_WHY_LOCK);
		assert_int_equal(the_session(f)->task_count, 1);
		assert_null(jobs_find_task(the_session(f), "lock2"));
	}
	/* 201 is 2xx: accepted */
	req = lock_create("lock3");
	assert_forwarded(play(f, &req, 201), POLICY_WHY_LOCK);
	assert_int_equal(the_session(f)->task_count, 2);
}

static void
test_lock_delete_not_accepted_removes_nothing(void **state)
{
	struct fixture *f = *state;
	static const unsigned statuses[] = { 401, 403, 500, 503, 0 };
	struct tsp_request req;
	struct policy_session_end end;
	size_t i;

	open_session(f, "lock1");
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		req = lock_delete("lock1");
		assert_forwarded(play_end(f, &req, statuses[i], &end), POLICY_WHY_LOCK);
		assert_false(end.ended);
		assert_int_equal(jobs_count(f->jobs), 1);
		assert_int_equal(the_session(f)->task_count, 1);
		assert_non_null(jobs_find_task(the_session(f), "lock1"));
	}
	/* 404: the lock is gone at the repository either way */
	req = lock_delete("lock1");
	assert_forwarded(play_end(f, &req, 404, &end), POLICY_WHY_LOCK);
	assert_true(end.ended);
	assert_int_equal(end.verdict, POLICY_SESSION_READ_ONLY);
	assert_int_equal(jobs_count(f->jobs), 0);
}

static void
test_lock_delete_404_keeps_other_locks(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct policy_session_end end;

	open_session(f, "lock1");
	req = lock_create("lock2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	req = lock_delete("lock1");
	assert_forwarded(play_end(f, &req, 404, &end), POLICY_WHY_LOCK);
	assert_false(end.ended);
	assert_int_equal(the_session(f)->task_count, 1);
	/* a lock the table never saw: nothing but a touch */
	req = lock_delete("unknown");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_false(end.ended);
	assert_int_equal(the_session(f)->task_count, 1);
	req = lock_delete("lock2");
	assert_forwarded(play_end(f, &req, 204, &end), POLICY_WHY_LOCK);
	assert_true(end.ended);
	assert_int_equal(jobs_count(f->jobs), 0);
}

/* ---- drain ---- */

static void
test_drain_session_at_t_finishes(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct policy_session_end end;

	open_session(f, "lock1");
	req = write_req(100, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_OFF);
	f->now = 2000;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.event, POLICY_EVENT_ON);
	assert_int_equal(f->change.draining_jobs, 1);
	assert_int_equal(f->change.draining_tasks, 0); /* counted as one job */
	assert_int_equal(jobs_draining_jobs(f->jobs), 1);
	assert_true(the_session(f)->draining);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);

	f->now = 2001;
	req = write_req(100, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_SESSION_AT_T);
	req = read_req(false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	/* a lock refresh: new lock, then the old one goes */
	f->now = 2300;
	req = lock_create("lock2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	req = lock_delete("lock1");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_false(end.ended);
	assert_true(the_session(f)->draining);
	assert_int_equal(jobs_draining_jobs(f->jobs), 1);
	req = write_req(100, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_SESSION_AT_T);
	req = write_req(50, true);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_SESSION_AT_T);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	assert_int_equal(f->ticks, 0);

	f->now = 2400;
	req = lock_delete("lock2");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_true(end.ended);
	assert_true(end.draining);
	assert_int_equal(end.verdict, POLICY_SESSION_COMPLETE);
	assert_int_equal(end.session.writes, 4);
	assert_int_equal(end.session.bytes, 350);
	assert_int_equal(f->ticks, 1);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_true(f->change.elapsed == 400);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(jobs_draining_jobs(f->jobs), 0);
}

static void
test_drain_later_session_refused_but_locks_and_reads_forwarded(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct policy_session_end end;

	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED); /* nothing open at T */
	assert_int_equal(f->ticks, 1);
	f->now = 1100;
	req = read_req(true);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = lock_create("lock1");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_int_equal(jobs_count(f->jobs), 1);
	assert_false(the_session(f)->draining);
	assert_int_equal(jobs_draining_jobs(f->jobs), 0);
	req = read_req(false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = write_req(100, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_LATER_SESSION, POLICY_MODE_DRAIN);
	assert_int_equal(the_session(f)->session->writes, 0);
	/* the refresh of a session is forwarded (refuse_session_refresh off) */
	req = lock_create("lock2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	req = lock_delete("lock1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	req = write_req(100, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_LATER_SESSION, POLICY_MODE_DRAIN);
	/* the refused client cleans up */
	req = lock_delete("lock2");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_true(end.ended);
	assert_false(end.draining);
	assert_int_equal(end.verdict, POLICY_SESSION_REFUSED);
	assert_string_equal(policy_session_verdict_name(end.verdict), "refused");
	assert_int_equal(end.session.refused, 2);
	assert_int_equal(end.session.writes, 0);
	assert_int_equal(jobs_count(f->jobs), 0);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(f->ticks, 1);
}

static void
test_drain_write_without_session_refused(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	req = write_req(155, false); /* restic init */
	assert_refused(play(f, &req, 200), POLICY_WHY_UNKNOWN_SESSION, POLICY_MODE_DRAIN);
	req = as_copy(write_req(155, false));
	assert_refused(play(f, &req, 200), POLICY_WHY_UNKNOWN_SESSION, POLICY_MODE_DRAIN);
	assert_int_equal(jobs_count(f->jobs), 0);
}

static void
test_drain_session_closed_after_t_is_unknown(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	open_session(f, "lock1");
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	req = lock_delete("lock1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	/* the next command from the same host opens a new session after T */
	req = write_req(1, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_UNKNOWN_SESSION, POLICY_MODE_DRAIN);
	req = lock_create("lock2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_false(the_session(f)->draining);
	req = write_req(1, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_LATER_SESSION, POLICY_MODE_DRAIN);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
}

static void
test_barrier_ignores_later_sessions(void **state)
{
	struct fixture *f = *state;
	struct tsp_request a1 = lock_create("a1");
	struct tsp_request b1 = restic_req(TSP_ROLE_LOCK_CREATE, TENANT, "/acme/other", HOST, "b1");
	struct tsp_request req;

	assert_forwarded(play(f, &a1, 200), POLICY_WHY_LOCK);
	f->now = 2000;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(jobs_draining_jobs(f->jobs), 1);
	f->now = 2010;
	assert_forwarded(play(f, &b1, 200), POLICY_WHY_LOCK);
	assert_int_equal(jobs_count(f->jobs), 2);
	assert_int_equal(jobs_draining_jobs(f->jobs), 1);
	assert_false(find_session(f, TENANT, TSP_CAT_BACKUP, "/acme/other", HOST)->draining);
	/* the T-session refreshes: still draining */
	req = lock_create("a2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	req = lock_delete("a1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	assert_int_equal(jobs_draining_jobs(f->jobs), 1);
	/* the later session refreshes too: nothing changes for the barrier */
	req = restic_req(TSP_ROLE_LOCK_CREATE, TENANT, "/acme/other", HOST, "b2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	req = restic_req(TSP_ROLE_LOCK_DELETE, TENANT, "/acme/other", HOST, "b1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(jobs_draining_jobs(f->jobs), 1);
	assert_int_equal(f->ticks, 0);
	/* the last lock of the T-session goes: drained, the later one stays open */
	f->now = 2500;
	req = lock_delete("a2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(f->ticks, 1);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_int_equal(f->change.draining_jobs, 0);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(jobs_count(f->jobs), 1);
	req = restic_req(TSP_ROLE_LOCK_DELETE, TENANT, "/acme/other", HOST, "b2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(f->ticks, 1);
	assert_int_equal(jobs_count(f->jobs), 0);
}

static void
test_barrier_counts_read_only_session_at_t(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct policy_session_end end;

	open_session(f, "lock1"); /* a restore, or restic mount */
	req = read_req(false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	assert_int_equal(jobs_draining_jobs(f->jobs), 1);
	req = read_req(false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = lock_delete("lock1");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_true(end.ended);
	assert_true(end.draining);
	assert_int_equal(end.verdict, POLICY_SESSION_READ_ONLY);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
}

static void
test_client_address_is_part_of_the_session(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct job *mine, *other;

	open_session(f, "lock1");
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	/* another host, same tenant and repository: no session */
	req = restic_req(TSP_ROLE_WRITE, TENANT, REPO, OTHER_HOST, NULL);
	assert_refused(play(f, &req, 200), POLICY_WHY_UNKNOWN_SESSION, POLICY_MODE_DRAIN);
	/* its lock delete of a lock with the same name removes nothing of ours */
	req = restic_req(TSP_ROLE_LOCK_DELETE, TENANT, REPO, OTHER_HOST, "lock1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(the_session(f)->task_count, 1);
	/* it opens its own session, after T */
	req = restic_req(TSP_ROLE_LOCK_CREATE, TENANT, REPO, OTHER_HOST, "lock9");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(jobs_count(f->jobs), 2);
	mine = the_session(f);
	other = find_session(f, TENANT, TSP_CAT_BACKUP, REPO, OTHER_HOST);
	assert_non_null(other);
	assert_ptr_not_equal(mine, other);
	assert_string_equal(other->session->client, OTHER_HOST);
	assert_false(other->draining);
	req = restic_req(TSP_ROLE_WRITE, TENANT, REPO, OTHER_HOST, NULL);
	assert_refused(play(f, &req, 200), POLICY_WHY_LATER_SESSION, POLICY_MODE_DRAIN);
	req = write_req(1, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_SESSION_AT_T);
	assert_int_equal(jobs_draining_jobs(f->jobs), 1);
}

static void
test_tenant_is_part_of_the_session(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct job *theirs;

	open_session(f, "lock1");
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	req = restic_req(TSP_ROLE_WRITE, "globex", REPO, HOST, NULL);
	assert_string_equal(req.job, lock_create("x").job); /* the same session key ... */
	assert_refused(play(f, &req, 200), POLICY_WHY_UNKNOWN_SESSION, POLICY_MODE_DRAIN);
	/* ... but another tenant's lock delete cannot end ours */
	req = restic_req(TSP_ROLE_LOCK_DELETE, "globex", REPO, HOST, "lock1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(jobs_count(f->jobs), 1);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	req = restic_req(TSP_ROLE_LOCK_CREATE, "globex", REPO, HOST, "lock1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(jobs_count(f->jobs), 2);
	assert_int_equal(jobs_tenant_count(f->jobs), 2);
	theirs = find_session(f, "globex", TSP_CAT_BACKUP, REPO, HOST);
	assert_non_null(theirs);
	assert_false(theirs->draining);
	req = restic_req(TSP_ROLE_WRITE, "globex", REPO, HOST, NULL);
	assert_refused(play(f, &req, 200), POLICY_WHY_LATER_SESSION, POLICY_MODE_DRAIN);
	req = write_req(1, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_SESSION_AT_T);
}

/* ---- block, disabled tenants, categories ---- */

static void
test_block_refuses_every_write(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;
	struct policy_session_end end;
	struct tsp_request later = restic_req(TSP_ROLE_LOCK_CREATE, TENANT, REPO, OTHER_HOST, "l9");

	open_session(f, "lock1");
	fx_maintenance(f, true, POLICY_MODE_BLOCK);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKING);
	req = write_req(1, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	req = write_req(1, true);
	assert_refused(play(f, &req, 200), POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	req = restic_req(TSP_ROLE_WRITE, TENANT, "/acme/nowhere", HOST, NULL);
	assert_refused(play(f, &req, 200), POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	req = as_copy(restic_req(TSP_ROLE_WRITE, TENANT, REPO, HOST, NULL));
	assert_refused(play(f, &req, 200), POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	/* locks and reads are forwarded */
	assert_forwarded(play(f, &later, 200), POLICY_WHY_LOCK);
	req = restic_req(TSP_ROLE_WRITE, TENANT, REPO, OTHER_HOST, NULL);
	assert_refused(play(f, &req, 200), POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	req = read_req(true);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = lock_create("lock2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK); /* refuse_session_refresh off */
	req = lock_delete("lock1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	req = lock_delete("lock2");
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_true(end.ended);
	assert_true(end.draining);
	assert_int_equal(end.verdict, POLICY_SESSION_REFUSED);
	assert_int_equal(end.session.refused, 2);
	assert_null(the_session(f));
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKED);
}

static void
test_drain_timeout_refuses_writes_of_session_at_t(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	open_session(f, "lock1");
	f->settings.drain_timeout = 60;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	f->now = 1059;
	req = write_req(1, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_SESSION_AT_T);
	f->now = 1060; /* before the tick reports it: already block */
	req = write_req(1, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	fx_tick(f);
	/* drain_timeout cut the session: blocked, it can no longer write, so the
	 * barrier reports drained at once; its locks still go */
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKED);
	assert_int_equal(jobs_draining_jobs(f->jobs), 0);
	req = lock_delete("lock1");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_int_equal(policy_state(f->policy), POLICY_BLOCKED);
}

static void
test_disabled_tenant_refused_reads_included(void **state)
{
	struct fixture *f = *state;
	static char acme[] = "acme";
	static char *const disabled[] = { acme };
	struct tsp_request req;

	open_session(f, "lock1");
	f->settings.disabled_tenants = disabled;
	f->settings.disabled_count = 1;
	fx_apply(f); /* maintenance stays off */
	assert_int_equal(policy_state(f->policy), POLICY_OFF);
	req = read_req(true);
	assert_disabled(play(f, &req, 200));
	req = read_req(false);
	assert_disabled(play(f, &req, 200));
	req = write_req(1, false);
	assert_disabled(play(f, &req, 200));
	req = lock_create("lock2");
	assert_disabled(play(f, &req, 200));
	req = lock_delete("lock1");
	assert_disabled(play(f, &req, 200));
	assert_int_equal(the_session(f)->task_count, 1);
	assert_int_equal(the_session(f)->session->writes, 0);
	/* another tenant is served */
	req = restic_req(TSP_ROLE_READ, "globex", REPO, HOST, NULL);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = restic_req(TSP_ROLE_WRITE, "globex", REPO, HOST, NULL);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_OFF);
	/* and while on too */
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	req = read_req(false);
	assert_disabled(play(f, &req, 200));
}

static void
test_categories_replication_only_forwards_backup_sessions(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	open_session(f, "lock1");
	f->settings.categories = POLICY_CATEGORY(TSP_CAT_REPLICATION);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(jobs_draining_jobs(f->jobs), 0);
	assert_false(the_session(f)->draining);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	req = write_req(10, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	assert_int_equal(the_session(f)->session->writes, 1);
	req = as_copy(write_req(10, false)); /* no session, not covered: forwarded */
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	/* a session opened now: forwarded as well */
	req = restic_req(TSP_ROLE_LOCK_CREATE, TENANT, REPO, OTHER_HOST, "l2");
	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	req = restic_req(TSP_ROLE_WRITE, TENANT, REPO, OTHER_HOST, NULL);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	/* in block mode as well */
	fx_maintenance(f, true, POLICY_MODE_BLOCK);
	req = write_req(10, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);

	/* covering backup while on: the sessions open now join the draining set */
	f->settings.categories = POLICY_CATEGORIES_DEFAULT;
	f->settings.mode = POLICY_MODE_DRAIN;
	fx_apply(f);
	assert_int_equal(jobs_draining_jobs(f->jobs), 2);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	req = write_req(10, false);
	assert_forwarded(play(f, &req, 200), POLICY_WHY_SESSION_AT_T);
}

static void
test_backup_copy_session_covered_by_default(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = as_copy(lock_create("lock1"));
	struct tsp_request later =
		as_copy(restic_req(TSP_ROLE_LOCK_CREATE, TENANT, REPO, OTHER_HOST, "l2"));
	struct job *job;
	struct policy_session_end end;

	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_null(the_session(f)); /* not a backup session */
	job = find_session(f, TENANT, TSP_CAT_BACKUP_COPY, REPO, HOST);
	assert_non_null(job);
	assert_non_null(job->session);
	assert_int_equal(jobs_count_category(f->jobs, TSP_CAT_BACKUP_COPY), 1);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(jobs_draining_jobs(f->jobs), 1);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	req = as_copy(write_req(10, false));
	assert_forwarded(play(f, &req, 200), POLICY_WHY_SESSION_AT_T);
	req = as_copy(read_req(true)); /* a read of the copy session touches it */
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	/* the same address as a backup session: none */
	req = write_req(10, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_UNKNOWN_SESSION, POLICY_MODE_DRAIN);
	assert_forwarded(play(f, &later, 200), POLICY_WHY_LOCK);
	req = as_copy(restic_req(TSP_ROLE_WRITE, TENANT, REPO, OTHER_HOST, NULL));
	assert_refused(play(f, &req, 200), POLICY_WHY_LATER_SESSION, POLICY_MODE_DRAIN);
	req = as_copy(lock_delete("lock1"));
	assert_forwarded(play_end(f, &req, 200, &end), POLICY_WHY_LOCK);
	assert_true(end.ended);
	assert_true(end.draining);
	assert_int_equal(end.verdict, POLICY_SESSION_WRITES);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
}

static void
test_backup_copy_not_covered_when_only_backup(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = as_copy(lock_create("lock1"));

	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	f->settings.categories = POLICY_CATEGORY(TSP_CAT_BACKUP);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(jobs_draining_jobs(f->jobs), 0);
	req = as_copy(write_req(10, false));
	assert_forwarded(play(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = write_req(10, false);
	assert_refused(play(f, &req, 200), POLICY_WHY_UNKNOWN_SESSION, POLICY_MODE_DRAIN);
}

/* ---- hang mitigation (refuse_session_refresh) ---- */

/* Maintenance on, refuse_session_refresh as given; a session opened after
 * T whose write was refused (the shell noted it). */
static void
refused_session(struct fixture *f, bool refuse_refresh)
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

static void
test_refresh_refused_after_refused_write(void **state)
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

static void
test_refresh_refused_in_block_mode(void **state)
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

static void
test_refresh_refused_only_after_note_refusal(void **state)
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

static void
test_config_read_lets_a_new_command_lock(void **state)
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

static void
test_config_read_then_lock_create_not_accepted_keeps_memory(void **state)
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

static void
test_refuse_refresh_off_forwards_lock_create(void **state)
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

static void
test_refuse_refresh_maintenance_off_forwards_lock_create(void **state)
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
static void
test_refusal_memory_spent_by_accepted_lock_create(void **state)
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

static void
note_expired(void *ctx, const struct job *job, const struct job_task *task)
{
	struct expired_log *log = ctx;

	if (task == NULL) {
		log->jobs++;
		log->session = job->session != NULL;
	} else {
		log->tasks++;
	}
}

static void
test_idle_session_expires_and_drain_completes(void **state)
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

static void
test_accepted_requests_touch_the_session(void **state)
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

static void
test_reads_keep_a_draining_session(void **state)
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
static void
test_refused_refresh_keeps_later_session_alive(void **state)
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

static void
test_refused_refresh_does_not_keep_session_at_t(void **state)
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

static void
test_lock_create_without_room_is_untracked(void **state)
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

static struct policy_decision
tsp_play(struct fixture *f, struct tsp_request *req, unsigned status,
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

static void
test_tsp_through_settle(void **state)
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
			    &(struct policy_decision){ POLICY_REFUSE_MAINTENANCE,
						       POLICY_WHY_LATER_TASK, POLICY_MODE_DRAIN, 0 },
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
static void
test_tsp_settle_matches_on_response(void **state)
{
	struct fixture *f = *state;
	struct jobs_limits limits;
	struct jobs *other;
	static const struct {
		enum tsp_role role;
		const char *task;
		unsigned status;
	} steps[] = {
		{ TSP_ROLE_JOB_OPEN, "", 201 },    { TSP_ROLE_TASK_OPEN, "t1", 201 },
		{ TSP_ROLE_TASK_OPEN, "t2", 500 }, { TSP_ROLE_BLOCK_WRITE, "t3", 200 },
		{ TSP_ROLE_BLOCK_WRITE, "t4", 0 }, { TSP_ROLE_TASK_CLOSE, "t1", 401 },
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

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_off_lock_create_opens_session),
		T(test_off_everything_forwarded),
		T(test_refresh_keeps_session),
		T(test_end_complete_reports_writes_and_bytes),
		T(test_end_writes_without_snapshot),
		T(test_end_read_only),
		cmocka_unit_test(test_session_verdict_of_a_session),
		T(test_lock_create_not_accepted_opens_nothing),
		T(test_lock_delete_not_accepted_removes_nothing),
		T(test_lock_delete_404_keeps_other_locks),
		T(test_drain_session_at_t_finishes),
		T(test_drain_later_session_refused_but_locks_and_reads_forwarded),
		T(test_drain_write_without_session_refused),
		T(test_drain_session_closed_after_t_is_unknown),
		T(test_barrier_ignores_later_sessions),
		T(test_barrier_counts_read_only_session_at_t),
		T(test_client_address_is_part_of_the_session),
		T(test_tenant_is_part_of_the_session),
		T(test_block_refuses_every_write),
		T(test_drain_timeout_refuses_writes_of_session_at_t),
		T(test_disabled_tenant_refused_reads_included),
		T(test_categories_replication_only_forwards_backup_sessions),
		T(test_backup_copy_session_covered_by_default),
		T(test_backup_copy_not_covered_when_only_backup),
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
