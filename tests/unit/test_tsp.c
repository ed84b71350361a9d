/*
 * tests/unit/test_tsp.c: the TSP/1 classifier (protocol/tsp.c) against
 * PROTOCOL.md: the vector table, the fields of a classified request, no read
 * past a string, and requests through the real framer. Heads are built by
 * hand (build_head) so that these tests do not depend on the framer; every
 * table row is one TAP test case. The words of TSP/1 are tested in
 * test_tsp_names.c, Basic credentials in test_tsp_auth.c.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "head_fixture.h"
#include "http.h"
#include "tsp.h"
#include "tsp_vectors.h"

/* ---- heads built by hand ---- */

static char *trim(char *s)
{
	char *end;

	while (*s == ' ')
		s++;
	end = s + strlen(s);
	while (end > s && end[-1] == ' ')
		*--end = '\0';
	return s;
}

/* "METHOD target HTTP/x.y", headers "Name: value\n..." and the body framing
 * (TV_NO_BODY, TV_CHUNKED or a Content-Length) as the framer would report them. */
static void build_head(struct test_head *t, const char *line, const char *headers, long long length)
{
	char *next;
	size_t line_len = strlen(line);

	memset(t, 0, sizeof *t);
	assert_true(line_len + strlen(headers) + 2 < sizeof t->text);
	memcpy(t->text, line, line_len + 1);
	split_request_line(&t->head, t->text);

	next = t->text + line_len + 1;
	strcpy(next, headers);
	while (*next != '\0') {
		char *eol = strchr(next, '\n'), *colon = strchr(next, ':');
		struct http_header *h = &t->headers[t->head.header_count++];

		assert_non_null(eol);
		assert_non_null(colon);
		assert_true(t->head.header_count <= MAX_TEST_HEADERS);
		*eol = '\0';
		*colon = '\0';
		h->name = str_of(next);
		h->value = str_of(trim(colon + 1));
		next = eol + 1;
	}
	t->head.headers = t->headers;
	t->head.keep_alive = true;
	if (length == TV_CHUNKED) {
		t->head.body = HTTP_BODY_CHUNKED;
	} else if (length >= 0) {
		t->head.body = HTTP_BODY_LENGTH;
		t->head.content_length = (uint64_t)length;
	}
}

static bool classify(const char *line, const char *headers, long long length, struct tsp_request *req,
		     struct tsp_error *err)
{
	struct test_head t;

	build_head(&t, line, headers, length);
	memset(err, 0, sizeof *err);
	return tsp_classify(&t.head, req, err);
}

/* ---- the vector table (tsp_vectors.h), one test case per row ---- */

static void test_vector(void **state)
{
	const struct tsp_vector *v = *state;
	struct tsp_request req;
	struct tsp_error err;
	bool ok = classify(v->line, v->headers, v->length, &req, &err);

	if (v->status == 0) {
		if (!ok)
			fail_msg("%s: refused %u %s (%s)", v->name, err.status, err.code, err.reason);
		assert_int_equal(req.category, v->category);
		assert_int_equal(req.role, v->role);
		assert_string_equal(req.tenant, "acme");
		return;
	}
	if (ok)
		fail_msg("%s: classified, expected %u %s", v->name, v->status, v->code);
	assert_int_equal(err.status, v->status);
	assert_string_equal(err.code, v->code);
	assert_non_null(err.reason);
	assert_true(strlen(err.reason) > 0);
	if (v->allow != NULL) {
		assert_non_null(err.allow);
		assert_string_equal(err.allow, v->allow);
	} else {
		assert_null(err.allow);
	}
	if (v->reason_has != NULL && strstr(err.reason, v->reason_has) == NULL)
		fail_msg("%s: reason \"%s\" lacks \"%s\"", v->name, err.reason, v->reason_has);
}

/* ---- the fields of a classified request ---- */

