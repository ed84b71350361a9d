/*
 * proxy/conn/conn.c: a tenant connection's life: accept, TLS handshake, the event
 * loop of one pair (conn_run), the tenant socket's reads and writes, timers,
 * lingering close and freeing. The two directions' logic lives in request.c
 * and response.c; the queue in exchange.c.
 *
 * After every event conn_run() moves bytes until nothing moves any more, then
 * recomputes both watcher masks and the timer from the buffers and the queue
 * (conn_watch, conn_arm_timer): nothing starts or stops a watcher elsewhere.
 */
#include "autoconfig.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn/conn_internal.h"
#include "conn/conn_memory.h"
#include "net/log.h"

/* Deadlines, in the order of the questions a stuck connection raises. */
enum deadline {
	DEADLINE_NONE,
	DEADLINE_HANDSHAKE, /* [timeouts] handshake */
	DEADLINE_LINGER,    /* CONN_LINGER_SECONDS */
	DEADLINE_HEADER,    /* [timeouts] header: 408 */
	DEADLINE_BODY,      /* [limits] min_body_rate over [timeouts] body: 408 */
	DEADLINE_IDLE,      /* [timeouts] idle: close */
	DEADLINE_SEND,      /* the tenant does not read its answers for [timeouts] idle: close */
	DEADLINE_CONNECT,   /* [timeouts] upstream_connect: 502 */
	DEADLINE_RESPONSE,  /* [timeouts] upstream_response: 504 */
	DEADLINE_INTERIM,   /* [timeouts] upstream_response of interim answers: 502 */
	DEADLINE_HOLD       /* [maintenance] hold_timeout: the held request is refused */
};

static void conn_run(struct conn *c);
static void conn_begin(struct conn *c);
static void conn_check(const struct conn *c);

double conn_now(const struct conn *c)
{
	return ev_now(c->ctx->loop);
}

void conn_prefix(const struct conn *c, char out[CONN_PREFIX_MAX])
{
	if (c->tenant_name[0] == '\0')
		snprintf(out, CONN_PREFIX_MAX, "[%s]", c->peer);
	else
		snprintf(out, CONN_PREFIX_MAX, "[%s %s]", c->peer, c->tenant_name);
}

void conn_log(const struct conn *c, enum config_log_level level, const char *fmt, ...)
{
	char prefix[CONN_PREFIX_MAX];
	va_list ap;

	if (!log_enabled(level))
		return;
	conn_prefix(c, prefix);
	va_start(ap, fmt);
	log_prefixed(level, prefix, fmt, ap);
	va_end(ap);
}

void conn_log_tls_errors(const struct conn *c, enum config_log_level level, const char *what)
{
	char prefix[CONN_PREFIX_MAX];

	conn_prefix(c, prefix);
	tls_log_errors(level, prefix, what);
}

void conn_set_tenant(struct conn *c, const char *tenant)
{
	if (strcmp(c->tenant_name, tenant) != 0)
		snprintf(c->tenant_name, sizeof c->tenant_name, "%s", tenant);
}

/* ---- the state ---- */

static const char *const state_names[] = { "HANDSHAKE", "OPEN", "CLOSING", "LINGER", "DOOMED" };

/* The one place a connection's state changes; why says so in the debug log
 * (with conn_describe()). CONN_DOOMED is final: a change away from it, or to
 * the state it is in, does nothing. */
static void conn_set_state(struct conn *c, enum conn_state state, const char *why)
{
	char desc[256];

	if (c->state == state || c->state == CONN_DOOMED)
		return;
	if (log_enabled(CONFIG_LOG_DEBUG))
		conn_log(c, CONFIG_LOG_DEBUG, "%s -> %s (%s): %s", state_names[c->state], state_names[state],
			 why, conn_describe(c, desc, sizeof desc));
	c->state = state;
}

void conn_doom(struct conn *c, const char *why)
{
	conn_set_state(c, CONN_DOOMED, why);
}

const char *conn_span_at(const struct buffer *b, size_t offset, size_t *len)
{
	struct iovec iov[2];
	int n = buffer_read_iov(b, iov);

	for (int i = 0; i < n; i++) {
		if (offset < iov[i].iov_len) {
			*len = iov[i].iov_len - offset;
			return (const char *)iov[i].iov_base + offset;
		}
		offset -= iov[i].iov_len;
	}
	*len = 0;
	return "";
}

