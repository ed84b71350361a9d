/*
 * tests/unit/test_tsp_names.c: the words of TSP/1 (protocol/tsp_names.c)
 * against PROTOCOL.md: the id and block-number grammars, the enum names on
 * the wire and the JSON error body.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tsp.h"

/* ---- the id and block grammars ---- */

static void test_id_every_byte(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		char id[3] = { 'a', (char)c, 'b' };
		bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			       c == '.' || c == '_' || c == '-';

		if (tsp_id_valid(id, sizeof id) != allowed)
			fail_msg("byte 0x%02x: expected %s", c, allowed ? "valid" : "invalid");
	}
}

static void test_id_lengths_and_dots(void **state)
{
	char id[TSP_ID_MAX + 2];

	(void)state;
	memset(id, 'x', sizeof id);
	assert_false(tsp_id_valid(id, 0));
	assert_true(tsp_id_valid(id, 1));
	assert_true(tsp_id_valid(id, TSP_ID_MAX));
	assert_false(tsp_id_valid(id, TSP_ID_MAX + 1));
	assert_false(tsp_id_valid(".", 1));
	assert_false(tsp_id_valid("..", 2));
	assert_true(tsp_id_valid("...", 3));
	assert_true(tsp_id_valid(".a", 2));
	assert_true(tsp_id_valid("-", 1));
}

