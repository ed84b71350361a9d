/*
 * proxy/policy/plan.c: the dry run of maintenance (see plan.h). One walk of
 * the job table, reading only; the marking rules are those of policy.c
 * (mark_job, drains_as_whole) applied to a copy of nothing.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "policy/plan.h"

/* The walk's state: the plan being filled and the tenant being visited. */
struct plan_walk {
	struct plan *plan;
	const struct plan_settings *settings;
	struct plan_tenant *tenant; /* listed entry, or NULL when not listed */
	struct plan_counts counts;  /* the visited tenant's */
};

bool plan_name_listed(const char *const *names, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return true;
	return false;
}

static bool covered(const struct plan_settings *s, enum tsp_category category)
{
	return (int)category >= 0 && category < TSP_CAT_COUNT && category != TSP_CAT_RESTORE &&
	       (s->categories & POLICY_CATEGORY(category)) != 0;
}

/* As policy.c: a standalone agent's backup job or a session drains as a
 * whole (R2); every other job, learned ones included, by task (R1). */
static bool drains_as_whole(const struct job *job)
{
	if (job->session != NULL)
		return true;
	return job->key.category == TSP_CAT_BACKUP && job->desc.origin == TSP_ORIGIN_AGENT;
}

/* ---- progress and estimates ---- */

static void rate_of(struct plan_progress *p, double now)
{
	double open_for = now - p->opened_at;

	p->rate = p->bytes > 0 && open_for > 0 ? (double)p->bytes / open_for : 0;
}

/* (expected - written) / rate, when all three say something. */
static void estimate(struct plan_progress *p)
{
	if (p->expected_bytes == 0 || p->rate <= 0 || p->bytes >= p->expected_bytes)
		return;
	p->estimated = true;
	p->seconds_left = (double)(p->expected_bytes - p->bytes) / p->rate;
}

static void task_progress(const struct job_task *task, double now, struct plan_progress *p)
{
	const struct job *job = task->job;

	memset(p, 0, sizeof(*p));
	p->opened_at = task->opened_at;
	p->last_write = task->last_write;
	p->writes = task->writes;
	p->bytes = task->bytes;
	if (job->done_tasks > 0)
		p->expected_bytes = job->done_bytes / job->done_tasks;
	rate_of(p, now);
	estimate(p);
}

struct job_sum {
	uint64_t writes, bytes;
	double last_write;
};

static void add_task(void *ctx, const struct job_task *task)
{
	struct job_sum *sum = ctx;

	sum->writes += task->writes;
	sum->bytes += task->bytes;
	if (task->last_write > sum->last_write)
		sum->last_write = task->last_write;
}

/* A whole job: what its tasks wrote, closed ones included; a session: its
 * accepted writes. Its remaining tasks are not announced: no estimate. */
static void whole_job_progress(const struct job *job, double now, struct plan_progress *p)
{
	struct job_sum sum = { 0, job->done_bytes, 0 };

	memset(p, 0, sizeof(*p));
	p->opened_at = job->opened_at;
	if (job->session != NULL) {
		p->writes = job->session->writes;
		p->bytes = job->session->bytes;
		p->last_write = p->writes > 0 ? job->last_activity : 0;
	} else {
		jobs_foreach_task(job, add_task, &sum);
		p->writes = sum.writes;
		p->bytes = sum.bytes;
		p->last_write = sum.last_write;
	}
	rate_of(p, now);
}

/* ---- counting and listing ---- */

static void count_item(struct plan_counts *c, const struct plan_item *item)
{
	const struct plan_progress *p = &item->progress;

	if (item->kind == PLAN_REFUSED_JOB) {
		c->refused_jobs++;
		return;
	}
	if (item->kind == PLAN_TASK)
		c->tasks++;
	else
		c->whole_jobs++;
	if (item->cut)
		return; /* nothing to wait for: it stops at once */
	if (!p->estimated) {
		c->unknown++;
		return;
	}
	if (!c->estimated || p->seconds_left > c->seconds_left)
		c->seconds_left = p->seconds_left;
	c->estimated = true;
}

static void merge_counts(struct plan_counts *into, const struct plan_counts *c)
{
	into->tasks += c->tasks;
	into->whole_jobs += c->whole_jobs;
	into->refused_jobs += c->refused_jobs;
	into->unknown += c->unknown;
	if (c->estimated && (!into->estimated || c->seconds_left > into->seconds_left))
		into->seconds_left = c->seconds_left;
	into->estimated = into->estimated || c->estimated;
}

/* Count it, and list it when there is room. */
static void add_item(struct plan_walk *w, const struct plan_item *item)
{
	struct plan *plan = w->plan;

	count_item(&w->counts, item);
	if (w->tenant == NULL || plan->item_count == PLAN_ITEMS_MAX) {
		plan->truncated = true;
		return;
	}
	plan->items[plan->item_count++] = *item;
	w->tenant->item_count++;
}

