/*
 * tests/unit/test_state_file.c: the state file (proxy/policy/state_file.c,
 * state_file_parse.c): a policy and a job table written, read back into fresh
 * ones on another clock, give the same decisions; a truncated, edited,
 * foreign or oversized file is rejected as a whole, with a reason, and
 * changes nothing.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/state_file.h"
#include "policy_fixture.h"

/* The old process's clock: wall = clock + OLD_OFFSET; the new one started
 * later (a reboot resets the monotonic clock). Integers: the conversion is
 * exact and a rewrite gives the same bytes. */
#define OLD_OFFSET 1700000000.0
#define NEW_OFFSET 1700000500.0

static char *write_state(struct fixture *f, const char *profile, double offset, size_t *len)
{
	char *text = NULL;

	assert_true(state_file_write(f->policy, f->jobs, profile, f->now, offset, &text, len));
	assert_int_equal(strlen(text), *len);
	return text;
}

/* A fresh policy and table, as a restarted process has them. */
static void restart(struct fixture *f)
{
	struct jobs_limits limits = *jobs_limits(f->jobs);

	policy_free(f->policy);
	jobs_free(f->jobs);
	f->policy = policy_new();
	f->jobs = jobs_new(&limits);
	assert_non_null(f->policy);
	assert_non_null(f->jobs);
}

/* Parse, adopt, then apply the configured settings as a start does. */
static void restore(struct fixture *f, const char *text, size_t len, const char *profile)
{
	struct state_file_load load;
	char why[256] = "";
	const char *error = NULL;

	restart(f);
	assert_true(state_file_parse(text, len, profile, jobs_limits(f->jobs), NEW_OFFSET, &load, why,
				     sizeof why));
	assert_string_equal(why, "");
	assert_true(state_file_adopt(&load, f->policy, &f->jobs, &error));
	assert_null(load.jobs);
	fx_apply(f);
}

/* A drain in progress: a server-managed job with a task open at T, a
 * standalone agent's job open at T, a replication job (not covered) with a
 * task opened after T, and a tenant exempt. */
static void drain_in_progress(struct fixture *f)
{
	static char free_tenant[] = "free tenant";
	static char *exempt[] = { free_tenant };

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	f->now += 0.5;
	assert_forwarded(fx_open_job(f, TSP_CAT_BACKUP, "acme", "agentjob", TSP_ORIGIN_AGENT,
				     TSP_WORKLOAD_WINDOWS, TSP_OP_NONE),
			 POLICY_WHY_OFF);
	f->settings.exempt_tenants = exempt;
	f->settings.exempt_count = 1;
	f->now += 10;
	fx_maintenance(f, true, POLICY_MODE_DRAIN); /* T = 1010.5 */
	f->now += 20;
	assert_forwarded(fx_open_job(f, TSP_CAT_REPLICATION, "acme", "repl", TSP_ORIGIN_VBR,
				     TSP_WORKLOAD_VSPHERE, TSP_OP_REPLICATE),
			 POLICY_WHY_NOT_COVERED);
	assert_forwarded(fx_send(f, TSP_CAT_REPLICATION, TSP_ROLE_TASK_OPEN, "repl", "r1"),
			 POLICY_WHY_NOT_COVERED);
	f->now += 5;
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_TASK_AT_T);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
	assert_int_equal(jobs_draining_jobs(f->jobs), 1);
}

