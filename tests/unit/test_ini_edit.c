/*
 * tests/unit/test_ini_edit.c: the in-place INI editor (conf/ini_edit.c).
 *
 * Every edit is checked byte for byte against the expected text, then set
 * again to prove it idempotent, then read back with ini_edit_find(). The
 * loader tests (with a scratch directory) prove that what the editor writes
 * is what config_load() reads.
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

#include "conf_fixture.h"
#include "config.h"
#include "ini_edit.h"

/* set [section] key = value in `in`; the result must be `expected` exactly
 * (lengths given, so texts may hold anything). */
static void expect_set_n(const char *in, size_t in_len, const char *section, const char *key,
			 const char *value, const char *expected, size_t expected_len)
{
	struct config_error err;
	char *out, *again;
	size_t out_len, again_len, found_len;
	const char *found;

	if (!ini_edit_set(in, in_len, section, key, value, &out, &out_len, &err))
		fail_msg("refused: %s", err.message);
	if (out_len != expected_len || memcmp(out, expected, expected_len) != 0)
		fail_msg("got\n---\n%s\n---\nexpected\n---\n%s\n---", out, expected);
	assert_int_equal(out[out_len], '\0');

	/* Idempotent: setting the same value again changes nothing. */
	if (!ini_edit_set(out, out_len, section, key, value, &again, &again_len, &err))
		fail_msg("second set refused: %s", err.message);
	assert_int_equal(again_len, out_len);
	assert_memory_equal(again, out, out_len);

	/* And the value reads back as written. */
	assert_true(ini_edit_find(out, out_len, section, key, &found, &found_len));
	assert_int_equal(found_len, strlen(value));
	assert_memory_equal(found, value, found_len);
	free(again);
	free(out);
}

static void expect_set(const char *in, const char *section, const char *key, const char *value,
		       const char *expected)
{
	expect_set_n(in, strlen(in), section, key, value, expected, strlen(expected));
}

static void expect_refused(const char *value, const char *part)
{
	static const char in[] = "[maintenance]\nmessage = old\n";
	struct config_error err = { 0 };
	char *out = (char *)1;
	size_t out_len = 1;

	if (ini_edit_set(in, sizeof in - 1, "maintenance", "message", value, &out, &out_len, &err))
		fail_msg("accepted a value that should be refused");
	assert_null(out);
	assert_int_equal(out_len, 0);
	if (strstr(err.message, part) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err.message, part);
}

/* ---- a key that is there ---- */

static void test_replace_keeps_every_other_byte(void **state)
{
	(void)state;
	expect_set("; head comment\n\n[maintenance]\n; the switch\nenabled = off\nmode = drain   \n\n# end\n",
		   "maintenance", "enabled", "on",
		   "; head comment\n\n[maintenance]\n; the switch\nenabled = on\nmode = drain   \n\n# end\n");
}

static void test_replace_in_crlf_file(void **state)
{
	(void)state;
	expect_set("[maintenance]\r\nenabled = off\r\nmode = drain\r\n", "maintenance", "enabled", "on",
		   "[maintenance]\r\nenabled = on\r\nmode = drain\r\n");
}

static void test_replace_keeps_inline_comment(void **state)
{
	(void)state;
	expect_set("[maintenance]\nenabled = off ; turned on by sluicectl\n", "maintenance", "enabled", "on",
		   "[maintenance]\nenabled = on ; turned on by sluicectl\n");
	expect_set("[maintenance]\nenabled = off\t\t; tabs before\n", "maintenance", "enabled", "on",
		   "[maintenance]\nenabled = on\t\t; tabs before\n");
}

static void test_replace_keeps_indentation_and_spacing(void **state)
{
	(void)state;
	expect_set("[maintenance]\n\t  enabled\t=   off\n", "maintenance", "enabled", "on",
		   "[maintenance]\n\t  enabled\t=   on\n");
	expect_set("[maintenance]\nenabled=off\n", "maintenance", "enabled", "on",
		   "[maintenance]\nenabled=on\n");
}

static void test_replace_keeps_trailing_white_space(void **state)
{
	(void)state;
	expect_set("[maintenance]  \nenabled = off  \t\nmode = drain \n", "maintenance", "enabled", "on",
		   "[maintenance]  \nenabled = on  \t\nmode = drain \n");
	expect_set("[maintenance]\r\nenabled = off  \r\n", "maintenance", "enabled", "on",
		   "[maintenance]\r\nenabled = on  \r\n");
}

