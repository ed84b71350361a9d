/*
 * proxy/policy/schedule.h: [schedule] maintenance windows in time. Pure: the
 * time is passed in (wall-clock seconds since the epoch), nothing is read
 * or written but the process's TZ while a weekly window is placed (below).
 *
 * The entries come parsed from the configuration (conf/window.h: the loader
 * may not include proxy/). schedule_at() places every entry in time: an
 * absolute window is what it says; a weekly one repeats every week at its
 * wall-clock times in the time zone, each occurrence placed with mktime(3)
 * under that zone, so a daylight saving change moves it with the clocks. A
 * wall-clock time that does not exist (the hour skipped in spring) is taken
 * as the first instant after the gap, i.e. the time the clocks show then
 * (02:30 on a 02:00 -> 03:00 day is 03:00); one that exists twice (the hour
 * repeated in autumn) is its first occurrence, the one still on summer time.
 * The windows found are merged (overlapping or touching ones become one),
 * and those already over are ignored.
 */
#ifndef SLUICE_SCHEDULE_H
#define SLUICE_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"

/* Where now is with respect to the windows. Times are seconds since the
 * epoch; a window is [start, end). */
struct schedule_state {
	bool in_window;        /* now is inside a (merged) window */
	int64_t current_start; /* in_window: the merged window around now */
	int64_t current_end;
	bool has_next; /* a window starts after now (the one after the current) */
	int64_t next_start;
	int64_t next_end;
};

/* The state at now of count windows, weekly ones in timezone (an IANA name,
 * checked by the loader; NULL or "" = UTC). Occurrences are looked for up to
 * 8 weeks ahead, so a weekly window always has a next one. */
void schedule_at(const struct config_window *windows, size_t count, const char *timezone, int64_t now,
		 struct schedule_state *out);

/* The next moment after now at which schedule_at() may answer differently:
 * the end of the current window, else the next start; 0 when there is none. */
int64_t schedule_next_boundary(const struct schedule_state *state);

#endif
