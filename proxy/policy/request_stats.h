/*
 * proxy/policy/request_stats.h: what GET /metrics reports of requests beyond the
 * decision counters: how long they took (a histogram) and, opt-in, each
 * tenant's refusals and bytes ([admin] tenant_metrics).
 *
 * A tenant name is what a request claims until the repository accepts one of
 * its requests, so a tenant gets series of its own only after its first 2xx
 * and while there is room: a client inventing names cannot push real tenants
 * out. Everything else is summed under REQUEST_STATS_OTHER. Pure: no I/O.
 */
#ifndef SLUICE_REQUEST_STATS_H
#define SLUICE_REQUEST_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "policy/keyed_hash.h" /* uthash, with a keyed hash: tenant names are chosen by clients */

#include "tsp.h"

#define REQUEST_STATS_BUCKETS 14     /* upper bounds; +Inf is the count */
#define REQUEST_STATS_OTHER "_other" /* the label of the tenants without series of their own */

/* The upper bounds of the histogram's buckets, in seconds, ascending. */
extern const double request_stats_bounds[REQUEST_STATS_BUCKETS];

enum request_stats_refusal {
	REQUEST_REFUSED_MAINTENANCE,
	REQUEST_REFUSED_DISABLED,
	REQUEST_REFUSED_BUSY,
	REQUEST_REFUSAL_KINDS,
	REQUEST_NOT_REFUSED = REQUEST_REFUSAL_KINDS
};

struct request_stats_tenant {
	char name[TSP_TENANT_MAX + 1];
	uint64_t refused[REQUEST_REFUSAL_KINDS];
	uint64_t bytes_in;  /* request bytes from the tenant */
	uint64_t bytes_out; /* answer bytes to it */
	UT_hash_handle hh;
};

struct request_stats {
	uint64_t in_bucket[REQUEST_STATS_BUCKETS]; /* not cumulative: the writer sums */
	uint64_t count;
	double sum;                           /* seconds */
	struct request_stats_tenant *tenants; /* uthash by name */
	size_t tenant_count;
	size_t tenant_max;                 /* [admin] tenant_metrics; 0 = no per-tenant series */
	struct request_stats_tenant other; /* named REQUEST_STATS_OTHER by request_stats_set_limit() */
};

/* One finished request that took seconds. */
void request_stats_observe(struct request_stats *st, double seconds);

/* The repository accepted a request of tenant: give it series of its own if
 * it has none and there is room. */
void request_stats_admit(struct request_stats *st, const char *tenant);

/* Count a request of tenant: refused as said (or REQUEST_NOT_REFUSED) and
 * its bytes, under its own series or REQUEST_STATS_OTHER. Nothing while
 * tenant_max is 0. */
void request_stats_count(struct request_stats *st, const char *tenant, enum request_stats_refusal refusal,
			 uint64_t bytes_in, uint64_t bytes_out);

/* A new [admin] tenant_metrics. 0 forgets every tenant; a smaller bound keeps
 * the tenants that have series (no counter goes backwards) but admits no
 * more until there is room. */
void request_stats_set_limit(struct request_stats *st, size_t tenant_max);

void request_stats_free(struct request_stats *st);

/* "maintenance", "disabled", "busy": the reason label. */
const char *request_stats_refusal_name(enum request_stats_refusal refusal);

#endif
