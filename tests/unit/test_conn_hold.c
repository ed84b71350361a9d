/*
 * tests/unit/test_conn_hold.c: [maintenance] mode = hold in the connection
 * engine (proxy/conn/exchange.c, request.c): a held request reaches neither
 * the repository nor an answer; released after maintenance goes off, it is
 * forwarded byte for byte and its answer comes back; after hold_timeout it
 * is refused 503 with Tsp-Maintenance: hold; the tenant closing while held
 * frees the connection and takes it out of the host's list.
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

#define BLOCK_BODY "0123456789abcdef0123456789abcdef"
#define BACKUP_WRITE                                                                                         \
	"PUT /tsp/1/backup/jobs/nightly-0142/tasks/vm-web01/blocks/0 HTTP/1.1\r\n" FX_HOST FX_AUTH FX_DIGEST \
	"Content-Length: 32\r\n\r\n" BLOCK_BODY
#define ANSWER "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"

/* The host's side: one connection at most is held in these tests. */
static struct conn *held_conn;
static int holds, unholds, hold_room = 1;

static bool hold(struct conn_context *ctx, struct conn *c, const char *tenant)
{
	(void)ctx;
	assert_string_equal(tenant, "acme");
	if (held_conn == c)
		return true;
	if (hold_room == 0)
		return false;
	held_conn = c;
	holds++;
	return true;
}

static void unhold(struct conn_context *ctx, struct conn *c)
{
	(void)ctx;
	if (held_conn != c)
		return;
	held_conn = NULL;
	unholds++;
}

static void maintenance(struct conn_fixture *f, bool on)
{
	struct policy_settings ps;
	struct policy_change change;
	const char *why = NULL;

	policy_settings_default(&ps);
	ps.enabled = on;
	ps.mode = POLICY_MODE_HOLD;
	assert_true(policy_apply(f->policy, &ps, f->jobs, f->clock, &change, &why));
}

static int setup(void **state)
{
	struct conn_fixture *f;

	held_conn = NULL;
	holds = unholds = 0;
	hold_room = 1;
	if (conn_fixture_setup(state) != 0)
		return -1;
	f = *state;
	f->ctx.hold = hold;
	f->ctx.unhold = unhold;
	maintenance(f, true);
	return 0;
}

/* The host's release after maintenance went off (server_conns.c does this
 * from a timer, for each held connection in order). */
static void release(struct conn_fixture *f)
{
	struct conn *c = held_conn;

	assert_non_null(c);
	unhold(&f->ctx, c);
	conn_release(c);
}

static void test_held_then_released(void **state)
{
	struct conn_fixture *f = *state;

	fx_send_text(f, f->tenant_fd, BACKUP_WRITE);
	fx_expect_nothing(f, f->repo_fd);
	fx_expect_nothing(f, f->tenant_fd);
	assert_int_equal(holds, 1);
	assert_ptr_equal(held_conn, f->conn);
	assert_int_equal(f->counters.held_total, 1);
	assert_int_equal(f->counters.forwarded, 0);
	maintenance(f, false);
	release(f);
	fx_expect(f, f->repo_fd, BACKUP_WRITE);
	fx_send_text(f, f->repo_fd, ANSWER);
	fx_expect(f, f->tenant_fd, ANSWER);
	assert_int_equal(f->counters.forwarded, 1);
	assert_int_equal(f->counters.hold_timeouts, 0);
	assert_null(held_conn);
}

/* Released while maintenance is still on: held again, counted once. */
static void test_held_again(void **state)
{
	struct conn_fixture *f = *state;

	fx_send_text(f, f->tenant_fd, BACKUP_WRITE);
	release(f);
	fx_expect_nothing(f, f->repo_fd);
	fx_expect_nothing(f, f->tenant_fd);
	assert_ptr_equal(held_conn, f->conn);
	assert_int_equal(holds, 2);
	assert_int_equal(f->counters.held_total, 1);
}

static void test_timeout_refuses(void **state)
{
	struct conn_fixture *f = *state;
	char got[2048];
	size_t n = 0;
	bool eof = false;

	f->rc->cfg->maintenance.hold_timeout_ms = 50;
	fx_send_text(f, f->tenant_fd, BACKUP_WRITE);
	fx_expect_nothing(f, f->tenant_fd);
	for (int i = 0; i < 100 && n == 0; i++) {
		usleep(5000);
		n = fx_recv(f, f->tenant_fd, got, sizeof got - 1, &eof);
	}
	got[n] = '\0';
	assert_true(n > 0);
	assert_memory_equal(got, "HTTP/1.1 503 ", 13);
	assert_non_null(strstr(got, "Tsp-Maintenance: hold\r\n"));
	assert_int_equal(f->counters.hold_timeouts, 1);
	assert_int_equal(f->counters.refused_maintenance, 1);
	assert_null(held_conn);
	fx_expect_nothing(f, f->repo_fd);
	/* the connection goes on: its body was dropped */
	fx_send_text(f, f->tenant_fd, FX_RESTORE_READ(1));
	fx_expect(f, f->repo_fd, FX_RESTORE_READ(1));
}

/* No room in the host's list: refused at once, as drain would. */
static void test_no_room_refuses(void **state)
{
	struct conn_fixture *f = *state;
	char got[2048];
	bool eof;
	size_t n;

	hold_room = 0;
	fx_send_text(f, f->tenant_fd, BACKUP_WRITE);
	n = fx_recv(f, f->tenant_fd, got, sizeof got - 1, &eof);
	got[n] = '\0';
	assert_memory_equal(got, "HTTP/1.1 503 ", 13);
	assert_non_null(strstr(got, "Tsp-Maintenance: hold\r\n"));
	assert_int_equal(f->counters.hold_overflows, 1);
	assert_int_equal(holds, 0);
}

static void test_tenant_closes_while_held(void **state)
{
	struct conn_fixture *f = *state;

	fx_send_text(f, f->tenant_fd, BACKUP_WRITE);
	assert_ptr_equal(held_conn, f->conn);
	close(f->tenant_fd);
	f->tenant_fd = -1;
	fx_run(f, 8);
	assert_null(f->conn);
	assert_int_equal(f->conns_open, 0);
	assert_null(held_conn);
	assert_int_equal(unholds, 1);
	fx_expect_nothing(f, f->repo_fd);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, conn_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_held_then_released),       T(test_held_again),
		T(test_timeout_refuses),          T(test_no_room_refuses),
		T(test_tenant_closes_while_held),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
