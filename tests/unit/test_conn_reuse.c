/*
 * tests/unit/test_conn_reuse.c: a repository connection taken from the pool
 * (proxy/conn/replay.c, request.c). The tenant's Connection: close is
 * hop-by-hop: the repository never sees it, the tenant's answer says it and
 * the repository connection is parked again. The race a peek cannot avoid
 * (the repository closes the idle connection as the first request arrives)
 * is reproduced: the request is sent again, byte for byte, on a fresh
 * connection, the tenant gets the one answer and no 502; a second close is
 * not retried; a first request larger than [limits] buffer_bytes never goes
 * on a reused connection.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "conn_fixture.h"

#define READ_LINE(n) "GET /tsp/1/restore/jobs/r7/tasks/vm-web01/blocks/" #n " HTTP/1.1\r\n"
#define OK_2 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
#define OK_2_CLOSE "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
#define CREATED "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
#define SMALL_WRITE                                                                                      \
	"PUT /tsp/1/replication/jobs/r1/tasks/vm-app02/blocks/12 HTTP/1.1\r\n" FX_HOST FX_AUTH FX_DIGEST \
	"Content-Length: 10\r\n\r\n0123456789"

/* The repository's end of the pooled pair closes, as an idle timeout would. */
static void repository_closes(struct conn_fixture *f)
{
	close(f->repo_fd);
	f->repo_fd = -1;
}

/* A fresh connect has somewhere to go, and a restore read went out on the
 * pooled connection. */
static void first_read_on_pooled(struct conn_fixture *f)
{
	fx_listen_repository(f);
	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(0));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(0));
}

/* Exactly text arrives on fd, then EOF. */
static void expect_last(struct conn_fixture *f, int fd, const char *text)
{
	char buf[512];
	bool eof;
	size_t got = fx_recv(f, fd, buf, sizeof buf, &eof);

	assert_true(eof);
	assert_int_equal(got, strlen(text));
	assert_memory_equal(buf, text, got);
}

/* Connection: close (any case, any whitespace) reaches the
 * proxy only: the repository gets the head without that line, the tenant's
 * answer carries Connection: close and then the tenant connection ends,
 * and the repository connection is parked for the next tenant. */
static void test_connection_close_is_hop_by_hop(void **state)
{
	struct conn_fixture *f = *state;
	const char *request = READ_LINE(0) FX_HOST "connection:  Close \r\n" FX_AUTH "\r\n";

	fx_send_text(f, f->tenant_fd, request);
	fx_expect(f, f->repo_fd, READ_LINE(0) FX_HOST FX_AUTH "\r\n");
	fx_send_text(f, f->repo_fd, OK_2);
	expect_last(f, f->tenant_fd, OK_2_CLOSE);
	close(f->tenant_fd);
	f->tenant_fd = -1;
	fx_run(f, 8);
	assert_null(f->conn);
	assert_int_equal(f->upool.count, 1);
	assert_int_equal(f->counters.upstream.parked, FX_OFFERED + 1);
	assert_int_equal(f->counters.bytes_in, strlen(request)); /* what the tenant sent */
	fx_expect_nothing(f, f->repo_fd);
}

/* A repository answering with its own Connection: close gets nothing
 * added, and its connection is not parked. */
static void test_repository_close_is_relayed(void **state)
{
	struct conn_fixture *f = *state;

	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(0));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(0));
	fx_send_text(f, f->repo_fd, OK_2_CLOSE);
	expect_last(f, f->tenant_fd, OK_2_CLOSE);
	assert_int_equal(f->upool.count, 0);
	assert_int_equal(f->counters.upstream.parked, FX_OFFERED);
}

/* The race: the reused connection closes after the request went out and
 * before a byte of an answer. The same bytes go out once more on a fresh
 * connection, pipelined ones behind them in order, and the tenant gets
 * the answers, no 502. */
