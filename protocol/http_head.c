/*
 * protocol/http_head.c: the strict check of one complete HTTP/1.x head.
 *
 * http-parser (as Debian builds it) accepts far more than HTTP allows: spaces
 * in header names, obs-fold, bare LF line ends, double spaces in the request
 * line, HTTP/0.9 (protocol/PROTOCOL.md section 13). This file reads the
 * very bytes the parser framed, once, left to right, and accepts only:
 *
 *   request-line = method SP origin-form SP "HTTP/1." ("0" / "1") CRLF
 *   status-line  = "HTTP/1." ("0" / "1") SP 3DIGIT [ SP reason ] CRLF
 *   header-line  = token ":" OWS *field-byte OWS CRLF      (no obs-fold)
 *   end          = CRLF
 *
 * and at most one Host, Content-Length and Transfer-Encoding (exactly
 * "chunked"); requests carry no Upgrade, no CONNECT, and no Expect but
 * 100-continue. Repeated credentials are the classifier's to refuse (401),
 * not a framing matter. Header fields point into the raw head; nothing is
 * copied.
 */
#include "autoconfig.h"

#include <string.h>

#include "protocol/http_internal.h"

/* Byte classes, RFC 9110 §5.6.2 and §5.5. */
#define C_TCHAR 1 /* token character */
#define C_FIELD 2 /* allowed in a field value or reason phrase: HTAB SP VCHAR obs-text */
#define C_VCHAR 4 /* visible ASCII, 0x21-0x7E: the request target */

static const unsigned char byte_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 7, 6, 7, 7, 7, 7, 7, 6, 6, 7, 7, 6, 7, 7, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6,
	6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 7, 6, 7, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static bool is_class(char c, unsigned char cls)
{
	return (byte_class[(unsigned char)c] & cls) != 0;
}

static bool fail(struct http_error *err, const char *reason)
{
	err->status = 400;
	err->code = HTTP_CODE_BAD_REQUEST;
	err->reason = reason;
	return false;
}

/* A cursor over the raw head; every read checks p < end. */
struct cursor {
	const char *p;
	const char *end;
};

static bool at(const struct cursor *c, char ch)
{
	return c->p < c->end && *c->p == ch;
}

/* Skip 1*class; returns how many bytes were skipped. */
static size_t skip_class(struct cursor *c, unsigned char cls)
{
	const char *start = c->p;

	while (c->p < c->end && is_class(*c->p, cls))
		c->p++;
	return (size_t)(c->p - start);
}

/* CR LF at the cursor; otherwise name what is there instead. */
static bool expect_crlf(struct cursor *c, const char *junk, struct http_error *err)
{
	if (at(c, '\n'))
		return fail(err, "bare LF as a line end (CRLF required)");
	if (!at(c, '\r'))
		return fail(err, junk);
	if (c->end - c->p < 2 || c->p[1] != '\n')
		return fail(err, "bare CR (CR not followed by LF)");
	c->p += 2;
	return true;
}

/* "HTTP/1.0" or "HTTP/1.1". */
static bool scan_version(struct cursor *c, struct http_head *head, struct http_error *err)
{
	const char *p = c->p;

	if (c->end - p < 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' || p[5] < '0' || p[5] > '9' ||
	    p[7] < '0' || p[7] > '9')
		return fail(err, "malformed HTTP version (HTTP/1.0 or HTTP/1.1 expected)");
	if (p[5] != '1' || (p[7] != '0' && p[7] != '1'))
		return fail(err, "HTTP version other than 1.0 or 1.1");
	head->version_major = 1;
	head->version_minor = (unsigned)(p[7] - '0');
	c->p += 8;
	return true;
}

static bool scan_target(struct cursor *c, const struct http_limits *limits, struct http_head *head,
			struct http_error *err)
{
	const char *start = c->p;
	size_t len;

	if (at(c, ' '))
		return fail(err, "more than one space after the method");
	if (at(c, '*'))
		return fail(err, "asterisk-form request target (origin form only)");
	if (!at(c, '/'))
		return fail(err, "request target not in origin form (must start with /)");
	len = skip_class(c, C_VCHAR);
	if (len > limits->target_bytes)
		return fail(err, "request target longer than [limits] target_bytes");
	if (at(c, '\r') || at(c, '\n'))
		return fail(err, "request line without an HTTP version (HTTP/0.9)");
	if (!at(c, ' '))
		return fail(err, "invalid byte in the request target (visible ASCII only)");
	head->target = (struct http_str){ start, len };
	c->p++;
	if (at(c, ' '))
		return fail(err, "more than one space before the HTTP version");
	return true;
}