static void test_replace_with_colon_separator(void **state)
{
	(void)state;
	expect_set("[maintenance]\nenabled: off\n", "maintenance", "enabled", "on",
		   "[maintenance]\nenabled: on\n");
}

static void test_fill_an_empty_value(void **state)
{
	(void)state;
	expect_set("[tenants]\ndisabled =\n", "tenants", "disabled", "acme", "[tenants]\ndisabled = acme\n");
	expect_set("[tenants]\ndisabled=\n", "tenants", "disabled", "acme", "[tenants]\ndisabled=acme\n");
	expect_set("[tenants]\ndisabled:\n", "tenants", "disabled", "acme", "[tenants]\ndisabled: acme\n");
	expect_set("[tenants]\ndisabled =   \n", "tenants", "disabled", "acme",
		   "[tenants]\ndisabled = acme  \n");
}

static void test_fill_an_empty_value_before_a_comment(void **state)
{
	(void)state;
	/* The ';' must stay after white space, or it becomes part of the value. */
	expect_set("[tenants]\ndisabled = ;none yet\n", "tenants", "disabled", "acme",
		   "[tenants]\ndisabled = acme ;none yet\n");
	expect_set("[tenants]\ndisabled =   ; none yet\n", "tenants", "disabled", "acme",
		   "[tenants]\ndisabled = acme  ; none yet\n");
}

static void test_empty_a_value(void **state)
{
	(void)state;
	expect_set("[tenants]\ndisabled = acme, beta ; who\n", "tenants", "disabled", "",
		   "[tenants]\ndisabled = ; who\n");
	expect_set("[tenants]\ndisabled = acme\n", "tenants", "disabled", "", "[tenants]\ndisabled =\n");
}

static void test_same_value_gives_the_same_text(void **state)
{
	static const char in[] = "[maintenance]\r\nenabled   =   on ; already\r\n";
	(void)state;
	expect_set(in, "maintenance", "enabled", "on", in);
}

static void test_value_syntax_round_trips(void **state)
{
	(void)state;
	/* ';' not after white space, '=' and ':' in a value are plain bytes. */
	expect_set("[maintenance]\nmessage = old\n", "maintenance", "message", "a;b = c: d # e",
		   "[maintenance]\nmessage = a;b = c: d # e\n");
}

/* ---- a key that is missing ---- */

static void test_missing_key_goes_after_the_last_key_line(void **state)
{
	(void)state;
	expect_set("[maintenance]\nenabled = off\n; about the mode\nmode = drain\n\n; closing words\n\n"
		   "[tenants]\ndisabled =\n",
		   "maintenance", "message", "Back soon.",
		   "[maintenance]\nenabled = off\n; about the mode\nmode = drain\nmessage = Back soon.\n\n"
		   "; closing words\n\n[tenants]\ndisabled =\n");
}

static void test_missing_key_takes_the_indentation(void **state)
{
	(void)state;
	expect_set("[maintenance]\n    enabled = off\n", "maintenance", "mode", "block",
		   "[maintenance]\n    enabled = off\n    mode = block\n");
}

static void test_missing_key_in_a_section_without_keys(void **state)
{
	(void)state;
	expect_set("[maintenance] ; nothing yet\n; a comment\n\n[log]\nlevel = info\n", "maintenance",
		   "enabled", "on",
		   "[maintenance] ; nothing yet\nenabled = on\n; a comment\n\n[log]\nlevel = info\n");
}

static void test_missing_key_in_crlf_file(void **state)
{
	(void)state;
	expect_set("[maintenance]\r\nenabled = on\r\n\r\n", "maintenance", "mode", "block",
		   "[maintenance]\r\nenabled = on\r\nmode = block\r\n\r\n");
}

static void test_missing_key_at_end_without_newline(void **state)
{
	(void)state;
	expect_set("[maintenance]\nenabled = on", "maintenance", "mode", "block",
		   "[maintenance]\nenabled = on\nmode = block");
	expect_set("[maintenance]\r\nenabled = on", "maintenance", "mode", "block",
		   "[maintenance]\r\nenabled = on\r\nmode = block");
}

