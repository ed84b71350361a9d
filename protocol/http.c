/*
 * protocol/http.c: the incremental HTTP/1.x framer (see http.h for the
 * contract). The only file that includes <http_parser.h>.
 *
 * Heads: http-parser reads them. It is paused in on_headers_complete, which
 * it calls while looking at the final LF of the head, so the head's length is
 * exact; its bytes are copied into the framer's head buffer (bounded by
 * header_bytes, which is how 431 is decided). http_head.c then checks those
 * bytes strictly, and the parser's own fields (version, method, target span,
 * header count, content length, chunked flag) must agree with that check
 * before the head is reported: framing always comes from the parser, and a
 * head the two read differently is refused.
 *
 * Bodies: framed here, not by the library. A Content-Length body is counted
 * down; a chunked body goes through the strict decoder of http_chunked.c,
 * because Debian's http-parser accepts any two bytes after chunk data, chunk
 * extensions with bare LF and sizes followed by junk, none of which can be
 * seen from its callbacks.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* http_parser.h has its own enum http_method; rename its tag so that http.h's
 * can be used here too (the library only ever passes it as an int). */
#define http_method http_parser_method
#include <http_parser.h>
#undef http_method

#include "protocol/http_internal.h"

enum framer_state {
	ST_HEAD,         /* reading a head; `stored` bytes of it so far */
	ST_BODY_LENGTH,  /* body_left bytes of a Content-Length body to go */
	ST_BODY_CHUNKED, /* in a chunked body: see `chunked` */
	ST_BODY_EOF,     /* the body runs until the peer closes */
	ST_END,          /* the message is complete; HTTP_EV_END not reported yet */
	ST_DEAD          /* an error was reported; only a reset leaves this */
};

#define NO_OFFSET ((size_t)-1)

struct http_framer {
	enum http_kind kind;
	struct http_limits limits;
	enum framer_state state;
	struct http_error error;     /* ST_DEAD: reported again on every call */
	bool no_body_next;           /* http_framer_expect_no_body() is pending */
	uint64_t body_left;          /* ST_BODY_LENGTH */
	struct http_chunked chunked; /* ST_BODY_CHUNKED */
	struct http_head head;

	/* The head being read, and what the parser's callbacks saw of it. */
	http_parser parser;
	size_t stored;         /* bytes of the head in head_buf */
	const char *exec_base; /* the slice http_parser_execute() is running over */
	size_t url_start;      /* the target's span in head_buf (NO_OFFSET: none) */
	size_t url_end;
	unsigned parser_fields;     /* header names the parser reported */
	bool in_field;              /* its last callback was a header name piece */
	char *head_buf;             /* limits.header_bytes, after slots[] */
	struct http_header slots[]; /* limits.max_headers */
};

void http_limits_default(struct http_limits *limits)
{
	limits->header_bytes = 16384;
	limits->max_headers = 64;
	limits->target_bytes = 1024;
}

static bool limits_valid(const struct http_limits *l)
{
	return l->header_bytes >= HTTP_HEADER_BYTES_MIN && l->header_bytes <= HTTP_HEADER_BYTES_MAX &&
	       l->max_headers >= 1 && l->max_headers <= HTTP_MAX_HEADERS_MAX && l->target_bytes >= 1 &&
	       l->target_bytes <= l->header_bytes;
}

struct http_framer *http_framer_new(enum http_kind kind, const struct http_limits *limits)
{
	struct http_limits lim;
	struct http_framer *f;