static void test_closed_reused_connection_is_retried(void **state)
{
	struct conn_fixture *f = *state;
	const char *sent = SMALL_WRITE FX_RESTORE_READ(1);

	fx_listen_repository(f);
	fx_send_text(f, f->tenant_fd, sent);
	fx_expect(f, f->repo_fd, sent);
	repository_closes(f);
	assert_true(fx_accept_repository(f));
	fx_expect(f, f->repo_fd, sent);
	fx_send_text(f, f->repo_fd, CREATED OK_2);
	fx_expect(f, f->tenant_fd, CREATED OK_2);
	assert_int_equal(f->counters.upstream.resent, 1);
	assert_int_equal(f->counters.upstream.reused, 1);
	assert_int_equal(f->counters.upstream.connects, 1);
	assert_int_equal(f->counters.upstream_errors_502, 0);
	assert_int_equal(f->conn->forwarded_sent, strlen(sent));
	assert_null(f->conn->replay.data); /* the answer began: the copy is gone */
	/* Later requests go on the fresh connection as usual. */
	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(2));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(2));
}

/* Once a byte of an answer came, the connection is proven alive and
 * nothing is sent again: a close then ends the tenant connection after
 * what was framed, as before. */
static void test_no_retry_after_an_answer_began(void **state)
{
	struct conn_fixture *f = *state;
	char buf[512];
	bool eof;
	size_t got;

	first_read_on_pooled(f);
	fx_send_text(f, f->repo_fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab");
	fx_run(f, 4);
	repository_closes(f);
	got = fx_recv(f, f->tenant_fd, buf, sizeof buf, &eof);
	assert_true(eof);
	assert_int_equal(got, strlen("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"));
	assert_false(fx_accept_repository(f));
	assert_int_equal(f->counters.upstream.resent, 0);
}

/* Sent again once only: a fresh connection that closes before answering
 * gives the 502 a closing repository always gave. */
static void test_retried_once_only(void **state)
{
	struct conn_fixture *f = *state;
	char buf[2048];
	bool eof;
	size_t got;

	first_read_on_pooled(f);
	repository_closes(f);
	assert_true(fx_accept_repository(f));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(0));
	repository_closes(f);
	got = fx_recv(f, f->tenant_fd, buf, sizeof buf, &eof);
	assert_true(eof);
	assert_memory_equal(buf, "HTTP/1.1 502 ", 13);
	assert_int_equal(fx_response_length(buf, got), got);
	assert_false(fx_accept_repository(f));
	assert_int_equal(f->counters.upstream.resent, 1);
	assert_int_equal(f->counters.upstream_errors_502, 1);
}

/* A first request larger than [limits] buffer_bytes cannot be kept: it
 * goes on a fresh connection and the idle one stays in the pool. */
static void test_large_first_request_connects(void **state)
{
	struct conn_fixture *f = *state;
	char head[512], *body = malloc(FX_RING_BYTES + 1);
	size_t head_len;

	assert_non_null(body);
	fx_pattern(body, FX_RING_BYTES + 1, 0);
	head_len = (size_t)
		snprintf(head, sizeof head,
			 "PUT /tsp/1/replication/jobs/r1/tasks/vm-app02/blocks/12 HTTP/1.1\r\n" FX_HOST
				 FX_AUTH FX_DIGEST "Content-Length: %u\r\n\r\n",
			 FX_RING_BYTES + 1);
	fx_listen_repository(f);
	fx_send(f, f->tenant_fd, head, head_len);
	fx_run(f, 4);
	assert_int_equal(f->upool.count, 1); /* (accepting closes the pooled pair's far end) */
	assert_true(fx_accept_repository(f));
	fx_expect(f, f->repo_fd, head);
	assert_int_equal(f->counters.upstream.reused, 0);
	assert_int_equal(f->counters.upstream.connects, 1);
	assert_null(f->conn->replay.data);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connection_close_is_hop_by_hop, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_repository_close_is_relayed, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_closed_reused_connection_is_retried, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_no_retry_after_an_answer_began, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_retried_once_only, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_large_first_request_connects, conn_fixture_setup,
						conn_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
