/*
 * proxy/policy/policy.c: the maintenance policy (see policy.h).
 *
 * One state variable (enum policy_state) changed only by set_state(), which
 * also moves the generation. Decisions read the state, the settings and the
 * job table; the table's drain flags are set here and nowhere else.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/policy_session.h"
#include "policy/tenant_list.h"

typedef char tenant_name[TSP_TENANT_MAX + 1];

struct policy {
	struct policy_settings settings; /* as applied, less disabled_tenants: */
	tenant_name *disabled;           /* sorted copy of the disabled tenants */
	size_t disabled_count;
	struct tenant_list scope;  /* [maintenance] tenants; empty = all */
	struct tenant_list exempt; /* [maintenance] exempt */
	enum policy_state state;
	double since; /* T while on; when it went off while off */
	double drained_at;
	uint64_t generation;
	size_t cut_tasks, cut_jobs; /* cut by drain_timeout in this maintenance */
};

/* Categories the job table tracks: everything that may ever be covered, so
 * that a reload covering replication finds its running tasks. */
#define TRACKED_CATEGORIES POLICY_CATEGORIES_ALLOWED

static bool category_in(unsigned mask, enum tsp_category category)
{
	return (int)category >= 0 && category < TSP_CAT_COUNT && (mask & POLICY_CATEGORY(category));
}

static bool state_is_on(enum policy_state state)
{
	return state != POLICY_OFF;
}

static bool state_is_block(enum policy_state state)
{
	return state == POLICY_BLOCKING || state == POLICY_BLOCKED;
}

static size_t draining_total(const struct jobs *jobs)
{
	return jobs_draining_tasks(jobs) + jobs_draining_jobs(jobs);
}

/* The only place the state changes. */
static void set_state(struct policy *policy, enum policy_state state)
{
	if (policy->state == state)
		return;
	policy->state = state;
	policy->generation++;
}

/* The mode decisions use: a drain whose drain_timeout has passed is block. */
static enum policy_mode effective_mode(const struct policy *policy, double now)
{
	double timeout = policy->settings.drain_timeout;

	if (state_is_block(policy->state))
		return POLICY_MODE_BLOCK;
	if (policy->state == POLICY_DRAINING && timeout > 0 && now - policy->since >= timeout)
		return POLICY_MODE_BLOCK;
	return policy->settings.mode == POLICY_MODE_HOLD ? POLICY_MODE_HOLD : POLICY_MODE_DRAIN;
}

/* ---- settings ---- */

void policy_settings_default(struct policy_settings *settings)
{
	memset(settings, 0, sizeof(*settings));
	settings->enabled = false;
	settings->mode = POLICY_MODE_DRAIN;
	settings->categories = POLICY_CATEGORIES_DEFAULT;
	settings->drain_timeout = 0;
}

struct policy *policy_new(void)
{
	struct policy *policy = calloc(1, sizeof(*policy));

	if (policy == NULL)
		return NULL;
	policy_settings_default(&policy->settings);
	policy->state = POLICY_OFF;
	return policy;
}

void policy_free(struct policy *policy)
{
	if (policy == NULL)
		return;
	free(policy->disabled);
	tenant_list_free(&policy->scope);
	tenant_list_free(&policy->exempt);
	free(policy);
}