/* ---- freeing ---- */

/* The tenant connection ends or lingers: its repository connection goes to
 * the server's pool when nothing of any message is left on it (the pool
 * checks the rest), else the caller closes it. Called before the queue is
 * dropped, so an answer still awaited keeps it out. A response that carried
 * Connection: close (or HTTP/1.0 without keep-alive) closed it already
 * (response.c), so it is no longer READY. */
static void release_upstream(struct conn *c)
{
	struct upstream_park_facts facts;
	const char *why;

	if (c->up.state == UPSTREAM_NONE || c->up.state == UPSTREAM_GONE)
		return;
	facts = (struct upstream_park_facts){
		.ready = c->up.state == UPSTREAM_READY,
		.request_pending = c->forwarded_sent != c->forwarded_total || c->reading_forward,
		.response_pending = exchange_awaiting(c) != NULL ||
				    (c->responses != NULL && !http_framer_idle(c->responses)),
		.stray_bytes = buffer_length(&c->out) > c->out_ready, /* held or unframed */
		.repository_closed = c->up_eof,
		.tainted = c->up_tainted,
		.close_requested = c->up_close_asked, /* a Connection: close the repository saw */
	};
	if (upstream_pool_park(c->ctx->upool, &c->up, c->rc->serial, &facts, &why))
		conn_log(c, CONFIG_LOG_DEBUG, "repository connection to %s parked for reuse (%zu idle)",
			 c->up.address, c->ctx->upool->count);
	else
		conn_log(c, CONFIG_LOG_DEBUG, "repository connection to %s closed, not reusable: %s",
			 c->up.address, why);
}

static void conn_free(struct conn *c)
{
	struct ev_loop *loop = c->ctx->loop;

	release_upstream(c);
	exchange_drop_after(c, NULL);
	endpoint_close(&c->tenant, loop);
	upstream_close(&c->up, loop);
	ev_timer_stop(loop, &c->timer);
	conn_ring_put(c, &c->in);
	conn_ring_put(c, &c->out);
	replay_free(c);
	conn_framer_put(c, HTTP_KIND_REQUEST, &c->requests);
	conn_framer_put(c, HTTP_KIND_RESPONSE, &c->responses);
	conn_proxy_free(c);
	c->ctx->conn_removed(c->ctx, c);
	runconf_unref(c->rc);
	free(c);
}

void conn_abort(struct conn *c)
{
	conn_free(c);
}

void conn_stop_reading(struct conn *c)
{
	if (c->state != CONN_OPEN)
		return;
	c->request_cut = c->reading != NULL || c->in_held > 0 || request_unframed(c) > 0;
	conn_set_state(c, CONN_CLOSING, "no further request is read");
}

void conn_linger(struct conn *c)
{
	release_upstream(c);
	exchange_drop_after(c, NULL);
	upstream_close(&c->up, c->ctx->loop);
	replay_free(c);
	conn_ring_put(c, &c->in);
	conn_ring_put(c, &c->out);
	c->in_forward = c->in_drop = c->in_held = c->out_ready = c->out_held = 0;
	if (c->tenant_eof) {
		conn_doom(c, "the last answer is out and the tenant closed its side");
		return;
	}
	endpoint_shutdown_write(&c->tenant);
	c->linger_since = conn_now(c);
	conn_set_state(c, CONN_LINGER, "the last answer is out; dropping what the tenant still sends");
}

/* Drop what the tenant still sends, on the raw socket, until it closes. */
static void linger_drain(struct conn *c)
{
	char scratch[16384];

	while (c->tenant.readable) {
		ssize_t n = recv(c->tenant.fd, scratch, sizeof scratch, 0);

		if (n > 0) {
			c->linger_bytes += (size_t)n;
			if (c->linger_bytes > CONN_LINGER_BYTES &&
			    c->linger_bytes > c->rc->cfg->limits.discard_bytes)
				conn_doom(c, "the tenant sent too much while lingering");
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->tenant.readable = false;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			conn_doom(c, "the tenant closed or reset while lingering");
		}
		if (conn_is_doomed(c))
			return;
	}
}

