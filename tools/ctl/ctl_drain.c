/*
 * tools/ctl/ctl_drain.c: `sluicectl wait-drained`: poll GET /status until
 * nothing that was running when maintenance began is still running.
 *
 * The answer to "can I start the upgrade now?": exit 0 once
 * maintenance.state is no longer "draining" (it is "maintenance" when the
 * drain completed, "active" when maintenance is off), 1 when --timeout
 * passes first or the daemon cannot be asked.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "ctl_status.h"
#include "conf/value.h"

#define DRAIN_POLL_MS 250            /* between two GET /status */
#define DRAIN_PROGRESS_MS (5 * 1000) /* between two progress lines */

/* One look at the drain: 1 = still draining, 0 = done, -1 = cannot tell. */
static int look(const struct ctl_daemon *daemon, uint64_t reply_ms, struct status_drain *drain)
{
	struct admin_reply reply;
	struct ctl_error err;
	struct json_span doc;
	bool known;

	if (status_fetch(daemon, reply_ms, &reply, &doc, &err) != ADMIN_OK) {
		ctl_warn("%s", err.message);
		return -1;
	}
	known = status_drain(doc, drain);
	admin_reply_free(&reply);
	if (!known) {
		ctl_warn("%s: GET /status does not report maintenance.state", daemon->socket_path);
		return -1;
	}
	return strcmp(drain->state, "draining") == 0;
}

static int report_done(const struct status_drain *drain)
{
	if (strcmp(drain->state, "active") == 0)
		printf("maintenance is off: nothing is draining, and new backups are accepted\n");
	else
		printf("drained: nothing that was running when maintenance began is still running\n");
	return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
}

int ctl_wait_drained(const struct ctl_args *args)
{
	uint64_t start = ctl_now_ms(), last_progress = 0;
	uint64_t deadline = args->timeout_set ? start + args->timeout_ms : UINT64_MAX;
	struct ctl_daemon daemon;
	struct status_drain drain;
	struct ctl_error err;

	if (!ctl_daemon_find(args->config_path, &daemon, &err)) {
		ctl_warn("%s", err.message);
		return CTL_EXIT_FAILED;
	}
	for (bool first = true;; first = false) {
		int draining = look(&daemon, CTL_REPLY_TIMEOUT_MS, &drain);
		uint64_t now = ctl_now_ms();

		if (draining < 0)
			return CTL_EXIT_FAILED;
		if (draining == 0)
			return report_done(&drain);
		if (now >= deadline) {
			char waited[CONFIG_FORMAT_MAX];
			config_format_duration(args->timeout_ms, waited);
			printf("still draining after %s: ", waited);
			status_print_counts(stdout, &drain);
			printf("\n");
			fflush(stdout);
			return CTL_EXIT_FAILED;
		}
		if (first || now - last_progress >= DRAIN_PROGRESS_MS) {
			printf("draining: ");
			status_print_counts(stdout, &drain);
			printf("\n");
			fflush(stdout);
			last_progress = now;
		}
		ctl_pause_ms(deadline - now < DRAIN_POLL_MS ? deadline - now : DRAIN_POLL_MS);
	}
}
