/*
 * tests/unit/test_http.c: the HTTP framer on well-formed messages.
 *
 * Each vector is fed whole, and its trace (events, head fields, body bytes,
 * offsets) must match the expected summary and an independent oracle for the
 * offsets. It is then fed one byte at a time and cut at every offset, and the
 * three-message pipelines at every pair of offsets: every trace must equal
 * the whole feed's. Every slice sits right before a PROT_NONE page.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"
#include "http_trace.h"
#include "http_vectors.h"

struct vector {
	enum http_kind kind;
	const char *data;
	unsigned no_body; /* bit i: message i answers HEAD */
	bool eof;         /* the peer closes after the last byte */
	bool pairs;       /* also cut at every pair of offsets */
	const char *expect;
};

#define REQ HTTP_KIND_REQUEST
#define RES HTTP_KIND_RESPONSE

/* ---- requests: the TSP shapes, then HTTP details ---- */
static struct vector req_session_hello = { REQ, V_HELLO, 0, false, false, "GET /tsp/1/session 1.1 none keep" };
static struct vector req_job_open = { REQ,   V_JOB_OPEN, 0,
				      false, false,      "POST /tsp/1/backup/jobs/job-1 1.1 len=0 keep" };
static struct vector req_block_write = {
	REQ,
	V_BLOCK_WRITE,
	0,
	false,
	false,
	"PUT /tsp/1/backup/jobs/job-1/tasks/vm-1/blocks/0 1.1 len=17 keep 100-continue "
	"body=\"0123456789abcdef!\""
};
static struct vector req_block_read = {
	REQ, V_BLOCK_READ, 0, false, false, "GET /tsp/1/restore/jobs/r-1/tasks/vm-1/blocks/7 1.1 none keep"
};
static struct vector req_job_close = { REQ,   V_JOB_CLOSE,
				       0,     false,
				       false, "POST /tsp/1/backup/jobs/job-1/close 1.1 len=0 close" };
static struct vector req_http10 = { REQ,   "GET /tsp/1/session HTTP/1.0\r\nHost: a\r\n\r\n",
				    0,     false,
				    false, "GET /tsp/1/session 1.0 none close" };
static struct vector req_http10_keep_alive = {
	REQ,   "GET /x HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n\r\n",
	0,     false,
	false, "GET /x 1.0 none keep"
};
static struct vector req_chunked_post = {
	REQ,
	"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
	"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
	0,
	false,
	false,
	"POST /upload 1.1 chunked keep body=\"hello world\""
};
static struct vector req_te_ows_and_case = {
	REQ,   "POST /u HTTP/1.1\r\ntransfer-encoding:\tChunked \r\n\r\n1\r\nx\r\n0\r\n\r\n",
	0,     false,
	false, "POST /u 1.1 chunked keep body=\"x\""
};
/* OWS around a value is legal HTTP (OWS = SP / HTAB) and every parser trims
 * it, so " 5", "5 " and "5\t" frame the same 5 bytes everywhere: accepted,
 * unlike "+5", "5 5" or "5\t5" (test_http_strict.c). http-parser refuses a
 * tab after the digits by itself; the framer has it read as a space. */
static struct vector req_cl_ows = { REQ,   "PUT /b HTTP/1.1\r\nContent-Length:\t 5  \r\n\r\nhello",
				    0,     false,
				    false, "PUT /b 1.1 len=5 keep body=\"hello\"" };
static struct vector req_cl_trailing_tab = {
	REQ,   "PUT /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\t\r\n\r\nhello",
	0,     false,
	false, "PUT /b 1.1 len=5 keep body=\"hello\""
};
static struct vector req_cl_tabs_around = {
	REQ,
	"PUT /b HTTP/1.1\r\nContent-Length:\t12 \t\t \r\nX-After: 1\r\n\r\nhello world!"
	"GET /next HTTP/1.1\r\nHost: h\r\n\r\n",
	0,
	false,
	true,
	"PUT /b 1.1 len=12 keep body=\"hello world!\"; GET /next 1.1 none keep"
};
static struct vector res_cl_trailing_tab = { RES,   "HTTP/1.1 200 OK\r\nContent-Length:\t2\t\r\n\r\nok",
					     0,     false,
					     false, "200 1.1 len=2 keep body=\"ok\"" };
