/*
 * tools/tenant/tenant_job.c: the job runner (see tenant_job.h).
 *
 * The main connection carries the hello, the job open and the job close, and
 * runs tasks like every other worker; workers 2..N run in their own threads,
 * each on its own connection, taking the next task number from a shared
 * counter. Each task's statistics belong to the one worker that runs it, so
 * they need no lock.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tenant_job.h"

struct worker {
	struct job_context *ctx;
	struct client *client;
	bool own_client; /* false for the main connection */
	struct task_buffers buf;
	pthread_t thread;
	bool thread_started;
};

uint64_t job_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void job_progress(struct job_context *ctx)
{
	const struct tenant_options *opt = ctx->opt;
	uint64_t now;

	if (!ctx->progress)
		return;
	now = job_clock_us();
	pthread_mutex_lock(&ctx->lock);
	if (now - ctx->progress_drawn_us < PROGRESS_INTERVAL_US) {
		pthread_mutex_unlock(&ctx->lock);
		return;
	}
	ctx->progress_drawn_us = now;
	fprintf(stderr, "\r\033[K%s %s: %u/%u tasks, %lu/%lu blocks", tenant_command_name(opt->command),
		ctx->st->job, atomic_load(&ctx->tasks_done), opt->tasks, atomic_load(&ctx->blocks_done),
		(unsigned long)opt->tasks * opt->blocks);
	pthread_mutex_unlock(&ctx->lock);
}

static void set_failure(struct failure *why, unsigned status, const char *code, const char *message)
{
	why->http_status = status;
	snprintf(why->code, sizeof(why->code), "%s", code);
	snprintf(why->message, sizeof(why->message), "%s", message);
}

static void abort_run(struct job_context *ctx)
{
	atomic_store(&ctx->abort, true);
	pthread_mutex_lock(&ctx->lock);
	ctx->st->aborted = true;
	pthread_mutex_unlock(&ctx->lock);
}

static void worker_loop(struct worker *w)
{
	struct job_context *ctx = w->ctx;

	while (!atomic_load(&ctx->abort)) {
		unsigned index = atomic_fetch_add(&ctx->next_task, 1);

		if (index >= ctx->opt->tasks)
			break;
		if (!task_run(ctx, w->client, &w->buf, index))
			abort_run(ctx);
	}
}

static void *worker_thread(void *arg)
{
	worker_loop(arg);
	return NULL;
}

static bool worker_init(struct worker *w, struct job_context *ctx, struct client *main_client)
{
	const struct tenant_options *opt = ctx->opt;

	memset(w, 0, sizeof(*w));
	w->ctx = ctx;
	w->client = main_client;
	if (w->client == NULL) {
		w->own_client = true;
		w->client = tenant_client_new(ctx->setup);
		if (w->client == NULL)
			return false;
	}
	if (opt->operation == TSP_OP_NONE || opt->operation == TSP_OP_REPLICATE) {
		w->buf.block = malloc(opt->block_size);
		if (w->buf.block == NULL)
			return false;
	}
	if (opt->category == TSP_CAT_RESTORE) {
		w->buf.expected = malloc(opt->block_size);
		if (w->buf.expected == NULL)
			return false;
	}
	return true;
}

static void worker_fini(struct worker *w)
{
	if (w->own_client)
		tenant_client_free(w->client);
	free(w->buf.block);
	free(w->buf.expected);
}

/* Every task, on up to opt->parallel connections; the main one included. */
static void run_tasks(struct job_context *ctx, struct client *main_client)
{
	unsigned count = ctx->opt->parallel < ctx->opt->tasks ? ctx->opt->parallel : ctx->opt->tasks;
	struct worker *workers = calloc(count, sizeof(*workers));
	bool ready = workers != NULL;

	for (unsigned i = 0; ready && i < count; i++) {
		ready = worker_init(&workers[i], ctx, i == 0 ? main_client : NULL);
		if (ready && i > 0)
			ready = workers[i].thread_started =
				pthread_create(&workers[i].thread, NULL, worker_thread, &workers[i]) == 0;
	}
	if (ready) {
		worker_loop(&workers[0]);
	} else {
		set_failure(&ctx->st->why, 0, "local",
			    "cannot start the workers: out of memory or "
			    "threads (lower --parallel or --block-size)");
		abort_run(ctx);
	}
	for (unsigned i = 0; workers != NULL && i < count; i++) {
		if (workers[i].thread_started)
			pthread_join(workers[i].thread, NULL);
		worker_fini(&workers[i]);
	}
	free(workers);
}

static void announce_notice(const struct notice *n)
{
	fprintf(stderr, "sluice-tenant: the service provider announces maintenance (%s%s%s): %s\n",
		n->mode[0] != '\0' ? n->mode : "mode not given", n->since[0] != '\0' ? " since " : "",
		n->since, n->message[0] != '\0' ? n->message : "no message");
}

