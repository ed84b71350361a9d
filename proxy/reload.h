/*
 * proxy/reload.h: the one reload path, for SIGHUP and for the admin
 * endpoint's POST /reload. Build new, validate, swap (pgbouncer's
 * and hitch's way): the INI file is loaded into a fresh configuration and
 * everything built from it (TLS contexts, resolved upstream, the admin
 * token) before anything changes; on any error the running configuration
 * stays and the log says "reload failed: FILE:LINE: ...". On success every
 * changed key is logged ("maintenance.enabled: off -> on"), keys that need a
 * restart are reported as such and keep their running value, the
 * maintenance settings are applied (T = now when maintenance goes on; the
 * same state keeps T), and new connections use the new configuration while
 * connections in flight keep theirs.
 *
 * Reloads are coalesced: a request never runs a reload itself, it joins the
 * queued one or queues one. At most one reload runs at a time (it runs in
 * the event loop) and at most one more waits; every request that arrives
 * while one waits shares its result. The queued reload starts in the next
 * loop iteration, but no sooner than RELOAD_GAP_SECONDS after the previous
 * one ended, so that clients asking again and again cannot keep the loop
 * busy reloading while tenants wait. Since a reload reads the file when it
 * starts, which is after every request it answers was made, each requester
 * gets a reload that saw the file as it was when it asked, or later.
 */
#ifndef SLUICE_RELOAD_H
#define SLUICE_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <ev.h>

struct server;

#define RELOAD_ERROR_MAX 1024
#define RELOAD_GAP_SECONDS 0.2 /* from the end of one reload to the start of the next */

/* The outcome of one reload, as every request that shared it sees it. */
struct reload_result {
	bool ok;                      /* the new configuration is in force */
	uint64_t generation;          /* in force after it */
	char error[RELOAD_ERROR_MAX]; /* failed: "FILE:LINE: ..." */
};

/* One requester waiting for the result of the queued reload. */
struct reload_waiter {
	LIST_ENTRY(reload_waiter) queue_link; /* in waiters or delivering, while waiting */
	bool waiting;                         /* in one of those lists */
	/* Called once, from the loop, with the waiter already out of the queue
	 * (it may be freed or queued again from here). */
	void (*done)(struct reload_waiter *w, const struct reload_result *result);
};

/* In struct server. */
struct reload_queue {
	ev_timer start; /* the queued reload's start */
	bool queued;    /* a reload waits to start */
	bool running;
	bool ran;                              /* one has ended; last_end is set */
	double last_end;                       /* ev_now() when the latest ended */
	LIST_HEAD(, reload_waiter) waiters;    /* of the queued reload, newest first */
	LIST_HEAD(, reload_waiter) delivering; /* of the one that just ended, being told */
};

/* Once s->loop exists. */
void reload_init(struct server *s);
/* Ask for a reload: join the queued one, or queue one. w (NULL for SIGHUP,
 * which only logs the outcome) is told its result. Never runs a reload
 * before returning. */
void reload_request(struct server *s, struct reload_waiter *w);
/* Take w out of the queue (a client that went away); nothing when it is
 * not waiting. */
void reload_cancel(struct reload_waiter *w);
/* At exit: stop the timer and forget the waiters (their owners are gone). */
void reload_stop(struct server *s);

#endif