static struct vector req_empty_value_and_tab = {
	REQ,
	"GET /q?a=1&b=%20 HTTP/1.1\r\nX-Empty:\r\nX-Tab: a\tb\r\nX-Obs: caf\xc3\xa9\r\n"
	"Host: h\r\n\r\n",
	0,
	false,
	false,
	"GET /q?a=1&b=%20 1.1 none keep"
};
static struct vector req_other_method = { REQ,   "PATCH /p HTTP/1.1\r\nHost: h\r\n\r\n",
					  0,     false,
					  false, "PATCH /p 1.1 none keep" };

/* ---- responses ---- */
static struct vector res_hello_length = {
	RES,   V_HELLO_REPLY, 0,
	false, false,         "200 1.1 len=32 keep body=\"{\"tsp\":1,\"server\":\"sluice-repo\"}\""
};
static struct vector res_chunked = {
	RES,   V_CHUNKED_REPLY, 0,
	false, false,           "200 1.1 chunked keep body=\"0123456789abcdefghijklmnopqrstuvwxyz\""
};
static struct vector res_chunk_leading_zeros = {
	RES,   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0005\r\nhello\r\n000\r\n\r\n",
	0,     false,
	false, "200 1.1 chunked keep body=\"hello\""
};
static struct vector res_close_delimited = {
	RES,   "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end",
	0,     true,
	false, "200 1.1 eof close body=\"until the end\""
};
static struct vector res_close_delimited_open = { RES,   "HTTP/1.1 200 OK\r\n\r\nstill coming",
						  0,     false,
						  false, "200 1.1 eof close body=\"still coming\" open" };
static struct vector res_http10_eof = { RES,   "HTTP/1.0 200 OK\r\n\r\nold",    0, true,
					false, "200 1.0 eof close body=\"old\"" };
static struct vector res_no_content = { RES, V_NO_CONTENT, 0, false, false, "204 1.1 none keep" };
static struct vector res_not_modified = { RES,   "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
					  0,     false,
					  false, "304 1.1 none keep" };
static struct vector res_head_length = { RES,   "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n",
					 1,     false,
					 false, "200 1.1 none keep" };
static struct vector res_head_chunked = { RES,   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
					  1,     false,
					  false, "200 1.1 none keep" };
static struct vector res_head_no_length = { RES,   "HTTP/1.1 200 OK\r\n\r\n", 1, false,
					    false, "200 1.1 none keep" };
static struct vector res_continue_created = { RES,   V_CONTINUE V_CREATED,
					      0,     false,
					      false, "100 1.1 none keep; 201 1.1 len=0 keep" };
static struct vector res_maintenance = {
	RES,
	V_MAINTENANCE,
	0,
	false,
	false,
	"503 1.1 len=63 close "
	"body=\"{\"error\":\"maintenance\",\"message\":\"storage upgrade until 06:00\"}\""
};
static struct vector res_no_reason = { RES,   "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok",
				       0,     false,
				       false, "200 1.1 len=2 keep body=\"ok\"" };
static struct vector res_head_then_get = {
	RES,
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	1,
	false,
	false,
	"200 1.1 none keep; 200 1.1 len=5 keep body=\"hello\""
};
static struct vector res_continue_then_head = {
	RES,   V_CONTINUE "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n",
	1,     false,
	false, "100 1.1 none keep; 200 1.1 none keep"
};

/* ---- three pipelined messages, cut at every pair of offsets ---- */
static struct vector pipe_requests = {
	REQ,
	V_HELLO V_BLOCK_WRITE V_JOB_CLOSE,
	0,
	false,
	true,
	"GET /tsp/1/session 1.1 none keep; "
	"PUT /tsp/1/backup/jobs/job-1/tasks/vm-1/blocks/0 1.1 len=17 keep 100-continue "
	"body=\"0123456789abcdef!\"; POST /tsp/1/backup/jobs/job-1/close 1.1 len=0 close"
};
static struct vector pipe_responses = { RES,
					V_CONTINUE V_CREATED V_CHUNKED_REPLY,
					0,
					false,
					true,
					"100 1.1 none keep; 201 1.1 len=0 keep; "
					"200 1.1 chunked keep body=\"0123456789abcdefghijklmnopqrstuvwxyz\"" };
