/*
 * tools/tenant/tenant_task.c: one task of a job: open, blocks, close (see tenant_job.h).
 *
 * The tenant's view of failures (PROTOCOL.md §6): a refused task open fails
 * the task, which is then never closed (the repository never saw it open);
 * a refused block write or read fails the task, which is still closed with
 * Tsp-Result: failed; the first refusal's message is what the statistics
 * show.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tenant_content.h"
#include "tenant_job.h"
#include "protocol/json.h"

#define TARGET_MAX 256 /* /tsp/1/backup-copy/jobs/<64>/tasks/<64>/blocks/<10> fits */

/* What one step of a task came to. */
enum step {
	STEP_OK,
	STEP_REFUSED, /* an answer that fails the task; the job goes on */
	STEP_BROKEN   /* a connection or local error: the run stops */
};

struct task_run {
	struct job_context *ctx;
	struct client *client;
	const struct task_buffers *buf;
	struct task_stats *t;
	unsigned number;         /* 1-based */
	bool opened;             /* the task open was answered 201 */
	char target[TARGET_MAX]; /* /tsp/1/{cat}/jobs/{job}/tasks/{task} */
	struct answer ans;
};

static void fail_with(struct task_stats *t, unsigned status, const char *code, const char *message)
{
	t->status = RUN_FAILED;
	t->why.http_status = status;
	snprintf(t->why.code, sizeof(t->why.code), "%s", code);
	snprintf(t->why.message, sizeof(t->why.message), "%s", message);
}

static enum step broken(struct task_run *r, const char *code, const char *message)
{
	fail_with(r->t, 0, code, message);
	return STEP_BROKEN;
}

/* The answer fails the task unless its status is one of ok1, ok2. */
static enum step judge(struct task_run *r, unsigned ok1, unsigned ok2)
{
	if (r->ans.status == ok1 || r->ans.status == ok2)
		return STEP_OK;
	answer_failure(&r->ans, &r->t->why);
	r->t->status = RUN_FAILED;
	return STEP_REFUSED;
}

static enum step call(struct task_run *r, const struct call *c)
{
	char err[REPORT_MESSAGE_MAX];

	if (!client_call(r->client, c, &r->ans, err, sizeof(err)))
		return broken(r, "connection", err);
	return STEP_OK;
}

static void take_replica(struct task_run *r)
{
	struct json_span text = { r->ans.text, strlen(r->ans.text) };

	json_get_string(text, "replica", r->t->replica, sizeof(r->t->replica));
}

/* --pause-at: announce PATH.reached, then wait for PATH.go (bounded). */
static enum step pause_point(struct task_run *r, uint32_t block)
{
	const struct tenant_options *opt = r->ctx->opt;
	const struct timespec tick = { 0, PAUSE_POLL_MS * 1000000L };
	char path[PATH_MAX], message[REPORT_MESSAGE_MAX];
	int fd;

	if (!opt->pause || r->number != opt->pause_task || block != opt->pause_block)
		return STEP_OK;
	snprintf(path, sizeof(path), "%s.reached", opt->pause_file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(message, sizeof(message), "--pause-file: cannot create %.400s: %s", path,
			 strerror(errno));
		return broken(r, "local", message);
	}
	close(fd);
	snprintf(path, sizeof(path), "%s.go", opt->pause_file);
	for (unsigned waited = 0; waited < PAUSE_WAIT_MAX_MS; waited += PAUSE_POLL_MS) {
		if (access(path, F_OK) == 0)
			return STEP_OK;
		nanosleep(&tick, NULL);
	}
	snprintf(message, sizeof(message), "--pause-at: %.400s did not appear within %d s", path,
		 PAUSE_WAIT_MAX_MS / 1000);
	return broken(r, "local", message);
}

static enum step write_block(struct task_run *r, uint32_t n)
{
	const struct tenant_options *opt = r->ctx->opt;
	const struct content_key key = { opt->tenant, r->ctx->st->job, r->t->name, n };
	char target[TARGET_MAX + 24], digest[TSP_DIGEST_HEX + 1], headers[TSP_DIGEST_HEX + 32];
	const struct call c = { .method = "PUT",
				.target = target,
				.headers = headers,
				.body = r->buf->block,
				.body_len = opt->block_size };
	enum step s;

	if (!content_fill(&key, r->buf->block, opt->block_size) ||
	    !content_digest_hex(r->buf->block, opt->block_size, digest))
		return broken(r, "local", "SHA-256 is not available from OpenSSL");
	snprintf(target, sizeof(target), "%s/blocks/%u", r->target, (unsigned)n);
	snprintf(headers, sizeof(headers), "Tsp-Digest: sha256=%s\r\n", digest);
	if ((s = call(r, &c)) != STEP_OK || (s = judge(r, 201, 204)) != STEP_OK)
		return s;
	r->t->blocks++;
	r->t->bytes += opt->block_size;
	return STEP_OK;
}

/* A block read back is checked three ways: its length, its Tsp-Digest
 * against its bytes, and its bytes against what the source job wrote. */
