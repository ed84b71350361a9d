/*
 * tests/unit/test_http_api.c: the framer's limits, end of stream, HEAD
 * responses, reset, head lifetime and lookups, byte classes, large bodies.
 */
#include "autoconfig.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"
#include "http_trace.h"
#include "http_vectors.h"

static struct http_framer *framer(enum http_kind kind, const struct http_limits *limits)
{
	struct http_framer *f = http_framer_new(kind, limits);

	assert_non_null(f);
	return f;
}

/* Feed a string (one slice) until `stop`, the end of it, or an error. */
static struct http_event feed_until(struct http_framer *f, const char *s, enum http_event_type stop)
{
	size_t len = strlen(s), off = 0;
	struct http_event ev;

	do
		off += http_framer_feed(f, s + off, len - off, &ev);
	while (ev.type != stop && ev.type != HTTP_EV_NONE && ev.type != HTTP_EV_ERROR);
	return ev;
}

static void expect_event(struct http_framer *f, const char *s, enum http_event_type type)
{
	struct http_event ev = feed_until(f, s, type);

	if (ev.type != type)
		fail_msg("event %d, expected %d (%s)", ev.type, type,
			 ev.type == HTTP_EV_ERROR ? ev.reason : "no error");
}

/* ---- limits ---- */

static void test_limits_default(void **state)
{
	struct http_limits l;

	http_limits_default(&l);
	assert_int_equal(l.header_bytes, 16384);
	assert_int_equal(l.max_headers, 64);
	assert_int_equal(l.target_bytes, 1024);
}

static void test_new_rejects_bad_limits(void **state)
{
	static const struct http_limits bad[] = {
		{ HTTP_HEADER_BYTES_MIN - 1, 64, 32 },
		{ HTTP_HEADER_BYTES_MAX + 1, 64, 1024 },
		{ 16384, 0, 1024 },
		{ 16384, HTTP_MAX_HEADERS_MAX + 1, 1024 },
		{ 16384, 64, 0 },
		{ 1024, 64, 1025 },
	};
	struct http_limits ok = { HTTP_HEADER_BYTES_MAX, HTTP_MAX_HEADERS_MAX, HTTP_HEADER_BYTES_MAX };
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		assert_null(http_framer_new(HTTP_KIND_REQUEST, &bad[i]));
		assert_int_equal(errno, EINVAL);
	}
	errno = 0;
	assert_null(http_framer_new((enum http_kind)7, NULL));
	assert_int_equal(errno, EINVAL);
	http_framer_free(framer(HTTP_KIND_RESPONSE, &ok));
	http_framer_free(framer(HTTP_KIND_REQUEST, NULL));
}

/* "GET /<target> HTTP/1.1\r\n" then `headers` lines "X-Nn: <pad>" sized so
 * that the whole head is exactly head_len bytes. */
static size_t build_head(char *buf, size_t size, size_t target_len, unsigned headers, size_t head_len)
{
	size_t n = 0, fixed;
	unsigned i;

	n += (size_t)snprintf(buf, size, "GET /");
	memset(buf + n, 't', target_len - 1);
	n += target_len - 1;
	n += (size_t)snprintf(buf + n, size - n, " HTTP/1.1\r\n");
	fixed = n + headers * strlen("X-00: \r\n") + 2;
	assert_true(head_len >= fixed + headers);
	for (i = 0; i < headers; i++) {
		size_t pad = i + 1 < headers ? 1 : head_len - fixed - (headers - 1);

		n += (size_t)snprintf(buf + n, size - n, "X-%02u: ", i);
		memset(buf + n, 'v', pad);
		n += pad;
		n += (size_t)snprintf(buf + n, size - n, "\r\n");
	}
	n += (size_t)snprintf(buf + n, size - n, "\r\n");
	assert_int_equal(n, head_len);
	return n;
}

static void run_limited(const char *buf, size_t len, const struct http_limits *l, unsigned status,
			const char *reason)
{
	struct trace_input in = { HTTP_KIND_REQUEST, buf, len, l, 0, false };
	static struct trace t;

	trace_run(&t, &in, NULL, 0);
	if (status == 0) {
		assert_false(t.failed);
		assert_int_equal(t.n, 1);
		assert_int_equal(t.msg[0].head_bytes, len);
	} else {
		assert_true(t.failed);
		assert_int_equal(t.status, status);
		assert_non_null(strstr(t.reason, reason));
		assert_int_equal(t.n, 0);
	}
	trace_check_splits(&in, &t, false);
}

