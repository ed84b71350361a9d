/*
 * tools/ctl/ctl_reload.c: reload through the admin endpoint, or SIGHUP (see
 * ctl_reload.h for the order).
 */
#include "autoconfig.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl_admin_client.h"
#include "protocol/json.h"
#include "ctl_reload.h"
#include "ctl_status.h"
#include "conf/value.h"

#define RELOAD_POLL_MS 100 /* between two GET /status while a SIGHUP is applied */

static void set_detail(struct ctl_reload_result *result, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/* A detail cut to fit, as every message here may be. */
static void set_detail(struct ctl_reload_result *result, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(result->detail, sizeof result->detail, format, ap);
	va_end(ap);
}

/* The answer to POST /reload: {"result":"ok"|"failed", "generation":N, "error":"..."}. */
static void read_reload_answer(const char *socket_path, const struct admin_reply *reply,
			       struct ctl_reload_result *result)
{
	struct json_span doc = { reply->body, reply->body_len };
	char word[16];

	if (!json_valid(doc) || !json_get_string(doc, "result", word, sizeof word)) {
		result->outcome = RELOAD_UNKNOWN;
		set_detail(result, "%s: POST /reload answered %u without a result; see sluice's log",
			   socket_path, reply->status);
	} else if (strcmp(word, "ok") == 0) {
		result->outcome = RELOAD_APPLIED;
		json_get_uint(doc, "generation", &result->generation);
	} else {
		result->outcome = RELOAD_REFUSED;
		if (!json_get_string(doc, "error", result->detail, sizeof result->detail) ||
		    result->detail[0] == '\0')
			set_detail(result, "no reason given (HTTP %u); see sluice's log", reply->status);
	}
}

/* SIGHUP without anything to confirm it by. why (unless NULL): what the
 * admin socket said, for the message when sluice turns out not to run. */
static void signal_only(const struct ctl_daemon *daemon, const char *why, struct ctl_reload_result *result)
{
	struct ctl_error err;

	switch (ctl_daemon_signal(daemon, SIGHUP, &result->pid, &err)) {
	case DAEMON_SIGNALLED:
		result->outcome = RELOAD_SIGNALLED;
		break;
	case DAEMON_NOT_RUNNING:
		result->outcome = RELOAD_NO_DAEMON;
		set_detail(result, "%s%s%s", why != NULL ? why : "", why != NULL ? "; " : "", err.message);
		break;
	default:
		result->outcome = RELOAD_UNKNOWN;
		set_detail(result, "%s", err.message);
		break;
	}
}

/* reloads.ok + reloads.failed of a GET /status; false when not reported.
 * last (unless NULL) gets the outcome of reloads.last. */
static bool count_reloads(const struct ctl_daemon *daemon, uint64_t timeout_ms, uint64_t *count,
			  struct ctl_reload_result *last)
{
	struct admin_reply reply;
	struct ctl_error err;
	struct json_span doc;
	uint64_t ok = 0, failed = 0;
	char word[16];
	bool known;

	if (status_fetch(daemon, timeout_ms, &reply, &doc, &err) != ADMIN_OK)
		return false;
	known = json_get_uint(doc, "reloads.ok", &ok) && json_get_uint(doc, "reloads.failed", &failed);
	*count = ok + failed;
	if (known && last != NULL && json_get_string(doc, "reloads.last.result", word, sizeof word)) {
		last->outcome = strcmp(word, "ok") == 0 ? RELOAD_APPLIED : RELOAD_REFUSED;
		if (!json_get_uint(doc, "reloads.last.generation", &last->generation))
			json_get_uint(doc, "config.generation", &last->generation);
		if (last->outcome == RELOAD_REFUSED &&
		    !json_get_string(doc, "reloads.last.error", last->detail, sizeof last->detail))
			set_detail(last, "no reason given; see sluice's log");
	}
	admin_reply_free(&reply);
	return known;
}

/* The socket has /status but no /reload: SIGHUP, then watch the reload
 * counters until this reload shows. */
static void signal_and_watch(const struct ctl_daemon *daemon, uint64_t timeout_ms,
			     struct ctl_reload_result *result)
{
	uint64_t deadline = ctl_now_ms() + timeout_ms, before = 0, after;
	bool counted = count_reloads(daemon, timeout_ms, &before, NULL);
	char waited[CONFIG_FORMAT_MAX];

	signal_only(daemon, NULL, result);
	if (result->outcome == RELOAD_NO_DAEMON) { /* it answers on the socket, so it runs */
		char why[sizeof result->detail];
		snprintf(why, sizeof why, "%s", result->detail);
		result->outcome = RELOAD_UNKNOWN;
		set_detail(result, "sluice at %s has no POST /reload, and cannot be signalled either (%s)",
			   daemon->socket_path, why);
	}
	if (result->outcome != RELOAD_SIGNALLED || !counted)
		return; /* without reload counters in its status, only the signal is confirmed */
	while (ctl_now_ms() < deadline) {
		struct ctl_reload_result seen = *result;
		ctl_pause_ms(RELOAD_POLL_MS);
		if (count_reloads(daemon, timeout_ms, &after, &seen) && after > before) {
			*result = seen;
			return;
		}
	}
	config_format_duration(timeout_ms, waited);
	result->outcome = RELOAD_UNKNOWN;
	set_detail(result,
		   "sent SIGHUP to sluice (pid %ld), but no reload showed in its status within %s; "
		   "see its log",
		   (long)result->pid, waited);
}

void reload_daemon(const struct ctl_daemon *daemon, uint64_t timeout_ms, struct ctl_reload_result *result)
{
	struct admin_reply reply;
	struct ctl_error err;

	memset(result, 0, sizeof *result);
	if (daemon->socket_path[0] == '\0') {
		signal_only(daemon, "no [admin] socket is configured", result);
		return;
	}
	switch (admin_request(daemon->socket_path, "POST", "/reload", timeout_ms, &reply, &err)) {
	case ADMIN_NO_DAEMON:
		signal_only(daemon, err.message, result);
		return;
	case ADMIN_FAILED:
		result->outcome = RELOAD_UNKNOWN;
		set_detail(result, "%s", err.message);
		return;
	case ADMIN_OK:
		break;
	}
	if (reply.status == 404 || reply.status == 405 || reply.status == 501)
		signal_and_watch(daemon, timeout_ms, result);
	else
		read_reload_answer(daemon->socket_path, &reply, result);
	admin_reply_free(&reply);
}

int reload_report(const struct ctl_reload_result *result)
{
	switch (result->outcome) {
	case RELOAD_APPLIED:
		if (result->generation > 0)
			printf("reloaded: sluice runs configuration generation %llu\n",
			       (unsigned long long)result->generation);
		else
			printf("reloaded\n");
		return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
	case RELOAD_SIGNALLED:
		printf("sent SIGHUP to sluice (pid %ld); without the admin endpoint the result cannot be "
		       "confirmed here: see sluice's log\n",
		       (long)result->pid);
		return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
	case RELOAD_REFUSED:
		ctl_warn("reload refused, sluice keeps its running configuration: %s", result->detail);
		return CTL_EXIT_FAILED;
	case RELOAD_NO_DAEMON:
		ctl_warn("sluice is not running: %s", result->detail);
		return CTL_EXIT_FAILED;
	default:
		ctl_warn("%s", result->detail);
		return CTL_EXIT_FAILED;
	}
}

int ctl_reload(const struct ctl_args *args)
{
	struct ctl_reload_result result;
	struct ctl_daemon daemon;
	struct ctl_error err;

	if (!ctl_daemon_find(args->config_path, &daemon, &err)) {
		ctl_warn("%s", err.message);
		return CTL_EXIT_FAILED;
	}
	reload_daemon(&daemon, args->timeout_set ? args->timeout_ms : CTL_REPLY_TIMEOUT_MS, &result);
	return reload_report(&result);
}