static enum step check_read(struct task_run *r, uint32_t n)
{
	const struct tenant_options *opt = r->ctx->opt;
	const struct content_key key = { opt->tenant, opt->source_job, r->t->name, n };
	char digest[TSP_DIGEST_HEX + 1], message[REPORT_MESSAGE_MAX];

	if (r->ans.body_overflow || r->ans.body_len != opt->block_size)
		snprintf(message, sizeof(message),
			 "block %u: %zu bytes, expected %u (the --block-size "
			 "of the backup)",
			 (unsigned)n, r->ans.body_len, (unsigned)opt->block_size);
	else if (!r->ans.has_digest)
		snprintf(message, sizeof(message), "block %u: the answer has no valid Tsp-Digest",
			 (unsigned)n);
	else if (!content_digest_hex(r->buf->block, opt->block_size, digest) ||
		 strcmp(digest, r->ans.digest) != 0)
		snprintf(message, sizeof(message),
			 "block %u: Tsp-Digest does not match the bytes "
			 "received",
			 (unsigned)n);
	else if (!content_fill(&key, r->buf->expected, opt->block_size) ||
		 memcmp(r->buf->block, r->buf->expected, opt->block_size) != 0)
		snprintf(message, sizeof(message), "block %u: differs from what job %s wrote", (unsigned)n,
			 opt->source_job);
	else
		return STEP_OK;
	fail_with(r->t, 0, "verify", message);
	return STEP_REFUSED;
}

static enum step read_block(struct task_run *r, uint32_t n)
{
	const struct tenant_options *opt = r->ctx->opt;
	char target[TARGET_MAX + 24];
	const struct call c = {
		.method = "GET", .target = target, .read_into = r->buf->block, .read_cap = opt->block_size
	};
	enum step s;

	snprintf(target, sizeof(target), "%s/blocks/%u", r->target, (unsigned)n);
	if ((s = call(r, &c)) != STEP_OK || (s = judge(r, 200, 200)) != STEP_OK ||
	    (s = check_read(r, n)) != STEP_OK)
		return s;
	r->t->blocks++;
	r->t->bytes += opt->block_size;
	return STEP_OK;
}

static enum step transfer_blocks(struct task_run *r)
{
	const struct tenant_options *opt = r->ctx->opt;
	enum step s = STEP_OK;

	for (uint32_t n = 0; n < opt->blocks && s == STEP_OK; n++) {
		if ((s = pause_point(r, n)) != STEP_OK)
			break;
		s = opt->category == TSP_CAT_RESTORE ? read_block(r, n) : write_block(r, n);
		if (s == STEP_OK) {
			atomic_fetch_add(&r->ctx->blocks_done, 1);
			job_progress(r->ctx);
		}
	}
	return s;
}

static enum step open_task(struct task_run *r)
{
	char headers[TSP_ID_MAX + 32] = "";
	const struct call c = { .method = "POST", .target = r->target, .headers = headers };
	enum step s;

	if (r->ctx->opt->category == TSP_CAT_RESTORE)
		snprintf(headers, sizeof(headers), "Tsp-Source: %s\r\n", r->t->name);
	if ((s = call(r, &c)) != STEP_OK || (s = judge(r, 201, 201)) != STEP_OK)
		return s;
	r->opened = true;
	take_replica(r);
	return STEP_OK;
}

static enum step close_task(struct task_run *r)
{
	char target[TARGET_MAX + 8], headers[32];
	const struct call c = { .method = "POST", .target = target, .headers = headers };
	bool failed = r->t->status == RUN_FAILED;
	enum step s;

	snprintf(target, sizeof(target), "%s/close", r->target);
	snprintf(headers, sizeof(headers), "Tsp-Result: %s\r\n", failed ? "failed" : "success");
	if ((s = call(r, &c)) != STEP_OK)
		return s;
	if (failed)
		return STEP_OK; /* the first refusal is the one the statistics keep */
	if ((s = judge(r, 200, 200)) == STEP_OK)
		take_replica(r);
	return s;
}

static bool moves_blocks(const struct tenant_options *opt)
{
	return opt->operation == TSP_OP_NONE || opt->operation == TSP_OP_REPLICATE;
}

bool task_run(struct job_context *ctx, struct client *c, const struct task_buffers *buf, unsigned index)
{
	struct task_run r = {
		.ctx = ctx, .client = c, .buf = buf, .t = &ctx->st->tasks[index], .number = index + 1
	};
	uint64_t start = job_clock_us();
	enum step s;

	tenant_task_name(ctx->opt, r.number, r.t->name);
	r.t->started = true;
	r.t->status = RUN_SUCCESS;
	snprintf(r.target, sizeof(r.target), "/tsp/1/%s/jobs/%s/tasks/%s",
		 tsp_category_name(ctx->opt->category), ctx->st->job, r.t->name);
	s = open_task(&r);
	if (s == STEP_OK && moves_blocks(ctx->opt))
		s = transfer_blocks(&r);
	/* A task the server opened is always closed, failed or not. */
	if (s != STEP_BROKEN && r.opened && close_task(&r) == STEP_BROKEN)
		s = STEP_BROKEN;
	r.t->duration_us = job_clock_us() - start;
	atomic_fetch_add(&ctx->tasks_done, 1);
	job_progress(ctx);
	return s != STEP_BROKEN;
}
