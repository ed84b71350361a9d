/*
 * tools/repo/repo_respond.c: the output buffer and the answers (see repo_respond.h).
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/http.h"
#include "repo_respond.h"
#include "protocol/tsp.h"

#define OUTBUF_MIN 4096
#define OUTBUF_KEEP (1024 * 1024) /* an emptied buffer larger than this is freed */
#define ERROR_BODY_MAX 1024

void outbuf_init(struct outbuf *b)
{
	memset(b, 0, sizeof *b);
}

void outbuf_free(struct outbuf *b)
{
	free(b->data);
	outbuf_init(b);
}

bool outbuf_reserve(struct outbuf *b, size_t n)
{
	size_t cap;
	char *data;

	if (b->cap - b->off - b->len >= n)
		return true;
	if (b->off > 0) { /* slide the pending bytes to the front first */
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
		if (b->cap - b->len >= n)
			return true;
	}
	for (cap = b->cap ? b->cap : OUTBUF_MIN; cap - b->len < n; cap *= 2)
		if (cap > SIZE_MAX / 4)
			return false;
	data = realloc(b->data, cap);
	if (data == NULL)
		return false;
	b->data = data;
	b->cap = cap;
	return true;
}

bool outbuf_append(struct outbuf *b, const void *data, size_t n)
{
	if (!outbuf_reserve(b, n))
		return false;
	memcpy(outbuf_tail(b), data, n);
	b->len += n;
	return true;
}

bool outbuf_printf(struct outbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (size_t room = 256;;) {
		if (!outbuf_reserve(b, room))
			return false;
		room = b->cap - b->off - b->len;
		va_start(ap, fmt);
		n = vsnprintf(outbuf_tail(b), room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return false;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return true;
		}
		room = (size_t)n + 1;
	}
}

void outbuf_consume(struct outbuf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (b->len == 0) {
		b->off = 0;
		if (b->cap > OUTBUF_KEEP)
			outbuf_free(b);
	}
}

void outbuf_clear(struct outbuf *b)
{
	b->off = b->len = 0;
}

static bool status_line(struct outbuf *out, unsigned status)
{
	return outbuf_printf(out, "HTTP/1.1 %u %s\r\n", status, http_status_text(status));
}

bool respond_json(struct outbuf *out, unsigned status, const char *body, size_t len, bool close)
{
	return status_line(out, status) &&
	       outbuf_printf(out, "Content-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n", len,
			     close ? "Connection: close\r\n" : "") &&
	       outbuf_append(out, body, len);
}

bool repo_respond_error(struct outbuf *out, unsigned status, const char *code, const char *message,
			const struct repo_respond_extra *extra)
{
	static const struct repo_respond_extra none = { false, NULL, false };
	char body[ERROR_BODY_MAX];
	size_t len = tsp_error_body(body, sizeof body, code, message);

	if (extra == NULL)
		extra = &none;
	if (len >= sizeof body)
		len = strlen(body); /* cut, never inside an escape */
	return status_line(out, status) &&
	       outbuf_printf(out, "Content-Type: application/json\r\nContent-Length: %zu\r\n", len) &&
	       (extra->allow == NULL || outbuf_printf(out, "Allow: %s\r\n", extra->allow)) &&
	       (!extra->www_authenticate ||
		outbuf_printf(out, "WWW-Authenticate: Basic realm=\"tsp\"\r\n")) &&
	       outbuf_printf(out, "%s\r\n", extra->close ? "Connection: close\r\n" : "") &&
	       outbuf_append(out, body, len);
}

bool respond_no_content(struct outbuf *out, bool close)
{
	return status_line(out, 204) && outbuf_printf(out, "%s\r\n", close ? "Connection: close\r\n" : "");
}

bool respond_continue(struct outbuf *out)
{
	return outbuf_printf(out, "HTTP/1.1 100 Continue\r\n\r\n");
}

bool respond_block_head(struct outbuf *out, uint32_t bytes, const char *digest_hex, bool close)
{
	return status_line(out, 200) &&
	       outbuf_printf(out,
			     "Content-Type: application/octet-stream\r\nContent-Length: %u\r\n"
			     "Tsp-Digest: sha256=%s\r\n%s\r\n",
			     (unsigned)bytes, digest_hex, close ? "Connection: close\r\n" : "");
}
