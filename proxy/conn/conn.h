/*
 * proxy/conn/conn.h: a tenant connection as the rest of the daemon sees it:
 * accept one on a socket, stop or abort it, describe it, and the host's own
 * bookkeeping kept in it. The connection itself (its rings, queue and
 * states) is private to proxy/conn/ (conn_internal.h); what it needs from
 * the process is its context (conn_context.h).
 */
#ifndef SLUICE_CONN_H
#define SLUICE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "conn/conn_context.h"

struct conn;

/* What the host keeps per connection, embedded in it so that no allocation
 * is needed: its list, its per-address and per-tenant counts (opaque here),
 * and whether the connection was accepted over a limit. The engine sets
 * conn and busy before conn_added() and touches nothing else. */
struct conn_host_slot {
	LIST_ENTRY(conn_host_slot) link;
	struct conn *conn;
	void *address_count; /* the host's count for the peer's address */
	void *tenant_count;  /* the host's count for the tenant; NULL until counted */
	bool busy;           /* accepted over a connection limit: every request gets 503 busy */
	bool reserved;       /* the host counted it when it admitted it */
	void *owner;         /* the host's: which of its loops runs the connection */
	/* [maintenance] mode = hold: the host's list of connections holding a
	 * request, in the order they were held (the engine touches none of it) */
	TAILQ_ENTRY(conn_host_slot) hold_link;
	bool held;               /* in that list */
	uint64_t hold_round;     /* the host's release round it was held in */
	const char *held_tenant; /* the held request's tenant (valid while held) */
};

/* A tenant connection on an accepted socket (non-blocking), run in ctx.
 * busy: answer 503 busy to its first request, then close. Returns false
 * (fd closed) when out of memory. */
bool conn_accept(struct conn_context *ctx, int fd, const struct sockaddr *peer, socklen_t peer_len,
		 bool busy);
/* Maintenance changed: decide the held request again (forward it, refuse it,
 * or hold it again through the context's hold callback), then go on. c may
 * be freed on return. */
void conn_release(struct conn *c);
/* Graceful stop: finish the message in flight, answer what is owed, close. */
void conn_stop(struct conn *c);
/* Close now, whatever is in flight (shutdown deadline, exit). */
void conn_abort(struct conn *c);
/* One line for the debug log: state, queue, buffer fill, repository
 * connection, what blocks. Returns buf. */
const char *conn_describe(const struct conn *c, char *buf, size_t size);
/* The host's bookkeeping of c. */
struct conn_host_slot *conn_host_slot(struct conn *c);

#endif
