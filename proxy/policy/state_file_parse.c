/*
 * proxy/policy/state_file_parse.c: reading a state file back (see
 * state_file.h). All or nothing: the first line, then the last (record count
 * and checksum) are checked before any record is read; records go into a
 * fresh table, which is freed at the first fault. Pure.
 */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/state_file.h"

#define FIELDS_MAX 16
#define NAMES_MAX 100000u /* [maintenance] tenants or exempt names a file may list */

struct parser {
	const char *data;
	size_t len;
	size_t line_no;
	char line[STATE_FILE_LINE_MAX + 1];
	char *field[FIELDS_MAX];
	size_t fields;
	double wall_offset;
	const struct jobs_limits *limits;
	struct state_file_load *out;
	bool have_policy;
	bool have_session; /* a session line waits for its job line */
	struct job_session session;
	char *why;
	size_t why_size;
};

static bool fail(struct parser *p, const char *format, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct parser *p, const char *format, ...)
{
	va_list ap;
	int n = 0;

	if (p->line_no > 0)
		n = snprintf(p->why, p->why_size, "line %zu: ", p->line_no);
	if (n < 0 || (size_t)n >= p->why_size)
		return false;
	va_start(ap, format);
	vsnprintf(p->why + n, p->why_size - (size_t)n, format, ap);
	va_end(ap);
	return false;
}

/* The line [start, end) (no newline) split at single spaces. */
static bool split_line(struct parser *p, const char *start, const char *end)
{
	size_t len = (size_t)(end - start);
	char *f;

	if (len > STATE_FILE_LINE_MAX)
		return fail(p, "longer than %d bytes", STATE_FILE_LINE_MAX);
	memcpy(p->line, start, len);
	p->line[len] = '\0';
	p->fields = 0;
	for (f = p->line;;) {
		char *space = strchr(f, ' ');

		if (*f == '\0' || f == space || p->fields == FIELDS_MAX)
			return fail(p, "not a record (empty or extra fields)");
		p->field[p->fields++] = f;
		if (space == NULL)
			return true;
		*space = '\0';
		f = space + 1;
	}
}

static bool want_fields(struct parser *p, size_t count)
{
	if (p->fields != count)
		return fail(p, "%s: %zu fields, expected %zu", p->field[0], p->fields, count);
	return true;
}

