/*
 * tests/unit/test_keyed_hash.c: SipHash-2-4 against the reference vectors,
 * the process key, and uthash tables hashed through it.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/keyed_hash.h"

/* The reference implementation's vectors_sip64: key 00 01 .. 0f, message
 * 00 01 .. n-1 for n = 0 .. 16. */
static const uint64_t reference[17] = {
	UINT64_C(0x726fdb47dd0e0e31), UINT64_C(0x74f839c593dc67fd), UINT64_C(0x0d6c8009d9a94f5a),
	UINT64_C(0x85676696d7fb7e2d), UINT64_C(0xcf2794e0277187b7), UINT64_C(0x18765564cd99a68d),
	UINT64_C(0xcbc9466e58fee3ce), UINT64_C(0xab0200f58b01d137), UINT64_C(0x93f5f5799a932462),
	UINT64_C(0x9e0082df0ba9e4b0), UINT64_C(0x7a5dbbc594ddb9f3), UINT64_C(0xf4b32f46226bada7),
	UINT64_C(0x751e8fbc860ee5fb), UINT64_C(0x14ea5627c0843d90), UINT64_C(0xf723ca908e7af2ee),
	UINT64_C(0xa129ca6149be45e5), UINT64_C(0x3f2acc7f57c29bdb),
};

static void test_reference_vectors(void **state)
{
	unsigned char key[KEYED_HASH_KEY_BYTES], msg[16];

	(void)state;
	for (unsigned i = 0; i < sizeof key; i++)
		key[i] = msg[i] = (unsigned char)i;
	for (size_t n = 0; n <= 16; n++)
		assert_true(siphash24(key, msg, n) == reference[n]);
}

static void test_process_key_changes_the_hash(void **state)
{
	unsigned char key[KEYED_HASH_KEY_BYTES] = { 0 };
	uint64_t under_zero, under_other;

	(void)state;
	keyed_hash_set_key(key);
	under_zero = keyed_hash("job-1", 5);
	assert_true(under_zero == siphash24(key, "job-1", 5));
	key[3] = 0x5a;
	keyed_hash_set_key(key);
	under_other = keyed_hash("job-1", 5);
	assert_true(under_other == siphash24(key, "job-1", 5));
	assert_true(under_zero != under_other);
	memset(key, 0, sizeof key);
	keyed_hash_set_key(key);
}

struct entry {
	char id[24];
	UT_hash_handle hh;
};

/* The tables work through the keyed hash: every id added is found, nothing
 * else is, and removal leaves the rest. */
static void test_uthash_through_keyed_hash(void **state)
{
	struct entry *table = NULL, *e, *tmp;
	unsigned char key[KEYED_HASH_KEY_BYTES] = { 7, 1, 2 };

	(void)state;
	keyed_hash_set_key(key);
	for (int i = 0; i < 1000; i++) {
		e = calloc(1, sizeof *e);
		assert_non_null(e);
		snprintf(e->id, sizeof e->id, "task-%d", i);
		HASH_ADD_STR(table, id, e);
	}
	assert_int_equal(HASH_COUNT(table), 1000);
	for (int i = 0; i < 1000; i += 37) {
		char id[24];

		snprintf(id, sizeof id, "task-%d", i);
		HASH_FIND_STR(table, id, e);
		assert_non_null(e);
		assert_string_equal(e->id, id);
		HASH_DEL(table, e);
		free(e);
		HASH_FIND_STR(table, id, e);
		assert_null(e);
	}
	HASH_FIND_STR(table, "task-1000", e);
	assert_null(e);
	HASH_ITER(hh, table, e, tmp) {
		HASH_DEL(table, e);
		free(e);
	}
	memset(key, 0, sizeof key);
	keyed_hash_set_key(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_process_key_changes_the_hash),
		cmocka_unit_test(test_uthash_through_keyed_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
