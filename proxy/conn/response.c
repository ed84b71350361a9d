/*
 * proxy/conn/response.c: the repository -> tenant direction of a connection, and
 * the repository socket itself. Writes the forward bytes of `in`, reads the
 * repository's bytes into `out`, frames them in place (conn.h) to know where
 * each response ends, and settles the queue in order: a local answer goes
 * out when it reaches the head and everything before it has been written.
 * The response bytes pass through unchanged.
 */
#include "autoconfig.h"

#include <string.h>

#include "conn/conn_internal.h"
#include "conn/conn_memory.h"
#include "conn/respond.h"
#include "net/log.h"

static const char *public_message(const char *code)
{
	if (strcmp(code, "upstream-timeout") == 0)
		return "the backup repository did not answer in time";
	return "the backup repository is unavailable";
}

/* The repository connection is over: nothing more is read from the tenant
 * or forwarded; what is already answered is delivered. */
static void abandon_upstream(struct conn *c)
{
	if (c->up.state != UPSTREAM_GONE)
		upstream_close(&c->up, c->ctx->loop);
	replay_free(c);
	c->up_eof = c->up_eof_framed = true;
	conn_stop_reading(c);
	buffer_clear(&c->in); /* forward bytes have nowhere to go, and nothing more is framed */
	c->in_forward = c->in_drop = c->in_held = 0;
	c->reading = NULL;
}

void response_upstream_lost(struct conn *c, unsigned status, const char *code, const char *reason)
{
	struct respond_extra extra = { .close = true };
	struct exchange *aw;

	abandon_upstream(c);
	aw = exchange_awaiting(c);
	if (aw == NULL) {
		conn_log(c, CONFIG_LOG_DEBUG, "repository connection ended: %s", reason);
		return;
	}
	exchange_drop_after(c, aw);
	COUNTER_INC(c->ctx->counters->errors);
	if (status == 504)
		COUNTER_INC(c->ctx->counters->upstream_errors_504);
	else
		COUNTER_INC(c->ctx->counters->upstream_errors_502);
	if (aw->status != 0) {
		/* The final answer's head went out (interim answers before it
		 * do not count: an error answer may still follow them). */
		conn_log(c, CONFIG_LOG_WARNING, "%s, after part of the answer went out; closing", reason);
		conn_doom(c, "the repository failed in the middle of an answer");
		return;
	}
	conn_log(c, CONFIG_LOG_WARNING, "%s; answered %u %s", reason, status, code);
	exchange_answer(c, aw, status, code, public_message(code), &extra);
	aw->decision = "error";
	aw->request_done = true;
}

/* ---- the repository socket ---- */

static bool open_or_continue(struct conn *c, bool had_event)
{
	char why[UPSTREAM_WHY_MAX];
	enum upstream_step step;
	struct ev_loop *loop = c->ctx->loop;

	if (c->up.state == UPSTREAM_NONE) {
		if (c->in_forward == 0 && !c->replay_resending)
			return false; /* opened on the first forwarded request */
		if (replay_may_reuse(c))
			step = upstream_pool_open(c->ctx->upool, &c->up, c->rc, conn_upstream_event, c, why,
						  sizeof why);
		else
			step = upstream_pool_connect(c->ctx->upool, &c->up, c->rc, conn_upstream_event, c,
						     why, sizeof why);
		replay_begin(c);
	} else if (upstream_connecting(&c->up) && had_event) {
		step = upstream_continue(&c->up, c->rc, loop, conn_upstream_event, c, why, sizeof why);
	} else {
		return false;
	}
	if (step == UPSTREAM_STEP_WAIT)
		return false;
	if (step == UPSTREAM_STEP_FAILED) {
		response_upstream_lost(c, 502, "upstream-unavailable", why);
		return true;
	}
	c->last_upstream = conn_now(c);
	c->up.ep.readable = !c->up.reused; /* a reused one was just found empty */
	conn_log(c, CONFIG_LOG_DEBUG, "%s the repository at %s",
		 c->up.reused ? "reusing an idle connection to" : "connected to", c->up.address);
	return true;
}

/* A write to the repository failed: it closed or reset. What it sent before
 * is still framed; then the requests left get 502. */