static void test_fields_block_write(void **state)
{
	struct tsp_request req;
	struct tsp_error err;

	(void)state;
	assert_true(classify("PUT /tsp/1/backup-copy/jobs/copy.7/tasks/vm_01-a/blocks/4294967295 HTTP/1.1",
			     TV_BASE TV_DIGEST, 17, &req, &err));
	assert_int_equal(req.category, TSP_CAT_BACKUP_COPY);
	assert_int_equal(req.role, TSP_ROLE_BLOCK_WRITE);
	assert_string_equal(req.job, "copy.7");
	assert_string_equal(req.task, "vm_01-a");
	assert_int_equal(req.block, 4294967295u);
	assert_string_equal(req.digest, TV_DIGEST_HEX);
	assert_int_equal(req.body_bytes, 17);
	assert_int_equal(req.origin, TSP_ORIGIN_NONE);
	assert_string_equal(req.source, "");
}

static void test_fields_job_open(void **state)
{
	struct tsp_request req;
	struct tsp_error err;

	(void)state;
	assert_true(classify("POST /tsp/1/replication/jobs/fo-0001 HTTP/1.1",
			     TV_BASE "Tsp-Origin: vbr\nTsp-Workload: hyperv\nTsp-Operation: failback\n",
			     TV_NO_BODY, &req, &err));
	assert_int_equal(req.origin, TSP_ORIGIN_VBR);
	assert_int_equal(req.workload, TSP_WORKLOAD_HYPERV);
	assert_int_equal(req.operation, TSP_OP_FAILBACK);
	assert_string_equal(req.job, "fo-0001");
	assert_string_equal(req.task, "");
	assert_int_equal(req.result, TSP_RESULT_NONE);
	assert_int_equal(req.body_bytes, 0);
}

static void test_fields_restore_sources(void **state)
{
	struct tsp_request req;
	struct tsp_error err;

	(void)state;
	assert_true(classify("POST /tsp/1/restore/jobs/r1 HTTP/1.1",
			     TV_BASE "Tsp-Origin: agent\nTsp-Workload: mac\nTsp-Source: backup-copy/copy-9\n",
			     TV_NO_BODY, &req, &err));
	assert_string_equal(req.source, "copy-9");
	assert_int_equal(req.source_category, TSP_CAT_BACKUP_COPY);
	assert_true(classify("POST /tsp/1/restore/jobs/r1 HTTP/1.1",
			     TV_BASE "Tsp-Origin: vbr\nTsp-Workload: vcd\nTsp-Source: nightly-0142\n",
			     TV_NO_BODY, &req, &err));
	assert_string_equal(req.source, "nightly-0142");
	assert_int_equal(req.source_category, TSP_CAT_BACKUP);
	assert_true(classify("POST /tsp/1/restore/jobs/r1/tasks/t2 HTTP/1.1",
			     TV_BASE "Tsp-Source: vm-web01\n", TV_NO_BODY, &req, &err));
	assert_string_equal(req.source, "vm-web01");
	assert_int_equal(req.source_category, TSP_CAT_CONTROL);
	assert_string_equal(req.task, "t2");
}

static void test_fields_closes(void **state)
{
	static const struct {
		const char *line, *result;
		enum tsp_result want;
	} rows[] = {
		{ "POST " TV_TASK "/close HTTP/1.1", "success", TSP_RESULT_SUCCESS },
		{ "POST " TV_TASK "/close HTTP/1.1", "failed", TSP_RESULT_FAILED },
		{ "POST " TV_JOB "/close HTTP/1.1", "success", TSP_RESULT_SUCCESS },
		{ "POST " TV_JOB "/close HTTP/1.1", "warning", TSP_RESULT_WARNING },
		{ "POST " TV_JOB "/close HTTP/1.1", "failed", TSP_RESULT_FAILED },
	};
	char headers[256];

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct tsp_request req;
		struct tsp_error err;

		snprintf(headers, sizeof headers, TV_BASE "Tsp-Result: %s\n", rows[i].result);
		assert_true(classify(rows[i].line, headers, TV_NO_BODY, &req, &err));
		assert_int_equal(req.result, rows[i].want);
		assert_string_equal(req.job, "nightly-0142");
	}
}

/* A failed classification leaves no stale fields from an earlier request. */
static void test_request_cleared(void **state)
{
	struct tsp_request req;
	struct tsp_error err;

	(void)state;
	assert_true(classify("PUT " TV_TASK "/blocks/9 HTTP/1.1", TV_BASE TV_DIGEST, 5, &req, &err));
	assert_true(classify("GET /tsp/1/session HTTP/1.1", TV_BASE, TV_NO_BODY, &req, &err));
	assert_string_equal(req.job, "");
	assert_string_equal(req.digest, "");
	assert_int_equal(req.block, 0);
	assert_int_equal(req.category, TSP_CAT_CONTROL);
}

