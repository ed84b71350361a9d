/*
 * tests/unit/http_trace.h: feed an input to a framer in given slices and
 * record what it reports, so that feeds split differently can be compared.
 *
 * A trace keeps, per message, the head fields (copied: the framer's storage
 * moves on), the body bytes concatenated over all BODY events, and the stream
 * offsets at which HEAD and END were reported; then the error, if any. BODY
 * events themselves are not compared one by one (a split cuts a body into
 * more of them); their bytes and the offsets around them are.
 *
 * Every slice is placed right before a PROT_NONE page, and every event is
 * checked against the contract as it arrives (consumed within the slice, body
 * spans inside the consumed bytes, NONE only when the slice is used up, dead
 * framers repeat their error).
 */
#ifndef SLUICE_HTTP_TRACE_H
#define SLUICE_HTTP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define TRACE_MSGS 8
#define TRACE_BODY 2048
#define TRACE_TEXT 160

struct trace_msg {
	char line[TRACE_TEXT]; /* "GET /x" or "200" */
	char host[TRACE_TEXT];
	char auth[TRACE_TEXT];
	unsigned version_minor;
	enum http_method method;
	enum http_body_kind framing;
	uint64_t content_length;
	bool keep_alive;
	bool expect_continue;
	unsigned header_count;
	size_t head_bytes;
	size_t head_end; /* stream offset right after the head */
	size_t end;      /* stream offset right after the message */
	bool ended;
	size_t body_len;
	char body[TRACE_BODY];
};

struct trace {
	unsigned n; /* messages whose head was reported */
	struct trace_msg msg[TRACE_MSGS];
	bool failed;
	unsigned status;
	const char *code;
	const char *reason;
	size_t consumed; /* all bytes consumed, drain and eof included */
};

/* What to feed and how. */
struct trace_input {
	enum http_kind kind;
	const char *data;
	size_t len;
	const struct http_limits *limits; /* NULL: defaults */
	unsigned no_body;                 /* bit i: message i answers a HEAD request */
	bool eof;                         /* call http_framer_eof() after the last slice */
};

/* Feed in->data cut at cuts[0..ncuts) (ascending offsets). */
void trace_run(struct trace *t, const struct trace_input *in, const size_t *cuts, unsigned ncuts);

/* NULL when equal, else which field differs (static text). */
const char *trace_diff(const struct trace *a, const struct trace *b);

/* One line per trace: "GET /x 1.1 len=5 keep body=\"hello\"; ..." */
void trace_summary(const struct trace *t, char *out, size_t size);

/* Whole feed, then every single cut (and, when pairs, every pair of cuts):
 * each must give the whole feed's trace. Fails the current test otherwise. */
void trace_check_splits(const struct trace_input *in, const struct trace *whole, bool pairs);

/* Release the guard pages the slices were placed on (group teardown). */
void trace_cleanup(void);

/* Offset just past the first CRLF CRLF at or after from: an independent
 * oracle for where HTTP_EV_HEAD must be reported. */
size_t trace_head_end(const char *data, size_t len, size_t from);

#endif
