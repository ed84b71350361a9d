/*
 * protocol/http.h: strict, incremental HTTP/1.x framing of one direction of one
 * connection, on top of http-parser. protocol/http.c is the only file that
 * includes <http_parser.h>, so a later parser swap touches one file.
 *
 * The framer never copies a body. It copies the head (bounded by
 * http_limits.header_bytes) so that the fields below survive slice boundaries.
 * Pointers in struct http_head point into the framer's own storage and stay
 * valid until the first byte of the next message is fed (so through the
 * message's HTTP_EV_END) or http_framer_reset().
 *
 * Pull API: the caller feeds a slice and gets back one event and the number of
 * bytes consumed up to and including that event; it feeds the rest again, and
 * keeps feeding (with len 0 once the slice is used up) until HTTP_EV_NONE:
 *
 *     for (;;) {
 *         size_t n = http_framer_feed(f, data, len, &ev);
 *         ... bytes [data, data + n) are the raw bytes that led to ev ...
 *         data += n; len -= n;
 *         if (ev.type == HTTP_EV_NONE || ev.type == HTTP_EV_ERROR)
 *             break;
 *         ... handle ev ...
 *     }
 *
 * A loop on "len > 0" alone misses the HTTP_EV_END of a message whose last
 * byte is the last byte of the slice (every GET, every Content-Length body).
 *
 * Exact positions (tests hold the framer to these):
 *   HTTP_EV_HEAD  consumed ends right after the final LF of the head, so the
 *                 caller can forward or hold the head bytes before any body.
 *   HTTP_EV_BODY  ev.data/ev.len is payload inside the consumed bytes (for
 *                 chunked bodies the chunk payload, without the framing) and
 *                 ends them; ev.len > 0.
 *   HTTP_EV_END   consumed ends right after the last byte of the message. For
 *                 a message without a body or with a Content-Length body the
 *                 last byte was consumed by the HEAD or the last BODY event, so
 *                 END consumes 0 bytes (it is reported even when len is 0).
 *   HTTP_EV_ERROR ev.status/ev.code/ev.reason say why; the framer is dead
 *                 until http_framer_reset(): later feeds report the same error.
 *                 An error consumes 0 bytes; nothing from the error on is valid.
 *   HTTP_EV_NONE  the whole slice was consumed without completing an event.
 * A slice may hold several pipelined messages; each is reported in turn.
 *
 * The head is checked strictly before HTTP_EV_HEAD is reported (the grammar
 * is at the top of http_head.c and http_chunked.c; PROTOCOL.md, security):
 * every byte of a head that reaches the caller has passed. What is TSP's rule
 * rather than HTTP's (Host required, no request Transfer-Encoding, the target's
 * shape) is left to tsp_classify(). Bodies cost nothing per byte:
 * Content-Length bodies are counted, chunked bodies only have their framing
 * bytes looked at.
 */
#ifndef SLUICE_HTTP_H
#define SLUICE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum http_kind {
	HTTP_KIND_REQUEST, /* tenant -> repository */
	HTTP_KIND_RESPONSE /* repository -> tenant */
};

enum http_method {
	HTTP_METHOD_OTHER = 0, /* anything else the parser accepted (rejected by tsp) */
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_PUT,
	HTTP_METHOD_DELETE,
	HTTP_METHOD_OPTIONS
};

/* How the body of the current message is delimited. */
enum http_body_kind {
	HTTP_BODY_NONE,     /* no body (GET without length, 204, 304, 1xx, HEAD response) */
	HTTP_BODY_LENGTH,   /* Content-Length bytes */
	HTTP_BODY_CHUNKED,  /* Transfer-Encoding: chunked */
	HTTP_BODY_UNTIL_EOF /* response without length: ends at connection close */
};

enum http_event_type { HTTP_EV_NONE = 0, HTTP_EV_HEAD, HTTP_EV_BODY, HTTP_EV_END, HTTP_EV_ERROR };

struct http_limits {
	size_t header_bytes;  /* whole head, request/status line included (default 16384) */
	unsigned max_headers; /* header lines per message (default 64) */
	size_t target_bytes;  /* request target (default 1024) */
};

/* Ranges http_framer_new() accepts (the configuration checks against these). */
#define HTTP_HEADER_BYTES_MIN 64
#define HTTP_HEADER_BYTES_MAX 65536 /* below http-parser's own 80 KiB bound */
#define HTTP_MAX_HEADERS_MAX 1024   /* max_headers: 1..this */
/* target_bytes: 1..header_bytes */