static void test_commented_out_key_is_left(void **state)
{
	(void)state;
	expect_set("[maintenance]\n; enabled = on\nmode = drain\n#enabled = off\n", "maintenance", "enabled",
		   "on", "[maintenance]\n; enabled = on\nmode = drain\nenabled = on\n#enabled = off\n");
}

static void test_same_key_in_another_section_is_not_touched(void **state)
{
	(void)state;
	expect_set("[tls]\nenabled = on\n\n[maintenance]\nmode = drain\n", "maintenance", "enabled", "on",
		   "[tls]\nenabled = on\n\n[maintenance]\nmode = drain\nenabled = on\n");
	expect_set("[tls]\nenabled = on\n[maintenance]\nenabled = off\n", "tls", "enabled", "off",
		   "[tls]\nenabled = off\n[maintenance]\nenabled = off\n");
}

static void test_key_names_match_whole(void **state)
{
	(void)state;
	expect_set("[maintenance]\nenabled_x = 1\nenable = 2\n", "maintenance", "enabled", "on",
		   "[maintenance]\nenabled_x = 1\nenable = 2\nenabled = on\n");
}

/* ---- a section that is missing ---- */

static void test_missing_section_is_appended(void **state)
{
	(void)state;
	expect_set("[proxy]\nupstream = 127.0.0.1:9000\n", "maintenance", "enabled", "on",
		   "[proxy]\nupstream = 127.0.0.1:9000\n\n[maintenance]\nenabled = on\n");
}

static void test_missing_section_after_a_blank_line(void **state)
{
	(void)state;
	expect_set("[proxy]\nupstream = 127.0.0.1:9000\n\n", "maintenance", "enabled", "on",
		   "[proxy]\nupstream = 127.0.0.1:9000\n\n[maintenance]\nenabled = on\n");
}

static void test_missing_section_without_final_newline(void **state)
{
	(void)state;
	expect_set("[proxy]\nupstream = 127.0.0.1:9000", "maintenance", "enabled", "on",
		   "[proxy]\nupstream = 127.0.0.1:9000\n\n[maintenance]\nenabled = on\n");
}

static void test_missing_section_in_crlf_file(void **state)
{
	(void)state;
	expect_set("; x\r\n[proxy]\r\nupstream = 127.0.0.1:9000\r\n", "maintenance", "enabled", "on",
		   "; x\r\n[proxy]\r\nupstream = 127.0.0.1:9000\r\n\r\n[maintenance]\r\nenabled = on\r\n");
}

static void test_missing_section_in_an_empty_file(void **state)
{
	(void)state;
	expect_set("", "maintenance", "enabled", "on", "[maintenance]\nenabled = on\n");
}

static void test_commented_out_section_does_not_count(void **state)
{
	(void)state;
	expect_set("; [maintenance]\n; enabled = on\n", "maintenance", "enabled", "on",
		   "; [maintenance]\n; enabled = on\n\n[maintenance]\nenabled = on\n");
}

/* ---- byte order mark, duplicates, odd lines ---- */

static void test_byte_order_mark(void **state)
{
	static const char in[] = "\xEF\xBB\xBF[maintenance]\nenabled = off\n";
	static const char out[] = "\xEF\xBB\xBF[maintenance]\nenabled = on\n";
	static const char in2[] = "\xEF\xBB\xBF[maintenance]\n";
	static const char out2[] = "\xEF\xBB\xBF[maintenance]\nenabled = on\n";
	(void)state;
	expect_set(in, "maintenance", "enabled", "on", out);
	expect_set(in2, "maintenance", "enabled", "on", out2);
}

static void test_duplicate_sections(void **state)
{
	(void)state;
	/* The loader merges repeated sections (and refuses a key set twice):
	 * a key is edited where it is, a missing key joins the first occurrence. */
	expect_set("[maintenance]\nenabled = off\n[log]\nlevel = info\n[maintenance]\nmode = drain\n",
		   "maintenance", "mode", "block",
		   "[maintenance]\nenabled = off\n[log]\nlevel = info\n[maintenance]\nmode = block\n");
	expect_set("[maintenance]\nenabled = off\n[log]\nlevel = info\n[maintenance]\nmode = drain\n",
		   "maintenance", "message", "m",
		   "[maintenance]\nenabled = off\nmessage = m\n[log]\nlevel = info\n[maintenance]\nmode = drain\n");
}

