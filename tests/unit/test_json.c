/*
 * tests/unit/test_json.c: the JSON reader (protocol/json.c) that sluicectl
 * and sluice-tenant read answers with: validation, depth bound, paths,
 * values and iteration.
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

#include "json.h"

static struct json_span span(const char *text)
{
	return (struct json_span){ text, strlen(text) };
}

static void test_json_valid_and_broken(void **state)
{
	(void)state;
	assert_true(json_valid(span(" {\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\"], \"b\": {}} ")));
	assert_true(json_valid(span("[]")));
	assert_false(json_valid(span("{\"a\": 1")));         /* cut short */
	assert_false(json_valid(span("{\"a\": 1,}")));       /* trailing comma */
	assert_false(json_valid(span("{\"a\": 01}")));       /* leading zero: "0" then junk */
	assert_false(json_valid(span("{\"a\": \"\x01\"}"))); /* control character in a string */
	assert_false(json_valid(span("{\"a\": \"\\q\"}")));  /* unknown escape */
	assert_false(json_valid(span("{\"a\": tru}")));
	assert_false(json_valid(span("{} {}")));
	assert_false(json_valid(span("")));
}

static void test_json_depth_is_bounded(void **state)
{
	char deep[2 * JSON_DEPTH_MAX + 8];
	size_t n = 0;
	(void)state;

	for (int i = 0; i < JSON_DEPTH_MAX; i++)
		deep[n++] = '[';
	for (int i = 0; i < JSON_DEPTH_MAX; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	assert_true(json_valid(span(deep)));
	memmove(deep + 1, deep, n + 1);
	deep[0] = '[';
	deep[n + 1] = ']';
	deep[n + 2] = '\0';
	assert_false(json_valid(span(deep)));
}

static void test_json_paths_and_values(void **state)
{
	static const char doc[] =
		"{\"state\":\"x\",\"maintenance\":{\"message\":\"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\","
		"\"state\":\"draining\",\"draining\":{\"tasks\":3}},\"n\":18446744073709551615,"
		"\"big\":18446744073709551616,\"neg\":-1,\"frac\":1.5,\"no\":null,\"yes\":true}";
	char text[64];
	uint64_t number = 0;
	struct json_span value;
	bool flag = false;
	(void)state;

	assert_true(json_get_string(span(doc), "maintenance.state", text, sizeof text));
	assert_string_equal(text, "draining"); /* the nested one, not the top-level "state" */
	assert_true(json_get_string(span(doc), "state", text, sizeof text));
	assert_string_equal(text, "x");
	assert_true(json_get_string(span(doc), "maintenance.message", text, sizeof text));
	assert_string_equal(text, "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80");
	assert_true(json_get_uint(span(doc), "maintenance.draining.tasks", &number));
	assert_int_equal(number, 3);
	assert_true(json_get_uint(span(doc), "n", &number));
	assert_true(number == UINT64_MAX);
	assert_false(json_get_uint(span(doc), "big", &number));
	assert_false(json_get_uint(span(doc), "neg", &number));
	assert_false(json_get_uint(span(doc), "frac", &number));
	assert_false(json_get(span(doc), "maintenance.nothing", &value));
	assert_false(json_get(span(doc), "state.deeper", &value)); /* a string has no members */
	assert_true(json_get(span(doc), "no", &value) && json_is_null(value));
	assert_true(json_get(span(doc), "yes", &value) && json_bool(value, &flag) && flag);
	/* Cut to fit, never inside a UTF-8 character. */
	assert_true(json_get_string(span(doc), "maintenance.message", text, 9));
	assert_string_equal(text, "a\"b\\c\xc3\xa9");
	assert_true(json_get_string(span(doc), "maintenance.message", text, 7));
	assert_string_equal(text, "a\"b\\c");
	assert_true(json_string(span("\"h\xc3\xa9llo\""), text, 3)); /* raw UTF-8 */
	assert_string_equal(text, "h");
	assert_true(json_string(span("\"h\xc3\xa9llo\""), text, 4));
	assert_string_equal(text, "h\xc3\xa9");
}

static void test_json_iteration(void **state)
{
	static const char doc[] = "{\"backup\": 4, \"restore\" : 0 }";
	struct json_iter it;
	struct json_span key, value;
	char name[16];
	uint64_t n;
	(void)state;

	assert_true(json_iter_start(span(doc), &it));
	assert_true(json_iter_next(&it, &key, &value));
	assert_true(json_string(key, name, sizeof name));
	assert_string_equal(name, "backup");
	assert_true(json_uint(value, &n) && n == 4);
	assert_true(json_iter_next(&it, &key, &value));
	assert_true(json_string(key, name, sizeof name));
	assert_string_equal(name, "restore");
	assert_false(json_iter_next(&it, &key, &value));
	assert_false(it.failed);
	assert_true(json_iter_start(span("[1 2]"), &it));
	assert_true(json_iter_next(&it, &key, &value));
	assert_false(json_iter_next(&it, &key, &value));
	assert_true(it.failed);
}

static void test_json_write_string(void **state)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	(void)state;
	assert_non_null(out);
	json_write_string(out, "a\"b\\c\n\t\x01\xc3\xa9");
	fputc(' ', out);
	json_write_string(out, NULL);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(text, "\"a\\\"b\\\\c\\n\\t\\u0001\xc3\xa9\" null");
	/* What it writes reads back as the same string. */
	{
		char back[32];
		struct json_span v = { text, strcspn(text, " ") };

		assert_true(json_string(v, back, sizeof back));
		assert_string_equal(back, "a\"b\\c\n\t\x01\xc3\xa9");
	}
	free(text);
}

/* Every byte: escaped exactly when JSON requires it (and DEL), and what the
 * escape says reads back as that byte. */
static void test_json_escape_every_byte(void **state)
{
	(void)state;
	for (unsigned c = 1; c < 256; c++) {
		char esc[JSON_ESCAPE_MAX], text[16], back[4];
		size_t n = json_escape_byte((unsigned char)c, esc);
		bool must = c < 0x20 || c == '"' || c == '\\' || c == 0x7f;
		struct json_span v = { text, 0 };

		assert_int_equal(n != 0, must);
		if (n == 0)
			continue;
		assert_true(n == 2 || n == 6);
		text[0] = '"';
		memcpy(text + 1, esc, n);
		text[n + 1] = '"';
		v.len = n + 2;
		assert_true(json_string(v, back, sizeof back));
		assert_int_equal((unsigned char)back[0], c);
		assert_int_equal(back[1], '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_valid_and_broken), cmocka_unit_test(test_json_depth_is_bounded),
		cmocka_unit_test(test_json_paths_and_values), cmocka_unit_test(test_json_iteration),
		cmocka_unit_test(test_json_write_string),     cmocka_unit_test(test_json_escape_every_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
