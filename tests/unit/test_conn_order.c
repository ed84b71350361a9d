/*
 * tests/unit/test_conn_order.c: the connection engine keeps answer order
 * (proxy/conn/conn_internal.h, "Order"): pipelined requests reach the
 * repository as sent and their answers reach the tenant in request order,
 * byte for byte; a request the proxy refuses between two forwarded ones is
 * answered in its place, and its bytes never reach the repository.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conn_fixture.h"

#define ANSWER(body)                                                                    \
	"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " \
	"5\r\n\r\n" body
#define OTHER_AUTH "Authorization: Basic bWFsbG9yeTpwdw==\r\n" /* mallory:pw */
#define MALLORY_READ \
	"GET /tsp/1/restore/jobs/r7/tasks/vm-web01/blocks/1 HTTP/1.1\r\n" FX_HOST OTHER_AUTH "\r\n"
#define BLOCK_BODY "0123456789abcdef0123456789abcdef"
#define BACKUP_WRITE                                                                                         \
	"PUT /tsp/1/backup/jobs/nightly-0142/tasks/vm-web01/blocks/0 HTTP/1.1\r\n" FX_HOST FX_AUTH FX_DIGEST \
	"Content-Length: 32\r\n\r\n" BLOCK_BODY

/* Split what the tenant got into n complete responses; false if the bytes
 * are not exactly n of them. */
static bool split_responses(const char *buf, size_t len, size_t n, size_t *at, size_t *lengths)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		lengths[i] = fx_response_length(buf + off, len - off);
		if (lengths[i] == 0)
			return false;
		at[i] = off;
		off += lengths[i];
	}
	return off == len;
}

static size_t receive_all(struct conn_fixture *f, char *buf, size_t size)
{
	bool eof;
	size_t got = fx_recv(f, f->tenant_fd, buf, size, &eof);

	assert_false(eof);
	return got;
}

static void test_pipelined_answers_in_order(void **state)
{
	struct conn_fixture *f = *state;
	const char *requests = FX_RESTORE_READ(0) FX_RESTORE_READ(1) FX_RESTORE_READ(2);
	const char *answers = ANSWER("blk-0") ANSWER("blk-1") ANSWER("blk-2");

	assert_int_equal(fx_send_text(f, f->tenant_fd, requests), strlen(requests));
	fx_expect(f, f->repo_fd, requests);
	fx_expect_nothing(f, f->tenant_fd);
	assert_int_equal(fx_send_text(f, f->repo_fd, answers), strlen(answers));
	fx_expect(f, f->tenant_fd, answers);
	assert_int_equal(f->counters.requests, 3);
	assert_int_equal(f->counters.forwarded, 3);
	assert_int_equal(f->counters.messages[TSP_CAT_RESTORE][SERVER_FORWARDED], 3);
	assert_int_equal(f->conns_open, 1);
	assert_int_equal(f->conn->queue_len, 0);
}

/* Answers cut at every odd place, the requests sent one byte at a time:
 * the bytes still pass unchanged and in order. */
static void test_pipelined_split_anywhere(void **state)
{
	struct conn_fixture *f = *state;
	const char *requests = FX_RESTORE_READ(0) FX_RESTORE_READ(1);
	const char *answers = ANSWER("blk-0") ANSWER("blk-1");
	size_t len = strlen(answers);

	for (const char *p = requests; *p != '\0'; p++)
		assert_int_equal(fx_send(f, f->tenant_fd, p, 1), 1);
	fx_expect(f, f->repo_fd, requests);
	for (size_t off = 0; off < len; off += 7)
		assert_int_equal(fx_send(f, f->repo_fd, answers + off, len - off < 7 ? len - off : 7),
				 len - off < 7 ? len - off : 7);
	fx_expect(f, f->tenant_fd, answers);
}

/* The first answer comes in two parts with a pause between: its first
 * part goes out at once, and the second answer follows only after the
 * rest of the first. */
