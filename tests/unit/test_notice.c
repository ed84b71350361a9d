/*
 * tests/unit/test_notice.c: [maintenance] message as a template and
 * retry_after = auto (conf/notice.c).
 */
#include "autoconfig.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/config.h"
#include "conf/notice.h"
#include "conf_fixture.h"

#define T_2026_12_24_22 INT64_C(1798149600) /* 2026-12-24T22:00:00Z */

static const char *render(const char *template, const struct notice_vars *vars)
{
	static char out[NOTICE_MAX + 1];
	size_t len = notice_render(template, vars, out);

	assert_int_equal(len, strlen(out));
	return out;
}

static void test_placeholders(void **state)
{
	struct notice_vars v = { T_2026_12_24_22, T_2026_12_24_22 + 4 * 3600, "acme", 1800 };

	(void)state;
	assert_string_equal(render("since {start} until {end} for {tenant}, retry in {retry_after} s", &v),
			    "since 2026-12-24T22:00:00Z until 2026-12-25T02:00:00Z for acme, retry in 1800 s");
	assert_string_equal(render("{tenant}{tenant}", &v), "acmeacme");
	assert_string_equal(render("no placeholders", &v), "no placeholders");
}

static void test_unknown_values_are_empty(void **state)
{
	struct notice_vars v = { T_2026_12_24_22, 0, NULL, 0 };

	(void)state;
	assert_string_equal(render("[{end}][{tenant}][{retry_after}]", &v), "[][][]");
}

static void test_literal_braces(void **state)
{
	struct notice_vars v = { T_2026_12_24_22, 0, "acme", 0 };
	char why[NOTICE_WHY_MAX];

	(void)state;
	assert_string_equal(render("{{tenant}} is {tenant}; {{}}", &v), "{tenant} is acme; {}");
	assert_true(notice_check("{{tenant}} }}{{", why));
}

static void test_check_rejects(void **state)
{
	char why[NOTICE_WHY_MAX];

	(void)state;
	assert_true(notice_check("Down since {start} until {end}.", why));
	assert_false(notice_check("{begin}", why));
	assert_non_null(strstr(why, "unknown placeholder {begin}"));
	assert_false(notice_check("open { brace", why));
	assert_non_null(strstr(why, "not closed"));
	assert_false(notice_check("{start", why));
	assert_false(notice_check("{st{art}", why));
	assert_false(notice_check("close } brace", why));
	assert_non_null(strstr(why, "closes nothing"));
	assert_false(notice_check("{}", why));
	assert_false(notice_check("{Start}", why));
	assert_false(notice_check("}}}", why));
}

/* The rendered text is bounded, and never ends inside a UTF-8 character. */
static void test_bounded_at_character_boundary(void **state)
{
	char template[513];
	char tenant[65];
	struct notice_vars v = { T_2026_12_24_22, 0, tenant, 0 };
	const char *out;
	size_t i;

	(void)state;
	memset(tenant, 'x', 64);
	tenant[64] = '\0';
	for (i = 0; i + 8 <= 512; i += 8)
		memcpy(template + i, "{tenant}", 8);
	template[i] = '\0';
	out = render(template, &v);
	assert_int_equal(strlen(out), NOTICE_MAX);

	/* "\xc3\xa9" (e acute) straddling the bound is dropped whole */
	memset(template, 'a', 511);
	template[511] = '\0';
	memcpy(template, "{tenant}{tenant}{tenant}{tenant}{tenant}{tenant}{tenant}{tenant}", 64);
	memcpy(template + 64, "{tenant}{tenant}{tenant}{tenant}{tenant}{tenant}{tenant}", 56);
	/* 15 tenants = 960 bytes, then the rest of the template: put e acute at 1023 */
	memset(template + 120, 'a', 63);
	memcpy(template + 183, "\xc3\xa9", 2);
	template[185] = '\0';
	out = render(template, &v);
	assert_int_equal(strlen(out), 1023);
	assert_int_equal(out[1022], 'a');
}

static void test_retry_after(void **state)
{
	(void)state;
	assert_int_equal(notice_retry_after(0, 0, 1000), 0);
	assert_int_equal(notice_retry_after(1500, 0, 1000), 2); /* rounded up */
	assert_int_equal(notice_retry_after(1800000, 5000, 1000), 1800);
	assert_int_equal(notice_retry_after(CONFIG_DURATION_AUTO, 0, 1000), 0); /* no window end */
	assert_int_equal(notice_retry_after(CONFIG_DURATION_AUTO, 4600, 1000), 3600);
	assert_int_equal(notice_retry_after(CONFIG_DURATION_AUTO, 1000, 1000), 0); /* ended */
	assert_int_equal(notice_retry_after(CONFIG_DURATION_AUTO, 900, 1000), 0);
}

