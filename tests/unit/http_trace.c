/* tests/unit/http_trace.c: record and compare what a framer reports. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "http_trace.h"

static struct guard slice_guard = GUARD_INIT;

void trace_cleanup(void)
{
	guard_release(&slice_guard);
}

static void copy_str(char *dst, struct http_str s)
{
	size_t n = s.len < TRACE_TEXT - 1 ? s.len : TRACE_TEXT - 1;

	if (n != 0)
		memcpy(dst, s.ptr, n);
	dst[n] = '\0';
}

static void record_head(struct trace *t, const struct http_framer *f, size_t offset)
{
	const struct http_head *h = http_framer_head(f);
	struct trace_msg *m;

	assert_true(t->n < TRACE_MSGS);
	if (t->n > 0)
		assert_true(t->msg[t->n - 1].ended);
	m = &t->msg[t->n++];
	if (h->kind == HTTP_KIND_REQUEST)
		snprintf(m->line, sizeof m->line, "%.*s %.*s", (int)h->method_name.len, h->method_name.ptr,
			 (int)h->target.len, h->target.ptr);
	else
		snprintf(m->line, sizeof m->line, "%u", h->status);
	copy_str(m->host, h->host);
	copy_str(m->auth, h->authorization);
	m->version_minor = h->version_minor;
	m->method = h->method;
	m->framing = h->body;
	m->content_length = h->body == HTTP_BODY_LENGTH ? h->content_length : 0;
	m->keep_alive = h->keep_alive;
	m->expect_continue = h->expect_continue;
	m->header_count = h->header_count;
	m->head_bytes = h->head_bytes;
	m->head_end = offset;
	assert_true(h->header_count == 0 || h->headers != NULL);
}

static void record_body(struct trace *t, const struct http_event *ev)
{
	struct trace_msg *m;

	assert_true(t->n > 0);
	m = &t->msg[t->n - 1];
	assert_false(m->ended);
	assert_int_not_equal(m->framing, HTTP_BODY_NONE);
	assert_true(ev->len > 0);
	assert_true(m->body_len + ev->len <= TRACE_BODY);
	memcpy(m->body + m->body_len, ev->data, ev->len);
	m->body_len += ev->len;
}

static void record_end(struct trace *t, size_t offset)
{
	struct trace_msg *m;

	assert_true(t->n > 0);
	m = &t->msg[t->n - 1];
	assert_false(m->ended);
	m->ended = true;
	m->end = offset;
}

static void record(struct trace *t, const struct http_framer *f, const struct http_event *ev, size_t offset)
{
	switch (ev->type) {
	case HTTP_EV_HEAD:
		record_head(t, f, offset);
		break;
	case HTTP_EV_BODY:
		record_body(t, ev);
		break;
	case HTTP_EV_END:
		record_end(t, offset);
		break;
	case HTTP_EV_ERROR:
		t->failed = true;
		t->status = ev->status;
		t->code = ev->code;
		t->reason = ev->reason;
		break;
	case HTTP_EV_NONE:
		break;
	}
}

/* A dead framer repeats its error and consumes nothing. */
static void check_dead(struct http_framer *f, const struct trace *t, const char *s, size_t len)
{
	struct http_event ev;

	assert_int_equal(http_framer_feed(f, s, len, &ev), 0);
	assert_int_equal(ev.type, HTTP_EV_ERROR);
	assert_int_equal(ev.status, t->status);
	assert_ptr_equal(ev.reason, t->reason);
	assert_false(http_framer_idle(f));
}

static void after_end(struct http_framer *f, const struct trace *t, unsigned no_body)
{
	if (no_body & (1u << t->n))
		http_framer_expect_no_body(f);
	assert_true(http_framer_idle(f));
}

/* Feed one slice (s is its guarded copy) until the framer wants more. */
static void feed_slice(struct trace *t, struct http_framer *f, const char *s, size_t len, size_t base,
		       unsigned no_body)
{
	size_t off = 0;

	for (;;) {
		struct http_event ev;
		size_t n = http_framer_feed(f, s + off, len - off, &ev);

		assert_true(n <= len - off);
		if (ev.type == HTTP_EV_BODY)
			assert_true(ev.data >= s + off && ev.data + ev.len <= s + off + n);
		if (ev.type == HTTP_EV_ERROR)
			assert_int_equal(n, 0);
		off += n;
		t->consumed = base + off;
		record(t, f, &ev, base + off);
		if (ev.type == HTTP_EV_NONE) {
			assert_int_equal(off, len);
			return;
		}
		if (ev.type == HTTP_EV_ERROR) {
			check_dead(f, t, s + off, len - off);
			return;
		}
		if (ev.type == HTTP_EV_END)
			after_end(f, t, no_body);
	}
}

