/*
 * tests/unit/test_conn_close.c: a peer closing in the middle of a message
 * (proxy/conn/). The tenant closing in the middle of a PUT body ends the
 * connection, and the repository connection that saw part of it is closed,
 * never parked for reuse; the repository closing in the middle of an answer
 * ends the tenant connection after the bytes already framed, with nothing
 * added. Either way the connection is freed (conn_removed) and its rings go
 * back to the spares.
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

#define BODY_BYTES 8192u
#define REPLICATION_WRITE                                                                                \
	"PUT /tsp/1/replication/jobs/r1/tasks/vm-app02/blocks/12 HTTP/1.1\r\n" FX_HOST FX_AUTH FX_DIGEST \
	"Content-Length: 8192\r\n\r\n"
#define PARTIAL_ANSWER "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789"

/* The repository's end reads EOF (after any bytes still queued). */
static void expect_repository_closed(struct conn_fixture *f, const char *bytes_before)
{
	char buf[BODY_BYTES * 2];
	bool eof;
	size_t got = fx_recv(f, f->repo_fd, buf, sizeof buf, &eof);

	assert_true(eof);
	assert_int_equal(got, strlen(bytes_before));
	assert_memory_equal(buf, bytes_before, got);
}

/* rings: how many it held at once (the first request on the pooled
 * connection adds one: its copy, replay.c); each went back to the spares
 * ([limits] spare_buffers keeps them). */
static void expect_freed(struct conn_fixture *f, size_t rings)
{
	assert_null(f->conn);
	assert_int_equal(f->conns_open, 0);
	assert_int_equal(f->spares.rings.count, rings);
}

static void test_tenant_closes_in_the_middle_of_a_body(void **state)
{
	struct conn_fixture *f = *state;
	char half[BODY_BYTES / 2], sent[sizeof REPLICATION_WRITE + BODY_BYTES / 2];

	fx_pattern(half, sizeof half, 0);
	fx_send_text(f, f->tenant_fd, REPLICATION_WRITE);
	fx_send(f, f->tenant_fd, half, sizeof half);
	snprintf(sent, sizeof sent, "%s%.*s", REPLICATION_WRITE, (int)sizeof half, half);
	assert_non_null(f->conn);
	assert_int_equal(f->conn->forwarded_sent, strlen(sent));
	close(f->tenant_fd);
	f->tenant_fd = -1;
	fx_run(f, 8);
	expect_freed(f, 2);
	/* The repository got the head and half the body, then the close: the
	 * cut request is never completed by another tenant's bytes. */
	expect_repository_closed(f, sent);
	assert_int_equal(f->upool.count, 0);
	assert_int_equal(f->counters.upstream.parked, FX_OFFERED);
}

/* The same with the tenant shutting only its writing side: the proxy has
 * nobody to answer a cut request, and closes. */
static void test_tenant_half_closes_in_the_middle_of_a_body(void **state)
{
	struct conn_fixture *f = *state;
	char half[100];
	bool eof;
	char byte;

	fx_pattern(half, sizeof half, 0);
	fx_send_text(f, f->tenant_fd, REPLICATION_WRITE);
	fx_send(f, f->tenant_fd, half, sizeof half);
	shutdown(f->tenant_fd, SHUT_WR);
	fx_run(f, 8);
	expect_freed(f, 2);
	assert_int_equal(fx_recv(f, f->tenant_fd, &byte, 1, &eof), 0);
	assert_true(eof);
	assert_int_equal(f->counters.upstream.parked, FX_OFFERED);
}

/* A request answered whole leaves the repository connection clean: it is
 * parked for reuse when the tenant goes (the contrast to the cut above). */
static void test_clean_end_parks_the_repository(void **state)
{
	struct conn_fixture *f = *state;

	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(0));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(0));
	fx_send_text(f, f->repo_fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	fx_expect(f, f->tenant_fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	close(f->tenant_fd);
	f->tenant_fd = -1;
	fx_run(f, 8);
	expect_freed(f, 3);
	assert_int_equal(f->upool.count, 1);
	assert_int_equal(f->counters.upstream.parked, FX_OFFERED + 1);
	fx_expect_nothing(f, f->repo_fd);
}

static void test_repository_closes_in_the_middle_of_an_answer(void **state)
{
	struct conn_fixture *f = *state;
	char buf[2048];
	bool eof;
	size_t got;

	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(0) FX_RESTORE_READ(1));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(0) FX_RESTORE_READ(1));
	fx_send_text(f, f->repo_fd, PARTIAL_ANSWER);
	close(f->repo_fd);
	f->repo_fd = -1;
	got = fx_recv(f, f->tenant_fd, buf, sizeof buf, &eof);
	/* What was framed went out; then the close, with nothing after it (no
	 * 502 can follow a head that went out, nor an answer to request 2). */
	assert_true(eof);
	assert_int_equal(got, strlen(PARTIAL_ANSWER));
	assert_memory_equal(buf, PARTIAL_ANSWER, got);
	expect_freed(f, 3);
	assert_int_equal(f->counters.upstream_errors_502, 1);
	assert_int_equal(f->counters.upstream.parked, FX_OFFERED);
}

/* Closed before any byte of the answer, on a connection that answered
 * before (so nothing is sent again: test_conn_reuse.c has the first
 * request's case): the tenant gets a 502 and the connection ends after it. */
static void test_repository_closes_before_answering(void **state)
{
	struct conn_fixture *f = *state;
	char buf[2048];
	bool eof;
	size_t got;

	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(0));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(0));
	fx_send_text(f, f->repo_fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	fx_expect(f, f->tenant_fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(1));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(1));
	close(f->repo_fd);
	f->repo_fd = -1;
	got = fx_recv(f, f->tenant_fd, buf, sizeof buf, &eof);
	assert_true(eof);
	assert_int_equal(fx_response_length(buf, got), got);
	assert_memory_equal(buf, "HTTP/1.1 502 ", 13);
	assert_non_null(memmem(buf, got, "Connection: close", 17));
	/* the proxy shut its side; it drops what the tenant may still send
	 * for a moment (CONN_LINGER_SECONDS), until the tenant closes */
	close(f->tenant_fd);
	f->tenant_fd = -1;
	fx_run(f, 8);
	expect_freed(f, 3);
	assert_int_equal(f->counters.upstream_errors_502, 1);
	assert_int_equal(f->counters.upstream.resent, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tenant_closes_in_the_middle_of_a_body,
						conn_fixture_setup, conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tenant_half_closes_in_the_middle_of_a_body,
						conn_fixture_setup, conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_clean_end_parks_the_repository, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_repository_closes_in_the_middle_of_an_answer,
						conn_fixture_setup, conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_repository_closes_before_answering, conn_fixture_setup,
						conn_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