/* ---- no read past a string: each string of each vector against a guard page ---- */

/* Classifies t's head once per string (target, each header name and value),
 * that string moved right before a PROT_NONE page; the outcome must not change. */
static void classify_each_string_guarded(struct test_head *t, struct guard *g)
{
	struct tsp_request base_req, req;
	struct tsp_error base_err, err;
	bool base = tsp_classify(&t->head, &base_req, &base_err);
	struct http_str *strs[1 + 2 * MAX_TEST_HEADERS];
	size_t n = 0;

	strs[n++] = &t->head.target;
	for (unsigned i = 0; i < t->head.header_count; i++) {
		strs[n++] = &t->headers[i].name;
		strs[n++] = &t->headers[i].value;
	}
	for (size_t i = 0; i < n; i++) {
		struct http_str saved = *strs[i];
		const char *placed = guard_place(g, saved.ptr, saved.len);

		assert_non_null(placed);
		strs[i]->ptr = placed;
		assert_int_equal(tsp_classify(&t->head, &req, &err), base);
		if (!base)
			assert_int_equal(err.status, base_err.status);
		*strs[i] = saved;
	}
}

static void test_vectors_guarded(void **state)
{
	struct guard g = GUARD_INIT;
	struct test_head t;

	(void)state;
	for (size_t i = 0; i < TSP_VECTOR_COUNT; i++) {
		build_head(&t, tsp_vectors[i].line, tsp_vectors[i].headers, tsp_vectors[i].length);
		classify_each_string_guarded(&t, &g);
	}
	guard_release(&g);
}

/* ---- through the real framer (protocol/http.c) ---- */

#define CRLF_AUTH "Host: cloud.example.net\r\nAuthorization: Basic YWNtZTpzM2NyZXQ=\r\n"

/* PROTOCOL.md §12.1, pipelined on one connection. */
static const char backup_job_stream[] =
	"GET /tsp/1/session HTTP/1.1\r\n" CRLF_AUTH "\r\n"
	"POST /tsp/1/backup/jobs/nightly-0142 HTTP/1.1\r\n" CRLF_AUTH
	"Tsp-Origin: vbr\r\nTsp-Workload: vsphere\r\n\r\n"
	"POST /tsp/1/backup/jobs/nightly-0142/tasks/vm-web01 HTTP/1.1\r\n" CRLF_AUTH "\r\n"
	"PUT /tsp/1/backup/jobs/nightly-0142/tasks/vm-web01/blocks/0 HTTP/1.1\r\n" CRLF_AUTH
	"Content-Length: 17\r\nTsp-Digest: sha256=" TV_DIGEST_HEX "\r\n\r\nvm-web01 block 0\n"
	"PUT /tsp/1/backup/jobs/nightly-0142/tasks/vm-web01/blocks/1 HTTP/1.1\r\n" CRLF_AUTH
	"Content-Length: 17\r\nExpect: 100-continue\r\n"
	"Tsp-Digest: sha256=5584a90403c7224de650ca76cb0b731953f129e03173c3b3f8c2bb1a5d17c53c\r\n\r\n"
	"vm-web01 block 1\n"
	"POST /tsp/1/backup/jobs/nightly-0142/tasks/vm-web01/close HTTP/1.1\r\n" CRLF_AUTH
	"Tsp-Result:   success  \r\n\r\n"
	"POST /tsp/1/backup/jobs/nightly-0142/close HTTP/1.1\r\n" CRLF_AUTH "tsp-result: success\r\n\r\n";

static const enum tsp_role backup_job_roles[] = {
	TSP_ROLE_SESSION_HELLO, TSP_ROLE_JOB_OPEN,   TSP_ROLE_TASK_OPEN, TSP_ROLE_BLOCK_WRITE,
	TSP_ROLE_BLOCK_WRITE,   TSP_ROLE_TASK_CLOSE, TSP_ROLE_JOB_CLOSE,
};

#define STREAM_MAX 16

struct framed {
	unsigned heads;
	bool classified[STREAM_MAX];
	struct tsp_request req[STREAM_MAX];
	struct tsp_error err[STREAM_MAX];
	bool framer_error;
};