static void test_block_numbers(void **state)
{
	static const struct {
		const char *text;
		bool ok;
		uint32_t value;
	} rows[] = {
		{ "0", true, 0 },
		{ "1", true, 1 },
		{ "10", true, 10 },
		{ "4294967295", true, 4294967295u },
		{ "4294967296", false, 0 },
		{ "9999999999", false, 0 },
		{ "18446744073709551617", false, 0 },
		{ "00", false, 0 },
		{ "01", false, 0 },
		{ "+1", false, 0 },
		{ "-1", false, 0 },
		{ "-0", false, 0 },
		{ " 1", false, 0 },
		{ "1 ", false, 0 },
		{ "0x1", false, 0 },
		{ "1e3", false, 0 },
		{ "", false, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		uint32_t value = 12345;

		if (tsp_block_parse(rows[i].text, strlen(rows[i].text), &value) != rows[i].ok)
			fail_msg("\"%s\": expected %s", rows[i].text, rows[i].ok ? "valid" : "invalid");
		if (rows[i].ok)
			assert_int_equal(value, rows[i].value);
		else
			assert_int_equal(value, 12345); /* untouched on failure */
	}
}

/* ---- names ---- */

static void test_names_round_trip(void **state)
{
	enum tsp_category cat;
	enum tsp_origin origin;
	enum tsp_workload workload;
	enum tsp_operation op;
	enum tsp_result result;

	(void)state;
	for (int i = TSP_CAT_BACKUP; i < TSP_CAT_COUNT; i++) {
		const char *name = tsp_category_name((enum tsp_category)i);

		assert_true(tsp_category_parse(name, strlen(name), &cat));
		assert_int_equal(cat, i);
	}
	for (int i = TSP_ORIGIN_VBR; i <= TSP_ORIGIN_AGENT; i++) {
		assert_true(tsp_origin_parse(tsp_origin_name(i), strlen(tsp_origin_name(i)), &origin));
		assert_int_equal(origin, i);
	}
	for (int i = TSP_WORKLOAD_VSPHERE; i <= TSP_WORKLOAD_MAC; i++) {
		assert_true(
			tsp_workload_parse(tsp_workload_name(i), strlen(tsp_workload_name(i)), &workload));
		assert_int_equal(workload, i);
	}
	for (int i = TSP_OP_REPLICATE; i <= TSP_OP_UNDO; i++) {
		assert_true(tsp_operation_parse(tsp_operation_name(i), strlen(tsp_operation_name(i)), &op));
		assert_int_equal(op, i);
	}
	for (int i = TSP_RESULT_SUCCESS; i <= TSP_RESULT_FAILED; i++) {
		assert_true(tsp_result_parse(tsp_result_name(i), strlen(tsp_result_name(i)), &result));
		assert_int_equal(result, i);
	}
}

static void test_names_wire_spelling(void **state)
{
	enum tsp_category cat;
	enum tsp_workload workload;
	enum tsp_result result;

	(void)state;
	assert_string_equal(tsp_category_name(TSP_CAT_BACKUP_COPY), "backup-copy");
	assert_string_equal(tsp_role_name(TSP_ROLE_JOB_OPEN), "job-open");
	assert_string_equal(tsp_role_name(TSP_ROLE_SESSION_HELLO), "session-hello");
	assert_string_equal(tsp_category_name(TSP_CAT_COUNT), "?");
	assert_false(tsp_category_parse("control", 7, &cat));
	assert_false(tsp_category_parse("Backup", 6, &cat));
	assert_false(tsp_category_parse("backup-", 7, &cat));
	assert_false(tsp_category_parse("", 0, &cat));
	assert_false(tsp_workload_parse("VSPHERE", 7, &workload));
	assert_false(tsp_result_parse("", 0, &result));
	/* Lengths are honoured: "backupX" cut to 6 bytes is "backup". */
	assert_true(tsp_category_parse("backupX", 6, &cat));
	assert_int_equal(cat, TSP_CAT_BACKUP);
	assert_true(tsp_category_is_backup(TSP_CAT_BACKUP));
	assert_true(tsp_category_is_backup(TSP_CAT_BACKUP_COPY));
	assert_false(tsp_category_is_backup(TSP_CAT_REPLICATION));
	assert_false(tsp_category_is_backup(TSP_CAT_RESTORE));
	assert_false(tsp_category_is_backup(TSP_CAT_CONTROL));
}

/* ---- the error body ---- */

static void test_error_body_plain(void **state)
{
	char buf[256];
	size_t n;

	(void)state;
	n = tsp_error_body(buf, sizeof buf, "maintenance",
			   "Service provider is currently undergoing scheduled maintenance.");
	assert_string_equal(buf, "{\"error\":\"maintenance\",\"message\":\"Service provider is "
				 "currently undergoing scheduled maintenance.\"}");
	assert_int_equal(n, strlen(buf));
	n = tsp_error_body(buf, sizeof buf, "not-found", "");
	assert_string_equal(buf, "{\"error\":\"not-found\",\"message\":\"\"}");
	assert_int_equal(n, 34);
}

static void test_error_body_escaping(void **state)
{
	char buf[256];

	(void)state;
	tsp_error_body(buf, sizeof buf, "x", "say \"hi\" \\ now\n\r\t\x01\x1f\x7f \xc3\xa4");
	assert_string_equal(buf, "{\"error\":\"x\",\"message\":\"say \\\"hi\\\" \\\\ now\\n\\r\\t"
				 "\\u0001\\u001f\\u007f \xc3\xa4\"}");
	tsp_error_body(buf, sizeof buf, "a\"b", "m");
	assert_string_equal(buf, "{\"error\":\"a\\\"b\",\"message\":\"m\"}");
}

static void test_error_body_truncation(void **state)
{
	const char *message = "ab\"cd";
	const char *full = "{\"error\":\"c\",\"message\":\"ab\\\"cd\"}";
	size_t need = strlen(full);
	char buf[64];

	(void)state;
	assert_int_equal(tsp_error_body(NULL, 0, "c", message), need);
	for (size_t size = 1; size <= need + 1; size++) {
		size_t n;

		memset(buf, '#', sizeof buf);
		n = tsp_error_body(buf, size, "c", message);
		assert_int_equal(n, need);
		assert_true(strlen(buf) < size);             /* NUL-terminated inside the buffer */
		assert_int_equal(buf[size], '#');            /* nothing written past it */
		assert_memory_equal(buf, full, strlen(buf)); /* a prefix of the body */
		/* Never a dangling half of the \" escape. */
		assert_false(strlen(buf) == 27 && buf[26] == '\\');
		if (size == need + 1)
			assert_string_equal(buf, full);
	}
}

/* ---- the group ---- */

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_every_byte),       cmocka_unit_test(test_id_lengths_and_dots),
		cmocka_unit_test(test_block_numbers),       cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_names_wire_spelling), cmocka_unit_test(test_error_body_plain),
		cmocka_unit_test(test_error_body_escaping), cmocka_unit_test(test_error_body_truncation),
	};

	return cmocka_run_group_tests_name("tsp_names", tests, NULL, NULL);
}
