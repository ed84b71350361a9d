/*
 * proxy/server_conns.c: the host's side of the connection context
 * (conn/conn_context.h): each worker's list of tenant connections, the
 * server's counts per client address and per tenant and its held requests
 * (shared by the workers, under server.lock: worker.h), and the callbacks
 * the connection engine calls (see server_conns.h).
 */
#include "autoconfig.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn/conn.h"
#include "server.h"
#include "server_conns.h"
#include "worker.h"

static void peer_key(const struct sockaddr *sa, unsigned char key[17])
{
	memset(key, 0, 17);
	if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			key[0] = 4;
			memcpy(key + 1, a->s6_addr + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a->s6_addr, 16);
		}
	} else {
		key[0] = 1; /* UNIX peers share one count */
	}
}

bool server_address_full(const struct server *s, const struct sockaddr *peer, size_t per_address)
{
	struct server_peer *slot = NULL;
	unsigned char key[17];

	peer_key(peer, key);
	HASH_FIND(hh, s->peers, key, sizeof key, slot);
	return slot != NULL && slot->count >= per_address;
}

static struct worker *worker_of(const struct conn_context *ctx)
{
	return ctx->host;
}

static void context_lock(const struct conn_context *ctx)
{
	worker_lock(worker_of(ctx));
}

static void context_unlock(const struct conn_context *ctx)
{
	worker_unlock(worker_of(ctx));
}

static double context_now(const struct conn_context *ctx)
{
	(void)ctx;
	return server_clock();
}

static time_t context_wall_time(const struct conn_context *ctx, double mono)
{
	(void)ctx;
	return server_wall_time(mono);
}

/* ---- admission: counted under the lock when decided (worker.c) ---- */

/* One more connection for the address of key (slot: its entry, NULL when
 * it has none yet); NULL when memory is short (the address goes uncounted). */
static struct server_peer *peer_count(struct server *s, struct server_peer *slot, const unsigned char key[17])
{
	if (slot == NULL && (slot = calloc(1, sizeof *slot)) != NULL) {
		memcpy(slot->key, key, sizeof slot->key);
		HASH_ADD(hh, s->peers, key, sizeof slot->key, slot);
	}
	if (slot != NULL)
		slot->count++;
	return slot;
}

void *server_reserve(struct server *s, const struct sockaddr *peer, bool busy)
{
	struct server_peer *slot;
	unsigned char key[17];

	s->conn_count++;
	if (busy)
		s->overflow_count++;
	peer_key(peer, key);
	HASH_FIND(hh, s->peers, key, sizeof key, slot);
	return peer_count(s, slot, key);
}

void server_unreserve(struct server *s, void *address_count, bool busy)
{
	struct server_peer *slot = address_count;

	s->conn_count--;
	if (busy)
		s->overflow_count--;
	if (slot != NULL && --slot->count == 0) {
		HASH_DEL(s->peers, slot);
		free(slot);
	}
}

/* Link a new connection; its counts were taken when it was admitted. */
static void conn_added(struct conn_context *ctx, struct conn *c, const struct sockaddr *peer)
{
	struct worker *w = worker_of(ctx);
	struct conn_host_slot *h = conn_host_slot(c);

	(void)peer;
	LIST_INSERT_HEAD(&w->conns, h, link);
	COUNTER_SET(w->conn_count, w->conn_count + 1);
	h->owner = w;
	h->address_count = w->admitted ? w->admitted_address : NULL;
	h->reserved = w->admitted;
	w->admitted = false;
}

/* [proxy] proxy_protocol: c's PROXY header names the tenant's address,
 * which takes over c's per-address count from the balancer's; false when
 * that address already holds [limits] connections_per_address. */
