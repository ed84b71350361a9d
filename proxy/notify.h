/*
 * proxy/notify.h: the service manager's view of sluice (systemd Type=notify).
 * Built --with-systemd, these send READY=1 once everything listens,
 * RELOADING=1 and READY=1 around a reload, STOPPING=1 on a graceful stop,
 * and a STATUS= line that follows maintenance ("active", "draining: 3 tasks,
 * 1 agent job", "maintenance: drained"). Without libsystemd, or when sluice
 * was not started by a service manager (no NOTIFY_SOCKET), they do nothing.
 */
#ifndef SLUICE_NOTIFY_H
#define SLUICE_NOTIFY_H

#include <stddef.h>

#include "policy/policy.h"

struct server;

void notify_ready(struct server *s);
void notify_reloading(void);
/* After a reload, whatever its outcome: READY=1 and the status line. */
void notify_reloaded(struct server *s);
void notify_stopping(void);
/* The STATUS= line, sent only when its text changed (called every tick). */
void notify_status(struct server *s);

/* The text of the status line (also without systemd: the tests read it). */
void notify_status_text(enum policy_state state, size_t draining_tasks, size_t draining_jobs, char *out,
			size_t size);

#endif
