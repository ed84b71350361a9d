/*
 * proxy/admin/metrics.c: the GET /metrics exposition, Prometheus text format 0.0.4
 * (see admin_view.h). Every family has its HELP and TYPE lines; counters end
 * in _total; label values are escaped.
 */
#include "autoconfig.h"

#include <math.h>

#include "admin/admin_view.h"

static void family(struct textbuf *t, const char *name, const char *type, const char *help)
{
	textbuf_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(struct textbuf *t, const char *name, const char *help, double value)
{
	family(t, name, "gauge", help);
	if (isinf(value))
		textbuf_printf(t, "%s %sInf\n", name, value > 0 ? "+" : "-"); /* the exposition's spelling */
	else
		textbuf_printf(t, "%s %.17g\n", name, value);
}

static void counter(struct textbuf *t, const char *name, const char *help, uint64_t value)
{
	family(t, name, "counter", help);
	textbuf_printf(t, "%s %llu\n", name, (unsigned long long)value);
}

static void count_name(void *ctx, const char *name)
{
	(void)name;
	++*(size_t *)ctx;
}

static size_t count_scope(const struct policy *policy, bool exempt)
{
	size_t count = 0;

	policy_foreach_scope_tenant(policy, exempt, count_name, &count);
	return count;
}

static void put_maintenance(const struct admin_view *v, struct textbuf *t)
{
	struct policy_status st;
	bool on;

	policy_status(v->policy, v->jobs, v->now, &st);
	on = st.state != POLICY_OFF;
	gauge(t, "sluice_maintenance_state",
	      "Maintenance state: 0 active, 1 draining, 2 maintenance (drained).",
	      admin_state_number(st.state));
	gauge(t, "sluice_draining_tasks", "Tasks open when maintenance began that have not finished yet.",
	      (double)st.draining_tasks);
	gauge(t, "sluice_draining_agent_jobs",
	      "Standalone-agent backup jobs open when maintenance began that have not closed yet.",
	      (double)st.draining_jobs);
	gauge(t, "sluice_requests_held", "Requests held now ([maintenance] mode = hold).", (double)v->held);
	counter(t, "sluice_requests_held_total", "Requests held ([maintenance] mode = hold), each once.",
		v->counters->held_total);
	counter(t, "sluice_hold_timeouts_total",
		"Held requests refused after [maintenance] hold_timeout, maintenance still on.",
		v->counters->hold_timeouts);
	counter(t, "sluice_hold_overflows_total",
		"Requests refused at once instead of held: over [limits] held_requests.",
		v->counters->hold_overflows);
	gauge(t, "sluice_maintenance_scope_tenants",
	      "Tenants in [maintenance] tenants (0: maintenance applies to every tenant).",
	      (double)count_scope(v->policy, false));
	gauge(t, "sluice_maintenance_exempt_tenants", "Tenants in [maintenance] exempt.",
	      (double)count_scope(v->policy, true));
	gauge(t, "sluice_drain_cut_tasks",
	      "Draining tasks cut (blocked) when [maintenance] drain_timeout passed, this maintenance.",
	      (double)st.cut_tasks);
	gauge(t, "sluice_drain_cut_agent_jobs",
	      "Draining standalone-agent jobs (restic: sessions) cut when drain_timeout passed.",
	      (double)st.cut_jobs);
	gauge(t, "sluice_drain_seconds", "Seconds since maintenance went on; 0 while it is off.",
	      on && v->now > st.since ? v->now - st.since : 0.0);
}

static void put_messages(const struct admin_view *v, struct textbuf *t)
{
	family(t, "sluice_messages_total", "counter",
	       "TSP messages by category and by what sluice did with them, counted when answered.");
	for (int cat = 0; cat < TSP_CAT_COUNT; cat++)
		for (int d = 0; d < SERVER_DECISION_COUNT; d++) {
			textbuf_printf(t, "sluice_messages_total{category=\"");
			textbuf_label_value(t, tsp_category_name((enum tsp_category)cat));
			textbuf_printf(t, "\",decision=\"%s\"} %llu\n",
				       admin_decision_label((enum server_decision)d),
				       (unsigned long long)v->counters->messages[cat][d]);
		}
}

/* [proxy] workers: how the connections spread over them. */
static void put_workers(const struct admin_view *v, struct textbuf *t)
{
	gauge(t, "sluice_workers", "[proxy] workers: threads that run tenant connections.",
	      (double)v->worker_count);
	family(t, "sluice_worker_connections", "gauge", "Open tenant connections, by worker.");
	for (size_t i = 0; i < v->worker_count; i++)
		textbuf_printf(t, "sluice_worker_connections{worker=\"%zu\"} %zu\n", i,
			       v->workers[i].connections);
	family(t, "sluice_worker_connections_accepted_total", "counter",
	       "Tenant connections admitted, by the worker that served them.");
	for (size_t i = 0; i < v->worker_count; i++)
		textbuf_printf(t, "sluice_worker_connections_accepted_total{worker=\"%zu\"} %llu\n", i,
			       (unsigned long long)v->workers[i].accepted);
}

static void put_traffic(const struct admin_view *v, struct textbuf *t)
{
	const struct server_counters *c = v->counters;

	family(t, "sluice_bytes_total", "counter", "Bytes from tenants (in) and to tenants (out).");
	textbuf_printf(t, "sluice_bytes_total{direction=\"in\"} %llu\n", (unsigned long long)c->bytes_in);
	textbuf_printf(t, "sluice_bytes_total{direction=\"out\"} %llu\n", (unsigned long long)c->bytes_out);
	gauge(t, "sluice_connections", "Open tenant connections.", (double)v->connections);
	gauge(t, "sluice_connections_max", "[proxy] max_connections.", v->cfg->proxy.max_connections);
	gauge(t, "sluice_connections_allowed",
	      "Tenant connections admitted at once: [proxy] max_connections, or fewer when RLIMIT_NOFILE "
	      "leaves room for fewer (two descriptors each).",
	      (double)c->descriptors.connections_allowed);
	gauge(t, "sluice_open_files_limit", "RLIMIT_NOFILE of the process (soft).",
	      c->descriptors.limit == (unsigned long)-1 ? INFINITY : (double)c->descriptors.limit);
	counter(t, "sluice_accept_failures_total",
		"Tenant connections not accepted for want of a descriptor.", c->descriptors.accept_failures);
	counter(t, "sluice_tls_handshakes_total", "Tenant TLS handshakes completed.", v->tls_handshakes);
	counter(t, "sluice_tls_handshake_failures_total", "Tenant TLS handshakes that failed or timed out.",
		c->handshake_failures);
	counter(t, "sluice_proxy_header_rejected_total",
		"Tenant connections closed before TLS for their PROXY protocol header: from an address not "
		"in [proxy] proxy_from, or missing, malformed or late.",
		c->proxy_header_rejected);
	put_workers(v, t);
	family(t, "sluice_jobs_open", "gauge", "Jobs in the job table, by category.");
	for (int cat = TSP_CAT_BACKUP; cat < TSP_CAT_COUNT; cat++)
		textbuf_printf(t, "sluice_jobs_open{category=\"%s\"} %zu\n",
			       tsp_category_name((enum tsp_category)cat),
			       jobs_count_category(v->jobs, (enum tsp_category)cat));
}

static void put_upstream(const struct admin_view *v, struct textbuf *t)
{
	const struct upstream_pool_stats *u = &v->counters->upstream;
	static const char *const reasons[UPSTREAM_IDLE_CLOSE_COUNT] = {
		[UPSTREAM_IDLE_EXPIRED] = "expired",
		[UPSTREAM_IDLE_REPOSITORY] = "repository",
		[UPSTREAM_IDLE_RELOAD] = "reload",
	};

	family(t, "sluice_upstream_errors_total", "counter",
	       "Requests the repository failed: 502 (unreachable, closed, malformed answer) or 504 (no "
	       "answer within [timeouts] upstream_response), answered by sluice or cut short.");
	textbuf_printf(t, "sluice_upstream_errors_total{status=\"502\"} %llu\n",
		       (unsigned long long)v->counters->upstream_errors_502);
	textbuf_printf(t, "sluice_upstream_errors_total{status=\"504\"} %llu\n",
		       (unsigned long long)v->counters->upstream_errors_504);
	counter(t, "sluice_upstream_connects_total", "Repository connections opened (connects begun).",
		u->connects);
	counter(t, "sluice_upstream_reused_total",
		"Idle repository connections taken from the pool instead of connecting.", u->reused);
	counter(t, "sluice_upstream_resent_total",
		"First requests on a reused repository connection sent again on a fresh one: the "
		"repository closed the reused one before answering.",
		u->resent);
	counter(t, "sluice_upstream_parked_total",
		"Repository connections kept for reuse when their tenant connection ended.", u->parked);
	gauge(t, "sluice_upstream_idle_connections",
	      "Idle repository connections kept for reuse ([limits] upstream_idle_connections at most).",
	      (double)u->idle);
	family(t, "sluice_upstream_idle_closed_total", "counter",
	       "Idle repository connections closed: expired ([timeouts] upstream_idle), repository (it "
	       "closed them or sent bytes), reload (a new configuration).");
	for (int r = 0; r < UPSTREAM_IDLE_CLOSE_COUNT; r++)
		textbuf_printf(t, "sluice_upstream_idle_closed_total{reason=\"%s\"} %llu\n", reasons[r],
			       (unsigned long long)u->closed[r]);
}

static void put_sessions(const struct admin_view *v, struct textbuf *t)
{
	const struct server_counters *c = v->counters;

	if (!v->sessions)
		return;
	gauge(t, "sluice_restic_sessions", "Open restic sessions (tenant, repository, client address).",
	      (double)jobs_count(v->jobs));
	family(t, "sluice_restic_sessions_closed_total", "counter",
	       "restic sessions ended: by their last lock (complete: a snapshot was saved; "
	       "writes-without-snapshot; read-only; refused: writes refused for maintenance, none accepted) or expired after [restic] session_idle.");
	for (int verdict = 0; verdict < POLICY_SESSION_VERDICTS; verdict++)
		textbuf_printf(t, "sluice_restic_sessions_closed_total{verdict=\"%s\"} %llu\n",
			       policy_session_verdict_name((enum policy_session_verdict)verdict),
			       (unsigned long long)c->sessions_ended[verdict]);
	textbuf_printf(t, "sluice_restic_sessions_closed_total{verdict=\"expired\"} %llu\n",
		       (unsigned long long)c->sessions_expired);
	counter(t, "sluice_restic_sessions_untracked_total",
		"Accepted lock creates the job table had no room for.", c->sessions_untracked);
}

static void put_config(const struct admin_view *v, struct textbuf *t)
{
	family(t, "sluice_reloads_total", "counter",
	       "Configuration reloads (SIGHUP or POST /reload) by result.");
	textbuf_printf(t, "sluice_reloads_total{result=\"ok\"} %llu\n",
		       (unsigned long long)v->counters->reloads);
	textbuf_printf(t, "sluice_reloads_total{result=\"failed\"} %llu\n",
		       (unsigned long long)v->counters->reload_failures);
	gauge(t, "sluice_config_generation",
	      "The running configuration: 1 at start, +1 per successful reload.", (double)v->generation);
	gauge(t, "sluice_uptime_seconds", "Seconds since sluice started, whole.",
	      v->now > v->started_at ? floor(v->now - v->started_at) : 0.0);
	if (v->certificate)
		gauge(t, "sluice_tls_certificate_expiry_seconds",
		      "Seconds until the served certificate ([tls] certificate, its leaf) expires; "
		      "negative once it has.",
		      (double)(v->certificate_not_after - (int64_t)admin_view_wall(v, v->now)));
}

static void put_durations(const struct request_stats *st, struct textbuf *t)
{
	uint64_t cumulative = 0;

	family(t, "sluice_request_duration_seconds", "histogram",
	       "Classified requests, from the first byte of the head to the last byte of the answer.");
	for (size_t i = 0; i < REQUEST_STATS_BUCKETS; i++) {
		cumulative += st->in_bucket[i];
		textbuf_printf(t, "sluice_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			       request_stats_bounds[i], (unsigned long long)cumulative);
	}
	textbuf_printf(t, "sluice_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
		       (unsigned long long)st->count);
	textbuf_printf(t, "sluice_request_duration_seconds_sum %.6f\n", st->sum);
	textbuf_printf(t, "sluice_request_duration_seconds_count %llu\n", (unsigned long long)st->count);
}

static void put_tenant_label(struct textbuf *t, const char *name, const char *tenant)
{
	textbuf_printf(t, "%s{tenant=\"", name);
	textbuf_label_value(t, tenant);
	textbuf_printf(t, "\",");
}

static void put_tenant(struct textbuf *t, const struct request_stats_tenant *tenant, bool refusals)
{
	if (refusals) {
		for (int r = 0; r < REQUEST_REFUSAL_KINDS; r++) {
			put_tenant_label(t, "sluice_tenant_refused_total", tenant->name);
			textbuf_printf(t, "reason=\"%s\"} %llu\n",
				       request_stats_refusal_name((enum request_stats_refusal)r),
				       (unsigned long long)tenant->refused[r]);
		}
		return;
	}
	put_tenant_label(t, "sluice_tenant_bytes_total", tenant->name);
	textbuf_printf(t, "direction=\"in\"} %llu\n", (unsigned long long)tenant->bytes_in);
	put_tenant_label(t, "sluice_tenant_bytes_total", tenant->name);
	textbuf_printf(t, "direction=\"out\"} %llu\n", (unsigned long long)tenant->bytes_out);
}

/* [admin] tenant_metrics: each admitted tenant, then the others as one. */
static void put_tenants(const struct request_stats *st, struct textbuf *t)
{
	static const char *const help[2] = {
		"Request bytes from (in) and answer bytes to (out) each tenant ([admin] tenant_metrics; "
		"tenant \"" REQUEST_STATS_OTHER "\" sums the tenants without series of their own).",
		"Messages refused per tenant and reason ([admin] tenant_metrics; tenant \"" REQUEST_STATS_OTHER
		"\" sums the tenants without series of their own).",
	};

	if (st->tenant_max == 0)
		return;
	for (int refusals = 0; refusals < 2; refusals++) {
		family(t, refusals ? "sluice_tenant_refused_total" : "sluice_tenant_bytes_total", "counter",
		       help[refusals]);
		for (const struct request_stats_tenant *tenant = st->tenants; tenant != NULL;
		     tenant = tenant->hh.next)
			put_tenant(t, tenant, refusals);
		put_tenant(t, &st->other, refusals);
	}
}

/* [schedule]: when the next window starts (the one after the current). */
static void put_schedule(const struct admin_view *v, struct textbuf *t)
{
	const struct schedule_state *st;

	if (v->schedule == NULL)
		return;
	st = &v->schedule->state;
	gauge(t, "sluice_maintenance_next_window_start_seconds",
	      "Start of the next [schedule] window (after the current one), seconds since the epoch; 0 = none.",
	      st->has_next ? (double)st->next_start : 0);
}

void metrics_text(const struct admin_view *v, struct textbuf *out)
{
	put_maintenance(v, out);
	put_schedule(v, out);
	put_messages(v, out);
	put_traffic(v, out);
	put_upstream(v, out);
	put_sessions(v, out);
	put_config(v, out);
	if (v->request_stats != NULL) {
		put_durations(v->request_stats, out);
		put_tenants(v->request_stats, out);
	}
}
