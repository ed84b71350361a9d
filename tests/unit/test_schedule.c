/*
 * tests/unit/test_schedule.c: [schedule] windows: the entry grammar
 * (conf/window.c) and their placement in time (proxy/policy/schedule.c),
 * with fixed times: midnight, daylight saving changes in Europe/Berlin and
 * America/New_York, merging, past windows, the next window.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/config.h"
#include "conf/window.h"
#include "policy/schedule.h"

#define HOUR 3600

/* Fixed instants (UTC), computed independently. */
#define XMAS_22Z 1798149600          /* 2026-12-24T22:00:00Z, a Thursday */
#define XMAS_02Z 1798164000          /* 2026-12-25T02:00:00Z */
#define SAT_DEC5_12Z 1796472000      /* 2026-12-05T12:00:00Z, a Saturday */
#define SUN_DEC6_00Z 1796515200      /* 2026-12-06T00:00:00Z */
#define BERLIN_SPRING_SAT 1774699200 /* 2026-03-28T12:00:00Z; clocks 02:00 CET -> 03:00 CEST on the 29th */
#define BERLIN_FALL_SAT 1792843200   /* 2026-10-24T12:00:00Z; clocks 03:00 CEST -> 02:00 CET on the 25th */
#define NY_SPRING_SAT 1772884800     /* 2026-03-07T12:00:00Z; 02:00 EST -> 03:00 EDT on the 8th */
#define NY_FALL_SAT 1793448000       /* 2026-10-31T12:00:00Z; 02:00 EDT -> 01:00 EST on Nov 1 */

static struct config_window window_of(const char *text)
{
	struct config_window w;
	struct config_error err;

	if (!config_parse_window(text, &w, &err))
		fail_msg("%s: %s", text, err.message);
	return w;
}

static struct schedule_state state_of(const char *const *texts, size_t n, const char *tz, int64_t now)
{
	struct config_window w[8];
	struct schedule_state st;

	for (size_t i = 0; i < n; i++)
		w[i] = window_of(texts[i]);
	schedule_at(w, n, tz, now, &st);
	return st;
}

/* ---- the grammar ---- */

static void test_absolute_entries_parse(void **state)
{
	struct config_window w = window_of("2026-12-24T22:00:00Z/2026-12-25T02:00:00Z");
	char text[CONFIG_WINDOW_TEXT_MAX];
	(void)state;

	assert_int_equal(w.kind, CONFIG_WINDOW_ABSOLUTE);
	assert_int_equal(w.start, XMAS_22Z);
	assert_int_equal(w.end, XMAS_02Z);
	w = window_of("2026-12-24T23:00:00+01:00/2026-12-24T21:00:00-05:00");
	assert_int_equal(w.start, XMAS_22Z);
	assert_int_equal(w.end, XMAS_02Z);
	config_format_window(&w, text);
	assert_string_equal(text, "2026-12-24T22:00:00Z/2026-12-25T02:00:00Z");
}

static void test_weekly_entries_parse(void **state)
{
	struct config_window w = window_of("sun 02:00-04:00");
	char text[CONFIG_WINDOW_TEXT_MAX];
	(void)state;

	assert_int_equal(w.kind, CONFIG_WINDOW_WEEKLY);
	assert_int_equal(w.day, 0);
	assert_int_equal(w.start_minute, 120);
	assert_int_equal(w.end_minute, 240);
	w = window_of("SAT 23:00-01:00");
	assert_int_equal(w.day, 6);
	config_format_window(&w, text);
	assert_string_equal(text, "sat 23:00-01:00");
}

static void test_invalid_entries_say_why(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "2026-12-24T22:00Z/2026-12-25T02:00:00Z", "YYYY-MM-DDTHH:MM:SS" },
		{ "2026-12-24T22:00:00/2026-12-25T02:00:00Z", "needs a time zone" },
		{ "2026-12-24T22:00:00+1:00/2026-12-25T02:00:00Z", "offset" },
		{ "2026-12-24T22:00:00Z-2026-12-25T02:00:00Z", "'/'" },
		{ "2026-12-24T22:00:00Z/2026-12-25", "the end is not" },
		{ "2026-12-24T22:00:00Z/2026-12-25T02:00:00Z x", "text after" },
		{ "2026-12-25T02:00:00Z/2026-12-24T22:00:00Z", "after the start" },
		{ "2026-12-24T22:00:00Z/2026-12-24T22:00:00Z", "after the start" },
		{ "2026-02-29T02:00:00Z/2026-03-01T00:00:00Z", "not a date" },
		{ "2026-13-01T02:00:00Z/2027-01-01T00:00:00Z", "not a date" },
		{ "2026-12-24T24:00:00Z/2026-12-25T02:00:00Z", "not a time of day" },
		{ "2026-12-24T22:00:60Z/2026-12-25T02:00:00Z", "not a time of day" },
		{ "sunday 02:00-04:00", "start with a day" },
		{ "xyz 02:00-04:00", "start with a day" },
		{ "sun", "start with a day" },
		{ "sun 2:00-04:00", "HH:MM-HH:MM" },
		{ "sun 02:00", "HH:MM-HH:MM" },
		{ "sun 24:00-02:00", "HH:MM-HH:MM" },
		{ "sun 02:60-04:00", "HH:MM-HH:MM" },
		{ "sun 02:00-04:00x", "HH:MM-HH:MM" },
	};
	struct config_window w;
	struct config_error err;
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (config_parse_window(cases[i].text, &w, &err))
			fail_msg("accepted %s", cases[i].text);
		if (strstr(err.message, cases[i].why) == NULL)
			fail_msg("%s: %s (wanted %s)", cases[i].text, err.message, cases[i].why);
	}
}