/* ---- the tenant socket ---- */

static bool tenant_handshake(struct conn *c)
{
	enum endpoint_status st = endpoint_handshake(&c->tenant);
	char desc[128];

	if (st == ENDPOINT_AGAIN)
		return false;
	if (st != ENDPOINT_OK) {
		COUNTER_INC(c->ctx->counters->handshake_failures);
		conn_log_tls_errors(c, CONFIG_LOG_INFO, "TLS handshake failed");
		conn_doom(c, "TLS handshake failed");
		return false;
	}
	if (log_enabled(CONFIG_LOG_DEBUG)) {
		tls_describe(c->tenant.ssl, desc, sizeof desc);
		conn_log(c, CONFIG_LOG_DEBUG, "TLS established: %s", desc);
	}
	c->last_tenant_read = conn_now(c);
	conn_set_state(c, CONN_OPEN, "TLS established");
	return true;
}

static void tenant_failed(struct conn *c, enum endpoint_status st, const char *what)
{
	if (c->tenant.last_errno != 0)
		conn_log(c, CONFIG_LOG_INFO, "%s the tenant failed: %s", what,
			 strerror(c->tenant.last_errno));
	else if (st == ENDPOINT_ERROR)
		conn_log_tls_errors(c, CONFIG_LOG_INFO, what);
	conn_doom(c, "the tenant's socket failed");
}

static bool tenant_read(struct conn *c)
{
	bool progress = false;

	if (c->state != CONN_OPEN || c->tenant_eof || !endpoint_may_read(&c->tenant))
		return false;
	if (c->in.data == NULL && !conn_ring_get(c, &c->in)) {
		conn_log(c, CONFIG_LOG_ERROR, "out of memory for a buffer; closing");
		conn_doom(c, "out of memory");
		return false;
	}
	while (endpoint_may_read(&c->tenant)) {
		size_t room, n;
		unsigned char *span = buffer_write_span(&c->in, &room);
		enum endpoint_status st;

		if (room == 0)
			break;
		st = endpoint_read(&c->tenant, span, room, &n);
		if (st == ENDPOINT_AGAIN)
			break;
		if (st == ENDPOINT_EOF) {
			c->tenant_eof = true;
			return true;
		}
		if (st == ENDPOINT_ERROR) {
			tenant_failed(c, st, "reading from");
			return false;
		}
		buffer_commit(&c->in, n);
		COUNTER_ADD(c->ctx->counters->bytes_in, n);
		c->last_tenant_read = conn_now(c);
		if (c->reading != NULL)
			c->body_window_bytes += n;
		progress = true;
	}
	return progress;
}

/* What goes to the tenant next: response bytes framed as ready, or, once
 * those are out, the local answer at the head of the queue. */
static const void *next_output(struct conn *c, size_t *len, bool *from_out)
{
	struct exchange *head = TAILQ_FIRST(&c->queue);

	if (c->out_ready > 0) {
		const unsigned char *p = buffer_read_span(&c->out, len);

		if (*len > c->out_ready)
			*len = c->out_ready;
		*from_out = true;
		return p;
	}
	*from_out = false;
	if (head != NULL && head->kind == EXCHANGE_LOCAL && head->answer_sent < head->answer_len) {
		*len = head->answer_len - head->answer_sent;
		return head->answer + head->answer_sent;
	}
	*len = 0;
	return NULL;
}

static bool tenant_write(struct conn *c)
{
	bool progress = false;

	while (endpoint_may_write(&c->tenant)) {
		size_t len, n;
		bool from_out;
		const void *p = next_output(c, &len, &from_out);
		enum endpoint_status st;

		if (p == NULL)
			break;
		st = endpoint_write(&c->tenant, p, len, &n);
		if (st == ENDPOINT_AGAIN)
			break;
		if (st != ENDPOINT_OK) {
			tenant_failed(c, st, "writing to");
			return false;
		}
		if (from_out) {
			buffer_consume(&c->out, n);
			c->out_ready -= n;
		} else {
			TAILQ_FIRST(&c->queue)->answer_sent += n;
			TAILQ_FIRST(&c->queue)->bytes_out += n;
		}
		COUNTER_ADD(c->ctx->counters->bytes_out, n);
		c->last_tenant_write = conn_now(c);
		progress = true;
	}
	return progress;
}

