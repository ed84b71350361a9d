/*
 * proxy/conn/request.c: the tenant -> repository direction of a connection.
 * Frames the bytes of `in` in place (conn.h shows the regions), classifies
 * each head, has the policy decide, and marks the message's bytes forward
 * or drop. A head reaches the repository only after the framer checked every
 * byte of it and the classifier and the policy let it through.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "conn/conn_internal.h"
#include "conn/conn_memory.h"
#include "net/log.h"

size_t request_unframed(const struct conn *c)
{
	return buffer_length(&c->in) - c->in_forward - c->in_drop - c->in_held;
}

/* The n bytes held (and just framed) belong to the request being read. */
static void request_take(struct conn *c, size_t n)
{
	if (n == 0)
		return;
	if (c->reading != NULL)
		c->reading->bytes_in += n;
	if (c->reading_forward) {
		c->in_forward += n;
		c->forwarded_total += n;
	} else if (c->in_forward == 0) {
		buffer_consume(&c->in, n);
	} else {
		c->in_drop += n; /* after the forward bytes: framing waits until they are sent */
	}
	c->in_held -= n;
}

void request_fail(struct conn *c, unsigned status, const char *code, const char *reason)
{
	struct respond_extra extra = { .close = true };
	struct exchange *ex = c->reading;

	conn_log(c, CONFIG_LOG_INFO, "request failed: %u %s: %s", status, code, reason);
	COUNTER_INC(c->ctx->counters->errors);
	conn_stop_reading(c);
	c->head_started = 0;
	if (ex != NULL && ex->kind == EXCHANGE_LOCAL && ex->answer_sent > 0) {
		ex->close_after = true; /* its answer is on its way already: end after it */
		ex->request_done = true;
		c->reading = NULL;
		return;
	}
	if (ex == NULL) {
		ex = exchange_new(c);
		if (ex == NULL) {
			conn_doom(c, "out of memory");
			return;
		}
		exchange_push(c, ex);
	} else if (ex->kind == EXCHANGE_FORWARD) {
		c->up_tainted = true; /* part of it went to the repository: never reuse that connection */
	}
	exchange_answer(c, ex, status, code, reason, &extra);
	ex->decision = "error";
	ex->request_done = true;
	c->reading = NULL;
}

/* A local answer to a request with a body drops the body and keeps the
 * connection, unless the tenant waits for 100-continue or the body is over
 * [limits] discard_bytes: then the answer goes at once, with Connection:
 * close, and the body is never read (PROTOCOL.md 11). */
static bool refusal_closes(const struct conn *c, const struct http_head *head)
{
	uint64_t body = head->body == HTTP_BODY_LENGTH ? head->content_length : 0;

	return body > 0 && (head->expect_continue || body > c->rc->cfg->limits.discard_bytes);
}

/* The client's address without its port ("[v6]:port" -> "v6"): the
 * restic profile keys its sessions by it. */
static void client_address(const struct conn *c, char out[TSP_CLIENT_MAX + 1])
{
	const char *peer = c->peer, *colon = strrchr(peer, ':');
	size_t len = colon != NULL && strncmp(peer, "unix:", 5) != 0 ? (size_t)(colon - peer) : strlen(peer);

	if (peer[0] == '[' && len >= 2 && peer[len - 1] == ']') {
		peer++;
		len -= 2;
	}
	snprintf(out, TSP_CLIENT_MAX + 1, "%.*s", (int)len, peer);
}

static bool profile_classify(struct conn *c, const struct http_head *head, struct tsp_request *req,
			     struct tsp_error *err)
{
	const struct config_restic *restic = &c->rc->cfg->restic;
	struct profile_options options = { restic->private_repos, restic->backup_copy_repositories,
					   restic->backup_copy_repositories_count };
	char client[TSP_CLIENT_MAX + 1] = "";

	if (c->ctx->profile->sessions)
		client_address(c, client);
	return c->ctx->profile->classify(&options, head, client, req, err);
}

