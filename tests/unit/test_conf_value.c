/*
 * tests/unit/test_conf_value.c: the value types of sluice.ini (conf/value.c):
 * each parser on good and bad input, with the text of its error, and each
 * formatter back.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf_fixture.h"
#include "config.h"
#include "value.h"

/* err->message contains part (cmocka has no "contains" assertion). */
static void assert_error_has(const struct config_error *err, const char *part)
{
	if (strstr(err->message, part) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err->message, part);
}

/* ---- booleans ---- */

static void test_bool_words(void **state)
{
	static const char *const yes[] = { "on", "ON", "yes", "True", "1" };
	static const char *const no[] = { "off", "Off", "no", "FALSE", "0" };
	struct config_error err;
	bool value;

	(void)state;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		value = false;
		assert_true(config_parse_bool(yes[i], &value, &err));
		assert_true(value);
		assert_true(config_parse_bool(no[i], &value, &err));
		assert_false(value);
	}
}

static void test_bool_rejects_other_words(void **state)
{
	static const char *const bad[] = { "", "enabled", "2", "o n", "onn" };
	struct config_error err;
	bool value = true;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_false(config_parse_bool(bad[i], &value, &err));
		assert_true(value); /* untouched */
	}
	assert_error_has(&err, "\"onn\" is not a boolean; use on or off");
}

/* ---- integers ---- */

static void test_int_decimal(void **state)
{
	struct config_error err;
	unsigned long long value = 0;

	(void)state;
	assert_true(config_parse_int("511", CONFIG_FLAVOR_DECIMAL, 1, 65535, &value, &err));
	assert_int_equal(value, 511);
	assert_true(config_parse_int("65535", CONFIG_FLAVOR_DECIMAL, 1, 65535, &value, &err));
	assert_int_equal(value, 65535);
	assert_false(config_parse_int("65536", CONFIG_FLAVOR_DECIMAL, 1, 65535, &value, &err));
	assert_string_equal(err.message, "65536 is out of range; use 1 to 65535");
	assert_false(config_parse_int("0", CONFIG_FLAVOR_DECIMAL, 1, 65535, &value, &err));
	assert_false(config_parse_int("-1", CONFIG_FLAVOR_DECIMAL, 1, 65535, &value, &err));
	assert_error_has(&err, "\"-1\" is not a whole number; use a decimal number from 1 to 65535");
	assert_false(config_parse_int("12k", CONFIG_FLAVOR_DECIMAL, 1, 65535, &value, &err));
	assert_false(config_parse_int("", CONFIG_FLAVOR_DECIMAL, 0, 10, &value, &err));
	assert_false(config_parse_int("99999999999999999999999", CONFIG_FLAVOR_DECIMAL, 0, 10, &value, &err));
	assert_int_equal(value, 65535);
}

static void test_int_octal(void **state)
{
	struct config_error err;
	unsigned long long value = 0;

	(void)state;
	assert_true(config_parse_int("0660", CONFIG_FLAVOR_OCTAL, 0, 0777, &value, &err));
	assert_int_equal(value, 0660);
	assert_true(config_parse_int("600", CONFIG_FLAVOR_OCTAL, 0, 0777, &value, &err));
	assert_int_equal(value, 0600);
	assert_false(config_parse_int("0680", CONFIG_FLAVOR_OCTAL, 0, 0777, &value, &err));
	assert_error_has(&err, "\"0680\" is not an octal file mode; use octal digits from 0000 to 0777");
	assert_false(config_parse_int("1777", CONFIG_FLAVOR_OCTAL, 0, 0777, &value, &err));
	assert_string_equal(err.message, "1777 is out of range; use 0000 to 0777");
}

/* ---- durations ---- */

static void test_duration_units(void **state)
{
	static const struct {
		const char *text;
		uint64_t ms;
	} good[] = {
		{ "500ms", 500 }, { "30s", 30000 }, { "5m", 300000 }, { "2h", 7200000 }, { "1d", 86400000 },
		{ "45", 45000 },  { "0", 0 },       { "0s", 0 },      { "007s", 7000 },
	};
	struct config_error err;
	uint64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_true(config_parse_duration(good[i].text, 0, CONFIG_MS_DAY * 30, &ms, &err));
		assert_int_equal(ms, good[i].ms);
	}
}

