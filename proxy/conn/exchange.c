/*
 * proxy/conn/exchange.c: the queue of a connection's requests, in answer order,
 * and what each one was decided to be (see conn.h). Settling an exchange is
 * the one place where the job table hears the outcome of a forwarded request
 * (policy_on_response), counters move and the access-log line is written.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "conf/notice.h"
#include "conn/conn_internal.h"
#include "net/log.h"

struct exchange *exchange_new(struct conn *c)
{
	struct exchange *ex = calloc(1, sizeof *ex);

	if (ex != NULL)
		ex->started = conn_now(c);
	return ex;
}

void exchange_push(struct conn *c, struct exchange *ex)
{
	TAILQ_INSERT_TAIL(&c->queue, ex, queue_link);
	c->queue_len++;
}

struct exchange *exchange_awaiting(const struct conn *c)
{
	struct exchange *ex;

	TAILQ_FOREACH(ex, &c->queue, queue_link)
		if (ex->kind == EXCHANGE_FORWARD && !ex->response_done)
			return ex;
	return NULL;
}

/* What the log calls a request's job: a session's repository, or the job id. */
static const char *job_text(const struct tsp_request *r)
{
	if (r->repository[0] != '\0')
		return r->repository;
	return r->job[0] != '\0' ? r->job : "-";
}

static void access_line(const struct conn *c, const struct exchange *ex)
{
	const struct tsp_request *r = &ex->req;
	double ms = (conn_now(c) - ex->started) * 1000.0;

	if (!log_requests_enabled())
		return;
	log_access("peer=%s tenant=%s category=%s role=%s job=%s task=%s decision=%s status=%u "
		   "in=%llu out=%llu ms=%.1f",
		   c->peer, ex->classified ? r->tenant : "-",
		   ex->classified ? tsp_category_name(r->category) : "-",
		   ex->classified ? tsp_role_name(r->role) : "-", ex->classified ? job_text(r) : "-",
		   ex->classified && r->task[0] ? r->task : "-",
		   ex->decision != NULL ? ex->decision : "error", ex->status,
		   (unsigned long long)ex->bytes_in, (unsigned long long)ex->bytes_out, ms);
}

static void log_session_end(struct conn *c, const struct policy_session_end *end)
{
	struct server_counters *counters = c->ctx->counters;

	if (end->untracked) {
		COUNTER_INC(counters->sessions_untracked);
		conn_log(c, CONFIG_LOG_WARNING,
			 "lock created but the job table has no room to track "
			 "it ([limits] job_table_size, job_tasks)");
	}
	if (!end->ended)
		return;
	COUNTER_INC(counters->sessions_ended[end->verdict]);
	conn_log(c, CONFIG_LOG_INFO, "session %s ended: %s (%llu writes, %llu bytes%s)",
		 end->session.repository, policy_session_verdict_name(end->verdict),
		 (unsigned long long)end->session.writes, (unsigned long long)end->session.bytes,
		 end->draining ? ", was draining" : "");
}

static const char *const decision_words[SERVER_DECISION_COUNT] = {
	[SERVER_FORWARDED] = "forwarded",
	[SERVER_REFUSED_MAINTENANCE] = "refused maintenance",
	[SERVER_REFUSED_DISABLED] = "refused disabled",
	[SERVER_REFUSED_BUSY] = "refused busy",
	[SERVER_HELLO_NOTICE] = "hello notice",
	[SERVER_ANSWERED_ERROR] = "error",
};

/* Count a settled message under its category and the decision string it
 * carries ("forwarded", "refused maintenance", ...; NULL: an error answer). */
static enum server_decision count_message(struct server_counters *counters, enum tsp_category category,
					  const char *decision)
{
	enum server_decision d = SERVER_ANSWERED_ERROR;

	for (int i = 0; decision != NULL && i < SERVER_DECISION_COUNT; i++)
		if (strcmp(decision, decision_words[i]) == 0)
			d = (enum server_decision)i;
	if ((unsigned)category < TSP_CAT_COUNT)
		COUNTER_INC(counters->messages[category][d]);
	return d;
}

static enum request_stats_refusal refusal_of(enum server_decision d)
{
	switch (d) {
	case SERVER_REFUSED_MAINTENANCE:
		return REQUEST_REFUSED_MAINTENANCE;
	case SERVER_REFUSED_DISABLED:
		return REQUEST_REFUSED_DISABLED;
	case SERVER_REFUSED_BUSY:
		return REQUEST_REFUSED_BUSY;
	default:
		return REQUEST_NOT_REFUSED;
	}
}

/* The shared policy, job table and statistics ([proxy] workers). */
static void shared_lock(const struct conn_context *ctx)
{
	if (ctx->lock != NULL)
		ctx->lock(ctx);
}