/* ---- fields ---- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A percent-encoded string of at most max bytes into out[max + 1]. */
static bool field_string(struct parser *p, size_t i, char *out, size_t max)
{
	const char *f = p->field[i];
	size_t n = 0;

	if (strcmp(f, "-") == 0) {
		out[0] = '\0';
		return true;
	}
	for (; *f != '\0'; f++) {
		int c = (unsigned char)*f;

		if (c == '%') {
			int hi = hex_digit(f[1]), lo = hi < 0 ? -1 : hex_digit(f[2]);

			if (lo < 0 || (hi == 0 && lo == 0))
				return fail(p, "field %zu: a bad %%-escape", i);
			c = hi * 16 + lo;
			f += 2;
		}
		if (n == max)
			return fail(p, "field %zu: longer than %zu bytes", i, max);
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return true;
}

static bool field_u64(struct parser *p, size_t i, uint64_t max, uint64_t *out)
{
	const char *f = p->field[i];
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(f, &end, 10);
	if (*f < '0' || *f > '9' || *end != '\0' || errno != 0 || v > max)
		return fail(p, "field %zu: not a number from 0 to %llu", i, (unsigned long long)max);
	*out = v;
	return true;
}

static bool field_size(struct parser *p, size_t i, size_t *out)
{
	uint64_t v;

	if (!field_u64(p, i, SIZE_MAX, &v))
		return false;
	*out = (size_t)v;
	return true;
}

static bool field_int(struct parser *p, size_t i, int min, int max, int *out)
{
	uint64_t v;

	if (!field_u64(p, i, (uint64_t)max, &v) || (int)v < min)
		return fail(p, "field %zu: not a number from %d to %d", i, min, max);
	*out = (int)v;
	return true;
}

static bool field_bool(struct parser *p, size_t i, bool *out)
{
	int v = 0;

	if (!field_int(p, i, 0, 1, &v))
		return false;
	*out = v == 1;
	return true;
}

static bool field_seconds(struct parser *p, size_t i, double *out)
{
	const char *f = p->field[i];
	char *end;
	double v;

	errno = 0;
	v = strtod(f, &end);
	if (*f < '0' || *f > '9' || *end != '\0' || errno != 0 || !isfinite(v) || v < 0)
		return fail(p, "field %zu: not a number of seconds", i);
	*out = v;
	return true;
}

/* A wall-clock time on the caller's clock; 0 stays 0 (none) unless needed. */
static bool field_time(struct parser *p, size_t i, bool needed, double *out)
{
	double wall;

	if (!field_seconds(p, i, &wall))
		return false;
	if (wall == 0 && needed)
		return fail(p, "field %zu: a time is missing", i);
	*out = wall == 0 ? 0 : wall - p->wall_offset;
	return true;
}

/* ---- records ---- */

static bool parse_state(struct parser *p, size_t i, enum policy_state *out)
{
	for (enum policy_state s = POLICY_OFF; s <= POLICY_BLOCKED; s++)
		if (strcmp(p->field[i], policy_state_name(s)) == 0) {
			*out = s;
			return true;
		}
	return fail(p, "unknown maintenance state %s", p->field[i]);
}

static bool parse_mode(struct parser *p, size_t i, enum policy_mode *out)
{
	for (enum policy_mode m = POLICY_MODE_DRAIN; m <= POLICY_MODE_HOLD; m++)
		if (strcmp(p->field[i], policy_mode_name(m)) == 0) {
			*out = m;
			return true;
		}
	return fail(p, "unknown maintenance mode %s", p->field[i]);
}

static bool parse_categories(struct parser *p, size_t i, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(p->field[i], &end, 16);

	if (strncmp(p->field[i], "0x", 2) != 0 || *end != '\0' || v == 0 || (v & ~POLICY_CATEGORIES_ALLOWED))
		return fail(p, "bad maintenance categories %s", p->field[i]);
	*out = (unsigned)v;
	return true;
}

static bool record_policy(struct parser *p)
{
	struct policy_settings *s = &p->out->settings;
	struct policy_saved *saved = &p->out->saved;
	uint64_t generation;

	if (p->have_policy)
		return fail(p, "a second policy line");
	if (!want_fields(p, 11) || !parse_state(p, 1, &saved->state) || !parse_mode(p, 2, &s->mode) ||
	    !parse_categories(p, 3, &s->categories) || !field_seconds(p, 4, &s->drain_timeout) ||
	    !field_bool(p, 5, &s->refuse_session_refresh) ||
	    !field_time(p, 6, saved->state != POLICY_OFF, &saved->since) ||
	    !field_time(p, 7, false, &saved->drained_at) || !field_u64(p, 8, UINT64_MAX, &generation) ||
	    !field_size(p, 9, &saved->cut_tasks) || !field_size(p, 10, &saved->cut_jobs))
		return false;
	saved->generation = generation;
	s->enabled = false; /* the configuration decides; the saved state is restored apart */
	p->have_policy = true;
	return true;
}

/* A scope or exempt line: one more tenant name. */
static bool record_name(struct parser *p, bool exempt)
{
	char name[TSP_TENANT_MAX + 1], *copy, **grown;
	char ***names = exempt ? &p->out->exempt : &p->out->scope;
	size_t *count = exempt ? &p->out->settings.exempt_count : &p->out->settings.scope_count;

	if (!want_fields(p, 2) || !field_string(p, 1, name, TSP_TENANT_MAX))
		return false;
	if (name[0] == '\0')
		return fail(p, "an empty tenant name");
	if (*count == NAMES_MAX)
		return fail(p, "more than %u tenant names", NAMES_MAX);
	copy = strdup(name);
	grown = copy == NULL ? NULL : realloc(*names, (*count + 1) * sizeof(**names));
	if (grown == NULL) {
		free(copy);
		return fail(p, "out of memory");
	}
	grown[(*count)++] = copy;
	*names = grown;
	if (exempt)
		p->out->settings.exempt_tenants = grown;
	else
		p->out->settings.scope_tenants = grown;
	return true;
}

static bool record_session(struct parser *p)
{
	struct job_session *s = &p->session;

	if (p->have_session)
		return fail(p, "a session line not followed by its job line");
	memset(s, 0, sizeof(*s));
	if (!want_fields(p, 9) || !field_string(p, 1, s->repository, TSP_REPOSITORY_MAX) ||
	    !field_string(p, 2, s->client, TSP_CLIENT_MAX) || !field_u64(p, 3, UINT64_MAX, &s->writes) ||
	    !field_u64(p, 4, UINT64_MAX, &s->bytes) || !field_u64(p, 5, UINT64_MAX, &s->refused) ||
	    !field_bool(p, 6, &s->snapshot) || !field_bool(p, 7, &s->refusal_seen) ||
	    !field_bool(p, 8, &s->config_read))
		return false;
	p->have_session = true;
	return true;
}

/* Why a restore was refused, for the report. */
static bool job_refused(struct parser *p, enum jobs_result result, const char *tenant, const char *id)
{
	const struct jobs_limits *l = p->limits;

	switch (result) {
	case JOBS_EXISTS:
		return fail(p, "job %s of %s listed twice", id, tenant);
	case JOBS_FULL:
		if (jobs_full(p->out->jobs))
			return fail(p, "more jobs than [limits] job_table_size (%zu) allows", l->max_jobs);
		return fail(p, "more jobs of %s than [limits] tenant_jobs (%zu) allows", tenant,
			    l->max_tenant_jobs);
	case JOBS_BAD_NAME:
		return fail(p, "a bad tenant or job name");
	default:
		return fail(p, "out of memory");
	}
}

static bool record_job(struct parser *p)
{
	char tenant[TSP_TENANT_MAX + 1], id[TSP_ID_MAX + 1];
	struct job_saved saved = { .tenant = tenant, .id = id };
	int category = 0, origin = 0, workload = 0, operation = 0;
	uint64_t done_tasks;
	struct job *job;
	enum jobs_result result;

	if (!want_fields(p, 13) || !field_string(p, 1, tenant, TSP_TENANT_MAX) ||
	    !field_int(p, 2, TSP_CAT_BACKUP, TSP_CAT_COUNT - 1, &category) ||
	    !field_string(p, 3, id, TSP_ID_MAX) || !field_int(p, 4, 0, TSP_ORIGIN_AGENT, &origin) ||
	    !field_int(p, 5, 0, TSP_WORKLOAD_MAC, &workload) ||
	    !field_int(p, 6, 0, TSP_OP_UNDO, &operation) || !field_bool(p, 7, &saved.learned) ||
	    !field_bool(p, 8, &saved.draining) || !field_time(p, 9, true, &saved.opened_at) ||
	    !field_time(p, 10, true, &saved.last_activity) || !field_u64(p, 11, UINT32_MAX, &done_tasks) ||
	    !field_u64(p, 12, UINT64_MAX, &saved.done_bytes))
		return false;
	saved.category = (enum tsp_category)category;
	saved.desc.origin = (enum tsp_origin)origin;
	saved.desc.workload = (enum tsp_workload)workload;
	saved.desc.operation = (enum tsp_operation)operation;
	saved.done_tasks = (uint32_t)done_tasks;
	saved.session = p->have_session ? &p->session : NULL;
	p->have_session = false;
	result = jobs_restore_job(p->out->jobs, &saved, &job);
	return result == JOBS_OK || job_refused(p, result, tenant, id);
}

static bool task_refused(struct parser *p, enum jobs_result result, const struct job *job, const char *id)
{
	const struct jobs_limits *l = p->limits;

	switch (result) {
	case JOBS_EXISTS:
		return fail(p, "task %s of job %s listed twice", id, job->key.id);
	case JOBS_FULL:
		if (job->task_count >= l->max_tasks)
			return fail(p, "more open tasks in job %s than [limits] job_tasks (%zu) allows",
				    job->key.id, l->max_tasks);
		if (jobs_task_count(p->out->jobs) >= l->max_all_tasks)
			return fail(p, "more open tasks than [limits] job_table_size (%zu) allows",
				    l->max_all_tasks);
		return fail(p, "more open tasks of %s than [limits] tenant_tasks (%zu) allows",
			    job->tenant->name, l->max_tenant_tasks);
	case JOBS_BAD_NAME:
		return fail(p, "a bad task name");
	default:
		return fail(p, "out of memory");
	}
}

static bool record_task(struct parser *p)
{
	char tenant[TSP_TENANT_MAX + 1], job_id[TSP_ID_MAX + 1], id[TSP_ID_MAX + 1];
	struct job_task_saved saved = { .id = id };
	int category = 0;
	struct job *job;
	enum jobs_result result;

	if (!want_fields(p, 12) || !field_string(p, 1, tenant, TSP_TENANT_MAX) ||
	    !field_int(p, 2, TSP_CAT_BACKUP, TSP_CAT_COUNT - 1, &category) ||
	    !field_string(p, 3, job_id, TSP_ID_MAX) || !field_string(p, 4, id, TSP_ID_MAX) ||
	    !field_bool(p, 5, &saved.learned) || !field_bool(p, 6, &saved.draining) ||
	    !field_time(p, 7, true, &saved.opened_at) || !field_time(p, 8, true, &saved.last_activity) ||
	    !field_time(p, 9, false, &saved.last_write) || !field_u64(p, 10, UINT64_MAX, &saved.bytes) ||
	    !field_u64(p, 11, UINT64_MAX, &saved.writes))
		return false;
	job = jobs_find(p->out->jobs, tenant, (enum tsp_category)category, job_id);
	if (job == NULL)
		return fail(p, "task %s of job %s, which no earlier line opens", id, job_id);
	result = jobs_restore_task(p->out->jobs, job, &saved);
	return result == JOBS_OK || task_refused(p, result, job, id);
}

static bool record(struct parser *p, const char *start, const char *end)
{
	const char *kind;

	if (!split_line(p, start, end))
		return false;
	kind = p->field[0];
	if (!p->have_policy && strcmp(kind, "policy") != 0)
		return fail(p, "the first record must be the policy line");
	if (p->have_session && strcmp(kind, "job") != 0)
		return fail(p, "a session line not followed by its job line");
	if (strcmp(kind, "policy") == 0)
		return record_policy(p);
	if (strcmp(kind, "scope") == 0 || strcmp(kind, "exempt") == 0)
		return record_name(p, kind[0] == 'e');
	if (strcmp(kind, "session") == 0)
		return record_session(p);
	if (strcmp(kind, "job") == 0)
		return record_job(p);
	if (strcmp(kind, "task") == 0)
		return record_task(p);
	return fail(p, "unknown record %.32s", kind);
}

/* ---- the first and the last line ---- */

static bool check_header(struct parser *p, const char *end, const char *profile)
{
	char name[64];
	int version = 0;

	p->line_no = 1;
	if (!split_line(p, p->data, end) || p->fields != 4 || strcmp(p->field[0], STATE_FILE_MAGIC) != 0)
		return fail(p, "not a sluice state file (no \"%s %d\" first line)", STATE_FILE_MAGIC,
			    STATE_FILE_VERSION);
	if (!field_int(p, 1, 0, 1000000, &version) || version != STATE_FILE_VERSION)
		return fail(p, "format version %s; this sluice reads version %d", p->field[1],
			    STATE_FILE_VERSION);
	if (!field_string(p, 2, name, sizeof name - 1) || strcmp(name, profile) != 0)
		return fail(p, "written under [proxy] profile = %s; this one runs %s", p->field[2], profile);
	if (!field_seconds(p, 3, &p->out->written_at) || p->out->written_at == 0)
		return fail(p, "no time of writing");
	return true;
}

/* The last line: the record count and the checksum of everything before it. */
static bool check_trailer(struct parser *p, const char *body, const char *last)
{
	size_t records = 0, count;
	uint64_t sum;
	char *end;
	unsigned long long want;

	for (const char *c = body; c < last; c++)
		records += *c == '\n';
	p->line_no = records + 2;
	if (!split_line(p, last, p->data + p->len - 1) || p->fields != 3 || strcmp(p->field[0], "end") != 0)
		return fail(p, "no end line: the file is truncated");
	if (!field_size(p, 1, &count) || count != records)
		return fail(p, "the end line counts %s records, the file holds %zu: truncated or edited",
			    p->field[1], records);
	want = strtoull(p->field[2], &end, 16);
	sum = state_file_fnv1a(p->data, (size_t)(last - p->data));
	if (strlen(p->field[2]) != 16 || *end != '\0' || want != sum)
		return fail(p, "checksum mismatch: the file was edited or damaged");
	p->out->records = records;
	return true;
}

static bool parse(struct parser *p, const char *profile)
{
	const char *end = p->data + p->len, *header_end, *body, *last, *line;

	if (p->len == 0)
		return fail(p, "the file is empty");
	if (memchr(p->data, '\0', p->len) != NULL)
		return fail(p, "not a sluice state file (a NUL byte)");
	header_end = memchr(p->data, '\n', p->len);
	if (header_end == NULL)
		return fail(p, "no end line: the file is truncated");
	if (!check_header(p, header_end, profile))
		return false;
	body = header_end + 1;
	if (end[-1] != '\n' || body >= end)
		return fail(p, "no end line: the file is truncated");
	for (last = end - 1; last > body && last[-1] != '\n'; last--)
		;
	if (!check_trailer(p, body, last))
		return false;
	p->line_no = 1;
	for (line = body; line < last;) {
		const char *nl = memchr(line, '\n', (size_t)(last - line));

		p->line_no++;
		if (!record(p, line, nl))
			return false;
		line = nl + 1;
	}
	p->line_no++;
	if (!p->have_policy)
		return fail(p, "no policy line");
	if (p->have_session)
		return fail(p, "a session line not followed by its job line");
	if (p->out->saved.state == POLICY_OFF &&
	    jobs_draining_tasks(p->out->jobs) + jobs_draining_jobs(p->out->jobs) > 0)
		return fail(p, "entries marked draining while maintenance is off");
	return true;
}

bool state_file_parse(const char *data, size_t len, const char *profile, const struct jobs_limits *limits,
		      double wall_offset, struct state_file_load *out, char *why, size_t why_size)
{
	struct parser *p = calloc(1, sizeof(*p));
	bool ok;

	memset(out, 0, sizeof(*out));
	if (p == NULL) {
		snprintf(why, why_size, "out of memory");
		return false;
	}
	*p = (struct parser){ .data = data,
			      .len = len,
			      .wall_offset = wall_offset,
			      .limits = limits,
			      .out = out,
			      .why = why,
			      .why_size = why_size };
	policy_settings_default(&out->settings);
	out->jobs = jobs_new(limits);
	ok = out->jobs != NULL ? parse(p, profile) : fail(p, "out of memory or bad [limits]");
	if (!ok)
		state_file_load_free(out);
	free(p);
	return ok;
}