static struct vector pipe_no_body = { RES,
				      V_NO_CONTENT
				      "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n" V_HELLO_REPLY,
				      2,
				      false,
				      true,
				      "204 1.1 none keep; 200 1.1 none keep; "
				      "200 1.1 len=32 keep body=\"{\"tsp\":1,\"server\":\"sluice-repo\"}\"" };

/* Where HEAD and END were reported, against the oracle and the framing. */
static void check_offsets(const struct trace *t, const char *data, size_t len)
{
	size_t start = 0;
	unsigned i;

	for (i = 0; i < t->n; i++) {
		const struct trace_msg *m = &t->msg[i];

		assert_int_equal(m->head_end, trace_head_end(data, len, start));
		assert_int_equal(m->head_bytes, m->head_end - start);
		if (!m->ended) {
			assert_int_equal(i + 1, t->n);
			break;
		}
		switch (m->framing) {
		case HTTP_BODY_NONE:
			assert_int_equal(m->end, m->head_end);
			break;
		case HTTP_BODY_LENGTH:
			assert_int_equal(m->end, m->head_end + m->content_length);
			assert_int_equal(m->body_len, m->content_length);
			break;
		case HTTP_BODY_CHUNKED:
			assert_true(m->end > m->head_end + m->body_len);
			assert_memory_equal(data + m->end - 5, "0\r\n\r\n", 5);
			break;
		case HTTP_BODY_UNTIL_EOF:
			assert_int_equal(m->end, len);
			assert_int_equal(m->body_len, len - m->head_end);
			break;
		}
		start = m->end;
	}
	assert_false(t->failed);
	assert_int_equal(t->consumed, len);
}

static void test_vector(void **state)
{
	const struct vector *v = *state;
	struct trace_input in = { v->kind, v->data, strlen(v->data), NULL, v->no_body, v->eof };
	static size_t cuts[4096];
	static struct trace whole, bytes;
	char summary[1024];
	size_t i;

	trace_run(&whole, &in, NULL, 0);
	trace_summary(&whole, summary, sizeof summary);
	assert_string_equal(summary, v->expect);
	check_offsets(&whole, v->data, in.len);

	assert_true(in.len < sizeof cuts / sizeof cuts[0]);
	for (i = 1; i < in.len; i++)
		cuts[i - 1] = i;
	trace_run(&bytes, &in, cuts, (unsigned)(in.len - 1));
	if (trace_diff(&whole, &bytes) != NULL)
		fail_msg("fed one byte at a time: %s differs", trace_diff(&whole, &bytes));

	trace_check_splits(&in, &whole, v->pairs);
}

static int group_teardown(void **state)
{
	trace_cleanup();
	return 0;
}

/* clang-format off */
#define VECTOR(v) { #v, test_vector, NULL, NULL, &v }
/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
		VECTOR(req_session_hello),
		VECTOR(req_job_open),
		VECTOR(req_block_write),
		VECTOR(req_block_read),
		VECTOR(req_job_close),
		VECTOR(req_http10),
		VECTOR(req_http10_keep_alive),
		VECTOR(req_chunked_post),
		VECTOR(req_te_ows_and_case),
		VECTOR(req_cl_ows),
		VECTOR(req_cl_trailing_tab),
		VECTOR(req_cl_tabs_around),
		VECTOR(res_cl_trailing_tab),
		VECTOR(req_empty_value_and_tab),
		VECTOR(req_other_method),
		VECTOR(res_hello_length),
		VECTOR(res_chunked),
		VECTOR(res_chunk_leading_zeros),
		VECTOR(res_close_delimited),
		VECTOR(res_close_delimited_open),
		VECTOR(res_http10_eof),
		VECTOR(res_no_content),
		VECTOR(res_not_modified),
		VECTOR(res_head_length),
		VECTOR(res_head_chunked),
		VECTOR(res_head_no_length),
		VECTOR(res_continue_created),
		VECTOR(res_maintenance),
		VECTOR(res_no_reason),
		VECTOR(res_head_then_get),
		VECTOR(res_continue_then_head),
		VECTOR(pipe_requests),
		VECTOR(pipe_responses),
		VECTOR(pipe_no_body),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