static bool peer_changed(struct conn_context *ctx, struct conn *c, const struct sockaddr *peer)
{
	struct server *s = worker_of(ctx)->server;
	struct conn_host_slot *h = conn_host_slot(c);
	size_t per_address = (size_t)ctx->conf->cfg->limits.connections_per_address;
	struct server_peer *slot, *old = h->address_count;
	unsigned char key[17];
	bool room;

	if (!h->reserved)
		return true;
	peer_key(peer, key);
	context_lock(ctx);
	HASH_FIND(hh, s->peers, key, sizeof key, slot);
	room = slot == old || per_address == 0 || slot == NULL || slot->count < per_address;
	if (room && slot != old) {
		slot = peer_count(s, slot, key);
		if (old != NULL && --old->count == 0) {
			HASH_DEL(s->peers, old);
			free(old);
		}
		h->address_count = slot;
	}
	context_unlock(ctx);
	return room;
}

/* [limits] tenant_connections. A connection counts toward a tenant once the
 * repository accepted (2xx) a request of that tenant on it (tenant_accepted;
 * later calls do nothing), so connections that only carry another's name
 * with a wrong secret never count. tenant_admit is false for a request of a
 * connection not counted yet when the tenant already holds the limit: answer
 * 503 busy and close. Released by conn_removed(). */
static bool tenant_admit(const struct conn_context *ctx, struct conn *c, const char *tenant, int limit)
{
	const struct server *s = worker_of(ctx)->server;
	struct server_tenant_slot *slot;
	bool room;

	if (conn_host_slot(c)->tenant_count != NULL || limit <= 0)
		return true;
	context_lock(ctx);
	HASH_FIND_STR(s->tenant_slots, tenant, slot);
	room = slot == NULL || slot->count < (size_t)limit;
	context_unlock(ctx);
	return room;
}

static void tenant_count(struct server *s, struct conn_host_slot *h, const char *tenant)
{
	struct server_tenant_slot *slot;

	HASH_FIND_STR(s->tenant_slots, tenant, slot);
	if (slot == NULL) {
		slot = calloc(1, sizeof *slot);
		if (slot == NULL)
			return; /* memory short: not counted rather than refused */
		snprintf(slot->name, sizeof slot->name, "%s", tenant);
		HASH_ADD_STR(s->tenant_slots, name, slot);
	}
	slot->count++;
	h->tenant_count = slot;
}

static void tenant_accepted(struct conn_context *ctx, struct conn *c, const char *tenant)
{
	struct conn_host_slot *h = conn_host_slot(c);

	if (h->tenant_count != NULL)
		return;
	context_lock(ctx);
	tenant_count(worker_of(ctx)->server, h, tenant);
	context_unlock(ctx);
}

static void tenant_release(struct server *s, struct conn_host_slot *h)
{
	struct server_tenant_slot *slot = h->tenant_count;

	h->tenant_count = NULL;
	if (slot != NULL && --slot->count == 0) {
		HASH_DEL(s->tenant_slots, slot);
		free(slot);
	}
}

static void conn_removed(struct conn_context *ctx, struct conn *c)
{
	struct worker *w = worker_of(ctx);
	struct conn_host_slot *h = conn_host_slot(c);

	context_lock(ctx);
	tenant_release(w->server, h);
	if (h->reserved)
		server_unreserve(w->server, h->address_count, h->busy);
	context_unlock(ctx);
	LIST_REMOVE(h, link);
	COUNTER_SET(w->conn_count, w->conn_count - 1);
	if (w->stopping && w->conn_count == 0)
		worker_stopped(w);
}

/* ---- [maintenance] mode = hold: the held requests, first held first ----
 *
 * One list for the server, so that [limits] held_requests and a tenant's
 * half of it hold across workers, and the first held is the first decided
 * again. A release round (server_wake_held) goes through the list from its
 * head, under the lock: the worker that owns the head releases it (only its
 * thread may touch the connection), then the next, until the head belongs to
 * another worker, which it wakes to go on. Entries held again in this round
 * (maintenance came back) went to the tail with the round's number and end
 * it. */

