/*
 * tools/ctl/ctl_plan.c: `sluicectl maintenance plan`: GET /plan, the dry run
 * of maintenance, as a table and a summary line (or the answer itself with
 * --json). Changes nothing, in the file or in the daemon.
 *
 * The members read (the daemon's admin_plan.c writes them):
 *   mode, sessions, maintenance.state, next_window, drain_timeout_seconds, truncated,
 *   totals.tenants, totals.counts.{tasks,agent_jobs,refused_jobs,unknown_estimates},
 *   totals.estimated_drain_seconds (null: unknown), skipped.{disabled,exempt,out_of_scope},
 *   tenants[].tenant, and per tenant the arrays tasks[], agent_jobs[] (category, job,
 *   task or kind and open_tasks, open_seconds, writes, bytes, rate_bytes_per_second,
 *   estimated_seconds_left, estimate) and refused_jobs[] (category, job).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_status.h"

#define PLAN_COLUMNS 8
#define PLAN_CELL_MAX 160
#define PLAN_TARGET_MAX 1024

static const char *const headings[PLAN_COLUMNS] = { "TENANT", "JOB",     "TASK", "OPENED",
						    "WRITES", "WRITTEN", "RATE", "ESTIMATE" };

struct plan_row {
	char cells[PLAN_COLUMNS][PLAN_CELL_MAX];
};

struct plan_table {
	struct plan_row *rows;
	size_t count, size;
	int widths[PLAN_COLUMNS];
	bool failed;
};

/* ---- formatting ---- */

