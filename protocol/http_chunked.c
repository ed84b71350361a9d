/*
 * protocol/http_chunked.c: a strict decoder for chunked bodies.
 *
 * Debian's http-parser accepts any two bytes after chunk data, chunk
 * extensions containing bare LF, and sizes followed by junk, and none of that
 * is visible from its callbacks; so the framer decodes chunked bodies here:
 *
 *   chunked-body = *chunk last-chunk CRLF
 *   chunk        = 1*16HEXDIG CRLF 1*OCTET CRLF
 *   last-chunk   = 1*16"0" CRLF
 *
 * No extensions, no trailer fields. Only framing bytes are looked at, one by
 * one; a payload span is handed out whole, without looking inside it.
 */
#include "autoconfig.h"

#include "protocol/http_internal.h"

#define SIZE_DIGITS_MAX 16 /* fills a uint64_t */

void http_chunked_init(struct http_chunked *c)
{
	c->state = CHUNKED_SIZE;
	c->size = 0;
	c->digits = 0;
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static const char *size_byte(struct http_chunked *c, char ch)
{
	int v = hex_value(ch);

	if (v >= 0) {
		if (c->digits == SIZE_DIGITS_MAX)
			return "chunk size longer than 16 hex digits";
		c->size = c->size << 4 | (uint64_t)v;
		c->digits++;
		return NULL;
	}
	if (c->digits == 0)
		return "chunk-size line does not start with a hex digit";
	if (ch == ';')
		return "chunk extensions are not accepted";
	if (ch == ' ' || ch == '\t')
		return "whitespace after the chunk size";
	if (ch == '\n')
		return "bare LF after the chunk size";
	if (ch != '\r')
		return "invalid byte in the chunk size";
	c->state = CHUNKED_SIZE_LF;
	return NULL;
}

/* One framing byte; a reason on a violation. */
static const char *framing_byte(struct http_chunked *c, char ch)
{
	switch (c->state) {
	case CHUNKED_SIZE:
		return size_byte(c, ch);
	case CHUNKED_SIZE_LF:
		if (ch != '\n')
			return "bare CR after the chunk size";
		c->state = c->size != 0 ? CHUNKED_DATA : CHUNKED_TRAILER_CR;
		c->digits = 0;
		return NULL;
	case CHUNKED_DATA_CR:
		if (ch != '\r')
			return "chunk data not followed by CRLF";
		c->state = CHUNKED_DATA_LF;
		return NULL;
	case CHUNKED_DATA_LF:
		if (ch != '\n')
			return "chunk data not followed by CRLF";
		c->state = CHUNKED_SIZE;
		c->size = 0;
		return NULL;
	case CHUNKED_TRAILER_CR:
		if (ch != '\r')
			return "trailer fields are not accepted";
		c->state = CHUNKED_TRAILER_LF;
		return NULL;
	case CHUNKED_TRAILER_LF:
		if (ch != '\n')
			return "bare CR after the last chunk";
		c->state = CHUNKED_DONE;
		return NULL;
	case CHUNKED_DATA:
	case CHUNKED_DONE:
		break;
	}
	return "internal: chunked decoder fed outside its framing";
}

size_t http_chunked_feed(struct http_chunked *c, const char *data, size_t len, struct http_str *payload,
			 const char **reason)
{
	size_t i = 0;

	*payload = (struct http_str){ NULL, 0 };
	*reason = NULL;
	while (i < len && c->state != CHUNKED_DONE) {
		if (c->state == CHUNKED_DATA) {
			size_t n = (uint64_t)(len - i) < c->size ? len - i : (size_t)c->size;

			c->size -= n;
			if (c->size == 0)
				c->state = CHUNKED_DATA_CR;
			*payload = (struct http_str){ data + i, n };
			return i + n;
		}
		*reason = framing_byte(c, data[i++]);
		if (*reason != NULL)
			return 0;
	}
	return i;
}
