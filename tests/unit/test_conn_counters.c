/*
 * tests/unit/test_conn_counters.c: server_counters_sum(), the sum of the
 * workers' counters that /status and /metrics show ([proxy] workers).
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conn/conn_counters.h"

/* A counter added to the struct and forgotten in the sum shows up here:
 * every byte of one set is 1, and the sum into zeros must equal it but for
 * descriptors, which are the main thread's alone and never summed. */
static void every_counter_is_summed(void **state)
{
	static struct server_counters add, into;

	(void)state;
	memset(&add, 1, sizeof add);
	memset(&into, 0, sizeof into);
	server_counters_sum(&into, &add);
	for (size_t i = 0; i < sizeof into.descriptors; i++)
		assert_int_equal(((unsigned char *)&into.descriptors)[i], 0);
	memcpy(&into.descriptors, &add.descriptors, sizeof add.descriptors);
	assert_memory_equal(&into, &add, sizeof add);
}

static void sums_add_up(void **state)
{
	struct server_counters a = { 0 }, b = { 0 }, total = { 0 };

	(void)state;
	a.bytes_in = 1000;
	b.bytes_in = 24;
	a.messages[TSP_CAT_BACKUP][SERVER_FORWARDED] = 3;
	b.messages[TSP_CAT_BACKUP][SERVER_FORWARDED] = 4;
	b.upstream.closed[0] = 2;
	a.upstream.idle = 5;
	b.upstream.idle = 6;
	server_counters_sum(&total, &a);
	server_counters_sum(&total, &b);
	assert_int_equal(total.bytes_in, 1024);
	assert_int_equal(total.messages[TSP_CAT_BACKUP][SERVER_FORWARDED], 7);
	assert_int_equal(total.upstream.closed[0], 2);
	assert_int_equal(total.upstream.idle, 11); /* a gauge: the workers' idle ones together */
	assert_int_equal(total.requests, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_counter_is_summed),
		cmocka_unit_test(sums_add_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
