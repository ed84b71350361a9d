/*
 * proxy/conn/conn_context.h: what a tenant connection needs from the process
 * that runs it, and nothing more. Types only.
 *
 * The connection engine (conn.c, request.c, response.c, exchange.c) reaches
 * the rest of the daemon only through one struct conn_context: the event
 * loop, the counters it moves, the memory and repository connections it
 * borrows, the policy and job table it asks, the current configuration, and
 * a few callbacks for what only the host knows (its clock, its per-address
 * and per-tenant accounting, the policy's tick). The server fills one in
 * (server.c) and keeps it current on reload; a unit test fills one with a
 * fake clock and socket pairs (tests/unit/conn_fixture.c). Nothing under
 * proxy/conn/ includes a header of the process layer or of admin/
 * (tests/check-layers.sh).
 */
#ifndef SLUICE_CONN_CONTEXT_H
#define SLUICE_CONN_CONTEXT_H

#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include <ev.h>

#include "conn/conn_counters.h"
#include "conn/conn_memory.h"
#include "net/runconf.h"
#include "net/upstream_pool.h"
#include "policy/jobs.h"
#include "policy/policy.h"
#include "policy/request_stats.h"
#include "profile.h"

struct conn;

struct conn_context {
	struct ev_loop *loop;
	struct server_counters *counters; /* moved by every connection */
	struct conn_spares *spares;       /* rings and framers between requests */
	struct upstream_pool *upool;      /* idle repository connections (taken and parked) */
	struct policy *policy;
	struct jobs *jobs;
	struct request_stats *request_stats;
	const struct profile *profile; /* [proxy] profile, fixed at start */
	struct runconf *conf;          /* the current configuration (the host holds the
					       * reference; new connections take their own) */
	void *host;                    /* for the callbacks */

	/* The policy, the job table and the request statistics may be shared
	 * with other threads ([proxy] workers): the engine calls lock before it
	 * asks or tells them and unlock after. Recursive (the callbacks below
	 * may lock again); NULL = one thread, nothing to lock. */
	void (*lock)(const struct conn_context *ctx);
	void (*unlock)(const struct conn_context *ctx);

	/* Seconds on the monotonic clock of the policy and the job table. */
	double (*now)(const struct conn_context *ctx);
	/* The wall-clock time of a now() moment (the hello notice's "since"). */
	time_t (*wall_time)(const struct conn_context *ctx, double mono);
	/* A connection begins (busy: accepted over a limit) and ends: the host's
	 * list and per-address count (conn_host_slot() is the host's to use). */
	void (*conn_added)(struct conn_context *ctx, struct conn *c, const struct sockaddr *peer);
	void (*conn_removed)(struct conn_context *ctx, struct conn *c);
	/* [proxy] proxy_protocol: c's PROXY header names peer as the tenant:
	 * count c toward peer's address from now on instead of the socket's.
	 * False = over [limits] connections_per_address for peer (c closes,
	 * counted as connections_refused). NULL: nothing is moved. */
	bool (*peer_changed)(struct conn_context *ctx, struct conn *c, const struct sockaddr *peer);
	/* [limits] tenant_connections (limit, of the connection's configuration;
	 * 0 = none): may a request of tenant go on on c? */
	bool (*tenant_admit)(const struct conn_context *ctx, struct conn *c, const char *tenant, int limit);
	/* The repository accepted (2xx) a request of tenant on c: count c
	 * toward that tenant from now on (later calls do nothing). */
	void (*tenant_accepted)(struct conn_context *ctx, struct conn *c, const char *tenant);
	/* A forwarded request settled in the job table: the policy may move
	 * (a drain completes); the host ticks it and logs what changed. */
	void (*after_settle)(struct conn_context *ctx);
	/* A [schedule] window running now, or announced ([schedule] notice):
	 * its wall-clock start and end. NULL or false = none. */
	bool (*planned)(const struct conn_context *ctx, int64_t *start, int64_t *end);
	/* [maintenance] mode = hold: c parks a request of tenant (its head is
	 * not forwarded and nothing more of c is framed) until the host calls
	 * conn_release(c) after a policy change, or [maintenance] hold_timeout
	 * passes. False = no room ([limits] held_requests): refuse it instead.
	 * unhold takes c out of the host's list (nothing when it is not in it).
	 * NULL hold: nothing is ever held. */
	bool (*hold)(struct conn_context *ctx, struct conn *c, const char *tenant);
	void (*unhold)(struct conn_context *ctx, struct conn *c);
};

#endif