static void upstream_write_failed(struct conn *c)
{
	if (replay_resend(c, c->up.ep.last_errno != 0 ? strerror(c->up.ep.last_errno) : "a write failed"))
		return;
	conn_log(c, CONFIG_LOG_INFO, "writing to the repository at %s failed: %s", c->up.address,
		 c->up.ep.last_errno != 0 ? strerror(c->up.ep.last_errno) : "TLS error");
	upstream_close(&c->up, c->ctx->loop);
	c->up_eof = true; /* but not framed yet: what it sent before still counts */
	conn_stop_reading(c);
	buffer_clear(&c->in);
	c->in_forward = c->in_drop = c->in_held = 0;
	c->reading = NULL;
}

/* Request bytes the repository got after an interim answer (an upload that
 * follows a 100 Continue) restart the interim clock: that time is the
 * tenant's, under the body timers, not the repository's. sent_before: the
 * forwarded stream's offset before the write. */
static void restart_interim_clock(struct conn *c, uint64_t sent_before)
{
	struct exchange *aw = exchange_awaiting(c);

	if (aw != NULL && aw->interims > 0 && (!aw->request_done || sent_before < aw->forward_end))
		aw->interim_clock = conn_now(c);
}

static bool send_forward(struct conn *c)
{
	bool progress = false;
	uint64_t sent_before = c->forwarded_sent;

	if (!replay_send(c, &progress)) {
		upstream_write_failed(c);
		return true;
	}
	if (c->replay_resending)
		return progress; /* the rest of the copy first */
	while (c->in_forward > 0 && endpoint_may_write(&c->up.ep)) {
		size_t len, n;
		const unsigned char *p = buffer_read_span(&c->in, &len);
		enum endpoint_status st;

		if (len > c->in_forward)
			len = c->in_forward;
		if ((len = replay_allowed(c, len)) == 0)
			break; /* the rest waits for the first byte of an answer */
		st = endpoint_write(&c->up.ep, p, len, &n);
		if (st == ENDPOINT_AGAIN)
			break;
		if (st != ENDPOINT_OK) {
			upstream_write_failed(c);
			return true;
		}
		replay_keep(c, p, n);
		buffer_consume(&c->in, n);
		c->in_forward -= n;
		c->forwarded_sent += n;
		c->last_upstream = conn_now(c);
		progress = true;
		if (c->in_forward == 0 && c->in_drop > 0) {
			buffer_consume(&c->in, c->in_drop); /* a refused body behind them */
			c->in_drop = 0;
		}
	}
	if (progress)
		restart_interim_clock(c, sent_before);
	return progress;
}

static bool read_upstream(struct conn *c)
{
	bool progress = false;

	if (c->up_eof || !endpoint_may_read(&c->up.ep))
		return false;
	if (c->out.data == NULL && !conn_ring_get(c, &c->out)) {
		conn_log(c, CONFIG_LOG_ERROR, "out of memory for a buffer; closing");
		conn_doom(c, "out of memory");
		return false;
	}
	while (endpoint_may_read(&c->up.ep)) {
		size_t room, n;
		unsigned char *span = buffer_write_span(&c->out, &room);
		enum endpoint_status st;

		if (room == 0)
			break;
		st = endpoint_read(&c->up.ep, span, room, &n);
		if (st == ENDPOINT_AGAIN)
			break;
		progress = true;
		if (st == ENDPOINT_OK) {
			buffer_commit(&c->out, n);
			c->last_upstream = conn_now(c);
			replay_answered(c);
			continue;
		}
		if (replay_resend(c, st == ENDPOINT_ERROR ? "a read failed" : "it closed"))
			return true;
		if (st == ENDPOINT_ERROR)
			conn_log_tls_errors(c, CONFIG_LOG_INFO, "reading from the repository failed");
		c->up_eof = true; /* what it sent is still framed */
		break;
	}
	return progress;
}

bool response_upstream_io(struct conn *c, bool had_event)
{
	bool progress = open_or_continue(c, had_event);

	if (c->up.state != UPSTREAM_READY || conn_is_doomed(c))
		return progress;
	progress |= send_forward(c);
	if (c->up.state == UPSTREAM_READY)
		progress |= read_upstream(c);
	return progress;
}

/* ---- framing the responses ---- */

/* The held bytes are part of ex's answer and may go to the tenant. */
static void release(struct conn *c, struct exchange *ex)
{
	c->out_ready += c->out_held;
	ex->bytes_out += c->out_held;
	c->out_held = 0;
}

/* ---- interim answers ---- */

