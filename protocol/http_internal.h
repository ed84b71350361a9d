/*
 * protocol/http_internal.h: what the framer's files share; not for callers.
 *
 * http.c drives http-parser and frames bodies; http_head.c checks a complete
 * head byte by byte and extracts its fields; http_chunked.c decodes chunked
 * bodies strictly. The framer cross-checks the two
 * views (http_head_facts against the parser's own fields) before it reports
 * a head, so a head the library and the strict scan read differently is an
 * error, never a message.
 */
#ifndef SLUICE_HTTP_INTERNAL_H
#define SLUICE_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/http.h"

#define HTTP_CODE_BAD_REQUEST "bad-request"
#define HTTP_CODE_TOO_LARGE "header-too-large"

struct http_error {
	unsigned status;    /* 400 or 431 */
	const char *code;   /* HTTP_CODE_* */
	const char *reason; /* static text */
};

/* What the strict scan counted, for the framer's checks and cross-checks. */
struct http_head_facts {
	unsigned host_count;
	unsigned content_length_count;
	unsigned transfer_encoding_count; /* each one was exactly "chunked" */
	bool upgrade;                     /* an Upgrade header was present */
	uint64_t content_length;          /* valid when content_length_count == 1 */
};

/*
 * Check raw[0, len), one complete head ending in CRLF CRLF, and fill *head
 * (strings point into raw, headers into slots[0, limits->max_headers)).
 * head->kind must be set. Framing fields (body, keep_alive) are left to the
 * caller. Returns false with *err filled on the first violation.
 */
bool http_head_scan(const char *raw, size_t len, const struct http_limits *limits, struct http_header *slots,
		    struct http_head *head, struct http_head_facts *facts, struct http_error *err);

/* The strict chunked decoder (http_chunked.c). */
enum http_chunked_state {
	CHUNKED_SIZE,       /* hex digits of a chunk-size line, then CR */
	CHUNKED_SIZE_LF,    /* CR seen after the size: LF must follow */
	CHUNKED_DATA,       /* `size` payload bytes of this chunk to go */
	CHUNKED_DATA_CR,    /* the payload must be followed by CR ... */
	CHUNKED_DATA_LF,    /* ... and LF */
	CHUNKED_TRAILER_CR, /* after the last chunk only the empty line: CR ... */
	CHUNKED_TRAILER_LF, /* ... and LF */
	CHUNKED_DONE        /* the body's last byte has been consumed */
};

struct http_chunked {
	enum http_chunked_state state;
	uint64_t size;   /* CHUNKED_SIZE: the size so far; CHUNKED_DATA: bytes to go */
	unsigned digits; /* CHUNKED_SIZE: hex digits so far */
};

void http_chunked_init(struct http_chunked *c);

/*
 * Consume framing bytes from data[0, len) up to and including the first
 * payload span (returned in *payload, len > 0, ending the consumed bytes),
 * the end of the body (state CHUNKED_DONE) or the end of the slice.
 * On a violation returns 0 with *reason set; the decoder is then unusable.
 */
size_t http_chunked_feed(struct http_chunked *c, const char *data, size_t len, struct http_str *payload,
			 const char **reason);

#endif