/* Hello and job open on the main connection; true when the job is open. */
static bool open_job(struct job_context *ctx, struct client *c)
{
	const struct tenant_options *opt = ctx->opt;
	struct job_stats *st = ctx->st;
	char err[REPORT_MESSAGE_MAX], target[96], headers[256];
	const struct call call = { .method = "POST", .target = target, .headers = headers };
	struct hello hello;
	struct answer ans;
	int n;

	if (!client_connect(c, &hello, err, sizeof(err))) {
		set_failure(&st->why, 0, "connection", err);
		st->aborted = true;
		return false;
	}
	st->notice = hello.notice;
	if (hello.notice.present)
		announce_notice(&hello.notice);
	if (hello.status != 200) {
		st->why = hello.why;
		return false;
	}
	if (opt->block_size > hello.max_block_bytes &&
	    (opt->operation == TSP_OP_NONE || opt->operation == TSP_OP_REPLICATE)) {
		snprintf(err, sizeof(err),
			 "--block-size %u is over the repository's max_block_bytes "
			 "%llu: choose a smaller one",
			 (unsigned)opt->block_size, (unsigned long long)hello.max_block_bytes);
		set_failure(&st->why, 0, "local", err);
		st->aborted = true;
		return false;
	}
	snprintf(target, sizeof(target), "/tsp/1/%s/jobs/%s", tsp_category_name(opt->category), st->job);
	n = snprintf(headers, sizeof(headers), "Tsp-Origin: %s\r\nTsp-Workload: %s\r\n",
		     tsp_origin_name(opt->origin), tsp_workload_name(opt->workload));
	if (opt->operation != TSP_OP_NONE)
		snprintf(headers + n, sizeof(headers) - (size_t)n, "Tsp-Operation: %s\r\n",
			 tsp_operation_name(opt->operation));
	else if (opt->category == TSP_CAT_RESTORE)
		snprintf(headers + n, sizeof(headers) - (size_t)n, "Tsp-Source: %s\r\n", opt->source);
	if (!client_call(c, &call, &ans, err, sizeof(err))) {
		set_failure(&st->why, 0, "connection", err);
		st->aborted = true;
		return false;
	}
	if (ans.status != 201) {
		answer_failure(&ans, &st->why);
		return false;
	}
	st->opened = true;
	return true;
}

static void close_job(struct job_context *ctx, struct client *c)
{
	struct job_stats *st = ctx->st;
	char err[REPORT_MESSAGE_MAX], target[96], headers[32];
	const struct call call = { .method = "POST", .target = target, .headers = headers };
	bool failed = st->aborted;
	struct answer ans;

	for (unsigned i = 0; i < st->task_count; i++)
		failed |= st->tasks[i].started && st->tasks[i].status == RUN_FAILED;
	st->sent_result = failed ? TSP_RESULT_FAILED : TSP_RESULT_SUCCESS;
	snprintf(target, sizeof(target), "/tsp/1/%s/jobs/%s/close", tsp_category_name(ctx->opt->category),
		 st->job);
	snprintf(headers, sizeof(headers), "Tsp-Result: %s\r\n", tsp_result_name(st->sent_result));
	if (!client_call(c, &call, &ans, err, sizeof(err))) {
		if (st->why.message[0] == '\0')
			set_failure(&st->why, 0, "connection", err);
		st->aborted = true;
	} else if (ans.status != 200 && st->why.message[0] == '\0') {
		answer_failure(&ans, &st->why);
	}
}

static void stats_init(struct job_stats *st, const struct tenant_options *opt)
{
	st->command = tenant_command_name(opt->command);
	st->category = opt->category;
	st->operation = opt->operation;
	st->origin = opt->origin;
	st->workload = opt->workload;
	snprintf(st->job, sizeof(st->job), "%s", opt->job);
	st->source = opt->source;
	st->task_count = opt->tasks;
}

void job_run(const struct tenant_options *opt, const struct client_setup *setup, bool progress,
	     struct job_stats *st)
{
	struct job_context ctx = { .opt = opt, .setup = setup, .st = st, .progress = progress };
	uint64_t start = job_clock_us();
	struct client *main_client = tenant_client_new(setup);

	pthread_mutex_init(&ctx.lock, NULL);
	atomic_init(&ctx.next_task, 0);
	atomic_init(&ctx.abort, false);
	atomic_init(&ctx.tasks_done, 0);
	atomic_init(&ctx.blocks_done, 0);
	stats_init(st, opt);
	if (main_client == NULL) {
		set_failure(&st->why, 0, "local", "out of memory");
		st->aborted = true;
	} else if (open_job(&ctx, main_client)) {
		run_tasks(&ctx, main_client);
		close_job(&ctx, main_client);
	}
	if (progress)
		fputs("\r\033[K", stderr);
	tenant_client_free(main_client);
	pthread_mutex_destroy(&ctx.lock);
	st->duration_us = job_clock_us() - start;
	job_stats_settle(st);
}
