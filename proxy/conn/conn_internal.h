/*
 * proxy/conn/conn_internal.h: one tenant connection and the repository connection
 * it owns, inside: shared by conn.c, request.c, response.c and exchange.c
 * only. What the rest of the daemon may use is conn.h.
 *
 * Bytes and buffers. Each direction has one bounded ring ([limits]
 * buffer_bytes) into which the socket reads, and the framer runs over the
 * ring in place, so a body byte is copied once (by the kernel or OpenSSL)
 * on the way in and once on the way out:
 *
 *   in  (tenant -> repository):  [forward | drop | held | unframed]
 *       forward: framed bytes of forwarded requests, sent to the repository
 *                from the front;
 *       drop:    framed bytes of a refused request behind them, dropped as
 *                soon as the forward bytes are gone (framing waits meanwhile);
 *       held:    fed to the framer, but the head is not complete, so whether
 *                they are forwarded or dropped is not known yet; or the
 *                head of a request held for maintenance (mode hold,
 *                c->held): nothing behind it is framed until it is
 *                decided again (request_resume).
 *   out (repository -> tenant):  [ready | held | unframed]
 *       ready:   framed response bytes, written to the tenant from the front;
 *       held:    a response head being framed: held back until it is complete
 *                and valid, so that a broken head can still be answered 502.
 *
 * Order. Every request gets an exchange in a queue, in arrival order: either
 * forwarded (the repository answers it) or local (the proxy answers it
 * itself: refusals, classifier errors, timeouts). Answers leave in queue
 * order: a local answer is written only when it is at the head of the queue
 * and every earlier answer is out, and no response byte is framed for a later
 * exchange before it has gone.
 *
 * The tenant's reads stop while `in` is full (the repository is slow), the
 * repository's while `out` is full (the tenant is slow), and request framing
 * while the queue holds CONN_PIPELINE_MAX exchanges. The watcher masks and the
 * timer are recomputed from this state after every event (conn_run).
 */
#ifndef SLUICE_CONN_INTERNAL_H
#define SLUICE_CONN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ev.h>

#include "conn/conn.h"
#include "conn/conn_context.h"
#include "net/buffer.h"
#include "net/endpoint.h"
#include "http.h"
#include "policy/policy.h"
#include "conn/respond.h"
#include "net/runconf.h"
#include "tsp.h"
#include "net/upstream.h"

#define CONN_PIPELINE_MAX 32         /* exchanges queued per connection */
#define CONN_LINGER_SECONDS 2.0      /* reading and dropping after a closing answer */
#define CONN_LINGER_BYTES (1u << 20) /* at least; [limits] discard_bytes when larger */
#define CONN_ROUNDS_MAX 64           /* work per event before other connections get a turn */
/* A tenant's address as text: "[v6]:port" at most (a tenant on a unix
 * socket has no name: "unix:"); every idle connection keeps one. */
#define CONN_PEER_TEXT 64
_Static_assert(CONN_PEER_TEXT >= sizeof "[]:65535" + INET6_ADDRSTRLEN, "an IPv6 peer fits");
#define CONN_PREFIX_MAX (CONN_PEER_TEXT + TSP_TENANT_MAX + 4)

enum conn_state {
	CONN_HANDSHAKE, /* the tenant's TLS handshake is in progress */
	CONN_OPEN,      /* requests are read and answered */
	CONN_CLOSING,   /* no further request is read; the answers owed still go out */
	CONN_LINGER,    /* the closing answer is out and our side is shut: the tenant's
			 * remaining bytes are dropped for a moment, so that a reset does
			 * not destroy the answer in flight */
	CONN_DOOMED     /* closed and freed at the end of the current event; final:
			 * what runs until then may still write what is owed */
};

enum exchange_kind {
	EXCHANGE_FORWARD, /* the repository answers */
	EXCHANGE_LOCAL,   /* the proxy answers */
	EXCHANGE_HELD     /* mode hold: undecided until maintenance changes or
			   * hold_timeout passes; its head bytes stay `held` */
};

struct exchange {
	TAILQ_ENTRY(exchange) queue_link; /* in its connection's queue (exchange.c) */
	enum exchange_kind kind;
	bool classified; /* req holds the classification */
	struct tsp_request req;
	const char *decision; /* for the access log: "forwarded", "refused maintenance", ... */
	bool recorded;        /* policy_record() ran: policy_on_response() is owed */
	struct policy_record record;
	unsigned status; /* local: the answer's; forward: the repository's final
				       * one (0 until its head went out) */
	char *answer;    /* local: the whole answer (malloc'd) */
	size_t answer_len, answer_sent;
	bool close_after;             /* local: the connection ends after this answer */
	bool head_method;             /* a HEAD request: its response has no body */
	bool request_done;            /* every byte of the request was framed (or never will be) */
	bool response_done;           /* forward: final response framed; local: answer written */
	bool response_started;        /* forward: the response framer works for it */
	unsigned interims;            /* forward: interim (1xx) answers framed, at most
				       * [limits] interim_responses */
	double interim_clock;         /* forward: [timeouts] upstream_response for interim
				       * answers runs from here: the first one, or a later
				       * write of this request's bytes to the repository */
	uint64_t forward_end;         /* forward: end of the request in the forwarded stream */
	uint64_t bytes_in, bytes_out; /* request and answer bytes, for the access log */
	double started;               /* ev_now() when its head was complete */
	double held_since;            /* when it was first held (0: never) */
	bool hold_closes;             /* held: a refusal would close (refusal_closes) */
	bool has_body;                /* held: a body follows its head */
	bool hop_close;               /* forward: the tenant's Connection: close stayed with
				       * the proxy; its answer gets one (response.c) */
};

