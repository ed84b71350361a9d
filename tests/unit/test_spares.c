/*
 * tests/unit/test_spares.c: the bounded stack of spare objects
 * (proxy/net/spares.c): taking, giving, the bound, and the low-water trim.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "net/spares.h"

static int destroyed;

static void count_destroy(void *item)
{
	destroyed++;
	free(item);
}

static void *item(void)
{
	void *p = malloc(16);

	assert_non_null(p);
	return p;
}

static int reset_count(void **state)
{
	(void)state;
	destroyed = 0;
	return 0;
}

static void test_take_empty_is_null(void **state)
{
	struct spares s;

	(void)state;
	assert_true(spares_init(&s, 4, count_destroy));
	assert_null(spares_take(&s));
	spares_fini(&s);
	assert_int_equal(destroyed, 0);
}

static void test_last_given_is_first_taken(void **state)
{
	struct spares s;
	void *a = item(), *b = item();

	(void)state;
	assert_true(spares_init(&s, 4, count_destroy));
	spares_give(&s, a);
	spares_give(&s, b);
	assert_int_equal(spares_count(&s), 2);
	assert_ptr_equal(spares_take(&s), b);
	assert_ptr_equal(spares_take(&s), a);
	assert_null(spares_take(&s));
	free(a);
	free(b);
	spares_fini(&s);
	assert_int_equal(destroyed, 0);
}

static void test_full_destroys_the_extra(void **state)
{
	struct spares s;

	(void)state;
	assert_true(spares_init(&s, 2, count_destroy));
	for (int i = 0; i < 5; i++)
		spares_give(&s, item());
	assert_int_equal(spares_count(&s), 2);
	assert_int_equal(destroyed, 3);
	spares_fini(&s);
	assert_int_equal(destroyed, 5);
}

static void test_zero_keeps_none(void **state)
{
	struct spares s;

	(void)state;
	assert_true(spares_init(&s, 0, count_destroy));
	spares_give(&s, item());
	assert_int_equal(destroyed, 1);
	assert_null(spares_take(&s));
	assert_int_equal(spares_trim(&s), 0);
	spares_fini(&s);
}

static void test_bounds_refused(void **state)
{
	struct spares s;

	(void)state;
	assert_false(spares_init(&s, (size_t)SPARES_MAX + 1, count_destroy));
	assert_false(spares_init(&s, 4, NULL));
	spares_fini(&s); /* zeroed by the failed init: nothing to free */
}

/* A spare that no take needed for a whole period goes at the next trim; an
 * idle stack is empty after two. */
static void test_trim_frees_unused(void **state)
{
	struct spares s;

	(void)state;
	assert_true(spares_init(&s, 8, count_destroy));
	for (int i = 0; i < 4; i++)
		spares_give(&s, item());
	/* Given during the first period: the low water is still 0. */
	assert_int_equal(spares_trim(&s), 0);
	assert_int_equal(spares_count(&s), 4);
	/* Nothing taken for a period: all four go. */
	assert_int_equal(spares_trim(&s), 4);
	assert_int_equal(spares_count(&s), 0);
	assert_int_equal(destroyed, 4);
	spares_fini(&s);
}

/* Churn of one object (take, give back) keeps that one; the rest go. */
static void test_trim_keeps_what_churn_needs(void **state)
{
	struct spares s;
	void *p;

	(void)state;
	assert_true(spares_init(&s, 8, count_destroy));
	for (int i = 0; i < 4; i++)
		spares_give(&s, item());
	spares_trim(&s); /* low water = 4 */
	for (int round = 0; round < 10; round++) {
		void *a = spares_take(&s), *b = spares_take(&s);

		spares_give(&s, b);
		spares_give(&s, a);
	}
	/* At least 2 were needed at once: the 2 never needed go. */
	assert_int_equal(spares_trim(&s), 2);
	assert_int_equal(spares_count(&s), 2);
	p = spares_take(&s);
	assert_non_null(p);
	spares_give(&s, p);
	assert_int_equal(spares_trim(&s), 1);
	assert_int_equal(spares_count(&s), 1);
	spares_fini(&s);
	assert_int_equal(destroyed, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_take_empty_is_null, reset_count),
		cmocka_unit_test_setup(test_last_given_is_first_taken, reset_count),
		cmocka_unit_test_setup(test_full_destroys_the_extra, reset_count),
		cmocka_unit_test_setup(test_zero_keeps_none, reset_count),
		cmocka_unit_test_setup(test_bounds_refused, reset_count),
		cmocka_unit_test_setup(test_trim_frees_unused, reset_count),
		cmocka_unit_test_setup(test_trim_keeps_what_churn_needs, reset_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
