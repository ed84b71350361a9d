/*
 * proxy/server_conns.h: the host's side of the connection context
 * (conn/conn_context.h): each worker's list of tenant connections, their
 * counts per client address ([limits] connections_per_address) and per
 * tenant ([limits] tenant_connections), the held requests, and the
 * callbacks the connection engine calls. The counts live in struct server
 * (server.h), the lists in struct worker (worker.h).
 */
#ifndef SLUICE_SERVER_CONNS_H
#define SLUICE_SERVER_CONNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct server;

/* Admission, under server.lock: count a new connection (busy: over a
 * limit) toward the totals and its address; the count for the address is
 * returned for conn_added(). unreserve gives it back. */
void *server_reserve(struct server *s, const struct sockaddr *peer, bool busy);
void server_unreserve(struct server *s, void *address_count, bool busy);

/* The policy may have changed: decide every held request again, first held
 * first, once the current event is over (a connection settling is what
 * ticks the policy, and it must not be run again from inside itself). */
void server_wake_held(struct server *s);

/* Whether peer's address already holds per_address connections. */
bool server_address_full(const struct server *s, const struct sockaddr *peer, size_t per_address);

#endif
