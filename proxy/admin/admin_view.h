/*
 * proxy/admin/admin_view.h: what the admin endpoint reports, gathered in one place
 * by the shell (admin.c), and the pure writers that turn it into the answers
 * of GET /status (admin_status.c, JSON) and GET /metrics (metrics.c,
 * Prometheus text format 0.0.4). The writers read the view, the policy and
 * the job table and nothing else: no clock, no I/O, so the unit tests build
 * a view by hand.
 */
#ifndef SLUICE_ADMIN_VIEW_H
#define SLUICE_ADMIN_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "policy/jobs.h"
#include "policy/policy.h"
#include "server.h"
#include "admin/textbuf.h"

#define ADMIN_WORKERS_MAX 64 /* [proxy] workers at most (worker.h) */

/* One worker's share of the traffic. */
struct admin_worker_view {
	size_t connections; /* open now */
	uint64_t accepted;  /* since start-up */
};

struct admin_view {
	const char *version;
	long pid;
	double now;              /* server_clock() */
	double wall_offset;      /* server_wall_offset(): the log's mapping to wall time */
	double started_at;       /* server_clock() at start-up */
	const char *config_file; /* absolute */
	uint64_t generation;     /* the running configuration's serial */
	time_t loaded_at;
	const struct server_reload_log *last_reload; /* happened == false: none yet */
	const struct sluice_config *cfg;             /* the running configuration */
	unsigned retry_after;                        /* seconds; 0 = none */
	const struct policy *policy;
	const struct jobs *jobs;
	const struct server_counters *counters;
	struct server_counters counters_summed; /* the main thread's and every worker's */
	const struct request_stats *request_stats;
	uint64_t tls_handshakes;
	size_t connections;
	size_t held;         /* requests held now ([maintenance] mode = hold) */
	size_t worker_count; /* [proxy] workers */
	struct admin_worker_view workers[ADMIN_WORKERS_MAX];
	bool sessions;                         /* the profile's jobs are sessions (restic) */
	bool certificate;                      /* a certificate is served ([tls] enabled = on) */
	int64_t certificate_not_after;         /* its notAfter, seconds since the epoch */
	const struct schedule_timer *schedule; /* [schedule] windows; NULL = none reported */
};

/* Sessions listed one by one in GET /status; the counts cover them all. */
#define ADMIN_SESSIONS_LISTED 1000

/* The words of maintenance.state and /health: "active" (off), "draining"
 * (on, the draining set not empty), "maintenance" (on, drained). */
const char *admin_state_word(enum policy_state state);
/* 0 active, 1 draining, 2 maintenance: sluice_maintenance_state. */
int admin_state_number(enum policy_state state);
/* The label of a decision in sluice_messages_total and the status counters. */
const char *admin_decision_label(enum server_decision decision);
/* The wall-clock time of a moment on the view's monotonic clock. */
time_t admin_view_wall(const struct admin_view *v, double mono);

/* The GET /status document (admin_status.c). */
void admin_status_json(const struct admin_view *v, struct textbuf *out);
/* The GET /metrics exposition (metrics.c). */
void metrics_text(const struct admin_view *v, struct textbuf *out);

#endif
