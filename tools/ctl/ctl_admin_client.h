/*
 * tools/ctl/ctl_admin_client.h: one HTTP/1.1 exchange with sluice's admin
 * endpoint over its UNIX socket ([admin] socket).
 *
 * Each call connects, sends one request with "Connection: close", reads one
 * response (framed by protocol/http.h, so Content-Length, chunked and
 * close-delimited bodies all work) and closes. The whole exchange is bounded
 * by a timeout and the body by ADMIN_BODY_MAX.
 */
#ifndef SLUICE_CTL_ADMIN_CLIENT_H
#define SLUICE_CTL_ADMIN_CLIENT_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "ctl.h"

#define ADMIN_BODY_MAX (16u << 20)

enum admin_result {
	ADMIN_OK,        /* a complete response was read (any status code) */
	ADMIN_NO_DAEMON, /* nothing listens there: no such socket, or connection refused */
	ADMIN_FAILED     /* anything else: permission, timeout, a broken response; err says */
};

struct admin_reply {
	unsigned status; /* HTTP status code */
	char *body;      /* malloc'd, NUL-terminated (the body may hold NULs of its own) */
	size_t body_len;
};

/* method and target as sent ("GET", "/status"). On ADMIN_OK the caller owns
 * reply (admin_reply_free()); otherwise reply holds nothing and err says
 * what happened, naming the socket. */
enum admin_result admin_request(const char *socket_path, const char *method, const char *target,
				uint64_t timeout_ms, struct admin_reply *reply, struct ctl_error *err);

void admin_reply_free(struct admin_reply *reply);

/* The reply's body as it came (--json), ending with a newline. */
void admin_reply_print(FILE *out, const struct admin_reply *reply);

#endif
