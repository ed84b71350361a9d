/*
 * tools/ctl/ctl_status.h: GET /status from the admin endpoint, and the readable
 * summary of it.
 *
 * The members sluicectl reads (the rest of the answer is shown only by
 * `status --json`); a member that is absent is left out of the summary:
 *
 *   version, pid, uptime_seconds
 *   config.file, config.generation, config.loaded_at
 *   reloads.ok, reloads.failed,
 *   reloads.last.result ("ok" | "failed"), reloads.last.at, reloads.last.error,
 *   reloads.last.generation
 *   maintenance.state ("active" | "draining" | "maintenance"), maintenance.mode,
 *   maintenance.since, maintenance.categories[], maintenance.message,
 *   maintenance.drain_time_left_seconds (null when unbounded),
 *   maintenance.draining.tasks, maintenance.draining.agent_jobs,
 *   maintenance.draining.tenants[].tenant, .tasks, .agent_jobs
 *   connections.current, connections.max
 *   jobs_open.CATEGORY (every member)
 */
#ifndef SLUICE_CTL_STATUS_H
#define SLUICE_CTL_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl_admin_client.h"
#include "ctl_daemon.h"
#include "protocol/json.h"

/* GET /status: a 200 answer holding a JSON object, as doc (a span of
 * reply->body; admin_reply_free() the reply). Any other answer is
 * ADMIN_FAILED with err naming what came back. */
enum admin_result status_fetch(const struct ctl_daemon *daemon, uint64_t timeout_ms,
			       struct admin_reply *reply, struct json_span *doc, struct ctl_error *err);

/* What a drain barrier needs. */
struct status_drain {
	char state[16];      /* "active", "draining", "maintenance" */
	uint64_t tasks;      /* maintenance.draining.tasks */
	uint64_t agent_jobs; /* maintenance.draining.agent_jobs */
	bool sessions;       /* maintenance.draining.sessions is there (restic profile):
			      * agent_jobs counts restic sessions */
};

/* False when the answer has no maintenance.state. */
bool status_drain(struct json_span doc, struct status_drain *out);

/* "3 tasks, 1 agent job", or "1 session" for the restic profile */
/* "2d 3h", "5h 12m", "3m 20s", "45s": two units at most (shared by status
 * and plan). */
#define STATUS_DURATION_TEXT 48
void status_format_duration(uint64_t seconds, char *out, size_t size);

void status_print_counts(FILE *out, const struct status_drain *drain);

/* "maintenance: on, draining, mode drain, since ...; categories ...", then the
 * message and the draining counts (and with tenants, one line per tenant
 * still draining). */
void status_print_maintenance(FILE *out, struct json_span doc, bool tenants);

/* The whole summary. */
void status_print(FILE *out, struct json_span doc);

/* s with every control character shown as '?': text from the daemon never
 * drives the terminal. */
void status_put_text(FILE *out, const char *s);

#endif