void trace_run(struct trace *t, const struct trace_input *in, const size_t *cuts, unsigned ncuts)
{
	struct http_framer *f = http_framer_new(in->kind, in->limits);
	size_t start = 0;
	unsigned i;

	assert_non_null(f);
	memset(t, 0, sizeof *t);
	if (in->no_body & 1u)
		http_framer_expect_no_body(f);
	for (i = 0; i <= ncuts && !t->failed; i++) {
		size_t stop = i < ncuts ? cuts[i] : in->len;
		const char *s = guard_place(&slice_guard, in->data + start, stop - start);

		assert_non_null(s);
		feed_slice(t, f, s, stop - start, start, in->no_body);
		start = stop;
	}
	if (!t->failed) /* collect an END owed for the last byte */
		feed_slice(t, f, guard_place(&slice_guard, "", 0), 0, in->len, in->no_body);
	if (in->eof && !t->failed) {
		struct http_event ev;

		http_framer_eof(f, &ev);
		record(t, f, &ev, in->len);
	}
	http_framer_free(f);
}

static const char *msg_diff(const struct trace_msg *a, const struct trace_msg *b)
{
	if (strcmp(a->line, b->line) != 0)
		return "request or status line";
	if (strcmp(a->host, b->host) != 0 || strcmp(a->auth, b->auth) != 0)
		return "Host or Authorization";
	if (a->version_minor != b->version_minor || a->method != b->method)
		return "version or method";
	if (a->framing != b->framing || a->content_length != b->content_length)
		return "body kind or length";
	if (a->keep_alive != b->keep_alive || a->expect_continue != b->expect_continue)
		return "keep_alive or expect_continue";
	if (a->header_count != b->header_count || a->head_bytes != b->head_bytes)
		return "header count or head bytes";
	if (a->head_end != b->head_end)
		return "offset of HEAD";
	if (a->ended != b->ended || a->end != b->end)
		return "offset of END";
	if (a->body_len != b->body_len || memcmp(a->body, b->body, a->body_len) != 0)
		return "body bytes";
	return NULL;
}

const char *trace_diff(const struct trace *a, const struct trace *b)
{
	unsigned i;

	if (a->n != b->n)
		return "number of messages";
	for (i = 0; i < a->n; i++) {
		const char *d = msg_diff(&a->msg[i], &b->msg[i]);

		if (d != NULL)
			return d;
	}
	if (a->failed != b->failed || a->status != b->status)
		return "error status";
	if (a->failed && (strcmp(a->code, b->code) != 0 || strcmp(a->reason, b->reason) != 0))
		return "error code or reason";
	if (!a->failed && a->consumed != b->consumed)
		return "bytes consumed";
	return NULL;
}

static const char *body_kind_name(enum http_body_kind k)
{
	switch (k) {
	case HTTP_BODY_NONE:
		return "none";
	case HTTP_BODY_LENGTH:
		return "len";
	case HTTP_BODY_CHUNKED:
		return "chunked";
	case HTTP_BODY_UNTIL_EOF:
		return "eof";
	}
	return "?";
}

static size_t put(char *out, size_t size, size_t used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t put(char *out, size_t size, size_t used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (used >= size)
		return used;
	va_start(ap, fmt);
	n = vsnprintf(out + used, size - used, fmt, ap);
	va_end(ap);
	return n < 0 ? used : used + (size_t)n;
}

static size_t put_msg(char *out, size_t size, size_t used, const struct trace_msg *m)
{
	used = put(out, size, used, "%s 1.%u %s", m->line, m->version_minor, body_kind_name(m->framing));
	if (m->framing == HTTP_BODY_LENGTH)
		used = put(out, size, used, "=%llu", (unsigned long long)m->content_length);
	used = put(out, size, used, " %s%s", m->keep_alive ? "keep" : "close",
		   m->expect_continue ? " 100-continue" : "");
	if (m->body_len != 0)
		used = put(out, size, used, " body=\"%.*s\"", (int)m->body_len, m->body);
	return put(out, size, used, "%s", m->ended ? "" : " open");
}

void trace_summary(const struct trace *t, char *out, size_t size)
{
	size_t used = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 0; i < t->n; i++)
		used = put_msg(out, size, put(out, size, used, "%s", i ? "; " : ""), &t->msg[i]);
	if (t->failed)
		put(out, size, used, "%serror %u %s", t->n ? "; " : "", t->status, t->code);
}

size_t trace_head_end(const char *data, size_t len, size_t from)
{
	size_t i;

	for (i = from; i + 4 <= len; i++)
		if (memcmp(data + i, "\r\n\r\n", 4) == 0)
			return i + 4;
	return 0;
}

static void check_one_split(const struct trace_input *in, const struct trace *whole, const size_t *cuts,
			    unsigned ncuts)
{
	struct trace t;
	const char *d;

	trace_run(&t, in, cuts, ncuts);
	d = trace_diff(whole, &t);
	if (d != NULL)
		fail_msg("cut at %zu%s%zu: %s differs", cuts[0], ncuts > 1 ? " and " : "",
			 ncuts > 1 ? cuts[1] : (size_t)0, d);
}

void trace_check_splits(const struct trace_input *in, const struct trace *whole, bool pairs)
{
	size_t cuts[2];

	for (cuts[0] = 0; cuts[0] <= in->len; cuts[0]++) {
		check_one_split(in, whole, cuts, 1);
		if (!pairs)
			continue;
		for (cuts[1] = cuts[0]; cuts[1] <= in->len; cuts[1]++)
			check_one_split(in, whole, cuts, 2);
	}
}
