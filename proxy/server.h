/*
 * proxy/server.h: the process-wide state of the daemon: the current running
 * configuration (by reference), the maintenance policy and the job table
 * (which outlive connections), the listeners, the list of tenant connections
 * with their per-address counts, the counters, and the timers that drive the
 * policy and the session ticket keys. One event loop, one thread.
 */
#ifndef SLUICE_SERVER_H
#define SLUICE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <ev.h>

#include "config.h"
#include "conn/conn_memory.h"
#include "policy/keyed_hash.h" /* uthash, with a keyed hash */
#include "policy/jobs.h"
#include "options.h"
#include "policy/policy.h"
#include "profile.h"
#include "reload.h"
#include "policy/request_stats.h"
#include "net/runconf.h"
#include "signals.h"
#include "net/tls.h"
#include "net/upstream_pool.h"

#define SERVER_TICK_SECONDS 1.0   /* policy_tick and job expiry */
#define SERVER_PATH_MAX 4096

struct conn;
struct listener;

/* What became of a classified message, per category (sluice_messages_total). */
enum server_decision {
	SERVER_FORWARDED = 0,
	SERVER_REFUSED_MAINTENANCE,
	SERVER_REFUSED_DISABLED,
	SERVER_REFUSED_BUSY,
	SERVER_HELLO_NOTICE,
	SERVER_ANSWERED_ERROR,      /* the proxy's other answers (4xx, 502, 504) */
	SERVER_DECISION_COUNT
};

/* The open-file budget and what running short of descriptors did. */
struct server_descriptors {
	unsigned long limit;            /* RLIMIT_NOFILE (soft) when last read; ULONG_MAX = none */
	size_t connections_allowed;     /* the effective cap: max_connections or what limit leaves */
	bool capped;                    /* connections_allowed < [proxy] max_connections */
	uint64_t accept_failures;       /* accepts failed for want of a descriptor (EMFILE, ENFILE...) */
	uint64_t exhaustions;           /* episodes of those: a run of failures, logged once */
};

/* For the status endpoint, the metrics and the log. */
struct server_counters {
	uint64_t connections;           /* accepted */
	uint64_t connections_refused;   /* over max_connections or the per-address cap */
	uint64_t handshake_failures;
	uint64_t requests;              /* request heads framed */
	uint64_t forwarded;
	uint64_t refused_maintenance;
	uint64_t refused_disabled;
	uint64_t refused_busy;
	uint64_t hello_notices;
	uint64_t errors;                /* other answers of the proxy (4xx, 502, 504) */
	uint64_t bytes_in;              /* from tenants */
	uint64_t bytes_out;             /* to tenants */
	uint64_t reloads;
	uint64_t reload_failures;
	uint64_t tls_handshakes_retired; /* completed on tenant TLS contexts a reload replaced */
	struct upstream_pool_stats upstream; /* repository connections: connects, reuses, idle */
	uint64_t messages[TSP_CAT_COUNT][SERVER_DECISION_COUNT]; /* counted when settled */
	uint64_t sessions_ended[POLICY_SESSION_VERDICTS]; /* restic sessions closed by their last lock */
	uint64_t sessions_expired;      /* restic sessions dropped after [restic] session_idle */
	uint64_t sessions_untracked;    /* accepted lock creates the job table had no room for */
	struct server_descriptors descriptors;
	uint64_t upstream_errors_502;   /* requests answered 502 (or cut) for the repository's failure */
	uint64_t upstream_errors_504;   /* ... 504: it did not answer in time */
};

/* The latest reload, by SIGHUP or POST /reload (status endpoint). */
struct server_reload_log {
	bool happened;
	bool ok;
	time_t at;
	uint64_t generation;            /* in force after it */
	char error[1024];               /* failed: "FILE:LINE: ..." */
};

/* Open connections counted toward one tenant name ([limits] tenant_connections). */
struct server_tenant_slot {
	char name[TSP_TENANT_MAX + 1];
	size_t count;
	UT_hash_handle hh;
};

/* Open connections from one client address. */
struct server_peer {
	unsigned char key[17];          /* family byte + address bytes */
	size_t count;
	UT_hash_handle hh;
};

