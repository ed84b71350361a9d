/*
 * tools/ctl/ctl_reload.h: make the running sluice reload its configuration and
 * learn how that went.
 *
 * In order of preference:
 *  1. POST /reload on the admin socket. The daemon reloads before it answers:
 *     200 {"result":"ok","generation":N} or
 *     4xx/5xx {"result":"failed","error":"FILE:LINE: ..."}.
 *  2. The socket answers, but has no /reload (404, 405 or 501): SIGHUP to the
 *     pidfile's process, then GET /status until reloads.ok + reloads.failed
 *     grows, and reloads.last says how it went.
 *  3. No admin socket listening: SIGHUP to the pidfile's process. Only the
 *     signal is confirmed; the result is in the daemon's log.
 */
#ifndef SLUICE_CTL_RELOAD_H
#define SLUICE_CTL_RELOAD_H

#include <stdint.h>
#include <sys/types.h>

#include "ctl.h"
#include "ctl_daemon.h"

enum reload_outcome {
	RELOAD_APPLIED,   /* the daemon runs the new configuration: generation */
	RELOAD_REFUSED,   /* the daemon kept its configuration: detail = its reason */
	RELOAD_SIGNALLED, /* SIGHUP sent to pid; nothing could confirm the result */
	RELOAD_NO_DAEMON, /* no admin socket listening, no live process in the pidfile: detail */
	RELOAD_UNKNOWN    /* asked, but no clear answer (timeout, broken answer): detail */
};

struct ctl_reload_result {
	enum reload_outcome outcome;
	uint64_t generation; /* RELOAD_APPLIED, when reported */
	pid_t pid;           /* RELOAD_SIGNALLED (and 2. above) */
	char detail[CTL_ERROR_MAX];
};

/* Reload, waiting at most timeout_ms for the answer. */
void reload_daemon(const struct ctl_daemon *daemon, uint64_t timeout_ms, struct ctl_reload_result *result);

/* The outcome as a line on stdout (applied, signalled) or stderr (the
 * others); returns the exit status for it. */
int reload_report(const struct ctl_reload_result *result);

#endif
