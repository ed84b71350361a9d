/*
 * tools/tenant/tenant_report.c: the job statistics, as text and as JSON (see
 * tenant_report.h).
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <string.h>

#include "protocol/json.h"
#include "tenant_report.h"

#define NAME_COLUMN_MIN 6 /* "(job)", "Notice" */

const char *run_status_name(enum run_status status)
{
	switch (status) {
	case RUN_SUCCESS:
		return "Success";
	case RUN_WARNING:
		return "Warning";
	case RUN_FAILED:
		return "Failed";
	}
	return "?";
}

void job_stats_settle(struct job_stats *st)
{
	bool task_failed = false;

	st->blocks = 0;
	st->bytes = 0;
	for (unsigned i = 0; i < st->task_count; i++) {
		const struct task_stats *t = &st->tasks[i];

		if (!t->started)
			continue;
		st->blocks += t->blocks;
		st->bytes += t->bytes;
		task_failed |= t->status == RUN_FAILED;
	}
	if (!st->opened || task_failed || st->aborted)
		st->status = RUN_FAILED;
	else if (st->why.message[0] != '\0')
		st->status = RUN_WARNING;
	else
		st->status = RUN_SUCCESS;
}

int job_stats_exit_code(const struct job_stats *st)
{
	if (st->aborted)
		return 2;
	return st->status == RUN_FAILED ? 1 : 0;
}

const char *report_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	unsigned u = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%" PRIu64 " B", bytes);
		return buf;
	}
	for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]); v /= 1024)
		u++;
	snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