static void shared_unlock(const struct conn_context *ctx)
{
	if (ctx->unlock != NULL)
		ctx->unlock(ctx);
}

/* The decision counters, the duration histogram and, opt-in, the tenant's
 * own series (given once the repository accepted one of its requests). */
static void count_request(struct conn *c, const struct exchange *ex)
{
	struct request_stats *stats = c->ctx->request_stats;
	enum server_decision d = count_message(c->ctx->counters, ex->req.category, ex->decision);
	double took = conn_now(c) - ex->started;

	shared_lock(c->ctx);
	request_stats_observe(stats, took);
	if (d == SERVER_FORWARDED && ex->status >= 200 && ex->status <= 299)
		request_stats_admit(stats, ex->req.tenant);
	request_stats_count(stats, ex->req.tenant, refusal_of(d), ex->bytes_in, ex->bytes_out);
	shared_unlock(c->ctx);
}

/* Tell the job table how a recorded request ended; 0 = no answer came. */
static void settle_record(struct conn *c, struct exchange *ex, unsigned status)
{
	struct conn_context *ctx = c->ctx;
	struct policy_session_end end;

	if (!ex->recorded)
		return;
	ex->recorded = false;
	shared_lock(ctx);
	policy_settle(ctx->jobs, &ex->req, &ex->record, status, ctx->now(ctx), &end);
	if (status >= 200 && status <= 299)
		ctx->tenant_accepted(ctx, c, ex->req.tenant);
	shared_unlock(ctx);
	log_session_end(c, &end);
	ctx->after_settle(ctx);
}

static void settle(struct conn *c, struct exchange *ex)
{
	bool answered = ex->kind == EXCHANGE_FORWARD ? ex->response_done
			: ex->kind == EXCHANGE_LOCAL ? ex->answer_sent == ex->answer_len
						     : false;

	if (c->held == ex) { /* still held: the connection ends (or the repository failed) */
		c->ctx->unhold(c->ctx, c);
		c->held = NULL;
	}

	settle_record(c, ex, answered ? ex->status : 0);
	if (!answered)
		ex->status = 0; /* the access log shows that no answer went out */
	if (ex->classified)
		count_request(c, ex);
	access_line(c, ex);
	if (c->reading == ex)
		c->reading = NULL;
	free(ex->answer);
	free(ex);
}

void exchange_finish_head(struct conn *c)
{
	struct exchange *ex = TAILQ_FIRST(&c->queue);

	if (ex == NULL)
		return;
	TAILQ_REMOVE(&c->queue, ex, queue_link);
	c->queue_len--;
	settle(c, ex);
}

void exchange_drop_after(struct conn *c, struct exchange *ex)
{
	struct exchange_queue dropped = TAILQ_HEAD_INITIALIZER(dropped);
	struct exchange *rest;

	/* Cut first, settle after: the queue never holds a freed exchange. */
	while ((rest = ex != NULL ? TAILQ_NEXT(ex, queue_link) : TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, rest, queue_link);
		TAILQ_INSERT_TAIL(&dropped, rest, queue_link);
	}
	while ((rest = TAILQ_FIRST(&dropped)) != NULL) {
		TAILQ_REMOVE(&dropped, rest, queue_link);
		c->queue_len--;
		settle(c, rest);
	}
}

static void set_answer(struct conn *c, struct exchange *ex, unsigned status, const char *text, size_t len,
		       bool close)
{
	settle_record(c, ex, 0);
	free(ex->answer);
	ex->answer = NULL;
	ex->answer_len = ex->answer_sent = 0;
	ex->kind = EXCHANGE_LOCAL;
	ex->status = status;
	ex->close_after = close;
	if (len > 0)
		ex->answer = malloc(len);
	if (ex->answer == NULL) {
		conn_log(c, CONFIG_LOG_ERROR, "out of memory for a %u answer; closing", status);
		conn_doom(c, "out of memory");
		return;
	}
	memcpy(ex->answer, text, len);
	ex->answer_len = len;
}

void exchange_answer(struct conn *c, struct exchange *ex, unsigned status, const char *code,
		     const char *message, const struct respond_extra *extra)
{
	char text[RESPOND_MAX];
	struct respond_extra shaped = { 0 };
	size_t len;

	if (extra != NULL)
		shaped = *extra;
	shaped.reason_is_message = c->ctx->profile->refusal == PROFILE_REFUSAL_REASON;
	len = respond_error(text, sizeof text, status, code, message, &shaped);
	if (ex->head_method) {
		/* The answer to HEAD has no body (RFC 9110 9.3.2); its Content-Length
		 * stays, saying what a GET would have had. */
		const char *end = memmem(text, len, "\r\n\r\n", 4);

		if (end != NULL)
			len = (size_t)(end - text) + 4;
	}
	set_answer(c, ex, status, text, len, shaped.close);
}

