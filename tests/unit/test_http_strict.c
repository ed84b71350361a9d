/*
 * tests/unit/test_http_strict.c: every strictness rule of the framer, and the
 * request-smuggling set, as vectors that must end in an error.
 *
 * Each vector gives the error it must end in (status, a piece of the reason)
 * and how many messages may be reported before it (0 unless the error is in
 * a body). It is fed whole and cut at every offset, always right before a
 * PROT_NONE page; every feed must end in the same error after the same
 * events, so no split can turn a refused stream into messages.
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

struct bad_vector {
	enum http_kind kind;
	const char *data;
	size_t len;
	unsigned status;    /* 400 or 431 */
	const char *reason; /* a piece of ev.reason */
	unsigned heads;     /* messages whose head is reported before the error */
	bool eof;           /* the peer closes after the last byte */
};

#define REQ HTTP_KIND_REQUEST
#define RES HTTP_KIND_RESPONSE
#define LINE "GET / HTTP/1.1\r\n"
#define POST "POST / HTTP/1.1\r\nHost: h\r\n"
#define CHUNKED_POST POST "Transfer-Encoding: chunked\r\n\r\n"
#define OK200 "HTTP/1.1 200 OK\r\n"

#define BAD(name, kind, data, reason) \
	static struct bad_vector name = { kind, data, sizeof(data) - 1, 400, reason, 0, false }
#define BAD_BODY(name, kind, data, reason) \
	static struct bad_vector name = { kind, data, sizeof(data) - 1, 400, reason, 1, false }
#define BAD_EOF(name, kind, data, reason, heads) \
	static struct bad_vector name = { kind, data, sizeof(data) - 1, 400, reason, heads, true }

/* ---- request line ---- */
BAD(rl_double_space_after_method, REQ, "GET  / HTTP/1.1\r\n\r\n", "more than one space after");
BAD(rl_double_space_before_version, REQ, "GET /  HTTP/1.1\r\n\r\n", "more than one space before");
BAD(rl_tab_after_method, REQ, "GET\t/ HTTP/1.1\r\n\r\n", "method");
BAD(rl_http09, REQ, "GET /\r\n\r\n", "HTTP/0.9");
BAD(rl_http12, REQ, "GET / HTTP/1.2\r\n\r\n", "other than 1.0 or 1.1");
BAD(rl_http20, REQ, "GET / HTTP/2.0\r\n\r\n", "other than 1.0 or 1.1");
BAD(rl_http09_named, REQ, "GET / HTTP/0.9\r\n\r\n", "other than 1.0 or 1.1");
BAD(rl_version_junk, REQ, "GET / HTTP/1.1x\r\n\r\n", "malformed HTTP version");
BAD(rl_absolute_form, REQ, "GET http://repo.example/x HTTP/1.1\r\n\r\n", "origin form");
BAD(rl_asterisk_form, REQ, "OPTIONS * HTTP/1.1\r\n\r\n", "asterisk-form");
BAD(rl_target_tab, REQ, "GET /a\tb HTTP/1.1\r\n\r\n", "request target");
BAD(rl_target_0xff, REQ,
    "GET /a\xff"
    "b HTTP/1.1\r\n\r\n",
    "request target");
BAD(rl_lowercase_method, REQ, "get / HTTP/1.1\r\n\r\n", "method");
BAD(rl_unknown_method, REQ, "FETCH / HTTP/1.1\r\n\r\n", "method");
BAD(rl_connect, REQ, "CONNECT repo.example:443 HTTP/1.1\r\nHost: repo.example:443\r\n\r\n", "CONNECT");
BAD(rl_leading_empty_line, REQ, "\r\nGET / HTTP/1.1\r\n\r\n", "empty line before");
BAD(rl_leading_space, REQ, " GET / HTTP/1.1\r\n\r\n", "method");
BAD(rl_bare_lf, REQ, "GET / HTTP/1.1\nHost: a\n\n", "bare LF");
BAD(rl_bare_cr, REQ, "GET / HTTP/1.1\rHost: a\r\n\r\n", "bare CR");

