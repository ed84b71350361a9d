/*
 * proxy/reload.c: reloading the configuration (see reload.h).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "key_line.h"
#include "net/log.h"
#include "notify.h"
#include "reload.h"
#include "net/runconf.h"
#include "server.h"

struct diff_log {
	unsigned changed;
	unsigned restart;
};

static void log_change(const struct config_change *change, void *user)
{
	struct diff_log *d = user;

	d->changed++;
	if (change->reloadable) {
		log_notice("%s.%s: %s -> %s", change->key->section, change->key->name,
			   change->old_text[0] ? change->old_text : "(empty)",
			   change->new_text[0] ? change->new_text : "(empty)");
		return;
	}
	d->restart++;
	log_warn("%s.%s: %s -> %s: restart needed; the running value %s stays until then",
		 change->key->section, change->key->name, change->old_text[0] ? change->old_text : "(empty)",
		 change->new_text[0] ? change->new_text : "(empty)",
		 change->old_text[0] ? change->old_text : "(empty)");
}

/* For GET /status: the outcome of the latest reload, whoever asked for it. */
static void remember(struct server *s, bool ok, const char *err)
{
	struct server_reload_log *last = &s->last_reload;

	last->happened = true;
	last->ok = ok;
	last->at = time(NULL);
	last->generation = s->conf->serial;
	snprintf(last->error, sizeof last->error, "%s", ok ? "" : err);
	if (ok)
		s->loaded_at = last->at;
	notify_reloaded(s);
}

/* One reload, now; err gets the reason of a failure. */
static bool reload_now(struct server *s, char *err, size_t err_size)
{
	struct sluice_config *cfg;
	struct config_error cerr;
	struct runconf *rc;
	struct diff_log diff = { 0, 0 };
	char why[RUNCONF_ERROR_MAX];

	log_notice("reloading %s", s->config_path);
	notify_reloading();
	if (!config_load(s->config_path, &cfg, &cerr)) {
		snprintf(err, err_size, "%s", cerr.message);
		goto failed;
	}
	rc = runconf_new(cfg, s->conf->tls != NULL, s->ticket_keys, s->conf->serial + 1, why, sizeof why);
	if (rc == NULL) {
		/* "FILE:LINE: [tls] certificate: ...", as the loader's own errors */
		config_error_at_key(&cerr, s->config_path, why);
		snprintf(err, err_size, "%s", cerr.message);
		config_free(cfg);
		goto failed;
	}
	if (config_diff(s->conf->cfg, rc->cfg, log_change, &diff) < 0)
		log_warn("reload: out of memory listing the changed keys");
	if (!server_apply(s, rc, err, err_size)) {
		runconf_unref(rc);
		goto failed;
	}
	runconf_unref(s->conf);
	s->conf = rc;
	COUNTER_INC(s->counters.reloads);
	log_notice("reloaded %s: configuration %llu, %u changed key%s%s", s->config_path,
		   (unsigned long long)rc->serial, diff.changed, diff.changed == 1 ? "" : "s",
		   diff.restart > 0 ? ", some need a restart" : "");
	remember(s, true, NULL);
	return true;
failed:
	COUNTER_INC(s->counters.reload_failures);
	log_err("reload failed: %s; the running configuration stays", err);
	remember(s, false, err);
	return false;
}

static void run(struct server *s, struct reload_result *result)
{
	result->error[0] = '\0';
	result->ok = reload_now(s, result->error, sizeof result->error);
	result->generation = s->conf->serial;
}

/* ---- the queue ---- */

static void unlink_waiter(struct reload_waiter *w)
{
	LIST_REMOVE(w, queue_link);
	w->waiting = false;
}

/* The queued reload starts: its waiters move to delivering, in the same
 * order (glibc's LIST has no swap; each of them is told in turn anyway). */
static void take_waiters(struct reload_queue *q)
{
	struct reload_waiter *w, *last = NULL;

	while ((w = LIST_FIRST(&q->waiters)) != NULL) {
		LIST_REMOVE(w, queue_link);
		if (last == NULL)
			LIST_INSERT_HEAD(&q->delivering, w, queue_link);
		else
			LIST_INSERT_AFTER(last, w, queue_link);
		last = w;
	}
}

static void on_start(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct server *s = t->data;
	struct reload_queue *q = &s->reloads;
	struct reload_result result;
	struct reload_waiter *w;

	/* The queued reload starts: from here a request queues the next one. */
	q->queued = false;
	q->running = true;
	take_waiters(q);
	run(s, &result);
	q->running = false;
	ev_now_update(loop); /* the reload took a while */
	q->last_end = ev_now(loop);
	q->ran = true;
	while ((w = LIST_FIRST(&q->delivering)) != NULL) {
		unlink_waiter(w);
		w->done(w, &result);
	}
}

void reload_init(struct server *s)
{
	struct reload_queue *q = &s->reloads;

	ev_init(&q->start, on_start);
	q->start.data = s;
}

void reload_request(struct server *s, struct reload_waiter *w)
{
	struct reload_queue *q = &s->reloads;
	double delay = 0.0;

	if (w != NULL) {
		LIST_INSERT_HEAD(&q->waiters, w, queue_link);
		w->waiting = true;
	}
	if (q->queued)
		return; /* shares the result of the one already waiting */
	q->queued = true;
	if (q->ran && q->last_end + RELOAD_GAP_SECONDS > ev_now(s->loop))
		delay = q->last_end + RELOAD_GAP_SECONDS - ev_now(s->loop);
	ev_timer_set(&q->start, delay, 0.0);
	ev_timer_start(s->loop, &q->start);
}

void reload_cancel(struct reload_waiter *w)
{
	if (w->waiting)
		unlink_waiter(w);
}

void reload_stop(struct server *s)
{
	struct reload_queue *q = &s->reloads;

	if (s->loop != NULL)
		ev_timer_stop(s->loop, &q->start);
	while (!LIST_EMPTY(&q->waiters))
		unlink_waiter(LIST_FIRST(&q->waiters));
	q->queued = false;
}