static size_t tenant_held(const struct server *s, const char *tenant)
{
	const struct conn_host_slot *h;
	size_t n = 0;

	TAILQ_FOREACH(h, &s->holds, hold_link)
		if (strcmp(h->held_tenant, tenant) == 0)
			n++;
	return n;
}

/* [limits] held_requests, and one tenant at most half of it (rounded up):
 * O(held) per new hold, which that bound keeps small. */
static bool conn_hold(struct conn_context *ctx, struct conn *c, const char *tenant)
{
	struct server *s = worker_of(ctx)->server;
	struct conn_host_slot *h = conn_host_slot(c);
	size_t limit = (size_t)ctx->conf->cfg->limits.held_requests;
	bool room;

	if (h->held)
		return true;
	context_lock(ctx);
	room = s->held_count < limit && tenant_held(s, tenant) < (limit + 1) / 2;
	if (room) {
		TAILQ_INSERT_TAIL(&s->holds, h, hold_link);
		h->hold_round = s->hold_round;
		h->held = true;
		h->held_tenant = tenant;
		s->held_count++;
	}
	context_unlock(ctx);
	return room;
}

static void conn_unhold(struct conn_context *ctx, struct conn *c)
{
	struct server *s = worker_of(ctx)->server;
	struct conn_host_slot *h = conn_host_slot(c);

	if (!h->held)
		return;
	context_lock(ctx);
	TAILQ_REMOVE(&s->holds, h, hold_link);
	h->held = false;
	h->held_tenant = NULL;
	s->held_count--;
	context_unlock(ctx);
}

static void on_hold_wake(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = t->data;
	struct server *s = w->server;
	struct conn_host_slot *h;

	(void)loop;
	(void)revents;
	worker_lock(w);
	while ((h = TAILQ_FIRST(&s->holds)) != NULL && h->hold_round < s->hold_round) {
		if (h->owner != w) {
			workers_wake_held_one(h->owner);
			break;
		}
		conn_unhold(&w->ctx, h->conn);
		conn_release(h->conn); /* may free it; may hold it again, at the tail */
	}
	worker_unlock(w);
}

void worker_wake_held(struct worker *w)
{
	if (!ev_is_active(&w->hold_wake)) {
		ev_timer_set(&w->hold_wake, 0, 0);
		ev_timer_start(w->loop, &w->hold_wake);
	}
}

void server_wake_held(struct server *s)
{
	struct conn_host_slot *h = TAILQ_FIRST(&s->holds);

	if (h == NULL)
		return;
	s->hold_round++;
	workers_wake_held_one(h->owner);
}

static void after_settle(struct conn_context *ctx)
{
	struct worker *w = worker_of(ctx);

	if (w->threaded)
		server_tick_from_worker(w->server);
	else
		server_policy_tick(w->server);
}

static bool context_planned(const struct conn_context *ctx, int64_t *start, int64_t *end)
{
	bool planned;

	context_lock(ctx);
	planned = server_planned(worker_of(ctx)->server, start, end);
	context_unlock(ctx);
	return planned;
}

void worker_context_init(struct worker *w)
{
	struct server *s = w->server;

	w->ctx = (struct conn_context){
		.loop = w->loop,
		.counters = &w->counters,
		.spares = &w->spares,
		.upool = &w->upool,
		.policy = s->policy,
		.jobs = s->jobs,
		.request_stats = &s->request_stats,
		.profile = s->profile,
		.host = w,
		.lock = context_lock,
		.unlock = context_unlock,
		.now = context_now,
		.wall_time = context_wall_time,
		.conn_added = conn_added,
		.conn_removed = conn_removed,
		.peer_changed = peer_changed,
		.tenant_admit = tenant_admit,
		.tenant_accepted = tenant_accepted,
		.after_settle = after_settle,
		.planned = context_planned,
		.hold = conn_hold,
		.unhold = conn_unhold,
	};
	ev_init(&w->hold_wake, on_hold_wake);
	w->hold_wake.data = w;
}