/* Interim (1xx) answers before the final one: at most [limits]
 * interim_responses, counted here, and for no longer than [timeouts]
 * upstream_response from the interim clock (conn.c, DEADLINE_INTERIM). Each
 * one is bytes from the repository, which restart the response timer:
 * without these bounds a stream of them would hold the request for ever. */
static bool interim_allowed(struct conn *c, struct exchange *ex)
{
	unsigned most = (unsigned)c->rc->cfg->limits.interim_responses;
	char reason[256];

	if (ex->interims == 0)
		ex->interim_clock = conn_now(c);
	ex->interims++;
	if (ex->interims > most) {
		snprintf(reason, sizeof reason,
			 "the repository sent %u interim (1xx) answers to one "
			 "request, more than [limits] interim_responses (%u)",
			 ex->interims, most);
		response_upstream_lost(c, 502, "upstream-unavailable", reason);
		return false;
	}
	return true;
}

void response_interim_expired(struct conn *c)
{
	struct exchange *aw = exchange_awaiting(c);
	char reason[256];

	if (aw == NULL)
		return;
	snprintf(reason, sizeof reason,
		 "the repository sent %u interim (1xx) answers in %.1f s and no "
		 "final answer within [timeouts] upstream_response",
		 aw->interims, conn_now(c) - aw->interim_clock);
	response_upstream_lost(c, 502, "upstream-unavailable", reason);
}

/* The repository's answer to a hello, while a [schedule] window is
 * announced or running, gets Tsp-Maintenance-Planned (PROTOCOL.md 10.7):
 * the line goes in before the blank line that ends the held head, the bytes
 * after it move up (nothing before that point moves, so a pending write is
 * untouched). Only a full ring, which a hello answer does not fill, lets
 * the answer go out as it came, and that is logged. */
/* A header line into the held answer head, before its final CRLF; the
 * body bytes behind it move along (nothing before that point moves, so a
 * pending write is untouched). False when the ring has no room. */
static bool insert_head_line(struct conn *c, const char *line, size_t n)
{
	if (!buffer_insert(&c->out, c->out_ready + c->out_held - 2, line, n))
		return false;
	c->out_held += n;
	return true;
}

static void announce_window(struct conn *c, struct exchange *ex)
{
	const struct conn_context *ctx = c->ctx;
	struct respond_extra planned = { 0 };
	char line[96];
	size_t n;

	if (ctx->profile->sessions || ex->req.role != TSP_ROLE_SESSION_HELLO || ctx->planned == NULL ||
	    !ctx->planned(ctx, &planned.planned_start, &planned.planned_end) || c->out_held < 4)
		return;
	n = respond_planned_header(line, sizeof line, planned.planned_start, planned.planned_end);
	if (n > 0 && !insert_head_line(c, line, n))
		conn_log(c, CONFIG_LOG_INFO,
			 "hello answer: no room for Tsp-Maintenance-Planned; relayed without it");
}

/* The tenant asked for Connection: close, which stayed with the proxy
 * (request.c): its final answer says so (RFC 9112 9.6), the line inserted
 * like Tsp-Maintenance-Planned above. The repository's own close needs
 * nothing added. */
static void announce_close(struct conn *c, const struct exchange *ex, const struct http_head *head)
{
	static const char line[] = "Connection: close\r\n";

	if (!ex->hop_close || !head->keep_alive || c->out_held < 4)
		return;
	if (!insert_head_line(c, line, sizeof line - 1))
		conn_log(c, CONFIG_LOG_DEBUG,
			 "no room for Connection: close in the answer; closing after it");
}

static bool on_event(struct conn *c, struct exchange *ex, const struct http_event *ev, size_t fed)
{
	const struct http_head *head = http_framer_head(c->responses);
	char reason[256];

	switch (ev->type) {
	case HTTP_EV_NONE:
		if (c->response_in_body)
			release(c, ex); /* body bytes flow; head bytes wait for the whole head */
		return fed > 0;
	case HTTP_EV_HEAD:
		if (head->status < 200 && !interim_allowed(c, ex))
			return true; /* answered 502; this head is not relayed */
		if (head->status >= 200) {
			announce_window(c, ex);
			announce_close(c, ex, head);
		}
		release(c, ex);
		c->response_in_body = true;
		if (head->status >= 200)
			ex->status = head->status;
		return true;
	case HTTP_EV_BODY:
		release(c, ex);
		return true;
	case HTTP_EV_END:
		release(c, ex);
		c->response_in_body = false;
		if (head->status < 200)
			return true; /* a 1xx is followed by the final answer */
		ex->response_done = true;
		if (!head->keep_alive) {
			/* The repository closes after this answer: later requests get
			 * none (the tenant sees its Connection: close). */
			abandon_upstream(c);
			exchange_drop_after(c, ex);
		}
		return true;
	case HTTP_EV_ERROR:
		snprintf(reason, sizeof reason, "the repository sent a malformed answer: %s", ev->reason);
		response_upstream_lost(c, 502, "upstream-unavailable", reason);
		return true;
	}
	return false;
}

