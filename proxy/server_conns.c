/*
 * proxy/server_conns.c: the server's side of the connection context
 * (conn/conn_context.h): its list of tenant connections, their counts per
 * client address and per tenant, and the callbacks the connection engine
 * calls (see server_conns.h).
 */
#include "autoconfig.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn/conn.h"
#include "server.h"
#include "server_conns.h"

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

static struct server *server_of(const struct conn_context *ctx)
{
	return ctx->host;
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

/* Link a new connection (its busy flag set) and count it for its address. */
static void conn_added(struct conn_context *ctx, struct conn *c, const struct sockaddr *peer)
{
	struct server *s = server_of(ctx);
	struct conn_host_slot *h = conn_host_slot(c);
	struct server_peer *slot;
	unsigned char key[17];

	LIST_INSERT_HEAD(&s->conns, h, link);
	s->conn_count++;
	if (h->busy)
		s->overflow_count++;
	peer_key(peer, key);
	HASH_FIND(hh, s->peers, key, sizeof key, slot);
	if (slot == NULL && (slot = calloc(1, sizeof *slot)) != NULL) {
		memcpy(slot->key, key, sizeof key);
		HASH_ADD(hh, s->peers, key, sizeof slot->key, slot);
	}
	if (slot != NULL)
		slot->count++;
	h->address_count = slot;
}

/* [limits] tenant_connections. A connection counts toward a tenant once the
 * repository accepted (2xx) a request of that tenant on it (tenant_accepted;
 * later calls do nothing), so connections that only carry another's name
 * with a wrong secret never count. tenant_admit is false for a request of a
 * connection not counted yet when the tenant already holds the limit: answer
 * 503 busy and close. Released by conn_removed(). */
static bool tenant_admit(const struct conn_context *ctx, struct conn *c, const char *tenant, int limit)
{
	const struct server *s = server_of(ctx);
	struct server_tenant_slot *slot;

	if (conn_host_slot(c)->tenant_count != NULL || limit <= 0)
		return true;
	HASH_FIND_STR(s->tenant_slots, tenant, slot);
	return slot == NULL || slot->count < (size_t)limit;
}

static void tenant_accepted(struct conn_context *ctx, struct conn *c, const char *tenant)
{
	struct server *s = server_of(ctx);
	struct conn_host_slot *h = conn_host_slot(c);
	struct server_tenant_slot *slot;

	if (h->tenant_count != NULL)
		return;
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
	struct server *s = server_of(ctx);
	struct conn_host_slot *h = conn_host_slot(c);
	struct server_peer *slot = h->address_count;

	tenant_release(s, h);
	LIST_REMOVE(h, link);
	s->conn_count--;
	if (h->busy)
		s->overflow_count--;
	if (slot != NULL && --slot->count == 0) {
		HASH_DEL(s->peers, slot);
		free(slot);
	}
	if (s->stopping && s->conn_count == 0)
		ev_break(s->loop, EVBREAK_ALL);
}

/* ---- [maintenance] mode = hold: the held requests, first held first ---- */

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
	struct server *s = server_of(ctx);
	struct conn_host_slot *h = conn_host_slot(c);
	size_t limit = (size_t)s->conf->cfg->limits.held_requests;

	if (h->held)
		return true;
	if (s->held_count >= limit || tenant_held(s, tenant) >= (limit + 1) / 2)
		return false;
	TAILQ_INSERT_TAIL(&s->holds, h, hold_link);
	h->held = true;
	h->held_tenant = tenant;
	s->held_count++;
	return true;
}

static void conn_unhold(struct conn_context *ctx, struct conn *c)
{
	struct server *s = server_of(ctx);
	struct conn_host_slot *h = conn_host_slot(c);

	if (!h->held)
		return;
	TAILQ_REMOVE(&s->holds, h, hold_link);
	h->held = false;
	h->held_tenant = NULL;
	s->held_count--;
}

/* Each connection held when the wake came is released once, in list order;
 * one held again goes to the tail, behind the others, keeping the order. */
static void on_hold_wake(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	size_t n = s->held_count;

	(void)loop;
	(void)revents;
	while (n-- > 0 && !TAILQ_EMPTY(&s->holds)) {
		struct conn_host_slot *h = TAILQ_FIRST(&s->holds);

		conn_unhold(&s->conn_ctx, h->conn);
		conn_release(h->conn); /* may free it */
	}
}

void server_wake_held(struct server *s)
{
	if (s->held_count > 0 && !ev_is_active(&s->hold_wake)) {
		ev_timer_set(&s->hold_wake, 0, 0);
		ev_timer_start(s->loop, &s->hold_wake);
	}
}

void server_holds_stop(struct server *s)
{
	ev_timer_stop(s->loop, &s->hold_wake);
}

static void after_settle(struct conn_context *ctx)
{
	server_policy_tick(server_of(ctx));
}

void server_conns_init(struct server *s)
{
	s->conn_ctx = (struct conn_context){
		.loop = s->loop,
		.counters = &s->counters,
		.spares = &s->spares,
		.upool = &s->upool,
		.policy = s->policy,
		.jobs = s->jobs,
		.request_stats = &s->request_stats,
		.profile = s->profile,
		.conf = s->conf,
		.host = s,
		.now = context_now,
		.wall_time = context_wall_time,
		.conn_added = conn_added,
		.conn_removed = conn_removed,
		.tenant_admit = tenant_admit,
		.tenant_accepted = tenant_accepted,
		.after_settle = after_settle,
		.hold = conn_hold,
		.unhold = conn_unhold,
	};
	TAILQ_INIT(&s->holds);
	ev_init(&s->hold_wake, on_hold_wake);
	s->hold_wake.data = s;
}