static void test_key_set_twice_edits_the_first(void **state)
{
	(void)state;
	expect_set("[maintenance]\nenabled = off\nenabled = off\n", "maintenance", "enabled", "on",
		   "[maintenance]\nenabled = on\nenabled = off\n");
}

static void test_lines_the_loader_refuses_are_copied(void **state)
{
	(void)state;
	expect_set("[maintenance]\nnot a key line\n[unclosed\nenabled = off\n", "maintenance", "enabled",
		   "on", "[maintenance]\nnot a key line\n[unclosed\nenabled = on\n");
}

static void test_nul_bytes_and_lone_cr_are_copied(void **state)
{
	static const char in[] = "; a\0b\r\n[maintenance]\nenabled = off\r";
	static const char out[] = "; a\0b\r\n[maintenance]\nenabled = on\r";
	(void)state;
	expect_set_n(in, sizeof in - 1, "maintenance", "enabled", "on", out, sizeof out - 1);
}

/* ---- refusals ---- */

static void test_refuses_line_breaks(void **state)
{
	(void)state;
	expect_refused("two\nlines", "line break");
	expect_refused("two\rlines", "line break");
}

static void test_refuses_what_the_loader_would_cut(void **state)
{
	(void)state;
	expect_refused(" padded", "white space at the start or end");
	expect_refused("padded\t", "white space at the start or end");
	expect_refused(";comment", "start with ';'");
	expect_refused("text ; more", "';' after white space");
	expect_refused("text\t;more", "';' after white space");
}

static void test_refuses_bad_names(void **state)
{
	struct config_error err = { 0 };
	char *out;
	size_t out_len;
	(void)state;
	assert_false(ini_edit_set("", 0, "main]tenance", "enabled", "on", &out, &out_len, &err));
	assert_non_null(strstr(err.message, "section name"));
	assert_false(ini_edit_set("", 0, "maintenance", "", "on", &out, &out_len, &err));
	assert_non_null(strstr(err.message, "key name"));
	assert_false(ini_edit_set("", 0, "maintenance", "a = b", "on", &out, &out_len, &err));
	assert_non_null(strstr(err.message, "key name"));
}

/* ---- find ---- */

static void test_find(void **state)
{
	static const char in[] = "[proxy]\nupstream = 127.0.0.1:9000 ; repo\n[admin]\nsocket =\n";
	const char *value;
	size_t len;
	(void)state;
	assert_true(ini_edit_find(in, sizeof in - 1, "proxy", "upstream", &value, &len));
	assert_int_equal(len, strlen("127.0.0.1:9000"));
	assert_memory_equal(value, "127.0.0.1:9000", len);
	assert_true(ini_edit_find(in, sizeof in - 1, "admin", "socket", &value, &len));
	assert_int_equal(len, 0);
	assert_false(ini_edit_find(in, sizeof in - 1, "admin", "listen", &value, &len));
	assert_false(ini_edit_find(in, sizeof in - 1, "proxy", "socket", &value, &len));
}

/* ---- what the loader reads ---- */

/* Edit CONF_MINIMAL, load the result, and compare the loaded value's text. */
static void expect_loads_as(struct conf_fixture *f, const char *base, const char *section, const char *key,
			    const char *value, const char *loaded)
{
	struct config_error err;
	char *out, *text;
	size_t out_len;

	if (!ini_edit_set(base, strlen(base), section, key, value, &out, &out_len, &err))
		fail_msg("refused: %s", err.message);
	if (!conf_fixture_load(f, out))
		fail_msg("edited text does not load: %s\n%s", f->err.message, out);
	text = config_value_text(f->cfg, config_key_find(section, key));
	assert_non_null(text);
	assert_string_equal(text, loaded);
	free(text);
	free(out);
}

static void test_loader_reads_what_was_written(void **state)
{
	struct conf_fixture *f = *state;

	expect_loads_as(f, CONF_MINIMAL, "maintenance", "enabled", "on", "on");
	expect_loads_as(f, CONF_MINIMAL, "maintenance", "message", "a;b = c: d #e", "a;b = c: d #e");
	expect_loads_as(f, CONF_MINIMAL "[maintenance]\nmessage = ; empty, but a comment\n", "maintenance",
			"message", "Back at 10:00 UTC.", "Back at 10:00 UTC.");
	expect_loads_as(f, CONF_MINIMAL "[maintenance]\r\nmode = drain ; x\r\n", "maintenance", "mode",
			"block", "block");
	expect_loads_as(f, CONF_MINIMAL "[maintenance]\nretry_after = 1m", "maintenance", "retry_after", "90",
			"90s");
	expect_loads_as(f, "\xEF\xBB\xBF" CONF_MINIMAL, "proxy", "max_connections", "12", "12");
}

