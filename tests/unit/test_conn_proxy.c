/*
 * tests/unit/test_conn_proxy.c: a PROXY protocol header in front of a
 * tenant connection (proxy/conn/conn_proxy.c, [proxy] proxy_protocol and
 * proxy_from). The header is taken off the socket and nothing after it: the
 * repository receives the request bytes exactly, whether the header came
 * whole, byte by byte or in one write with the request; its source becomes
 * the connection's peer and is handed to peer_changed(). A sender not in
 * proxy_from, a malformed header, and a source over the per-address cap
 * close the connection without a byte, each counted.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
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

#define V1_HEADER "PROXY TCP4 192.0.2.7 127.0.0.1 40000 443\r\n"

/* Replace the fixture's connection (accepted with proxy_protocol off), or
 * the one a test ended, by one from 127.0.0.1:50000 under mode, proxy_from = from. */
static void accept_behind(struct conn_fixture *f, enum config_proxy_protocol mode, const char *from)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(50000) };
	struct config_proxy *cfg = &f->rc->cfg->proxy;
	int sv[2];

	if (f->conn != NULL)
		conn_abort(f->conn);
	close(f->tenant_fd);
	for (size_t i = 0; i < cfg->proxy_from_count; i++)
		free(cfg->proxy_from[i]);
	free(cfg->proxy_from);
	cfg->proxy_protocol = mode;
	cfg->proxy_from = calloc(1, sizeof *cfg->proxy_from);
	assert_non_null(cfg->proxy_from);
	cfg->proxy_from[0] = strdup(from);
	cfg->proxy_from_count = 1;
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	f->tenant_fd = sv[1];
	f->proxy_tenant_fd = sv[0];
	assert_true(conn_accept(&f->ctx, sv[0], (const struct sockaddr *)&peer, sizeof peer, false));
}

/* The connection ended and the tenant read nothing but EOF. */
static void expect_closed_silently(struct conn_fixture *f)
{
	char buf[256];
	bool eof;

	fx_run(f, 5);
	assert_null(f->conn);
	assert_int_equal(fx_recv(f, f->tenant_fd, buf, sizeof buf, &eof), 0);
	assert_true(eof);
}

static void expect_source(struct conn_fixture *f, const char *address, unsigned port)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)&f->changed_to;
	char text[INET_ADDRSTRLEN];

	assert_int_equal(f->peer_changes, 1);
	assert_int_equal(in->sin_family, AF_INET);
	assert_string_equal(inet_ntop(AF_INET, &in->sin_addr, text, sizeof text), address);
	assert_int_equal(ntohs(in->sin_port), port);
}

static void test_v1_then_request_in_one_write(void **state)
{
	struct conn_fixture *f = *state;

	accept_behind(f, CONFIG_PROXY_PROTOCOL_V1, "127.0.0.1");
	assert_non_null(f->conn);
	fx_send_text(f, f->tenant_fd, V1_HEADER FX_RESTORE_READ(0));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(0)); /* not a byte of the header */
	assert_non_null(f->conn);
	assert_string_equal(f->conn->peer, "192.0.2.7:40000");
	expect_source(f, "192.0.2.7", 40000);
	assert_int_equal(f->counters.proxy_header_rejected, 0);
}

static void test_v1_byte_by_byte(void **state)
{
	struct conn_fixture *f = *state;
	const char *header = V1_HEADER;

	accept_behind(f, CONFIG_PROXY_PROTOCOL_ANY, "127.0.0.0/8");
	for (size_t i = 0; header[i] != '\0'; i++) {
		fx_send(f, f->tenant_fd, header + i, 1);
		fx_run(f, 2);
		assert_non_null(f->conn);
	}
	assert_int_equal(f->peer_changes, 1);
	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(1));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(1));
	assert_string_equal(f->conn->peer, "192.0.2.7:40000");
}

static void test_v2_local_keeps_the_socket_peer(void **state)
{
	struct conn_fixture *f = *state;
	static const char local[16] = "\r\n\r\n\0\r\nQUIT\n\x20\x00\x00";

	accept_behind(f, CONFIG_PROXY_PROTOCOL_V2, "127.0.0.1");
	fx_send(f, f->tenant_fd, local, sizeof local);
	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(2));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(2));
	assert_string_equal(f->conn->peer, "127.0.0.1:50000");
	assert_int_equal(f->peer_changes, 0);
}

static void test_sender_not_in_proxy_from(void **state)
{
	struct conn_fixture *f = *state;

	accept_behind(f, CONFIG_PROXY_PROTOCOL_V1, "192.0.2.0/24");
	expect_closed_silently(f);
	assert_int_equal(f->counters.proxy_header_rejected, 1);
	assert_int_equal(f->peer_changes, 0);
}

static void test_malformed_and_missing(void **state)
{
	struct conn_fixture *f = *state;

	accept_behind(f, CONFIG_PROXY_PROTOCOL_V1, "127.0.0.1");
	fx_send_text(f, f->tenant_fd, "PROXY TCP4 1.2.3.4 x\r\n");
	expect_closed_silently(f);
	assert_int_equal(f->counters.proxy_header_rejected, 1);
	accept_behind(f, CONFIG_PROXY_PROTOCOL_V2, "127.0.0.1");
	fx_send_text(f, f->tenant_fd, V1_HEADER); /* v1 where only v2 is allowed */
	expect_closed_silently(f);
	accept_behind(f, CONFIG_PROXY_PROTOCOL_ANY, "127.0.0.1");
	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(0)); /* no header at all */
	expect_closed_silently(f);
	accept_behind(f, CONFIG_PROXY_PROTOCOL_ANY, "127.0.0.1");
	fx_send_text(f, f->tenant_fd, "PROXY TCP4 192.0.2.7 "); /* and the balancer goes away */
	shutdown(f->tenant_fd, SHUT_WR);
	expect_closed_silently(f);
	assert_int_equal(f->counters.proxy_header_rejected, 4);
	fx_expect_nothing(f, f->repo_fd);
}

static void test_source_over_the_per_address_cap(void **state)
{
	struct conn_fixture *f = *state;

	accept_behind(f, CONFIG_PROXY_PROTOCOL_V1, "127.0.0.1");
	f->peer_full = true;
	fx_send_text(f, f->tenant_fd, V1_HEADER FX_RESTORE_READ(0));
	expect_closed_silently(f);
	expect_source(f, "192.0.2.7", 40000);
	assert_int_equal(f->counters.connections_refused, 1);
	assert_int_equal(f->counters.proxy_header_rejected, 0);
	fx_expect_nothing(f, f->repo_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_then_request_in_one_write, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_v1_byte_by_byte, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_v2_local_keeps_the_socket_peer, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_sender_not_in_proxy_from, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_and_missing, conn_fixture_setup,
						conn_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_source_over_the_per_address_cap, conn_fixture_setup,
						conn_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
