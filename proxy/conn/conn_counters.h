/*
 * proxy/conn/conn_counters.h: the process's counters, for the status
 * endpoint, the metrics and the log. The server owns one set; tenant
 * connections move most of them through their context (conn_context.h),
 * the listener and the reload path the rest. Types only.
 */
#ifndef SLUICE_CONN_COUNTERS_H
#define SLUICE_CONN_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/upstream_pool.h"
#include "policy/policy.h"
#include "tsp.h"

/* What became of a classified message, per category (sluice_messages_total). */
enum server_decision {
	SERVER_FORWARDED = 0,
	SERVER_REFUSED_MAINTENANCE,
	SERVER_REFUSED_DISABLED,
	SERVER_REFUSED_BUSY,
	SERVER_HELLO_NOTICE,
	SERVER_ANSWERED_ERROR, /* the proxy's other answers (4xx, 502, 504) */
	SERVER_DECISION_COUNT
};

/* The open-file budget and what running short of descriptors did. */
struct server_descriptors {
	unsigned long limit;        /* RLIMIT_NOFILE (soft) when last read; ULONG_MAX = none */
	size_t connections_allowed; /* the effective cap: max_connections or what limit leaves */
	bool capped;                /* connections_allowed < [proxy] max_connections */
	uint64_t accept_failures;   /* accepts failed for want of a descriptor (EMFILE, ENFILE...) */
	uint64_t exhaustions;       /* episodes of those: a run of failures, logged once */
};

struct server_counters {
	uint64_t connections;         /* accepted */
	uint64_t connections_refused; /* over max_connections or the per-address cap */
	uint64_t handshake_failures;
	/* [proxy] proxy_protocol: closed before TLS, the sender not in
	 * proxy_from or its header missing, malformed or late */
	uint64_t proxy_header_rejected;
	uint64_t requests; /* request heads framed */
	uint64_t forwarded;
	uint64_t refused_maintenance;
	uint64_t refused_disabled;
	uint64_t refused_busy;
	uint64_t hello_notices;
	uint64_t errors;    /* other answers of the proxy (4xx, 502, 504) */
	uint64_t bytes_in;  /* from tenants */
	uint64_t bytes_out; /* to tenants */
	uint64_t reloads;
	uint64_t reload_failures;
	uint64_t tls_handshakes_retired;     /* completed on tenant TLS contexts a reload replaced */
	struct upstream_pool_stats upstream; /* repository connections: connects, reuses, idle */
	uint64_t messages[TSP_CAT_COUNT][SERVER_DECISION_COUNT]; /* counted when settled */
	uint64_t sessions_ended[POLICY_SESSION_VERDICTS]; /* restic sessions closed by their last lock */
	uint64_t sessions_expired;   /* restic sessions dropped after [restic] session_idle */
	uint64_t sessions_untracked; /* accepted lock creates the job table had no room for */
	struct server_descriptors descriptors;
	uint64_t upstream_errors_502; /* requests answered 502 (or cut) for the repository's failure */
	uint64_t upstream_errors_504; /* ... 504: it did not answer in time */
	uint64_t held_total;          /* requests held ([maintenance] mode = hold) */
	uint64_t hold_timeouts;       /* ... refused after [maintenance] hold_timeout */
	uint64_t hold_overflows;      /* ... refused at once: over [limits] held_requests */
};

/* into += add, field by field (add may be another thread's, being
 * written): /status and /metrics of several workers. When a counter is
 * added to the struct, add it here too. */
void server_counters_sum(struct server_counters *into, const struct server_counters *add);

#endif
