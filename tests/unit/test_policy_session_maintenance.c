/*
 * tests/unit/test_policy_session_maintenance.c: the session rules of the
 * maintenance policy (proxy/policy/policy.h, "Sessions";
 * proxy/policy/policy_session.c) for the restic profile while maintenance is
 * on: drain (the sessions open at T finish, later ones are refused, the
 * barrier), block mode, drain_timeout, disabled tenants and the categories
 * maintenance covers; fake clock. The requests and the proxy's shell they
 * are played through come from session_fixture.c (see test_policy_session.c).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "restic.h"
#include "session_fixture.h"

/* ---- drain ---- */

static void test_drain_session_at_t_finishes(void **state)
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

static void test_drain_later_session_refused_but_locks_and_reads_forwarded(void **state)
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

static void test_drain_write_without_session_refused(void **state)
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

static void test_drain_session_closed_after_t_is_unknown(void **state)
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

static void test_barrier_ignores_later_sessions(void **state)
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

static void test_barrier_counts_read_only_session_at_t(void **state)
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

static void test_client_address_is_part_of_the_session(void **state)
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

static void test_tenant_is_part_of_the_session(void **state)
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

static void test_block_refuses_every_write(void **state)
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

static void test_drain_timeout_refuses_writes_of_session_at_t(void **state)
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

static void test_disabled_tenant_refused_reads_included(void **state)
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

static void test_categories_replication_only_forwards_backup_sessions(void **state)
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

static void test_backup_copy_session_covered_by_default(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = as_copy(lock_create("lock1"));
	struct tsp_request later = as_copy(restic_req(TSP_ROLE_LOCK_CREATE, TENANT, REPO, OTHER_HOST, "l2"));
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

static void test_backup_copy_not_covered_when_only_backup(void **state)
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

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
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
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