static void test_nothing_before_the_first_answer(void **state)
{
	struct conn_fixture *f = *state;
	const char *requests = FX_RESTORE_READ(0) FX_RESTORE_READ(1);

	fx_send_text(f, f->tenant_fd, requests);
	fx_expect(f, f->repo_fd, requests);
	fx_send_text(f, f->repo_fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nbl");
	fx_expect(f, f->tenant_fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nbl");
	fx_send_text(f, f->repo_fd, "k-0" ANSWER("blk-1"));
	fx_expect(f, f->tenant_fd, "k-0" ANSWER("blk-1"));
}

/* Three requests, the middle one refused: the tenant gets answer 1, the
 * refusal, answer 3, in that order; the repository sees 1 and 3 only. */
static void refusal_in_the_middle(struct conn_fixture *f, const char *middle, const char *status_line)
{
	char requests[2048], got[4096];
	size_t at[3], lengths[3], n;

	snprintf(requests, sizeof requests, "%s%s%s", FX_RESTORE_READ(0), middle, FX_RESTORE_READ(2));
	assert_int_equal(fx_send_text(f, f->tenant_fd, requests), strlen(requests));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(0) FX_RESTORE_READ(2));
	/* The refusal is ready, but answer 1 is owed first. */
	fx_expect_nothing(f, f->tenant_fd);
	fx_send_text(f, f->repo_fd, ANSWER("blk-0") ANSWER("blk-2"));
	n = receive_all(f, got, sizeof got);
	assert_true(split_responses(got, n, 3, at, lengths));
	assert_int_equal(lengths[0], strlen(ANSWER("blk-0")));
	assert_memory_equal(got + at[0], ANSWER("blk-0"), lengths[0]);
	assert_memory_equal(got + at[1], status_line, strlen(status_line));
	assert_null(memmem(got + at[1], lengths[1], "Connection: close", 17));
	assert_int_equal(lengths[2], strlen(ANSWER("blk-2")));
	assert_memory_equal(got + at[2], ANSWER("blk-2"), lengths[2]);
	fx_expect_nothing(f, f->repo_fd);
	assert_int_equal(f->counters.requests, 3);
	assert_int_equal(f->counters.forwarded, 2);
	assert_int_equal(f->conns_open, 1);
}

static void test_disabled_tenant_between_two(void **state)
{
	struct conn_fixture *f = *state;

	fx_disable_tenant(f, "mallory");
	refusal_in_the_middle(f, MALLORY_READ, "HTTP/1.1 403 ");
	assert_int_equal(f->counters.refused_disabled, 1);
}

/* A refused request with a body: the body is dropped, never forwarded,
 * and the connection goes on. */
static void test_maintenance_block_between_two(void **state)
{
	struct conn_fixture *f = *state;

	fx_maintenance_block(f);
	refusal_in_the_middle(f, BACKUP_WRITE, "HTTP/1.1 503 ");
	assert_int_equal(f->counters.refused_maintenance, 1);
	assert_int_equal(f->counters.messages[TSP_CAT_BACKUP][SERVER_REFUSED_MAINTENANCE], 1);
}

/* The refused request's body arrives only after the forwarded request's
 * answer went out: the answer order holds across reads. */
static void test_refusal_body_late(void **state)
{
	struct conn_fixture *f = *state;
	const char *head_only = BACKUP_WRITE;
	size_t head_len = strlen(head_only) - strlen(BLOCK_BODY);
	char got[4096];
	size_t at[2], lengths[2], n;

	fx_maintenance_block(f);
	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(0));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(0));
	fx_send(f, f->tenant_fd, head_only, head_len);
	fx_send_text(f, f->repo_fd, ANSWER("blk-0"));
	n = receive_all(f, got, sizeof got);
	assert_true(split_responses(got, n, 2, at, lengths));
	assert_memory_equal(got, ANSWER("blk-0"), lengths[0]);
	assert_memory_equal(got + at[1], "HTTP/1.1 503 ", 13);
	fx_send_text(f, f->tenant_fd, BLOCK_BODY FX_RESTORE_READ(2));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(2));
	fx_send_text(f, f->repo_fd, ANSWER("blk-2"));
	fx_expect(f, f->tenant_fd, ANSWER("blk-2"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pipelined_answers_in_order, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_split_anywhere, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_nothing_before_the_first_answer, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_disabled_tenant_between_two, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_maintenance_block_between_two, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_refusal_body_late, conn_fixture_setup,
						conn_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