struct conn {
	struct conn_host_slot host; /* the host's bookkeeping (conn.h) */
	struct conn_context *ctx;
	struct runconf *rc;    /* the configuration it started with (a reference) */
	enum conn_state state; /* changed by conn_set_state() only; request bytes are
				      * read and framed exactly while CONN_OPEN */

	struct endpoint tenant;
	struct upstream up;

	struct buffer in; /* tenant -> repository (allocated while in use) */
	size_t in_forward, in_drop, in_held;
	struct buffer out; /* repository -> tenant */
	size_t out_ready, out_held;
	struct http_framer *requests, *responses; /* allocated while there is something to frame */
	bool response_in_body;                    /* the response framer is past a head */

	TAILQ_HEAD(exchange_queue, exchange) queue; /* in answer order (exchange.c) */
	unsigned queue_len;
	struct exchange *reading;   /* the request whose head was framed and whose body is read */
	struct exchange *held;      /* EXCHANGE_HELD (then also reading); framing waits */
	bool reading_forward;       /* ... its bytes go to the repository (else dropped) */
	bool stop_after_message;    /* stop reading when the current request ends */
	bool tenant_eof;            /* the tenant closed its side */
	bool up_eof, up_eof_framed; /* the repository closed; the framer was told */
	bool up_tainted;            /* the repository saw part of a request that was cut */
	bool up_close_asked;        /* a forwarded head kept its Connection: close (http_hop.c) */
	bool up_event;              /* the repository's watcher fired (connect/handshake may move) */
	bool request_cut;           /* reading stopped with request bytes unread: linger at close */
	/* On a reused repository connection (upstream_pool.h, the race): the
	 * bytes written to it, the first request's and any behind it while
	 * there is room, until the first byte of an answer arrives (replay.c). */
	struct buffer replay;
	uint64_t first_request_bytes; /* head + body of the first forwarded request (0: none yet;
				       * UINT64_MAX: unknown) */
	bool replay_resending;        /* replay goes out again, before `in` */
	bool replay_used;             /* sent again once: never twice */
	uint64_t forwarded_total;     /* bytes framed for the repository so far */
	uint64_t forwarded_sent;      /* ... and written to it */

	ev_timer timer;
	double timer_at; /* when the timer fires (0: stopped) */
	double accepted_at, last_tenant_read, last_tenant_write, last_upstream, linger_since;
	double head_started;      /* first byte of a head not yet complete (0: none) */
	double body_window_start; /* [limits] min_body_rate: the current window */
	uint64_t body_window_bytes;
	bool body_window_paused; /* the proxy stopped reading during the window */
	size_t linger_bytes;

	/* While a PROXY header is awaited (conn_proxy.c), in CONN_HANDSHAKE
	 * before TLS; else NULL. */
	struct conn_proxy *proxy;
	char peer[CONN_PEER_TEXT]; /* the tenant: the socket's peer, or a PROXY header's source */
	char tenant_name[TSP_TENANT_MAX + 1];
};

/* ---- conn.c ---- */