/* A byte string inside the framer's head storage; not NUL-terminated. */
struct http_str {
	const char *ptr;
	size_t len;
};

struct http_header {
	struct http_str name;  /* a valid token, as received (case preserved) */
	struct http_str value; /* leading/trailing whitespace removed */
};

struct http_head {
	enum http_kind kind;
	unsigned version_major, version_minor; /* 1.0 or 1.1 */
	enum http_method method;               /* requests */
	struct http_str method_name;           /* requests: as received */
	struct http_str target;                /* requests: origin-form target */
	unsigned status;                       /* responses */

	/* Framing, taken from the parser's own fields, never from header text. */
	enum http_body_kind body;
	uint64_t content_length; /* valid when body == HTTP_BODY_LENGTH */
	bool keep_alive;         /* connection may carry another message */
	bool expect_continue;    /* request carried Expect: 100-continue */

	/* Convenience copies of the headers the proxy needs (len 0 = absent). */
	struct http_str host;
	struct http_str authorization; /* the first one; a second is left to the
					* classifier (tsp_check_auth: 401) */

	/* Every header, in order. */
	const struct http_header *headers;
	unsigned header_count;

	const char *raw;   /* the head as received, head_bytes of it */
	size_t head_bytes; /* raw size of the head on the wire */
};

struct http_event {
	enum http_event_type type;
	const char *data; /* HTTP_EV_BODY: payload span inside the fed slice */
	size_t len;
	/* HTTP_EV_ERROR: 400 "bad-request" or 431 "header-too-large", and a static
	 * reason naming the rule. On a response stream they describe the
	 * response (the proxy answers the tenant 502 and closes both sides). */
	unsigned status;
	const char *code;
	const char *reason;
};

struct http_framer; /* opaque */

void http_limits_default(struct http_limits *limits);

/* NULL with errno ENOMEM on allocation failure, EINVAL when a limit is out of
 * the ranges above; limits NULL means the defaults. The limits are copied.
 * This is the framer's only allocation. */
struct http_framer *http_framer_new(enum http_kind kind, const struct http_limits *limits);
void http_framer_free(struct http_framer *f);
/* Back to "start of a message"; also clears a dead framer. */
void http_framer_reset(struct http_framer *f);

size_t http_framer_feed(struct http_framer *f, const char *data, size_t len, struct http_event *ev);

/* The peer closed its side. Returns HTTP_EV_END when that ends a
 * close-delimited response (or an END not yet collected by a feed),
 * HTTP_EV_NONE when between messages, and HTTP_EV_ERROR (400, the framer is
 * then dead) when a message was cut short. */
void http_framer_eof(struct http_framer *f, struct http_event *ev);

/* Responses only: the next final (non-1xx) response head to complete answers a
 * HEAD request, so it has no body whatever its headers say. Call before that
 * head is complete; one call covers one response. No effect on requests. */
void http_framer_expect_no_body(struct http_framer *f);

/* The head of the message being framed (valid from HTTP_EV_HEAD until the
 * next message's first byte is fed; zeroed before the first head). */
const struct http_head *http_framer_head(const struct http_framer *f);

/* True between messages: the last message's HTTP_EV_END has been reported
 * and nothing of a next message has been fed. False once dead. */
bool http_framer_idle(const struct http_framer *f);
/* True while bytes of the current message's body are still expected: its head
 * was reported and its body is not complete. False for a message without a
 * body (or with Content-Length: 0) between its HEAD and END, between
 * messages, and once dead. */
bool http_framer_in_body(const struct http_framer *f);

/* Case-insensitive header lookup in a head; NULL when absent. */
const struct http_header *http_head_find(const struct http_head *head, const char *name);

/* Connection is hop-by-hop (RFC 9110 7.6.1): the proxy does not forward a
 * request's own. The lines of head->raw that carry it, each from its name to
 * its LF, in order, when there are at most HTTP_HOP_LINES_MAX of them and
 * every option they name is keep-alive or close; 0 otherwise (none, or an
 * option naming another header, which the head then keeps as received). */
#define HTTP_HOP_LINES_MAX 4
struct http_line {
	size_t offset; /* from the head's first byte */
	size_t len;
};
size_t http_head_hop_lines(const struct http_head *head, struct http_line lines[HTTP_HOP_LINES_MAX]);

/* Helpers shared by the peers and the proxy. */
bool http_str_eq(struct http_str s, const char *literal);  /* exact */
bool http_str_ieq(struct http_str s, const char *literal); /* ASCII case-insensitive */
const char *http_status_text(unsigned status);             /* "Service Unavailable" */

#endif