/* "512 B", "3.0 KiB", "1.5 GiB" */
static void format_bytes(uint64_t bytes, char *out, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double value = (double)bytes;
	size_t i = 0;

	while (value >= 1024 && i + 1 < sizeof units / sizeof units[0]) {
		value /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(out, size, "%llu B", (unsigned long long)bytes);
	else
		snprintf(out, size, "%.1f %s", value, units[i]);
}

/* Text from the daemon with control characters shown as '?'. */
static void clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* ---- the table ---- */

static struct plan_row *table_add(struct plan_table *t)
{
	if (t->count == t->size) {
		size_t size = t->size == 0 ? 16 : t->size * 2;
		struct plan_row *rows = realloc(t->rows, size * sizeof *rows);

		if (rows == NULL) {
			t->failed = true;
			return NULL;
		}
		t->rows = rows;
		t->size = size;
	}
	memset(&t->rows[t->count], 0, sizeof t->rows[0]);
	return &t->rows[t->count++];
}

static void fill_progress(struct json_span item, struct plan_row *row)
{
	char text[32], duration[32];
	uint64_t number;

	if (json_get_uint(item, "open_seconds", &number)) {
		status_format_duration(number, duration, sizeof duration);
		snprintf(row->cells[3], PLAN_CELL_MAX, "%s ago", duration);
	}
	if (json_get_uint(item, "writes", &number))
		snprintf(row->cells[4], PLAN_CELL_MAX, "%llu", (unsigned long long)number);
	if (json_get_uint(item, "bytes", &number))
		format_bytes(number, row->cells[5], PLAN_CELL_MAX);
	if (json_get_uint(item, "rate_bytes_per_second", &number)) {
		format_bytes(number, text, sizeof text);
		snprintf(row->cells[6], PLAN_CELL_MAX, "%s/s", text);
	} else {
		snprintf(row->cells[6], PLAN_CELL_MAX, "-");
	}
	json_get_string(item, "estimate", text, sizeof text);
	if (strcmp(text, "cut") == 0) {
		snprintf(row->cells[7], PLAN_CELL_MAX, "cut at once");
	} else if (json_get_uint(item, "estimated_seconds_left", &number)) {
		status_format_duration(number, duration, sizeof duration);
		snprintf(row->cells[7], PLAN_CELL_MAX, "%s left", duration);
	} else {
		snprintf(row->cells[7], PLAN_CELL_MAX, "unknown");
	}
}

/* One row per task or whole job of one tenant's array. */
static void add_rows(struct plan_table *t, const char *tenant, struct json_span array, bool whole)
{
	struct json_iter it;
	struct json_span key, item;

	if (!json_iter_start(array, &it))
		return;
	while (json_iter_next(&it, &key, &item)) {
		struct plan_row *row = table_add(t);
		char category[32] = "", job[80] = "", kind[16] = "";
		uint64_t open_tasks = 0;

		if (row == NULL)
			return;
		snprintf(row->cells[0], PLAN_CELL_MAX, "%s", tenant);
		json_get_string(item, "category", category, sizeof category);
		json_get_string(item, "job", job, sizeof job);
		snprintf(row->cells[1], PLAN_CELL_MAX, "%s/%s", category, job);
		if (whole) {
			json_get_string(item, "kind", kind, sizeof kind);
			json_get_uint(item, "open_tasks", &open_tasks);
			snprintf(row->cells[2], PLAN_CELL_MAX, "(%s job, %llu open)",
				 strcmp(kind, "session") == 0 ? "session" : "agent",
				 (unsigned long long)open_tasks);
		} else {
			json_get_string(item, "task", row->cells[2], PLAN_CELL_MAX);
		}
		fill_progress(item, row);
		for (int c = 0; c < PLAN_COLUMNS; c++)
			clean(row->cells[c]);
	}
}

static void print_table(FILE *out, struct plan_table *t)
{
	for (int c = 0; c < PLAN_COLUMNS; c++)
		t->widths[c] = (int)strlen(headings[c]);
	for (size_t r = 0; r < t->count; r++)
		for (int c = 0; c < PLAN_COLUMNS; c++)
			if ((int)strlen(t->rows[r].cells[c]) > t->widths[c])
				t->widths[c] = (int)strlen(t->rows[r].cells[c]);
	t->widths[PLAN_COLUMNS - 1] = 0; /* the last column is not padded */
	for (int c = 0; c < PLAN_COLUMNS; c++)
		fprintf(out, "%-*s%s", t->widths[c], headings[c], c + 1 < PLAN_COLUMNS ? "  " : "\n");
	for (size_t r = 0; r < t->count; r++)
		for (int c = 0; c < PLAN_COLUMNS; c++)
			fprintf(out, "%-*s%s", t->widths[c], t->rows[r].cells[c],
				c + 1 < PLAN_COLUMNS ? "  " : "\n");
}

/* "later tasks refused: acme backup/J1, backup/J2; beta backup/J3" */
static void print_refused(FILE *out, struct json_span tenants)
{
	struct json_iter it, jobs_it;
	struct json_span key, tenant, refused, job;
	bool first_tenant = true;

	if (!json_iter_start(tenants, &it))
		return;
	while (json_iter_next(&it, &key, &tenant)) {
		char name[80] = "", category[32], id[80];
		bool first = true;

		if (!json_get(tenant, "refused_jobs", &refused) || !json_iter_start(refused, &jobs_it))
			continue;
		json_get_string(tenant, "tenant", name, sizeof name);
		clean(name);
		while (json_iter_next(&jobs_it, &key, &job)) {
			category[0] = id[0] = '\0';
			json_get_string(job, "category", category, sizeof category);
			json_get_string(job, "job", id, sizeof id);
			clean(id);
			if (first)
				fprintf(out, "%s%s ", first_tenant ? "later tasks refused in: " : "; ", name);
			fprintf(out, "%s%s/%s", first ? "" : ", ", category, id);
			first = first_tenant = false;
		}
	}
	if (!first_tenant)
		putc('\n', out);
}

/* ---- the summary ---- */

static uint64_t member(struct json_span doc, const char *path)
{
	uint64_t value = 0;

	json_get_uint(doc, path, &value);
	return value;
}

static void print_estimate(FILE *out, struct json_span doc, bool block)
{
	uint64_t seconds, unknown = member(doc, "totals.counts.unknown_estimates");
	uint64_t draining = member(doc, "totals.counts.tasks") + member(doc, "totals.counts.agent_jobs");
	char text[32];

	if (block || draining == 0) {
		fputs("nothing to wait for", out);
		return;
	}
	if (!json_get_uint(doc, "totals.estimated_drain_seconds", &seconds)) {
		fputs("unknown (no task has a completed one in its job to go by)", out);
		return;
	}
	status_format_duration(seconds, text, sizeof text);
	if (unknown > 0)
		fprintf(out, "at least %s (%llu without an estimate)", text, (unsigned long long)unknown);
	else
		fprintf(out, "about %s", text);
	if (member(doc, "drain_timeout_seconds") > 0 && seconds > member(doc, "drain_timeout_seconds"))
		fputs(", beyond drain_timeout: the rest would be cut", out);
}

static void print_summary(FILE *out, struct json_span doc)
{
	char mode[16] = "drain", state[32] = "", window[64];
	bool block, truncated = false, sessions = false;
	struct json_span next;
	uint64_t tasks = member(doc, "totals.counts.tasks"), jobs = member(doc, "totals.counts.agent_jobs");
	uint64_t skipped[3] = { member(doc, "skipped.disabled"), member(doc, "skipped.exempt"),
				member(doc, "skipped.out_of_scope") };

	json_get_string(doc, "mode", mode, sizeof mode);
	json_get_string(doc, "maintenance.state", state, sizeof state);
	block = strcmp(mode, "block") == 0;
	json_get_bool(doc, "sessions", &sessions);
	fprintf(out,
		"plan (%s mode): %s %llu task%s and %llu %s%s of %llu tenant%s; "
		"later tasks of %llu job%s refused; drain: ",
		mode, block ? "would cut at once" : "would drain", (unsigned long long)tasks,
		tasks == 1 ? "" : "s", (unsigned long long)jobs, sessions ? "session" : "agent job",
		jobs == 1 ? "" : "s", (unsigned long long)member(doc, "totals.tenants"),
		member(doc, "totals.tenants") == 1 ? "" : "s",
		(unsigned long long)member(doc, "totals.counts.refused_jobs"),
		member(doc, "totals.counts.refused_jobs") == 1 ? "" : "s");
	print_estimate(out, doc, block);
	fprintf(out, "\n");
	if (skipped[0] + skipped[1] + skipped[2] > 0)
		fprintf(out, "left alone: %llu disabled, %llu exempt, %llu out of scope tenant(s)\n",
			(unsigned long long)skipped[0], (unsigned long long)skipped[1],
			(unsigned long long)skipped[2]);
	if (json_get_bool(doc, "truncated", &truncated) && truncated)
		fprintf(out, "the lists were cut at the daemon's bound; the counts cover everything\n");
	strcpy(window, "none");
	if (json_get(doc, "next_window", &next) && !json_is_null(next)) {
		char end[40] = "";
		bool running = false;

		json_get_string(next, "start", window, sizeof window);
		json_get_string(next, "end", end, sizeof end);
		json_get_bool(next, "running", &running);
		snprintf(window + strlen(window), sizeof window - strlen(window), " to %s%s", end,
			 running ? " (running now)" : "");
	}
	clean(window);
	clean(state);
	fprintf(out, "now: %s; next window: %s; nothing was changed\n", state, window);
}

static bool print_plan(FILE *out, struct json_span doc)
{
	struct plan_table table = { 0 };
	struct json_iter it;
	struct json_span key, tenant, tenants, array;

	if (json_get(doc, "tenants", &tenants) && json_iter_start(tenants, &it)) {
		while (json_iter_next(&it, &key, &tenant)) {
			char name[80] = "";

			json_get_string(tenant, "tenant", name, sizeof name);
			if (json_get(tenant, "tasks", &array))
				add_rows(&table, name, array, false);
			if (json_get(tenant, "agent_jobs", &array))
				add_rows(&table, name, array, true);
		}
	}
	if (table.failed) {
		free(table.rows);
		return false;
	}
	if (table.count > 0)
		print_table(out, &table);
	free(table.rows);
	print_refused(out, tenants);
	print_summary(out, doc);
	return true;
}

/* ---- the request ---- */

static bool valid_tenants(const char *list)
{
	if (*list == '\0')
		return false;
	for (const char *p = list; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-' || *p == ','))
			return false;
	return true;
}

/* "/plan?mode=block&tenants=a,b"; false on a usage error. */
static bool plan_target(const struct ctl_args *args, char *target, size_t size)
{
	int len;

	if (args->mode != NULL && strcmp(args->mode, "drain") != 0 && strcmp(args->mode, "block") != 0) {
		ctl_warn("--mode: give drain or block");
		return false;
	}
	if (args->tenants != NULL && !valid_tenants(args->tenants)) {
		ctl_warn("--tenants: give tenant names (A-Z a-z 0-9 . _ -) separated by commas");
		return false;
	}
	len = snprintf(target, size, "/plan%s%s%s%s%s", args->mode || args->tenants ? "?" : "",
		       args->mode ? "mode=" : "", args->mode ? args->mode : "",
		       args->mode && args->tenants ? "&" : "", args->tenants ? "tenants=" : "");
	if (args->tenants != NULL && len > 0 && (size_t)len < size)
		len += snprintf(target + len, size - (size_t)len, "%s", args->tenants);
	if (len < 0 || (size_t)len >= size || len > 256) {
		ctl_warn("--tenants: the list is too long for one request");
		return false;
	}
	return true;
}

static enum admin_result fetch(const struct ctl_daemon *daemon, const char *target, struct admin_reply *reply,
			       struct json_span *doc, struct ctl_error *err)
{
	enum admin_result result;
	char message[512];

	if (daemon->socket_path[0] == '\0') {
		ctl_fail(err,
			 "no [admin] socket is configured: set one (and restart sluice) to ask it for a plan");
		return ADMIN_FAILED;
	}
	result = admin_request(daemon->socket_path, "GET", target, CTL_REPLY_TIMEOUT_MS, reply, err);
	if (result == ADMIN_NO_DAEMON) {
		struct ctl_error why = *err;

		ctl_fail(err, "sluice is not running (%s)", why.message);
	}
	if (result != ADMIN_OK)
		return result;
	doc->ptr = reply->body;
	doc->len = reply->body_len;
	if (reply->status == 200 && json_valid(*doc))
		return ADMIN_OK;
	if (reply->status == 404)
		ctl_fail(err, "%s: GET /plan answered 404: this sluice has no dry run (upgrade it)",
			 daemon->socket_path);
	else if (json_valid(*doc) && json_get_string(*doc, "message", message, sizeof message))
		ctl_fail(err, "%s: GET /plan answered %u: %s", daemon->socket_path, reply->status, message);
	else
		ctl_fail(err, "%s: GET /plan answered %u", daemon->socket_path, reply->status);
	admin_reply_free(reply);
	return ADMIN_FAILED;
}

int ctl_plan(const struct ctl_args *args)
{
	char target[PLAN_TARGET_MAX];
	struct ctl_daemon daemon;
	struct admin_reply reply;
	struct ctl_error err;
	struct json_span doc;
	bool printed = true;

	if (!plan_target(args, target, sizeof target))
		return CTL_EXIT_USAGE;
	if (!ctl_daemon_find(args->config_path, &daemon, &err) ||
	    fetch(&daemon, target, &reply, &doc, &err) != ADMIN_OK) {
		ctl_warn("%s", err.message);
		return CTL_EXIT_FAILED;
	}
	if (args->json) {
		admin_reply_print(stdout, &reply);
	} else {
		printed = print_plan(stdout, doc);
	}
	admin_reply_free(&reply);
	if (!printed || fflush(stdout) != 0) {
		ctl_warn("cannot write the plan to standard output");
		return CTL_EXIT_FAILED;
	}
	return CTL_EXIT_OK;
}
