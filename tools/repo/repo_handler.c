/*
 * tools/repo/repo_handler.c: one request from head to answer (see repo_handler.h).
 *
 * Order of the checks: the classifier's (PROTOCOL.md §9: 400, 404, 405,
 * 401 for the form of the credentials, 400 for ids, headers and bodies, 413),
 * then the secret (401), then the state (repo_catalog.h: 404, 409, 500, 503, 507).
 * A block write's digest (400 digest-mismatch) is known only at its end.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "repo_handler.h"
#include "protocol/tsp.h"

void request_init(struct request *q, const char *peer)
{
	memset(q, 0, sizeof *q);
	q->peer = peer;
	store_block_writer_init(&q->writer);
}

static void copy_for_log(char *dst, size_t size, struct http_str s)
{
	size_t n = s.len < size - 1 ? s.len : size - 1;

	memcpy(dst, s.ptr, n);
	dst[n] = '\0';
}

static void log_answer(const struct repo *repo, const struct request *q, unsigned status, const char *code,
		       double now)
{
	if (!repo->opt.log_requests)
		return;
	repo_log("%s %s %s %s %u%s%s %.1fms", q->peer, q->classified ? q->tsp.tenant : "-", q->method,
		 q->target, status, code != NULL ? " " : "", code != NULL ? code : "",
		 (now - q->started) * 1000.0);
}

/* An error answer. Refused at its head, a request's body is read and
 * dropped, unless the tenant waits for 100 Continue (then the connection
 * ends: no byte of a body it may still send can be taken for a request) or
 * the error is about the request's form (400, 413: the connection cannot be
 * trusted any further). Refused at its end, the body was read: the
 * connection goes on. */
static bool refuse_as(struct repo *repo, struct request *q, struct outbuf *out, bool at_head, unsigned status,
		      const char *code, const char *message, const struct repo_respond_extra *more,
		      double now)
{
	struct repo_respond_extra extra = { false, NULL, false };
	bool keep = !q->close;

	if (at_head && (status == 400 || status == 413 || (q->has_body && q->expect_continue)))
		keep = false;
	if (more != NULL)
		extra = *more;
	extra.close = !keep;
	q->close = !keep;
	q->body = BODY_DROP;
	log_answer(repo, q, status, code, now);
	if (!repo_respond_error(out, status, code, message, &extra))
		q->close = true;
	return keep;
}

static bool refuse(struct repo *repo, struct request *q, struct outbuf *out, unsigned status,
		   const char *code, const char *message, const struct repo_respond_extra *more, double now)
{
	return refuse_as(repo, q, out, true, status, code, message, more, now);
}

static bool refuse_catalog(struct repo *repo, struct request *q, struct outbuf *out,
			   const struct catalog_error *err, double now)
{
	return refuse(repo, q, out, err->status, err->code, err->message, NULL, now);
}

static void refuse_at_end(struct repo *repo, struct request *q, struct outbuf *out, unsigned status,
			  const char *code, const char *message, double now)
{
	refuse_as(repo, q, out, false, status, code, message, NULL, now);
}

/* A JSON answer built in repo->scratch. */
static bool answer_json(struct repo *repo, struct request *q, struct outbuf *out, unsigned status, double now)
{
	log_answer(repo, q, status, NULL, now);
	if (!respond_json(out, status, repo->scratch.data + repo->scratch.off, repo->scratch.len, q->close))
		q->close = true;
	return !q->close;
}