static void classify(struct conn *c, struct exchange *ex, const struct http_head *head)
{
	bool closes = refusal_closes(c, head);
	struct respond_extra extra = { .close = closes };
	struct tsp_error err;

	if (c->host.busy) {
		extra.close = true;
		extra.retry_after = c->ctx->conf->retry_after;
		ex->decision = "refused busy";
		COUNTER_INC(c->ctx->counters->refused_busy);
		conn_log(c, CONFIG_LOG_INFO,
			 "over [proxy] max_connections or [limits] "
			 "connections_per_address: answered 503 busy");
		exchange_answer(c, ex, 503, "busy", "too many connections; try again later", &extra);
		return;
	}
	if (!profile_classify(c, head, &ex->req, &err)) {
		extra.allow = err.allow;
		extra.www_authenticate = err.status == 401;
		extra.close = closes || err.status == 400 || err.status == 413 || err.status == 431;
		COUNTER_INC(c->ctx->counters->errors);
		conn_log(c, CONFIG_LOG_INFO, "%.*s %.*s: %u %s: %s", (int)head->method_name.len,
			 head->method_name.ptr, (int)head->target.len, head->target.ptr, err.status, err.code,
			 err.reason);
		exchange_answer(c, ex, err.status, err.code, err.reason, &extra);
		return;
	}
	ex->classified = true;
	conn_set_tenant(c, ex->req.tenant);
	if (!c->ctx->tenant_admit(c->ctx, c, ex->req.tenant, c->rc->cfg->limits.tenant_connections)) {
		extra.close = true;
		extra.retry_after = c->ctx->conf->retry_after;
		ex->decision = "refused busy";
		COUNTER_INC(c->ctx->counters->refused_busy);
		conn_log(c, CONFIG_LOG_INFO, "over [limits] tenant_connections: answered 503 busy");
		exchange_answer(c, ex, 503, "busy", "too many connections of this tenant; try again later",
				&extra);
		return;
	}
	exchange_decide(c, ex, closes);
}

/* RFC 9110 7.6.1: the tenant's Connection (keep-alive or close) is for this
 * hop only. Its lines leave the held head in `in` before the head is
 * forwarded (the bytes after them move up; nothing before the head moves,
 * so a pending write is untouched): the repository keeps the connection
 * open, and it can be parked for reuse, while the tenant's close still ends
 * the tenant's connection after the answer (stop_after_message). A
 * Connection the head keeps (one naming another header) goes to the
 * repository as before, and that connection is never parked. */
static void strip_hop_lines(struct conn *c, struct exchange *ex)
{
	const struct http_head *head = http_framer_head(c->requests);
	struct http_line lines[HTTP_HOP_LINES_MAX];
	size_t count = http_head_hop_lines(head, lines), start, removed = 0;

	if (count == 0 || head->head_bytes > c->in_held) {
		c->up_close_asked |= !head->keep_alive;
		return;
	}
	start = c->in_forward + c->in_held - head->head_bytes;
	for (size_t i = count; i-- > 0;) { /* the last first: earlier offsets stay true */
		if (!buffer_remove(&c->in, start + lines[i].offset, lines[i].len)) {
			c->up_close_asked |= !head->keep_alive; /* (cannot happen: the head is in `in`) */
			break;
		}
		removed += lines[i].len;
	}
	c->in_held -= removed;
	ex->hop_close = !head->keep_alive;
}

/* The head of ex was decided (forward or answer): mark its bytes, stop
 * reading after a closing refusal, start the body's rate window. */
static void head_decided(struct conn *c, struct exchange *ex, bool has_body)
{
	c->reading_forward = ex->kind == EXCHANGE_FORWARD;
	if (c->reading_forward) {
		strip_hop_lines(c, ex);
		replay_note_first(c, http_framer_head(c->requests), c->in_held);
	}
	request_take(c, c->in_held);
	if (ex->kind == EXCHANGE_LOCAL && ex->close_after) {
		conn_stop_reading(c); /* nothing more is read: its body, if any, is never looked at */
		ex->request_done = true;
		c->reading = NULL;
	} else if (has_body) {
		c->body_window_start = conn_now(c);
		c->body_window_bytes = 0;
		c->body_window_paused = false;
	}
}

void request_resume(struct conn *c, bool expired)
{
	struct exchange *ex = c->held;

	if (ex == NULL)
		return;
	exchange_decide_held(c, expired);
	if (conn_is_doomed(c) || c->held != NULL)
		return;
	head_decided(c, ex, ex->has_body);
}