/* ---- header lines ---- */
BAD(hd_space_before_colon, REQ, LINE "Host : h\r\n\r\n", "before its colon");
BAD(hd_space_in_name, REQ, LINE "X Y: v\r\n\r\n", "whitespace in a header name");
BAD(hd_non_token_name, REQ, LINE "X(y): v\r\n\r\n", "header line");
BAD(hd_empty_name, REQ, LINE ": v\r\n\r\n", "header line");
BAD(hd_no_colon, REQ, LINE "Host h\r\n\r\n", "header line");
BAD(hd_leading_space_first, REQ, LINE " Host: h\r\n\r\n", "before the first header");
BAD(hd_obs_fold, REQ, LINE "Host: h\r\nX-A: a\r\n b\r\n\r\n", "obs-fold");
BAD(hd_obs_fold_tab, REQ, LINE "X-A: a\r\n\tb\r\n\r\n", "obs-fold");
BAD(hd_nul_in_value, REQ, LINE "X-A: a\0b\r\n\r\n", "header line");
BAD(hd_del_in_value, REQ,
    LINE "X-A: a\x7f"
	 "b\r\n\r\n",
    "header line");
BAD(hd_ctl_in_value, REQ,
    LINE "X-A: a\x01"
	 "b\r\n\r\n",
    "header line");
/* http-parser drops a control byte right after the colon's whitespace. */
BAD(hd_ctl_after_ows, REQ,
    LINE "X-A: \x01"
	 "b\r\n\r\n",
    "control character");
BAD(hd_nul_after_ows, REQ, LINE "X-A: \0b\r\n\r\n", "NUL byte");
BAD(hd_bare_cr_in_value, REQ, LINE "X-A: a\rb\r\n\r\n", "bare CR");
BAD(hd_bare_lf_line_end, REQ, LINE "X-A: a\nX-B: b\r\n\r\n", "bare LF");
BAD(hd_bare_lf_head_end, REQ, LINE "X-A: a\r\n\n", "bare LF");
BAD(hd_two_hosts, REQ, LINE "Host: a\r\nHost: b\r\n\r\n", "more than one Host");
BAD(hd_upgrade, REQ, LINE "Host: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", "Upgrade");
BAD(hd_upgrade_alone, REQ, LINE "Upgrade: h2c\r\n\r\n", "Upgrade");
BAD(hd_expect_other, REQ, POST "Expect: 200-ok\r\nContent-Length: 1\r\n\r\nx", "Expect");

/* ---- smuggling: Content-Length and Transfer-Encoding ---- */
BAD(sm_cl_te, REQ, POST "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX",
    "Content-Length");
BAD(sm_te_cl, REQ, POST "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nX",
    "Content-Length");
BAD(sm_te_space_before_colon, REQ, POST "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", "before its colon");
BAD(sm_cl_space_before_colon, REQ, POST "Content-Length : 5\r\n\r\nhello", "before its colon");
BAD(sm_te_twice, REQ,
    POST "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
	 "0\r\n\r\n",
    "more than one Transfer-Encoding");
BAD(sm_te_x_then_chunked, REQ,
    POST "Transfer-Encoding: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	 "0\r\n\r\n",
    "other than chunked");