/* Close the connection at the end of the current event (CONN_DOOMED). */
void conn_doom(struct conn *c, const char *why);
static inline bool conn_is_doomed(const struct conn *c)
{
	return c->state == CONN_DOOMED;
}
void conn_log(const struct conn *c, enum config_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "[peer tenant]" ("[peer]" before a tenant is known) for log lines: made
 * when a line is logged, not kept (an idle connection holds less). */
void conn_prefix(const struct conn *c, char out[CONN_PREFIX_MAX]);
/* OpenSSL's queued errors, logged with the prefix (tls_log_errors). */
void conn_log_tls_errors(const struct conn *c, enum config_log_level level, const char *what);
/* The tenant named by the latest classified request (log prefix). */
void conn_set_tenant(struct conn *c, const char *tenant);
/* ev_now() of the connection's loop. */
double conn_now(const struct conn *c);
/* No further request byte is read: an OPEN connection becomes CLOSING.
 * Remembers whether the tenant may still be sending, to linger at the close. */
void conn_stop_reading(struct conn *c);
/* The last answer is out: shut our side, drop what the tenant still sends
 * for a moment, then close. Exchanges left in the queue get no answer. */
void conn_linger(struct conn *c);
/* The repository connection's watcher callback. */
void conn_upstream_event(struct ev_loop *loop, ev_io *w, int revents);
/* A contiguous span of b's readable bytes starting offset bytes in. */
const char *conn_span_at(const struct buffer *b, size_t offset, size_t *len);

/* ---- conn_proxy.c ---- */

/* [proxy] proxy_protocol: from a peer in proxy_from, c->proxy is set and a
 * PROXY header is awaited before anything else; off, nothing. From any
 * other peer, c is doomed (and counted). */
void conn_proxy_start(struct conn *c, const struct sockaddr *peer);
/* Read the header, never a byte past it. True once it is read and applied
 * (c->proxy is NULL again); false while waiting, or when c was doomed. */
bool conn_proxy_read(struct conn *c);
/* The header did not come within [timeouts] handshake: doom and count. */
void conn_proxy_expired(struct conn *c);
void conn_proxy_free(struct conn *c);

/* ---- exchange.c ---- */

struct exchange *exchange_new(struct conn *c);
void exchange_push(struct conn *c, struct exchange *ex);
/* Remove the head of the queue, settle it (policy, counters, access log). */
void exchange_finish_head(struct conn *c);
/* Remove and settle every exchange after ex (all of them when ex is NULL):
 * they will get no answer. */
void exchange_drop_after(struct conn *c, struct exchange *ex);
/* Make ex a local answer of the one error shape (respond.h); undoes a
 * policy record it held. extra may be NULL; extra->close ends the connection
 * after the answer. */
void exchange_answer(struct conn *c, struct exchange *ex, unsigned status, const char *code,
		     const char *message, const struct respond_extra *extra);
/* The policy's verdict for a classified request: forward it, or answer it
 * (with Connection: close when refusal_closes). */
void exchange_decide(struct conn *c, struct exchange *ex, bool refusal_closes);
/* Decide c->held again (maintenance changed), or, expired, refuse it as
 * drain would ([maintenance] hold_timeout). c->held is set again when it is
 * held again. */
void exchange_decide_held(struct conn *c, bool expired);
/* The first forwarded exchange still waiting for its response, or NULL. */
struct exchange *exchange_awaiting(const struct conn *c);

/* ---- request.c ---- */

/* Frame what `in` holds: classify heads, decide, forward or drop. */
bool request_pump(struct conn *c);
/* The request being read fails (bad framing, timeouts): answer status and
 * stop reading requests. */
void request_fail(struct conn *c, unsigned status, const char *code, const char *reason);
/* Decide the held request again (exchange_decide_held) and, unless it is
 * held again, go on with it as with any decided head. */
void request_resume(struct conn *c, bool expired);
/* Bytes of `in` that the framer has not seen yet. */
size_t request_unframed(const struct conn *c);

/* ---- replay.c ---- */

/* The head of a forwarded request was decided with head_bytes on the wire:
 * when it is the connection's first (no repository connection yet), its
 * size is noted. */
void replay_note_first(struct conn *c, const struct http_head *head, size_t head_bytes);
/* May the first request go on an idle connection from the pool? */
bool replay_may_reuse(const struct conn *c);
/* The repository connection was just opened: on a reused one, start
 * keeping the first request's bytes. */
void replay_begin(struct conn *c);
void replay_free(struct conn *c);
/* How many of len forward bytes may be written now (0: the rest of `in`
 * waits for the first byte of an answer). */
size_t replay_allowed(const struct conn *c, size_t len);
/* n bytes of `in` were written: keep a copy while keeping. */
void replay_keep(struct conn *c, const void *bytes, size_t n);
/* A byte of an answer arrived. */
void replay_answered(struct conn *c);
/* The repository's write watcher is wanted. */
bool replay_write_wanted(const struct conn *c);
/* The repository connection failed (what: for the log) before any byte of
 * an answer: true when the kept request will be sent again on a fresh
 * connection (the connection is closed and reset to UPSTREAM_NONE); false
 * when nothing was kept or it was sent again once already. */
bool replay_resend(struct conn *c, const char *what);
/* Write the kept copy again, before anything of `in` (while
 * replay_resending); *progress set when bytes went. False when the write
 * failed. */
bool replay_send(struct conn *c, bool *progress);

/* ---- response.c ---- */

/* Connect, write the forward bytes, read the repository's bytes. */
bool response_upstream_io(struct conn *c, bool had_event);
/* Frame the repository's bytes and settle answers in queue order. */
bool response_pump(struct conn *c);
/* The repository connection failed or ended (status 502 upstream-unavailable
 * or 504 upstream-timeout; reason for the log): the first request still
 * waiting for an answer gets status if nothing of its answer went out, later
 * ones get none, and the tenant connection ends after the answers owed. */
void response_upstream_lost(struct conn *c, unsigned status, const char *code, const char *reason);
/* The request awaiting its answer got interim (1xx) answers and no final one
 * for [timeouts] upstream_response since its interim clock started: 502. */
void response_interim_expired(struct conn *c);

#endif
