/*
 * tests/fuzz/http_fuzz.h: the body of the two HTTP framer harnesses
 * (fuzz_http_request.c, fuzz_http_response.c), included by each.
 *
 * Input: one control byte, then the stream. The stream is framed three times:
 * whole, cut in two at a position taken from the control byte (each slice in
 * its own exact-size heap copy, so ASan sees any read past a slice), and one
 * byte at a time. The three traces (head fields, body bytes, the offsets of
 * HEAD and END, the error) must be identical, and every event must keep the
 * contract of http.h as it arrives. Any violation aborts.
 */
#ifndef SLUICE_HTTP_FUZZ_H
#define SLUICE_HTTP_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "tests/fuzz/harness_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MSGS 512

struct fuzz_msg {
	uint64_t line_hash; /* method, target, status */
	uint64_t body_hash; /* every BODY byte, in order */
	uint64_t body_len;
	uint64_t content_length;
	size_t head_end, end; /* stream offsets of HEAD and END */
	size_t head_bytes;
	unsigned version_minor, header_count;
	int framing, keep_alive, expect_continue, ended;
};

struct fuzz_trace {
	struct fuzz_msg msg[FUZZ_MSGS];
	unsigned n;
	unsigned status;
	const char *reason; /* static strings: compared by address */
	size_t consumed;
};

static uint64_t fnv(uint64_t h, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h;
}

static int is_token_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* What the strict check promises about every head it lets through. */
static void check_head(const struct http_head *h, const struct http_limits *l)
{
	unsigned i;
	size_t j;

	CHECK(h->version_major == 1 && h->version_minor <= 1);
	CHECK(h->head_bytes <= l->header_bytes && h->header_count <= l->max_headers);
	if (h->kind == HTTP_KIND_REQUEST)
		CHECK(h->target.len >= 1 && h->target.len <= l->target_bytes && h->target.ptr[0] == '/');
	else
		CHECK(h->status >= 100 && h->status <= 599 && h->status != 101);
	for (i = 0; i < h->header_count; i++) {
		const struct http_header *x = &h->headers[i];

		CHECK(x->name.len > 0);
		for (j = 0; j < x->name.len; j++)
			CHECK(is_token_byte((unsigned char)x->name.ptr[j]));
		for (j = 0; j < x->value.len; j++) {
			unsigned char c = (unsigned char)x->value.ptr[j];

			CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
		}
	}
	if (h->body == HTTP_BODY_CHUNKED)
		CHECK(h->version_minor == 1 && http_head_find(h, "Content-Length") == NULL);
}

static void on_head(struct fuzz_trace *t, const struct http_framer *f, size_t offset,
		    const struct http_limits *l)
{
	const struct http_head *h = http_framer_head(f);
	struct fuzz_msg *m;
	size_t start = t->n ? t->msg[t->n - 1].end : 0;

	check_head(h, l);
	CHECK(t->n == 0 || t->msg[t->n - 1].ended);
	if (t->n == FUZZ_MSGS)
		abort(); /* cannot happen below 4 KiB of input per message of >= 18 bytes */
	m = &t->msg[t->n++];
	memset(m, 0, sizeof *m);
	m->line_hash = fnv(fnv(fnv(0xcbf29ce484222325ULL, h->method_name.ptr, h->method_name.len),
			       h->target.ptr, h->target.len),
			   (const char *)&h->status, sizeof h->status);
	m->body_hash = 0xcbf29ce484222325ULL;
	m->content_length = h->body == HTTP_BODY_LENGTH ? h->content_length : 0;
	m->head_end = offset;
	m->head_bytes = h->head_bytes;
	CHECK(h->head_bytes == offset - start);
	m->version_minor = h->version_minor;
	m->header_count = h->header_count;
	m->framing = (int)h->body;
	m->keep_alive = h->keep_alive;
	m->expect_continue = h->expect_continue;
}

