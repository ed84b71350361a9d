/* tests/unit/policy_fixture.c: the policy tests' fixture (see policy_fixture.h). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_fixture.h"

int fx_setup(void **state)
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

int fx_teardown(void **state)
{
	struct fixture *f = *state;

	policy_free(f->policy);
	jobs_free(f->jobs);
	free(f);
	return 0;
}

/* ---- the shell's part ---- */

struct tsp_request fx_request(enum tsp_category cat, enum tsp_role role, const char *tenant, const char *job,
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
void fx_tick(struct fixture *f)
{
	if (policy_tick(f->policy, f->jobs, f->now, &f->change))
		f->ticks++;
}

/* One request end to end; status is the repository's answer when forwarded. */
struct policy_decision fx_send_status(struct fixture *f, const struct tsp_request *req, unsigned status)
{
	struct policy_decision d = policy_decide(f->policy, f->jobs, req, f->now);
	struct policy_record rec;

	if (d.verdict == POLICY_FORWARD) {
		assert_true(policy_record(f->jobs, req, f->now, &rec));
		policy_on_response(f->jobs, req, &rec, status);
		fx_tick(f);
	}
	return d;
}

struct policy_decision fx_send(struct fixture *f, enum tsp_category cat, enum tsp_role role, const char *job,
			       const char *task)
{
	struct tsp_request req = fx_request(cat, role, "acme", job, task);

	return fx_send_status(f, &req, 200);
}

struct policy_decision fx_open_job(struct fixture *f, enum tsp_category cat, const char *tenant,
				   const char *job, enum tsp_origin origin, enum tsp_workload workload,
				   enum tsp_operation op)
{
	struct tsp_request req = fx_request(cat, TSP_ROLE_JOB_OPEN, tenant, job, "");

	req.origin = origin;
	req.workload = workload;
	req.operation = op;
	return fx_send_status(f, &req, 201);
}

void fx_apply(struct fixture *f)
{
	const char *error = "unset";

	assert_true(policy_apply(f->policy, &f->settings, f->jobs, f->now, &f->change, &error));
	assert_null(error);
	fx_tick(f);
}

void fx_maintenance(struct fixture *f, bool enabled, enum policy_mode mode)
{
	f->settings.enabled = enabled;
	f->settings.mode = mode;
	fx_apply(f);
}

/* A server-managed job with one task running: the usual state at T. */
void fx_running_vbr_task(struct fixture *f, enum tsp_category cat, enum tsp_workload workload)
{
	assert_forwarded(fx_open_job(f, cat, "acme", "job", TSP_ORIGIN_VBR, workload, TSP_OP_NONE),
			 POLICY_WHY_OFF);
	assert_forwarded(fx_send(f, cat, TSP_ROLE_TASK_OPEN, "job", "t1"), POLICY_WHY_OFF);
	assert_forwarded(fx_send(f, cat, TSP_ROLE_BLOCK_WRITE, "job", "t1"), POLICY_WHY_OFF);
}

void fx_restore_passes(struct fixture *f, const char *tenant)
{
	struct tsp_request req = fx_request(TSP_CAT_RESTORE, TSP_ROLE_JOB_OPEN, tenant, "r1", "");

	req.origin = TSP_ORIGIN_VBR;
	req.workload = TSP_WORKLOAD_VSPHERE;
	assert_forwarded(fx_send_status(f, &req, 201), POLICY_WHY_NOT_COVERED);
	req = fx_request(TSP_CAT_RESTORE, TSP_ROLE_TASK_OPEN, tenant, "r1", "vm");
	assert_forwarded(fx_send_status(f, &req, 201), POLICY_WHY_NOT_COVERED);
	req = fx_request(TSP_CAT_RESTORE, TSP_ROLE_BLOCK_READ, tenant, "r1", "vm");
	assert_forwarded(fx_send_status(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = fx_request(TSP_CAT_RESTORE, TSP_ROLE_TASK_CLOSE, tenant, "r1", "vm");
	assert_forwarded(fx_send_status(f, &req, 200), POLICY_WHY_NOT_COVERED);
	req = fx_request(TSP_CAT_RESTORE, TSP_ROLE_JOB_CLOSE, tenant, "r1", "");
	assert_forwarded(fx_send_status(f, &req, 200), POLICY_WHY_NOT_COVERED);
}
