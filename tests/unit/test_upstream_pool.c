/*
 * tests/unit/test_upstream_pool.c: the pool of idle repository connections
 * (proxy/net/upstream_pool.c) on a real libev loop, with socket pairs standing
 * in for repository connections: the test holds the repository's end and
 * closes it or writes to it.
 */
#include "autoconfig.h"

#include <errno.h>
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

#include "net/upstream_pool.h"

#define PAIRS 4
#define IDLE_SECONDS 30.0

struct fixture {
	struct ev_loop *loop;
	struct upstream_pool pool;
	struct upstream_pool_stats stats;
	struct runconf rc;         /* no address: a connect fails at once */
	struct upstream up[PAIRS]; /* our ends, READY */
	int repo_fd[PAIRS];        /* the repository's ends */
};

static void owner_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	int sv[2];

	if (f == NULL || (f->loop = ev_loop_new(EVFLAG_AUTO)) == NULL)
		return -1;
	upstream_pool_init(&f->pool, f->loop, &f->stats);
	upstream_pool_set(&f->pool, PAIRS, IDLE_SECONDS, 1);
	f->rc.serial = 1;
	for (int i = 0; i < PAIRS; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
			return -1;
		upstream_init(&f->up[i]);
		endpoint_init(&f->up[i].ep, sv[0], NULL, owner_cb, f);
		f->up[i].state = UPSTREAM_READY;
		snprintf(f->up[i].address, sizeof f->up[i].address, "pair %d", i);
		f->repo_fd[i] = sv[1];
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	upstream_pool_close(&f->pool);
	for (int i = 0; i < PAIRS; i++) {
		upstream_close(&f->up[i], f->loop);
		if (f->repo_fd[i] >= 0)
			close(f->repo_fd[i]);
	}
	ev_loop_destroy(f->loop);
	free(f);
	return 0;
}

static const struct upstream_park_facts clean = { .ready = true };

static void park_ok(struct fixture *f, int i)
{
	const char *why = NULL;

	assert_true(upstream_pool_park(&f->pool, &f->up[i], 1, &clean, &why));
	assert_null(why);
	assert_int_equal(f->up[i].state, UPSTREAM_GONE);
	assert_int_equal(f->up[i].ep.fd, -1);
}

/* The repository's end of pair i reads EOF: our end was closed. */
static bool closed_by_pool(struct fixture *f, int i)
{
	char byte;

	return read(f->repo_fd[i], &byte, 1) == 0;
}

/* The fixture closes u at the end, in slot i; libev forbids copying an
 * active watcher, so it is stopped first. */
static void keep(struct fixture *f, int i, struct upstream *u)
{
	ev_io_stop(f->loop, &u->ep.io);
	u->ep.events = 0;
	f->up[i] = *u;
}

static bool still_open(struct fixture *f, int i)
{
	char byte;

	return read(f->repo_fd[i], &byte, 1) < 0 && errno == EAGAIN;
}

static void test_each_fact_keeps_it_out(void **state)
{
	static const struct upstream_park_facts refused[] = {
		{ .ready = false },
		{ .ready = true, .request_pending = true },
		{ .ready = true, .response_pending = true },
		{ .ready = true, .stray_bytes = true },
		{ .ready = true, .repository_closed = true },
		{ .ready = true, .tainted = true },
		{ .ready = true, .close_requested = true },
	};
	struct fixture *f = *state;
	const char *why;

	assert_null(upstream_park_check(&clean));
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		assert_non_null(upstream_park_check(&refused[i]));
		why = NULL;
		assert_false(upstream_pool_park(&f->pool, &f->up[0], 1, &refused[i], &why));
		assert_non_null(why);
		assert_int_equal(f->up[0].state, UPSTREAM_READY); /* untouched: the caller closes it */
	}
	assert_int_equal(f->stats.parked, 0);
	assert_int_equal(f->stats.idle, 0);
}

static void test_take_is_lifo_then_connects(void **state)
{
	struct fixture *f = *state;
	struct upstream u;
	char why[UPSTREAM_WHY_MAX];
	int owner;

	park_ok(f, 0);
	park_ok(f, 1);
	assert_int_equal(f->stats.idle, 2);
	for (int expect = 1; expect >= 0; expect--) {
		upstream_init(&u);
		assert_int_equal(upstream_pool_open(&f->pool, &u, &f->rc, owner_cb, &owner, why, sizeof why),
				 UPSTREAM_STEP_READY);
		assert_true(u.reused);
		assert_string_equal(u.address, f->up[expect].address);
		assert_ptr_equal(u.ep.io.data, &owner);
		assert_ptr_equal(ev_cb(&u.ep.io), owner_cb);
		assert_int_equal(u.ep.events, EV_READ); /* started for the new owner */
		assert_true(ev_is_active(&u.ep.io));
		assert_true(still_open(f, expect));
		keep(f, expect, &u);
	}
	assert_int_equal(f->stats.reused, 2);
	assert_int_equal(f->stats.idle, 0);
	upstream_init(&u);
	assert_int_equal(upstream_pool_open(&f->pool, &u, &f->rc, owner_cb, &owner, why, sizeof why),
			 UPSTREAM_STEP_FAILED); /* the fixture's configuration has no address */
	assert_false(u.reused);
	assert_int_equal(f->stats.connects, 1);
}

