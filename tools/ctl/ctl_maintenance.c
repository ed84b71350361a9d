/*
 * tools/ctl/ctl_maintenance.c: `sluicectl maintenance on|off`: edit the
 * [maintenance] keys of sluice.ini in place, prove the result loads, replace
 * the file, reload the daemon and report what it now does.
 *
 * The INI stays the single source of truth: the daemon is never told to
 * change maintenance except by reloading the file.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_admin_client.h"
#include "ctl_daemon.h"
#include "conf/ini_edit.h"
#include "ctl_ini_file.h"
#include "ctl_reload.h"
#include "ctl_status.h"
#include "conf/value.h"

#define MAINTENANCE_EDITS_MAX 5

/* One key the command sets, and the option it came from (for messages). */
struct maintenance_edit {
	const char *key;
	const char *value;
	const char *option;
};

static size_t collect_edits(const struct ctl_args *args, struct maintenance_edit *edits)
{
	size_t n = 0;

	edits[n++] = (struct maintenance_edit){ "enabled", args->maintenance_on ? "on" : "off",
						args->maintenance_on ? "on" : "off" };
	if (args->mode != NULL)
		edits[n++] = (struct maintenance_edit){ "mode", args->mode, "--mode" };
	if (args->message != NULL)
		edits[n++] = (struct maintenance_edit){ "message", args->message, "--message" };
	if (args->retry_after != NULL)
		edits[n++] = (struct maintenance_edit){ "retry_after", args->retry_after, "--retry-after" };
	return n;
}

void ctl_since_now(char out[CTL_SINCE_MAX])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, CTL_SINCE_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Whether the file says enabled = on (a value that is no boolean: off). */
static bool file_says_on(const struct ini_file *file)
{
	const char *value;
	size_t len;
	char word[16];
	struct config_error ignored;
	bool on = false;

	if (!ini_edit_find(file->text, file->len, "maintenance", "enabled", &value, &len) ||
	    len >= sizeof word)
		return false;
	memcpy(word, value, len);
	word[len] = '\0';
	return config_parse_bool(word, &on, &ignored) && on;
}

/* Turning maintenance on from off writes since = T, the same T for every
 * instance of a fleet (args->since) or now; already on, the since of the
 * file stays: T was taken when it went on. */
static void add_since(const struct ctl_args *args, const struct ini_file *file,
		      struct maintenance_edit *edits, size_t *count, char now[CTL_SINCE_MAX])
{
	if (!args->maintenance_on || file_says_on(file))
		return;
	if (args->since != NULL)
		snprintf(now, CTL_SINCE_MAX, "%s", args->since);
	else
		ctl_since_now(now);
	edits[(*count)++] = (struct maintenance_edit){ "since", now, "since" };
}

/* text without the line that sets [maintenance] since (maintenance off:
 * a T left in the file would be a stale one the next time it goes on). */
static void remove_since(char *text, size_t *len)
{
	const char *value;
	size_t value_len, start, end;

	if (!ini_edit_find(text, *len, "maintenance", "since", &value, &value_len))
		return;
	start = (size_t)(value - text);
	while (start > 0 && text[start - 1] != '\n')
		start--;
	end = (size_t)(value - text) + value_len;
	while (end < *len && text[end] != '\n')
		end++;
	/* and the line's newline */
	if (end < *len)
		end++;
	memmove(text + start, text + end, *len - end + 1); /* and the NUL */
	*len -= end - start;
}

/* Each value as the loader would take it, before the file is touched. */
static bool check_edits(const struct maintenance_edit *edits, size_t count, const char *path)
{
	for (size_t i = 0; i < count; i++) {
		const struct config_key *key = config_key_find("maintenance", edits[i].key);
		struct config_error err;
		char q[CONFIG_QUOTE_MAX];

		if (!config_check_value(key, edits[i].value, "/", &err) ||
		    !ini_edit_check_value(edits[i].value, &err)) {
			ctl_warn("%s %s: %s; %s is left as it was", edits[i].option,
				 config_quote(edits[i].value, q), err.message, path);
			return false;
		}
	}
	return true;
}

/* The file's text with every edit applied (malloc'd). */
static char *apply_edits(const struct ini_file *file, const struct maintenance_edit *edits, size_t count,
			 bool drop_since, size_t *len, struct ctl_error *err)
{
	char *text = NULL;
	size_t text_len = file->len;

	for (size_t i = 0; i < count; i++) {
		struct config_error edit_err;
		char *next;
		if (!ini_edit_set(text != NULL ? text : file->text, text_len, "maintenance", edits[i].key,
				  edits[i].value, &next, &text_len, &edit_err)) {
			free(text);
			ctl_fail(err, "[maintenance] %s: %s", edits[i].key, edit_err.message);
			return NULL;
		}
		free(text);
		text = next;
	}
	if (drop_since) {
		if (text == NULL && (text = strdup(file->text)) == NULL) {
			ctl_fail(err, "out of memory");
			return NULL;
		}
		remove_since(text, &text_len);
	}
	*len = text_len;
	return text;
}

