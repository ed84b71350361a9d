/*
 * proxy/signals.c: HUP, TERM, INT and USR1 as events of the loop (see
 * signals.h).
 */
#include "autoconfig.h"

#include <signal.h>

#include "net/log.h"
#include "reload.h"
#include "server.h"
#include "signals.h"

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	reload_request(w->data, NULL); /* coalesced with POST /reload (reload.h) */
}

static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_notice("%s received", w->signum == SIGINT ? "SIGINT" : "SIGTERM");
	server_stop(w->data);
}

static void on_usr1(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_reopen();
}

void signals_start(struct server *s)
{
	struct signal_watchers *sig = &s->signals;

	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&sig->hup, on_hup, SIGHUP);
	ev_signal_init(&sig->term, on_stop, SIGTERM);
	ev_signal_init(&sig->intr, on_stop, SIGINT);
	ev_signal_init(&sig->usr1, on_usr1, SIGUSR1);
	sig->hup.data = sig->term.data = sig->intr.data = sig->usr1.data = s;
	ev_signal_start(s->loop, &sig->hup);
	ev_signal_start(s->loop, &sig->term);
	ev_signal_start(s->loop, &sig->intr);
	ev_signal_start(s->loop, &sig->usr1);
}

void signals_stop(struct server *s)
{
	struct signal_watchers *sig = &s->signals;

	ev_signal_stop(s->loop, &sig->hup);
	ev_signal_stop(s->loop, &sig->term);
	ev_signal_stop(s->loop, &sig->intr);
	ev_signal_stop(s->loop, &sig->usr1);
}
