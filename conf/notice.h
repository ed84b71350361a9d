/*
 * conf/notice.h: the maintenance notice, [maintenance] message as a
 * template (sluice.ini(5), PROTOCOL.md 10.3). Pure: text in, text out.
 *
 *   {start}        T, the moment maintenance began: ISO 8601 UTC with seconds
 *                  (2026-12-24T22:00:00Z)
 *   {end}          the scheduled window's end, the same way; empty when no
 *                  end is known (maintenance turned on by enabled = on)
 *   {tenant}       the requesting tenant's name (1 to 64 of [A-Za-z0-9._-])
 *   {retry_after}  the seconds sent in Retry-After; empty when none is sent
 *   {{  }}         a literal brace
 *
 * Any other {word}, or a brace left unbalanced, is an error at load. The
 * template is at most 512 bytes ([maintenance] message); the rendered text
 * is cut to NOTICE_MAX bytes, at a UTF-8 character boundary.
 */
#ifndef SLUICE_CONF_NOTICE_H
#define SLUICE_CONF_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOTICE_MAX 1024 /* a rendered message, in bytes (NUL not included) */
#define NOTICE_WHY_MAX 160

struct notice_vars {
	int64_t start;        /* T, seconds since the epoch */
	int64_t end;          /* the scheduled window's end; 0 = unknown ({end} empty) */
	const char *tenant;   /* NULL = empty */
	unsigned retry_after; /* seconds, as in Retry-After; 0 = none ({retry_after} empty) */
};

/* Whether template is well formed; false with why filled when not. */
bool notice_check(const char *template, char why[NOTICE_WHY_MAX]);

/* The template rendered into out (NUL-terminated); returns its length
 * (<= NOTICE_MAX). A malformed part is copied as it stands. */
size_t notice_render(const char *template, const struct notice_vars *vars, char out[NOTICE_MAX + 1]);

/* The seconds to send in Retry-After for [maintenance] retry_after =
 * retry_after_ms (CONFIG_DURATION_AUTO: the seconds left until window_end,
 * seconds since the epoch, 0 = no window end known) at wall time now.
 * 0 = send no Retry-After. A fixed duration is rounded up to whole seconds. */
unsigned notice_retry_after(uint64_t retry_after_ms, int64_t window_end, int64_t now);

#endif
