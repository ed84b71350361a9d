/*
 * tools/ctl/ctl_status.c: `sluicectl status`: GET /status and its summary (see
 * ctl_status.h for the members read).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "ctl_status.h"

#define TEXT_MAX 1024 /* one string member, as shown */

enum admin_result status_fetch(const struct ctl_daemon *daemon, uint64_t timeout_ms,
			       struct admin_reply *reply, struct json_span *doc, struct ctl_error *err)
{
	enum admin_result result;

	memset(reply, 0, sizeof *reply);
	if (daemon->socket_path[0] == '\0') {
		ctl_fail(err,
			 "no [admin] socket is configured: set one (and restart sluice) to ask it for its status");
		return ADMIN_FAILED;
	}
	result = admin_request(daemon->socket_path, "GET", "/status", timeout_ms, reply, err);
	if (result == ADMIN_NO_DAEMON) {
		struct ctl_error why = *err, ignored;
		pid_t pid;
		if (ctl_daemon_signal(daemon, 0, &pid, &ignored) == DAEMON_SIGNALLED) /* signal 0: alive? */
			ctl_fail(err,
				 "sluice runs (pid %ld) but answers on no admin socket (%s): a sluice without "
				 "the admin endpoint, or one started with another [admin] socket",
				 (long)pid, why.message);
		else
			ctl_fail(err, "sluice is not running (%s)", why.message);
	}
	if (result != ADMIN_OK)
		return result;
	doc->ptr = reply->body;
	doc->len = reply->body_len;
	if (reply->status == 200 && json_valid(*doc)) {
		struct json_iter it;
		if (json_iter_start(*doc, &it) && it.object)
			return ADMIN_OK;
	}
	if (reply->status == 404)
		ctl_fail(err, "%s: GET /status answered 404: this sluice has no status endpoint",
			 daemon->socket_path);
	else if (reply->status != 200)
		ctl_fail(err, "%s: GET /status answered %u", daemon->socket_path, reply->status);
	else
		ctl_fail(err, "%s: GET /status answered something that is not a JSON object",
			 daemon->socket_path);
	admin_reply_free(reply);
	return ADMIN_FAILED;
}