static bool output_pending(const struct conn *c)
{
	const struct exchange *head = TAILQ_FIRST(&c->queue);

	return c->out_ready > 0 ||
	       (head != NULL && head->kind == EXCHANGE_LOCAL && head->answer_sent < head->answer_len);
}

/* CLOSING ends once every answer owed is out: a plain close, or a lingering
 * one when the tenant may still be sending a request that was not read. */
static bool settle_state(struct conn *c)
{
	if (c->state != CONN_CLOSING || !TAILQ_EMPTY(&c->queue) || output_pending(c))
		return false;
	if (c->request_cut && !c->tenant_eof)
		conn_linger(c);
	else
		conn_doom(c, "every answer owed is out");
	return true;
}

/* ---- watchers and timers ---- */

static bool idle(const struct conn *c)
{
	return c->state == CONN_OPEN && TAILQ_EMPTY(&c->queue) && c->reading == NULL &&
	       c->head_started == 0 && c->in_held == 0;
}

/* Between messages with nothing buffered, a connection holds no buffers and
 * no framers (they go to the server's spares): thousands of idle tenants cost
 * little more than their TLS state (which SSL_MODE_RELEASE_BUFFERS keeps
 * small too). */
static void release_idle_memory(struct conn *c)
{
	conn_ring_put(c, &c->in);
	conn_ring_put(c, &c->out);
	if (c->requests != NULL && http_framer_idle(c->requests))
		conn_framer_put(c, HTTP_KIND_REQUEST, &c->requests);
	if (c->responses != NULL && http_framer_idle(c->responses))
		conn_framer_put(c, HTTP_KIND_RESPONSE, &c->responses);
}

static void conn_watch(struct conn *c)
{
	struct ev_loop *loop = c->ctx->loop;
	bool want_read, up_ready = c->up.state == UPSTREAM_READY;

	if (c->state == CONN_HANDSHAKE) {
		endpoint_watch(&c->tenant, loop, c->proxy != NULL, false); /* a PROXY header */
		return;
	}
	if (c->state == CONN_LINGER) {
		endpoint_watch(&c->tenant, loop, true, false);
		return;
	}
	if (idle(c) && buffer_length(&c->in) == 0 && buffer_length(&c->out) == 0)
		release_idle_memory(c);
	want_read = c->state == CONN_OPEN && !c->tenant_eof &&
		    (c->in.data == NULL || buffer_room(&c->in) > 0);
	if (c->reading != NULL && !want_read)
		c->body_window_paused = true; /* the proxy, not the tenant, holds the body back */
	endpoint_watch(&c->tenant, loop, want_read, output_pending(c));
	endpoint_watch(&c->up.ep, loop,
		       up_ready && !c->up_eof && (c->out.data == NULL || buffer_room(&c->out) > 0),
		       up_ready && replay_write_wanted(c));
}

static double seconds(uint64_t ms)
{
	return config_seconds(ms);
}

/* The request being read still has body bytes to come: only then is there a
 * body window. A request without a body stays `reading` from its head to its
 * end, and its end waits while refused bytes queue behind forward bytes not
 * yet sent (request.c, may_frame): that wait is the proxy's, and its window
 * was never started. */
static bool body_being_read(const struct conn *c)
{
	return c->reading != NULL && c->held == NULL && c->requests != NULL &&
	       http_framer_in_body(c->requests);
}

