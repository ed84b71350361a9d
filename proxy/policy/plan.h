/*
 * proxy/policy/plan.h: the dry run of maintenance (GET /plan, `sluicectl
 * maintenance plan`): what turning maintenance on now, with the given mode
 * and categories, would do, tenant by tenant. Computed from the job table;
 * nothing changes (no drain flag, no state, no generation). Pure: no I/O,
 * no clock of its own (now is on the job table's clock).
 *
 * Per tenant, as policy.c would mark it at T = now (PROTOCOL.md 10):
 *   - drain mode: every open task of a covered server-managed job would
 *     finish (R1) and the job's later tasks would be refused; a standalone
 *     agent's backup job (or a restic session) would finish as a whole (R2),
 *     later tasks included;
 *   - block mode: all of that is cut at once (R8): the tasks and whole jobs
 *     are listed as cut, and every covered job's later tasks are refused.
 * restore is never covered, so never listed (R5). A disabled tenant is
 * refused everything already (R10), a tenant outside the maintenance scope
 * or exempt from it is never refused for maintenance: they are counted in
 * skipped, not listed.
 *
 * The drain estimate of a task: TSP/1 announces no task size, so what a
 * task is expected to write comes from its job's history: the mean bytes of
 * the job's tasks that closed with success (struct job: done_tasks,
 * done_bytes). With that and a rate (bytes since the task opened over the
 * time since), seconds left = (expected - written) / rate. Without history,
 * without a write, or past the expected size, the estimate is unknown. A
 * whole job (R2) or a session runs tasks nobody announced: unknown. A tenant's
 * (and the plan's) drain estimate is the longest known one; the count of
 * unknown ones says when it is only a lower bound.
 *
 * Bounded: at most PLAN_TENANTS_MAX tenants and PLAN_ITEMS_MAX items are
 * listed; the counts cover everything, and truncated says when a list was cut.
 */
#ifndef SLUICE_PLAN_H
#define SLUICE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/jobs.h"
#include "policy/policy.h"
#include "tsp.h"

#define PLAN_TENANTS_MAX 100 /* tenants listed */
#define PLAN_ITEMS_MAX 1000  /* tasks, whole jobs and refused jobs listed, in all */
#define PLAN_FILTER_MAX 64   /* names in the tenant filter (--tenants) */

/* What to evaluate, as turning maintenance on now would. */
struct plan_settings {
	enum policy_mode mode;
	unsigned categories;     /* POLICY_CATEGORY bits (restore ignored) */
	const char *const *only; /* list only these tenants (--tenants); */
	size_t only_count;       /* 0 = every tenant */
};

enum plan_item_kind {
	PLAN_TASK,       /* an open task of a server-managed job (R1) */
	PLAN_WHOLE_JOB,  /* a standalone agent's backup job, or a session (R2) */
	PLAN_REFUSED_JOB /* a job whose later tasks would be refused (R1, R8) */
};

/* What an open task (or whole job) has done so far, and what is left. */
struct plan_progress {
	double opened_at;        /* the job table's clock */
	double last_write;       /* 0 = no write accepted yet */
	uint64_t writes;         /* block writes accepted */
	uint64_t bytes;          /* their body bytes */
	double rate;             /* bytes per second since it opened; 0 = nothing to tell */
	uint64_t expected_bytes; /* from the job's completed tasks; 0 = no history */
	bool estimated;          /* seconds_left is known */
	double seconds_left;
};

struct plan_item {
	enum plan_item_kind kind;
	bool cut; /* block mode: refused at once instead of finishing */
	enum tsp_category category;
	char job[TSP_ID_MAX + 1];
	char task[TSP_ID_MAX + 1];     /* PLAN_TASK; else "" */
	enum tsp_origin origin;        /* as the job open said; NONE when learned */
	bool session;                  /* PLAN_WHOLE_JOB: a restic session */
	size_t open_tasks;             /* PLAN_WHOLE_JOB, PLAN_REFUSED_JOB: its open tasks */
	struct plan_progress progress; /* PLAN_TASK, PLAN_WHOLE_JOB */
};

/* Counts for a tenant or the whole plan. */
struct plan_counts {
	size_t tasks;        /* PLAN_TASK items */
	size_t whole_jobs;   /* PLAN_WHOLE_JOB items */
	size_t refused_jobs; /* PLAN_REFUSED_JOB items */
	size_t unknown;      /* tasks and whole jobs that would drain with no estimate */
	double seconds_left; /* the longest known estimate; 0 when none */
	bool estimated;      /* some estimate is known */
};

struct plan_tenant {
	char name[TSP_TENANT_MAX + 1];
	struct plan_counts counts; /* everything, listed or not */
	size_t first_item;         /* its items are plan->items[first_item ..] */
	size_t item_count;         /* listed */
};

struct plan {
	enum policy_mode mode;
	unsigned categories;
	double now;
	struct plan_counts totals; /* every tenant listed or not */
	size_t tenants_total;      /* tenants with something to list */
	size_t skipped_disabled;   /* tenants with covered jobs, not listed: */
	size_t skipped_exempt;     /* why */
	size_t skipped_out_of_scope;
	bool truncated; /* a tenant or an item was not listed */
	size_t tenant_count;
	struct plan_tenant tenants[PLAN_TENANTS_MAX];
	size_t item_count;
	struct plan_item items[PLAN_ITEMS_MAX];
};

/* The plan, allocated (plan_free()), or NULL when memory is short. The
 * policy is read for the tenant lists only, as applied from the running
 * configuration ([tenants] disabled, [maintenance] tenants and exempt:
 * policy_tenant_disabled(), policy_tenant_scope()): the plan is the same
 * whether maintenance is on or off now. */
struct plan *plan_build(const struct policy *policy, const struct jobs *jobs,
			const struct plan_settings *settings, double now);
void plan_free(struct plan *plan);

/* Whether name is in the list (exact, case-sensitive, as tenant names are). */
bool plan_name_listed(const char *const *names, size_t count, const char *name);

#endif