static bool scratch_printf(struct repo *repo, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool scratch_printf(struct repo *repo, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < sizeof buf && outbuf_append(&repo->scratch, buf, (size_t)n);
}

static bool authenticate(struct repo *repo, const struct http_head *head, const char *tenant)
{
	char name[TSP_TENANT_MAX + 1], secret[TSP_SECRET_MAX + 1];
	bool ok = tsp_parse_basic_auth(head->authorization, name, secret) && strcmp(name, tenant) == 0 &&
		  users_check(repo->users, name, secret);

	explicit_bzero(secret, sizeof secret);
	return ok;
}

/* ---- the roles ---- */

static void view_json(struct repo *repo, const struct task_view *v)
{
	scratch_printf(repo, "\"task\":\"%s\",\"state\":\"%s\",\"blocks\":%u,\"bytes\":%llu", v->task,
		       store_task_state_name(v->state), (unsigned)v->blocks, (unsigned long long)v->bytes);
}

static bool do_task_open(struct repo *repo, struct request *q, struct outbuf *out, double now)
{
	struct catalog_error err;
	struct task_view v;

	if (!catalog_task_open(repo->catalog, &q->tsp, &v, &err))
		return refuse_catalog(repo, q, out, &err, now);
	scratch_printf(repo, "{\"job\":\"%s\",\"task\":\"%s\",\"state\":\"open\"", q->tsp.job, q->tsp.task);
	if (v.has_replica)
		scratch_printf(repo, ",\"replica\":\"%s\"", store_replica_state_name(v.replica));
	scratch_printf(repo, "}");
	return answer_json(repo, q, out, 201, now);
}

static bool do_task_close(struct repo *repo, struct request *q, struct outbuf *out, double now)
{
	struct catalog_error err;
	struct task_view v;

	if (!catalog_task_close(repo->catalog, &q->tsp, &v, &err))
		return refuse_catalog(repo, q, out, &err, now);
	scratch_printf(repo, "{");
	view_json(repo, &v);
	if (v.has_replica)
		scratch_printf(repo, ",\"replica\":\"%s\"", store_replica_state_name(v.replica));
	scratch_printf(repo, "}");
	return answer_json(repo, q, out, 200, now);
}

struct job_close_ctx {
	struct repo *repo;
	bool first;
};

static void job_close_task(void *arg, const struct task_view *v)
{
	struct job_close_ctx *ctx = arg;

	scratch_printf(ctx->repo, "%s{", ctx->first ? "" : ",");
	view_json(ctx->repo, v);
	scratch_printf(ctx->repo, "}");
	ctx->first = false;
}

static bool do_job_close(struct repo *repo, struct request *q, struct outbuf *out, double now)
{
	struct job_close_ctx ctx = { repo, true };
	struct catalog_error err;

	scratch_printf(repo, "{\"job\":\"%s\",\"state\":\"closed\",\"result\":\"%s\",\"tasks\":[", q->tsp.job,
		       tsp_result_name(q->tsp.result));
	if (!catalog_job_close(repo->catalog, &q->tsp, job_close_task, &ctx, &err))
		return refuse_catalog(repo, q, out, &err, now);
	scratch_printf(repo, "]}");
	return answer_json(repo, q, out, 200, now);
}

static bool do_block_read(struct repo *repo, struct request *q, struct outbuf *out, struct file_stream *file,
			  double now)
{
	struct catalog_error err;
	struct block_record rec;
	char hex[2 * STORE_DIGEST_BYTES + 1];
	int fd;

	if (!catalog_block_read(repo->catalog, &q->tsp, &fd, &rec, &err))
		return refuse_catalog(repo, q, out, &err, now);
	store_digest_hex(rec.digest, hex);
	log_answer(repo, q, 200, NULL, now);
	if (!respond_block_head(out, rec.bytes, hex, q->close)) {
		close(fd);
		q->close = true;
		return false;
	}
	file->fd = fd;
	file->left = rec.bytes;
	return true;
}

/* The head of a block write: where its body goes. */
static bool do_block_write(struct repo *repo, struct request *q, struct outbuf *out, double now)
{
	struct catalog_error err;
	char data_dir[PATH_MAX], msg[128];
	int rc;

	if (q->tsp.body_bytes > repo->opt.max_block) {
		snprintf(msg, sizeof msg, "a block is at most %u bytes here (max_block_bytes)",
			 (unsigned)repo->opt.max_block);
		return refuse(repo, q, out, 413, "block-too-large", msg, NULL, now);
	}
	if (!catalog_block_write_begin(repo->catalog, &q->tsp, data_dir, &err))
		return refuse_catalog(repo, q, out, &err, now);
	if (repo->opt.discard) {
		q->body = BODY_COUNT;
	} else {
		rc = store_block_begin(&repo->store, data_dir, q->tsp.block, &q->writer);
		if (rc != 0) {
			snprintf(msg, sizeof msg, "cannot create the block's file: %s", strerror(rc));
			return refuse(repo, q, out, 500, "internal", msg, NULL, now);
		}
		q->body = BODY_STORE;
	}
	if (q->expect_continue && !respond_continue(out))
		q->close = true;
	return true;
}

static bool dispatch(struct repo *repo, struct request *q, struct outbuf *out, struct file_stream *file,
		     double now)
{
	struct catalog_error err;

	switch (q->tsp.role) {
	case TSP_ROLE_SESSION_HELLO:
		scratch_printf(repo,
			       "{\"protocol\":\"TSP/1\",\"server\":\"sluice-repo\",\"tenant\":\"%s\","
			       "\"max_block_bytes\":%u}",
			       q->tsp.tenant, (unsigned)repo->opt.max_block);
		return answer_json(repo, q, out, 200, now);
	case TSP_ROLE_JOB_OPEN:
		if (!catalog_job_open(repo->catalog, &q->tsp, &err))
			return refuse_catalog(repo, q, out, &err, now);
		scratch_printf(repo, "{\"job\":\"%s\",\"state\":\"open\"}", q->tsp.job);
		return answer_json(repo, q, out, 201, now);
	case TSP_ROLE_TASK_OPEN:
		return do_task_open(repo, q, out, now);
	case TSP_ROLE_BLOCK_WRITE:
		return do_block_write(repo, q, out, now);
	case TSP_ROLE_BLOCK_READ:
		return do_block_read(repo, q, out, file, now);
	case TSP_ROLE_TASK_CLOSE:
		return do_task_close(repo, q, out, now);
	case TSP_ROLE_JOB_CLOSE:
		return do_job_close(repo, q, out, now);
	default:
		return refuse(repo, q, out, 404, "not-found", "not a TSP/1 request", NULL, now);
	}
}

bool handler_head(struct repo *repo, struct request *q, const struct http_head *head, struct outbuf *out,
		  struct file_stream *file, double now)
{
	struct repo_respond_extra extra = { false, NULL, false };
	struct tsp_error terr;

	request_init(q, q->peer);
	q->started = now;
	copy_for_log(q->method, sizeof q->method, head->method_name);
	copy_for_log(q->target, sizeof q->target, head->target);
	q->has_body = head->body == HTTP_BODY_LENGTH && head->content_length > 0;
	q->expect_continue = head->expect_continue;
	q->close = !head->keep_alive;
	outbuf_clear(&repo->scratch);
	if (!tsp_classify(head, &q->tsp, &terr)) {
		extra.allow = terr.allow;
		extra.www_authenticate = terr.status == 401;
		return refuse(repo, q, out, terr.status, terr.code, terr.reason, &extra, now);
	}
	q->classified = true;
	if (!authenticate(repo, head, q->tsp.tenant)) {
		extra.www_authenticate = true;
		return refuse(repo, q, out, 401, "unauthorized", "unknown tenant or wrong secret", &extra,
			      now);
	}
	return dispatch(repo, q, out, file, now);
}

void handler_body(struct request *q, const char *data, size_t len)
{
	q->received += len;
	if (q->body == BODY_STORE)
		store_block_append(&q->writer, data, len);
}

/* A stored or counted block, digest known: record it and answer. */
static void finish_block(struct repo *repo, struct request *q, struct outbuf *out,
			 const struct block_record *rec, double now)
{
	struct catalog_error err;
	bool identical;

	if (!catalog_block_write_end(repo->catalog, &q->tsp, rec, q->body == BODY_STORE ? &q->writer : NULL,
				     &identical, &err)) {
		refuse_at_end(repo, q, out, err.status, err.code, err.message, now);
		return;
	}
	if (identical) {
		log_answer(repo, q, 204, NULL, now);
		if (!respond_no_content(out, q->close))
			q->close = true;
		return;
	}
	scratch_printf(repo, "{\"block\":%u,\"bytes\":%u}", (unsigned)rec->number, (unsigned)rec->bytes);
	answer_json(repo, q, out, 201, now);
}

void handler_end(struct repo *repo, struct request *q, struct outbuf *out, double now)
{
	struct block_record rec = { .number = q->tsp.block, .bytes = q->tsp.body_bytes };
	unsigned char claimed[STORE_DIGEST_BYTES];
	char msg[160];
	int rc;

	if (q->body != BODY_STORE && q->body != BODY_COUNT) {
		q->body = BODY_NONE;
		return;
	}
	outbuf_clear(&repo->scratch);
	if (q->body == BODY_COUNT) {
		/* --discard: the head's digest is taken on trust, never computed. */
		store_digest_parse(q->tsp.digest, strlen(q->tsp.digest), rec.digest);
		finish_block(repo, q, out, &rec, now);
	} else if ((rc = store_block_finish(&q->writer, rec.digest)) != 0) {
		bool full = rc == ENOSPC || rc == EDQUOT;

		store_block_abort(&q->writer);
		snprintf(msg, sizeof msg, "cannot write the block: %s", strerror(rc));
		refuse_at_end(repo, q, out, full ? 507 : 500, full ? "storage-full" : "internal", msg, now);
	} else if (!store_digest_parse(q->tsp.digest, strlen(q->tsp.digest), claimed) ||
		   memcmp(claimed, rec.digest, sizeof claimed) != 0) {
		store_block_abort(&q->writer);
		refuse_at_end(repo, q, out, 400, "digest-mismatch",
			      "the SHA-256 of the body differs from Tsp-Digest: nothing stored", now);
	} else {
		finish_block(repo, q, out, &rec, now);
	}
	q->body = BODY_NONE;
}

void handler_abort(struct request *q)
{
	if (q->body == BODY_STORE)
		store_block_abort(&q->writer);
	q->body = BODY_NONE;
}