static double conn_deadline(const struct conn *c, enum deadline *kind)
{
	const struct sluice_config *cfg = c->rc->cfg;
	const struct exchange *aw;
	double at = 0;

	*kind = DEADLINE_NONE;
/* clang-format off */
#define CONSIDER(k, t) do { double t_ = (t); if (*kind == DEADLINE_NONE || t_ < at) { at = t_; *kind = (k); } } while (0)
	/* clang-format on */
	if (c->state == CONN_HANDSHAKE) {
		CONSIDER(DEADLINE_HANDSHAKE, c->accepted_at + seconds(cfg->timeouts.handshake_ms));
		return at;
	}
	if (c->state == CONN_LINGER) {
		CONSIDER(DEADLINE_LINGER, c->linger_since + CONN_LINGER_SECONDS);
		return at;
	}
	if (c->head_started > 0 && c->state == CONN_OPEN)
		CONSIDER(DEADLINE_HEADER, c->head_started + seconds(cfg->timeouts.header_ms));
	if (body_being_read(c) && c->state == CONN_OPEN && cfg->limits.min_body_rate > 0)
		CONSIDER(DEADLINE_BODY, c->body_window_start + seconds(cfg->timeouts.body_ms));
	if (idle(c))
		CONSIDER(DEADLINE_IDLE, (c->last_tenant_read > c->last_tenant_write ? c->last_tenant_read
										    : c->last_tenant_write) +
						seconds(cfg->timeouts.idle_ms));
	if (output_pending(c) && c->tenant.write_blocked)
		CONSIDER(DEADLINE_SEND, c->last_tenant_write + seconds(cfg->timeouts.idle_ms));
	if (c->held != NULL) /* the current configuration's: a reload may change it */
		CONSIDER(DEADLINE_HOLD,
			 c->held->held_since + seconds(c->ctx->conf->cfg->maintenance.hold_timeout_ms));
	if (upstream_connecting(&c->up))
		CONSIDER(DEADLINE_CONNECT, c->up.started + seconds(cfg->timeouts.upstream_connect_ms));
	aw = c->up.state == UPSTREAM_READY ? exchange_awaiting(c) : NULL;
	if (aw != NULL && (aw->request_done || c->in_forward > 0) &&
	    (c->out.data == NULL || buffer_room(&c->out) > 0)) {
		CONSIDER(DEADLINE_RESPONSE, c->last_upstream + seconds(cfg->timeouts.upstream_response_ms));
		/* Interim answers restart the one above, not this one; a tie
		 * (one interim answer, then silence) stays a 504. */
		if (aw->interims > 0 && aw->status == 0)
			CONSIDER(DEADLINE_INTERIM,
				 aw->interim_clock + seconds(cfg->timeouts.upstream_response_ms));
	}
#undef CONSIDER
	return at;
}

static void conn_arm_timer(struct conn *c)
{
	struct ev_loop *loop = c->ctx->loop;
	enum deadline kind;
	double at = conn_deadline(c, &kind), now = conn_now(c);

	if (kind == DEADLINE_NONE) {
		ev_timer_stop(loop, &c->timer);
		c->timer_at = 0;
		return;
	}
	/* A later deadline keeps the armed timer: it fires early and re-arms, so
	 * busy connections do not move the timer heap on every event. */
	if (ev_is_active(&c->timer) && at >= c->timer_at - 0.001)
		return;
	ev_timer_stop(loop, &c->timer);
	ev_timer_set(&c->timer, at > now ? at - now : 0, 0);
	ev_timer_start(loop, &c->timer);
	c->timer_at = at;
}

static void body_deadline(struct conn *c)
{
	const struct sluice_config *cfg = c->rc->cfg;
	double window = seconds(cfg->timeouts.body_ms);

	if (c->body_window_paused ||
	    (double)c->body_window_bytes >= (double)cfg->limits.min_body_rate * window) {
		c->body_window_start = conn_now(c);
		c->body_window_bytes = 0;
		c->body_window_paused = false;
		return;
	}
	request_fail(c, 408, "timeout", "the request body arrived slower than [limits] min_body_rate");
}