static void test_timezone_names(void **state)
{
	struct config_error err;
	(void)state;

	assert_true(config_check_timezone("UTC", &err));
	assert_true(config_check_timezone("Europe/Berlin", &err));
	assert_false(config_check_timezone("Mars/Olympus", &err));
	assert_non_null(strstr(err.message, "tzdata"));
	assert_false(config_check_timezone("../../etc/passwd", &err));
	assert_false(config_check_timezone("/etc/localtime", &err));
	assert_false(config_check_timezone("", &err));
}

/* ---- placement ---- */

static void test_weekly_next_window(void **state)
{
	static const char *const w[] = { "sun 02:00-04:00" };
	struct schedule_state st = state_of(w, 1, "UTC", SAT_DEC5_12Z);
	(void)state;

	assert_false(st.in_window);
	assert_true(st.has_next);
	assert_int_equal(st.next_start, SUN_DEC6_00Z + 2 * HOUR);
	assert_int_equal(st.next_end, SUN_DEC6_00Z + 4 * HOUR);
	assert_int_equal(schedule_next_boundary(&st), SUN_DEC6_00Z + 2 * HOUR);
	/* Inside: the current window, and next week's as the next. */
	st = state_of(w, 1, "UTC", SUN_DEC6_00Z + 3 * HOUR);
	assert_true(st.in_window);
	assert_int_equal(st.current_start, SUN_DEC6_00Z + 2 * HOUR);
	assert_int_equal(st.current_end, SUN_DEC6_00Z + 4 * HOUR);
	assert_int_equal(st.next_start, SUN_DEC6_00Z + 7 * 24 * HOUR + 2 * HOUR);
	assert_int_equal(schedule_next_boundary(&st), SUN_DEC6_00Z + 4 * HOUR);
	/* The end is not inside: [start, end). */
	st = state_of(w, 1, "UTC", SUN_DEC6_00Z + 4 * HOUR);
	assert_false(st.in_window);
}

static void test_weekly_across_midnight(void **state)
{
	static const char *const w[] = { "sat 23:00-01:00" };
	struct schedule_state st = state_of(w, 1, "UTC", SUN_DEC6_00Z + HOUR / 2);
	(void)state;

	assert_true(st.in_window);
	assert_int_equal(st.current_start, SUN_DEC6_00Z - HOUR);
	assert_int_equal(st.current_end, SUN_DEC6_00Z + HOUR);
	/* In Berlin (UTC+1 in December) the same wall times are an hour earlier. */
	st = state_of(w, 1, "Europe/Berlin", SAT_DEC5_12Z);
	assert_false(st.in_window);
	assert_int_equal(st.next_start, SUN_DEC6_00Z - 2 * HOUR);
	assert_int_equal(st.next_end, SUN_DEC6_00Z);
}

static void test_berlin_spring_forward(void **state)
{
	/* 2026-03-29: 02:00 CET (01:00Z) becomes 03:00 CEST. */
	static const char *const spans[] = { "sun 01:00-04:00" };
	static const char *const gap[] = { "sun 02:30-04:00" };
	static const char *const swallowed[] = { "sun 02:00-03:00" };
	int64_t sun = BERLIN_SPRING_SAT + 12 * HOUR; /* 2026-03-29T00:00:00Z */
	struct schedule_state st = state_of(spans, 1, "Europe/Berlin", BERLIN_SPRING_SAT);
	(void)state;

	assert_int_equal(st.next_start, sun);          /* 01:00 CET */
	assert_int_equal(st.next_end, sun + 2 * HOUR); /* 04:00 CEST: two real hours */
	/* 02:30 does not exist that day: the first instant after the gap. */
	st = state_of(gap, 1, "Europe/Berlin", BERLIN_SPRING_SAT);
	assert_int_equal(st.next_start, sun + HOUR); /* 03:00 CEST */
	assert_int_equal(st.next_end, sun + 2 * HOUR);
	/* A window entirely in the gap is empty that week: the next is a week on. */
	st = state_of(swallowed, 1, "Europe/Berlin", BERLIN_SPRING_SAT);
	assert_int_equal(st.next_start, sun + 7 * 24 * HOUR); /* 2026-04-05 02:00 CEST = 00:00Z */
}