static void test_duration_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"s",
		"5 m",
		"5M",
		"5min",
		"-1s",
		"1.5s",
		"+3s",
		"3s ",
		"1w",
		"99999999999999999999d",
		"18446744073709551615d",
	};
	struct config_error err;
	uint64_t ms = 42;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (config_parse_duration(bad[i], 0, UINT64_MAX, &ms, &err))
			fail_msg("accepted duration \"%s\"", bad[i]);
	}
	assert_int_equal(ms, 42);
	assert_string_equal(err.message,
			    "\"18446744073709551615d\" is not a duration; use a whole number "
			    "with ms, s, m, h or d (none = seconds) from 0s to 18446744073709551615ms");
}

static void test_duration_range(void **state)
{
	struct config_error err;
	uint64_t ms;

	(void)state;
	assert_false(config_parse_duration("59s", CONFIG_MS_MINUTE, 7 * CONFIG_MS_DAY, &ms, &err));
	assert_string_equal(err.message, "59s is out of range; use 1m to 7d");
	assert_false(config_parse_duration("8d", CONFIG_MS_MINUTE, 7 * CONFIG_MS_DAY, &ms, &err));
	assert_true(config_parse_duration("168h", CONFIG_MS_MINUTE, 7 * CONFIG_MS_DAY, &ms, &err));
	assert_int_equal(ms, 7 * CONFIG_MS_DAY);
}

static void test_duration_format(void **state)
{
	static const struct {
		uint64_t ms;
		const char *text;
	} cases[] = {
		{ 0, "0s" },      { 1, "1ms" },       { 1500, "1500ms" },  { 90000, "90s" },
		{ 300000, "5m" }, { 5400000, "90m" }, { 43200000, "12h" }, { 172800000, "2d" },
	};
	char out[CONFIG_FORMAT_MAX];
	struct config_error err;
	uint64_t back;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		config_format_duration(cases[i].ms, out);
		assert_string_equal(out, cases[i].text);
		assert_true(config_parse_duration(out, 0, UINT64_MAX, &back, &err));
		assert_int_equal(back, cases[i].ms);
	}
}

/* ---- sizes ---- */

static void test_size_units(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} good[] = {
		{ "512", 512 },       { "64k", 65536 },     { "64K", 65536 }, { "16m", 16777216 },
		{ "1g", 1073741824 }, { "1G", 1073741824 }, { "0", 0 },
	};
	struct config_error err;
	uint64_t bytes;

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_true(config_parse_size(good[i].text, 0, CONFIG_GIB, &bytes, &err));
		assert_int_equal(bytes, good[i].bytes);
	}
}

static void test_size_rejects(void **state)
{
	static const char *const bad[] = { "", "k", "1t", "1kb", "1 k", "-1", "1.5m", "0x10", "17179869184g" };
	struct config_error err;
	uint64_t bytes = 7;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (config_parse_size(bad[i], 0, UINT64_MAX, &bytes, &err))
			fail_msg("accepted size \"%s\"", bad[i]);
	}
	assert_int_equal(bytes, 7);
	assert_false(config_parse_size("1t", 1024, 65536, &bytes, &err));
	assert_string_equal(err.message, "\"1t\" is not a size; use a whole number of bytes with k, m or g "
					 "(powers of 1024) or none, from 1k to 64k");
	assert_false(config_parse_size("65537", 1024, 65536, &bytes, &err));
	assert_string_equal(err.message, "65537 is out of range; use 1k to 64k");
}

static void test_size_format(void **state)
{
	char out[CONFIG_FORMAT_MAX];

	(void)state;
	config_format_size(0, out);
	assert_string_equal(out, "0");
	config_format_size(1000, out);
	assert_string_equal(out, "1000");
	config_format_size(16384, out);
	assert_string_equal(out, "16k");
	config_format_size(1536 * CONFIG_KIB, out);
	assert_string_equal(out, "1536k");
	config_format_size(CONFIG_GIB, out);
	assert_string_equal(out, "1g");
}

/* ---- addresses ---- */

static void assert_address(const char *text, enum config_flavor flavor, const char *host, unsigned port,
			   const char *formatted)
{
	struct config_address a;
	struct config_error err;
	char out[CONFIG_ADDRESS_TEXT_MAX];

	if (!config_parse_address(text, flavor, "/etc/sluice", &a, &err))
		fail_msg("refused \"%s\": %s", text, err.message);
	assert_int_equal(a.kind, CONFIG_ADDRESS_INET);
	assert_string_equal(a.host, host);
	assert_int_equal(a.port_number, port);
	assert_int_equal(strtoul(a.port, NULL, 10), port);
	config_format_address(&a, out);
	assert_string_equal(out, formatted);
}

