/*
 * proxy/server.h: the process-wide state of the daemon: the current running
 * configuration (by reference), the maintenance policy and the job table
 * (which outlive connections), the listeners, the list of tenant connections
 * with their per-address counts, the counters, and the timers that drive the
 * policy and the session ticket keys. The main thread runs its event loop;
 * tenant connections run in the workers (worker.h): on the main loop with
 * [proxy] workers = 1, in threads of their own with more.
 */
#ifndef SLUICE_SERVER_H
#define SLUICE_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <ev.h>

#include "config.h"
#include "conn/conn.h"
#include "conn/conn_counters.h"
#include "conn/conn_memory.h"
#include "policy/keyed_hash.h" /* uthash, with a keyed hash */
#include "policy/jobs.h"
#include "options.h"
#include "policy/policy.h"
#include "profile.h"
#include "reload.h"
#include "schedule_timer.h"
#include "policy/request_stats.h"
#include "net/runconf.h"
#include "signals.h"
#include "net/tls.h"
#include "net/upstream_pool.h"

#define SERVER_TICK_SECONDS 1.0 /* policy_tick and job expiry */
#define SERVER_PATH_MAX 4096
#define SERVER_CHANGES_PENDING 8 /* policy changes from workers not yet logged */

struct hooks;
struct state_store;
struct listener;
struct worker;

/* The latest reload, by SIGHUP or POST /reload (status endpoint). */
struct server_reload_log {
	bool happened;
	bool ok;
	time_t at;
	uint64_t generation; /* in force after it */
	char error[1024];    /* failed: "FILE:LINE: ..." */
};

/* Open connections counted toward one tenant name ([limits] tenant_connections). */
struct server_tenant_slot {
	char name[TSP_TENANT_MAX + 1];
	size_t count;
	UT_hash_handle hh;
};

/* Open connections from one client address. */
struct server_peer {
	unsigned char key[17]; /* family byte + address bytes */
	size_t count;
	UT_hash_handle hh;
};

struct server {
	struct ev_loop *loop;
	struct runconf *conf; /* current; connections hold their own references */
	struct policy *policy;
	struct jobs *jobs;
	const struct profile *profile; /* [proxy] profile, fixed at start */
	struct tls_ticket_keys *ticket_keys;
	struct listener *listeners;
	size_t listener_count;
	/* Shared with the workers, under lock (worker.h): the policy, the job
	 * table, request_stats, and from here to tenant_slots. */
	pthread_mutex_t lock;
	size_t conn_count;     /* every open tenant connection */
	size_t overflow_count; /* of those, accepted over a limit to be answered 503 busy */
	/* connections holding a request ([maintenance] mode = hold), first held
	 * first (server_conns.c) */
	TAILQ_HEAD(, conn_host_slot) holds;
	size_t held_count;
	uint64_t hold_round; /* the latest release of held requests (server_conns.c) */
	struct server_peer *peers;
	struct server_tenant_slot *tenant_slots; /* by tenant name; bounded by connections */
	struct server_counters counters;         /* the main thread's (each worker has its own) */
	struct request_stats request_stats;      /* durations; per tenant with [admin] tenant_metrics */
	struct worker *workers;                  /* [proxy] workers */
	size_t worker_count;
	ev_async worker_news; /* a worker's request moved the policy, or a worker exited */
	/* what workers' ticks reported, for the main thread to log and act on
	 * (under lock) */
	struct policy_change changes[SERVER_CHANGES_PENDING];
	size_t changes_pending;
	bool heap_trim_wanted; /* a worker freed spares: malloc_trim on the next tick (atomic) */
	ev_timer tick;
	ev_timer ticket_rotation;
	ev_timer certificate_check; /* daily: is the served certificate expiring? */
	ev_timer shutdown_deadline;
	ev_timer accept_backoff;        /* listeners paused after EMFILE/ENFILE */
	struct schedule_timer schedule; /* [schedule] windows: armed at the next boundary */
	bool accept_starved;            /* in an episode of those: since when, failures in it */
	double starved_since;
	uint64_t starved_failures;
	struct signal_watchers signals;
	bool stopping;
	struct admin *admin;             /* the admin endpoint; NULL when none is configured */
	struct hooks *hooks;             /* [hooks]: commands run on maintenance events (hooks.h) */
	struct state_store *state_store; /* [proxy] state_file (state_store.h); NULL = none */
	double started_at;               /* server_clock() at start-up */
	time_t loaded_at;                /* when the running configuration was loaded */
	struct server_reload_log last_reload;
	struct reload_queue reloads;       /* SIGHUP and POST /reload, coalesced (reload.h) */
	char config_path[SERVER_PATH_MAX]; /* absolute: reload works after chdir("/") */
	char ready_file[SERVER_PATH_MAX];  /* absolute; "" = none */
	char pidfile[SERVER_PATH_MAX];     /* written at start ("" = none); removed at exit */
};

/* Run the daemon on a loaded configuration (owned from here on) until it is
 * stopped. Returns the process exit status. */
int server_run(struct sluice_config *cfg, const struct options *options);

/* Apply the maintenance settings again at a [schedule] window boundary. */
void server_apply_schedule(struct server *s);

/* Seconds on a monotonic clock: the clock of the policy and the job table. */
double server_clock(void);
/* The wall-clock time of a server_clock() moment. */
time_t server_wall_time(double mono);
/* Wall-clock seconds minus server_clock() seconds, read once per process:
 * server_wall_time(mono) is floor(mono + this). */
double server_wall_offset(void);

/* policy_tick() now, and log what it reports. */
void server_policy_tick(struct server *s);
/* From a worker's thread, after a request settled: policy_tick() under the
 * lock; a change is logged and acted on by the main thread, soon. */
void server_tick_from_worker(struct server *s);
/* From a worker's thread: its loop has ended. */
void server_worker_exited(struct server *s);
/* The main thread holds server.lock while its loop runs callbacks (worker.h);
 * a callback that touches nothing shared may let go of it meanwhile and
 * take it back before it returns. Nothing with one worker. */
void server_shared_release(struct server *s);
void server_shared_acquire(struct server *s);
/* A [schedule] window running now or announced (conn_context.planned). */
bool server_planned(struct server *s, int64_t *start, int64_t *end);

/* Admission of a new tenant connection. Each admitted one may hold two
 * descriptors (its socket and its repository connection), so the cap is
 * [proxy] max_connections or, when RLIMIT_NOFILE is smaller, what that limit
 * leaves after the descriptors the process holds anyway
 * (counters.descriptors.connections_allowed, set by server_apply()). */
enum server_admission {
	SERVER_ADMIT, /* serve it */
	SERVER_BUSY,  /* over a limit: answer 503 busy, then close */
	SERVER_REFUSE /* far over: close at once */
};
enum server_admission server_admit(struct server *s, const struct sockaddr *peer);
/* Tenant TLS handshakes completed since start-up. */
uint64_t server_tls_handshakes(const struct server *s);

/* TERM/INT: stop accepting, let connections finish up to [timeouts] shutdown. */
void server_stop(struct server *s);

/* Apply a freshly built configuration's process-wide parts (policy,
 * job-table limits, log, timers). Used at start and by reload. */
bool server_apply(struct server *s, struct runconf *rc, char *err, size_t err_size);

#endif