static const char *settings_invalid(const struct policy_settings *s)
{
	size_t i, len;

	if (s->mode != POLICY_MODE_DRAIN && s->mode != POLICY_MODE_BLOCK && s->mode != POLICY_MODE_HOLD)
		return "maintenance mode must be drain, block or hold";
	if (s->categories & POLICY_CATEGORY(TSP_CAT_RESTORE))
		return "maintenance categories: restore can never be covered (R5)";
	if (s->categories == 0 || (s->categories & ~POLICY_CATEGORIES_ALLOWED) != 0)
		return "maintenance categories: give one or more of backup, backup-copy, replication";
	if (!(s->drain_timeout >= 0)) /* also NaN */
		return "maintenance drain_timeout must be 0 (none) or a positive duration";
	if (s->disabled_count > 0 && s->disabled_tenants == NULL)
		return "disabled tenant list missing";
	for (i = 0; i < s->disabled_count; i++) {
		len = s->disabled_tenants[i] == NULL ? 0
						     : strnlen(s->disabled_tenants[i], TSP_TENANT_MAX + 1);
		if (len == 0 || len > TSP_TENANT_MAX)
			return "tenants disabled: a tenant name is empty or longer than 64 characters";
	}
	if (tenant_list_invalid(s->scope_tenants, s->scope_count) != NULL)
		return "maintenance tenants: a tenant name is empty or longer than 64 characters";
	if (tenant_list_invalid(s->exempt_tenants, s->exempt_count) != NULL)
		return "maintenance exempt: a tenant name is empty or longer than 64 characters";
	return NULL;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* A sorted copy of the disabled tenants; false when memory is short. */
static bool copy_disabled(const struct policy_settings *s, tenant_name **out)
{
	tenant_name *names = NULL;
	size_t i;

	*out = NULL;
	if (s->disabled_count == 0)
		return true;
	names = calloc(s->disabled_count, sizeof(*names));
	if (names == NULL)
		return false;
	for (i = 0; i < s->disabled_count; i++)
		memcpy(names[i], s->disabled_tenants[i], strlen(s->disabled_tenants[i]));
	qsort(names, s->disabled_count, sizeof(*names), compare_names);
	*out = names;
	return true;
}

static bool same_names(const tenant_name *a, size_t a_count, const tenant_name *b, size_t b_count)
{
	size_t i;

	if (a_count != b_count)
		return false;
	for (i = 0; i < a_count; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

bool policy_tenant_disabled(const struct policy *policy, const char *tenant)
{
	if (policy->disabled_count == 0 || tenant == NULL)
		return false;
	return bsearch(tenant, policy->disabled, policy->disabled_count, sizeof(*policy->disabled),
		       compare_names) != NULL;
}

bool policy_covers(const struct policy *policy, enum tsp_category category)
{
	return category_in(policy->settings.categories, category);
}

/* ---- the tenant scope ---- */

/* What maintenance applies to: categories, and tenants (the lists). */
struct scope {
	unsigned categories;
	const struct tenant_list *tenants; /* empty = all */
	const struct tenant_list *exempt;
};

static enum policy_scope scope_of_tenant(const struct scope *scope, const char *tenant)
{
	if (tenant_list_has(scope->exempt, tenant))
		return POLICY_EXEMPT;
	if (scope->tenants->count > 0 && !tenant_list_has(scope->tenants, tenant))
		return POLICY_OUT_OF_SCOPE;
	return POLICY_IN_SCOPE;
}

static struct scope applied_scope(const struct policy *policy)
{
	struct scope scope = { policy->settings.categories, &policy->scope, &policy->exempt };

	return scope;
}

enum policy_scope policy_tenant_scope(const struct policy *policy, const char *tenant)
{
	struct scope scope = applied_scope(policy);

	return scope_of_tenant(&scope, tenant);
}

void policy_foreach_scope_tenant(const struct policy *policy, bool exempt, policy_name_fn *fn, void *ctx)
{
	const struct tenant_list *list = exempt ? &policy->exempt : &policy->scope;
	size_t i;

	for (i = 0; i < list->count; i++)
		fn(ctx, list->names[i]);
}

/* Two scopes differ in the tenants they cover. */
static bool same_tenant_scope(const struct tenant_list *tenants_a, const struct tenant_list *exempt_a,
			      const struct tenant_list *tenants_b, const struct tenant_list *exempt_b)
{
	return tenant_list_same(tenants_a, tenants_b) && tenant_list_same(exempt_a, exempt_b);
}

/* ---- the draining set ---- */

/* A job was in scope (old) and is in scope (new); NULL = nothing is. A job
 * that enters the scope joins the draining set, one that leaves it leaves. */
struct marking {
	const struct scope *old;
	const struct scope *new;
};

static bool job_in_scope(const struct scope *scope, const struct job *job)
{
	return scope != NULL && category_in(scope->categories, (enum tsp_category)job->key.category) &&
	       scope_of_tenant(scope, job->tenant->name) == POLICY_IN_SCOPE;
}

/* R2 drains a standalone agent's backup job as a whole, R1 the tasks of
 * every other job (a learned job has no origin: server-managed). */
static bool drains_as_whole(const struct job *job)
{
	if (job->session != NULL)
		return true; /* a session (restic) has no tasks but its locks */
	return job->key.category == TSP_CAT_BACKUP && job->desc.origin == TSP_ORIGIN_AGENT;
}

static void mark_job(void *ctx, struct jobs *jobs, struct job *job)
{
	const struct marking *marking = ctx;
	bool was = job_in_scope(marking->old, job), is = job_in_scope(marking->new, job);

	if (was == is)
		return;
	if (!is) {
		jobs_set_job_draining(jobs, job, false);
		jobs_set_tasks_draining(jobs, job, false);
	} else if (drains_as_whole(job)) {
		jobs_set_job_draining(jobs, job, true);
	} else {
		jobs_set_tasks_draining(jobs, job, true);
	}
}

static void mark_scope(struct jobs *jobs, const struct scope *old, const struct scope *new)
{
	struct marking marking = { old, new };

	jobs_foreach_job_mut(jobs, mark_job, &marking);
}

/* Nothing drains any more. */
static void clear_draining(struct jobs *jobs)
{
	struct tenant_list none = { NULL, 0 };
	struct scope everything = { POLICY_CATEGORIES_ALLOWED, &none, &none };

	mark_scope(jobs, &everything, NULL);
}

/* ---- apply ---- */

static void fill_change(const struct policy *policy, const struct jobs *jobs, enum policy_event event,
			double now, double elapsed, bool tenants_changed, struct policy_change *change)
{
	memset(change, 0, sizeof(*change));
	change->event = event;
	change->state = policy->state;
	change->mode = effective_mode(policy, now);
	change->generation = policy->generation;
	change->since = policy->since;
	change->elapsed = elapsed;
	change->draining_tasks = jobs_draining_tasks(jobs);
	change->draining_jobs = jobs_draining_jobs(jobs);
	change->tenants_changed = tenants_changed;
}

/* Copies of the settings' tenant scope; false with *error when a tenant is
 * both in scope and exempt, or memory is short. */
static bool copy_scope(const struct policy_settings *s, struct tenant_list *scope, struct tenant_list *exempt,
		       const char **error)
{
	if (!tenant_list_copy(scope, s->scope_tenants, s->scope_count) ||
	    !tenant_list_copy(exempt, s->exempt_tenants, s->exempt_count)) {
		tenant_list_free(scope);
		*error = "out of memory copying the maintenance tenant lists";
		return false;
	}
	if (tenant_list_common(scope, exempt) != NULL) {
		tenant_list_free(scope);
		tenant_list_free(exempt);
		*error = "maintenance: a tenant is listed in both tenants and exempt";
		return false;
	}
	return true;
}

/* The copies replace the applied lists (the settings keep no pointers). */
static void adopt_scope(struct policy *policy, struct tenant_list *scope, struct tenant_list *exempt)
{
	tenant_list_free(&policy->scope);
	tenant_list_free(&policy->exempt);
	policy->scope = *scope;
	policy->exempt = *exempt;
	policy->settings.scope_tenants = policy->settings.exempt_tenants = NULL;
	policy->settings.scope_count = policy->settings.exempt_count = 0;
}

/* off -> on: T = now (or the settings' since), the draining set is what is open now. */
static void turn_on(struct policy *policy, const struct policy_settings *s, const struct scope *scope,
		    struct jobs *jobs, double now)
{
	policy->since = s->since_set && s->since < now ? s->since : now;
	policy->drained_at = 0;
	policy->cut_tasks = policy->cut_jobs = 0;
	mark_scope(jobs, NULL, scope);
	set_state(policy, s->mode == POLICY_MODE_BLOCK ? POLICY_BLOCKING : POLICY_DRAINING);
}

/* on -> off (R6): nothing drains any more. */
static void turn_off(struct policy *policy, struct jobs *jobs, double now)
{
	clear_draining(jobs);
	policy->since = now;
	policy->drained_at = 0;
	set_state(policy, POLICY_OFF);
}

/* on -> on: mode, categories and tenant scope; T stays. Newly covered
 * entries join the draining set (and can undo "drained"); no longer covered
 * ones leave it (an emptied set is left for policy_tick() to report). */
static enum policy_event apply_while_on(struct policy *policy, const struct policy_settings *s,
					const struct scope *scope, struct jobs *jobs)
{
	const struct policy_settings *old = &policy->settings;
	struct scope old_scope = applied_scope(policy);
	bool categories_changed = s->categories != old->categories;
	bool scope_changed =
		!same_tenant_scope(old_scope.tenants, old_scope.exempt, scope->tenants, scope->exempt);
	bool drained = policy->state == POLICY_DRAINED || policy->state == POLICY_BLOCKED;
	bool block = state_is_block(policy->state);
	enum policy_state state;

	if (categories_changed || scope_changed) {
		mark_scope(jobs, &old_scope, scope);
		drained = drained && draining_total(jobs) == 0;
	}
	if (s->mode != old->mode)
		block = s->mode == POLICY_MODE_BLOCK; /* a timed-out drain stays blocked otherwise */
	if (block)
		state = drained ? POLICY_BLOCKED : POLICY_BLOCKING;
	else
		state = drained ? POLICY_DRAINED : POLICY_DRAINING;

	if (state != policy->state) {
		enum policy_event event = state_is_block(state) != state_is_block(policy->state)
						  ? POLICY_EVENT_MODE
					  : categories_changed ? POLICY_EVENT_CATEGORIES
							       : POLICY_EVENT_SCOPE;

		set_state(policy, state);
		return event;
	}
	if (categories_changed || scope_changed) {
		policy->generation++; /* what is refused changed, the state did not */
		return categories_changed ? POLICY_EVENT_CATEGORIES : POLICY_EVENT_SCOPE;
	}
	if (s->mode != old->mode) { /* drain <-> hold: the same state, other verdicts */
		policy->generation++;
		return POLICY_EVENT_MODE;
	}
	return POLICY_EVENT_NONE;
}

bool policy_apply(struct policy *policy, const struct policy_settings *settings, struct jobs *jobs,
		  double now, struct policy_change *change, const char **error)
{
	tenant_name *disabled;
	struct tenant_list scope, exempt;
	struct scope new_scope = { settings->categories, &scope, &exempt };
	enum policy_event event = POLICY_EVENT_NONE;
	double elapsed = 0;
	bool tenants_changed, scope_changed;
	const char *invalid = settings_invalid(settings);

	if (invalid != NULL) {
		*error = invalid;
		return false;
	}
	if (!copy_scope(settings, &scope, &exempt, error))
		return false;
	if (!copy_disabled(settings, &disabled)) {
		tenant_list_free(&scope);
		tenant_list_free(&exempt);
		*error = "out of memory copying the disabled tenant list";
		return false;
	}
	tenants_changed =
		!same_names(disabled, settings->disabled_count, policy->disabled, policy->disabled_count);
	free(policy->disabled);
	policy->disabled = disabled;
	policy->disabled_count = settings->disabled_count;

	if (settings->enabled && !state_is_on(policy->state)) {
		turn_on(policy, settings, &new_scope, jobs, now);
		event = POLICY_EVENT_ON;
	} else if (!settings->enabled && state_is_on(policy->state)) {
		elapsed = now - policy->since;
		turn_off(policy, jobs, now);
		event = POLICY_EVENT_OFF;
	} else if (settings->enabled) {
		event = apply_while_on(policy, settings, &new_scope, jobs);
	}
	scope_changed = !same_tenant_scope(&policy->scope, &policy->exempt, &scope, &exempt);
	policy->settings = *settings;
	policy->settings.disabled_tenants = NULL; /* the sorted copy above is what counts */
	policy->settings.disabled_count = 0;
	adopt_scope(policy, &scope, &exempt);

	fill_change(policy, jobs, event, now, elapsed, tenants_changed, change);
	change->scope_changed = scope_changed;
	*error = NULL;
	return true;
}

/* ---- tick ---- */

bool policy_tick(struct policy *policy, struct jobs *jobs, double now, struct policy_change *change)
{
	size_t cut_tasks = 0, cut_jobs = 0;
	enum policy_event event = POLICY_EVENT_NONE;
	double timeout = policy->settings.drain_timeout;

	if (draining_total(jobs) == 0 &&
	    (policy->state == POLICY_DRAINING || policy->state == POLICY_BLOCKING)) {
		set_state(policy, policy->state == POLICY_DRAINING ? POLICY_DRAINED : POLICY_BLOCKED);
		policy->drained_at = now;
		event = POLICY_EVENT_DRAINED;
	} else if (policy->state == POLICY_DRAINING && timeout > 0 && now - policy->since >= timeout) {
		/* What still drains is cut: blocked, it can no longer write, so
		 * the barrier is honest to report "safe to work" now. */
		cut_tasks = jobs_draining_tasks(jobs);
		cut_jobs = jobs_draining_jobs(jobs);
		clear_draining(jobs);
		policy->cut_tasks = cut_tasks;
		policy->cut_jobs = cut_jobs;
		policy->drained_at = now;
		set_state(policy, POLICY_BLOCKED);
		event = POLICY_EVENT_DRAIN_TIMEOUT;
	}
	if (event == POLICY_EVENT_NONE)
		return false;
	fill_change(policy, jobs, event, now, now - policy->since, false, change);
	change->cut_tasks = cut_tasks;
	change->cut_jobs = cut_jobs;
	return true;
}

/* ---- decisions ---- */

static struct policy_decision verdict(enum policy_verdict v, enum policy_reason why, enum policy_mode mode)
{
	struct policy_decision d = { v, why, mode, 0 };

	return d;
}

/* Forwarded while the rules let everything through: only the table's bounds
 * can refuse. A task open must be recorded (R11: refused at its start rather
 * than untracked), so it needs room for its job too when that is unknown. */
static struct policy_decision decide_forward(const struct jobs *jobs, const struct tsp_request *req,
					     enum policy_reason why)
{
	const struct job *job;
	const struct job_task *task;

	if (req->role != TSP_ROLE_JOB_OPEN && req->role != TSP_ROLE_TASK_OPEN)
		return verdict(POLICY_FORWARD, why, POLICY_MODE_DRAIN);
	job = jobs_find(jobs, req->tenant, req->category, req->job);
	if (req->role == TSP_ROLE_JOB_OPEN) {
		if (job == NULL && jobs_full_for(jobs, req->tenant))
			return verdict(POLICY_REFUSE_BUSY, POLICY_WHY_TABLE_FULL, POLICY_MODE_DRAIN);
		return verdict(POLICY_FORWARD, why, POLICY_MODE_DRAIN);
	}
	if (job == NULL) {
		if (jobs_full_for(jobs, req->tenant))
			return verdict(POLICY_REFUSE_BUSY, POLICY_WHY_TABLE_FULL, POLICY_MODE_DRAIN);
		if (jobs_task_count(jobs) >= jobs_limits(jobs)->max_all_tasks)
			return verdict(POLICY_REFUSE_BUSY, POLICY_WHY_TASKS_FULL, POLICY_MODE_DRAIN);
		return verdict(POLICY_FORWARD, why, POLICY_MODE_DRAIN);
	}
	task = jobs_find_task(job, req->task);
	if (task == NULL && jobs_tasks_full(jobs, job))
		return verdict(POLICY_REFUSE_BUSY, POLICY_WHY_TASKS_FULL, POLICY_MODE_DRAIN);
	return verdict(POLICY_FORWARD, why, POLICY_MODE_DRAIN);
}

/* A covered category while maintenance is on (PROTOCOL.md 10.1, 10.2). */
static struct policy_decision decide_covered(const struct policy *policy, const struct jobs *jobs,
					     const struct tsp_request *req, double now)
{
	enum policy_mode mode = effective_mode(policy, now);
	const struct job *job;
	const struct job_task *task;

	if (req->role == TSP_ROLE_JOB_CLOSE)
		return verdict(POLICY_FORWARD, POLICY_WHY_JOB_CLOSE, mode);
	if (mode == POLICY_MODE_BLOCK)
		return verdict(POLICY_REFUSE_MAINTENANCE, POLICY_WHY_BLOCK_MODE, mode);
	if (req->role == TSP_ROLE_JOB_OPEN)
		return verdict(POLICY_REFUSE_MAINTENANCE, POLICY_WHY_JOB_OPEN, mode);
	job = jobs_find(jobs, req->tenant, req->category, req->job);
	if (job == NULL)
		return verdict(POLICY_REFUSE_MAINTENANCE, POLICY_WHY_UNKNOWN_JOB, mode);
	if (req->role == TSP_ROLE_TASK_OPEN) {
		if (!job->draining)
			return verdict(POLICY_REFUSE_MAINTENANCE, POLICY_WHY_LATER_TASK, mode);
		if (jobs_find_task(job, req->task) == NULL && jobs_tasks_full(jobs, job))
			return verdict(POLICY_REFUSE_BUSY, POLICY_WHY_TASKS_FULL, mode);
		return verdict(POLICY_FORWARD, POLICY_WHY_AGENT_JOB_AT_T, mode);
	}
	/* block write, task close (and, defensively, anything else naming a task) */
	task = jobs_find_task(job, req->task);
	if (task == NULL)
		return verdict(POLICY_REFUSE_MAINTENANCE, POLICY_WHY_UNKNOWN_TASK, mode);
	if (job->draining)
		return verdict(POLICY_FORWARD, POLICY_WHY_AGENT_JOB_AT_T, mode);
	if (task->draining)
		return verdict(POLICY_FORWARD, POLICY_WHY_TASK_AT_T, mode);
	return verdict(POLICY_REFUSE_MAINTENANCE, POLICY_WHY_LATER_TASK, mode);
}

static struct policy_decision decide(const struct policy *policy, const struct jobs *jobs,
				     const struct tsp_request *req, double now)
{
	struct policy_decision d;
	bool on = state_is_on(policy->state);
	enum policy_reason off_why = POLICY_WHY_OFF;

	if (policy_tenant_disabled(policy, req->tenant))
		return verdict(POLICY_REFUSE_DISABLED, POLICY_WHY_TENANT_DISABLED, POLICY_MODE_DRAIN);
	if (on && policy_tenant_scope(policy, req->tenant) != POLICY_IN_SCOPE) {
		/* maintenance does not apply to this tenant: as if off */
		off_why = policy_tenant_scope(policy, req->tenant) == POLICY_EXEMPT ? POLICY_WHY_EXEMPT
										    : POLICY_WHY_OUT_OF_SCOPE;
		on = false;
	}
	if (req->category == TSP_CAT_CONTROL) {
		if (!on)
			return verdict(POLICY_FORWARD, POLICY_WHY_HELLO, POLICY_MODE_DRAIN);
		d = verdict(POLICY_HELLO_NOTICE, POLICY_WHY_HELLO, effective_mode(policy, now));
		d.since = policy->since;
		return d;
	}
	if (policy_session_role(req->role) && req->role != TSP_ROLE_READ) {
		struct session_rules rules = { on, on && policy_covers(policy, req->category),
					       effective_mode(policy, now),
					       policy->settings.refuse_session_refresh };

		d = policy_session_decide(jobs, req, &rules);
		if (d.reason == POLICY_WHY_OFF)
			d.reason = off_why;
		return d;
	}
	if (!category_in(TRACKED_CATEGORIES, req->category))
		return verdict(POLICY_FORWARD, POLICY_WHY_NOT_COVERED, POLICY_MODE_DRAIN);
	if (!on)
		return decide_forward(jobs, req, off_why);
	if (!policy_covers(policy, req->category))
		return decide_forward(jobs, req, POLICY_WHY_NOT_COVERED);
	return decide_covered(policy, jobs, req, now);
}

struct policy_decision policy_decide(const struct policy *policy, const struct jobs *jobs,
				     const struct tsp_request *req, double now)
{
	struct policy_decision d = decide(policy, jobs, req, now);

	/* Hold mode waits where drain refuses; but a lock refresh of a
	 * backup already refused is refused at once, so that restic gives up
	 * (policy_session.c) rather than wait. */
	if (d.verdict == POLICY_REFUSE_MAINTENANCE && d.mode == POLICY_MODE_HOLD &&
	    d.reason != POLICY_WHY_REFRESH_REFUSED)
		d.verdict = POLICY_HOLD;
	return d;
}

/* ---- status ---- */

void policy_status(const struct policy *policy, const struct jobs *jobs, double now,
		   struct policy_status *out)
{
	memset(out, 0, sizeof(*out));
	out->state = policy->state;
	out->mode = effective_mode(policy, now);
	out->generation = policy->generation;
	out->since = policy->since;
	out->drained_at = policy->drained_at;
	out->settings = policy->settings;
	out->draining_tasks = jobs_draining_tasks(jobs);
	out->draining_jobs = jobs_draining_jobs(jobs);
	out->cut_tasks = policy->cut_tasks;
	out->cut_jobs = policy->cut_jobs;
}

enum policy_state policy_state(const struct policy *policy)
{
	return policy->state;
}

uint64_t policy_generation(const struct policy *policy)
{
	return policy->generation;
}

double policy_since(const struct policy *policy)
{
	return policy->since;
}

struct drain_walk {
	policy_tenant_drain_fn *fn;
	void *ctx;
};

static void visit_tenant(void *ctx, const struct jobs_tenant *tenant)
{
	const struct drain_walk *walk = ctx;

	if (tenant->draining_tasks > 0 || tenant->draining_jobs > 0)
		walk->fn(walk->ctx, tenant->name, tenant->draining_tasks, tenant->draining_jobs);
}

void policy_foreach_draining_tenant(const struct jobs *jobs, policy_tenant_drain_fn *fn, void *ctx)
{
	struct drain_walk walk = { fn, ctx };

	jobs_foreach_tenant(jobs, visit_tenant, &walk);
}

/* ---- restore (state_file.c) ---- */

void policy_restore(struct policy *policy, const struct policy_saved *saved)
{
	policy->state = saved->state;
	policy->settings.enabled = saved->state != POLICY_OFF;
	policy->since = saved->since;
	policy->drained_at = saved->drained_at;
	policy->generation = saved->generation;
	policy->cut_tasks = saved->cut_tasks;
	policy->cut_jobs = saved->cut_jobs;
}
