/*
 * proxy/net/upstream_pool.c: idle repository connections kept for reuse (see
 * upstream_pool.h).
 *
 * The parked connections form one list, newest first: takes pop the newest,
 * expiry closes from the oldest, so one timer armed for the oldest one's
 * deadline serves them all. Every parked connection belongs to the pool's
 * current configuration (upstream_pool_set closes the others), so a take
 * only needs to look at the newest.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "net/log.h"
#include "net/upstream_pool.h"

struct upstream_idle {
	TAILQ_ENTRY(upstream_idle) pool_link; /* in the pool's parked list */
	struct upstream_pool *pool;
	struct upstream up; /* READY; its watcher waits for readability */
	double parked_at;   /* ev_now() */
};

static const char *const close_words[UPSTREAM_IDLE_CLOSE_COUNT] = {
	[UPSTREAM_IDLE_EXPIRED] = "idle for [timeouts] upstream_idle",
	[UPSTREAM_IDLE_REPOSITORY] = "the repository closed it or sent bytes nobody asked for",
	[UPSTREAM_IDLE_RELOAD] = "a reload changed the configuration",
};

/* ---- the list ---- */

static struct upstream_idle *newest(const struct upstream_pool *p)
{
	return TAILQ_FIRST(&p->parked);
}

static struct upstream_idle *oldest(const struct upstream_pool *p)
{
	return TAILQ_LAST(&p->parked, upstream_idle_list);
}

static void link_newest(struct upstream_pool *p, struct upstream_idle *e)
{
	TAILQ_INSERT_HEAD(&p->parked, e, pool_link);
	p->count++;
	COUNTER_SET(p->stats->idle, p->count);
}

static void unlink_idle(struct upstream_pool *p, struct upstream_idle *e)
{
	TAILQ_REMOVE(&p->parked, e, pool_link);
	p->count--;
	COUNTER_SET(p->stats->idle, p->count);
}

/* Unlink, close and free one parked connection; why is
 * UPSTREAM_IDLE_CLOSE_COUNT at stop and exit (not counted). */
static void drop(struct upstream_pool *p, struct upstream_idle *e, enum upstream_idle_close why)
{
	unlink_idle(p, e);
	if (why < UPSTREAM_IDLE_CLOSE_COUNT) {
		COUNTER_INC(p->stats->closed[why]);
		log_debug("idle repository connection to %s closed: %s (%zu idle)", e->up.address,
			  close_words[why], p->count);
	}
	upstream_close(&e->up, p->loop);
	free(e);
}

/* ---- the expiry timer ---- */

/* Armed for the oldest connection's deadline. Parks only add later
 * deadlines, so an armed timer stays; one that fires early re-arms. */
static void arm(struct upstream_pool *p)
{
	double at;

	if (oldest(p) == NULL) {
		ev_timer_stop(p->loop, &p->expiry);
		return;
	}
	if (ev_is_active(&p->expiry))
		return;
	at = oldest(p)->parked_at + p->idle_seconds - ev_now(p->loop);
	ev_timer_set(&p->expiry, at > 0 ? at : 0, 0);
	ev_timer_start(p->loop, &p->expiry);
}

void upstream_pool_expire(struct upstream_pool *p, double now)
{
	struct upstream_idle *e;

	while ((e = oldest(p)) != NULL && e->parked_at + p->idle_seconds <= now)
		drop(p, e, UPSTREAM_IDLE_EXPIRED);
	arm(p);
}

static void expiry_event(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct upstream_pool *p = w->data;

	upstream_pool_expire(p, ev_now(loop));
}

/* ---- parked connections ---- */

/* Readable while parked: nothing was asked, so this is an EOF, a reset or
 * bytes nobody will read. */
static void parked_event(struct ev_loop *loop, ev_io *w, int revents)
{
	struct upstream_idle *e = w->data;
	struct upstream_pool *p = e->pool;

	drop(p, e, UPSTREAM_IDLE_REPOSITORY);
	arm(p);
}

void upstream_pool_init(struct upstream_pool *p, struct ev_loop *loop, struct upstream_pool_stats *stats)
{
	memset(p, 0, sizeof *p);
	TAILQ_INIT(&p->parked);
	p->loop = loop;
	p->stats = stats;
	ev_init(&p->expiry, expiry_event);
	p->expiry.data = p;
}

