/*
 * conf/window.c: [schedule] window entries and timezone names (window.h).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "conf/value.h"
#include "conf/window.h"

static const char *const day_names[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

/* n decimal digits at *p, advancing it; -1 when they are not all digits. */
static int digits(const char **p, int n)
{
	int value = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		value = value * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return value;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

int64_t config_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* One "YYYY-MM-DDTHH:MM:SS" followed by "Z" or "+HH:MM"/"-HH:MM", as
 * seconds since the epoch; *p advances past it. NULL or the problem. */
static const char *parse_instant(const char **p, int64_t *out)
{
	const char *s = *p;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;

	y = digits(&s, 4);
	if (y < 0 || !expect(&s, '-') || (mo = digits(&s, 2)) < 0 || !expect(&s, '-') ||
	    (d = digits(&s, 2)) < 0 || !expect(&s, 'T') || (h = digits(&s, 2)) < 0 || !expect(&s, ':') ||
	    (mi = digits(&s, 2)) < 0 || !expect(&s, ':') || (sec = digits(&s, 2)) < 0)
		return "is not YYYY-MM-DDTHH:MM:SS (seconds included)";
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if ((oh = digits(&s, 2)) < 0 || !expect(&s, ':') || (om = digits(&s, 2)) < 0)
			return "has an offset that is not +HH:MM or -HH:MM";
		if (oh > 23 || om > 59)
			return "has an offset beyond 23:59";
	} else {
		return "needs a time zone: Z or an offset such as +01:00";
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return "is not a date (year 1970 or later, month 01-12, a day the month has)";
	if (h > 23 || mi > 59 || sec > 59)
		return "is not a time of day (00:00:00 to 23:59:59)";
	*out = config_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	       sign * (oh * 3600 + om * 60);
	*p = s;
	return NULL;
}

bool config_parse_instant(const char *text, int64_t *out, struct config_error *err)
{
	char q[CONFIG_QUOTE_MAX];
	const char *p = text, *why;

	if ((why = parse_instant(&p, out)) != NULL)
		return config_fail(err, "%s %s", config_quote(text, q), why);
	if (*p != '\0')
		return config_fail(err,
				   "%s: text after the instant (write one, such as 2026-12-24T22:00:00Z)",
				   config_quote(text, q));
	return true;
}

bool config_check_instant(const char *text, struct config_error *err)
{
	int64_t ignored;

	return config_parse_instant(text, &ignored, err);
}

bool config_maintenance_since(const struct sluice_config *cfg, int64_t *wall)
{
	struct config_error ignored;

	if (!cfg->maintenance.enabled || cfg->maintenance.since[0] == '\0')
		return false;
	return config_parse_instant(cfg->maintenance.since, wall, &ignored); /* checked at load */
}

static bool parse_absolute(const char *text, struct config_window *out, struct config_error *err)
{
	char q[CONFIG_QUOTE_MAX];
	const char *p = text, *why;

	if ((why = parse_instant(&p, &out->start)) != NULL)
		return config_fail(err, "window %s: the start %s", config_quote(text, q), why);
	if (!expect(&p, '/'))
		return config_fail(err, "window %s: put '/' between the start and the end",
				   config_quote(text, q));
	if ((why = parse_instant(&p, &out->end)) != NULL)
		return config_fail(err, "window %s: the end %s", config_quote(text, q), why);
	if (*p != '\0')
		return config_fail(err, "window %s: text after the end", config_quote(text, q));
	if (out->start >= out->end)
		return config_fail(err, "window %s: the end must be after the start", config_quote(text, q));
	out->kind = CONFIG_WINDOW_ABSOLUTE;
	return true;
}

/* "HH:MM" as minutes after midnight, or -1. */
static int parse_clock(const char **p)
{
	int h = digits(p, 2), m;

	if (h < 0 || h > 23 || !expect(p, ':'))
		return -1;
	m = digits(p, 2);
	return m < 0 || m > 59 ? -1 : h * 60 + m;
}

static bool parse_weekly(const char *text, struct config_window *out, struct config_error *err)
{
	char q[CONFIG_QUOTE_MAX];
	const char *p = text + 3;
	int day = -1;

	for (int i = 0; i < 7; i++) {
		if (strncasecmp(text, day_names[i], 3) == 0)
			day = i;
	}
	if (day < 0 || *p != ' ')
		return config_fail(err,
				   "window %s: start with a day (mon, tue, wed, thu, fri, sat or sun) "
				   "and a space",
				   config_quote(text, q));
	while (*p == ' ')
		p++;
	out->start_minute = parse_clock(&p);
	if (out->start_minute < 0 || !expect(&p, '-') || (out->end_minute = parse_clock(&p)) < 0 ||
	    *p != '\0')
		return config_fail(err,
				   "window %s: write the times as HH:MM-HH:MM (00:00 to 23:59; an end at "
				   "or before the start is on the next day)",
				   config_quote(text, q));
	out->kind = CONFIG_WINDOW_WEEKLY;
	out->day = day;
	return true;
}

bool config_parse_window(const char *text, struct config_window *out, struct config_error *err)
{
	memset(out, 0, sizeof *out);
	if (isdigit((unsigned char)text[0]))
		return parse_absolute(text, out, err);
	return parse_weekly(text, out, err);
}

static void format_instant(int64_t when, char *out, size_t size)
{
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void config_format_window(const struct config_window *window, char out[CONFIG_WINDOW_TEXT_MAX])
{
	char start[24], end[24];

	if (window->kind == CONFIG_WINDOW_WEEKLY) {
		snprintf(out, CONFIG_WINDOW_TEXT_MAX, "%s %02d:%02d-%02d:%02d", day_names[window->day % 7],
			 window->start_minute / 60, window->start_minute % 60, window->end_minute / 60,
			 window->end_minute % 60);
		return;
	}
	format_instant(window->start, start, sizeof start);
	format_instant(window->end, end, sizeof end);
	snprintf(out, CONFIG_WINDOW_TEXT_MAX, "%s/%s", start, end);
}

bool config_check_timezone(const char *name, struct config_error *err)
{
	char q[CONFIG_QUOTE_MAX], path[sizeof CONFIG_ZONEINFO_DIR + 256];
	struct stat st;

	/* glibc knows UTC without a file: the default works without tzdata. */
	if (strcmp(name, "UTC") == 0)
		return true;
	for (const char *p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return config_fail(err,
					   "%s is not a time zone name; use an IANA name such as "
					   "Europe/Berlin (letters, digits, '/', '_', '+', '-')",
					   config_quote(name, q));
	}
	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL || strlen(name) > 255)
		return config_fail(err, "%s is not a time zone name; use an IANA name such as Europe/Berlin",
				   config_quote(name, q));
	snprintf(path, sizeof path, "%s/%s", CONFIG_ZONEINFO_DIR, name);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return config_fail(err,
				   "%s is not a time zone of this system (no file %s; Debian's tzdata "
				   "package provides them)",
				   config_quote(name, q), path);
	return true;
}