static bool frame_response(struct conn *c, struct exchange *ex)
{
	size_t len, fed;
	const char *p = conn_span_at(&c->out, c->out_ready + c->out_held, &len);
	struct http_event ev;

	if (c->responses == NULL && (c->responses = conn_framer_get(c, HTTP_KIND_RESPONSE)) == NULL) {
		conn_log(c, CONFIG_LOG_ERROR, "out of memory for a response framer; closing");
		conn_doom(c, "out of memory");
		return false;
	}
	if (!ex->response_started) {
		ex->response_started = true;
		if (ex->head_method)
			http_framer_expect_no_body(c->responses);
	}
	if (len == 0 && !http_framer_idle(c->responses) && !c->up_eof_framed) {
		/* An END is reported on a feed of nothing when the last byte
		 * of a message was the last byte fed. */
		fed = http_framer_feed(c->responses, p, 0, &ev);
		if (ev.type != HTTP_EV_NONE)
			return on_event(c, ex, &ev, fed);
	}
	if (len == 0) {
		if (!c->up_eof || c->up_eof_framed)
			return false; /* wait for the repository */
		c->up_eof_framed = true;
		http_framer_eof(c->responses, &ev);
		if (ev.type == HTTP_EV_END)
			return on_event(c, ex, &ev, 0);
		response_upstream_lost(c, 502, "upstream-unavailable",
				       ev.type == HTTP_EV_ERROR
					       ? "the repository closed the connection in the middle of an answer"
					       : "the repository closed the connection before answering");
		return true;
	}
	fed = http_framer_feed(c->responses, p, len, &ev);
	c->out_held += fed;
	return on_event(c, ex, &ev, fed);
}

/* Nothing is awaited from the repository: bytes it sends now were never asked
 * for, and a close ends the tenant connection after the answers owed. */
static bool check_idle_upstream(struct conn *c)
{
	size_t unframed;

	if (c->up.state == UPSTREAM_NONE || c->up.state == UPSTREAM_GONE || exchange_awaiting(c) != NULL)
		return false;
	unframed = buffer_length(&c->out) - c->out_ready - c->out_held;
	if (unframed > 0 && !c->up_tainted) {
		response_upstream_lost(c, 502, "upstream-unavailable",
				       "the repository sent bytes that answer no request");
		return true;
	}
	if (c->up_eof) {
		response_upstream_lost(c, 502, "upstream-unavailable",
				       "the repository closed the connection");
		return true;
	}
	return false;
}

bool response_pump(struct conn *c)
{
	bool progress = false;
	struct exchange *ex;

	while ((ex = TAILQ_FIRST(&c->queue)) != NULL && !conn_is_doomed(c) && c->state != CONN_LINGER) {
		if (ex->kind == EXCHANGE_HELD)
			break; /* undecided: nothing to answer yet */
		if (ex->kind == EXCHANGE_LOCAL) {
			if (c->out_ready > 0 || ex->answer_sent < ex->answer_len)
				break; /* earlier bytes first, then the answer itself */
			ex->response_done = true;
			if (ex->close_after) {
				exchange_finish_head(c);
				conn_linger(c);
				return true;
			}
			if (!ex->request_done && c->state == CONN_OPEN)
				break; /* its body is still being read and dropped */
		} else if (!ex->response_done) {
			if (!frame_response(c, ex))
				break;
			progress = true;
			continue;
		} else if (!ex->request_done && c->state == CONN_OPEN) {
			break; /* answered early; the rest of the request is still coming */
		}
		exchange_finish_head(c);
		progress = true;
	}
	if (!conn_is_doomed(c) && c->state != CONN_LINGER)
		progress |= check_idle_upstream(c);
	return progress;
}