static void item_of_job(const struct plan_walk *w, const struct job *job, enum plan_item_kind kind,
			struct plan_item *item)
{
	memset(item, 0, sizeof(*item));
	item->kind = kind;
	item->cut = kind != PLAN_REFUSED_JOB && w->settings->mode == POLICY_MODE_BLOCK;
	item->category = (enum tsp_category)job->key.category;
	memcpy(item->job, job->key.id, sizeof(item->job));
	item->origin = job->desc.origin;
	item->session = job->session != NULL;
	item->open_tasks = job->task_count;
}

struct task_walk {
	struct plan_walk *w;
	const struct job *job;
};

static void visit_task(void *ctx, const struct job_task *task)
{
	struct task_walk *tw = ctx;
	struct plan_item item;

	item_of_job(tw->w, tw->job, PLAN_TASK, &item);
	memcpy(item.task, task->id, sizeof(item.task));
	item.open_tasks = 0;
	task_progress(task, tw->w->plan->now, &item.progress);
	if (item.cut) {
		item.progress.estimated = true; /* stops at once */
		item.progress.seconds_left = 0;
	}
	add_item(tw->w, &item);
}

static void visit_job(void *ctx, const struct job *job)
{
	struct plan_walk *w = ctx;
	struct task_walk tw = { w, job };
	struct plan_item item;
	bool whole = drains_as_whole(job);

	if (!covered(w->settings, (enum tsp_category)job->key.category))
		return;
	if (whole) {
		item_of_job(w, job, PLAN_WHOLE_JOB, &item);
		whole_job_progress(job, w->plan->now, &item.progress);
		if (item.cut) {
			item.progress.estimated = true;
			item.progress.seconds_left = 0;
		}
		add_item(w, &item);
	} else {
		jobs_foreach_task(job, visit_task, &tw);
	}
	/* R2 lets an agent job's later tasks through while draining; block
	 * mode (R8) and R1 refuse them. */
	if (!whole || w->settings->mode == POLICY_MODE_BLOCK) {
		item_of_job(w, job, PLAN_REFUSED_JOB, &item);
		add_item(w, &item);
	}
}

/* ---- tenants ---- */

struct covered_walk {
	const struct plan_settings *settings;
	bool any;
};

static void find_covered(void *ctx, const struct job *job)
{
	struct covered_walk *cw = ctx;

	cw->any = cw->any || covered(cw->settings, (enum tsp_category)job->key.category);
}

static bool has_covered_jobs(const struct jobs_tenant *tenant, const struct plan_settings *s)
{
	struct covered_walk cw = { s, false };

	jobs_foreach_job(tenant, find_covered, &cw);
	return cw.any;
}

struct tenant_walk {
	struct plan_walk w;
	const struct policy *policy;
};

/* Whether maintenance would leave the tenant alone; counts why. */
static bool skipped(struct tenant_walk *tw, const char *name)
{
	struct plan *plan = tw->w.plan;

	if (policy_tenant_disabled(tw->policy, name)) {
		plan->skipped_disabled++;
		return true;
	}
	switch (policy_tenant_scope(tw->policy, name)) {
	case POLICY_OUT_OF_SCOPE:
		plan->skipped_out_of_scope++;
		return true;
	case POLICY_EXEMPT:
		plan->skipped_exempt++;
		return true;
	default:
		return false;
	}
}

static void visit_tenant(void *ctx, const struct jobs_tenant *tenant)
{
	struct tenant_walk *tw = ctx;
	struct plan_walk *w = &tw->w;
	struct plan *plan = w->plan;
	struct plan_tenant *listed = NULL;

	if (w->settings->only_count > 0 &&
	    !plan_name_listed(w->settings->only, w->settings->only_count, tenant->name))
		return;
	if (!has_covered_jobs(tenant, w->settings) || skipped(tw, tenant->name))
		return;
	if (plan->tenant_count < PLAN_TENANTS_MAX) {
		listed = &plan->tenants[plan->tenant_count++];
		memcpy(listed->name, tenant->name, sizeof(listed->name));
		listed->first_item = plan->item_count;
	}
	w->tenant = listed;
	memset(&w->counts, 0, sizeof(w->counts));
	jobs_foreach_job(tenant, visit_job, w);
	if (listed != NULL)
		listed->counts = w->counts;
	else
		plan->truncated = true;
	merge_counts(&plan->totals, &w->counts);
	plan->tenants_total++;
}

struct plan *plan_build(const struct policy *policy, const struct jobs *jobs,
			const struct plan_settings *settings, double now)
{
	struct plan *plan = calloc(1, sizeof(*plan));
	struct tenant_walk tw;

	if (plan == NULL)
		return NULL;
	plan->mode = settings->mode;
	plan->categories = settings->categories & ~POLICY_CATEGORY(TSP_CAT_RESTORE);
	plan->now = now;
	memset(&tw, 0, sizeof(tw));
	tw.w.plan = plan;
	tw.w.settings = settings;
	tw.policy = policy;
	jobs_foreach_tenant(jobs, visit_tenant, &tw);
	return plan;
}

void plan_free(struct plan *plan)
{
	free(plan);
}
