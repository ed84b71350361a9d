/*
 * proxy/admin/admin_answer.h: what the admin endpoint answers to one framed
 * request (routing, the view of the server, the reload); admin.c does the
 * sockets and the framing.
 */
#ifndef SLUICE_ADMIN_ANSWER_H
#define SLUICE_ADMIN_ANSWER_H

#include <stdbool.h>

#include "http.h"
#include "admin/textbuf.h"

struct reload_result;
struct server;

/* Whether the request carried the [admin] token_file token. */
enum admin_auth {
	ADMIN_AUTH_NONE, /* no Authorization header */
	ADMIN_AUTH_OK,   /* Bearer with the configured token */
	ADMIN_AUTH_BAD   /* anything else: another token, another scheme, two headers */
};

/* One request as framed: the method, the target (NUL-terminated, cut at
 * ADMIN_TARGET_MAX), whether the client wants the connection kept, the
 * transport it came on and what its Authorization header proved. */
#define ADMIN_TARGET_MAX 256
struct admin_request {
	enum http_method method;
	char target[ADMIN_TARGET_MAX + 1];
	bool keep_alive;
	bool tcp; /* [admin] listen; false: the UNIX socket */
	enum admin_auth auth;
};

/* What admin_answer() did. */
enum admin_outcome {
	ADMIN_KEEP,  /* answered; the connection may carry another request */
	ADMIN_CLOSE, /* answered; the connection ends after it */
	ADMIN_RELOAD /* a POST /reload: nothing in out; the caller queues a
		       * reload (reload_request) and answers with
		       * admin_answer_reload() once it is done */
};

/* Compare the Authorization header of h with the running configuration's
 * token, in time independent of the token's bytes and length. */
enum admin_auth admin_auth_of(const struct server *s, const struct http_head *h);

/* At the request head: when this transport may not make this request, the
 * refusal (401 or 403, Connection: close) into out, and true. */
bool admin_refuse(struct server *s, const struct admin_request *req, struct textbuf *out);

/* The whole answer (head and body) into out. */
enum admin_outcome admin_answer(struct server *s, const struct admin_request *req, struct textbuf *out);
/* The answer to a POST /reload once its reload is done. Returns true when
 * the connection ends after it. */
bool admin_answer_reload(struct server *s, const struct admin_request *req,
			 const struct reload_result *result, struct textbuf *out);
/* A framing error (or a refused body): the error shape, Connection: close. */
void admin_answer_error(struct textbuf *out, unsigned status, const char *code, const char *message);

#endif
