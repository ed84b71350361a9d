/*
 * proxy/server_conns.h: the server's side of the connection context
 * (conn/conn_context.h): the list of tenant connections in struct server,
 * their counts per client address ([limits] connections_per_address) and per
 * tenant ([limits] tenant_connections), and the callbacks the connection
 * engine calls. The counts live in struct server (server.h).
 */
#ifndef SLUICE_SERVER_CONNS_H
#define SLUICE_SERVER_CONNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct server;

/* Fill s->conn_ctx from s (its loop, policy, job table and profile are
 * made): every field and callback but those of other modules ([schedule]'s
 * planned, set by server.c). Connections accepted from here on run in it;
 * server_apply() keeps its configuration current. */
void server_conns_init(struct server *s);

/* The policy may have changed: decide every held request again, first held
 * first, once the current event is over (a connection settling is what
 * ticks the policy, and it must not be run again from inside itself). */
void server_wake_held(struct server *s);
/* Stop the timer of server_wake_held() (exit). */
void server_holds_stop(struct server *s);

/* Whether peer's address already holds per_address connections. */
bool server_address_full(const struct server *s, const struct sockaddr *peer, size_t per_address);

#endif
