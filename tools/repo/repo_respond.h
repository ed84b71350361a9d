/*
 * tools/repo/repo_respond.h: sluice-repo's answers, written into a connection's
 * output buffer. Every answer is HTTP/1.1 with a Content-Length (none on 1xx
 * and 204); JSON bodies are compact; errors carry the body of PROTOCOL.md
 * §8.2 and, when the connection ends after them, Connection: close.
 */
#ifndef SLUICE_REPO_RESPOND_H
#define SLUICE_REPO_RESPOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer: bytes [off, off + len) are pending. */
struct outbuf {
	char *data;
	size_t off, len, cap;
};

void outbuf_init(struct outbuf *b);
void outbuf_free(struct outbuf *b);
/* Makes room for n more bytes at the tail; false when out of memory. */
bool outbuf_reserve(struct outbuf *b, size_t n);
static inline char *outbuf_tail(struct outbuf *b)
{
	return b->data + b->off + b->len;
}
static inline void outbuf_commit(struct outbuf *b, size_t n)
{
	b->len += n;
}
bool outbuf_append(struct outbuf *b, const void *data, size_t n);
bool outbuf_printf(struct outbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops n sent bytes from the front; an empty buffer over 1 MiB is freed. */
void outbuf_consume(struct outbuf *b, size_t n);
void outbuf_clear(struct outbuf *b);

struct repo_respond_extra {
	bool close;            /* Connection: close (the connection ends after it) */
	const char *allow;     /* 405: Allow */
	bool www_authenticate; /* 401: WWW-Authenticate: Basic realm="tsp" */
};

/* A JSON body (body[0..len)) with the given status. */
bool respond_json(struct outbuf *out, unsigned status, const char *body, size_t len, bool close);
/* {"error":code,"message":message}. extra may be NULL. */
bool repo_respond_error(struct outbuf *out, unsigned status, const char *code, const char *message,
			const struct repo_respond_extra *extra);
bool respond_no_content(struct outbuf *out, bool close);
bool respond_continue(struct outbuf *out);
/* The head of a block read; the bytes follow from the file. */
bool respond_block_head(struct outbuf *out, uint32_t bytes, const char *digest_hex, bool close);

#endif