/* Feeds data in slices of `step` bytes (0: all at once) from a guard page. */
static void frame_and_classify(const char *data, size_t len, size_t step, struct framed *out)
{
	struct http_framer *f = http_framer_new(HTTP_KIND_REQUEST, NULL);
	struct guard g = GUARD_INIT;
	const char *p = guard_place(&g, data, len);
	size_t off = 0;

	assert_non_null(f);
	assert_non_null(p);
	memset(out, 0, sizeof *out);
	while (!out->framer_error) {
		size_t slice = step == 0 || len - off < step ? len - off : step;
		struct http_event ev;
		size_t n = http_framer_feed(f, p + off, slice, &ev);

		off += n;
		if (ev.type == HTTP_EV_ERROR)
			out->framer_error = true;
		if (ev.type == HTTP_EV_HEAD) {
			unsigned k = out->heads++;

			assert_true(k < STREAM_MAX);
			out->classified[k] = tsp_classify(http_framer_head(f), &out->req[k], &out->err[k]);
		}
		if (ev.type == HTTP_EV_NONE && off == len)
			break;
	}
	http_framer_free(f);
	guard_release(&g);
}

static void test_framer_backup_job(void **state)
{
	const size_t len = sizeof backup_job_stream - 1;
	const size_t steps[] = { 0, 1, 2, 7, 64 };
	struct framed out;

	(void)state;
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		frame_and_classify(backup_job_stream, len, steps[s], &out);
		assert_false(out.framer_error);
		assert_int_equal(out.heads, sizeof backup_job_roles / sizeof backup_job_roles[0]);
		for (unsigned k = 0; k < out.heads; k++) {
			if (!out.classified[k])
				fail_msg("message %u (step %zu): %s", k, steps[s], out.err[k].reason);
			assert_int_equal(out.req[k].role, backup_job_roles[k]);
			assert_string_equal(out.req[k].tenant, "acme");
		}
		assert_int_equal(out.req[3].block, 0);
		assert_int_equal(out.req[4].block, 1);
		assert_int_equal(out.req[4].body_bytes, 17);
		assert_int_equal(out.req[5].result, TSP_RESULT_SUCCESS); /* OWS trimmed */
	}
}

/* What the framer lets through, the classifier refuses with PROTOCOL.md's answer. */
static void test_framer_then_refusals(void **state)
{
	static const struct {
		const char *request;
		unsigned status;
	} rows[] = {
		{ "PUT /tsp/1/backup/jobs/j/tasks/t/blocks/0 HTTP/1.1\r\n" CRLF_AUTH
		  "Transfer-Encoding: chunked\r\nTsp-Digest: sha256=" TV_DIGEST_HEX
		  "\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		  400 },
		{ "GET /tsp/1/session HTTP/1.0\r\n" CRLF_AUTH "\r\n", 400 },
		{ "GET /tsp/1/session?x HTTP/1.1\r\n" CRLF_AUTH "\r\n", 404 },
		{ "PUT /tsp/1/restore/jobs/r/tasks/t/blocks/0 HTTP/1.1\r\n" CRLF_AUTH
		  "Content-Length: 1\r\n\r\nx",
		  405 },
		{ "GET /tsp/1/session HTTP/1.1\r\nHost: h\r\n\r\n", 401 },
		{ "PUT /tsp/1/backup/jobs/j/tasks/t/blocks/0 HTTP/1.1\r\n" CRLF_AUTH
		  "Content-Length: 67108865\r\nTsp-Digest: sha256=" TV_DIGEST_HEX "\r\n\r\n",
		  413 },
	};
	struct framed out;

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		frame_and_classify(rows[i].request, strlen(rows[i].request), 0, &out);
		assert_false(out.framer_error); /* valid HTTP: the refusal is TSP's */
		assert_int_equal(out.heads, 1);
		assert_false(out.classified[0]);
		assert_int_equal(out.err[0].status, rows[i].status);
	}
}

/* Two Authorization headers are well-framed HTTP: the framer passes them on
 * and the classifier answers 401 (PROTOCOL.md section 2), not 400; the body
 * behind is framed by its Content-Length and the next request follows. */
