/*
 * proxy/schedule_timer.c: [schedule] windows in the running daemon
 * (schedule_timer.h).
 */
#include "autoconfig.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf/window.h"
#include "net/log.h"
#include "schedule_timer.h"
#include "server.h"

/* Added to T on the monotonic clock so that server_wall_time(T), a floor,
 * gives back the window's start and not the second before it by rounding. */
#define SINCE_EPSILON 0.001

int64_t schedule_timer_now(const struct schedule_timer *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec < t->passed ? t->passed : (int64_t)ts.tv_sec;
}

static void on_boundary(struct ev_loop *loop, ev_periodic *w, int revents)
{
	struct server *s = w->data;
	struct schedule_timer *t = &s->schedule;

	(void)loop;
	(void)revents;
	t->passed = t->armed_at;
	t->armed_at = 0;
	server_apply_schedule(s); /* applies the policy and re-arms */
}

void schedule_timer_init(struct schedule_timer *t, struct server *s)
{
	memset(t, 0, sizeof *t);
	ev_periodic_init(&t->boundary, on_boundary, 0., 0., 0);
	t->boundary.data = s;
}

void schedule_timer_settings(struct schedule_timer *t, const struct sluice_config *cfg,
			     struct policy_settings *ps)
{
	const struct config_schedule *c = &cfg->schedule;
	int64_t since;
	double window_start;

	schedule_at(c->window, c->window_count, c->timezone, schedule_timer_now(t), &t->state);
	t->notice = (int64_t)(c->notice_ms / 1000);
	snprintf(t->timezone, sizeof t->timezone, "%s", c->timezone);
	if (config_maintenance_since(cfg, &since)) { /* instances sharing the file agree on T */
		ps->since_set = true;
		ps->since = (double)since - server_wall_offset() + SINCE_EPSILON;
	}
	if (!t->state.in_window)
		return;
	window_start = (double)t->state.current_start - server_wall_offset() + SINCE_EPSILON;
	if (ps->enabled && (!ps->since_set || ps->since <= window_start))
		return;
	ps->enabled = true;
	ps->since_set = true;
	ps->since = window_start;
}

void schedule_timer_arm(struct schedule_timer *t, struct ev_loop *loop)
{
	int64_t next = schedule_next_boundary(&t->state);
	char when[32] = "";
	time_t tt = (time_t)next;
	struct tm tm;

	ev_periodic_stop(loop, &t->boundary);
	t->armed_at = 0;
	if (next == 0)
		return;
	ev_periodic_set(&t->boundary, (ev_tstamp)next, 0., 0);
	ev_periodic_start(loop, &t->boundary);
	t->armed_at = next;
	gmtime_r(&tt, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	log_info("[schedule]: next boundary (window %s) at %s", t->state.in_window ? "end" : "start", when);
}

void schedule_timer_stop(struct schedule_timer *t, struct ev_loop *loop)
{
	ev_periodic_stop(loop, &t->boundary);
	t->armed_at = 0;
}

bool schedule_timer_planned(const struct schedule_timer *t, int64_t now, int64_t *start, int64_t *end)
{
	const struct schedule_state *st = &t->state;

	if (st->in_window && now < st->current_end) {
		*start = st->current_start;
		*end = st->current_end;
		return true;
	}
	if (!st->has_next || t->notice == 0 || now < st->next_start - t->notice || now >= st->next_start)
		return false;
	*start = st->next_start;
	*end = st->next_end;
	return true;
}
