/*
 * tools/ctl/ctl_fleet.c: `sluicectl --fleet FILE status | maintenance on|off
 * | wait-drained`: the single commands, on every instance of a fleet.
 *
 * FILE lists one instance a line: the path of its sluice.ini, or the address
 * of its admin socket as unix:/path; blank lines and lines starting with #
 * are skipped. An INI file names the admin socket itself ([admin] socket)
 * and is what maintenance on|off edits: an instance listed by its socket
 * alone can be asked (status, wait-drained) but not switched.
 *
 * maintenance on writes one [maintenance] since, taken once, into every
 * file, so that every instance counts the same tasks as running at T.
 * wait-drained is the fleet's barrier: done only when every instance
 * answers and is drained; an instance that cannot be asked is not drained.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/value.h"
#include "ctl_status.h"

#define FLEET_MAX 256                /* instances in one file */
#define FLEET_LINE_MAX 4096          /* bytes of one line */
#define FLEET_POLL_MS 250            /* between two rounds of GET /status */
#define FLEET_PROGRESS_MS (5 * 1000) /* between two progress lines */
#define FLEET_SOCKET_PREFIX "unix:"

struct fleet_member {
	char *name;               /* the line as written: how messages name it */
	bool ini;                 /* an INI file (else an admin socket) */
	struct ctl_daemon daemon; /* where to ask it */
};

struct fleet {
	struct fleet_member members[FLEET_MAX];
	size_t count;
};

/* One look at a member's GET /status. */
struct fleet_look {
	bool answered;
	struct status_drain drain;
	uint64_t generation;
	char since[64];
	struct ctl_error err; /* !answered: why */
};

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && strchr(" \t\r\n", end[-1]) != NULL)
		*--end = '\0';
	return s;
}

static bool add_member(struct fleet *fleet, const char *entry, const char *path, unsigned line,
		       struct ctl_error *err)
{
	struct fleet_member *m = &fleet->members[fleet->count];
	const char *socket;

	if (fleet->count == FLEET_MAX)
		return ctl_fail(err, "%s:%u: more than %d instances", path, line, FLEET_MAX);
	memset(m, 0, sizeof *m);
	if ((m->name = strdup(entry)) == NULL)
		return ctl_fail(err, "out of memory");
	fleet->count++;
	if (strncmp(entry, FLEET_SOCKET_PREFIX, strlen(FLEET_SOCKET_PREFIX)) == 0) {
		socket = entry + strlen(FLEET_SOCKET_PREFIX);
		if (socket[0] != '/' || strlen(socket) >= sizeof m->daemon.socket_path)
			return ctl_fail(err, "%s:%u: %s: write unix: and an absolute socket path", path, line,
					entry);
		snprintf(m->daemon.socket_path, sizeof m->daemon.socket_path, "%s", socket);
		return true;
	}
	if (strchr(entry, '/') == NULL && strchr(entry, ':') != NULL)
		return ctl_fail(err,
				"%s:%u: %s: a TCP admin address cannot be used (it needs a token for "
				"/status); list the instance's INI file or unix:/path of its admin socket",
				path, line, entry);
	m->ini = true;
	return ctl_daemon_find(entry, &m->daemon, err);
}

static void fleet_free(struct fleet *fleet)
{
	for (size_t i = 0; i < fleet->count; i++)
		free(fleet->members[i].name);
	fleet->count = 0;
}

static bool fleet_read(const char *path, struct fleet *fleet, struct ctl_error *err)
{
	char buf[FLEET_LINE_MAX];
	unsigned line = 0;
	bool ok = true;
	FILE *in = fopen(path, "r");

	fleet->count = 0;
	if (in == NULL)
		return ctl_fail(err, "--fleet %s: %s", path, strerror(errno));
	while (ok && fgets(buf, sizeof buf, in) != NULL) {
		char *entry = trim(buf);

		line++;
		if (entry[0] != '\0' && entry[0] != '#')
			ok = add_member(fleet, entry, path, line, err);
	}
	if (ok && ferror(in))
		ok = ctl_fail(err, "--fleet %s: %s", path, strerror(errno));
	fclose(in);
	if (ok && fleet->count == 0)
		ok = ctl_fail(err, "--fleet %s lists no instance: write one INI file or unix:/path a line",
			      path);
	if (!ok)
		fleet_free(fleet);
	return ok;
}

static void look_at(const struct fleet_member *m, struct fleet_look *look)
{
	struct admin_reply reply;
	struct json_span doc;

	memset(look, 0, sizeof *look);
	if (status_fetch(&m->daemon, CTL_REPLY_TIMEOUT_MS, &reply, &doc, &look->err) != ADMIN_OK)
		return;
	look->answered = status_drain(doc, &look->drain);
	if (!look->answered)
		ctl_fail(&look->err, "%s: GET /status does not report maintenance.state",
			 m->daemon.socket_path);
	json_get_uint(doc, "config.generation", &look->generation);
	if (!json_get_string(doc, "maintenance.since", look->since, sizeof look->since))
		look->since[0] = '\0';
	admin_reply_free(&reply);
}

static bool drained(const struct fleet_look *look)
{
	return look->answered && strcmp(look->drain.state, "draining") != 0;
}

/* ---- status ---- */

