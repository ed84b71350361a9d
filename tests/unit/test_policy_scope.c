/*
 * tests/unit/test_policy_scope.c: maintenance for some tenants only
 * ([maintenance] tenants and exempt, proxy/policy/policy.c): a tenant out of
 * scope or exempt is treated as if maintenance were off for it, and the
 * draining set, the barrier and the per-tenant view follow the scope, on
 * reload too. Fake clock: the time is a number each step passes in.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_fixture.h"

static char acme[] = "acme", globex[] = "globex", no_name[] = "";
static char *const acme_only[] = { acme };
static char *const globex_only[] = { globex };
static char *const both[] = { acme, globex };

static void scope(struct fixture *f, char *const *tenants, size_t count)
{
	f->settings.scope_tenants = tenants;
	f->settings.scope_count = count;
}

static void exempt(struct fixture *f, char *const *tenants, size_t count)
{
	f->settings.exempt_tenants = tenants;
	f->settings.exempt_count = count;
}

/* A server-managed job of tenant with one task open. */
static void running_task(struct fixture *f, const char *tenant, const char *job)
{
	struct tsp_request req;

	fx_open_job(f, TSP_CAT_BACKUP, tenant, job, TSP_ORIGIN_VBR, TSP_WORKLOAD_VSPHERE, TSP_OP_NONE);
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, tenant, job, "t1");
	assert_int_equal(fx_send_status(f, &req, 201).verdict, POLICY_FORWARD);
}

static void close_task(struct fixture *f, const char *tenant, const char *job)
{
	struct tsp_request req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE, tenant, job, "t1");

	assert_int_equal(fx_send_status(f, &req, 200).verdict, POLICY_FORWARD);
}

static struct policy_decision job_open(struct fixture *f, const char *tenant, const char *job)
{
	struct tsp_request req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, tenant, job, "");

	req.origin = TSP_ORIGIN_VBR;
	req.workload = TSP_WORKLOAD_VSPHERE;
	return policy_decide(f->policy, f->jobs, &req, f->now);
}

static struct policy_decision task_open(struct fixture *f, const char *tenant, const char *job,
					const char *task)
{
	struct tsp_request req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, tenant, job, task);

	return policy_decide(f->policy, f->jobs, &req, f->now);
}

static struct policy_decision hello(struct fixture *f, const char *tenant)
{
	struct tsp_request req = fx_request(TSP_CAT_CONTROL, TSP_ROLE_SESSION_HELLO, tenant, "", "");

	return policy_decide(f->policy, f->jobs, &req, f->now);
}

/* Per-tenant draining view: "tenant:tasks/jobs " for each draining tenant. */
static void add_tenant(void *ctx, const char *tenant, size_t tasks, size_t jobs)
{
	char *out = ctx;

	snprintf(out + strlen(out), 256 - strlen(out), "%s:%zu/%zu ", tenant, tasks, jobs);
}

static const char *draining_view(struct fixture *f, char out[256])
{
	out[0] = '\0';
	policy_foreach_draining_tenant(f->jobs, add_tenant, out);
	return out;
}