void upstream_pool_set(struct upstream_pool *p, size_t bound, double idle_seconds, uint64_t serial)
{
	if (p->closed)
		return;
	if (serial != p->serial)
		while (oldest(p) != NULL)
			drop(p, oldest(p), UPSTREAM_IDLE_RELOAD);
	while (p->count > bound)
		drop(p, oldest(p), UPSTREAM_IDLE_RELOAD);
	p->bound = bound;
	p->idle_seconds = idle_seconds;
	p->serial = serial;
	ev_timer_stop(p->loop, &p->expiry); /* the timeout may have become shorter */
	arm(p);
}

const char *upstream_park_check(const struct upstream_park_facts *f)
{
	if (!f->ready)
		return "not connected";
	if (f->repository_closed)
		return "the repository closed it";
	if (f->tainted)
		return "it saw part of a request that was cut";
	if (f->request_pending)
		return "a request was not wholly sent";
	if (f->response_pending)
		return "an answer was still awaited";
	if (f->stray_bytes)
		return "the repository sent bytes that answer no request";
	if (f->close_requested)
		return "a request asked for Connection: close";
	return NULL;
}

static const char *pool_refusal(const struct upstream_pool *p, uint64_t serial)
{
	if (p->closed)
		return "stopping";
	if (p->bound == 0)
		return "[limits] upstream_idle_connections is 0";
	if (serial != p->serial)
		return "a reload changed the configuration";
	if (p->count >= p->bound)
		return "[limits] upstream_idle_connections are parked already";
	return NULL;
}

bool upstream_pool_park(struct upstream_pool *p, struct upstream *u, uint64_t serial,
			const struct upstream_park_facts *facts, const char **why)
{
	struct upstream_idle *e;

	*why = upstream_park_check(facts);
	if (*why == NULL && !upstream_idle_usable(u, false))
		*why = "it is not idle: bytes are pending one way or the other, or its TLS state is busy";
	if (*why == NULL)
		*why = pool_refusal(p, serial);
	if (*why != NULL)
		return false;
	if ((e = calloc(1, sizeof *e)) == NULL) {
		*why = "out of memory";
		return false;
	}
	e->pool = p;
	e->parked_at = ev_now(p->loop);
	upstream_move(&e->up, u, p->loop, parked_event, e); /* watched for EV_READ */
	e->up.reused = false;
	link_newest(p, e);
	COUNTER_INC(p->stats->parked);
	arm(p);
	return true;
}

/* The newest parked connection of generation serial that is still open,
 * moved into u; false when there is none. */
static bool take(struct upstream_pool *p, struct upstream *u, uint64_t serial, endpoint_cb *cb, void *owner)
{
	struct upstream_idle *e;

	while (p->serial == serial && (e = newest(p)) != NULL) {
		if (!upstream_idle_usable(&e->up, true)) {
			drop(p, e, UPSTREAM_IDLE_REPOSITORY); /* closed since the last event */
			continue;
		}
		unlink_idle(p, e);
		upstream_move(u, &e->up, p->loop, cb, owner);
		u->reused = true;
		free(e);
		arm(p);
		return true;
	}
	arm(p);
	return false;
}

enum upstream_step upstream_pool_connect(struct upstream_pool *p, struct upstream *u,
					 const struct runconf *rc, endpoint_cb *cb, void *owner, char *why,
					 size_t why_size)
{
	COUNTER_INC(p->stats->connects);
	return upstream_open(u, rc, p->loop, cb, owner, why, why_size);
}

enum upstream_step upstream_pool_open(struct upstream_pool *p, struct upstream *u, const struct runconf *rc,
				      endpoint_cb *cb, void *owner, char *why, size_t why_size)
{
	if (take(p, u, rc->serial, cb, owner)) {
		COUNTER_INC(p->stats->reused);
		return UPSTREAM_STEP_READY;
	}
	return upstream_pool_connect(p, u, rc, cb, owner, why, why_size);
}

void upstream_pool_close(struct upstream_pool *p)
{
	p->closed = true;
	if (p->loop == NULL)
		return; /* never started */
	while (oldest(p) != NULL)
		drop(p, oldest(p), UPSTREAM_IDLE_CLOSE_COUNT);
	ev_timer_stop(p->loop, &p->expiry);
}
