/*
 * conf/window.h: the text of a [schedule] window entry and of a [schedule]
 * timezone name. Pure string code (the timezone check looks for a file).
 *
 * A window is one of
 *   2026-12-24T22:00:00Z/2026-12-25T02:00:00Z        absolute, ISO 8601 with
 *   2026-12-24T23:00:00+01:00/2026-12-25T03:00:00+01:00   seconds, Z or +-HH:MM
 *   sun 02:00-04:00                                  weekly, in [schedule] timezone;
 *   sat 23:00-01:00                                  an end at or before the start
 *                                                    is on the next day
 * The time arithmetic (which instant a weekly window starts, merging, the
 * next window) is proxy/policy/schedule.c.
 */
#ifndef SLUICE_CONF_WINDOW_H
#define SLUICE_CONF_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/config.h"

/* "2026-12-24T22:00:00Z/2026-12-25T02:00:00Z" is the longest canonical form. */
#define CONFIG_WINDOW_TEXT_MAX 48

/* Where IANA zone files live (Debian: the tzdata package). */
#define CONFIG_ZONEINFO_DIR "/usr/share/zoneinfo"

/* One entry; err->message says what is wrong and what is allowed. */
bool config_parse_window(const char *text, struct config_window *out, struct config_error *err);

/* Canonical text the parser reads back: absolute windows in UTC ("Z"). */
void config_format_window(const struct config_window *window, char out[CONFIG_WINDOW_TEXT_MAX]);

/* "UTC", or a name of letters, digits, '/', '_', '+' and '-' (no "..", not
 * absolute) whose file exists under CONFIG_ZONEINFO_DIR. */
/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (no time
 * zone); negative before 1970. Shared with the schedule's arithmetic. */
int64_t config_days_from_civil(int64_t y, int m, int d);

bool config_check_timezone(const char *name, struct config_error *err);

/* One instant alone, "2026-12-24T22:00:00Z" or with an offset such as
 * "+01:00" (seconds included), as seconds since the epoch ([maintenance]
 * since). config_check_instant() only validates. */
bool config_parse_instant(const char *text, int64_t *out, struct config_error *err);
bool config_check_instant(const char *text, struct config_error *err);

/* Seconds a [maintenance] since may lie ahead of this host's clock (another
 * host wrote it): it counts as now. Beyond that it is a configuration error. */
#define CONFIG_SINCE_SKEW 60

/* [maintenance] since applies: enabled = on and since set (a since while
 * enabled = off is ignored); *wall = since, seconds since the epoch. */
bool config_maintenance_since(const struct sluice_config *cfg, int64_t *wall);

#endif
