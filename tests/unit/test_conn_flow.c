/*
 * tests/unit/test_conn_flow.c: backpressure in both directions
 * (proxy/conn/conn_internal.h): a tenant that does not read stops the
 * connection reading from the repository once the `out` ring is full, and
 * a repository that does not read stops it reading from the tenant once the
 * `in` ring is full. The socket buffers are shrunk (SO_SNDBUF, SO_RCVBUF), so
 * what the peers manage to write is bounded by the ring and those buffers;
 * once the slow side reads again every byte arrives, unchanged.
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

#define BODY_BYTES (1024u * 1024u)
/* What may sit between a writer and a reader that stopped: one ring and the
 * two socket pairs' buffers (the kernel counts its own overhead in them, so
 * they hold less than this, never more). */
#define IN_FLIGHT_MAX (FX_RING_BYTES + 8u * FX_SOCKET_BYTES * 2u)
#define RESPONSE_HEAD "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n"
#define REPLICATION_WRITE                                                                                \
	"PUT /tsp/1/replication/jobs/r1/tasks/vm-app02/blocks/12 HTTP/1.1\r\n" FX_HOST FX_AUTH FX_DIGEST \
	"Content-Length: 1048576\r\n\r\n"
#define CREATED "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"

static char *pattern(size_t len)
{
	char *p = malloc(len);

	assert_non_null(p);
	fx_pattern(p, len, 0);
	return p;
}

/* Read len bytes from fd, in pieces, while the loop runs; they must be
 * expected. */
static void drain_exactly(struct conn_fixture *f, int fd, const char *expected, size_t len)
{
	char *got = malloc(len);
	bool eof;

	assert_non_null(got);
	assert_int_equal(fx_recv(f, fd, got, len, &eof), len);
	assert_memory_equal(got, expected, len);
	free(got);
}

/* The repository sends a 1 MiB answer to a tenant that reads nothing. */
static void test_slow_tenant_stops_repository_reads(void **state)
{
	struct conn_fixture *f = *state;
	size_t head_len = strlen(RESPONSE_HEAD), sent, rest;
	char *body = pattern(BODY_BYTES), *whole = malloc(head_len + BODY_BYTES);

	assert_non_null(whole);
	fx_shrink(f, true);
	fx_shrink(f, false);
	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(0));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(0));
	assert_int_equal(fx_send_text(f, f->repo_fd, RESPONSE_HEAD), head_len);
	sent = fx_send(f, f->repo_fd, body, BODY_BYTES);
	assert_true(sent > FX_RING_BYTES / 2);
	assert_true(sent < IN_FLIGHT_MAX);
	/* The ring is full and the repository's watcher no longer reads. */
	assert_non_null(f->conn);
	assert_int_equal(buffer_room(&f->conn->out), 0);
	assert_false(f->conn->up.ep.events & EV_READ);
	/* The tenant reads: the rest flows, byte for byte. */
	memcpy(whole, RESPONSE_HEAD, head_len);
	memcpy(whole + head_len, body, BODY_BYTES);
	rest = BODY_BYTES - sent;
	for (size_t got = 0; got < head_len + BODY_BYTES;) {
		size_t chunk = head_len + BODY_BYTES - got < 4096 ? head_len + BODY_BYTES - got : 4096;

		drain_exactly(f, f->tenant_fd, whole + got, chunk);
		got += chunk;
		if (rest > 0)
			rest -= fx_send(f, f->repo_fd, body + BODY_BYTES - rest, rest);
	}
	assert_int_equal(rest, 0);
	fx_expect_nothing(f, f->tenant_fd);
	assert_int_equal(f->counters.bytes_out, head_len + BODY_BYTES);
	free(whole);
	free(body);
}

/* The tenant uploads 1 MiB to a repository that reads nothing. */
static void test_slow_repository_stops_tenant_reads(void **state)
{
	struct conn_fixture *f = *state;
	size_t head_len = strlen(REPLICATION_WRITE), sent, rest;
	char *body = pattern(BODY_BYTES), *whole = malloc(head_len + BODY_BYTES);

	assert_non_null(whole);
	fx_shrink(f, true);
	fx_shrink(f, false);
	/* A first request answered: the pooled connection is proven alive
	 * (a 1 MiB first request would get a fresh one, replay.c). */
	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(0));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(0));
	fx_send_text(f, f->repo_fd, CREATED);
	fx_expect(f, f->tenant_fd, CREATED);
	assert_int_equal(fx_send_text(f, f->tenant_fd, REPLICATION_WRITE), head_len);
	sent = fx_send(f, f->tenant_fd, body, BODY_BYTES);
	assert_true(sent > FX_RING_BYTES / 2);
	assert_true(sent < IN_FLIGHT_MAX);
	assert_non_null(f->conn);
	assert_int_equal(buffer_room(&f->conn->in), 0);
	assert_false(f->conn->tenant.events & EV_READ);
	/* The repository reads: the whole request arrives unchanged. */
	memcpy(whole, REPLICATION_WRITE, head_len);
	memcpy(whole + head_len, body, BODY_BYTES);
	rest = BODY_BYTES - sent;
	for (size_t got = 0; got < head_len + BODY_BYTES;) {
		size_t chunk = head_len + BODY_BYTES - got < 4096 ? head_len + BODY_BYTES - got : 4096;

		drain_exactly(f, f->repo_fd, whole + got, chunk);
		got += chunk;
		if (rest > 0)
			rest -= fx_send(f, f->tenant_fd, body + BODY_BYTES - rest, rest);
	}
	assert_int_equal(rest, 0);
	fx_expect_nothing(f, f->repo_fd);
	fx_send_text(f, f->repo_fd, CREATED);
	fx_expect(f, f->tenant_fd, CREATED);
	assert_int_equal(f->counters.bytes_in, strlen(FX_RESTORE_READ(0)) + head_len + BODY_BYTES);
	assert_int_equal(f->counters.forwarded, 2);
	free(whole);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slow_tenant_stops_repository_reads, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_slow_repository_stops_tenant_reads, conn_fixture_setup,
						conn_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
