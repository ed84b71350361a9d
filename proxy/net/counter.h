/*
 * proxy/net/counter.h: how the counters of the status endpoint and the
 * metrics are moved and read.
 *
 * With [proxy] workers above 1 every worker thread owns one set of counters
 * (struct server_counters, struct upstream_pool_stats) and is the only one
 * that writes it; the main thread sums all sets for /status and /metrics.
 * A relaxed atomic load and store (never a read-modify-write: one writer)
 * makes that sum free of data races at the cost of nothing: on x86-64 and
 * arm64 both compile to plain moves. Types only; no function.
 */
#ifndef SLUICE_COUNTER_H
#define SLUICE_COUNTER_H

/* field += n, by its one writer */
#define COUNTER_ADD(field, n) \
	__atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (n), __ATOMIC_RELAXED)
#define COUNTER_INC(field) COUNTER_ADD(field, 1)
/* a gauge, by its one writer */
#define COUNTER_SET(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
/* any thread */
#define COUNTER_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

#endif
