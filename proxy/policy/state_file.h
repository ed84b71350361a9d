/*
 * proxy/policy/state_file.h: the maintenance policy's state and the job
 * table as text, and back ([proxy] state_file), so that a restart in the
 * middle of a drain loses nothing: a task open at T still finishes after it,
 * and the barrier still counts it. Pure: a buffer in, a buffer out; no I/O,
 * no clock (the times are passed in). The process side is proxy/state_store.c.
 *
 * The format, one record a line, fields separated by one space, strings
 * percent-encoded (a byte outside [A-Za-z0-9._~/:@+=,-] as %XX; "" as "-"):
 *
 *     sluice-state 1 PROFILE WRITTEN
 *     policy STATE MODE CATEGORIES DRAIN_TIMEOUT REFUSE_REFRESH SINCE DRAINED_AT GENERATION CUT_TASKS CUT_JOBS
 *     scope TENANT                     ([maintenance] tenants as applied, one a line)
 *     exempt TENANT                    ([maintenance] exempt)
 *     session REPOSITORY CLIENT WRITES BYTES REFUSED SNAPSHOT REFUSAL_SEEN CONFIG_READ
 *     job TENANT CATEGORY ID ORIGIN WORKLOAD OPERATION LEARNED DRAINING OPENED LAST DONE_TASKS DONE_BYTES
 *     task TENANT CATEGORY JOB ID LEARNED DRAINING OPENED LAST LAST_WRITE BYTES WRITES
 *     end RECORDS CHECKSUM
 *
 * Times are wall-clock seconds with fractions (0 = none), converted from
 * and to the caller's clock by an offset the caller passes (wall - clock).
 * A session line belongs to the job line right after it. Jobs come in
 * order of last activity, then tasks in theirs. RECORDS counts the lines
 * between the first and the last; CHECKSUM is the FNV-1a 64 of every byte
 * before the last line, in 16 hex digits: a truncated, edited or foreign
 * file is rejected as a whole. Only confirmed entries are written (an
 * unconfirmed one belongs to a request in flight, which a restart ends
 * without an answer: it would be undone).
 */
#ifndef SLUICE_STATE_FILE_H
#define SLUICE_STATE_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/jobs.h"
#include "policy/policy.h"

#define STATE_FILE_MAGIC "sluice-state"
#define STATE_FILE_VERSION 1
#define STATE_FILE_LINE_MAX 2048 /* longer than any valid record */

/* The text of the policy's state and the job table at time now (the
 * caller's clock; now + wall_offset is written as the time of writing).
 * *out is malloc'd, NUL-terminated, *out_len bytes; false when memory is
 * short. */
bool state_file_write(const struct policy *policy, const struct jobs *jobs, const char *profile, double now,
		      double wall_offset, char **out, size_t *out_len);

/* A file read back, not yet in force. */
struct state_file_load {
	double written_at;               /* wall-clock seconds */
	size_t records;                  /* lines between the first and the last */
	struct policy_settings settings; /* as applied when written; enabled off; the
					  * tenant lists point into the arrays below */
	struct policy_saved saved;       /* the state, on the caller's clock */
	struct jobs *jobs;               /* a fresh table holding every saved entry */
	char **scope;                    /* owned: settings.scope_tenants */
	char **exempt;                   /* owned: settings.exempt_tenants */
};

/* Parse a whole file for the running profile, into a fresh table bound by
 * limits (a file holding more than they allow is rejected). All or nothing:
 * true with *out filled (release it with state_file_load_free, or hand it
 * over with state_file_adopt), or false with why set ("line 7: ...") and
 * nothing allocated. */
bool state_file_parse(const char *data, size_t len, const char *profile, const struct jobs_limits *limits,
		      double wall_offset, struct state_file_load *out, char *why, size_t why_size);
void state_file_load_free(struct state_file_load *load);

/* Put a parsed file in force: the saved settings, state and T into policy
 * (fresh from policy_new(): false with *error otherwise), and the restored
 * table in place of *jobs (the old one is freed). Apply the configured
 * settings afterwards, as on any start. load is emptied either way. */
bool state_file_adopt(struct state_file_load *load, struct policy *policy, struct jobs **jobs,
		      const char **error);

/* FNV-1a 64 (the checksum of the format). */
uint64_t state_file_fnv1a(const void *data, size_t len);

#endif