static int fleet_status(const struct fleet *fleet)
{
	struct status_drain total = { .state = "" };
	size_t draining = 0, unreachable = 0;

	for (size_t i = 0; i < fleet->count; i++) {
		struct fleet_look look;

		look_at(&fleet->members[i], &look);
		printf("%s: ", fleet->members[i].name);
		if (!look.answered) {
			printf("unreachable: ");
			status_put_text(stdout, look.err.message);
			printf("\n");
			unreachable++;
			continue;
		}
		status_put_text(stdout, look.drain.state);
		printf(", draining ");
		status_print_counts(stdout, &look.drain);
		printf(", generation %llu", (unsigned long long)look.generation);
		if (look.since[0] != '\0' && strcmp(look.drain.state, "active") != 0) {
			printf(", since ");
			status_put_text(stdout, look.since);
		}
		printf("\n");
		draining += strcmp(look.drain.state, "draining") == 0;
		total.tasks += look.drain.tasks;
		total.agent_jobs += look.drain.agent_jobs;
	}
	printf("total: %zu instance%s, %zu draining, %zu unreachable; draining ", fleet->count,
	       fleet->count == 1 ? "" : "s", draining, unreachable);
	status_print_counts(stdout, &total);
	printf("\n");
	if (fflush(stdout) != 0)
		return CTL_EXIT_FAILED;
	return unreachable == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
}

/* ---- maintenance on|off ---- */

static int fleet_maintenance(const struct ctl_args *args, const struct fleet *fleet)
{
	char since[CTL_SINCE_MAX];
	struct ctl_args one = *args;
	size_t failed = 0;

	for (size_t i = 0; i < fleet->count; i++) {
		if (!fleet->members[i].ini) {
			ctl_warn("%s: maintenance on|off edits an instance's INI file; list the file, not "
				 "its admin socket (nothing was changed)",
				 fleet->members[i].name);
			return CTL_EXIT_FAILED;
		}
	}
	ctl_since_now(since); /* once: every instance agrees on T */
	one.since = since;
	one.fleet_path = NULL;
	for (size_t i = 0; i < fleet->count; i++) {
		printf("== %s\n", fleet->members[i].name);
		fflush(stdout);
		one.config_path = fleet->members[i].name;
		if (ctl_maintenance(&one) != CTL_EXIT_OK) {
			ctl_warn("%s: maintenance %s failed", fleet->members[i].name,
				 args->maintenance_on ? "on" : "off");
			failed++;
		}
	}
	if (failed > 0)
		ctl_warn("maintenance %s failed on %zu of %zu instances", args->maintenance_on ? "on" : "off",
			 failed, fleet->count);
	return failed == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
}

/* ---- wait-drained ---- */

/* "a (1 task, 0 agent jobs), b (unreachable: ...)": the members not drained. */
static void print_not_drained(const struct fleet *fleet, const struct fleet_look *looks)
{
	bool first = true;

	for (size_t i = 0; i < fleet->count; i++) {
		if (drained(&looks[i]))
			continue;
		printf("%s%s (", first ? "" : ", ", fleet->members[i].name);
		if (looks[i].answered) {
			status_print_counts(stdout, &looks[i].drain);
		} else {
			printf("unreachable: ");
			status_put_text(stdout, looks[i].err.message);
		}
		printf(")");
		first = false;
	}
	printf("\n");
	fflush(stdout);
}

static int fleet_wait_drained(const struct ctl_args *args, const struct fleet *fleet)
{
	static struct fleet_look looks[FLEET_MAX];
	uint64_t start = ctl_now_ms(), last_progress = 0;
	uint64_t deadline = args->timeout_set ? start + args->timeout_ms : UINT64_MAX;

	for (bool first = true;; first = false) {
		size_t not_drained = 0;
		uint64_t now;

		for (size_t i = 0; i < fleet->count; i++) {
			look_at(&fleet->members[i], &looks[i]);
			not_drained += !drained(&looks[i]);
		}
		now = ctl_now_ms();
		if (not_drained == 0) {
			printf("drained: all %zu instances; nothing that was running when maintenance began "
			       "is still running\n",
			       fleet->count);
			return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
		}
		if (now >= deadline) {
			char waited[CONFIG_FORMAT_MAX];
			config_format_duration(args->timeout_ms, waited);
			printf("still not drained after %s, %zu of %zu: ", waited, not_drained, fleet->count);
			print_not_drained(fleet, looks);
			return CTL_EXIT_FAILED;
		}
		if (first || now - last_progress >= FLEET_PROGRESS_MS) {
			printf("waiting for %zu of %zu: ", not_drained, fleet->count);
			print_not_drained(fleet, looks);
			last_progress = now;
		}
		ctl_pause_ms(deadline - now < FLEET_POLL_MS ? deadline - now : FLEET_POLL_MS);
	}
}

int ctl_fleet(const struct ctl_args *args)
{
	static struct fleet fleet;
	struct ctl_error err;
	int status;

	if (!fleet_read(args->fleet_path, &fleet, &err)) {
		ctl_warn("%s", err.message);
		return CTL_EXIT_FAILED;
	}
	switch (args->command) {
	case CTL_STATUS:
		status = fleet_status(&fleet);
		break;
	case CTL_MAINTENANCE:
		status = fleet_maintenance(args, &fleet);
		break;
	case CTL_WAIT_DRAINED:
		status = fleet_wait_drained(args, &fleet);
		break;
	default:
		ctl_warn("--fleet works with status, maintenance on|off and wait-drained");
		status = CTL_EXIT_USAGE;
	}
	fleet_free(&fleet);
	return status;
}