static void test_bound_and_off(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;

	upstream_pool_set(&f->pool, 1, IDLE_SECONDS, 1);
	park_ok(f, 0);
	assert_false(upstream_pool_park(&f->pool, &f->up[1], 1, &clean, &why));
	assert_non_null(strstr(why, "upstream_idle_connections"));
	upstream_pool_set(&f->pool, 0, IDLE_SECONDS, 1);
	assert_int_equal(f->stats.idle, 0);
	assert_int_equal(f->stats.closed[UPSTREAM_IDLE_RELOAD], 1);
	assert_true(closed_by_pool(f, 0));
	assert_false(upstream_pool_park(&f->pool, &f->up[1], 1, &clean, &why));
	assert_non_null(strstr(why, "is 0"));
	assert_true(still_open(f, 1));
}

static void test_lower_bound_keeps_newest(void **state)
{
	struct fixture *f = *state;
	struct upstream u;
	char why[UPSTREAM_WHY_MAX];

	park_ok(f, 0);
	park_ok(f, 1);
	park_ok(f, 2);
	upstream_pool_set(&f->pool, 1, IDLE_SECONDS, 1);
	assert_int_equal(f->stats.closed[UPSTREAM_IDLE_RELOAD], 2);
	assert_true(closed_by_pool(f, 0));
	assert_true(closed_by_pool(f, 1));
	upstream_init(&u);
	assert_int_equal(upstream_pool_open(&f->pool, &u, &f->rc, owner_cb, f, why, sizeof why),
			 UPSTREAM_STEP_READY);
	assert_string_equal(u.address, f->up[2].address);
	keep(f, 2, &u);
}

static void test_new_generation_closes_old(void **state)
{
	struct fixture *f = *state;
	struct upstream u;
	const char *why = NULL;
	char text[UPSTREAM_WHY_MAX];

	park_ok(f, 0);
	assert_false(upstream_pool_park(&f->pool, &f->up[1], 2, &clean, &why)); /* a newer conn's */
	assert_non_null(strstr(why, "reload"));
	f->rc.serial = 2; /* a connection of another generation takes nothing */
	upstream_init(&u);
	assert_int_equal(upstream_pool_open(&f->pool, &u, &f->rc, owner_cb, f, text, sizeof text),
			 UPSTREAM_STEP_FAILED);
	assert_int_equal(f->stats.reused, 0);
	assert_true(still_open(f, 0));
	upstream_pool_set(&f->pool, PAIRS, IDLE_SECONDS, 2);
	assert_int_equal(f->stats.closed[UPSTREAM_IDLE_RELOAD], 1);
	assert_int_equal(f->stats.idle, 0);
	assert_true(closed_by_pool(f, 0));
}

static void test_closed_while_parked(void **state)
{
	struct fixture *f = *state;

	park_ok(f, 0);
	park_ok(f, 1);
	park_ok(f, 2);
	ev_run(f->loop, EVRUN_NOWAIT);
	assert_int_equal(f->stats.idle, 3); /* nothing happened yet */
	close(f->repo_fd[0]);
	f->repo_fd[0] = -1;
	assert_int_equal(write(f->repo_fd[1], "x", 1), 1);
	ev_run(f->loop, EVRUN_NOWAIT);
	assert_int_equal(f->stats.closed[UPSTREAM_IDLE_REPOSITORY], 2);
	assert_int_equal(f->stats.idle, 1);
	assert_true(still_open(f, 2));
}

/* Closed after the last event: the take's MSG_PEEK finds it. */
static void test_take_checks_before_handing_out(void **state)
{
	struct fixture *f = *state;
	struct upstream u;
	char why[UPSTREAM_WHY_MAX];

	park_ok(f, 0);
	park_ok(f, 1);
	close(f->repo_fd[1]);
	f->repo_fd[1] = -1;
	upstream_init(&u);
	assert_int_equal(upstream_pool_open(&f->pool, &u, &f->rc, owner_cb, f, why, sizeof why),
			 UPSTREAM_STEP_READY);
	assert_string_equal(u.address, f->up[0].address); /* the closed newer one was skipped */
	keep(f, 0, &u);
	assert_int_equal(f->stats.closed[UPSTREAM_IDLE_REPOSITORY], 1);
	assert_int_equal(f->stats.reused, 1);
}

static void test_expiry(void **state)
{
	struct fixture *f = *state;
	double parked = ev_now(f->loop);

	park_ok(f, 0);
	assert_true(ev_is_active(&f->pool.expiry));
	upstream_pool_expire(&f->pool, parked + IDLE_SECONDS - 0.01);
	assert_int_equal(f->stats.idle, 1);
	upstream_pool_expire(&f->pool, parked + IDLE_SECONDS);
	assert_int_equal(f->stats.idle, 0);
	assert_int_equal(f->stats.closed[UPSTREAM_IDLE_EXPIRED], 1);
	assert_true(closed_by_pool(f, 0));
	assert_false(ev_is_active(&f->pool.expiry));
}

static void test_close_all_then_park_nothing(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;

	park_ok(f, 0);
	park_ok(f, 1);
	upstream_pool_close(&f->pool);
	assert_int_equal(f->stats.idle, 0);
	assert_true(closed_by_pool(f, 0));
	assert_true(closed_by_pool(f, 1));
	assert_int_equal(f->stats.closed[UPSTREAM_IDLE_RELOAD] + f->stats.closed[UPSTREAM_IDLE_EXPIRED] +
				 f->stats.closed[UPSTREAM_IDLE_REPOSITORY],
			 0); /* stopping is not counted */
	assert_false(upstream_pool_park(&f->pool, &f->up[2], 1, &clean, &why));
	assert_string_equal(why, "stopping");
	assert_false(ev_is_active(&f->pool.expiry));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_fact_keeps_it_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_is_lifo_then_connects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_and_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lower_bound_keeps_newest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_generation_closes_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_while_parked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_checks_before_handing_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_all_then_park_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