static void conn_timeout(struct conn *c)
{
	enum deadline kind;
	double at = conn_deadline(c, &kind);

	if (kind == DEADLINE_NONE || at > conn_now(c) + 0.001)
		return; /* an early wake-up: conn_run re-arms */
	switch (kind) {
	case DEADLINE_HANDSHAKE:
		if (c->proxy != NULL) {
			conn_proxy_expired(c);
			break;
		}
		COUNTER_INC(c->ctx->counters->handshake_failures);
		conn_log(c, CONFIG_LOG_INFO, "TLS handshake not done within [timeouts] handshake; closing");
		conn_doom(c, "[timeouts] handshake");
		break;
	case DEADLINE_LINGER:
	case DEADLINE_NONE:
		conn_doom(c, "lingered long enough");
		break;
	case DEADLINE_HEADER:
		request_fail(c, 408, "timeout", "the request head did not arrive within [timeouts] header");
		break;
	case DEADLINE_BODY:
		body_deadline(c);
		break;
	case DEADLINE_IDLE:
		conn_log(c, CONFIG_LOG_DEBUG, "idle for [timeouts] idle; closing");
		conn_doom(c, "[timeouts] idle");
		break;
	case DEADLINE_SEND:
		conn_log(c, CONFIG_LOG_INFO,
			 "the tenant read none of its answers for [timeouts] idle; closing");
		conn_doom(c, "[timeouts] idle while sending");
		break;
	case DEADLINE_CONNECT:
		response_upstream_lost(c, 502, "upstream-unavailable",
				       "no connection to the repository within [timeouts] upstream_connect");
		break;
	case DEADLINE_RESPONSE:
		response_upstream_lost(c, 504, "upstream-timeout",
				       "the repository did not answer within [timeouts] upstream_response");
		break;
	case DEADLINE_INTERIM:
		response_interim_expired(c);
		break;
	case DEADLINE_HOLD:
		request_resume(c, true);
		break;
	}
}

/* ---- events ---- */

static void conn_run(struct conn *c)
{
	int round;

	for (round = 0; round < CONN_ROUNDS_MAX && !conn_is_doomed(c); round++) {
		bool progress;

		if (c->state == CONN_HANDSHAKE && c->proxy != NULL) {
			if (!conn_proxy_read(c))
				break;
			conn_begin(c);
			continue;
		}
		if (c->state == CONN_HANDSHAKE) {
			if (!tenant_handshake(c))
				break;
			continue;
		}
		if (c->state == CONN_LINGER) {
			linger_drain(c);
			break;
		}
		progress = tenant_read(c);
		progress |= request_pump(c);
		progress |= response_upstream_io(c, c->up_event);
		c->up_event = false;
		progress |= response_pump(c);
		progress |= tenant_write(c);
		progress |= settle_state(c);
		if (!progress)
			break;
	}
	if (conn_is_doomed(c)) {
		conn_free(c);
		return;
	}
	if (round == CONN_ROUNDS_MAX)
		ev_feed_event(c->ctx->loop, &c->tenant.io, EV_CUSTOM); /* more to do, after the others */
	conn_watch(c);
	conn_arm_timer(c);
	conn_check(c);
}

static void tenant_event(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;

	endpoint_on_event(&c->tenant, revents);
	conn_run(c);
}

void conn_upstream_event(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;

	endpoint_on_event(&c->up.ep, revents);
	c->up_event = true;
	conn_run(c);
}

static void timer_event(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	c->timer_at = 0;
	conn_timeout(c);
	conn_run(c);
}

/* ---- birth and graceful stop ---- */

static bool conn_setup(struct conn *c, int fd)
{
	SSL *ssl = NULL;

	if (c->rc->tls != NULL) {
		ssl = SSL_new(c->rc->tls);
		if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
			SSL_free(ssl);
			return false;
		}
		SSL_set_accept_state(ssl);
	}
	endpoint_init(&c->tenant, fd, ssl, tenant_event, c);
	return true;
}

/* The tenant's own bytes come next (after a PROXY header, if any): TLS
 * starts, or plain TCP is open. */
static void conn_begin(struct conn *c)
{
	if (c->tenant.ssl == NULL) { /* else it stays in CONN_HANDSHAKE (zero) */
		c->tenant.readable = true;
		conn_set_state(c, CONN_OPEN, "plain TCP");
	}
}