static void test_framer_repeated_credentials(void **state)
{
	static const char stream[] =
		"PUT /tsp/1/backup/jobs/nightly-0142/tasks/vm-web01/blocks/0 HTTP/1.1\r\n" CRLF_AUTH
		"authorization: Basic Ym9iOmh1bnRlcjI=\r\nContent-Length: 17\r\n"
		"Tsp-Digest: sha256=" TV_DIGEST_HEX "\r\n\r\nvm-web01 block 0\n"
		"GET /tsp/1/session HTTP/1.1\r\n" CRLF_AUTH "Authorization: Basic YWNtZTpzM2NyZXQ=\r\n\r\n"
		"GET /tsp/1/session HTTP/1.1\r\n" CRLF_AUTH "\r\n";
	const size_t steps[] = { 0, 1, 7 };
	struct framed out;

	(void)state;
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		frame_and_classify(stream, sizeof stream - 1, steps[s], &out);
		assert_false(out.framer_error);
		assert_int_equal(out.heads, 3);
		for (unsigned k = 0; k < 2; k++) {
			assert_false(out.classified[k]);
			assert_int_equal(out.err[k].status, 401);
			assert_string_equal(out.err[k].code, "unauthorized");
			assert_string_equal(out.err[k].reason, "Authorization appears more than once");
		}
		assert_true(out.classified[2]);
		assert_int_equal(out.req[2].role, TSP_ROLE_SESSION_HELLO);
	}
}

/* A tab is optional whitespace around a Content-Length value too. */
static void test_framer_length_with_tabs(void **state)
{
	static const char stream[] =
		"PUT /tsp/1/backup/jobs/nightly-0142/tasks/vm-web01/blocks/0 HTTP/1.1\r\n" CRLF_AUTH
		"Content-Length:\t17\t\r\nTsp-Digest: sha256=" TV_DIGEST_HEX "\r\n\r\nvm-web01 block 0\n"
		"PUT /tsp/1/backup/jobs/nightly-0142/tasks/vm-web01/blocks/1 HTTP/1.1\r\n" CRLF_AUTH
		"Content-Length: 3 \t\r\nTsp-Digest: sha256=" TV_DIGEST_HEX "\r\n\r\nabc"
		"GET /tsp/1/session HTTP/1.1\r\n" CRLF_AUTH "\r\n";
	const size_t steps[] = { 0, 1, 7 };
	struct framed out;

	(void)state;
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		frame_and_classify(stream, sizeof stream - 1, steps[s], &out);
		assert_false(out.framer_error);
		assert_int_equal(out.heads, 3);
		for (unsigned k = 0; k < 3; k++) {
			if (!out.classified[k])
				fail_msg("message %u (step %zu): %s", k, steps[s], out.err[k].reason);
		}
		assert_int_equal(out.req[0].body_bytes, 17);
		assert_int_equal(out.req[1].body_bytes, 3);
		assert_int_equal(out.req[2].role, TSP_ROLE_SESSION_HELLO);
	}
}

/* ---- the group ---- */

static const struct CMUnitTest unit_tests[] = {
	cmocka_unit_test(test_fields_block_write),
	cmocka_unit_test(test_fields_job_open),
	cmocka_unit_test(test_fields_restore_sources),
	cmocka_unit_test(test_fields_closes),
	cmocka_unit_test(test_request_cleared),
	cmocka_unit_test(test_vectors_guarded),
	cmocka_unit_test(test_framer_backup_job),
	cmocka_unit_test(test_framer_then_refusals),
	cmocka_unit_test(test_framer_repeated_credentials),
	cmocka_unit_test(test_framer_length_with_tabs),
};

#define UNIT_COUNT (sizeof unit_tests / sizeof unit_tests[0])

int main(void)
{
	static struct CMUnitTest tests[TSP_VECTOR_COUNT + UNIT_COUNT];

	for (size_t i = 0; i < TSP_VECTOR_COUNT; i++) {
		tests[i] = (struct CMUnitTest){ .name = tsp_vectors[i].name,
						.test_func = test_vector,
						.initial_state = (void *)&tsp_vectors[i] };
	}
	for (size_t i = 0; i < UNIT_COUNT; i++)
		tests[TSP_VECTOR_COUNT + i] = unit_tests[i];
	return cmocka_run_group_tests_name("tsp", tests, NULL, NULL);
}