static void test_round_trip_keeps_the_drain(void **state)
{
	struct fixture *f = *state;
	double since, old_since;
	uint64_t generation;
	size_t len, len2;
	char *text, *again;

	drain_in_progress(f);
	old_since = policy_since(f->policy);
	generation = policy_generation(f->policy);
	text = write_state(f, "tsp", OLD_OFFSET, &len);
	assert_non_null(strstr(text, "sluice-state 1 tsp "));
	assert_non_null(strstr(text, "exempt free%20tenant\n"));

	f->now = f->now + OLD_OFFSET - NEW_OFFSET; /* the same moment on the new clock */
	restore(f, text, len, "tsp");
	since = policy_since(f->policy);
	assert_true(since == old_since + OLD_OFFSET - NEW_OFFSET);
	assert_int_equal(policy_generation(f->policy), generation);
	assert_int_equal(f->change.event, POLICY_EVENT_NONE); /* on -> on: T stays */
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	assert_int_equal(jobs_count(f->jobs), 3);
	assert_int_equal(jobs_task_count(f->jobs), 2);
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
	assert_int_equal(jobs_draining_jobs(f->jobs), 1);
	assert_int_equal(policy_tenant_scope(f->policy, "free tenant"), POLICY_EXEMPT);

	/* the same bytes when written again at the same wall-clock moment */
	again = write_state(f, "tsp", NEW_OFFSET, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(again, text, len);
	free(again);
	free(text);

	/* the same decisions */
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_TASK_AT_T);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "job", "t2"), POLICY_WHY_LATER_TASK,
		       POLICY_MODE_DRAIN);
	assert_refused(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "new", ""), POLICY_WHY_JOB_OPEN,
		       POLICY_MODE_DRAIN);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "agentjob", "a1"),
			 POLICY_WHY_AGENT_JOB_AT_T);
	assert_forwarded(fx_send(f, TSP_CAT_REPLICATION, TSP_ROLE_BLOCK_WRITE, "repl", "r1"),
			 POLICY_WHY_NOT_COVERED);

	/* the barrier counts the restored entries, and drains when they end */
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, "job", "t1"), POLICY_WHY_TASK_AT_T);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE, "agentjob", ""),
			 POLICY_WHY_JOB_CLOSE);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	assert_true(f->change.elapsed == 25.0); /* since the old T, across the restart */
}

/* The configuration has the last word: maintenance off ends the saved drain. */
static void test_configured_off_wins(void **state)
{
	struct fixture *f = *state;
	size_t len;
	char *text;

	drain_in_progress(f);
	text = write_state(f, "tsp", OLD_OFFSET, &len);
	f->settings.enabled = false;
	restore(f, text, len, "tsp");
	free(text);
	assert_int_equal(f->change.event, POLICY_EVENT_OFF);
	assert_int_equal(policy_state(f->policy), POLICY_OFF);
	assert_int_equal(jobs_draining_tasks(f->jobs) + jobs_draining_jobs(f->jobs), 0);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "new", ""), POLICY_WHY_OFF);
}

/* Saved off, configured on: T is the start, and what is open drains. */
static void test_saved_off_configured_on(void **state)
{
	struct fixture *f = *state;
	size_t len;
	char *text;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	text = write_state(f, "tsp", OLD_OFFSET, &len);
	f->settings.enabled = true;
	restore(f, text, len, "tsp");
	free(text);
	assert_int_equal(f->change.event, POLICY_EVENT_ON);
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
	assert_forwarded(fx_send(f, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_TASK_AT_T);
}

/* Unconfirmed entries belong to requests in flight: not saved. */
static void test_unconfirmed_entries_are_not_saved(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "acme", "pending", "");
	struct policy_record rec;
	size_t len;
	char *text;

	fx_running_vbr_task(f, TSP_CAT_BACKUP, TSP_WORKLOAD_VSPHERE);
	assert_true(policy_record(f->jobs, &req, f->now, &rec));
	assert_int_equal(jobs_count(f->jobs), 2);
	text = write_state(f, "tsp", OLD_OFFSET, &len);
	assert_null(strstr(text, "pending"));
	restore(f, text, len, "tsp");
	free(text);
	assert_int_equal(jobs_count(f->jobs), 1);
}

/* restic: a session with its lock and its counts. */
static void test_session_round_trip(void **state)
{
	struct fixture *f = *state;
	static const struct job_desc desc = { TSP_ORIGIN_NONE, TSP_WORKLOAD_NONE, TSP_OP_NONE };
	struct job *job;
	struct job_task *lock;
	size_t len;
	char *text;

	assert_int_equal(jobs_open(f->jobs, "acme", TSP_CAT_BACKUP, "sess1", &desc, f->now, &job), JOBS_OK);
	assert_true(jobs_attach_session(job, "/acme/repo one", "2001:db8::1"));
	assert_int_equal(jobs_open_task(f->jobs, job, "lock1", f->now, &lock), JOBS_OK);
	jobs_confirm(f->jobs, job, lock);
	job->session->writes = 7;
	job->session->bytes = 1234567;
	job->session->refusal_seen = true;
	f->now += 1;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(jobs_draining_jobs(f->jobs), 1);
	text = write_state(f, "restic", OLD_OFFSET, &len);
	restore(f, text, len, "restic");
	free(text);
	job = jobs_find(f->jobs, "acme", TSP_CAT_BACKUP, "sess1");
	assert_non_null(job);
	assert_non_null(job->session);
	assert_string_equal(job->session->repository, "/acme/repo one");
	assert_string_equal(job->session->client, "2001:db8::1");
	assert_int_equal(job->session->writes, 7);
	assert_int_equal(job->session->bytes, 1234567);
	assert_true(job->session->refusal_seen);
	assert_false(job->session->snapshot);
	assert_true(job->draining);
	assert_true(job->confirmed);
	assert_non_null(jobs_find_task(job, "lock1"));
	assert_int_equal(jobs_draining_jobs(f->jobs), 1);
}