static void test_header_bytes_bound(void **state)
{
	struct http_limits l = { 256, 64, 64 };
	char buf[512];

	run_limited(buf, build_head(buf, sizeof buf, 8, 3, 256), &l, 0, NULL);
	run_limited(buf, build_head(buf, sizeof buf, 8, 3, 257), &l, 431, "header_bytes");
}

/* 431 as soon as the bound is reached, not when (if ever) the head ends. */
static void test_header_bytes_unterminated(void **state)
{
	struct http_limits l = { 256, 64, 64 };
	struct http_framer *f = framer(HTTP_KIND_REQUEST, &l);
	char buf[300];
	struct http_event ev;

	memcpy(buf, "GET / HTTP/1.1\r\nX-A: ", 21);
	memset(buf + 21, 'a', sizeof buf - 21);
	assert_int_equal(http_framer_feed(f, buf, 255, &ev), 255);
	assert_int_equal(ev.type, HTTP_EV_NONE);
	assert_int_equal(http_framer_feed(f, buf + 255, 45, &ev), 0);
	assert_int_equal(ev.type, HTTP_EV_ERROR);
	assert_int_equal(ev.status, 431);
	assert_string_equal(ev.code, "header-too-large");
	http_framer_free(f);
}

static void test_max_headers_bound(void **state)
{
	struct http_limits l = { 1024, 8, 64 };
	char buf[1024];

	run_limited(buf, build_head(buf, sizeof buf, 8, 8, 200), &l, 0, NULL);
	run_limited(buf, build_head(buf, sizeof buf, 8, 9, 200), &l, 431, "max_headers");
}

static void test_target_bytes_bound(void **state)
{
	struct http_limits l = { 1024, 8, 40 };
	char buf[1024];

	run_limited(buf, build_head(buf, sizeof buf, 40, 1, 100), &l, 0, NULL);
	run_limited(buf, build_head(buf, sizeof buf, 41, 1, 100), &l, 400, "target_bytes");
}

/* ---- end of stream ---- */

static void test_eof_between_messages(void **state)
{
	struct http_framer *f = framer(HTTP_KIND_RESPONSE, NULL);
	struct http_event ev;

	http_framer_eof(f, &ev);
	assert_int_equal(ev.type, HTTP_EV_NONE);
	expect_event(f, V_NO_CONTENT, HTTP_EV_HEAD);
	http_framer_eof(f, &ev); /* the END owed for the head's last byte */
	assert_int_equal(ev.type, HTTP_EV_END);
	http_framer_eof(f, &ev);
	assert_int_equal(ev.type, HTTP_EV_NONE);
	assert_true(http_framer_idle(f));
	http_framer_free(f);
}

static void test_eof_ends_close_delimited(void **state)
{
	struct http_framer *f = framer(HTTP_KIND_RESPONSE, NULL);
	struct http_event ev;

	expect_event(f, "HTTP/1.1 200 OK\r\n\r\npartial", HTTP_EV_NONE);
	assert_int_equal(http_framer_head(f)->body, HTTP_BODY_UNTIL_EOF);
	assert_false(http_framer_head(f)->keep_alive);
	http_framer_eof(f, &ev);
	assert_int_equal(ev.type, HTTP_EV_END);
	http_framer_free(f);
}

static void test_eof_after_error_repeats_it(void **state)
{
	struct http_framer *f = framer(HTTP_KIND_REQUEST, NULL);
	struct http_event ev, again;

	ev = feed_until(f, "GET / HTTP/1.1\r\nHost : h\r\n\r\n", HTTP_EV_ERROR);
	assert_int_equal(ev.type, HTTP_EV_ERROR);
	http_framer_eof(f, &again);
	assert_int_equal(again.type, HTTP_EV_ERROR);
	assert_ptr_equal(again.reason, ev.reason);
	http_framer_free(f);
}

/* ---- HEAD responses, reset ---- */

static void test_expect_no_body_is_for_responses(void **state)
{
	struct http_framer *f = framer(HTTP_KIND_REQUEST, NULL);

	http_framer_expect_no_body(f);
	expect_event(f, "PUT /b HTTP/1.1\r\nContent-Length: 3\r\n\r\n", HTTP_EV_HEAD);
	assert_int_equal(http_framer_head(f)->body, HTTP_BODY_LENGTH);
	http_framer_free(f);
}

