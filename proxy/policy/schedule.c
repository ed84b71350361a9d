/*
 * proxy/policy/schedule.c: [schedule] windows placed in time (schedule.h).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/window.h"
#include "policy/schedule.h"

#define SCHEDULE_WINDOWS_MAX 64 /* [schedule] window holds at most this many (keys.def) */
#define WEEKS_BEHIND 1          /* an occurrence that began last week may still run (<= 24 h) */
#define WEEKS_AHEAD 8
#define OCCURRENCES_MAX (SCHEDULE_WINDOWS_MAX * (WEEKS_BEHIND + WEEKS_AHEAD + 1))

struct interval {
	int64_t start, end;
};

/* ---- the time zone ---- */

/* Run fn with the process's local time zone set to tz. glibc's mktime(3)
 * and localtime_r(3) take the zone from TZ only, so it is set for the call
 * and the previous value put back (the daemon is single-threaded; nothing
 * else reads local time meanwhile). */
static void with_timezone(const char *tz, void (*fn)(void *ctx), void *ctx)
{
	const char *old = getenv("TZ");
	char *saved = old != NULL ? strdup(old) : NULL;

	setenv("TZ", tz != NULL && tz[0] != '\0' ? tz : "UTC", 1);
	tzset();
	fn(ctx);
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

/* ---- civil dates (proleptic Gregorian, no zone) ---- */

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* 1970-01-01 was a Thursday. */
static int weekday_of(int64_t day)
{
	return (int)(((day + 4) % 7 + 7) % 7);
}

/* ---- wall-clock times in the current zone ---- */

/* A local wall-clock moment as one ordered number: day * 1440 + minute. */
static int64_t wall_of(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	return config_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 1440 + tm.tm_hour * 60 +
	       tm.tm_min;
}

static int64_t mktime_as(int64_t day, int minute, int isdst)
{
	struct tm tm = { 0 };
	int y, m, d;

	civil_from_days(day, &y, &m, &d);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = minute / 60;
	tm.tm_min = minute % 60;
	tm.tm_isdst = isdst;
	return (int64_t)mktime(&tm);
}

/* The first instant at which the local clock reads day/minute or later: the
 * wall time itself when it exists (its first occurrence when it exists twice),
 * the end of the gap when the clocks skip it. */
static int64_t place(int64_t day, int minute)
{
	int64_t want = day * 1440 + minute;
	int64_t a = mktime_as(day, minute, 0), b = mktime_as(day, minute, 1);
	int64_t lo = a < b ? a : b, hi = a < b ? b : a;

	if (wall_of(lo) == want)
		return lo;
	if (wall_of(hi) == want)
		return hi;
	/* In a gap: the two readings straddle it; the clock only moves forward
	 * between them. Find the first second reading want or later. */
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (wall_of(mid) >= want)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* ---- occurrences ---- */

struct occurrences {
	const struct config_window *windows;
	size_t count;
	int64_t now;
	struct interval items[OCCURRENCES_MAX];
	size_t n;
};

static void add(struct occurrences *o, int64_t start, int64_t end)
{
	/* Windows already over are kept until the merge: one that overlaps
	 * or touches a later window still gives the merged window its start
	 * (T). start >= end: a weekly window that a spring gap swallowed. */
	if (start >= end || o->n == OCCURRENCES_MAX)
		return;
	o->items[o->n].start = start;
	o->items[o->n].end = end;
	o->n++;
}

static void add_weekly(struct occurrences *o, const struct config_window *w, int64_t today)
{
	for (int64_t day = today - 7 * WEEKS_BEHIND - 1; day <= today + 7 * WEEKS_AHEAD; day++) {
		if (weekday_of(day) != w->day)
			continue;
		int64_t end_day = w->end_minute <= w->start_minute ? day + 1 : day;
		add(o, place(day, w->start_minute), place(end_day, w->end_minute));
	}
}

static void collect(void *ctx)
{
	struct occurrences *o = ctx;
	int64_t today = wall_of(o->now) / 1440;

	for (size_t i = 0; i < o->count && i < SCHEDULE_WINDOWS_MAX; i++) {
		const struct config_window *w = &o->windows[i];
		if (w->kind == CONFIG_WINDOW_ABSOLUTE)
			add(o, w->start, w->end);
		else
			add_weekly(o, w, today);
	}
}

static int by_start(const void *a, const void *b)
{
	const struct interval *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorted, merged in place: overlapping or touching intervals become one. */
static size_t merge(struct interval *items, size_t n)
{
	size_t out = 0;

	qsort(items, n, sizeof *items, by_start);
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && items[i].start <= items[out - 1].end) {
			if (items[i].end > items[out - 1].end)
				items[out - 1].end = items[i].end;
			continue;
		}
		items[out++] = items[i];
	}
	return out;
}

void schedule_at(const struct config_window *windows, size_t count, const char *timezone, int64_t now,
		 struct schedule_state *out)
{
	static struct occurrences o; /* 10 KiB: not on the stack; the main thread or under server.lock */
	size_t n;

	memset(out, 0, sizeof *out);
	o.windows = windows;
	o.count = count;
	o.now = now;
	o.n = 0;
	with_timezone(timezone, collect, &o);
	n = merge(o.items, o.n);
	for (size_t i = 0; i < n; i++) {
		if (o.items[i].start <= now && now < o.items[i].end) {
			out->in_window = true;
			out->current_start = o.items[i].start;
			out->current_end = o.items[i].end;
		} else if (o.items[i].start > now) {
			out->has_next = true;
			out->next_start = o.items[i].start;
			out->next_end = o.items[i].end;
			break;
		}
	}
}

int64_t schedule_next_boundary(const struct schedule_state *state)
{
	if (state->in_window)
		return state->current_end;
	return state->has_next ? state->next_start : 0;
}