/* ---- rejected files ---- */

/* A parse that must fail: the reason names what, nothing is allocated. */
static void assert_rejected(const char *text, size_t len, const char *profile,
			    const struct jobs_limits *limits, const char *reason)
{
	struct state_file_load load;
	char why[256] = "";

	assert_false(state_file_parse(text, len, profile, limits, NEW_OFFSET, &load, why, sizeof why));
	assert_null(load.jobs);
	assert_true(why[0] != '\0');
	if (reason != NULL && strstr(why, reason) == NULL)
		fail_msg("rejected for \"%s\", expected \"%s\"", why, reason);
}

/* The text with its last line made again: count and checksum right. */
static char *resign(const char *text, size_t *len)
{
	size_t body = strlen(text), records = 0;
	char *out = malloc(body + 64);

	assert_non_null(out);
	while (body > 0 && text[body - 1] == '\n')
		body--;
	while (body > 0 && text[body - 1] != '\n')
		body--;
	memcpy(out, text, body);
	for (size_t i = 0; i < body; i++)
		records += text[i] == '\n';
	*len = body + (size_t)sprintf(out + body, "end %zu %016llx\n", records - 1,
				      (unsigned long long)state_file_fnv1a(out, body));
	return out;
}

/* text with the first occurrence of from replaced by to, re-signed. */
static char *edited(const char *text, const char *from, const char *to, size_t *len)
{
	const char *at = strstr(text, from);
	char *raw, *out;

	assert_non_null(at);
	raw = malloc(strlen(text) + strlen(to) + 1);
	assert_non_null(raw);
	sprintf(raw, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	out = resign(raw, len);
	free(raw);
	return out;
}

static void test_every_truncation_and_every_changed_byte_is_rejected(void **state)
{
	struct fixture *f = *state;
	const struct jobs_limits *limits;
	size_t len, cut, i;
	char *text, *copy;
	size_t before_jobs;

	drain_in_progress(f);
	text = write_state(f, "tsp", OLD_OFFSET, &len);
	limits = jobs_limits(f->jobs);
	before_jobs = jobs_count(f->jobs);
	for (cut = 0; cut < len; cut++)
		assert_rejected(text, cut, "tsp", limits, NULL);
	copy = malloc(len);
	assert_non_null(copy);
	for (i = 0; i < len; i++) {
		memcpy(copy, text, len);
		copy[i] ^= 0x01;
		assert_rejected(copy, len, "tsp", limits, NULL);
	}
	/* a line lost in the middle is caught by the count */
	memcpy(copy, text, len);
	{
		char *second = strchr(copy, '\n') + 1, *third = strchr(second, '\n') + 1;

		memmove(second, third, (size_t)(copy + len - third));
		assert_rejected(copy, len - (size_t)(third - second), "tsp", limits, "counts");
	}
	free(copy);
	/* the file a failed parse was given to is untouched */
	assert_int_equal(jobs_count(f->jobs), before_jobs);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	free(text);
}

static void test_foreign_and_edited_files_say_why(void **state)
{
	struct fixture *f = *state;
	const struct jobs_limits *limits;
	size_t len, n;
	char *text, *bad;
	static const char garbage[] = "\x7f"
				      "ELF\x02\x01\x01\x00\x00\x00garbage\n";

	drain_in_progress(f);
	text = write_state(f, "tsp", OLD_OFFSET, &len);
	limits = jobs_limits(f->jobs);

	assert_rejected("", 0, "tsp", limits, "empty");
	assert_rejected("\n", 1, "tsp", limits, "not a sluice state file");
	assert_rejected(garbage, sizeof garbage - 1, "tsp", limits, "not a sluice state file");
	assert_rejected("[proxy]\nlisten = *:443\n", 23, "tsp", limits, "not a sluice state file");
	bad = edited(text, "sluice-state 1", "sluice-stat 1", &n);
	assert_rejected(bad, n, "tsp", limits, "not a sluice state file");
	free(bad);
	bad = edited(text, "sluice-state 1", "sluice-state 2", &n);
	assert_rejected(bad, n, "tsp", limits, "version 2");
	free(bad);
	assert_rejected(text, len, "restic", limits, "profile = tsp");
	bad = edited(text, "\ntask ", "\nbogus ", &n);
	assert_rejected(bad, n, "tsp", limits, "unknown record");
	free(bad);
	bad = edited(text, " job ", " nojob ", &n);
	assert_rejected(bad, n, "tsp", limits, "which no earlier line opens");
	free(bad);
	bad = edited(text, "policy draining", "policy dreaming", &n);
	assert_rejected(bad, n, "tsp", limits, "unknown maintenance state");
	free(bad);
	bad = edited(text, "policy draining", "policy off", &n);
	assert_rejected(bad, n, "tsp", limits, "draining while maintenance is off");
	free(bad);
	bad = edited(text, "\njob acme 1 job ", "\njob acme 0 job ", &n);
	assert_rejected(bad, n, "tsp", limits, "field 2: not a number from 1 to 4");
	free(bad);
	{ /* a record before the policy line */
		bad = edited(text, "\npolicy ", "\nscope x\npolicy ", &n);
		assert_rejected(bad, n, "tsp", limits, "first record must be the policy line");
		free(bad);
	}
	/* the unedited file still parses */
	{
		struct state_file_load load;
		char why[256];

		assert_true(state_file_parse(text, len, "tsp", limits, NEW_OFFSET, &load, why, sizeof why));
		state_file_load_free(&load);
	}
	free(text);
}

static void test_more_than_the_limits_allow_is_rejected(void **state)
{
	struct fixture *f = *state;
	struct jobs_limits limits;
	size_t len;
	char *text;

	drain_in_progress(f);
	text = write_state(f, "tsp", OLD_OFFSET, &len);
	limits = *jobs_limits(f->jobs);
	limits.max_jobs = 2;
	assert_rejected(text, len, "tsp", &limits, "job_table_size (2)");
	limits = *jobs_limits(f->jobs);
	limits.max_tenant_jobs = 1;
	assert_rejected(text, len, "tsp", &limits, "tenant_jobs (1)");
	limits = *jobs_limits(f->jobs);
	limits.max_all_tasks = 1;
	assert_rejected(text, len, "tsp", &limits, "job_table_size (1)");
	limits = *jobs_limits(f->jobs);
	limits.max_tenant_tasks = 1;
	assert_rejected(text, len, "tsp", &limits, "tenant_tasks (1)");
	free(text);
}

static void test_duplicates_are_rejected(void **state)
{
	struct fixture *f = *state;
	size_t len, n;
	char *text, *bad, *raw, *line, *end, dup[512];

	drain_in_progress(f);
	text = write_state(f, "tsp", OLD_OFFSET, &len);
	line = strstr(text, "\njob ") + 1;
	end = strchr(line, '\n') + 1;
	snprintf(dup, sizeof dup, "%.*s%.*s", (int)(end - line), line, (int)(end - line), line);
	raw = malloc(len + sizeof dup);
	assert_non_null(raw);
	sprintf(raw, "%.*s%s%s", (int)(line - text), text, dup, end); /* the first job line twice */
	bad = resign(raw, &n);
	free(raw);
	assert_rejected(bad, n, "tsp", jobs_limits(f->jobs), "listed twice");
	free(bad);
	free(text);
}

static void test_adopt_needs_a_fresh_policy(void **state)
{
	struct fixture *f = *state;
	struct state_file_load load;
	char why[256];
	const char *error = NULL;
	size_t len;
	char *text;

	drain_in_progress(f);
	text = write_state(f, "tsp", OLD_OFFSET, &len);
	assert_true(
		state_file_parse(text, len, "tsp", jobs_limits(f->jobs), NEW_OFFSET, &load, why, sizeof why));
	assert_false(state_file_adopt(&load, f->policy, &f->jobs, &error));
	assert_non_null(error);
	assert_null(load.jobs);
	assert_int_equal(jobs_count(f->jobs), 3);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_keeps_the_drain, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_configured_off_wins, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_saved_off_configured_on, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unconfirmed_entries_are_not_saved, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_session_round_trip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_every_truncation_and_every_changed_byte_is_rejected,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_and_edited_files_say_why, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_more_than_the_limits_allow_is_rejected, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_are_rejected, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_adopt_needs_a_fresh_policy, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
