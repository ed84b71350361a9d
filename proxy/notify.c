/*
 * proxy/notify.c: sd_notify for systemd's Type=notify (see notify.h).
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "notify.h"
#include "server.h"

#define NOTIFY_STATUS_MAX 128

void notify_status_text(enum policy_state state, size_t draining_tasks, size_t draining_jobs, char *out,
			size_t size)
{
	switch (state) {
	case POLICY_OFF:
		snprintf(out, size, "active");
		break;
	case POLICY_DRAINING:
	case POLICY_BLOCKING:
		snprintf(out, size, "%s: %zu task%s, %zu agent job%s",
			 state == POLICY_DRAINING ? "draining" : "draining (blocked)", draining_tasks,
			 draining_tasks == 1 ? "" : "s", draining_jobs, draining_jobs == 1 ? "" : "s");
		break;
	case POLICY_DRAINED:
	case POLICY_BLOCKED:
		snprintf(out, size, "maintenance: drained");
		break;
	}
}

#ifdef HAVE_SYSTEMD

static char last_status[NOTIFY_STATUS_MAX];

static void current_status(const struct server *s, char *out, size_t size)
{
	struct policy_status st;

	policy_status(s->policy, s->jobs, server_clock(), &st);
	notify_status_text(st.state, st.draining_tasks, st.draining_jobs, out, size);
}

/* ready: prefix READY=1 (start-up and after a reload). */
static void send_status(struct server *s, bool ready)
{
	char text[NOTIFY_STATUS_MAX];

	current_status(s, text, sizeof text);
	if (!ready && strcmp(text, last_status) == 0)
		return;
	snprintf(last_status, sizeof last_status, "%s", text);
	sd_notifyf(0, "%sSTATUS=%s", ready ? "READY=1\n" : "", text);
}

void notify_ready(struct server *s)
{
	send_status(s, true);
}

void notify_reloading(void)
{
	sd_notify(0, "RELOADING=1");
}

void notify_reloaded(struct server *s)
{
	send_status(s, true);
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void notify_status(struct server *s)
{
	send_status(s, false);
}

#else /* without libsystemd: nothing to tell */

void notify_ready(struct server *s)
{
	(void)s;
}

void notify_reloading(void)
{
}

void notify_reloaded(struct server *s)
{
	(void)s;
}

void notify_stopping(void)
{
}

void notify_status(struct server *s)
{
	(void)s;
}

#endif