static const struct {
	const char *name;
	enum http_method method;
} method_names[] = {
	{ "GET", HTTP_METHOD_GET }, { "HEAD", HTTP_METHOD_HEAD },     { "POST", HTTP_METHOD_POST },
	{ "PUT", HTTP_METHOD_PUT }, { "DELETE", HTTP_METHOD_DELETE }, { "OPTIONS", HTTP_METHOD_OPTIONS },
};

static bool scan_request_line(struct cursor *c, const struct http_limits *limits, struct http_head *head,
			      struct http_error *err)
{
	const char *start = c->p;
	size_t len, i;

	if (at(c, '\r') || at(c, '\n'))
		return fail(err, "empty line before the request line");
	len = skip_class(c, C_TCHAR);
	if (len == 0)
		return fail(err, "request line does not start with a method");
	if (!at(c, ' '))
		return fail(err, "method not followed by a single space");
	head->method_name = (struct http_str){ start, len };
	if (http_str_eq(head->method_name, "CONNECT"))
		return fail(err, "CONNECT is not accepted");
	head->method = HTTP_METHOD_OTHER;
	for (i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
		if (http_str_eq(head->method_name, method_names[i].name))
			head->method = method_names[i].method;
	c->p++;
	if (!scan_target(c, limits, head, err) || !scan_version(c, head, err))
		return false;
	return expect_crlf(c, "junk after the HTTP version", err);
}

static bool scan_status_line(struct cursor *c, struct http_head *head, struct http_error *err)
{
	const char *p;

	if (!scan_version(c, head, err))
		return false;
	if (!at(c, ' ') || c->end - c->p < 4)
		return fail(err, "status line: HTTP version not followed by a single space");
	p = ++c->p;
	if (p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
		return fail(err, "status code not three digits in 100-599");
	head->status = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
	c->p += 3;
	if (at(c, ' ')) {
		c->p++;
		skip_class(c, C_FIELD);
	}
	return expect_crlf(c, "invalid byte in the status line", err);
}

/* One "name: value" line; the cursor is at a byte that is not whitespace. */
static bool scan_header_line(struct cursor *c, struct http_header *h, struct http_error *err)
{
	const char *name = c->p, *value, *value_end;
	size_t name_len = skip_class(c, C_TCHAR);

	if (!at(c, ':')) {
		if (at(c, ' ') || at(c, '\t'))
			return fail(err, "whitespace in a header name or before its colon");
		if (at(c, '\r') || at(c, '\n'))
			return fail(err, "header line without a colon");
		return fail(err, "invalid byte in a header name");
	}
	if (name_len == 0)
		return fail(err, "empty header name");
	c->p++;
	while (at(c, ' ') || at(c, '\t'))
		c->p++;
	value = c->p;
	skip_class(c, C_FIELD);
	value_end = c->p;
	while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
		value_end--;
	if (at(c, '\0'))
		return fail(err, "NUL byte in a header value");
	if (!expect_crlf(c, "control character in a header value", err))
		return false;
	h->name = (struct http_str){ name, name_len };
	h->value = (struct http_str){ value, (size_t)(value_end - value) };
	return true;
}

static bool scan_header_lines(struct cursor *c, const struct http_limits *limits, struct http_header *slots,
			      struct http_head *head, struct http_error *err)
{
	unsigned count = 0;

	while (!at(c, '\r') && !at(c, '\n')) {
		if (c->p >= c->end)
			return fail(err, "head ends inside a header line");
		if (at(c, ' ') || at(c, '\t'))
			return fail(err, count == 0 ? "whitespace before the first header line"
						    : "obs-fold (header line starting with whitespace)");
		if (count == limits->max_headers) {
			err->status = 431;
			err->code = HTTP_CODE_TOO_LARGE;
			err->reason = "more header lines than [limits] max_headers";
			return false;
		}
		if (!scan_header_line(c, &slots[count], err))
			return false;
		count++;
	}
	head->headers = slots;
	head->header_count = count;
	return expect_crlf(c, "head does not end with an empty line", err);
}

/* Content-Length = 1*DIGIT, below 2^63 (http-parser uses all ones as "absent"). */
static bool parse_content_length(struct http_str v, uint64_t *out, struct http_error *err)
{
	uint64_t n = 0;
	size_t i;

	if (v.len == 0)
		return fail(err, "empty Content-Length");
	for (i = 0; i < v.len; i++) {
		unsigned d = (unsigned)(unsigned char)v.ptr[i] - '0';

		if (d > 9)
			return fail(err, "Content-Length is not a plain decimal number");
		if (n > (UINT64_MAX / 2 - d) / 10)
			return fail(err, "Content-Length too large");
		n = n * 10 + d;
	}
	*out = n;
	return true;
}

static bool check_request_header(const struct http_header *h, struct http_head *head,
				 struct http_head_facts *facts, struct http_error *err)
{
	if (http_str_ieq(h->name, "Upgrade"))
		return fail(err, "Upgrade header (protocol switch) is not accepted");
	if (http_str_ieq(h->name, "Expect")) {
		/* HTTP would answer 417; the contract keeps every refusal of a
		 * malformed head at 400. HTTP/1.0 peers do not know 100-continue. */
		if (!http_str_ieq(h->value, "100-continue"))
			return fail(err, "Expect other than 100-continue");
		head->expect_continue = head->version_minor == 1;
	} else if (http_str_ieq(h->name, "Authorization")) {
		/* The first one. A second does not touch framing: the profiles
		 * refuse it as credentials (401, PROTOCOL.md section 2). */
		if (head->authorization.ptr == NULL)
			head->authorization = h->value;
	} else if (http_str_ieq(h->name, "Host")) {
		if (++facts->host_count > 1)
			return fail(err, "more than one Host header");
		head->host = h->value;
	}
	return true;
}

/* The headers that decide framing, identity and protocol switches. */
static bool check_fields(struct http_head *head, struct http_head_facts *facts, struct http_error *err)
{
	unsigned i;

	for (i = 0; i < head->header_count; i++) {
		const struct http_header *h = &head->headers[i];

		if (http_str_ieq(h->name, "Content-Length")) {
			if (++facts->content_length_count > 1)
				return fail(err, "more than one Content-Length header");
			if (!parse_content_length(h->value, &facts->content_length, err))
				return false;
		} else if (http_str_ieq(h->name, "Transfer-Encoding")) {
			if (++facts->transfer_encoding_count > 1)
				return fail(err, "more than one Transfer-Encoding header");
			if (!http_str_ieq(h->value, "chunked"))
				return fail(err, "Transfer-Encoding other than chunked");
		} else if (http_str_ieq(h->name, "Upgrade")) {
			facts->upgrade = true;
		}
		if (head->kind == HTTP_KIND_REQUEST && !check_request_header(h, head, facts, err))
			return false;
	}
	return true;
}

bool http_head_scan(const char *raw, size_t len, const struct http_limits *limits, struct http_header *slots,
		    struct http_head *head, struct http_head_facts *facts, struct http_error *err)
{
	struct cursor c = { raw, raw + len };
	bool ok;

	memset(facts, 0, sizeof *facts);
	if (head->kind == HTTP_KIND_REQUEST)
		ok = scan_request_line(&c, limits, head, err);
	else
		ok = scan_status_line(&c, head, err);
	if (!ok || !scan_header_lines(&c, limits, slots, head, err) || !check_fields(head, facts, err))
		return false;
	if (c.p != c.end)
		return fail(err, "head framing disagreement (bytes after the empty line)");
	head->raw = raw;
	head->head_bytes = len;
	return true;
}

const struct http_header *http_head_find(const struct http_head *head, const char *name)
{
	unsigned i;

	for (i = 0; i < head->header_count; i++)
		if (http_str_ieq(head->headers[i].name, name))
			return &head->headers[i];
	return NULL;
}

bool http_str_eq(struct http_str s, const char *literal)
{
	size_t n = strlen(literal);

	return s.len == n && (n == 0 || memcmp(s.ptr, literal, n) == 0);
}

static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

bool http_str_ieq(struct http_str s, const char *literal)
{
	size_t i, n = strlen(literal);

	if (s.len != n)
		return false;
	for (i = 0; i < n; i++)
		if (ascii_lower((unsigned char)s.ptr[i]) != ascii_lower((unsigned char)literal[i]))
			return false;
	return true;
}