/* ---- the keys, loaded from a file ---- */

#define MAINTENANCE CONF_MINIMAL "[maintenance]\n" /* [maintenance] is line 6 */

static void assert_load_fails_at(struct conf_fixture *f, const char *text, unsigned line, const char *part)
{
	char prefix[PATH_MAX + 64];

	if (conf_fixture_load(f, text))
		fail_msg("loaded, expected an error containing \"%s\"", part);
	snprintf(prefix, sizeof prefix, "%s/sluice.ini:%u: ", f->dir, line);
	if (strncmp(f->err.message, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", f->err.message, prefix);
	if (strstr(f->err.message, part) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", f->err.message, part);
}

static void assert_value_text(struct conf_fixture *f, const char *name, const char *expected)
{
	char *text = config_value_text(f->cfg, config_key_find("maintenance", name));

	assert_non_null(text);
	assert_string_equal(text, expected);
	free(text);
}

static void test_retry_after_auto_round_trips(void **state)
{
	struct conf_fixture *f = *state;

	assert_true(conf_fixture_load(f, MAINTENANCE "retry_after = auto\n"));
	assert_true(f->cfg->maintenance.retry_after_ms == CONFIG_DURATION_AUTO);
	assert_value_text(f, "retry_after", "auto");
	assert_true(conf_fixture_load(f, MAINTENANCE "retry_after = 1800\n"));
	assert_true(f->cfg->maintenance.retry_after_ms == 1800000);
	assert_value_text(f, "retry_after", "30m");
	assert_true(conf_fixture_load(f, MAINTENANCE "retry_after = 0s\n"));
	assert_value_text(f, "retry_after", "0s");
	assert_load_fails_at(f, MAINTENANCE "retry_after = Auto\n", 7, "not a duration");
	assert_load_fails_at(f, MAINTENANCE "retry_after = 8d\n", 7, "out of range");
}

static void test_message_template_checked_at_load(void **state)
{
	struct conf_fixture *f = *state;

	assert_true(conf_fixture_load(f, MAINTENANCE "message = Down for {tenant} since {start}, {{ok}}\n"));
	assert_load_fails_at(f, MAINTENANCE "enabled = on\nmessage = Down until {until}\n", 8,
			     "[maintenance] message: unknown placeholder {until}");
	assert_load_fails_at(f, MAINTENANCE "message = Down {start\n", 7, "not closed");
	assert_load_fails_at(f, MAINTENANCE "message = Down }\n", 7, "closes nothing");
}

static void test_scope_lists_at_load(void **state)
{
	struct conf_fixture *f = *state;

	assert_true(conf_fixture_load(f, MAINTENANCE "tenants = acme, globex\nexempt = initech\n"));
	assert_int_equal(f->cfg->maintenance.tenants_count, 2);
	assert_int_equal(f->cfg->maintenance.exempt_count, 1);
	assert_value_text(f, "tenants", "acme, globex");
	assert_load_fails_at(f, MAINTENANCE "tenants = acme, globex\nexempt = globex\n", 8,
			     "[maintenance] exempt: globex is also in tenants");
	assert_load_fails_at(f, MAINTENANCE "exempt = acme\ntenants = acme\n", 7,
			     "[maintenance] exempt: acme is also in tenants");
	assert_load_fails_at(f, MAINTENANCE "tenants = a b\n", 7, "not a tenant name");
}

int main(void)
{
#define CONF(name) cmocka_unit_test_setup_teardown(name, conf_fixture_setup, conf_fixture_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_unknown_values_are_empty),
		cmocka_unit_test(test_literal_braces),
		cmocka_unit_test(test_check_rejects),
		cmocka_unit_test(test_bounded_at_character_boundary),
		cmocka_unit_test(test_retry_after),
		CONF(test_retry_after_auto_round_trips),
		CONF(test_message_template_checked_at_load),
		CONF(test_scope_lists_at_load),
	};
#undef CONF

	return cmocka_run_group_tests(tests, NULL, NULL);
}