static void test_listed_tenant_refused_unlisted_forwarded(void **state)
{
	struct fixture *f = *state;

	scope(f, acme_only, 1);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_refused(job_open(f, "acme", "j"), POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_forwarded(job_open(f, "globex", "j"), POLICY_WHY_OUT_OF_SCOPE);
	/* the hello: the notice for acme, forwarded for globex */
	assert_int_equal(hello(f, "acme").verdict, POLICY_HELLO_NOTICE);
	assert_forwarded(hello(f, "globex"), POLICY_WHY_HELLO);
	/* block mode too */
	fx_maintenance(f, true, POLICY_MODE_BLOCK);
	assert_refused(job_open(f, "acme", "j"), POLICY_WHY_BLOCK_MODE, POLICY_MODE_BLOCK);
	assert_forwarded(job_open(f, "globex", "j"), POLICY_WHY_OUT_OF_SCOPE);
}

static void test_exempt_tenant_forwarded(void **state)
{
	struct fixture *f = *state;

	exempt(f, globex_only, 1);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_refused(job_open(f, "acme", "j"), POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_refused(job_open(f, "initech", "j"), POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);
	assert_forwarded(job_open(f, "globex", "j"), POLICY_WHY_EXEMPT);
	assert_forwarded(hello(f, "globex"), POLICY_WHY_HELLO);
	assert_int_equal(policy_tenant_scope(f->policy, "globex"), POLICY_EXEMPT);
	assert_int_equal(policy_tenant_scope(f->policy, "acme"), POLICY_IN_SCOPE);
}

/* An exempt tenant's new job runs whole: its tasks open, write and close. */
static void test_exempt_tenant_works_while_on(void **state)
{
	struct fixture *f = *state;
	struct tsp_request req;

	exempt(f, globex_only, 1);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	running_task(f, "globex", "j");
	req = fx_request(TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE, "globex", "j", "t1");
	assert_forwarded(fx_send_status(f, &req, 200), POLICY_WHY_EXEMPT);
	close_task(f, "globex", "j");
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(jobs_draining_tasks(f->jobs), 0);
}

/* R10 is not maintenance: a disabled tenant is refused in scope or not. */
static void test_disabled_still_refused(void **state)
{
	struct fixture *f = *state;

	scope(f, acme_only, 1);
	exempt(f, globex_only, 1);
	f->settings.disabled_tenants = globex_only;
	f->settings.disabled_count = 1;
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(job_open(f, "globex", "j").verdict, POLICY_REFUSE_DISABLED);
	assert_int_equal(hello(f, "globex").verdict, POLICY_REFUSE_DISABLED);
}

/* Out-of-scope and exempt tenants' running tasks never join the draining
 * set: the barrier reports drained without them. */
static void test_drained_ignores_out_of_scope(void **state)
{
	struct fixture *f = *state;
	char view[256];

	running_task(f, "acme", "a");
	running_task(f, "globex", "g");
	running_task(f, "initech", "i");
	scope(f, acme_only, 1);
	exempt(f, globex_only, 1);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 1); /* acme's only */
	assert_string_equal(draining_view(f, view), "acme:1/0 ");
	assert_int_equal(policy_state(f->policy), POLICY_DRAINING);
	f->now += 5;
	close_task(f, "acme", "a");
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_int_equal(f->change.event, POLICY_EVENT_DRAINED);
	/* the others keep working and change nothing */
	close_task(f, "globex", "g");
	assert_forwarded(task_open(f, "initech", "i", "t2"), POLICY_WHY_OUT_OF_SCOPE);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
}

/* A standalone agent's job (drained as a whole, R2) follows the scope too. */
static void test_agent_job_follows_scope(void **state)
{
	struct fixture *f = *state;

	fx_open_job(f, TSP_CAT_BACKUP, "acme", "a", TSP_ORIGIN_AGENT, TSP_WORKLOAD_WINDOWS, TSP_OP_NONE);
	fx_open_job(f, TSP_CAT_BACKUP, "globex", "g", TSP_ORIGIN_AGENT, TSP_WORKLOAD_WINDOWS, TSP_OP_NONE);
	scope(f, globex_only, 1);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_jobs, 1);
	assert_forwarded(task_open(f, "globex", "g", "t"), POLICY_WHY_AGENT_JOB_AT_T);
	assert_forwarded(task_open(f, "acme", "a", "t"), POLICY_WHY_OUT_OF_SCOPE);
}

/* A reload changing the scope while on moves entries in and out of the
 * draining set, like a change of categories; T stays. */
static void test_reload_changes_scope_while_on(void **state)
{
	struct fixture *f = *state;
	char view[256];
	double t;

	running_task(f, "acme", "a");
	running_task(f, "globex", "g");
	scope(f, acme_only, 1);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	t = f->now;
	assert_string_equal(draining_view(f, view), "acme:1/0 ");

	/* globex joins: its task open now drains, its new job is refused */
	f->now += 10;
	scope(f, both, 2);
	fx_apply(f);
	assert_int_equal(f->change.event, POLICY_EVENT_SCOPE);
	assert_true(f->change.scope_changed);
	assert_int_equal(f->change.draining_tasks, 2);
	assert_string_equal(draining_view(f, view), "acme:1/0 globex:1/0 ");
	assert_refused(job_open(f, "globex", "new"), POLICY_WHY_JOB_OPEN, POLICY_MODE_DRAIN);

	/* acme leaves (exempt now): its task no longer holds the barrier */
	f->now += 10;
	scope(f, globex_only, 1);
	exempt(f, acme_only, 1);
	fx_apply(f);
	assert_int_equal(jobs_draining_tasks(f->jobs), 1);
	assert_string_equal(draining_view(f, view), "globex:1/0 ");
	assert_forwarded(job_open(f, "acme", "new"), POLICY_WHY_EXEMPT);

	/* globex leaves too: the set is empty, reported as drained; T unchanged */
	f->now += 10;
	scope(f, NULL, 0);
	exempt(f, both, 2);
	fx_apply(f);
	assert_int_equal(policy_state(f->policy), POLICY_DRAINED);
	assert_string_equal(draining_view(f, view), "");
	{
		struct policy_status st;

		policy_status(f->policy, f->jobs, f->now, &st);
		assert_true(st.since == t);
	}
}

