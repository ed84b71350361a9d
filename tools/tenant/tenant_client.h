/*
 * tools/tenant/tenant_client.h: one TSP/1 client connection: requests out, answers
 * framed with protocol/http.h and read into values. Blocking; one thread
 * uses a client at a time. The client (re)connects by itself and sends the
 * session hello first on every new connection; a request that finds its
 * reused connection closed by the server is retried once on a new one when
 * it is idempotent (GET, PUT).
 */
#ifndef SLUICE_TENANT_CLIENT_H
#define SLUICE_TENANT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "tenant_report.h"
#include "protocol/tsp.h"

/* How long a body waits for "100 Continue" before it is sent anyway
 * (RFC 9110 §10.1.1), for servers that do not answer Expect. */
#define CLIENT_CONTINUE_WAIT_MS 1000
#define CLIENT_TEXT_MAX 4096 /* JSON answers kept; longer ones are cut */

/* What every connection of a run shares (read-only). */
struct client_setup {
	const char *host;
	const char *port;
	const char *host_header;
	SSL_CTX *tls;            /* NULL: plain HTTP */
	char authorization[300]; /* "Basic <base64(tenant:secret)>" */
};

/* One request. headers: extra header lines, each ending in CRLF, or NULL.
 * A body is sent with Content-Length and Expect: 100-continue. A 2xx
 * answer's body goes to read_into (at most read_cap bytes) when that is set;
 * every other body to answer.text. */
struct call {
	const char *method;
	const char *target;
	const char *headers;
	const void *body;
	size_t body_len;
	unsigned char *read_into;
	size_t read_cap;
};

struct answer {
	unsigned status;
	char code[REPORT_CODE_MAX];       /* error answers: the body's "error" */
	char message[REPORT_MESSAGE_MAX]; /* error answers: "message", else "<status> <reason>" */
	bool has_digest;                  /* a well-formed Tsp-Digest came */
	char digest[TSP_DIGEST_HEX + 1];  /* its hex */
	char maintenance[16];             /* Tsp-Maintenance, or "" */
	size_t body_len;                  /* body bytes received (all of them) */
	bool body_overflow;               /* more than fitted where it went */
	char text[CLIENT_TEXT_MAX];       /* the body when not read_into; NUL-terminated */
};

/* The session hello's answer (PROTOCOL.md §4.1). */
struct hello {
	unsigned status;          /* 200, or the refusal's status */
	uint64_t max_block_bytes; /* TSP_BLOCK_MAX when not announced */
	struct notice notice;     /* maintenance announced by the proxy */
	struct failure why;       /* status != 200 */
};

struct client;

/* Fill setup; false when the credentials cannot be encoded. */
bool client_setup_init(struct client_setup *setup, const char *host, const char *port,
		       const char *host_header, SSL_CTX *tls, const char *tenant, const char *secret);

struct client *tenant_client_new(const struct client_setup *setup);
void tenant_client_free(struct client *c);

/* A new connection (closing any previous one) and its hello. False on a
 * connection error (err filled); a refused hello is an answer, in *hello. */
bool client_connect(struct client *c, struct hello *hello, char *err, size_t errsize);

/* One exchange. False on a connection error (err filled); any HTTP answer,
 * error statuses included, is true with *ans filled. */
bool client_call(struct client *c, const struct call *call, struct answer *ans, char *err, size_t errsize);

/* The answer as a failure for the statistics. */
void answer_failure(const struct answer *ans, struct failure *why);

#endif