static void test_address_inet(void **state)
{
	(void)state;
	assert_address("127.0.0.1:8443", CONFIG_FLAVOR_LISTEN, "127.0.0.1", 8443, "127.0.0.1:8443");
	assert_address("[::1]:443", CONFIG_FLAVOR_LISTEN, "::1", 443, "[::1]:443");
	assert_address("[2001:db8::7]:9000", CONFIG_FLAVOR_CONNECT, "2001:db8::7", 9000,
		       "[2001:db8::7]:9000");
	assert_address("*:443", CONFIG_FLAVOR_LISTEN, "", 443, "*:443");
	assert_address("*:0", CONFIG_FLAVOR_LISTEN, "", 0, "*:0");
	assert_address("repo.example.net:9000", CONFIG_FLAVOR_CONNECT, "repo.example.net", 9000,
		       "repo.example.net:9000");
	assert_address("localhost:0", CONFIG_FLAVOR_LOOPBACK, "localhost", 0, "localhost:0");
	assert_address("127.0.0.2:9443", CONFIG_FLAVOR_LOOPBACK, "127.0.0.2", 9443, "127.0.0.2:9443");
	assert_address("[::1]:9443", CONFIG_FLAVOR_LOOPBACK, "::1", 9443, "[::1]:9443");
}

static void test_address_unix_and_empty(void **state)
{
	struct config_address a;
	struct config_error err;
	char out[CONFIG_ADDRESS_TEXT_MAX];
	char long_path[200];

	(void)state;
	assert_true(config_parse_address("unix:/run/repo.sock", CONFIG_FLAVOR_CONNECT, "/etc", &a, &err));
	assert_int_equal(a.kind, CONFIG_ADDRESS_UNIX);
	assert_string_equal(a.path, "/run/repo.sock");
	config_format_address(&a, out);
	assert_string_equal(out, "unix:/run/repo.sock");
	assert_true(config_parse_address("unix:repo.sock", CONFIG_FLAVOR_CONNECT, "/etc/sluice", &a, &err));
	assert_string_equal(a.path, "/etc/sluice/repo.sock");
	assert_true(config_parse_address("", CONFIG_FLAVOR_LOOPBACK, "/etc", &a, &err));
	assert_int_equal(a.kind, CONFIG_ADDRESS_NONE);
	config_format_address(&a, out);
	assert_string_equal(out, "");
	memset(long_path, 'x', sizeof long_path - 1);
	long_path[sizeof long_path - 1] = '\0';
	memcpy(long_path, "unix:/", 6);
	assert_false(config_parse_address(long_path, CONFIG_FLAVOR_CONNECT, "/", &a, &err));
	assert_error_has(&err, "(the limit of a UNIX socket address)");
}

static void test_address_rejects(void **state)
{
	static const struct {
		const char *text;
		enum config_flavor flavor;
		const char *error;
	} bad[] = {
		{ "127.0.0.1", CONFIG_FLAVOR_CONNECT,
		  "\"127.0.0.1\" has no port; use host:port, [v6]:port or unix:/path" },
		{ "::1:443", CONFIG_FLAVOR_LISTEN, "IPv6 addresses go in brackets ([::1]:443)" },
		{ "[::1]", CONFIG_FLAVOR_LISTEN, "has no port" },
		{ "[zz::1]:80", CONFIG_FLAVOR_LISTEN, "\"zz::1\" is not an IPv6 address" },
		{ "host:99999", CONFIG_FLAVOR_CONNECT, "port \"99999\" is not allowed; use 1 to 65535" },
		{ "host:0", CONFIG_FLAVOR_CONNECT, "port \"0\" is not allowed; use 1 to 65535" },
		{ "host:http", CONFIG_FLAVOR_CONNECT, "port \"http\" is not allowed" },
		{ "host:", CONFIG_FLAVOR_CONNECT, "port \"\" is not allowed" },
		{ ":443", CONFIG_FLAVOR_LISTEN, "the host is missing; use host:port, [v6]:port or *:port" },
		{ "*:443", CONFIG_FLAVOR_CONNECT, "\"*\" is not a host name or IPv4 address" },
		{ "bad_host:1", CONFIG_FLAVOR_CONNECT, "\"bad_host\" is not a host name" },
		{ "10.0.0.256:1", CONFIG_FLAVOR_CONNECT, "\"10.0.0.256\" is not an IPv4 address" },
		{ "10.1:1", CONFIG_FLAVOR_CONNECT, "\"10.1\" is not an IPv4 address" },
		{ "unix:/run/x.sock", CONFIG_FLAVOR_LISTEN, "a UNIX socket is not allowed here" },
		{ "unix:", CONFIG_FLAVOR_CONNECT, "the UNIX socket path is missing" },
		{ "10.0.0.1:9443", CONFIG_FLAVOR_LOOPBACK, "\"10.0.0.1\" is not a loopback address" },
		{ "*:9443", CONFIG_FLAVOR_LOOPBACK, "\"*\" is not a host name" },
		{ "[::2]:9443", CONFIG_FLAVOR_LOOPBACK, "\"::2\" is not a loopback address" },
	};
	struct config_address a;
	struct config_error err;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (config_parse_address(bad[i].text, bad[i].flavor, "/etc", &a, &err))
			fail_msg("accepted address \"%s\"", bad[i].text);
		if (strstr(err.message, bad[i].error) == NULL)
			fail_msg("\"%s\": error \"%s\" lacks \"%s\"", bad[i].text, err.message, bad[i].error);
	}
}