/* Server text on a terminal: no control characters (no escape sequences). */
static void put_sanitized(FILE *out, const char *s)
{
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

static void put_failure_text(FILE *out, const struct failure *why)
{
	put_sanitized(out, why->message);
	if (why->http_status != 0)
		fprintf(out, " (%u %s)", why->http_status, why->code[0] != '\0' ? why->code : "error");
	else if (why->code[0] != '\0')
		fprintf(out, " (%s)", why->code);
}

/* Column widths, so that the task lines read as a table. */
struct columns {
	int name;
	int blocks;
};

static struct columns columns_of(const struct job_stats *st)
{
	struct columns col = { NAME_COLUMN_MIN, 1 };

	for (unsigned i = 0; i < st->task_count; i++) {
		const struct task_stats *t = &st->tasks[i];
		char digits[24];
		int len = (int)strlen(t->name);

		if (!t->started)
			continue;
		if (len > col.name)
			col.name = len;
		len = snprintf(digits, sizeof(digits), "%" PRIu64, t->blocks);
		if (len > col.blocks)
			col.blocks = len;
	}
	return col;
}

static void text_job_line(FILE *out, const struct job_stats *st)
{
	char bytes[32];

	fprintf(out, "Job %s  %s", st->job, tsp_category_name(st->category));
	if (st->operation != TSP_OP_NONE)
		fprintf(out, "/%s", tsp_operation_name(st->operation));
	fprintf(out, "  %s/%s", tsp_origin_name(st->origin), tsp_workload_name(st->workload));
	if (st->source != NULL && st->source[0] != '\0')
		fprintf(out, "  from %s", st->source);
	fprintf(out, "  %s  %.2f s  %s\n", run_status_name(st->status), (double)st->duration_us / 1e6,
		report_bytes(st->bytes, bytes, sizeof(bytes)));
}

static void text_task_line(FILE *out, const struct task_stats *t, const struct columns *col)
{
	char bytes[32];

	fprintf(out, "  %-*s  %-7s  %*" PRIu64 " block%s  %10s  %7.2f s", col->name, t->name,
		run_status_name(t->status), col->blocks, t->blocks, t->blocks == 1 ? " " : "s",
		report_bytes(t->bytes, bytes, sizeof(bytes)), (double)t->duration_us / 1e6);
	if (t->replica[0] != '\0') {
		fputs("  replica ", out);
		put_sanitized(out, t->replica);
	}
	if (t->status == RUN_FAILED) {
		fputs("  ", out);
		put_failure_text(out, &t->why);
	}
	fputc('\n', out);
}

void report_text(FILE *out, const struct job_stats *st)
{
	struct columns col = columns_of(st);
	int width = col.name;

	text_job_line(out, st);
	if (st->notice.present) {
		fprintf(out, "  %-*s  maintenance ", width, "Notice");
		put_sanitized(out, st->notice.mode);
		if (st->notice.since[0] != '\0') {
			fputs(" since ", out);
			put_sanitized(out, st->notice.since);
		}
		fputs(": ", out);
		put_sanitized(out, st->notice.message);
		fputc('\n', out);
	}
	if (st->why.message[0] != '\0') {
		fprintf(out, "  %-*s  %-7s  ", width, "(job)", run_status_name(st->status));
		put_failure_text(out, &st->why);
		fputc('\n', out);
	}
	for (unsigned i = 0; i < st->task_count; i++) {
		if (st->tasks[i].started)
			text_task_line(out, &st->tasks[i], &col);
	}
}

/* "" is absent: null. */
static const char *or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

static void json_failure(FILE *out, const struct failure *why, bool present)
{
	if (!present) {
		fputs("null", out);
		return;
	}
	fputs("{\"http_status\":", out);
	if (why->http_status != 0)
		fprintf(out, "%u", why->http_status);
	else
		fputs("null", out);
	fputs(",\"code\":", out);
	json_write_string(out, or_null(why->code));
	fputs(",\"message\":", out);
	json_write_string(out, why->message);
	fputc('}', out);
}

static void json_task(FILE *out, const struct task_stats *t)
{
	fputs("{\"task\":", out);
	json_write_string(out, t->name);
	fputs(",\"status\":", out);
	json_write_string(out, run_status_name(t->status));
	fprintf(out, ",\"blocks\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"duration_ms\":%" PRIu64, t->blocks,
		t->bytes, t->duration_us / 1000);
	fputs(",\"replica\":", out);
	json_write_string(out, or_null(t->replica));
	fputs(",\"error\":", out);
	json_failure(out, &t->why, t->status == RUN_FAILED);
	fputc('}', out);
}

static void json_notice(FILE *out, const struct notice *n)
{
	if (!n->present) {
		fputs("null", out);
		return;
	}
	fputs("{\"mode\":", out);
	json_write_string(out, n->mode);
	fputs(",\"since\":", out);
	json_write_string(out, or_null(n->since));
	fputs(",\"message\":", out);
	json_write_string(out, n->message);
	fputc('}', out);
}

void report_json(FILE *out, const struct job_stats *st)
{
	bool first = true;

	fputs("{\"job\":", out);
	json_write_string(out, st->job);
	fputs(",\"command\":", out);
	json_write_string(out, st->command);
	fputs(",\"category\":", out);
	json_write_string(out, tsp_category_name(st->category));
	fputs(",\"operation\":", out);
	json_write_string(out, or_null(tsp_operation_name(st->operation)));
	fputs(",\"origin\":", out);
	json_write_string(out, tsp_origin_name(st->origin));
	fputs(",\"workload\":", out);
	json_write_string(out, tsp_workload_name(st->workload));
	fputs(",\"source\":", out);
	json_write_string(out, or_null(st->source));
	fputs(",\"status\":", out);
	json_write_string(out, run_status_name(st->status));
	fputs(",\"result\":", out);
	json_write_string(out, or_null(tsp_result_name(st->sent_result)));
	fprintf(out, ",\"duration_ms\":%" PRIu64 ",\"blocks\":%" PRIu64 ",\"bytes\":%" PRIu64,
		st->duration_us / 1000, st->blocks, st->bytes);
	fputs(",\"error\":", out);
	json_failure(out, &st->why, st->why.message[0] != '\0');
	fputs(",\"maintenance\":", out);
	json_notice(out, &st->notice);
	fputs(",\"tasks\":[", out);
	for (unsigned i = 0; i < st->task_count; i++) {
		if (!st->tasks[i].started)
			continue;
		if (!first)
			fputc(',', out);
		first = false;
		json_task(out, &st->tasks[i]);
	}
	fputs("]}\n", out);
}
