/*
 * proxy/signals.h: signals through libev (ev_signal), so that their work runs
 * in the event loop like everything else: HUP reloads, TERM and INT stop
 * gracefully (a second one stops at once), USR1 reopens the log file.
 * SIGPIPE is ignored: a peer that goes away is seen as a write error.
 */
#ifndef SLUICE_SIGNALS_H
#define SLUICE_SIGNALS_H

#include <ev.h>

struct server;

struct signal_watchers {
	ev_signal hup, term, intr, usr1;
};

void signals_start(struct server *s);
void signals_stop(struct server *s);

#endif