struct server {
	struct ev_loop *loop;
	struct runconf *conf;           /* current; connections hold their own references */
	struct policy *policy;
	struct jobs *jobs;
	const struct profile *profile;  /* [proxy] profile, fixed at start */
	struct tls_ticket_keys *ticket_keys;
	struct listener *listeners;
	size_t listener_count;
	struct upstream_pool upool;     /* idle repository connections kept for reuse */
	LIST_HEAD(, conn) conns;        /* every open tenant connection, newest first */
	size_t conn_count;
	size_t overflow_count;          /* of those, accepted over a limit to be answered 503 busy */
	struct server_peer *peers;
	struct server_tenant_slot *tenant_slots; /* by tenant name; bounded by connections */
	struct server_counters counters;
	struct request_stats request_stats; /* durations; per tenant with [admin] tenant_metrics */
	struct conn_spares spares;      /* rings and framers between requests */
	ev_timer tick;
	ev_timer ticket_rotation;
	ev_timer certificate_check;     /* daily: is the served certificate expiring? */
	ev_timer shutdown_deadline;
	ev_timer accept_backoff;        /* listeners paused after EMFILE/ENFILE */
	bool accept_starved;            /* in an episode of those: since when, failures in it */
	double starved_since;
	uint64_t starved_failures;
	struct signal_watchers signals;
	bool stopping;
	struct admin *admin;            /* the admin endpoint; NULL when none is configured */
	double started_at;              /* server_clock() at start-up */
	time_t loaded_at;               /* when the running configuration was loaded */
	struct server_reload_log last_reload;
	struct reload_queue reloads;    /* SIGHUP and POST /reload, coalesced (reload.h) */
	char config_path[SERVER_PATH_MAX]; /* absolute: reload works after chdir("/") */
	char ready_file[SERVER_PATH_MAX];  /* absolute; "" = none */
	char pidfile[SERVER_PATH_MAX];     /* written at start ("" = none); removed at exit */
};

/* Run the daemon on a loaded configuration (owned from here on) until it is
 * stopped. Returns the process exit status. */
int server_run(struct sluice_config *cfg, const struct options *options);

/* Seconds on a monotonic clock: the clock of the policy and the job table. */
double server_clock(void);
/* The wall-clock time of a server_clock() moment. */
time_t server_wall_time(double mono);
/* Wall-clock seconds minus server_clock() seconds, read once per process:
 * server_wall_time(mono) is floor(mono + this). */
double server_wall_offset(void);

/* [limits] tenant_connections. A connection counts toward a tenant once the
 * repository accepted (2xx) a request of that tenant on it
 * (server_tenant_count; later calls do nothing), so connections that only
 * carry another's name with a wrong secret never count. server_tenant_admit
 * is false for a request of a connection not counted yet when the tenant
 * already holds the limit: answer 503 busy and close. Released by
 * server_conn_removed(). */
bool server_tenant_admit(const struct server *s, const struct conn *c, const char *tenant);
void server_tenant_count(struct server *s, struct conn *c, const char *tenant);

/* policy_tick() now, and log what it reports. */
void server_policy_tick(struct server *s);

/* Admission of a new tenant connection. Each admitted one may hold two
 * descriptors (its socket and its repository connection), so the cap is
 * [proxy] max_connections or, when RLIMIT_NOFILE is smaller, what that limit
 * leaves after the descriptors the process holds anyway
 * (counters.descriptors.connections_allowed, set by server_apply()). */
enum server_admission {
	SERVER_ADMIT,  /* serve it */
	SERVER_BUSY,   /* over a limit: answer 503 busy, then close */
	SERVER_REFUSE  /* far over: close at once */
};
enum server_admission server_admit(struct server *s, const struct sockaddr *peer);
/* Link a new connection (its busy flag set) and count it for its address. */
void server_conn_added(struct server *s, struct conn *c, const struct sockaddr *peer);
void server_conn_removed(struct server *s, struct conn *c);

/* Count a settled message under its category and the decision string it
 * carries ("forwarded", "refused maintenance", ...; NULL: an error answer). */
enum server_decision server_count_message(struct server *s, enum tsp_category category, const char *decision);
/* Tenant TLS handshakes completed since start-up. */
uint64_t server_tls_handshakes(const struct server *s);

/* TERM/INT: stop accepting, let connections finish up to [timeouts] shutdown. */
void server_stop(struct server *s);

/* Apply a freshly built configuration's process-wide parts (policy,
 * job-table limits, log, timers). Used at start and by reload. */
bool server_apply(struct server *s, struct runconf *rc, char *err, size_t err_size);

#endif