bool conn_accept(struct conn_context *ctx, int fd, const struct sockaddr *peer, socklen_t peer_len, bool busy)
{
	struct conn *c = calloc(1, sizeof *c);
	int one = 1;

	if (c == NULL) {
		close(fd);
		return false;
	}
	c->ctx = ctx;
	c->rc = runconf_ref(ctx->conf);
	c->host.conn = c;
	c->host.busy = busy;
	TAILQ_INIT(&c->queue);
	upstream_init(&c->up);
	c->tenant.fd = -1;
	runconf_format_address(peer, peer_len, c->peer, sizeof c->peer);
	if (peer->sa_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	ev_init(&c->timer, timer_event);
	c->timer.data = c;
	c->accepted_at = c->last_tenant_read = c->last_tenant_write = ev_now(ctx->loop);
	ctx->conn_added(ctx, c, peer);
	if (!conn_setup(c, fd)) {
		conn_log(c, CONFIG_LOG_ERROR, "out of memory setting up a connection; closing");
		if (c->tenant.fd < 0)
			close(fd);
		conn_free(c);
		return false;
	}
	conn_proxy_start(c, peer); /* dooms c when its peer may not send a PROXY header */
	if (c->proxy == NULL)
		conn_begin(c);
	conn_run(c);
	return true;
}

void conn_release(struct conn *c)
{
	request_resume(c, false);
	conn_run(c);
}

void conn_stop(struct conn *c)
{
	if (c->state == CONN_HANDSHAKE || idle(c)) {
		conn_doom(c, "graceful stop");
	} else if (c->reading == NULL && c->head_started == 0 && c->in_held == 0) {
		conn_stop_reading(c); /* nothing in flight on the tenant side */
	} else {
		c->stop_after_message = true;
	}
	conn_run(c);
}

/* ---- describing and checking ---- */

static const char *upstream_state_name(enum upstream_state state)
{
	static const char *const names[] = { "none", "connecting", "handshake", "ready", "gone" };

	return (size_t)state < sizeof names / sizeof names[0] ? names[state] : "?";
}

const char *conn_describe(const struct conn *c, char *buf, size_t size)
{
	snprintf(buf, size,
		 "%s queue=%u in=%zu/%zu (fwd %zu drop %zu held %zu) out=%zu/%zu "
		 "(ready %zu held %zu) up=%s%s%s%s%s%s",
		 state_names[c->state], c->queue_len, buffer_length(&c->in), buffer_capacity(&c->in),
		 c->in_forward, c->in_drop, c->in_held, buffer_length(&c->out), buffer_capacity(&c->out),
		 c->out_ready, c->out_held, upstream_state_name(c->up.state),
		 c->tenant.write_blocked ? " write-blocked" : "",
		 c->in.data != NULL && buffer_room(&c->in) == 0 ? " read-blocked" : "",
		 c->up.ep.write_blocked ? " up-write-blocked" : "",
		 c->out.data != NULL && buffer_room(&c->out) == 0 ? " up-read-blocked" : "",
		 c->tenant_eof ? " tenant-eof" : "");
	return buf;
}

/* Assert the invariants that hold between events (assert.h: nothing when
 * NDEBUG is defined); O(queue length). After conn_watch() and
 * conn_arm_timer(), never doomed (a doomed connection is freed before). */
static void conn_check(const struct conn *c)
{
#ifndef NDEBUG
	const struct exchange *ex;
	unsigned n = 0;

	TAILQ_FOREACH(ex, &c->queue, queue_link)
		n++;
	assert(n == c->queue_len);
	assert(c->state != CONN_DOOMED);
	assert(c->in_forward + c->in_drop + c->in_held <= buffer_length(&c->in));
	assert(c->out_ready + c->out_held <= buffer_length(&c->out));
	assert(c->in_drop == 0 || c->in_forward > 0); /* refused bytes wait behind forward ones only */
	assert(c->forwarded_sent <= c->forwarded_total);
	/* Past OPEN no request byte is read: the tenant's watcher waits for
	 * reading only when TLS needs it to write (LINGER drains on purpose). */
	assert(c->state != CONN_CLOSING || !(c->tenant.events & EV_READ) || c->tenant.write_wants_read ||
	       c->tenant.handshake_wants != 0);
	if (c->state == CONN_HANDSHAKE)
		assert(n == 0 && c->up.state == UPSTREAM_NONE && c->in.data == NULL && c->out.data == NULL);
	if (c->state == CONN_LINGER)
		assert(n == 0 && c->up.state == UPSTREAM_GONE && c->in.data == NULL && c->out.data == NULL &&
		       c->reading == NULL);
#else
	(void)c;
#endif
}

struct conn_host_slot *conn_host_slot(struct conn *c)
{
	return &c->host;
}
