/*
 * tests/fuzz/fuzz_tsp.c: libFuzzer harness for the TSP/1 classifier.
 *
 * The input is framed as a request stream (pipelined messages allowed) with
 * the real framer; every head it reports is classified, and the result is
 * held to PROTOCOL.md: a classified request carries only values that obey the
 * grammars and the header rules of its role, a refusal carries one of the
 * known status/code pairs. The raw input also goes straight into the small
 * parsers (Basic credentials, ids, block numbers, the error body).
 * Any violation aborts, which libFuzzer reports as a crash.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "tsp.h"
#include "tests/fuzz/harness_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_id(const char *s)
{
	return tsp_id_valid(s, strlen(s));
}

static bool is_lower_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

static void check_error(const struct tsp_error *err)
{
	static const struct {
		unsigned status;
		const char *code;
	} known[] = { { 400, "bad-request" },
		      { 401, "unauthorized" },
		      { 404, "not-found" },
		      { 405, "method-not-allowed" },
		      { 413, "block-too-large" } };
	bool found = false;
	char body[512];
	size_t need;

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		found |= err->status == known[i].status && strcmp(err->code, known[i].code) == 0;
	CHECK(found);
	CHECK(err->reason != NULL && err->reason[0] != '\0');
	CHECK((err->status == 405) == (err->allow != NULL));
	need = tsp_error_body(body, sizeof body, err->code, err->reason);
	CHECK(need < sizeof body && strlen(body) == need);
}

/* The role decides which fields are set (PROTOCOL.md §4). */
static void check_request(const struct http_head *head, const struct tsp_request *req)
{
	bool names_task = req->role == TSP_ROLE_TASK_OPEN || req->role == TSP_ROLE_BLOCK_WRITE ||
			  req->role == TSP_ROLE_BLOCK_READ || req->role == TSP_ROLE_TASK_CLOSE;
	bool is_open = req->role == TSP_ROLE_JOB_OPEN || req->role == TSP_ROLE_TASK_OPEN;

	CHECK(req->category < TSP_CAT_COUNT && req->role < TSP_ROLE_COUNT);
	CHECK(head->version_major == 1 && head->version_minor == 1);
	CHECK(is_id(req->tenant));
	CHECK((req->role == TSP_ROLE_SESSION_HELLO) == (req->category == TSP_CAT_CONTROL));
	CHECK(req->role == TSP_ROLE_SESSION_HELLO ? req->job[0] == '\0' : is_id(req->job));
	CHECK(names_task ? is_id(req->task) : req->task[0] == '\0');
	CHECK((req->role == TSP_ROLE_BLOCK_READ) ==
	      (req->category == TSP_CAT_RESTORE && head->method == HTTP_METHOD_GET));
	CHECK((req->role == TSP_ROLE_BLOCK_WRITE) == (head->method == HTTP_METHOD_PUT));
	CHECK((req->origin != TSP_ORIGIN_NONE) == (req->role == TSP_ROLE_JOB_OPEN));
	CHECK((req->workload != TSP_WORKLOAD_NONE) == (req->role == TSP_ROLE_JOB_OPEN));
	CHECK((req->operation != TSP_OP_NONE) ==
	      (req->role == TSP_ROLE_JOB_OPEN && req->category == TSP_CAT_REPLICATION));
	CHECK((req->source[0] != '\0') == (is_open && req->category == TSP_CAT_RESTORE));
	CHECK(req->source[0] == '\0' || is_id(req->source));
	CHECK(req->source_category == TSP_CAT_CONTROL || tsp_category_is_backup(req->source_category));
	CHECK((req->result != TSP_RESULT_NONE) ==
	      (req->role == TSP_ROLE_TASK_CLOSE || req->role == TSP_ROLE_JOB_CLOSE));
	CHECK(req->role != TSP_ROLE_TASK_CLOSE || req->result != TSP_RESULT_WARNING);
	if (req->role == TSP_ROLE_BLOCK_WRITE) {
		CHECK(is_lower_hex(req->digest, TSP_DIGEST_HEX));
		CHECK(head->body == HTTP_BODY_LENGTH && req->body_bytes >= 1 &&
		      req->body_bytes <= TSP_BLOCK_MAX && req->body_bytes == head->content_length);
	} else {
		CHECK(req->digest[0] == '\0' && req->body_bytes == 0);
		CHECK(req->role == TSP_ROLE_BLOCK_READ || req->block == 0);
		CHECK(head->body == HTTP_BODY_NONE ||
		      (head->body == HTTP_BODY_LENGTH && head->content_length == 0));
	}
	if (req->origin == TSP_ORIGIN_AGENT)
		CHECK(req->workload == TSP_WORKLOAD_WINDOWS || req->workload == TSP_WORKLOAD_LINUX ||
		      req->workload == TSP_WORKLOAD_MAC);
}

/* Frames the whole input as one request stream; classifies every head. */
static void fuzz_stream(const char *data, size_t size)
{
	struct http_framer *f = http_framer_new(HTTP_KIND_REQUEST, NULL);
	struct http_event ev;
	size_t rounds = 0, max_rounds = 3 * size + 8; /* HEAD, BODY, END per byte at most */

	if (f == NULL)
		return;
	for (;;) {
		size_t n = http_framer_feed(f, data, size, &ev);

		CHECK(n <= size);
		data += n;
		size -= n;
		CHECK(++rounds <= max_rounds); /* progress, never a spin */
		if (ev.type == HTTP_EV_NONE || ev.type == HTTP_EV_ERROR)
			break;
		if (ev.type == HTTP_EV_HEAD) {
			const struct http_head *head = http_framer_head(f);
			struct tsp_request req;
			struct tsp_error err;

			if (tsp_classify(head, &req, &err))
				check_request(head, &req);
			else
				check_error(&err);
		}
	}
	http_framer_free(f);
}

/* The small parsers, fed the raw input. */
static void fuzz_parsers(const char *data, size_t size)
{
	char tenant[TSP_TENANT_MAX + 1], secret[TSP_SECRET_MAX + 1];
	char message[256];
	char body[2048];
	uint32_t block;
	size_t need;

	if (tsp_parse_basic_auth((struct http_str){ data, size }, tenant, secret)) {
		CHECK(is_id(tenant));
		CHECK(strlen(secret) >= 1 && strlen(secret) <= TSP_SECRET_MAX);
	}
	if (tsp_id_valid(data, size))
		CHECK(size >= 1 && size <= TSP_ID_MAX && memchr(data, '/', size) == NULL);
	if (tsp_block_parse(data, size, &block))
		CHECK(size >= 1 && size <= 10 && (data[0] != '0' || size == 1));
	/* The error body: the needed length does not depend on the room given. */
	memcpy(message, data, size < sizeof message - 1 ? size : sizeof message - 1);
	message[size < sizeof message - 1 ? size : sizeof message - 1] = '\0';
	need = tsp_error_body(body, sizeof body, "bad-request", message);
	CHECK(need < sizeof body && strlen(body) == need);
	CHECK(tsp_error_body(body, size % (need + 1), "bad-request", message) == need);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_stream((const char *)data, size);
	fuzz_parsers((const char *)data, size);
	return 0;
}