	if (limits != NULL)
		lim = *limits;
	else
		http_limits_default(&lim);
	if ((kind != HTTP_KIND_REQUEST && kind != HTTP_KIND_RESPONSE) || !limits_valid(&lim)) {
		errno = EINVAL;
		return NULL;
	}
	f = malloc(sizeof *f + lim.max_headers * sizeof f->slots[0] + lim.header_bytes);
	if (f == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->limits = lim;
	f->head_buf = (char *)&f->slots[lim.max_headers];
	http_framer_reset(f);
	return f;
}

void http_framer_free(struct http_framer *f)
{
	free(f);
}

void http_framer_reset(struct http_framer *f)
{
	f->state = ST_HEAD;
	f->stored = 0;
	f->no_body_next = false;
	memset(&f->head, 0, sizeof f->head);
	f->head.kind = f->kind;
}

void http_framer_expect_no_body(struct http_framer *f)
{
	if (f->kind == HTTP_KIND_RESPONSE)
		f->no_body_next = true;
}

const struct http_head *http_framer_head(const struct http_framer *f)
{
	return &f->head;
}

bool http_framer_idle(const struct http_framer *f)
{
	return f->state == ST_HEAD && f->stored == 0;
}

bool http_framer_in_body(const struct http_framer *f)
{
	return f->state == ST_BODY_LENGTH || f->state == ST_BODY_CHUNKED || f->state == ST_BODY_EOF;
}

/* ---- events ---- */

static size_t die(struct http_framer *f, unsigned status, const char *code, const char *reason,
		  struct http_event *ev)
{
	f->state = ST_DEAD;
	f->error = (struct http_error){ status, code, reason };
	ev->type = HTTP_EV_ERROR;
	ev->status = status;
	ev->code = code;
	ev->reason = reason;
	return 0;
}

static size_t bad(struct http_framer *f, const char *reason, struct http_event *ev)
{
	return die(f, 400, HTTP_CODE_BAD_REQUEST, reason, ev);
}

static void end_message(struct http_framer *f, struct http_event *ev)
{
	ev->type = HTTP_EV_END;
	f->state = ST_HEAD;
	f->stored = 0;
}

static size_t body_event(struct http_event *ev, const char *data, size_t len)
{
	ev->type = HTTP_EV_BODY;
	ev->data = data;
	ev->len = len;
	return len;
}

/* ---- heads ---- */

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct http_framer *f = p->data;
	size_t off = f->stored + (size_t)(at - f->exec_base);

	if (f->url_start == NO_OFFSET)
		f->url_start = off;
	f->url_end = off + len;
	return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_framer *f = p->data;

	if (!f->in_field)
		f->parser_fields++;
	f->in_field = true;
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_framer *f = p->data;

	f->in_field = false;
	return 0;
}

