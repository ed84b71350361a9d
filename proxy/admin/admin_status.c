/*
 * proxy/admin/admin_status.c: the GET /status document (see admin_view.h). One
 * JSON object; times are RFC 3339 UTC strings, durations whole seconds,
 * unknown or unbounded values null. sluicectl reads it (tools/ctl/ctl_status.c).
 */
#include "autoconfig.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "admin/admin_view.h"

/* The categories maintenance may cover, in the order they are listed. */
static const enum tsp_category listed_categories[] = { TSP_CAT_BACKUP, TSP_CAT_BACKUP_COPY,
						       TSP_CAT_REPLICATION, TSP_CAT_RESTORE };
#define LISTED_COUNT (sizeof listed_categories / sizeof listed_categories[0])

const char *admin_state_word(enum policy_state state)
{
	switch (state) {
	case POLICY_OFF:
		return "active";
	case POLICY_DRAINING:
	case POLICY_BLOCKING:
		return "draining";
	case POLICY_DRAINED:
	case POLICY_BLOCKED:
		return "maintenance";
	}
	return "active";
}

int admin_state_number(enum policy_state state)
{
	const char *word = admin_state_word(state);

	return strcmp(word, "active") == 0 ? 0 : strcmp(word, "draining") == 0 ? 1 : 2;
}

const char *admin_decision_label(enum server_decision decision)
{
	static const char *const labels[SERVER_DECISION_COUNT] = {
		[SERVER_FORWARDED] = "forwarded",
		[SERVER_REFUSED_MAINTENANCE] = "refused_maintenance",
		[SERVER_REFUSED_DISABLED] = "refused_disabled",
		[SERVER_REFUSED_BUSY] = "refused_busy",
		[SERVER_HELLO_NOTICE] = "hello_notice",
		[SERVER_ANSWERED_ERROR] = "error",
	};

	return (unsigned)decision < SERVER_DECISION_COUNT ? labels[decision] : "unknown";
}

time_t admin_view_wall(const struct admin_view *v, double mono)
{
	/* The same mapping as server_wall_time(), so "since" here is the
	 * second the log printed. */
	return (time_t)floor(mono + v->wall_offset);
}

static unsigned long long whole_seconds(double seconds)
{
	return seconds > 0 ? (unsigned long long)seconds : 0;
}

static void put_process(const struct admin_view *v, struct textbuf *t)
{
	const struct server_reload_log *last = v->last_reload;

	textbuf_printf(t, "\"version\":");
	textbuf_json_string(t, v->version);
	textbuf_printf(t, ",\"pid\":%ld,\"uptime_seconds\":%llu,\"config\":{\"file\":", v->pid,
		       whole_seconds(v->now - v->started_at));
	textbuf_json_string(t, v->config_file);
	textbuf_printf(t, ",\"generation\":%llu,\"loaded_at\":", (unsigned long long)v->generation);
	textbuf_json_time(t, v->loaded_at);
	textbuf_printf(t, "},\"reloads\":{\"ok\":%llu,\"failed\":%llu,\"last\":",
		       (unsigned long long)v->counters->reloads,
		       (unsigned long long)v->counters->reload_failures);
	if (last == NULL || !last->happened) {
		textbuf_printf(t, "null}");
		return;
	}
	textbuf_printf(t, "{\"result\":\"%s\",\"at\":", last->ok ? "ok" : "failed");
	textbuf_json_time(t, last->at);
	textbuf_printf(t, ",\"generation\":%llu,\"error\":", (unsigned long long)last->generation);
	textbuf_json_string(t, last->error);
	textbuf_printf(t, "}}");
}

/* ---- the draining set, per tenant and job ---- */

struct drain_walk {
	struct textbuf *t;
	bool first;
	bool first_task;
};

static void put_task(void *ctx, const struct job_task *task)
{
	struct drain_walk *w = ctx;

	if (!task->draining)
		return;
	textbuf_printf(w->t, "%s", w->first_task ? "" : ",");
	textbuf_json_string(w->t, task->id);
	w->first_task = false;
}