/* The scheduled window's end (wall time) while maintenance is on by a
 * window; 0 = none known, as when maintenance is on by enabled = on. */
static int64_t window_end(const struct conn *c)
{
	const struct conn_context *ctx = c->ctx;
	int64_t start, end;

	if (ctx->planned == NULL || ctx->conf->cfg->maintenance.enabled || !ctx->planned(ctx, &start, &end))
		return 0;
	return start <= (int64_t)ctx->wall_time(ctx, ctx->now(ctx)) ? end : 0;
}

/* Tsp-Maintenance-Planned on the proxy's own maintenance answers: the
 * scheduled window running or announced (PROTOCOL.md 10.7). */
static void planned_window(const struct conn *c, struct respond_extra *extra)
{
	const struct conn_context *ctx = c->ctx;

	if (ctx->planned != NULL && !ctx->planned(ctx, &extra->planned_start, &extra->planned_end))
		extra->planned_start = extra->planned_end = 0;
}

/* What an answer for maintenance says (conf/notice.h): [maintenance]
 * message rendered for this tenant, and the Retry-After it carries. */
struct maintenance_notice {
	char message[NOTICE_MAX + 1];
	unsigned retry_after; /* 0 = none */
};

static void maintenance_notice(struct conn *c, const struct exchange *ex, double since,
			       struct maintenance_notice *out)
{
	struct conn_context *ctx = c->ctx;
	int64_t end = window_end(c);
	struct notice_vars vars;

	out->retry_after = notice_retry_after(ctx->conf->cfg->maintenance.retry_after_ms, end,
					      (int64_t)ctx->wall_time(ctx, ctx->now(ctx)));
	vars.start = (int64_t)ctx->wall_time(ctx, since);
	vars.end = end;
	vars.tenant = ex->req.tenant;
	vars.retry_after = out->retry_after;
	notice_render(ctx->conf->cfg->maintenance.message, &vars, out->message);
}

static void answer_hello_notice(struct conn *c, struct exchange *ex, const struct policy_decision *d,
				bool close)
{
	struct maintenance_notice notice;
	struct respond_extra extra = { .maintenance = policy_mode_name(d->mode), .close = close };
	char text[RESPOND_MAX];
	size_t len;

	maintenance_notice(c, ex, d->since, &notice);
	extra.retry_after = notice.retry_after;
	planned_window(c, &extra);
	len = respond_hello_notice(text, sizeof text, ex->req.tenant, policy_mode_name(d->mode),
				   c->ctx->wall_time(c->ctx, d->since), notice.message, &extra);
	set_answer(c, ex, 200, text, len, close);
}

static void answer_maintenance(struct conn *c, struct exchange *ex, const struct policy_decision *d,
			       struct respond_extra *extra)
{
	struct maintenance_notice notice;

	maintenance_notice(c, ex, policy_since(c->ctx->policy), &notice);
	extra->maintenance = policy_mode_name(d->mode);
	extra->retry_after = notice.retry_after;
	planned_window(c, extra);
	exchange_answer(c, ex, 503, "maintenance", notice.message, extra);
}

/* Forward: the job table records it first (a failed record is a 503 busy). */
static void forward(struct conn *c, struct exchange *ex, double now, bool refusal_closes)
{
	struct conn_context *ctx = c->ctx;
	struct respond_extra busy = { .retry_after = ctx->conf->retry_after, .close = refusal_closes };

	if (!policy_record(ctx->jobs, &ex->req, now, &ex->record)) {
		COUNTER_INC(ctx->counters->refused_busy);
		ex->decision = "refused busy";
		conn_log(c, CONFIG_LOG_WARNING, "%s %s: the job table cannot record it; answered 503 busy",
			 tsp_role_name(ex->req.role), ex->req.job);
		exchange_answer(c, ex, 503, "busy", "the job table is full; try again later", &busy);
		return;
	}
	if (ex->record.untracked)
		conn_log(c, CONFIG_LOG_INFO, "%s %s/%s forwarded untracked: the job table is full",
			 tsp_role_name(ex->req.role), ex->req.job, ex->req.task);
	ex->recorded = true;
	ex->kind = EXCHANGE_FORWARD;
	ex->decision = "forwarded";
	COUNTER_INC(ctx->counters->forwarded);
}

/* Mode hold: park ex when the host has room (its head bytes stay held in
 * `in`; request.c frames nothing more meanwhile). False: refuse it. */