/* ---- words ---- */

static void test_enum_words(void **state)
{
	static const struct config_enum_value modes[] = {
		{ "drain", 0 },
		{ "block", 1 },
		{ "stop", 2 },
		{ NULL, 0 },
	};
	struct config_error err;
	char choices[64];
	int value = -1;

	(void)state;
	assert_true(config_parse_enum("block", modes, &value, &err));
	assert_int_equal(value, 1);
	assert_false(config_parse_enum("Block", modes, &value, &err));
	assert_string_equal(err.message, "\"Block\" is not allowed; use drain, block or stop");
	assert_string_equal(config_enum_name(modes, 2), "stop");
	assert_null(config_enum_name(modes, 3));
	config_enum_choices(modes, choices, sizeof choices);
	assert_string_equal(choices, "drain, block or stop");
}

/* ---- strings ---- */

static void test_text_is_printable_utf8(void **state)
{
	static const char *const bad[] = {
		"bell\a",   "tab\there",    "del\x7f",          "cr\r",       "\xc3\x28",
		"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "c1\xc2\x85", "cut\xe2\x82",
	};
	struct config_error err;

	(void)state;
	assert_true(config_check_string("Wartung l\xc3\xa4uft \xe2\x80\x94 bis 18 Uhr \xf0\x9f\x9b\xa0",
					CONFIG_FLAVOR_TEXT, 1, 512, &err));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (config_check_string(bad[i], CONFIG_FLAVOR_TEXT, 1, 512, &err))
			fail_msg("accepted text #%zu", i);
	}
	assert_false(config_check_string("bell\a", CONFIG_FLAVOR_TEXT, 1, 512, &err));
	assert_string_equal(err.message,
			    "control character 0x07 at byte 5; use printable text (UTF-8) on one line");
	assert_false(config_check_string("c1\xc2\x85", CONFIG_FLAVOR_TEXT, 1, 512, &err));
	assert_string_equal(err.message,
			    "invalid UTF-8 or a control character at byte 3; use printable UTF-8 text");
}