static void on_event(struct fuzz_trace *t, struct http_framer *f, const struct http_event *ev, size_t offset,
		     const struct http_limits *l)
{
	struct fuzz_msg *m = t->n ? &t->msg[t->n - 1] : NULL;

	switch (ev->type) {
	case HTTP_EV_HEAD:
		on_head(t, f, offset, l);
		break;
	case HTTP_EV_BODY:
		CHECK(m != NULL && !m->ended && m->framing != HTTP_BODY_NONE && ev->len > 0);
		m->body_hash = fnv(m->body_hash, ev->data, ev->len);
		m->body_len += ev->len;
		break;
	case HTTP_EV_END:
		CHECK(m != NULL && !m->ended);
		m->ended = 1;
		m->end = offset;
		CHECK(m->framing != HTTP_BODY_NONE || offset == m->head_end);
		CHECK(m->framing != HTTP_BODY_LENGTH || m->body_len == m->content_length);
		CHECK(http_framer_idle(f));
		break;
	case HTTP_EV_ERROR:
		CHECK(ev->reason != NULL && (ev->status == 400 || ev->status == 431));
		t->status = ev->status;
		t->reason = ev->reason;
		break;
	case HTTP_EV_NONE:
		break;
	}
}

/* Feed one slice until the framer wants more; false once it is dead. */
static int feed_slice(struct fuzz_trace *t, struct http_framer *f, const char *s, size_t len, size_t base,
		      const struct http_limits *l)
{
	size_t off = 0;

	for (;;) {
		struct http_event ev, again;
		size_t n = http_framer_feed(f, s + off, len - off, &ev);

		CHECK(n <= len - off);
		if (ev.type == HTTP_EV_BODY)
			CHECK(ev.data >= s + off && ev.data + ev.len == s + off + n);
		off += n;
		t->consumed = base + off;
		on_event(t, f, &ev, base + off, l);
		if (ev.type == HTTP_EV_NONE) {
			CHECK(off == len);
			return 1;
		}
		if (ev.type == HTTP_EV_ERROR) {
			CHECK(n == 0 && http_framer_feed(f, s + off, len - off, &again) == 0);
			CHECK(again.type == HTTP_EV_ERROR && again.reason == ev.reason);
			return 0;
		}
	}
}

/* Frame stream[0, len) cut at cuts[0..ncuts); then the peer closes. */
static void fuzz_run(struct fuzz_trace *t, enum http_kind kind, int no_body, const char *stream, size_t len,
		     const size_t *cuts, size_t ncuts)
{
	struct http_limits l;
	struct http_framer *f;
	struct http_event ev;
	size_t i, start = 0;
	int alive = 1;

	http_limits_default(&l);
	f = http_framer_new(kind, &l);
	CHECK(f != NULL);
	memset(t, 0, sizeof *t);
	if (no_body)
		http_framer_expect_no_body(f);
	for (i = 0; i <= ncuts && alive; i++) {
		size_t stop = i < ncuts ? cuts[i] : len;
		char *copy = malloc(stop - start + 1); /* +1: malloc(0) may be NULL */

		CHECK(copy != NULL);
		memcpy(copy, stream + start, stop - start);
		alive = feed_slice(t, f, copy, stop - start, start, &l);
		free(copy);
		start = stop;
	}
	if (alive && feed_slice(t, f, "", 0, len, &l)) {
		http_framer_eof(f, &ev);
		on_event(t, f, &ev, len, &l);
	}
	http_framer_free(f);
}

static void fuzz_compare(const struct fuzz_trace *a, const struct fuzz_trace *b)
{
	CHECK(a->n == b->n && a->status == b->status && a->reason == b->reason);
	CHECK(a->status != 0 || a->consumed == b->consumed);
	CHECK(memcmp(a->msg, b->msg, a->n * sizeof a->msg[0]) == 0);
}

static struct fuzz_trace fuzz_traces[2];

static void fuzz_http(enum http_kind kind, const uint8_t *data, size_t size)
{
	const char *stream = (const char *)data + 1;
	size_t len, cut, i, *cuts;
	int no_body;

	if (size == 0)
		return;
	len = size - 1;
	no_body = kind == HTTP_KIND_RESPONSE && (data[0] & 1);
	cut = len * (size_t)(data[0] >> 1) / 127;

	fuzz_run(&fuzz_traces[0], kind, no_body, stream, len, NULL, 0);
	fuzz_run(&fuzz_traces[1], kind, no_body, stream, len, &cut, 1);
	fuzz_compare(&fuzz_traces[0], &fuzz_traces[1]);

	cuts = malloc(len * sizeof *cuts + 1);
	CHECK(cuts != NULL);
	for (i = 1; i < len; i++)
		cuts[i - 1] = i;
	fuzz_run(&fuzz_traces[1], kind, no_body, stream, len, cuts, len > 1 ? len - 1 : 0);
	free(cuts);
	fuzz_compare(&fuzz_traces[0], &fuzz_traces[1]);
}

#endif