static void put_job(void *ctx, const struct job *job)
{
	struct drain_walk *w = ctx;

	if (!job->draining && job->draining_tasks == 0)
		return;
	textbuf_printf(w->t, "%s{\"category\":\"%s\",\"job\":", w->first ? "" : ",",
		       tsp_category_name((enum tsp_category)job->key.category));
	textbuf_json_string(w->t, job->key.id);
	if (job->session != NULL) {
		textbuf_printf(w->t, ",\"repository\":");
		textbuf_json_string(w->t, job->session->repository);
		textbuf_printf(w->t, ",\"address\":");
		textbuf_json_string(w->t, job->session->client);
		textbuf_printf(w->t, ",\"writes\":%llu", (unsigned long long)job->session->writes);
	}
	textbuf_printf(w->t, ",\"origin\":\"%s\",\"agent\":%s,\"tasks\":[",
		       job->desc.origin == TSP_ORIGIN_NONE ? "unknown" : tsp_origin_name(job->desc.origin),
		       job->draining ? "true" : "false");
	w->first = false;
	w->first_task = true;
	jobs_foreach_task(job, put_task, w);
	textbuf_printf(w->t, "]}");
}

static void put_tenant(void *ctx, const struct jobs_tenant *tenant)
{
	struct drain_walk *w = ctx;
	struct drain_walk jobs = { w->t, true, true };

	if (tenant->draining_tasks == 0 && tenant->draining_jobs == 0)
		return;
	textbuf_printf(w->t, "%s{\"tenant\":", w->first ? "" : ",");
	textbuf_json_string(w->t, tenant->name);
	textbuf_printf(w->t, ",\"tasks\":%zu,\"agent_jobs\":%zu,\"jobs\":[", tenant->draining_tasks,
		       tenant->draining_jobs);
	jobs_foreach_job(tenant, put_job, &jobs);
	textbuf_printf(w->t, "]}");
	w->first = false;
}

/* ---- maintenance ---- */

static void put_drain_clock(const struct admin_view *v, const struct policy_status *st, struct textbuf *t)
{
	double timeout = st->settings.drain_timeout;

	textbuf_printf(t, ",\"drain_timeout_seconds\":%llu,\"drain_time_left_seconds\":",
		       whole_seconds(timeout));
	if (st->state == POLICY_DRAINING && timeout > 0)
		textbuf_printf(t, "%llu", whole_seconds(ceil(st->since + timeout - v->now)));
	else
		textbuf_printf(t, "null");
}

/* [maintenance] tenants and exempt, as applied: JSON string arrays. */
struct name_walk {
	struct textbuf *t;
	bool first;
};

static void put_name(void *ctx, const char *name)
{
	struct name_walk *w = ctx;

	textbuf_printf(w->t, "%s", w->first ? "" : ",");
	textbuf_json_string(w->t, name);
	w->first = false;
}

static void put_scope(const struct admin_view *v, struct textbuf *t)
{
	struct name_walk walk = { t, true };

	textbuf_printf(t, ",\"tenants\":[");
	policy_foreach_scope_tenant(v->policy, false, put_name, &walk);
	walk.first = true;
	textbuf_printf(t, "],\"exempt\":[");
	policy_foreach_scope_tenant(v->policy, true, put_name, &walk);
	textbuf_printf(t, "]");
}

static void put_maintenance(const struct admin_view *v, struct textbuf *t)
{
	struct policy_status st;
	struct drain_walk walk = { t, true, true };
	bool on;

	policy_status(v->policy, v->jobs, v->now, &st);
	on = st.state != POLICY_OFF;
	textbuf_printf(t, ",\"maintenance\":{\"state\":\"%s\",\"mode\":\"%s\",\"since\":",
		       admin_state_word(st.state), policy_mode_name(on ? st.mode : st.settings.mode));
	if (on)
		textbuf_json_time(t, admin_view_wall(v, st.since));
	else
		textbuf_printf(t, "null");
	textbuf_printf(t, ",\"categories\":[");
	for (size_t i = 0, n = 0; i < LISTED_COUNT; i++)
		if (st.settings.categories & POLICY_CATEGORY(listed_categories[i]))
			textbuf_printf(t, "%s\"%s\"", n++ ? "," : "",
				       tsp_category_name(listed_categories[i]));
	textbuf_printf(t, "],\"message\":"); /* the template, as configured */
	textbuf_json_string(t, v->cfg->maintenance.message != NULL ? v->cfg->maintenance.message : "");
	textbuf_printf(t, ",\"retry_after_seconds\":%u", v->retry_after);
	put_drain_clock(v, &st, t);
	textbuf_printf(t, ",\"retry_after_auto\":%s",
		       v->cfg->maintenance.retry_after_ms == CONFIG_DURATION_AUTO ? "true" : "false");
	put_scope(v, t);
	textbuf_printf(t, ",\"cut\":{\"tasks\":%zu,\"agent_jobs\":%zu}", st.cut_tasks, st.cut_jobs);
	textbuf_printf(t, ",\"held\":%zu,\"held_total\":%llu,\"hold_timeouts\":%llu", v->held,
		       (unsigned long long)v->counters->held_total,
		       (unsigned long long)v->counters->hold_timeouts);
	textbuf_printf(t, ",\"draining\":{\"tasks\":%zu,\"agent_jobs\":%zu,", st.draining_tasks,
		       st.draining_jobs);
	if (v->sessions) /* the restic profile: its agent jobs are sessions */
		textbuf_printf(t, "\"sessions\":%zu,", st.draining_jobs);
	textbuf_printf(t, "\"tenants\":[");
	jobs_foreach_tenant(v->jobs, put_tenant, &walk);
	textbuf_printf(t, "]}}");
}