static void test_string_length_and_flavors(void **state)
{
	struct config_error err;
	char text[600];

	(void)state;
	memset(text, 'a', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	text[512] = '\0';
	assert_true(config_check_string(text, CONFIG_FLAVOR_TEXT, 1, 512, &err));
	text[512] = 'a';
	text[513] = '\0';
	assert_false(config_check_string(text, CONFIG_FLAVOR_TEXT, 1, 512, &err));
	assert_string_equal(err.message, "is 513 bytes long; use 1 to 512 bytes");
	assert_false(config_check_string("", CONFIG_FLAVOR_TEXT, 1, 512, &err));
	assert_string_equal(err.message, "must not be empty; use 1 to 512 bytes");
	assert_true(config_check_string("repo-1.example.net", CONFIG_FLAVOR_HOSTNAME, 0, 253, &err));
	assert_false(config_check_string("repo 1", CONFIG_FLAVOR_HOSTNAME, 0, 253, &err));
	assert_error_has(&err, "is not a host name");
	assert_true(config_check_string("_sluice", CONFIG_FLAVOR_USER, 0, 32, &err));
	assert_false(config_check_string("-x", CONFIG_FLAVOR_USER, 0, 32, &err));
	assert_true(
		config_check_string("ECDHE+AESGCM:!aNULL:@SECLEVEL=2", CONFIG_FLAVOR_CIPHERS, 1, 1024, &err));
	assert_false(config_check_string("ECDHE;rm", CONFIG_FLAVOR_CIPHERS, 1, 1024, &err));
	assert_error_has(&err, "is not an OpenSSL cipher list");
}

static void test_tenant_names(void **state)
{
	static const char *const good[] = { "acme", "acme-01.eu_x", "A", "..." };
	static const char *const bad[] = { "", ".", "..", "a b", "a/b", "t\xc3\xa4" };
	struct config_error err;
	char longest[66];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(config_check_tenant(good[i], &err));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(config_check_tenant(bad[i], &err));
	memset(longest, 't', 64);
	longest[64] = '\0';
	assert_true(config_check_tenant(longest, &err));
	longest[64] = 't';
	longest[65] = '\0';
	assert_false(config_check_tenant(longest, &err));
	assert_error_has(&err, "is not a tenant name; use 1 to 64 letters, digits, '.', '_' or '-'");
}

/* [proxy] proxy_from: addresses and prefixes, nothing past the prefix. */
static void test_cidr_entries(void **state)
{
	static const char *const good[] = { "127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "::1", "2001:db8::/32" };
	static const char *const bad[] = { "",          "localhost", "10.1.0.0/8",    "10.0.0.0/33",
					   "10.0.0.0/", "::/129",    "127.0.0.1:443", "10.0.0.0/08" };
	struct config_error err;

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(config_check_cidr(good[i], &err));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(config_check_cidr(bad[i], &err));
	assert_error_has(&err, "is not an IP address or prefix");
}

static void test_quote_bounds_and_sanitises(void **state)
{
	char q[CONFIG_QUOTE_MAX], text[200];

	(void)state;
	assert_string_equal(config_quote("a\x1b[31mb\xc3\xa4", q), "\"a?[31mb??\"");
	memset(text, 'x', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	config_quote(text, q);
	assert_true(strlen(q) < CONFIG_QUOTE_MAX);
	assert_string_equal(q + strlen(q) - 4, "...\"");
}

/* ---- paths ---- */

static void test_path_resolution(void **state)
{
	struct conf_fixture *f = *state;
	struct config_error err;
	char *path, expect[PATH_MAX + 16];

	path = config_resolve_path("test.crt", CONFIG_FLAVOR_INPUT, f->dir, &err);
	assert_non_null(path);
	snprintf(expect, sizeof expect, "%s/test.crt", f->dir);
	assert_string_equal(path, expect);
	free(path);
	path = config_resolve_path("", CONFIG_FLAVOR_INPUT, f->dir, &err);
	assert_string_equal(path, "");
	free(path);
	path = config_resolve_path("/nonexistent/out.pid", CONFIG_FLAVOR_OUTPUT, f->dir, &err);
	assert_string_equal(path, "/nonexistent/out.pid"); /* written later, not checked now */
	free(path);
	assert_null(config_resolve_path("relative", CONFIG_FLAVOR_OUTPUT, NULL, &err));
	assert_error_has(&err, "is relative; use an absolute path");
}

static void test_input_path_must_be_a_readable_file(void **state)
{
	struct conf_fixture *f = *state;
	struct config_error err;
	char fifo[PATH_MAX + 16], expect[PATH_MAX + 64];

	assert_null(config_resolve_path("missing.pem", CONFIG_FLAVOR_INPUT, f->dir, &err));
	snprintf(expect, sizeof expect, "cannot read %s/missing.pem: No such file or directory", f->dir);
	assert_error_has(&err, expect);
	assert_null(config_resolve_path(".", CONFIG_FLAVOR_INPUT, f->dir, &err));
	assert_error_has(&err, "is not a regular file");
	snprintf(fifo, sizeof fifo, "%s/fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_null(config_resolve_path("fifo", CONFIG_FLAVOR_INPUT, f->dir, &err));
	assert_error_has(&err, "is not a regular file");
	unlink(fifo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bool_words),
		cmocka_unit_test(test_bool_rejects_other_words),
		cmocka_unit_test(test_int_decimal),
		cmocka_unit_test(test_int_octal),
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_rejects),
		cmocka_unit_test(test_duration_range),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_size_units),
		cmocka_unit_test(test_size_rejects),
		cmocka_unit_test(test_size_format),
		cmocka_unit_test(test_address_inet),
		cmocka_unit_test(test_address_unix_and_empty),
		cmocka_unit_test(test_address_rejects),
		cmocka_unit_test(test_enum_words),
		cmocka_unit_test(test_text_is_printable_utf8),
		cmocka_unit_test(test_string_length_and_flavors),
		cmocka_unit_test(test_tenant_names),
		cmocka_unit_test(test_cidr_entries),
		cmocka_unit_test(test_quote_bounds_and_sanitises),
		cmocka_unit_test_setup_teardown(test_path_resolution, conf_fixture_setup,
						conf_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_input_path_must_be_a_readable_file, conf_fixture_setup,
						conf_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