BAD(sm_te_xchunked, REQ, POST "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", "other than chunked");
BAD(sm_te_chunked_identity, REQ, POST "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    "other than chunked");
BAD(sm_te_identity_chunked, REQ, POST "Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n",
    "other than chunked");
BAD(sm_te_quoted, REQ, POST "Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n", "other than chunked");
BAD(sm_te_vertical_tab, REQ,
    POST "Transfer-Encoding:\x0b"
	 "chunked\r\n\r\n0\r\n\r\n",
    "control character");
BAD(sm_te_obs_fold, REQ, POST "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", "obs-fold");
BAD(sm_te_folded_into_host, REQ,
    "POST / HTTP/1.1\r\nHost: h\r\n Transfer-Encoding: chunked\r\n"
    "Content-Length: 3\r\n\r\n0\r\n\r\n",
    "obs-fold");
BAD(sm_te_http10, REQ, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "Transfer-Encoding on HTTP/1.0");
BAD(sm_te_on_get, REQ, LINE "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "GET or HEAD");
BAD(sm_cl_twice_same, REQ, POST "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", "Content-Length");
BAD(sm_cl_twice_different, REQ, POST "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "Content-Length");
BAD(sm_cl_plus, REQ, POST "Content-Length: +5\r\n\r\nhello", "Content-Length");
BAD(sm_cl_hex, REQ, POST "Content-Length: 0x5\r\n\r\nhello", "Content-Length");
BAD(sm_cl_negative, REQ, POST "Content-Length: -1\r\n\r\n", "Content-Length");
BAD(sm_cl_list, REQ, POST "Content-Length: 5, 5\r\n\r\nhello", "Content-Length");
BAD(sm_cl_inner_space, REQ, POST "Content-Length: 5 5\r\n\r\nhello", "Content-Length");
BAD(sm_cl_empty, REQ, POST "Content-Length:\r\n\r\n", "Content-Length");
BAD(sm_cl_overflow, REQ, POST "Content-Length: 99999999999999999999999\r\n\r\n", "Content-Length");
BAD(sm_cl_2_63, REQ, POST "Content-Length: 9223372036854775808\r\n\r\n", "too large");
/* A tab is OWS around the value (test_http.c), and nothing more. */
BAD(sm_cl_tab_between, REQ, POST "Content-Length: 5\t5\r\n\r\nhello", "Content-Length");
BAD(sm_cl_tab_list, REQ, POST "Content-Length: 5,\t5\r\n\r\nhello", "Content-Length");
BAD(sm_cl_tab_list_after, REQ, POST "Content-Length: 5\t,5\r\n\r\nhello", "Content-Length");
BAD(sm_cl_tab_plus, REQ, POST "Content-Length:\t+5\t\r\n\r\nhello", "Content-Length");
BAD(sm_cl_tab_negative, REQ, POST "Content-Length: -5\t\r\n\r\n", "Content-Length");
BAD(sm_cl_tab_hex, REQ, POST "Content-Length:\t0x5\r\n\r\nhello", "Content-Length");
BAD(sm_cl_tab_only, REQ, POST "Content-Length:\t\r\n\r\n", "Content-Length");
BAD(sm_cl_tab_twice_same, REQ, POST "Content-Length: 5\t\r\nContent-Length:\t5\r\n\r\nhello",
    "Content-Length");
BAD(sm_cl_tab_twice_different, REQ, POST "Content-Length: 5\t\r\nContent-Length: 6\t\r\n\r\nhello!",
    "Content-Length");
BAD(sm_cl_tab_before_colon, REQ, POST "Content-Length\t: 5\r\n\r\nhello", "header line");
BAD(sm_cl_tab_then_vtab, REQ, POST "Content-Length: 5\t\x0b\r\n\r\nhello", "header line");
BAD(sm_cl_tab_then_junk, REQ, POST "Content-Length: 5\tx\r\n\r\nhello", "Content-Length");
BAD(sm_cl_tab_with_te, REQ,
    POST "Content-Length: 5\t\r\nTransfer-Encoding: chunked\r\n\r\n"
	 "0\r\n\r\n",
    "Content-Length");
BAD(sm_get_with_body, REQ,
    LINE "Host: h\r\nContent-Length: 32\r\n\r\n"
	 "GET /admin HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET or HEAD");
BAD(sm_head_with_body, REQ, "HEAD / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "GET or HEAD");
BAD(sm_split_by_bare_lf, REQ, LINE "Host: h\nContent-Length: 0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n",
    "bare LF");

/* ---- chunked bodies (the head is fine, so it is reported first) ---- */
BAD_BODY(ch_extension, REQ, CHUNKED_POST "5;a=b\r\nhello\r\n0\r\n\r\n", "chunk extensions");
BAD_BODY(ch_extension_bare_lf, REQ, CHUNKED_POST "5;a\nxx\r\n0\r\n\r\n", "chunk extensions");
BAD_BODY(ch_size_then_junk, REQ, CHUNKED_POST "2 erfrferferf\r\nhi\r\n0\r\n\r\n",
	 "whitespace after the chunk size");
BAD_BODY(ch_size_missing, REQ, CHUNKED_POST "\r\nhello\r\n0\r\n\r\n", "hex digit");
BAD_BODY(ch_size_negative, REQ, CHUNKED_POST "-5\r\nhello\r\n0\r\n\r\n", "hex digit");
BAD_BODY(ch_size_0x, REQ, CHUNKED_POST "0x5\r\nhello\r\n0\r\n\r\n", "invalid byte in the chunk size");
BAD_BODY(ch_size_17_digits, REQ, CHUNKED_POST "00000000000000005\r\nhello\r\n0\r\n\r\n", "16 hex digits");
BAD_BODY(ch_size_bare_lf, REQ, CHUNKED_POST "5\nhello\r\n0\r\n\r\n", "bare LF after the chunk size");
BAD_BODY(ch_size_bare_cr, REQ, CHUNKED_POST "5\rXhello\r\n0\r\n\r\n", "bare CR after the chunk size");
BAD_BODY(ch_data_not_crlf, REQ, CHUNKED_POST "5\r\nhelloXX0\r\n\r\n", "not followed by CRLF");
BAD_BODY(ch_data_lf_only, REQ, CHUNKED_POST "5\r\nhello\n0\r\n\r\n", "not followed by CRLF");
BAD_BODY(ch_data_cr_only, REQ, CHUNKED_POST "5\r\nhello\r0\r\n\r\n", "not followed by CRLF");
BAD_BODY(ch_data_too_long, REQ, CHUNKED_POST "3\r\nhello\r\n0\r\n\r\n", "not followed by CRLF");
BAD_BODY(ch_trailer, REQ, CHUNKED_POST "0\r\nX-Trailer: a\r\n\r\n", "trailer");
BAD_BODY(ch_trailer_content_length, REQ, CHUNKED_POST "0\r\nContent-Length: 5\r\n\r\nhello", "trailer");
BAD_BODY(ch_last_bare_cr, REQ, CHUNKED_POST "0\r\n\rX", "bare CR after the last chunk");

/* ---- responses ---- */
BAD(rs_status_two_digits, RES, "HTTP/1.1 20 OK\r\n\r\n", "status code");
BAD(rs_status_600, RES, "HTTP/1.1 600 Odd\r\n\r\n", "100-599");
BAD(rs_status_099, RES, "HTTP/1.1 099 Odd\r\n\r\n", "100-599");
BAD(rs_status_double_space, RES, "HTTP/1.1  200 OK\r\n\r\n", "status code");
BAD(rs_version_20, RES, "HTTP/2.0 200 OK\r\n\r\n", "other than 1.0 or 1.1");
BAD(rs_switching_protocols, RES,
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\n\r\n",
    "101");
BAD(rs_no_content_with_length, RES, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
    "1xx or 204");
BAD(rs_continue_chunked, RES, "HTTP/1.1 100 Continue\r\nTransfer-Encoding: chunked\r\n\r\n", "1xx or 204");
BAD(rs_te_gzip, RES, OK200 "Transfer-Encoding: gzip\r\n\r\nxyz", "other than chunked");
BAD(rs_te_http10, RES, "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "Transfer-Encoding on HTTP/1.0");
BAD(rs_cl_te, RES, OK200 "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "Content-Length");
BAD(rs_obs_fold, RES, OK200 "X-A: a\r\n b\r\n\r\n", "obs-fold");
BAD_BODY(rs_chunk_junk, RES, OK200 "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
	 "not followed by CRLF");
BAD_EOF(rs_eof_in_head, RES, "HTTP/1.1 200 OK\r\nContent-Le", "inside a head", 0);
BAD_EOF(rs_eof_in_length_body, RES, OK200 "Content-Length: 10\r\n\r\nabc", "inside a body", 1);
BAD_EOF(rs_eof_in_chunked_body, RES, OK200 "Transfer-Encoding: chunked\r\n\r\n5\r\nhel", "inside a body", 1);
BAD_EOF(rq_eof_in_head, REQ, "GET / HTTP/1.1\r\nHost: h\r\n", "inside a head", 0);

static const char *code_for(unsigned status)
{
	return status == 431 ? "header-too-large" : "bad-request";
}

static void test_bad_vector(void **state)
{
	const struct bad_vector *v = *state;
	struct trace_input in = { v->kind, v->data, v->len, NULL, 0, v->eof };
	static struct trace whole;

	trace_run(&whole, &in, NULL, 0);
	if (!whole.failed)
		fail_msg("accepted: %u message(s)", whole.n);
	print_message("# %s\n", whole.reason);
	assert_int_equal(whole.status, v->status);
	assert_string_equal(whole.code, code_for(v->status));
	if (v->reason != NULL && strstr(whole.reason, v->reason) == NULL)
		fail_msg("reason \"%s\" does not say \"%s\"", whole.reason, v->reason);
	assert_int_equal(whole.n, v->heads);
	trace_check_splits(&in, &whole, false);
}

static int group_teardown(void **state)
{
	trace_cleanup();
	return 0;
}

/* clang-format off */
#define VECTOR(v) { #v, test_bad_vector, NULL, NULL, &v }
/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
		VECTOR(rl_double_space_after_method),
		VECTOR(rl_double_space_before_version),
		VECTOR(rl_tab_after_method),
		VECTOR(rl_http09),
		VECTOR(rl_http12),
		VECTOR(rl_http20),
		VECTOR(rl_http09_named),
		VECTOR(rl_version_junk),
		VECTOR(rl_absolute_form),
		VECTOR(rl_asterisk_form),
		VECTOR(rl_target_tab),
		VECTOR(rl_target_0xff),
		VECTOR(rl_lowercase_method),
		VECTOR(rl_unknown_method),
		VECTOR(rl_connect),
		VECTOR(rl_leading_empty_line),
		VECTOR(rl_leading_space),
		VECTOR(rl_bare_lf),
		VECTOR(rl_bare_cr),

		VECTOR(hd_space_before_colon),
		VECTOR(hd_space_in_name),
		VECTOR(hd_non_token_name),
		VECTOR(hd_empty_name),
		VECTOR(hd_no_colon),
		VECTOR(hd_leading_space_first),
		VECTOR(hd_obs_fold),
		VECTOR(hd_obs_fold_tab),
		VECTOR(hd_nul_in_value),
		VECTOR(hd_del_in_value),
		VECTOR(hd_ctl_in_value),
		VECTOR(hd_ctl_after_ows),
		VECTOR(hd_nul_after_ows),
		VECTOR(hd_bare_cr_in_value),
		VECTOR(hd_bare_lf_line_end),
		VECTOR(hd_bare_lf_head_end),
		VECTOR(hd_two_hosts),
		VECTOR(hd_upgrade),
		VECTOR(hd_upgrade_alone),
		VECTOR(hd_expect_other),

		VECTOR(sm_cl_te),
		VECTOR(sm_te_cl),
		VECTOR(sm_te_space_before_colon),
		VECTOR(sm_cl_space_before_colon),
		VECTOR(sm_te_twice),
		VECTOR(sm_te_x_then_chunked),
		VECTOR(sm_te_xchunked),
		VECTOR(sm_te_chunked_identity),
		VECTOR(sm_te_identity_chunked),
		VECTOR(sm_te_quoted),
		VECTOR(sm_te_vertical_tab),
		VECTOR(sm_te_obs_fold),
		VECTOR(sm_te_folded_into_host),
		VECTOR(sm_te_http10),
		VECTOR(sm_te_on_get),
		VECTOR(sm_cl_twice_same),
		VECTOR(sm_cl_twice_different),
		VECTOR(sm_cl_plus),
		VECTOR(sm_cl_hex),
		VECTOR(sm_cl_negative),
		VECTOR(sm_cl_list),
		VECTOR(sm_cl_inner_space),
		VECTOR(sm_cl_empty),
		VECTOR(sm_cl_overflow),
		VECTOR(sm_cl_2_63),
		VECTOR(sm_cl_tab_between),
		VECTOR(sm_cl_tab_list),
		VECTOR(sm_cl_tab_list_after),
		VECTOR(sm_cl_tab_plus),
		VECTOR(sm_cl_tab_negative),
		VECTOR(sm_cl_tab_hex),
		VECTOR(sm_cl_tab_only),
		VECTOR(sm_cl_tab_twice_same),
		VECTOR(sm_cl_tab_twice_different),
		VECTOR(sm_cl_tab_before_colon),
		VECTOR(sm_cl_tab_then_vtab),
		VECTOR(sm_cl_tab_then_junk),
		VECTOR(sm_cl_tab_with_te),
		VECTOR(sm_get_with_body),
		VECTOR(sm_head_with_body),
		VECTOR(sm_split_by_bare_lf),

		VECTOR(ch_extension),
		VECTOR(ch_extension_bare_lf),
		VECTOR(ch_size_then_junk),
		VECTOR(ch_size_missing),
		VECTOR(ch_size_negative),
		VECTOR(ch_size_0x),
		VECTOR(ch_size_17_digits),
		VECTOR(ch_size_bare_lf),
		VECTOR(ch_size_bare_cr),
		VECTOR(ch_data_not_crlf),
		VECTOR(ch_data_lf_only),
		VECTOR(ch_data_cr_only),
		VECTOR(ch_data_too_long),
		VECTOR(ch_trailer),
		VECTOR(ch_trailer_content_length),
		VECTOR(ch_last_bare_cr),

		VECTOR(rs_status_two_digits),
		VECTOR(rs_status_600),
		VECTOR(rs_status_099),
		VECTOR(rs_status_double_space),
		VECTOR(rs_version_20),
		VECTOR(rs_switching_protocols),
		VECTOR(rs_no_content_with_length),
		VECTOR(rs_continue_chunked),
		VECTOR(rs_te_gzip),
		VECTOR(rs_te_http10),
		VECTOR(rs_cl_te),
		VECTOR(rs_obs_fold),
		VECTOR(rs_chunk_junk),
		VECTOR(rs_eof_in_head),
		VECTOR(rs_eof_in_length_body),
		VECTOR(rs_eof_in_chunked_body),
		VECTOR(rq_eof_in_head),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