/* Re-applying the same scope changes nothing (no generation). */
static void test_same_scope_is_no_change(void **state)
{
	struct fixture *f = *state;
	uint64_t generation;

	scope(f, acme_only, 1);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	generation = policy_generation(f->policy);
	fx_apply(f);
	assert_int_equal(f->change.event, POLICY_EVENT_NONE);
	assert_false(f->change.scope_changed);
	assert_int_equal(policy_generation(f->policy), generation);
}

/* Turning off and on again follows the scope then in force. */
static void test_scope_changed_while_off(void **state)
{
	struct fixture *f = *state;

	running_task(f, "acme", "a");
	running_task(f, "globex", "g");
	scope(f, acme_only, 1);
	fx_apply(f);
	assert_true(f->change.scope_changed);
	assert_int_equal(f->change.event, POLICY_EVENT_NONE);
	assert_forwarded(job_open(f, "acme", "x"), POLICY_WHY_OFF);
	fx_maintenance(f, true, POLICY_MODE_DRAIN);
	assert_int_equal(f->change.draining_tasks, 1);
	fx_maintenance(f, false, POLICY_MODE_DRAIN);
	assert_int_equal(jobs_draining_tasks(f->jobs), 0);
}

static void test_tenant_in_both_lists_rejected(void **state)
{
	struct fixture *f = *state;
	const char *error = NULL;
	static char *const bad[] = { no_name };

	scope(f, both, 2);
	exempt(f, globex_only, 1);
	f->settings.enabled = true;
	assert_false(policy_apply(f->policy, &f->settings, f->jobs, f->now, &f->change, &error));
	assert_non_null(error);
	assert_int_equal(policy_state(f->policy), POLICY_OFF); /* nothing changed */
	exempt(f, bad, 1);
	scope(f, acme_only, 1);
	assert_false(policy_apply(f->policy, &f->settings, f->jobs, f->now, &f->change, &error));
}

static void add_name(void *ctx, const char *name)
{
	char *out = ctx;

	snprintf(out + strlen(out), 256 - strlen(out), "%s,", name);
}

/* The applied lists are copies, sorted, for /status. */
static void test_scope_lists_copied_and_sorted(void **state)
{
	struct fixture *f = *state;
	char *names[] = { strdup("zeta"), strdup("acme") };
	char out[256] = "";

	scope(f, names, 2);
	fx_apply(f);
	free(names[0]);
	free(names[1]);
	policy_foreach_scope_tenant(f->policy, false, add_name, out);
	assert_string_equal(out, "acme,zeta,");
	out[0] = '\0';
	policy_foreach_scope_tenant(f->policy, true, add_name, out);
	assert_string_equal(out, "");
	assert_int_equal(policy_tenant_scope(f->policy, "zeta"), POLICY_IN_SCOPE);
	assert_int_equal(policy_tenant_scope(f->policy, "other"), POLICY_OUT_OF_SCOPE);
	assert_string_equal(policy_reason_text(POLICY_WHY_EXEMPT), "tenant in [maintenance] exempt");
	assert_string_equal(policy_event_name(POLICY_EVENT_SCOPE), "scope");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_listed_tenant_refused_unlisted_forwarded),
		T(test_exempt_tenant_forwarded),
		T(test_exempt_tenant_works_while_on),
		T(test_disabled_still_refused),
		T(test_drained_ignores_out_of_scope),
		T(test_agent_job_follows_scope),
		T(test_reload_changes_scope_while_on),
		T(test_same_scope_is_no_change),
		T(test_scope_changed_while_off),
		T(test_tenant_in_both_lists_rejected),
		T(test_scope_lists_copied_and_sorted),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
