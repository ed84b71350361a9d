/*
 * tests/unit/test_policy_session.c: the session rules of the maintenance
 * policy (proxy/policy/policy.h, "Sessions"; proxy/policy/policy_session.c) for the restic
 * profile, part one: a session's life with maintenance off (opened by a lock,
 * refreshed, ended with its verdict) and what the repository's answer to a
 * lock request does to the table; fake clock. The requests are those the
 * restic classifier would build (tenant, repository, client address, role,
 * lock id; job = restic_session_key(repository, client)), played through the
 * proxy's shell by session_fixture.c: decide -> if forwarded: policy_record
 * -> policy_settle(status, now) -> policy_tick; a refusal for maintenance
 * goes to policy_note_refusal, as proxy/conn/exchange.c does.
 * test_policy_session_maintenance.c has the rules while maintenance is on.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "restic.h"
#include "session_fixture.h"

/* ---- maintenance off: the session's life ---- */

static void test_off_lock_create_opens_session(void **state)
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

static void test_off_everything_forwarded(void **state)
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

static void test_refresh_keeps_session(void **state)
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

static void test_end_complete_reports_writes_and_bytes(void **state)
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

static void test_end_writes_without_snapshot(void **state)
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

static void test_end_read_only(void **state)
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

static void test_session_verdict_of_a_session(void **state)
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

static void test_lock_create_not_accepted_opens_nothing(void **state)
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

static void test_lock_delete_not_accepted_removes_nothing(void **state)
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

static void test_lock_delete_404_keeps_other_locks(void **state)
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

int main(void)
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
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
