/*
 * proxy/schedule_timer.h: [schedule] windows in the running daemon. A libev
 * periodic watcher (wall-clock based, so a clock step moves it too) is armed
 * at the next window boundary; when it fires, the server applies the policy
 * again (server_apply_schedule()), and the watcher is armed at the boundary
 * after. Nothing polls. The arithmetic is proxy/policy/schedule.c.
 */
#ifndef SLUICE_SCHEDULE_TIMER_H
#define SLUICE_SCHEDULE_TIMER_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "policy/policy.h"
#include "policy/schedule.h"

struct server;

struct schedule_timer {
	ev_periodic boundary;        /* fires at the next start or end */
	int64_t armed_at;            /* the boundary it waits for (wall seconds); 0 = none */
	int64_t passed;              /* the last boundary that fired: "now" is at least this */
	struct schedule_state state; /* as of the last apply */
	int64_t notice;              /* [schedule] notice, whole seconds */
	char timezone[256];          /* [schedule] timezone, for GET /status */
};

void schedule_timer_init(struct schedule_timer *t, struct server *s);

/* Fill in the time part of the maintenance settings, converted to the
 * policy's clock: with enabled = on, T = [maintenance] since when set;
 * inside a window, maintenance is on with T = the window's start, unless
 * enabled = on already says so with no since or an earlier one (the earlier
 * T wins). Updates t->state. */
void schedule_timer_settings(struct schedule_timer *t, const struct sluice_config *cfg,
			     struct policy_settings *ps);

/* (Re-)arm the watcher at the next boundary of the windows last applied
 * (schedule_timer_settings()). */
void schedule_timer_arm(struct schedule_timer *t, struct ev_loop *loop);

void schedule_timer_stop(struct schedule_timer *t, struct ev_loop *loop);

/* Whether the next window is announced now ([schedule] notice before its
 * start, or inside a window: the window itself). *start and *end get it. */
bool schedule_timer_planned(const struct schedule_timer *t, int64_t now, int64_t *start, int64_t *end);

/* Wall-clock seconds now, never before the last boundary that fired (the
 * watcher may fire a hair early by time(2)'s coarser clock). */
int64_t schedule_timer_now(const struct schedule_timer *t);

#endif