/* ---- [schedule] windows ---- */

static void put_window_time(struct textbuf *t, const char *name, bool known, int64_t when)
{
	textbuf_printf(t, ",\"%s\":", name);
	if (known)
		textbuf_json_time(t, (time_t)when);
	else
		textbuf_printf(t, "null");
}

/* The windows as of the last boundary: the timer re-applies at each one, so
 * this is current. */
static void put_schedule(const struct admin_view *v, struct textbuf *t)
{
	const struct schedule_state *st;

	if (v->schedule == NULL)
		return;
	st = &v->schedule->state;
	textbuf_printf(t, ",\"schedule\":{\"timezone\":");
	textbuf_json_string(t, v->schedule->timezone);
	textbuf_printf(t, ",\"windows\":%zu,\"notice_seconds\":%lld,\"in_window\":%s",
		       v->cfg->schedule.window_count, (long long)v->schedule->notice,
		       st->in_window ? "true" : "false");
	put_window_time(t, "current_start", st->in_window, st->current_start);
	put_window_time(t, "current_end", st->in_window, st->current_end);
	put_window_time(t, "next_start", st->has_next, st->next_start);
	put_window_time(t, "next_end", st->has_next, st->next_end);
	textbuf_printf(t, "}");
}

/* ---- sessions (restic profile) ---- */

struct session_walk {
	const struct admin_view *v;
	struct textbuf *t;
	size_t listed;
};

static void put_session(void *ctx, const struct job *job)
{
	struct session_walk *w = ctx;
	const struct job_session *s = job->session;

	if (s == NULL || w->listed == ADMIN_SESSIONS_LISTED)
		return;
	textbuf_printf(w->t, "%s{\"tenant\":", w->listed++ ? "," : "");
	textbuf_json_string(w->t, job->tenant->name);
	textbuf_printf(w->t, ",\"repository\":");
	textbuf_json_string(w->t, s->repository);
	textbuf_printf(w->t, ",\"address\":");
	textbuf_json_string(w->t, s->client);
	textbuf_printf(w->t,
		       ",\"category\":\"%s\",\"locks\":%zu,\"writes\":%llu,\"bytes\":%llu,"
		       "\"snapshot\":%s,\"verdict\":\"%s\",\"draining\":%s,\"opened_at\":",
		       tsp_category_name((enum tsp_category)job->key.category), job->task_count,
		       (unsigned long long)s->writes, (unsigned long long)s->bytes,
		       s->snapshot ? "true" : "false", policy_session_verdict_name(policy_session_verdict(s)),
		       job->draining ? "true" : "false");
	textbuf_json_time(w->t, admin_view_wall(w->v, job->opened_at));
	textbuf_printf(w->t, ",\"idle_seconds\":%llu}", whole_seconds(w->v->now - job->last_activity));
}

static void put_tenant_sessions(void *ctx, const struct jobs_tenant *tenant)
{
	jobs_foreach_job(tenant, put_session, ctx);
}