static void test_expect_no_body_covers_one_response(void **state)
{
	struct http_framer *f = framer(HTTP_KIND_RESPONSE, NULL);
	struct http_event ev;

	http_framer_expect_no_body(f);
	ev = feed_until(f, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", HTTP_EV_HEAD);
	assert_int_equal(ev.type, HTTP_EV_HEAD);
	assert_int_equal(http_framer_head(f)->body, HTTP_BODY_NONE);
	assert_int_equal(http_framer_feed(f, "abc", 0, &ev), 0);
	assert_int_equal(ev.type, HTTP_EV_END);
	/* The next response is a full one: "abc" is not a status line. */
	ev = feed_until(f, "abc", HTTP_EV_ERROR);
	assert_int_equal(ev.type, HTTP_EV_ERROR);
	http_framer_free(f);
}

static void test_reset_clears_error_and_no_body(void **state)
{
	struct http_framer *f = framer(HTTP_KIND_RESPONSE, NULL);
	struct http_event ev;

	expect_event(f, "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n", HTTP_EV_ERROR);
	assert_int_equal(http_framer_feed(f, V_HELLO_REPLY, 10, &ev), 0);
	assert_int_equal(ev.type, HTTP_EV_ERROR);
	assert_false(http_framer_idle(f));
	http_framer_expect_no_body(f);
	http_framer_reset(f);
	assert_true(http_framer_idle(f));
	expect_event(f, V_HELLO_REPLY, HTTP_EV_HEAD);
	assert_int_equal(http_framer_head(f)->body, HTTP_BODY_LENGTH);
	assert_int_equal(http_framer_head(f)->content_length, 32);
	http_framer_free(f);
}

static void test_reset_inside_body(void **state)
{
	struct http_framer *f = framer(HTTP_KIND_REQUEST, NULL);
	struct http_event ev;

	expect_event(f, "PUT /b HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", HTTP_EV_NONE);
	assert_false(http_framer_idle(f));
	http_framer_reset(f);
	ev = feed_until(f, V_HELLO, HTTP_EV_HEAD);
	assert_int_equal(ev.type, HTTP_EV_HEAD);
	assert_true(http_str_eq(http_framer_head(f)->target, "/tsp/1/session"));
	http_framer_free(f);
}

/* ---- the head ---- */

static void test_head_fields_and_find(void **state)
{
	struct http_framer *f = framer(HTTP_KIND_REQUEST, NULL);
	const struct http_head *h = http_framer_head(f);
	const struct http_header *x;

	assert_int_equal(h->kind, HTTP_KIND_REQUEST);
	assert_int_equal(h->header_count, 0);
	expect_event(f,
		     "POST /tsp/1/backup/jobs/j HTTP/1.1\r\nhost:  cloud \r\nX-A: first\r\n"
		     "Tsp-Origin:\tagent\t\r\nx-a: second\r\nAuthorization: Basic YTpi\r\n"
		     "Content-Length: 0\r\n\r\n",
		     HTTP_EV_HEAD);
	assert_int_equal(h->method, HTTP_METHOD_POST);
	assert_true(http_str_eq(h->method_name, "POST"));
	assert_int_equal(h->version_minor, 1);
	assert_true(http_str_eq(h->host, "cloud"));
	assert_true(http_str_eq(h->authorization, "Basic YTpi"));
	assert_int_equal(h->header_count, 6);
	assert_true(http_str_eq(h->headers[0].name, "host"));
	x = http_head_find(h, "X-A");
	assert_non_null(x);
	assert_true(http_str_eq(x->value, "first"));
	assert_true(http_str_eq(http_head_find(h, "TSP-ORIGIN")->value, "agent"));
	assert_null(http_head_find(h, "Tsp-Workload"));
	assert_null(http_head_find(h, "X-"));
	assert_false(h->expect_continue);
	http_framer_free(f);
}

/* The head lives in the framer: overwriting the fed bytes changes nothing. */
static void test_head_outlives_the_slice(void **state)
{
	struct http_framer *f = framer(HTTP_KIND_REQUEST, NULL);
	const struct http_head *h = http_framer_head(f);
	char *buf = strdup(V_BLOCK_WRITE);
	size_t len = strlen(buf), off = 0;
	struct http_event ev;

	assert_non_null(buf);
	do {
		off += http_framer_feed(f, buf + off, len - off, &ev);
		if (ev.type == HTTP_EV_HEAD)
			memset(buf, 'X', off);
	} while (ev.type != HTTP_EV_END);
	memset(buf, 'Y', len);
	free(buf);
	assert_int_equal(h->method, HTTP_METHOD_PUT);
	assert_true(http_str_eq(h->target, "/tsp/1/backup/jobs/job-1/tasks/vm-1/blocks/0"));
	assert_true(http_str_eq(http_head_find(h, "Expect")->value, "100-continue"));
	assert_true(h->expect_continue);
	assert_int_equal(h->content_length, 17);
	http_framer_free(f);
}

static void test_idle_transitions(void **state)
{
	struct http_framer *f = framer(HTTP_KIND_REQUEST, NULL);
	struct http_event ev;

	assert_true(http_framer_idle(f));
	assert_int_equal(http_framer_feed(f, "", 0, &ev), 0);
	assert_int_equal(ev.type, HTTP_EV_NONE);
	assert_true(http_framer_idle(f));
	assert_int_equal(http_framer_feed(f, "G", 1, &ev), 1);
	assert_false(http_framer_idle(f));
	expect_event(f, "ET / HTTP/1.1\r\n\r\n", HTTP_EV_HEAD);
	assert_false(http_framer_idle(f)); /* END not collected yet */
	assert_int_equal(http_framer_feed(f, "", 0, &ev), 0);
	assert_int_equal(ev.type, HTTP_EV_END);
	assert_true(http_framer_idle(f));
	http_framer_free(f);
}

/* in_body: only while body bytes are still expected (the proxy's body
 * deadline applies exactly then). */
static void test_in_body_transitions(void **state)
{
	struct http_framer *f = framer(HTTP_KIND_REQUEST, NULL);
	struct http_event ev;

	assert_false(http_framer_in_body(f));
	expect_event(f, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_EV_HEAD);
	assert_false(http_framer_in_body(f)); /* no body: its END is owed, no byte */
	assert_int_equal(http_framer_feed(f, "", 0, &ev), 0);
	assert_int_equal(ev.type, HTTP_EV_END);
	expect_event(f, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", HTTP_EV_HEAD);
	assert_false(http_framer_in_body(f));
	assert_int_equal(http_framer_feed(f, "", 0, &ev), 0);
	assert_int_equal(ev.type, HTTP_EV_END);
	expect_event(f, "PUT / HTTP/1.1\r\nContent-Length: 3\r\n\r\n", HTTP_EV_HEAD);
	assert_true(http_framer_in_body(f));
	expect_event(f, "ab", HTTP_EV_BODY);
	assert_true(http_framer_in_body(f));
	expect_event(f, "c", HTTP_EV_BODY);
	assert_false(http_framer_in_body(f)); /* complete; END not collected yet */
	assert_int_equal(http_framer_feed(f, "", 0, &ev), 0);
	assert_int_equal(ev.type, HTTP_EV_END);
	expect_event(f, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_EV_HEAD);
	assert_true(http_framer_in_body(f));
	assert_int_equal(http_framer_feed(f, "0\r\n\r\n", 5, &ev), 5);
	assert_int_equal(ev.type, HTTP_EV_END);
	assert_false(http_framer_in_body(f));
	assert_true(http_framer_idle(f));
	http_framer_free(f);
}

static void test_str_helpers(void **state)
{
	struct http_str s = { "Content-Length", 14 }, empty = { "", 0 };

	assert_true(http_str_eq(s, "Content-Length"));
	assert_false(http_str_eq(s, "content-length"));
	assert_true(http_str_ieq(s, "content-LENGTH"));
	assert_false(http_str_ieq(s, "Content-Lengt"));
	assert_false(http_str_ieq(s, "Content-Length2"));
	assert_true(http_str_eq(empty, ""));
	assert_true(http_str_ieq(empty, ""));
	assert_false(http_str_eq(empty, "x"));
}

static void test_status_text(void **state)
{
	static const struct {
		unsigned status;
		const char *text;
	} known[] = {
		{ 100, "Continue" },
		{ 200, "OK" },
		{ 201, "Created" },
		{ 204, "No Content" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 408, "Request Timeout" },
		{ 409, "Conflict" },
		{ 411, "Length Required" },
		{ 413, "Content Too Large" },
		{ 414, "URI Too Long" },
		{ 417, "Expectation Failed" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
		{ 507, "Insufficient Storage" },
	};
	size_t i;

	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		assert_string_equal(http_status_text(known[i].status), known[i].text);
	assert_string_equal(http_status_text(0), "Unknown");
	assert_string_equal(http_status_text(299), "Unknown");
}

/* ---- byte classes, each of the 256 bytes against RFC 9110's grammar ---- */

static bool is_tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool accepted(const char *fmt_a, int c, const char *fmt_b)
{
	struct http_framer *f = framer(HTTP_KIND_REQUEST, NULL);
	char buf[128];
	size_t a = strlen(fmt_a), b = strlen(fmt_b), off = 0;
	struct http_event ev;

	memcpy(buf, fmt_a, a);
	buf[a] = (char)c;
	memcpy(buf + a + 1, fmt_b, b);
	do
		off += http_framer_feed(f, buf + off, a + 1 + b - off, &ev);
	while (ev.type != HTTP_EV_NONE && ev.type != HTTP_EV_ERROR && ev.type != HTTP_EV_HEAD);
	http_framer_free(f);
	return ev.type == HTTP_EV_HEAD;
}

static void test_header_name_bytes(void **state)
{
	int c;

	/* ':' ends the name "X" there: legal, with the value "Y: v". */
	for (c = 0; c < 256; c++)
		if (accepted("GET / HTTP/1.1\r\nX", c, "Y: v\r\n\r\n") != (is_tchar(c) || c == ':'))
			fail_msg("byte 0x%02x in a header name", (unsigned)c);
}

static void test_header_value_bytes(void **state)
{
	int c;

	for (c = 0; c < 256; c++) {
		bool legal = c == '\t' || (c >= 0x20 && c != 0x7f);

		if (accepted("GET / HTTP/1.1\r\nX-A: a", c, "b\r\n\r\n") != legal)
			fail_msg("byte 0x%02x inside a header value", (unsigned)c);
	}
}

static void test_target_bytes(void **state)
{
	int c;

	for (c = 0; c < 256; c++) {
		bool legal = c > 0x20 && c < 0x7f;

		if (accepted("GET /a", c, "b HTTP/1.1\r\n\r\n") != legal)
			fail_msg("byte 0x%02x inside the request target", (unsigned)c);
	}
}

/* ---- bodies ---- */

/* 1 MiB in 64 KiB slices: BODY spans point into the slices, nothing copied. */
static void test_large_length_body(void **state)
{
	static const char head[] = "PUT /b HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n";
	size_t body = 1048576, total = sizeof head - 1 + body, off = 0, seen = 0;
	char *buf = malloc(total);
	struct http_framer *f = framer(HTTP_KIND_REQUEST, NULL);
	struct http_event ev;
	unsigned ends = 0;

	assert_non_null(buf);
	memcpy(buf, head, sizeof head - 1);
	memset(buf + sizeof head - 1, 'b', body);
	while (off < total || ends == 0) {
		size_t slice = total - off < 65536 ? total - off : 65536;
		size_t n = http_framer_feed(f, buf + off, slice, &ev);

		if (ev.type == HTTP_EV_BODY) {
			assert_ptr_equal(ev.data, buf + off);
			assert_int_equal(ev.len, n);
			seen += n;
		}
		ends += ev.type == HTTP_EV_END;
		assert_int_not_equal(ev.type, HTTP_EV_ERROR);
		off += n;
	}
	assert_int_equal(seen, body);
	assert_int_equal(ends, 1);
	free(buf);
	http_framer_free(f);
}

static void test_huge_length_and_chunk_size(void **state)
{
	struct http_framer *f = framer(HTTP_KIND_RESPONSE, NULL);
	struct http_event ev;

	expect_event(f, "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n", HTTP_EV_HEAD);
	assert_int_equal(http_framer_head(f)->content_length, INT64_MAX);
	assert_int_equal(http_framer_feed(f, "abc", 3, &ev), 3);
	assert_int_equal(ev.type, HTTP_EV_BODY);
	http_framer_reset(f);
	expect_event(f,
		     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "FFFFFFFFFFFFFFFF\r\nxyz",
		     HTTP_EV_NONE);
	http_framer_eof(f, &ev);
	assert_int_equal(ev.type, HTTP_EV_ERROR);
	http_framer_free(f);
}

static int group_teardown(void **state)
{
	trace_cleanup();
	return 0;
}

/* ---- hop-by-hop lines (http_hop.c) ---- */

/* The Connection lines of head s, spelled out "offset+len,..." ("" for none). */
static void hop_lines_of(const char *s, char *out, size_t size)
{
	struct http_framer *f = framer(HTTP_KIND_REQUEST, NULL);
	struct http_line lines[HTTP_HOP_LINES_MAX];
	size_t n, used = 0;

	expect_event(f, s, HTTP_EV_HEAD);
	out[0] = '\0';
	n = http_head_hop_lines(http_framer_head(f), lines);
	for (size_t i = 0; i < n; i++) {
		assert_memory_equal(s + lines[i].offset, http_framer_head(f)->raw + lines[i].offset,
				    lines[i].len);
		used += (size_t)snprintf(out + used, size - used, "%s%zu+%zu", i ? "," : "", lines[i].offset,
					 lines[i].len);
	}
	http_framer_free(f);
}

#define HOP_HEAD(lines) "GET /tsp/1/hello HTTP/1.1\r\nHost: h\r\n" lines "\r\n"

/* Connection lines whose options are keep-alive or close are found whole
 * (name to LF); one naming another header, or more than the bound, leave the
 * head as it is; taking the lines out leaves a head that frames the same. */
static void test_hop_lines(void **state)
{
	char got[128];
	char cut[256];
	const char *s = HOP_HEAD("Connection: close\r\nX-A: 1\r\n");
	struct http_framer *f;

	(void)state;
	hop_lines_of(s, got, sizeof got);
	assert_string_equal(got, "36+19");
	assert_memory_equal(s + 36, "Connection: close\r\n", 19);
	hop_lines_of(HOP_HEAD("connection:keep-alive ,  CLOSE\t\r\n"), got, sizeof got);
	assert_string_equal(got, "36+33");
	hop_lines_of(HOP_HEAD("Connection: close\r\nX-A: 1\r\nConnection: keep-alive\r\n"), got, sizeof got);
	assert_string_equal(got, "36+19,63+24");
	hop_lines_of(HOP_HEAD("Connection: close, X-A\r\nX-A: 1\r\n"), got, sizeof got);
	assert_string_equal(got, ""); /* names a header: forwarded as received */
	hop_lines_of(HOP_HEAD("X-Connection: close\r\n"), got, sizeof got);
	assert_string_equal(got, "");
	hop_lines_of(HOP_HEAD("Connection: close\r\nConnection: close\r\nConnection: close\r\n"
			      "Connection: close\r\nConnection: close\r\n"),
		     got, sizeof got);
	assert_string_equal(got, ""); /* over HTTP_HOP_LINES_MAX */

	/* The head without the line frames as the same request, one header less. */
	snprintf(cut, sizeof cut, "%.36s%s", s, s + 36 + 19);
	f = framer(HTTP_KIND_REQUEST, NULL);
	expect_event(f, cut, HTTP_EV_HEAD);
	assert_int_equal(http_framer_head(f)->header_count, 2);
	assert_null(http_head_find(http_framer_head(f), "Connection"));
	assert_true(http_framer_head(f)->keep_alive);
	assert_int_equal(http_framer_head(f)->head_bytes, strlen(s) - 19);
	http_framer_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits_default),
		cmocka_unit_test(test_new_rejects_bad_limits),
		cmocka_unit_test(test_header_bytes_bound),
		cmocka_unit_test(test_header_bytes_unterminated),
		cmocka_unit_test(test_max_headers_bound),
		cmocka_unit_test(test_target_bytes_bound),
		cmocka_unit_test(test_eof_between_messages),
		cmocka_unit_test(test_eof_ends_close_delimited),
		cmocka_unit_test(test_eof_after_error_repeats_it),
		cmocka_unit_test(test_expect_no_body_is_for_responses),
		cmocka_unit_test(test_expect_no_body_covers_one_response),
		cmocka_unit_test(test_reset_clears_error_and_no_body),
		cmocka_unit_test(test_reset_inside_body),
		cmocka_unit_test(test_head_fields_and_find),
		cmocka_unit_test(test_head_outlives_the_slice),
		cmocka_unit_test(test_idle_transitions),
		cmocka_unit_test(test_in_body_transitions),
		cmocka_unit_test(test_str_helpers),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_header_name_bytes),
		cmocka_unit_test(test_header_value_bytes),
		cmocka_unit_test(test_target_bytes),
		cmocka_unit_test(test_large_length_body),
		cmocka_unit_test(test_huge_length_and_chunk_size),
		cmocka_unit_test(test_hop_lines),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