static void print_edits(const char *path, const struct maintenance_edit *edits, size_t count, bool changed)
{
	printf("%s: [maintenance] ", path);
	for (size_t i = 0; i < count; i++) {
		printf("%s%s = ", i == 0 ? "" : ", ", edits[i].key);
		status_put_text(stdout, edits[i].value);
	}
	printf(changed ? " (written)\n" : " (already so, file not rewritten)\n");
}

/* Edit, validate and replace the file; *daemon from the result. */
static bool edit_file(const struct ctl_args *args, struct maintenance_edit *edits, size_t count,
		      struct ctl_daemon *daemon)
{
	struct sluice_config *cfg = NULL;
	struct ini_file file;
	struct ctl_error err;
	char since[CTL_SINCE_MAX];
	size_t len;
	char *text;
	bool changed, had_since, ok = false;

	if (!ini_file_open(&file, args->config_path, &err)) {
		ctl_warn("%s", err.message);
		return false;
	}
	add_since(args, &file, edits, &count, since);
	had_since = ini_edit_find(file.text, file.len, "maintenance", "since", &(const char *){ NULL },
				  &(size_t){ 0 });
	text = apply_edits(&file, edits, count, !args->maintenance_on, &len, &err);
	if (text == NULL) {
		ctl_warn("%s; %s is left as it was", err.message, args->config_path);
		goto out;
	}
	changed = len != file.len || memcmp(text, file.text, len) != 0;
	if (!changed) {
		ok = ctl_daemon_find(args->config_path, daemon, &err);
	} else {
		switch (ini_file_replace(&file, text, len, &cfg, &err)) {
		case INI_REPLACED:
			ctl_daemon_from_config(cfg, daemon);
			config_free(cfg);
			ok = true;
			break;
		case INI_REFUSED:
			ctl_warn("%s", err.message);
			ctl_warn("nothing written: %s is left as it was", args->config_path);
			goto out;
		case INI_FAILED:
			break;
		}
	}
	if (!ok)
		ctl_warn("%s", err.message);
	else
		print_edits(args->config_path, edits, count, changed);
	if (ok && had_since && !args->maintenance_on)
		printf("%s: [maintenance] since removed\n", args->config_path);
out:
	free(text);
	ini_file_close(&file); /* unlocked before the reload, which may take a while */
	return ok;
}

/* After an applied reload: what the daemon now does, and whether it is the
 * daemon of this file at all. */
static void show_applied(const struct ctl_daemon *daemon, const char *config_path)
{
	struct admin_reply reply;
	struct ctl_error err;
	struct json_span doc;
	char file[4096], *ours, *theirs;

	if (status_fetch(daemon, CTL_REPLY_TIMEOUT_MS, &reply, &doc, &err) != ADMIN_OK)
		return;
	status_print_maintenance(stdout, doc, false);
	if (json_get_string(doc, "config.file", file, sizeof file)) {
		ours = realpath(config_path, NULL);
		theirs = realpath(file, NULL);
		if (ours != NULL && theirs != NULL && strcmp(ours, theirs) != 0) {
			ctl_warn("warning: the sluice at %s runs with %s, not %s: this edit does not reach it",
				 daemon->socket_path, theirs, ours);
		}
		free(ours);
		free(theirs);
	}
	admin_reply_free(&reply);
}

int ctl_maintenance(const struct ctl_args *args)
{
	struct maintenance_edit edits[MAINTENANCE_EDITS_MAX];
	size_t count = collect_edits(args, edits);
	struct ctl_reload_result result;
	struct ctl_daemon daemon;

	if (!check_edits(edits, count, args->config_path) || !edit_file(args, edits, count, &daemon))
		return CTL_EXIT_FAILED;
	reload_daemon(&daemon, args->timeout_set ? args->timeout_ms : CTL_REPLY_TIMEOUT_MS, &result);
	if (result.outcome == RELOAD_NO_DAEMON) {
		ctl_warn("sluice is not running (%s); %s is written and takes effect when sluice starts",
			 result.detail, args->config_path);
		return CTL_EXIT_FAILED;
	}
	if (result.outcome == RELOAD_REFUSED)
		ctl_warn("%s is written and loads here, but the running sluice refused it",
			 args->config_path);
	if (reload_report(&result) != CTL_EXIT_OK)
		return CTL_EXIT_FAILED;
	if (result.outcome == RELOAD_APPLIED)
		show_applied(&daemon, args->config_path);
	return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
}