static void put_sessions(const struct admin_view *v, struct textbuf *t)
{
	const struct server_counters *c = v->counters;
	struct session_walk walk = { v, t, 0 };

	if (!v->sessions)
		return;
	textbuf_printf(t, ",\"sessions\":{\"open\":%zu,\"closed\":{", jobs_count(v->jobs));
	for (int verdict = 0; verdict < POLICY_SESSION_VERDICTS; verdict++)
		textbuf_printf(t, "\"%s\":%llu,",
			       policy_session_verdict_name((enum policy_session_verdict)verdict),
			       (unsigned long long)c->sessions_ended[verdict]);
	textbuf_printf(t, "\"expired\":%llu},\"untracked\":%llu,\"list\":[",
		       (unsigned long long)c->sessions_expired, (unsigned long long)c->sessions_untracked);
	jobs_foreach_tenant(v->jobs, put_tenant_sessions, &walk);
	textbuf_printf(t, "],\"listed\":%zu}", walk.listed);
}

/* ---- traffic ---- */

static void put_counters(const struct admin_view *v, struct textbuf *t)
{
	const struct server_counters *c = v->counters;

	textbuf_printf(t,
		       ",\"counters\":{\"connections_accepted\":%llu,\"connections_refused\":%llu,"
		       "\"tls_handshakes\":%llu,\"tls_handshake_failures\":%llu,\"requests\":%llu,"
		       "\"forwarded\":%llu,\"refused_maintenance\":%llu,\"refused_disabled\":%llu,"
		       "\"refused_busy\":%llu,\"hello_notices\":%llu,\"errors\":%llu,"
		       "\"bytes_in\":%llu,\"bytes_out\":%llu,\"proxy_header_rejected\":%llu,\"messages\":{",
		       (unsigned long long)c->connections, (unsigned long long)c->connections_refused,
		       (unsigned long long)v->tls_handshakes, (unsigned long long)c->handshake_failures,
		       (unsigned long long)c->requests, (unsigned long long)c->forwarded,
		       (unsigned long long)c->refused_maintenance, (unsigned long long)c->refused_disabled,
		       (unsigned long long)c->refused_busy, (unsigned long long)c->hello_notices,
		       (unsigned long long)c->errors, (unsigned long long)c->bytes_in,
		       (unsigned long long)c->bytes_out, (unsigned long long)c->proxy_header_rejected);
	for (int cat = 0; cat < TSP_CAT_COUNT; cat++) {
		textbuf_printf(t, "%s\"%s\":{", cat ? "," : "", tsp_category_name((enum tsp_category)cat));
		for (int d = 0; d < SERVER_DECISION_COUNT; d++)
			textbuf_printf(t, "%s\"%s\":%llu", d ? "," : "",
				       admin_decision_label((enum server_decision)d),
				       (unsigned long long)c->messages[cat][d]);
		textbuf_printf(t, "}");
	}
	textbuf_printf(t, "}}");
}

/* The effective connection cap and running out of descriptors (listener.c). */
static void put_descriptors(const struct admin_view *v, struct textbuf *t)
{
	const struct server_descriptors *d = &v->counters->descriptors;

	if (d->limit == 0 || d->limit == ULONG_MAX)
		textbuf_printf(t, ",\"descriptors\":{\"limit\":null");
	else
		textbuf_printf(t, ",\"descriptors\":{\"limit\":%lu", d->limit);
	textbuf_printf(t, ",\"connections_allowed\":%zu,\"accept_failures\":%llu,\"exhaustions\":%llu}",
		       d->connections_allowed, (unsigned long long)d->accept_failures,
		       (unsigned long long)d->exhaustions);
}

static void put_traffic(const struct admin_view *v, struct textbuf *t)
{
	textbuf_printf(t, ",\"connections\":{\"current\":%zu,\"max\":%d},\"jobs_open\":{", v->connections,
		       v->cfg->proxy.max_connections);
	for (size_t i = 0; i < LISTED_COUNT; i++)
		textbuf_printf(t, "%s\"%s\":%zu", i ? "," : "", tsp_category_name(listed_categories[i]),
			       jobs_count_category(v->jobs, listed_categories[i]));
	textbuf_printf(t, "},\"workers\":[");
	for (size_t i = 0; i < v->worker_count; i++)
		textbuf_printf(t, "%s{\"connections\":%zu,\"accepted\":%llu}", i ? "," : "",
			       v->workers[i].connections, (unsigned long long)v->workers[i].accepted);
	textbuf_printf(t, "]");
	put_counters(v, t);
	put_descriptors(v, t);
}

void admin_status_json(const struct admin_view *v, struct textbuf *out)
{
	textbuf_printf(out, "{");
	put_process(v, out);
	put_maintenance(v, out);
	put_schedule(v, out);
	put_sessions(v, out);
	put_traffic(v, out);
	textbuf_printf(out, "}\n");
}
