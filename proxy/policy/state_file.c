/*
 * proxy/policy/state_file.c: writing the state file, and putting a parsed
 * one in force (see state_file.h; the parser is state_file_parse.c). Pure.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/state_file.h"

uint64_t state_file_fnv1a(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t hash = 14695981039346656037ull;

	for (size_t i = 0; i < len; i++) {
		hash ^= p[i];
		hash *= 1099511628211ull;
	}
	return hash;
}

/* ---- the output buffer ---- */

struct out {
	char *data;
	size_t len, cap;
	bool failed; /* memory ran short: everything after is dropped */
	size_t records;
	double wall_offset;
};

static bool out_reserve(struct out *o, size_t more)
{
	size_t cap = o->cap != 0 ? o->cap : 4096;
	char *data;

	if (o->failed)
		return false;
	while (cap - o->len <= more)
		cap *= 2;
	if (cap == o->cap)
		return true;
	data = realloc(o->data, cap);
	if (data == NULL) {
		o->failed = true;
		return false;
	}
	o->data = data;
	o->cap = cap;
	return true;
}

static void out_printf(struct out *o, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(struct out *o, const char *format, ...)
{
	va_list ap;
	int n;

	va_start(ap, format);
	n = vsnprintf(NULL, 0, format, ap);
	va_end(ap);
	if (n < 0 || !out_reserve(o, (size_t)n + 1))
		return;
	va_start(ap, format);
	vsnprintf(o->data + o->len, o->cap - o->len, format, ap);
	va_end(ap);
	o->len += (size_t)n;
}

static bool plain_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._~/:@+=,-", c) != NULL;
}

/* " " and the string, percent-encoded ("" as "-", "-" as "%2D"). */
static void out_string(struct out *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(s);

	if (!out_reserve(o, 3 * len + 2))
		return;
	o->data[o->len++] = ' ';
	if (len == 0 || strcmp(s, "-") == 0) {
		o->len += (size_t)sprintf(o->data + o->len, "%s", len == 0 ? "-" : "%2D");
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (plain_byte(c)) {
			o->data[o->len++] = (char)c;
		} else {
			o->data[o->len++] = '%';
			o->data[o->len++] = hex[c >> 4];
			o->data[o->len++] = hex[c & 15];
		}
	}
	o->data[o->len] = '\0';
}

/* A time of the caller's clock as wall-clock seconds; 0 stays 0 (none). */
static double wall(const struct out *o, double t)
{
	return t == 0 ? 0 : t + o->wall_offset;
}

static void out_end_record(struct out *o)
{
	out_printf(o, "\n");
	o->records++;
}

/* ---- records ---- */

static void write_policy(struct out *o, const struct policy *policy, const struct jobs *jobs, double now)
{
	struct policy_status st;

	policy_status(policy, jobs, now, &st);
	out_printf(o, "policy %s %s %#x %.6f %d %.6f %.6f %llu %zu %zu", policy_state_name(st.state),
		   policy_mode_name(st.settings.mode), st.settings.categories, st.settings.drain_timeout,
		   st.settings.refuse_session_refresh ? 1 : 0, wall(o, st.since), wall(o, st.drained_at),
		   (unsigned long long)st.generation, st.cut_tasks, st.cut_jobs);
	out_end_record(o);
}

static void write_scope_name(void *ctx, const char *name)
{
	out_printf(ctx, "scope");
	out_string(ctx, name);
	out_end_record(ctx);
}

static void write_exempt_name(void *ctx, const char *name)
{
	out_printf(ctx, "exempt");
	out_string(ctx, name);
	out_end_record(ctx);
}

static void write_session(struct out *o, const struct job_session *s)
{
	out_printf(o, "session");
	out_string(o, s->repository);
	out_string(o, s->client);
	out_printf(o, " %llu %llu %llu %d %d %d", (unsigned long long)s->writes, (unsigned long long)s->bytes,
		   (unsigned long long)s->refused, s->snapshot ? 1 : 0, s->refusal_seen ? 1 : 0,
		   s->config_read ? 1 : 0);
	out_end_record(o);
}

static void write_job(void *ctx, const struct job *job)
{
	struct out *o = ctx;

	if (!job->confirmed)
		return;
	if (job->session != NULL)
		write_session(o, job->session);
	out_printf(o, "job");
	out_string(o, job->tenant->name);
	out_printf(o, " %d", job->key.category);
	out_string(o, job->key.id);
	out_printf(o, " %d %d %d %d %d %.6f %.6f %lu %llu", (int)job->desc.origin, (int)job->desc.workload,
		   (int)job->desc.operation, job->learned ? 1 : 0, job->draining ? 1 : 0,
		   wall(o, job->opened_at), wall(o, job->last_activity), (unsigned long)job->done_tasks,
		   (unsigned long long)job->done_bytes);
	out_end_record(o);
}

static void write_task(void *ctx, const struct job_task *task)
{
	struct out *o = ctx;
	const struct job *job = task->job;

	if (!task->confirmed || !job->confirmed)
		return;
	out_printf(o, "task");
	out_string(o, job->tenant->name);
	out_printf(o, " %d", job->key.category);
	out_string(o, job->key.id);
	out_string(o, task->id);
	out_printf(o, " %d %d %.6f %.6f %.6f %llu %llu", task->learned ? 1 : 0, task->draining ? 1 : 0,
		   wall(o, task->opened_at), wall(o, task->last_activity), wall(o, task->last_write),
		   (unsigned long long)task->bytes, (unsigned long long)task->writes);
	out_end_record(o);
}

bool state_file_write(const struct policy *policy, const struct jobs *jobs, const char *profile, double now,
		      double wall_offset, char **out, size_t *out_len)
{
	struct out o = { NULL, 0, 0, false, 0, wall_offset };

	*out = NULL;
	*out_len = 0;
	out_printf(&o, "%s %d", STATE_FILE_MAGIC, STATE_FILE_VERSION);
	out_string(&o, profile);
	out_printf(&o, " %.6f\n", now + wall_offset);
	write_policy(&o, policy, jobs, now);
	policy_foreach_scope_tenant(policy, false, write_scope_name, &o);
	policy_foreach_scope_tenant(policy, true, write_exempt_name, &o);
	jobs_foreach_job_by_activity(jobs, write_job, &o);
	jobs_foreach_task_by_activity(jobs, write_task, &o);
	if (!o.failed)
		out_printf(&o, "end %zu %016llx\n", o.records,
			   (unsigned long long)state_file_fnv1a(o.data, o.len));
	if (o.failed) {
		free(o.data);
		return false;
	}
	*out = o.data;
	*out_len = o.len;
	return true;
}

/* ---- putting a parsed file in force ---- */

static void free_names(char **names, size_t count)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

void state_file_load_free(struct state_file_load *load)
{
	jobs_free(load->jobs);
	free_names(load->scope, load->settings.scope_count);
	free_names(load->exempt, load->settings.exempt_count);
	memset(load, 0, sizeof(*load));
}

bool state_file_adopt(struct state_file_load *load, struct policy *policy, struct jobs **jobs,
		      const char **error)
{
	struct policy_change change;
	bool ok = false;

	if (policy_state(policy) != POLICY_OFF || policy_generation(policy) != 0) {
		*error = "the policy is already in use";
	} else if (policy_apply(policy, &load->settings, load->jobs, 0, &change, error)) {
		policy_restore(policy, &load->saved);
		jobs_free(*jobs);
		*jobs = load->jobs;
		load->jobs = NULL;
		ok = true;
	}
	state_file_load_free(load);
	return ok;
}
