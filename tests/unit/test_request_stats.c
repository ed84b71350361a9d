/*
 * tests/unit/test_request_stats.c: the duration histogram and the opt-in
 * per-tenant counters (proxy/policy/request_stats.c).
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy/request_stats.h"

static void test_durations_fall_in_their_bucket(void **state)
{
	struct request_stats st = { 0 };
	(void)state;

	request_stats_observe(&st, 0.0005); /* <= 0.001 */
	request_stats_observe(&st, 0.001);  /* the bound itself belongs to its bucket */
	request_stats_observe(&st, 0.02);   /* <= 0.025 */
	request_stats_observe(&st, 500);    /* beyond the last bound: +Inf only */
	request_stats_observe(&st, -1);     /* a clock step: the first bucket */
	assert_int_equal(st.in_bucket[0], 3);
	assert_int_equal(st.in_bucket[3], 1);
	assert_int_equal(st.count, 5);
	for (size_t i = 1; i < REQUEST_STATS_BUCKETS; i++) {
		assert_true(request_stats_bounds[i] > request_stats_bounds[i - 1]);
		if (i != 3)
			assert_int_equal(st.in_bucket[i], 0);
	}
	assert_true(st.sum > 500.02 && st.sum < 500.03);
}

static void test_off_counts_no_tenant(void **state)
{
	struct request_stats st = { 0 };
	(void)state;

	request_stats_admit(&st, "acme");
	request_stats_count(&st, "acme", REQUEST_REFUSED_MAINTENANCE, 10, 20);
	assert_null(st.tenants);
	assert_int_equal(st.other.refused[REQUEST_REFUSED_MAINTENANCE], 0);
	assert_int_equal(st.other.bytes_in, 0);
}

static void test_a_tenant_gets_series_once_admitted(void **state)
{
	struct request_stats st = { 0 };
	struct request_stats_tenant *acme;
	(void)state;

	request_stats_set_limit(&st, 10);
	request_stats_count(&st, "acme", REQUEST_REFUSED_DISABLED, 5, 6); /* before any 2xx */
	request_stats_admit(&st, "acme");
	request_stats_admit(&st, "acme"); /* twice: one entry */
	request_stats_count(&st, "acme", REQUEST_REFUSED_MAINTENANCE, 100, 200);
	request_stats_count(&st, "acme", REQUEST_NOT_REFUSED, 1, 2);
	HASH_FIND_STR(st.tenants, "acme", acme);
	assert_non_null(acme);
	assert_int_equal(st.tenant_count, 1);
	assert_int_equal(acme->refused[REQUEST_REFUSED_MAINTENANCE], 1);
	assert_int_equal(acme->refused[REQUEST_REFUSED_DISABLED], 0);
	assert_int_equal(acme->bytes_in, 101);
	assert_int_equal(acme->bytes_out, 202);
	assert_string_equal(st.other.name, REQUEST_STATS_OTHER);
	assert_int_equal(st.other.refused[REQUEST_REFUSED_DISABLED], 1);
	assert_int_equal(st.other.bytes_in, 5);
	request_stats_free(&st);
}

/* Invented names fill no more than the bound, and an admitted tenant keeps
 * its series whatever others send. */
static void test_bounded_and_first_come(void **state)
{
	struct request_stats st = { 0 };
	struct request_stats_tenant *t;
	char name[32];
	(void)state;

	request_stats_set_limit(&st, 3);
	request_stats_admit(&st, "acme");
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "fake%d", i);
		request_stats_count(&st, name, REQUEST_REFUSED_BUSY, 1, 0); /* never accepted: _other */
	}
	assert_int_equal(st.tenant_count, 1);
	assert_int_equal(st.other.refused[REQUEST_REFUSED_BUSY], 1000);
	request_stats_admit(&st, "beta");
	request_stats_admit(&st, "gamma");
	request_stats_admit(&st, "delta"); /* no room */
	assert_int_equal(st.tenant_count, 3);
	HASH_FIND_STR(st.tenants, "delta", t);
	assert_null(t);
	request_stats_count(&st, "delta", REQUEST_NOT_REFUSED, 7, 0);
	assert_int_equal(st.other.bytes_in, 1000 + 7);

	request_stats_set_limit(&st, 1); /* smaller: the three keep their series */
	assert_int_equal(st.tenant_count, 3);
	request_stats_set_limit(&st, 0); /* off: forgotten */
	assert_null(st.tenants);
	assert_int_equal(st.tenant_count, 0);
	assert_int_equal(st.other.refused[REQUEST_REFUSED_BUSY], 0);
	request_stats_free(&st);
}

static void test_names_too_long_or_empty_are_not_admitted(void **state)
{
	struct request_stats st = { 0 };
	char name[TSP_TENANT_MAX + 2];
	(void)state;

	request_stats_set_limit(&st, 10);
	memset(name, 'a', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	request_stats_admit(&st, name);
	request_stats_admit(&st, "");
	assert_int_equal(st.tenant_count, 0);
	assert_string_equal(request_stats_refusal_name(REQUEST_REFUSED_MAINTENANCE), "maintenance");
	assert_string_equal(request_stats_refusal_name(REQUEST_REFUSED_BUSY), "busy");
	request_stats_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations_fall_in_their_bucket),
		cmocka_unit_test(test_off_counts_no_tenant),
		cmocka_unit_test(test_a_tenant_gets_series_once_admitted),
		cmocka_unit_test(test_bounded_and_first_come),
		cmocka_unit_test(test_names_too_long_or_empty_are_not_admitted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
