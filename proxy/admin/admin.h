/*
 * proxy/admin/admin.h: the admin endpoint: HTTP/1.1 on [admin] socket (a
 * UNIX socket, mode [admin] socket_mode) and optionally on [admin] listen (a
 * loopback TCP address, for Prometheus).
 *
 *   GET  /status   200 JSON (admin_status.c)
 *   GET  /metrics  200 Prometheus text format 0.0.4 (metrics.c)
 *   GET  /health   200 "active", or 503 with the state word
 *   GET  /plan     200 JSON: what maintenance on now would do (admin_plan.c;
 *                  ?mode=drain|block&tenants=a,b), 400 for a bad query
 *   POST /reload   a reload (reload.c, coalesced with SIGHUP and other
 *                  POST /reload), answered once it is done:
 *                  200 {"result":"ok","generation":N} or
 *                  422 {"result":"failed","generation":N,"error":"FILE:LINE: ..."}
 *   else           404 / 405 in the proxy's error shape (respond.h)
 *
 * Who may ask: on the UNIX socket anyone who can connect (its file mode is
 * the guard). On TCP, GET (and HEAD) /metrics and /health are open; every
 * other request needs "Authorization: Bearer TOKEN" with the token of
 * [admin] token_file (compared in constant time): without it, or with
 * another, 401 with "WWW-Authenticate: Bearer"; with no token_file set, 403.
 * Both close the connection.
 *
 * Requests are framed by protocol/http.h, one at a time per client (pipelined
 * requests wait in a small buffer), bodies refused, every client bounded in
 * bytes, in the time it takes to send a request head ([admin] header_timeout,
 * counted from the head's first byte and not restarted by later ones) and in
 * idle time between requests (ADMIN_IDLE_SECONDS); each transport has its own
 * cap of [admin] max_clients, so clients of one cannot lock out the other.
 * Nothing blocks the loop but the reload itself. The endpoint only reads
 * state: maintenance is changed through the INI file alone.
 */
#ifndef SLUICE_ADMIN_H
#define SLUICE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

struct server;

#define ADMIN_IDLE_SECONDS 10.0      /* a client silent this long between requests is closed */
#define ADMIN_ANSWER_MAX (16u << 20) /* the largest answer (a status of a huge draining set) */

/* Create the sockets (a stale UNIX socket file from a crashed run is
 * replaced; one a live process answers on is an error) and start serving.
 * True with nothing done when no admin socket is configured. False with err
 * naming the key and the fix. Needs s->loop. */
/* *no_directory is set when the UNIX socket could not be bound because its
 * directory is missing or not writable (a foreground run may go on without
 * the endpoint); any other failure, a live socket in particular, is fatal. */
bool admin_open(struct server *s, char *err, size_t err_size, bool *no_directory);
/* Close every client and socket and remove the socket file. */
void admin_close(struct server *s);

#endif
