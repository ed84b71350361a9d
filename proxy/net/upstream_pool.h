/*
 * proxy/net/upstream_pool.h: idle repository connections kept for reuse (the
 * way HAProxy keeps idle server connections and nginx's upstream keepalive
 * does).
 *
 * Park. A tenant connection that ends hands its repository connection here
 * when it is provably clean (struct upstream_park_facts: connected, every
 * forwarded byte written, no answer awaited, nothing unframed, no close
 * asked for or announced), when it belongs to the current configuration and
 * when fewer than [limits] upstream_idle_connections are parked; otherwise
 * the caller closes it as before. 0 turns pooling off.
 *
 * Watch. A parked connection is watched for readability only: any byte or
 * EOF means the repository closed it or misbehaves, and it is closed. It is
 * closed after [timeouts] upstream_idle too (keep that below the repository's
 * own idle timeout), when a reload brings a new configuration (its address or
 * TLS settings may have changed) and at stop.
 *
 * Take. A tenant connection that needs the repository takes the most
 * recently parked connection of its own configuration (LIFO: the warmest, the
 * furthest from any idle timeout), checks with a non-blocking MSG_PEEK that
 * the repository has not closed it since the last event, and connects only
 * when none is left.
 *
 * The race no peek avoids: the repository may close a parked connection
 * while the first request taken onto it is on its way (its idle timeout
 * fired as the request arrived). The tenant connection handles it, the way
 * HAProxy's `http-reuse safe` does (conn/response.c): only a first request
 * that fits in [limits] buffer_bytes goes on a reused connection (a larger
 * one gets a fresh connection); its bytes are kept as they are written and
 * nothing after them is sent until the first byte of an answer arrives; if
 * the connection turns out closed before that byte, the request is sent
 * again, once, on a fresh connection (sluice_upstream_resent_total). A
 * repository that closed without a byte of an answer did not answer it, so
 * the tenant sees one answer, never a 502 for that race.
 */
#ifndef SLUICE_UPSTREAM_POOL_H
#define SLUICE_UPSTREAM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <ev.h>

#include "net/counter.h"
#include "net/runconf.h"
#include "net/upstream.h"

/* Why a parked connection was closed (sluice_upstream_idle_closed_total). */
enum upstream_idle_close {
	UPSTREAM_IDLE_EXPIRED = 0, /* parked for [timeouts] upstream_idle */
	UPSTREAM_IDLE_REPOSITORY,  /* the repository closed it or sent bytes while it was parked */
	UPSTREAM_IDLE_RELOAD,      /* a reload replaced its configuration or lowered the bound */
	UPSTREAM_IDLE_CLOSE_COUNT
};

struct upstream_pool_stats {
	uint64_t connects;                          /* repository connections begun (connects) */
	uint64_t reused;                            /* taken from the pool instead of connecting */
	uint64_t resent;                            /* first requests sent again: the reused
						     * connection closed before answering */
	uint64_t parked;                            /* put in the pool when their tenant connection ended */
	uint64_t closed[UPSTREAM_IDLE_CLOSE_COUNT]; /* parked ones closed, by why */
	size_t idle;                                /* parked now (a gauge) */
};

/* What a tenant connection knows about its repository connection when it
 * ends; any one of these keeps the connection out of the pool. */
struct upstream_park_facts {
	bool ready;             /* connected (and verified) and not closed */
	bool request_pending;   /* forwarded bytes not yet written, or a forwarded
	                            * request whose body is still being read */
	bool response_pending;  /* an answer is awaited or is being framed */
	bool stray_bytes;       /* bytes from the repository that answer nothing yet */
	bool repository_closed; /* it closed its side (EOF) or failed */
	bool tainted;           /* part of a request that was cut went to it */
	bool close_requested;   /* a request asked for Connection: close (the
	                            * repository closes after its answer) */
};

struct upstream_idle; /* one parked connection (upstream_pool.c) */

struct upstream_pool {
	struct ev_loop *loop;
	TAILQ_HEAD(upstream_idle_list, upstream_idle) parked; /* newest first */
	size_t count;
	size_t bound;        /* [limits] upstream_idle_connections; 0: no pooling */
	double idle_seconds; /* [timeouts] upstream_idle */
	uint64_t serial;     /* the configuration every parked connection belongs to */
	bool closed;         /* stopping: nothing is parked any more */
	ev_timer expiry;
	struct upstream_pool_stats *stats;
};

/* An empty pool on loop, counting into stats; pooling is off until
 * upstream_pool_set(). */
void upstream_pool_init(struct upstream_pool *p, struct ev_loop *loop, struct upstream_pool_stats *stats);

/* A configuration (generation serial) is now current: connections of any
 * other generation are closed, and those over the bound; the idle timeout
 * applies from now. */
void upstream_pool_set(struct upstream_pool *p, size_t bound, double idle_seconds, uint64_t serial);

/* NULL when facts allow parking; else why not, for the log. Pure. */
const char *upstream_park_check(const struct upstream_park_facts *facts);

/* Take u (of configuration serial) into the pool: true when parked (u is
 * then GONE, nothing of it closed), false with *why set when the facts or
 * the pool say no (u is untouched: the caller closes it). */
bool upstream_pool_park(struct upstream_pool *p, struct upstream *u, uint64_t serial,
			const struct upstream_park_facts *facts, const char **why);

/* A repository connection for u: an idle one of rc's generation when there
 * is one (UPSTREAM_STEP_READY at once, u->reused set), else upstream_open().
 * Counts connects and reuses. */
enum upstream_step upstream_pool_open(struct upstream_pool *p, struct upstream *u, const struct runconf *rc,
				      endpoint_cb *cb, void *owner, char *why, size_t why_size);

/* A fresh repository connection for u (upstream_open), never an idle one;
 * counted as a connect. */
enum upstream_step upstream_pool_connect(struct upstream_pool *p, struct upstream *u,
					 const struct runconf *rc, endpoint_cb *cb, void *owner, char *why,
					 size_t why_size);

/* Close what was parked before now - [timeouts] upstream_idle (the expiry
 * timer calls this with ev_now()). */
void upstream_pool_expire(struct upstream_pool *p, double now);

/* Close every parked connection and park none from now on (stop, exit). */
void upstream_pool_close(struct upstream_pool *p);

#endif