void status_put_text(FILE *out, const char *s)
{
	for (; *s != '\0'; s++)
		putc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

/* label, then the string member at path, when there is one. */
static bool put_member(FILE *out, struct json_span doc, const char *label, const char *path)
{
	char text[TEXT_MAX];

	if (!json_get_string(doc, path, text, sizeof text))
		return false;
	fputs(label, out);
	status_put_text(out, text);
	return true;
}

void status_format_duration(uint64_t seconds, char *out, size_t size)
{
	static const struct {
		uint64_t seconds;
		const char *unit;
	} units[] = {
		{ 86400, "d" },
		{ 3600, "h" },
		{ 60, "m" },
		{ 1, "s" },
	};
	size_t i = 0;

	while (i + 1 < sizeof units / sizeof units[0] && seconds < units[i].seconds)
		i++;
	if (i + 1 < sizeof units / sizeof units[0] && seconds % units[i].seconds >= units[i + 1].seconds)
		snprintf(out, size, "%llu%s %llu%s", (unsigned long long)(seconds / units[i].seconds),
			 units[i].unit,
			 (unsigned long long)(seconds % units[i].seconds / units[i + 1].seconds),
			 units[i + 1].unit);
	else
		snprintf(out, size, "%llu%s", (unsigned long long)(seconds / units[i].seconds),
			 units[i].unit);
}

static void put_duration(FILE *out, uint64_t seconds)
{
	char text[STATUS_DURATION_TEXT];

	status_format_duration(seconds, text, sizeof text);
	fputs(text, out);
}

void status_print_counts(FILE *out, const struct status_drain *drain)
{
	uint64_t tasks = drain->tasks, jobs = drain->agent_jobs;

	if (drain->sessions) {
		fprintf(out, "%llu session%s", (unsigned long long)jobs, jobs == 1 ? "" : "s");
		return;
	}
	fprintf(out, "%llu task%s, %llu agent job%s", (unsigned long long)tasks, tasks == 1 ? "" : "s",
		(unsigned long long)jobs, jobs == 1 ? "" : "s");
}

bool status_drain(struct json_span doc, struct status_drain *out)
{
	memset(out, 0, sizeof *out);
	if (!json_get_string(doc, "maintenance.state", out->state, sizeof out->state))
		return false;
	json_get_uint(doc, "maintenance.draining.tasks", &out->tasks);
	json_get_uint(doc, "maintenance.draining.agent_jobs", &out->agent_jobs);
	out->sessions = json_get(doc, "maintenance.draining.sessions", &(struct json_span){ 0 });
	return true;
}

/* ", " separated strings of an array. */
static void put_string_list(FILE *out, struct json_span array)
{
	struct json_iter it;
	struct json_span key, value;
	char text[TEXT_MAX];
	bool first = true;

	if (!json_iter_start(array, &it))
		return;
	while (json_iter_next(&it, &key, &value)) {
		if (!json_string(value, text, sizeof text))
			continue;
		fputs(first ? "" : ", ", out);
		status_put_text(out, text);
		first = false;
	}
}

/* "    acme: 2 tasks, 0 agent jobs" per tenant still draining. */
static void print_tenants(FILE *out, struct json_span doc, bool sessions)
{
	struct json_span tenants, key, tenant;
	struct json_iter it;
	char name[TEXT_MAX];

	if (!json_get(doc, "maintenance.draining.tenants", &tenants) || !json_iter_start(tenants, &it))
		return;
	while (json_iter_next(&it, &key, &tenant)) {
		struct status_drain counts = { .sessions = sessions };
		if (!json_get_string(tenant, "tenant", name, sizeof name))
			continue;
		json_get_uint(tenant, "tasks", &counts.tasks);
		json_get_uint(tenant, "agent_jobs", &counts.agent_jobs);
		fputs("    ", out);
		status_put_text(out, name);
		fputs(": ", out);
		status_print_counts(out, &counts);
		putc('\n', out);
	}
}

void status_print_maintenance(FILE *out, struct json_span doc, bool tenants)
{
	struct status_drain drain;
	struct json_span value;
	char mode[TEXT_MAX];
	uint64_t left;

	if (!status_drain(doc, &drain)) {
		fputs("maintenance: (not reported)\n", out);
		return;
	}
	/* The daemon's states (active, draining, maintenance) read as on/off
	 * here, so that "maintenance: maintenance" is never printed. */
	if (strcmp(drain.state, "active") == 0) {
		fputs("maintenance: off\n", out);
		return;
	}
	fputs("maintenance: on", out);
	if (strcmp(drain.state, "draining") == 0)
		fputs(", draining", out);
	else if (json_get_string(doc, "maintenance.mode", mode, sizeof mode) &&
		 (strcmp(mode, "drain") == 0 || strcmp(mode, "hold") == 0))
		fputs(", drained", out);
	else if (strcmp(drain.state, "maintenance") != 0) {
		fputs(", ", out);
		status_put_text(out, drain.state);
	}
	put_member(out, doc, ", mode ", "maintenance.mode");
	put_member(out, doc, ", since ", "maintenance.since");
	if (json_get(doc, "maintenance.categories", &value)) {
		fputs("; categories ", out);
		put_string_list(out, value);
	}
	putc('\n', out);
	if (put_member(out, doc, "  message: ", "maintenance.message"))
		putc('\n', out);
	if (strcmp(drain.state, "draining") != 0)
		return;
	fputs("  draining: ", out);
	status_print_counts(out, &drain);
	if (json_get_uint(doc, "maintenance.drain_time_left_seconds", &left)) {
		fputs("; the rest is blocked in ", out);
		put_duration(out, left);
	}
	putc('\n', out);
	if (tenants)
		print_tenants(out, doc, drain.sessions);
}

static void print_process(FILE *out, struct json_span doc)
{
	char text[TEXT_MAX];
	uint64_t number;

	fputs("sluice", out);
	put_member(out, doc, " ", "version");
	if (json_get_uint(doc, "pid", &number))
		fprintf(out, ", pid %llu", (unsigned long long)number);
	if (json_get_uint(doc, "uptime_seconds", &number)) {
		fputs(", up ", out);
		put_duration(out, number);
	}
	putc('\n', out);
	if (json_get_string(doc, "config.file", text, sizeof text)) {
		fputs("configuration: ", out);
		status_put_text(out, text);
		if (json_get_uint(doc, "config.generation", &number))
			fprintf(out, ", generation %llu", (unsigned long long)number);
		put_member(out, doc, ", loaded ", "config.loaded_at");
		putc('\n', out);
	}
	if (json_get_string(doc, "reloads.last.result", text, sizeof text)) {
		fputs("last reload: ", out);
		status_put_text(out, text);
		put_member(out, doc, " at ", "reloads.last.at");
		if (json_get_string(doc, "reloads.last.error", text, sizeof text) && text[0] != '\0') {
			fputs(": ", out);
			status_put_text(out, text);
		}
		putc('\n', out);
	}
}

static void print_traffic(FILE *out, struct json_span doc)
{
	struct json_span jobs, key, value;
	struct json_iter it;
	char name[TEXT_MAX];
	uint64_t number;
	bool first = true;

	if (json_get_uint(doc, "connections.current", &number)) {
		fprintf(out, "connections: %llu", (unsigned long long)number);
		if (json_get_uint(doc, "connections.max", &number))
			fprintf(out, " (max %llu)", (unsigned long long)number);
		putc('\n', out);
	}
	if (!json_get(doc, "jobs_open", &jobs) || !json_iter_start(jobs, &it) || !it.object)
		return;
	while (json_iter_next(&it, &key, &value)) {
		if (!json_string(key, name, sizeof name) || !json_uint(value, &number))
			continue;
		fputs(first ? "jobs open: " : ", ", out);
		status_put_text(out, name);
		fprintf(out, " %llu", (unsigned long long)number);
		first = false;
	}
	if (!first)
		putc('\n', out);
}

/* One session: "    acme /acme/main from 10.0.0.7: backup, 1 lock, 12 writes
 * (201326592 bytes), snapshot saved, draining". */
static void print_session(FILE *out, struct json_span session)
{
	uint64_t locks = 0, writes = 0, bytes = 0;
	bool snapshot = false, draining = false;

	put_member(out, session, "    ", "tenant");
	put_member(out, session, " ", "repository");
	put_member(out, session, " from ", "address");
	put_member(out, session, ": ", "category");
	json_get_uint(session, "locks", &locks);
	json_get_uint(session, "writes", &writes);
	json_get_uint(session, "bytes", &bytes);
	json_get_bool(session, "snapshot", &snapshot);
	json_get_bool(session, "draining", &draining);
	fprintf(out, ", %llu lock%s, %llu write%s (%llu bytes)%s%s\n", (unsigned long long)locks,
		locks == 1 ? "" : "s", (unsigned long long)writes, writes == 1 ? "" : "s",
		(unsigned long long)bytes, snapshot ? ", snapshot saved" : "", draining ? ", draining" : "");
}

/* The restic profile's sessions, when the daemon reports them. */
static void print_sessions(FILE *out, struct json_span doc)
{
	struct json_span list, key, session;
	struct json_iter it;
	uint64_t open = 0, listed = 0;

	if (!json_get_uint(doc, "sessions.open", &open))
		return;
	fprintf(out, "restic sessions: %llu open\n", (unsigned long long)open);
	if (!json_get(doc, "sessions.list", &list) || !json_iter_start(list, &it))
		return;
	while (json_iter_next(&it, &key, &session))
		print_session(out, session);
	if (json_get_uint(doc, "sessions.listed", &listed) && listed < open)
		fprintf(out, "    ... %llu more\n", (unsigned long long)(open - listed));
}

void status_print(FILE *out, struct json_span doc)
{
	print_process(out, doc);
	status_print_maintenance(out, doc, true);
	print_sessions(out, doc);
	print_traffic(out, doc);
}

int ctl_status(const struct ctl_args *args)
{
	struct ctl_daemon daemon;
	struct admin_reply reply;
	struct ctl_error err;
	struct json_span doc;

	if (!ctl_daemon_find(args->config_path, &daemon, &err) ||
	    status_fetch(&daemon, args->timeout_set ? args->timeout_ms : CTL_REPLY_TIMEOUT_MS, &reply, &doc,
			 &err) != ADMIN_OK) {
		ctl_warn("%s", err.message);
		return CTL_EXIT_FAILED;
	}
	if (args->json) {
		admin_reply_print(stdout, &reply);
	} else {
		status_print(stdout, doc);
	}
	admin_reply_free(&reply);
	if (fflush(stdout) != 0) {
		ctl_warn("cannot write to standard output");
		return CTL_EXIT_FAILED;
	}
	return CTL_EXIT_OK;
}
