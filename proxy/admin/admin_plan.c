/*
 * proxy/admin/admin_plan.c: the GET /plan document (see admin_plan.h and
 * policy/plan.h). One JSON object; times are RFC 3339 UTC strings, durations
 * whole seconds (estimates rounded up), unknown values null. sluicectl reads
 * it (tools/ctl/ctl_plan.c).
 */
#include "autoconfig.h"

#include <math.h>
#include <string.h>

#include "admin/admin_answer.h"
#include "admin/admin_plan.h"
#include "policy/plan.h"
#include "schedule_timer.h"

/* The categories a plan may cover, in the order they are listed. */
static const enum tsp_category plan_categories[] = { TSP_CAT_BACKUP, TSP_CAT_BACKUP_COPY,
						     TSP_CAT_REPLICATION };

/* The query, parsed. names point into text. */
struct plan_query {
	bool mode_given;
	enum policy_mode mode;
	char text[ADMIN_TARGET_MAX + 1];
	const char *names[PLAN_FILTER_MAX];
	size_t name_count;
	bool filtered; /* tenants= given */
};

static unsigned long long whole_seconds(double seconds)
{
	return seconds > 0 ? (unsigned long long)seconds : 0;
}

/* ---- the query ---- */

/* "a,b" (a comma may come as %2C) into q->names; NULL or an error text. */
static const char *take_tenants(char *value, struct plan_query *q)
{
	char *out = value, *name;

	for (const char *in = value; *in != '\0'; in++) {
		if (in[0] == '%' && in[1] == '2' && (in[2] == 'C' || in[2] == 'c')) {
			*out++ = ',';
			in += 2;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
	q->filtered = true;
	for (name = value; name != NULL;) {
		char *comma = strchr(name, ',');
		size_t len = comma != NULL ? (size_t)(comma - name) : strlen(name);

		if (comma != NULL)
			*comma = '\0';
		if (len > 0) {
			if (len > TSP_TENANT_MAX || !tsp_id_valid(name, len))
				return "tenants: a tenant name is 1 to 64 of A-Z a-z 0-9 . _ -";
			if (q->name_count == PLAN_FILTER_MAX)
				return "tenants: at most 64 names";
			q->names[q->name_count++] = name;
		}
		name = comma != NULL ? comma + 1 : NULL;
	}
	return q->name_count == 0 ? "tenants: give one or more tenant names, comma-separated" : NULL;
}

static const char *take_parameter(char *param, struct plan_query *q)
{
	char *value = strchr(param, '=');

	if (value == NULL)
		return "a parameter without a value: use mode=drain|block or tenants=NAME,...";
	*value++ = '\0';
	if (strcmp(param, "mode") == 0) {
		if (strcmp(value, "drain") != 0 && strcmp(value, "block") != 0)
			return "mode: give drain or block";
		q->mode_given = true;
		q->mode = strcmp(value, "block") == 0 ? POLICY_MODE_BLOCK : POLICY_MODE_DRAIN;
		return NULL;
	}
	if (strcmp(param, "tenants") == 0)
		return take_tenants(value, q);
	return "unknown parameter: /plan takes mode=drain|block and tenants=NAME,...";
}

static const char *parse_query(const char *target, struct plan_query *q)
{
	const char *query = strchr(target, '?');
	char *param, *next;

	memset(q, 0, sizeof *q);
	if (query == NULL)
		return NULL;
	strncpy(q->text, query + 1, sizeof q->text - 1);
	for (param = q->text; param != NULL; param = next) {
		const char *error;

		next = strchr(param, '&');
		if (next != NULL)
			*next++ = '\0';
		if (*param == '\0')
			continue;
		error = take_parameter(param, q);
		if (error != NULL)
			return error;
	}
	return NULL;
}

/* ---- the settings evaluated ---- */

static void settings_of(const struct admin_view *v, const struct plan_query *q, struct plan_settings *s)
{
	const struct sluice_config *cfg = v->cfg;

	memset(s, 0, sizeof *s);
	s->mode = q->mode_given                                       ? q->mode
		  : cfg->maintenance.mode == CONFIG_MAINTENANCE_BLOCK ? POLICY_MODE_BLOCK
								      : POLICY_MODE_DRAIN;
	s->categories = cfg->maintenance.categories; /* the same bits: 1 << TSP_CAT_... */
	s->only = q->names;
	s->only_count = q->name_count;
}

/* ---- writing ---- */

static void put_estimate(struct textbuf *t, const struct plan_item *item)
{
	const struct plan_progress *p = &item->progress;

	textbuf_printf(t, ",\"estimated_seconds_left\":");
	if (p->estimated)
		textbuf_printf(t, "%llu", whole_seconds(ceil(p->seconds_left)));
	else
		textbuf_printf(t, "null");
	textbuf_printf(t, ",\"estimate\":\"%s\"",
		       item->cut      ? "cut"
		       : p->estimated ? "job-history"
				      : "unknown");
}

static void put_progress(const struct admin_view *v, const struct plan *plan, struct textbuf *t,
			 const struct plan_item *item)
{
	const struct plan_progress *p = &item->progress;

	textbuf_printf(t, ",\"action\":\"%s\",\"opened_at\":", item->cut ? "cut" : "drain");
	textbuf_json_time(t, admin_view_wall(v, p->opened_at));
	textbuf_printf(t,
		       ",\"open_seconds\":%llu,\"writes\":%llu,\"bytes\":%llu,"
		       "\"rate_bytes_per_second\":",
		       whole_seconds(plan->now - p->opened_at), (unsigned long long)p->writes,
		       (unsigned long long)p->bytes);
	if (p->rate > 0)
		textbuf_printf(t, "%llu", (unsigned long long)llround(p->rate));
	else
		textbuf_printf(t, "null");
	textbuf_printf(t, ",\"last_write_seconds_ago\":");
	if (p->last_write > 0)
		textbuf_printf(t, "%llu", whole_seconds(plan->now - p->last_write));
	else
		textbuf_printf(t, "null");
	textbuf_printf(t, ",\"expected_bytes\":");
	if (p->expected_bytes > 0)
		textbuf_printf(t, "%llu", (unsigned long long)p->expected_bytes);
	else
		textbuf_printf(t, "null");
	put_estimate(t, item);
}

static void put_item_head(struct textbuf *t, const struct plan_item *item, bool first)
{
	textbuf_printf(t, "%s{\"category\":\"%s\",\"job\":", first ? "" : ",",
		       tsp_category_name(item->category));
	textbuf_json_string(t, item->job);
}

/* The items of one kind, in the tenant's order. */
static void put_items(const struct admin_view *v, const struct plan *plan, const struct plan_tenant *tenant,
		      enum plan_item_kind kind, struct textbuf *t)
{
	bool first = true;

	for (size_t i = tenant->first_item; i < tenant->first_item + tenant->item_count; i++) {
		const struct plan_item *item = &plan->items[i];

		if (item->kind != kind)
			continue;
		put_item_head(t, item, first);
		first = false;
		if (kind == PLAN_TASK) {
			textbuf_printf(t, ",\"task\":");
			textbuf_json_string(t, item->task);
		} else if (kind == PLAN_WHOLE_JOB) {
			textbuf_printf(t, ",\"kind\":\"%s\",\"open_tasks\":%zu",
				       item->session ? "session" : "agent", item->open_tasks);
		} else {
			textbuf_printf(t, ",\"origin\":\"%s\",\"open_tasks\":%zu}",
				       item->origin == TSP_ORIGIN_NONE ? "unknown"
								       : tsp_origin_name(item->origin),
				       item->open_tasks);
			continue;
		}
		put_progress(v, plan, t, item);
		textbuf_printf(t, "}");
	}
}

static void put_counts(struct textbuf *t, const struct plan_counts *c)
{
	textbuf_printf(t,
		       "\"counts\":{\"tasks\":%zu,\"agent_jobs\":%zu,\"refused_jobs\":%zu,"
		       "\"unknown_estimates\":%zu},\"estimated_drain_seconds\":",
		       c->tasks, c->whole_jobs, c->refused_jobs, c->unknown);
	/* nothing to wait for is 0; only unknowns is null; a known longest
	 * estimate is given even beside unknowns (a lower bound then) */
	if (c->estimated || c->unknown == 0)
		textbuf_printf(t, "%llu", whole_seconds(ceil(c->seconds_left)));
	else
		textbuf_printf(t, "null");
}

static void put_tenant(const struct admin_view *v, const struct plan *plan, const struct plan_tenant *tenant,
		       bool first, struct textbuf *t)
{
	size_t all = tenant->counts.tasks + tenant->counts.whole_jobs + tenant->counts.refused_jobs;

	textbuf_printf(t, "%s{\"tenant\":", first ? "" : ",");
	textbuf_json_string(t, tenant->name);
	textbuf_printf(t, ",");
	put_counts(t, &tenant->counts);
	textbuf_printf(t, ",\"listed_all\":%s,\"tasks\":[", tenant->item_count == all ? "true" : "false");
	put_items(v, plan, tenant, PLAN_TASK, t);
	textbuf_printf(t, "],\"agent_jobs\":[");
	put_items(v, plan, tenant, PLAN_WHOLE_JOB, t);
	textbuf_printf(t, "],\"refused_jobs\":[");
	put_items(v, plan, tenant, PLAN_REFUSED_JOB, t);
	textbuf_printf(t, "]}");
}

/* The next [schedule] window that maintenance on would meet: the one running
 * now, else the next one; null without windows. */
static void put_next_window(const struct admin_view *v, struct textbuf *t)
{
	const struct schedule_state *st = v->schedule != NULL ? &v->schedule->state : NULL;

	if (st == NULL || (!st->in_window && !st->has_next)) {
		textbuf_printf(t, "null");
		return;
	}
	textbuf_printf(t, "{\"start\":");
	textbuf_json_time(t, (time_t)(st->in_window ? st->current_start : st->next_start));
	textbuf_printf(t, ",\"end\":");
	textbuf_json_time(t, (time_t)(st->in_window ? st->current_end : st->next_end));
	textbuf_printf(t, ",\"running\":%s}", st->in_window ? "true" : "false");
}

static void put_settings(const struct admin_view *v, const struct plan *plan, const struct plan_query *q,
			 struct textbuf *t)
{
	struct policy_status st;

	policy_status(v->policy, v->jobs, v->now, &st);
	textbuf_printf(t, "{\"mode\":\"%s\",\"categories\":[", policy_mode_name(plan->mode));
	for (size_t i = 0, n = 0; i < sizeof plan_categories / sizeof plan_categories[0]; i++)
		if (plan->categories & POLICY_CATEGORY(plan_categories[i]))
			textbuf_printf(t, "%s\"%s\"", n++ ? "," : "", tsp_category_name(plan_categories[i]));
	textbuf_printf(t, "],\"tenants_filter\":");
	if (q->filtered) {
		textbuf_printf(t, "[");
		for (size_t i = 0; i < q->name_count; i++) {
			textbuf_printf(t, "%s", i ? "," : "");
			textbuf_json_string(t, q->names[i]);
		}
		textbuf_printf(t, "]");
	} else {
		textbuf_printf(t, "null");
	}
	/* the restic profile: its agent jobs are sessions */
	textbuf_printf(t, ",\"sessions\":%s,\"at\":", v->sessions ? "true" : "false");
	textbuf_json_time(t, admin_view_wall(v, plan->now));
	textbuf_printf(t,
		       ",\"maintenance\":{\"state\":\"%s\",\"generation\":%llu},"
		       "\"drain_timeout_seconds\":%llu,\"next_window\":",
		       admin_state_word(st.state), (unsigned long long)st.generation,
		       whole_seconds(config_seconds(v->cfg->maintenance.drain_timeout_ms)));
	put_next_window(v, t);
}

static void put_plan(const struct admin_view *v, const struct plan *plan, const struct plan_query *q,
		     struct textbuf *t)
{
	put_settings(v, plan, q, t);
	textbuf_printf(t, ",\"totals\":{\"tenants\":%zu,", plan->tenants_total);
	put_counts(t, &plan->totals);
	textbuf_printf(t,
		       "},\"skipped\":{\"disabled\":%zu,\"exempt\":%zu,\"out_of_scope\":%zu},"
		       "\"truncated\":%s,\"limits\":{\"tenants\":%d,\"items\":%d},\"tenants\":[",
		       plan->skipped_disabled, plan->skipped_exempt, plan->skipped_out_of_scope,
		       plan->truncated ? "true" : "false", PLAN_TENANTS_MAX, PLAN_ITEMS_MAX);
	for (size_t i = 0; i < plan->tenant_count; i++)
		put_tenant(v, plan, &plan->tenants[i], i == 0, t);
	textbuf_printf(t, "]}\n");
}

static void put_error(struct textbuf *t, const char *code, const char *message)
{
	char text[512];
	size_t len = tsp_error_body(text, sizeof text, code, message);

	textbuf_append(t, text, len < sizeof text ? len : 0);
}

void admin_plan_json(const struct admin_view *v, const char *target, struct textbuf *out, unsigned *status)
{
	struct plan_query q;
	struct plan_settings settings;
	struct plan *plan;
	const char *error = parse_query(target, &q);

	if (error != NULL) {
		*status = 400;
		put_error(out, "bad-request", error);
		return;
	}
	settings_of(v, &q, &settings);
	plan = plan_build(v->policy, v->jobs, &settings, v->now);
	if (plan == NULL) {
		*status = 500;
		put_error(out, "internal-error", "memory is short for the plan");
		return;
	}
	*status = 200;
	put_plan(v, plan, &q, out);
	plan_free(plan);
}