static void test_berlin_fall_back(void **state)
{
	/* 2026-10-25: 03:00 CEST (01:00Z) becomes 02:00 CET; 02:00-03:00 happens twice. */
	static const char *const w[] = { "sun 02:30-03:30" };
	int64_t sun = BERLIN_FALL_SAT + 12 * HOUR; /* 2026-10-25T00:00:00Z */
	struct schedule_state st = state_of(w, 1, "Europe/Berlin", BERLIN_FALL_SAT);
	(void)state;

	assert_int_equal(st.next_start, sun + HOUR / 2);   /* the first 02:30, CEST */
	assert_int_equal(st.next_end, sun + 5 * HOUR / 2); /* 03:30 CET: two real hours */
	/* During the repeated hour, the window is on. */
	st = state_of(w, 1, "Europe/Berlin", sun + 3 * HOUR / 2);
	assert_true(st.in_window);
}

static void test_new_york_spring_forward(void **state)
{
	/* 2026-03-08: 02:00 EST (07:00Z) becomes 03:00 EDT. */
	static const char *const w[] = { "sun 01:30-03:30" };
	int64_t sun = NY_SPRING_SAT + 12 * HOUR; /* 2026-03-08T00:00:00Z */
	struct schedule_state st = state_of(w, 1, "America/New_York", NY_SPRING_SAT);
	(void)state;

	assert_int_equal(st.next_start, sun + 6 * HOUR + HOUR / 2); /* 01:30 EST = 06:30Z */
	assert_int_equal(st.next_end, sun + 7 * HOUR + HOUR / 2);   /* 03:30 EDT = 07:30Z */
}

static void test_new_york_fall_back(void **state)
{
	/* 2026-11-01: 02:00 EDT (06:00Z) becomes 01:00 EST. */
	static const char *const w[] = { "sun 01:30-02:00" };
	int64_t sun = NY_FALL_SAT + 12 * HOUR; /* 2026-11-01T00:00:00Z */
	struct schedule_state st = state_of(w, 1, "America/New_York", NY_FALL_SAT);
	(void)state;

	assert_int_equal(st.next_start, sun + 5 * HOUR + HOUR / 2); /* the first 01:30, EDT = 05:30Z */
	assert_int_equal(st.next_end, sun + 7 * HOUR);              /* 02:00 EST = 07:00Z */
}

static void test_overlapping_and_touching_windows_merge(void **state)
{
	static const char *const w[] = {
		"2026-12-24T23:00:00Z/2026-12-25T03:00:00Z", /* overlaps the next */
		"2026-12-24T22:00:00Z/2026-12-25T02:00:00Z",
		"2026-12-25T03:00:00Z/2026-12-25T04:00:00Z", /* touches */
		"2026-12-25T05:00:00Z/2026-12-25T06:00:00Z", /* apart */
	};
	struct schedule_state st = state_of(w, 4, "UTC", XMAS_22Z - HOUR);
	(void)state;

	assert_false(st.in_window);
	assert_int_equal(st.next_start, XMAS_22Z);
	assert_int_equal(st.next_end, XMAS_02Z + 2 * HOUR);
	st = state_of(w, 4, "UTC", XMAS_02Z + HOUR + 1);
	assert_true(st.in_window);
	assert_int_equal(st.current_start, XMAS_22Z);
	assert_int_equal(st.current_end, XMAS_02Z + 2 * HOUR);
	assert_int_equal(st.next_start, XMAS_02Z + 3 * HOUR);
}

static void test_past_windows_are_ignored(void **state)
{
	static const char *const w[] = { "2026-12-24T22:00:00Z/2026-12-25T02:00:00Z",
					 "2026-12-25T10:00:00Z/2026-12-25T11:00:00Z" };
	struct schedule_state st = state_of(w, 1, "UTC", XMAS_02Z);
	(void)state;

	assert_false(st.in_window);
	assert_false(st.has_next);
	assert_int_equal(schedule_next_boundary(&st), 0);
	st = state_of(w, 2, "UTC", XMAS_02Z + HOUR);
	assert_false(st.in_window);
	assert_int_equal(st.next_start, XMAS_02Z + 8 * HOUR);
}