/* Called while the parser looks at the head's final LF: stop right there. */
static int on_headers_complete(http_parser *p)
{
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings parser_settings = {
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
};

static void begin_head(struct http_framer *f)
{
	http_parser_init(&f->parser, f->kind == HTTP_KIND_REQUEST ? HTTP_REQUEST : HTTP_RESPONSE);
	f->parser.data = f;
	f->url_start = NO_OFFSET;
	f->url_end = 0;
	f->parser_fields = 0;
	f->in_field = false;
	memset(&f->head, 0, sizeof f->head);
	f->head.kind = f->kind;
}

static const char *parser_error_reason(enum http_errno e)
{
	switch (e) {
	case HPE_INVALID_METHOD:
		return "unknown or malformed method";
	case HPE_INVALID_URL:
	case HPE_INVALID_HOST:
	case HPE_INVALID_PORT:
	case HPE_INVALID_PATH:
	case HPE_INVALID_QUERY_STRING:
	case HPE_INVALID_FRAGMENT:
		return "malformed request target";
	case HPE_INVALID_VERSION:
		return "malformed HTTP version";
	case HPE_INVALID_STATUS:
		return "malformed status code";
	case HPE_INVALID_CONSTANT:
		return "malformed request or status line";
	case HPE_LF_EXPECTED:
		return "bare CR (CR not followed by LF)";
	case HPE_INVALID_HEADER_TOKEN:
		return "invalid byte in a header line";
	case HPE_INVALID_CONTENT_LENGTH:
		return "malformed Content-Length";
	case HPE_UNEXPECTED_CONTENT_LENGTH:
		return "second Content-Length, or Content-Length with Transfer-Encoding";
	case HPE_INVALID_TRANSFER_ENCODING:
		return "Transfer-Encoding other than chunked";
	default:
		return http_errno_description(e);
	}
}

static bool refuse(struct http_error *err, const char *reason)
{
	err->status = 400;
	err->code = HTTP_CODE_BAD_REQUEST;
	err->reason = reason;
	return false;
}

static bool disagree(struct http_error *err)
{
	return refuse(err, "ambiguous head: http-parser and the strict check read it differently");
}

/* The parser's fields must say what the strict scan says. */
static bool agree_with_parser(const struct http_framer *f, const struct http_head_facts *facts,
			      struct http_error *err)
{
	const http_parser *p = &f->parser;
	const struct http_head *h = &f->head;
	bool parser_length = (p->flags & F_CONTENTLENGTH) != 0;
	bool parser_chunked = (p->flags & F_CHUNKED) != 0;

	/* A response's upgrade flag means 101, which choose_body() refuses. */
	if (p->http_major != h->version_major || p->http_minor != h->version_minor ||
	    (p->upgrade && h->kind == HTTP_KIND_REQUEST) || f->parser_fields != h->header_count ||
	    parser_length != (facts->content_length_count != 0) ||
	    (parser_length && p->content_length != facts->content_length) ||
	    parser_chunked != (facts->transfer_encoding_count != 0) ||
	    p->uses_transfer_encoding != facts->transfer_encoding_count)
		return disagree(err);
	if (h->kind == HTTP_KIND_RESPONSE)
		return p->status_code == h->status || disagree(err);
	if (!http_str_eq(h->method_name, http_method_str((enum http_parser_method)p->method)) ||
	    f->url_start != (size_t)(h->target.ptr - f->head_buf) ||
	    f->url_end - f->url_start != h->target.len)
		return disagree(err);
	return true;
}

/* RFC 9112 §6.3, strictly: which body follows this head. The parser's fields
 * (already checked against the strict scan) decide. */
static bool choose_body(struct http_framer *f, struct http_error *err)
{
	struct http_head *h = &f->head;
	bool chunked = (f->parser.flags & F_CHUNKED) != 0;
	bool length = (f->parser.flags & F_CONTENTLENGTH) != 0;
	uint64_t content_length = length ? f->parser.content_length : 0;
	bool final;

	if (chunked && length)
		return refuse(err, "both Content-Length and Transfer-Encoding");
	if (chunked && h->version_minor == 0)
		return refuse(err, "Transfer-Encoding on HTTP/1.0");
	h->content_length = content_length;
	if (h->kind == HTTP_KIND_REQUEST) {
		if ((chunked || content_length != 0) &&
		    (h->method == HTTP_METHOD_GET || h->method == HTTP_METHOD_HEAD))
			return refuse(err, "GET or HEAD request with a body");
		h->body = chunked ? HTTP_BODY_CHUNKED : length ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
		return true;
	}
	if (h->status == 101)
		return refuse(err, "101 Switching Protocols is not accepted");
	final = h->status >= 200;
	if (!final || h->status == 204) {
		if (chunked || content_length != 0)
			return refuse(err, "1xx or 204 response with a body length");
		h->body = HTTP_BODY_NONE;
	} else if (h->status == 304 || f->no_body_next) {
		h->body = HTTP_BODY_NONE;
	} else {
		h->body = chunked ? HTTP_BODY_CHUNKED : length ? HTTP_BODY_LENGTH : HTTP_BODY_UNTIL_EOF;
	}
	if (final && f->no_body_next) {
		f->parser.flags |= F_SKIPBODY; /* for http_should_keep_alive() */
		f->no_body_next = false;
	}
	return true;
}

static void enter_body(struct http_framer *f)
{
	switch (f->head.body) {
	case HTTP_BODY_LENGTH:
		f->body_left = f->head.content_length;
		f->state = f->body_left != 0 ? ST_BODY_LENGTH : ST_END;
		break;
	case HTTP_BODY_CHUNKED:
		http_chunked_init(&f->chunked);
		f->state = ST_BODY_CHUNKED;
		break;
	case HTTP_BODY_UNTIL_EOF:
		f->state = ST_BODY_EOF;
		break;
	case HTTP_BODY_NONE:
		f->state = ST_END;
		break;
	}
}

/* The head is in head_buf: check it, cross-check it, decide its body. */
static bool finish_head(struct http_framer *f, struct http_event *ev)
{
	struct http_head_facts facts;
	struct http_error err;

	if (!http_head_scan(f->head_buf, f->stored, &f->limits, f->slots, &f->head, &facts, &err) ||
	    !agree_with_parser(f, &facts, &err) || !choose_body(f, &err)) {
		die(f, err.status, err.code, err.reason, ev);
		return false;
	}
	f->head.keep_alive = http_should_keep_alive(&f->parser) != 0;
	enter_body(f);
	ev->type = HTTP_EV_HEAD;
	return true;
}

/* http_parser_execute() over a slice of a head, reading a tab in the
 * whitespace after a Content-Length value as the space it is equivalent to
 * (RFC 9110: OWS = SP / HTAB). http-parser 2.9.4 skips tabs before the
 * digits, but stops with HPE_INVALID_CONTENT_LENGTH at a tab after them,
 * where it takes spaces. Only there, and only for a tab byte, it is resumed
 * as if a space had been read: from then on it reads the value as it reads
 * "5 ", so only more whitespace may follow ("5\t5" still fails, on the
 * second 5). The strict scan (http_head.c) trims the same OWS, and
 * agree_with_parser() still compares the two lengths. The bytes kept in
 * head_buf, and forwarded, are the ones received. */
static size_t execute(struct http_framer *f, const char *data, size_t len)
{
	size_t done = 0;

	f->exec_base = data; /* on_url: offsets in the slice, which the head buffer gets */
	while (done < len) { /* (a length of 0 would tell the parser the stream ended) */
		done += http_parser_execute(&f->parser, &parser_settings, data + done, len - done);
		if (HTTP_PARSER_ERRNO(&f->parser) != HPE_INVALID_CONTENT_LENGTH || done == len ||
		    data[done] != '\t')
			break;
		f->parser.http_errno = HPE_OK;
		if (http_parser_execute(&f->parser, &parser_settings, " ", 1) != 1 ||
		    HTTP_PARSER_ERRNO(&f->parser) != HPE_OK)
			break; /* not OWS after all: the error stands */
		done++;
	}
	return done;
}

static size_t feed_head(struct http_framer *f, const char *data, size_t len, struct http_event *ev)
{
	size_t room = f->limits.header_bytes - f->stored;
	size_t n = len < room ? len : room;
	size_t parsed;
	enum http_errno e;

	if (n == 0)
		return 0;
	if (f->stored == 0)
		begin_head(f);
	parsed = execute(f, data, n);
	e = HTTP_PARSER_ERRNO(&f->parser);
	if (e == HPE_PAUSED && parsed < n) {
		/* data[parsed] ends the head; the strict scan checks it is LF. */
		memcpy(f->head_buf + f->stored, data, parsed + 1);
		f->stored += parsed + 1;
		return finish_head(f, ev) ? parsed + 1 : 0;
	}
	if (e == HPE_HEADER_OVERFLOW)
		return die(f, 431, HTTP_CODE_TOO_LARGE, "head larger than [limits] header_bytes", ev);
	if (e != HPE_OK)
		return bad(f, parser_error_reason(e), ev);
	if (parsed != n)
		return bad(f, "http-parser stopped inside a head", ev);
	memcpy(f->head_buf + f->stored, data, n);
	f->stored += n;
	if (f->stored == f->limits.header_bytes)
		return die(f, 431, HTTP_CODE_TOO_LARGE, "head larger than [limits] header_bytes", ev);
	return n;
}

/* ---- bodies ---- */

static size_t feed_length(struct http_framer *f, const char *data, size_t len, struct http_event *ev)
{
	size_t n = (uint64_t)len < f->body_left ? len : (size_t)f->body_left;

	if (n == 0)
		return 0;
	f->body_left -= n;
	if (f->body_left == 0)
		f->state = ST_END;
	return body_event(ev, data, n);
}

static size_t feed_chunked(struct http_framer *f, const char *data, size_t len, struct http_event *ev)
{
	struct http_str payload;
	const char *reason;
	size_t n = http_chunked_feed(&f->chunked, data, len, &payload, &reason);

	if (reason != NULL)
		return bad(f, reason, ev);
	if (payload.len != 0)
		body_event(ev, payload.ptr, payload.len);
	else if (f->chunked.state == CHUNKED_DONE)
		end_message(f, ev);
	return n;
}

/* ---- the public entry points ---- */

static size_t report_dead(const struct http_framer *f, struct http_event *ev)
{
	ev->type = HTTP_EV_ERROR;
	ev->status = f->error.status;
	ev->code = f->error.code;
	ev->reason = f->error.reason;
	return 0;
}

size_t http_framer_feed(struct http_framer *f, const char *data, size_t len, struct http_event *ev)
{
	*ev = (struct http_event){ .type = HTTP_EV_NONE };
	switch (f->state) {
	case ST_DEAD:
		return report_dead(f, ev);
	case ST_END:
		end_message(f, ev);
		return 0;
	case ST_HEAD:
		return feed_head(f, data, len, ev);
	case ST_BODY_LENGTH:
		return feed_length(f, data, len, ev);
	case ST_BODY_CHUNKED:
		return feed_chunked(f, data, len, ev);
	case ST_BODY_EOF:
		return len != 0 ? body_event(ev, data, len) : 0;
	}
	return 0;
}

void http_framer_eof(struct http_framer *f, struct http_event *ev)
{
	*ev = (struct http_event){ .type = HTTP_EV_NONE };
	switch (f->state) {
	case ST_DEAD:
		report_dead(f, ev);
		return;
	case ST_END:
	case ST_BODY_EOF:
		end_message(f, ev);
		return;
	case ST_HEAD:
		if (f->stored != 0)
			bad(f, "connection closed inside a head", ev);
		return;
	default:
		bad(f, "connection closed inside a body", ev);
		return;
	}
}

const char *http_status_text(unsigned status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 417:
		return "Expectation Failed";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 507:
		return "Insufficient Storage";
	default:
		return "Unknown";
	}
}
