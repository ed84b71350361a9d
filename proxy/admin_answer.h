/*
 * proxy/admin_answer.h: what the admin endpoint answers to one framed
 * request (routing, the view of the server, the reload); admin.c does the
 * sockets and the framing.
 */
#ifndef SLUICE_ADMIN_ANSWER_H
#define SLUICE_ADMIN_ANSWER_H

#include <stdbool.h>

#include "http.h"
#include "textbuf.h"

struct server;

/* One request as framed: the method, the target (NUL-terminated, cut at
 * ADMIN_TARGET_MAX), and whether the client wants the connection kept. */
#define ADMIN_TARGET_MAX 256
struct admin_request {
	enum http_method method;
	char target[ADMIN_TARGET_MAX + 1];
	bool keep_alive;
};

/* The whole answer (head and body) into out. Returns true when the
 * connection ends after it. */
bool admin_answer(struct server *s, const struct admin_request *req, struct textbuf *out);
/* A framing error (or a refused body): the error shape, Connection: close. */
void admin_answer_error(struct textbuf *out, unsigned status, const char *code, const char *message);

#endif