static void test_next_of_mixed_windows(void **state)
{
	static const char *const w[] = { "sun 02:00-04:00", "2026-12-05T20:00:00Z/2026-12-05T21:00:00Z",
					 "fri 12:00-13:00" };
	struct schedule_state st = state_of(w, 3, "UTC", SAT_DEC5_12Z);
	(void)state;

	assert_int_equal(st.next_start, SAT_DEC5_12Z + 8 * HOUR);
	assert_int_equal(st.next_end, SAT_DEC5_12Z + 9 * HOUR);
}

static void test_the_process_zone_is_restored(void **state)
{
	static const char *const w[] = { "sun 02:00-04:00" };
	(void)state;

	setenv("TZ", "America/New_York", 1);
	(void)state_of(w, 1, "Europe/Berlin", SAT_DEC5_12Z);
	assert_string_equal(getenv("TZ"), "America/New_York");
	unsetenv("TZ");
	(void)state_of(w, 1, "Europe/Berlin", SAT_DEC5_12Z);
	assert_null(getenv("TZ"));
}

/* ---- the key in a file ---- */

#define BASE "[proxy]\nupstream = 127.0.0.1:9\n[tls]\nenabled = off\n"

static bool load_text(const char *text, struct sluice_config **cfg, struct config_error *err)
{
	char path[] = "/tmp/test_schedule.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	bool ok;

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	ok = config_load(path, cfg, err);
	unlink(path);
	return ok;
}

static void test_window_lines_add_up_and_dump_back(void **state)
{
	struct sluice_config *cfg, *again;
	struct config_error err;
	char *dump = NULL;
	size_t dump_len = 0;
	FILE *out;
	(void)state;

	if (!load_text(BASE
		       "[schedule]\nwindow = sun 02:00-04:00, sat 23:00-01:00\ntimezone = Europe/Berlin\n"
		       "window = 2026-12-24T23:00:00+01:00/2026-12-25T03:00:00+01:00\n",
		       &cfg, &err))
		fail_msg("%s", err.message);
	assert_int_equal(cfg->schedule.window_count, 3);
	assert_int_equal(cfg->schedule.window[2].start, XMAS_22Z);
	assert_string_equal(cfg->schedule.timezone, "Europe/Berlin");
	assert_int_equal(cfg->schedule.notice_ms, 3600000); /* the default */
	out = open_memstream(&dump, &dump_len);
	assert_true(config_dump(cfg, out));
	fclose(out);
	assert_non_null(strstr(dump, "window = sun 02:00-04:00\nwindow = sat 23:00-01:00\n"
				     "window = 2026-12-24T22:00:00Z/2026-12-25T02:00:00Z\n"));
	if (!load_text(dump, &again, &err))
		fail_msg("the dump does not load: %s", err.message);
	assert_int_equal(config_diff(cfg, again, NULL, NULL), 0);
	free(dump);
	config_free(again);
	config_free(cfg);
}

static void test_a_bad_window_names_its_line(void **state)
{
	struct sluice_config *cfg = NULL;
	struct config_error err;
	(void)state;

	assert_false(load_text(BASE "[schedule]\nwindow = sun 02:00-04:00\nwindow = mon 02:00-4:00\n", &cfg,
			       &err));
	assert_int_equal(err.line, 7);
	assert_non_null(strstr(err.message, ":7: [schedule] window: window \"mon 02:00-4:00\""));
	assert_false(load_text(BASE "[schedule]\ntimezone = UTC\ntimezone = UTC\n", &cfg, &err));
	assert_non_null(strstr(err.message, "set twice"));
	assert_false(load_text(BASE "[schedule]\ntimezone = Europe/Nowhere\n", &cfg, &err));
	assert_int_equal(err.line, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absolute_entries_parse),
		cmocka_unit_test(test_weekly_entries_parse),
		cmocka_unit_test(test_invalid_entries_say_why),
		cmocka_unit_test(test_timezone_names),
		cmocka_unit_test(test_weekly_next_window),
		cmocka_unit_test(test_weekly_across_midnight),
		cmocka_unit_test(test_berlin_spring_forward),
		cmocka_unit_test(test_berlin_fall_back),
		cmocka_unit_test(test_new_york_spring_forward),
		cmocka_unit_test(test_new_york_fall_back),
		cmocka_unit_test(test_overlapping_and_touching_windows_merge),
		cmocka_unit_test(test_past_windows_are_ignored),
		cmocka_unit_test(test_next_of_mixed_windows),
		cmocka_unit_test(test_the_process_zone_is_restored),
		cmocka_unit_test(test_window_lines_add_up_and_dump_back),
		cmocka_unit_test(test_a_bad_window_names_its_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