static void on_head(struct conn *c)
{
	const struct http_head *head = http_framer_head(c->requests);
	struct exchange *ex = exchange_new(c);

	if (ex == NULL) {
		conn_log(c, CONFIG_LOG_ERROR, "out of memory for a request; closing");
		conn_doom(c, "out of memory");
		return;
	}
	COUNTER_INC(c->ctx->counters->requests);
	c->head_started = 0;
	ex->head_method = head->method == HTTP_METHOD_HEAD;
	exchange_push(c, ex);
	c->reading = ex;
	classify(c, ex, head);
	if (conn_is_doomed(c))
		return;
	if (!head->keep_alive)
		c->stop_after_message = true; /* the tenant's Connection: close, after this answer */
	ex->has_body = head->body != HTTP_BODY_NONE;
	if (ex->kind == EXCHANGE_HELD)
		return; /* its head stays held in `in` until request_resume() */
	head_decided(c, ex, ex->has_body);
}

static void on_end(struct conn *c)
{
	struct exchange *ex = c->reading;

	if (ex != NULL) {
		ex->request_done = true;
		if (ex->kind == EXCHANGE_FORWARD)
			ex->forward_end = c->forwarded_total; /* bytes count when accepted (policy) */
	}
	c->reading = NULL;
	c->reading_forward = false;
	if (c->stop_after_message)
		conn_stop_reading(c);
}

/* The tenant closed its side and every byte it sent was framed. */
static bool on_tenant_eof(struct conn *c)
{
	struct http_event ev = { .type = HTTP_EV_NONE };

	if (c->requests != NULL)
		http_framer_eof(c->requests, &ev);
	if (ev.type == HTTP_EV_ERROR) {
		conn_log(c, CONFIG_LOG_INFO, "the tenant closed the connection in the middle of a request");
		/* nobody is left to answer, and the repository saw a cut request */
		conn_doom(c, "the tenant closed in the middle of a request");
		return true;
	}
	conn_stop_reading(c);
	return true;
}

/* May the framer be fed now? */
static bool may_frame(const struct conn *c)
{
	if (c->state != CONN_OPEN || c->in.data == NULL) /* a doomed one is not OPEN */
		return false;
	if (c->held != NULL)
		return false; /* mode hold: nothing more until it is decided */
	if (c->in_drop > 0)
		return false; /* the refused bytes go once the forward bytes before them are sent */
	if (c->reading == NULL && c->in_held == 0 && c->queue_len >= CONN_PIPELINE_MAX)
		return false; /* enough requests waiting for answers */
	return true;
}

static bool handle_event(struct conn *c, const struct http_event *ev, size_t fed)
{
	switch (ev->type) {
	case HTTP_EV_NONE:
		if (fed > 0 && c->reading == NULL && c->head_started == 0)
			c->head_started = conn_now(c);
		return fed > 0;
	case HTTP_EV_HEAD:
		on_head(c);
		return true;
	case HTTP_EV_BODY:
		request_take(c, c->in_held);
		return true;
	case HTTP_EV_END:
		request_take(c, c->in_held);
		on_end(c);
		return true;
	case HTTP_EV_ERROR:
		request_fail(c, ev->status, ev->code, ev->reason);
		return true;
	}
	return false;
}

bool request_pump(struct conn *c)
{
	bool progress = false;

	if (c->held != NULL && c->tenant_eof) {
		/* nobody is left to answer once it is decided */
		conn_log(c, CONFIG_LOG_INFO, "the tenant closed the connection while its request was held");
		conn_doom(c, "the tenant closed while held");
		return true;
	}
	while (may_frame(c)) {
		size_t len, fed;
		const char *p = conn_span_at(&c->in, c->in_forward + c->in_held, &len);
		struct http_event ev;

		if (len == 0 && c->tenant_eof && c->reading == NULL && c->in_held == 0 &&
		    (c->requests == NULL || http_framer_idle(c->requests)))
			return on_tenant_eof(c);
		if (c->requests == NULL) {
			/* Framers exist while there is something to frame (idle
			 * connections hold none: conn_watch frees them). */
			if (len == 0)
				break;
			c->requests = conn_framer_get(c, HTTP_KIND_REQUEST);
			if (c->requests == NULL) {
				conn_log(c, CONFIG_LOG_ERROR, "out of memory for a request framer; closing");
				conn_doom(c, "out of memory");
				return false;
			}
		}
		fed = http_framer_feed(c->requests, p, len, &ev);
		c->in_held += fed;
		if (!handle_event(c, &ev, fed)) {
			if (len == 0 && c->tenant_eof)
				return on_tenant_eof(c);
			break;
		}
		progress = true;
	}
	return progress;
}
