/*
 * tools/repo/repo_handler.h: one TSP/1 request from its head to its answer:
 * classification (protocol/tsp.h, the same code the proxy runs),
 * authentication, the catalog operation, the answer. The connection (repo_conn.c)
 * feeds it the head, the body slices and the end, and sends what it wrote.
 */
#ifndef SLUICE_REPO_HANDLER_H
#define SLUICE_REPO_HANDLER_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol/http.h"
#include "repo.h"

enum body_mode {
	BODY_NONE = 0, /* no request in progress, or no body */
	BODY_STORE,    /* block data to the store, hashed on the way */
	BODY_COUNT,    /* --discard: block data counted and dropped */
	BODY_DROP      /* the request was refused at its head: body read and dropped */
};

struct request {
	const char *peer; /* for the log (the connection's) */
	struct tsp_request tsp;
	bool classified;
	bool has_body;
	bool expect_continue; /* Expect: 100-continue */
	bool close;           /* the connection ends after the answer */
	enum body_mode body;
	uint64_t received; /* body bytes so far */
	struct store_block_writer writer;
	double started; /* for the log */
	char method[16];
	char target[128]; /* for the log, possibly cut */
};

/* A block the connection streams after the head in out. */
struct file_stream {
	int fd; /* -1 when none */
	uint64_t left;
};

void request_init(struct request *q, const char *peer);

/* The head is complete. Writes any answer (or 100 Continue) into out and may
 * open a block to stream. Returns false when the connection must close once
 * out is sent, reading nothing more. */
bool handler_head(struct repo *repo, struct request *q, const struct http_head *head, struct outbuf *out,
		  struct file_stream *file, double now);
void handler_body(struct request *q, const char *data, size_t len);
/* The request's last byte arrived: the answer of a block write. */
void handler_end(struct repo *repo, struct request *q, struct outbuf *out, double now);
/* The connection ended mid-request: nothing of it is kept. */
void handler_abort(struct request *q);

#endif