static bool hold(struct conn *c, struct exchange *ex, bool refusal_closes)
{
	struct conn_context *ctx = c->ctx;

	if (ctx->hold == NULL || !ctx->hold(ctx, c, ex->req.tenant)) {
		COUNTER_INC(ctx->counters->hold_overflows);
		conn_log(c, CONFIG_LOG_INFO, "over [limits] held_requests: refused instead of held");
		return false;
	}
	if (ex->held_since == 0) {
		ex->held_since = conn_now(c);
		COUNTER_INC(ctx->counters->held_total);
		conn_log(c, CONFIG_LOG_INFO, "%s %s %s%s%s: held until maintenance ends",
			 tsp_category_name(ex->req.category), tsp_role_name(ex->req.role), job_text(&ex->req),
			 ex->req.task[0] ? "/" : "", ex->req.task);
	}
	ex->kind = EXCHANGE_HELD;
	ex->hold_closes = refusal_closes;
	ex->decision = "held";
	c->held = ex;
	return true;
}

/* may_hold false: what would be held is refused (hold_timeout passed).
 * Under the shared lock (decide()). */
static void decide_locked(struct conn *c, struct exchange *ex, bool refusal_closes, bool may_hold)
{
	struct conn_context *ctx = c->ctx;
	struct server_counters *counters = ctx->counters;
	double now = ctx->now(ctx);
	struct policy_decision d = policy_decide(ctx->policy, ctx->jobs, &ex->req, now);
	struct respond_extra extra = { .retry_after = ctx->conf->retry_after, .close = refusal_closes };

	if (d.verdict == POLICY_HOLD) {
		if (may_hold && hold(c, ex, refusal_closes))
			return;
		d.verdict = POLICY_REFUSE_MAINTENANCE; /* as drain would, Tsp-Maintenance: hold */
	}
	switch (d.verdict) {
	case POLICY_FORWARD:
		forward(c, ex, now, refusal_closes);
		return;
	case POLICY_HELLO_NOTICE:
		COUNTER_INC(counters->hello_notices);
		ex->decision = "hello notice";
		answer_hello_notice(c, ex, &d, refusal_closes);
		return;
	case POLICY_REFUSE_MAINTENANCE:
		COUNTER_INC(counters->refused_maintenance);
		ex->decision = "refused maintenance";
		policy_note_refusal(ctx->jobs, &ex->req, &d, now);
		answer_maintenance(c, ex, &d, &extra);
		break;
	case POLICY_REFUSE_DISABLED:
		COUNTER_INC(counters->refused_disabled);
		ex->decision = "refused disabled";
		extra.retry_after = 0;
		exchange_answer(c, ex, 403, "tenant-disabled",
				"the service provider has disabled this tenant", &extra);
		break;
	case POLICY_REFUSE_BUSY:
		COUNTER_INC(counters->refused_busy);
		ex->decision = "refused busy";
		exchange_answer(c, ex, 503, "busy", "too many open jobs or tasks; try again later", &extra);
		break;
	case POLICY_HOLD: /* made a refusal above */
		break;
	}
	conn_log(c, CONFIG_LOG_INFO, "%s %s %s%s%s: %s (%s)", tsp_category_name(ex->req.category),
		 tsp_role_name(ex->req.role), job_text(&ex->req), ex->req.task[0] ? "/" : "", ex->req.task,
		 ex->decision, policy_reason_text(d.reason));
}

static void decide(struct conn *c, struct exchange *ex, bool refusal_closes, bool may_hold)
{
	struct conn_context *ctx = c->ctx;

	shared_lock(ctx);
	decide_locked(c, ex, refusal_closes, may_hold);
	shared_unlock(ctx);
}

void exchange_decide(struct conn *c, struct exchange *ex, bool refusal_closes)
{
	decide(c, ex, refusal_closes, true);
}

void exchange_decide_held(struct conn *c, bool expired)
{
	struct exchange *ex = c->held;

	if (ex == NULL)
		return;
	c->held = NULL;
	c->ctx->unhold(c->ctx, c);
	if (expired) {
		COUNTER_INC(c->ctx->counters->hold_timeouts);
		conn_log(c, CONFIG_LOG_INFO, "held for [maintenance] hold_timeout: refused");
	}
	decide(c, ex, ex->hold_closes, !expired);
	if (c->held == NULL) /* the log says in which order held requests went on */
		conn_log(c, CONFIG_LOG_INFO, "%s %s %s%s%s: released after %.1f s held: %s",
			 tsp_category_name(ex->req.category), tsp_role_name(ex->req.role), job_text(&ex->req),
			 ex->req.task[0] ? "/" : "", ex->req.task, conn_now(c) - ex->held_since,
			 ex->decision != NULL ? ex->decision : "error");
}
