/*
 * proxy/admin/admin_health.h: [admin] health_listen, a plain HTTP listener
 * for a load balancer's health check that serves GET and HEAD /health and
 * nothing else.
 *
 * It is one more transport of the admin endpoint (admin.c): the same
 * clients, framing, bounds ([admin] max_clients of its own, header_timeout,
 * ADMIN_IDLE_SECONDS) and the same /health answer (200 "active", or 503 with
 * the state word: admin_answer.c). What this file adds: the socket, bound to
 * any address (a balancer on another host must reach it, unlike [admin]
 * listen, which is loopback only), and the filter that answers 404 to every
 * other target, before any rule of the admin endpoint is applied.
 */
#ifndef SLUICE_ADMIN_HEALTH_H
#define SLUICE_ADMIN_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "admin/admin_answer.h"
#include "conf/config.h"

/* The bound, non-blocking socket of addr (not yet listening) into *fd, or
 * false with err naming the key and the fix. */
bool admin_health_bind(const struct config_address *addr, int *fd, char *err, size_t err_size);

/* At the request head, on the health listener: any target but /health is
 * answered 404 into out (Connection: close), and true. */
bool admin_health_refuse(const struct admin_request *req, struct textbuf *out);

#endif