/* Every key of the example, set to the value it has: the text is unchanged. */
static void test_example_unchanged_by_its_own_values(void **state)
{
	char path[4096], *text, *out;
	size_t count, len, out_len, value_len;
	const struct config_key *keys = config_keys(&count);
	struct config_error err;
	const char *value;
	FILE *file;
	(void)state;

	snprintf(path, sizeof path, "%s/conf/sluice.ini", TOP_SRCDIR);
	file = fopen(path, "rb");
	assert_non_null(file);
	text = calloc(1, CONFIG_FILE_MAX);
	assert_non_null(text);
	len = fread(text, 1, CONFIG_FILE_MAX, file);
	fclose(file);
	for (size_t i = 0; i < count; i++) {
		char copy[CONFIG_LINE_MAX + 1];
		if (!ini_edit_find(text, len, keys[i].section, keys[i].name, &value, &value_len))
			fail_msg("[%s] %s not found in the example", keys[i].section, keys[i].name);
		assert_true(value_len < sizeof copy);
		memcpy(copy, value, value_len);
		copy[value_len] = '\0';
		if (!ini_edit_set(text, len, keys[i].section, keys[i].name, copy, &out, &out_len, &err))
			fail_msg("[%s] %s refused: %s", keys[i].section, keys[i].name, err.message);
		assert_int_equal(out_len, len);
		assert_memory_equal(out, text, len);
		free(out);
	}
	free(text);
}

#define FIXTURE(test) cmocka_unit_test_setup_teardown(test, conf_fixture_setup, conf_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_keeps_every_other_byte),
		cmocka_unit_test(test_replace_in_crlf_file),
		cmocka_unit_test(test_replace_keeps_inline_comment),
		cmocka_unit_test(test_replace_keeps_indentation_and_spacing),
		cmocka_unit_test(test_replace_keeps_trailing_white_space),
		cmocka_unit_test(test_replace_with_colon_separator),
		cmocka_unit_test(test_fill_an_empty_value),
		cmocka_unit_test(test_fill_an_empty_value_before_a_comment),
		cmocka_unit_test(test_empty_a_value),
		cmocka_unit_test(test_same_value_gives_the_same_text),
		cmocka_unit_test(test_value_syntax_round_trips),
		cmocka_unit_test(test_missing_key_goes_after_the_last_key_line),
		cmocka_unit_test(test_missing_key_takes_the_indentation),
		cmocka_unit_test(test_missing_key_in_a_section_without_keys),
		cmocka_unit_test(test_missing_key_in_crlf_file),
		cmocka_unit_test(test_missing_key_at_end_without_newline),
		cmocka_unit_test(test_commented_out_key_is_left),
		cmocka_unit_test(test_same_key_in_another_section_is_not_touched),
		cmocka_unit_test(test_key_names_match_whole),
		cmocka_unit_test(test_missing_section_is_appended),
		cmocka_unit_test(test_missing_section_after_a_blank_line),
		cmocka_unit_test(test_missing_section_without_final_newline),
		cmocka_unit_test(test_missing_section_in_crlf_file),
		cmocka_unit_test(test_missing_section_in_an_empty_file),
		cmocka_unit_test(test_commented_out_section_does_not_count),
		cmocka_unit_test(test_byte_order_mark),
		cmocka_unit_test(test_duplicate_sections),
		cmocka_unit_test(test_key_set_twice_edits_the_first),
		cmocka_unit_test(test_lines_the_loader_refuses_are_copied),
		cmocka_unit_test(test_nul_bytes_and_lone_cr_are_copied),
		cmocka_unit_test(test_refuses_line_breaks),
		cmocka_unit_test(test_refuses_what_the_loader_would_cut),
		cmocka_unit_test(test_refuses_bad_names),
		cmocka_unit_test(test_find),
		FIXTURE(test_loader_reads_what_was_written),
		cmocka_unit_test(test_example_unchanged_by_its_own_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
