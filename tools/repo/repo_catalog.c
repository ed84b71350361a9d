/*
 * tools/repo/repo_catalog.c: the catalog's cache (see repo_catalog.h): lookup, loading
 * a job with its tasks and block journals from the store, the closed-job
 * eviction order. The operations are in repo_catalog_ops.c.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "repo_catalog_internal.h"

void catalog_limits_default(struct catalog_limits *limits)
{
	limits->closed_jobs_cached = 256;
	limits->open_jobs = 100000;
	limits->tasks_per_job = 65536;
	limits->blocks_per_task = 1u << 22; /* 4 TiB of 1 MiB blocks */
}

struct catalog *catalog_new(struct store *store, bool discard, const struct catalog_limits *limits)
{
	struct catalog *cat = calloc(1, sizeof *cat);

	if (cat == NULL)
		return NULL;
	cat->store = store;
	cat->discard = discard;
	TAILQ_INIT(&cat->closed_lru);
	if (limits != NULL)
		cat->limits = *limits;
	else
		catalog_limits_default(&cat->limits);
	if (cat->limits.closed_jobs_cached == 0)
		cat->limits.closed_jobs_cached = 1;
	return cat;
}

static void task_free(struct cat_task *task)
{
	struct cat_block *b, *tmp;

	HASH_ITER(hh, task->blocks, b, tmp) {
		HASH_DEL(task->blocks, b);
		free(b);
	}
	free(task);
}

static void job_free(struct cat_job *job)
{
	struct cat_task *t, *tmp;

	HASH_ITER(hh, job->tasks, t, tmp) {
		HASH_DEL(job->tasks, t);
		task_free(t);
	}
	free(job);
}

/* Forgets closed jobs beyond the cache size, least recently used first (they
 * are on disk and come back on demand); the job just appended stays. */
static void evict(struct catalog *cat)
{
	struct cat_job *old;

	while (cat->closed_count > cat->limits.closed_jobs_cached &&
	       (old = TAILQ_FIRST(&cat->closed_lru)) != TAILQ_LAST(&cat->closed_lru, cat_job_lru)) {
		TAILQ_REMOVE(&cat->closed_lru, old, lru_link);
		HASH_DEL(cat->jobs, old);
		cat->closed_count--;
		job_free(old);
	}
}

void catalog_free(struct catalog *cat)
{
	struct cat_job *job, *tmp;

	if (cat == NULL)
		return;
	HASH_ITER(hh, cat->jobs, job, tmp) {
		HASH_DEL(cat->jobs, job);
		job_free(job);
	}
	free(cat);
}

size_t catalog_open_jobs(const struct catalog *cat)
{
	return cat->open_count;
}

void cat_make_job_key(struct repo_job_key *key, const char *tenant, enum tsp_category category,
		      const char *job)
{
	memset(key, 0, sizeof *key);
	strncpy(key->tenant, tenant, TSP_TENANT_MAX);
	key->category = category;
	strncpy(key->job, job, TSP_ID_MAX);
}

void cat_make_task_key(struct task_key *key, const struct cat_job *job, const char *task)
{
	memset(key, 0, sizeof *key);
	key->job = job->key;
	strncpy(key->task, task, TSP_ID_MAX);
}

bool cat_job_has_data(const struct cat_job *job)
{
	switch (job->key.category) {
	case TSP_CAT_BACKUP:
	case TSP_CAT_BACKUP_COPY:
		return true;
	case TSP_CAT_REPLICATION:
		return job->meta.operation == TSP_OP_REPLICATE;
	default:
		return false;
	}
}

struct cat_task *cat_task_find(const struct cat_job *job, const char *id)
{
	struct cat_task *task;

	HASH_FIND_STR(job->tasks, id, task);
	return task;
}

int cat_task_add(struct cat_job *job, const char *id, const struct task_meta *meta, struct cat_task **out)
{
	struct cat_task *task = calloc(1, sizeof *task);

	if (task == NULL)
		return ENOMEM;
	strncpy(task->id, id, TSP_ID_MAX);
	task->meta = *meta;
	HASH_ADD_STR(job->tasks, id, task);
	if (task->hh.tbl == NULL) {
		free(task);
		return ENOMEM;
	}
	TAILQ_INSERT_TAIL(&job->task_order, task, order_link);
	job->task_count++;
	*out = task;
	return 0;
}

struct cat_block *cat_block_find(const struct cat_task *task, uint32_t number)
{
	struct cat_block *b;

	HASH_FIND(hh, task->blocks, &number, sizeof number, b);
	return b;
}

int cat_block_put(struct cat_task *task, const struct block_record *rec)
{
	struct cat_block *b = cat_block_find(task, rec->number);

	if (b != NULL) {
		task->bytes -= b->rec.bytes;
		b->rec = *rec;
		task->bytes += rec->bytes;
		return 0;
	}
	b = malloc(sizeof *b);
	if (b == NULL)
		return ENOMEM;
	b->rec = *rec;
	HASH_ADD(hh, task->blocks, rec.number, sizeof b->rec.number, b);
	if (b->hh.tbl == NULL) {
		free(b);
		return ENOMEM;
	}
	task->block_count++;
	task->bytes += rec->bytes;
	return 0;
}

void cat_block_drop(struct cat_task *task, uint32_t number)
{
	struct cat_block *b = cat_block_find(task, number);

	if (b == NULL)
		return;
	HASH_DEL(task->blocks, b);
	task->block_count--;
	task->bytes -= b->rec.bytes;
	free(b);
}

/* ---- loading from the store ---- */

struct load_ctx {
	struct catalog *cat;
	struct cat_job *job;
	struct cat_task *task;
	struct cat_task **order; /* tasks as loaded, sorted by seq afterwards */
	size_t count, cap;
};

static int load_block(void *arg, const struct block_record *rec)
{
	struct load_ctx *ctx = arg;

	return cat_block_put(ctx->task, rec);
}

static int load_task(void *arg, const char *id)
{
	struct load_ctx *ctx = arg;
	struct task_key key;
	struct cat_task *task;
	char data_dir[PATH_MAX];
	int rc;

	if (ctx->count == ctx->cap) {
		size_t cap = ctx->cap ? 2 * ctx->cap : 16;
		struct cat_task **order = realloc(ctx->order, cap * sizeof *order);

		if (order == NULL)
			return ENOMEM;
		ctx->order = order;
		ctx->cap = cap;
	}
	task = calloc(1, sizeof *task);
	if (task == NULL)
		return ENOMEM;
	strncpy(task->id, id, TSP_ID_MAX);
	ctx->order[ctx->count++] = task;
	cat_make_task_key(&key, ctx->job, id);
	rc = store_task_load(ctx->cat->store, &key, &task->meta);
	if (rc != 0)
		return rc;
	if (!cat_job_has_data(ctx->job)) {
		/* Restore tasks keep their read counts in @task once closed. */
		task->block_count = task->meta.blocks;
		task->bytes = task->meta.bytes;
		return 0;
	}
	rc = store_data_dir(ctx->cat->store, &key, data_dir);
	if (rc != 0)
		return rc;
	if (task->meta.state == TASK_OPEN)
		store_sweep_temporaries(data_dir); /* left by a write cut by a restart */
	ctx->task = task;
	return store_journal_read(data_dir, load_block, ctx);
}

static int by_seq(const void *a, const void *b)
{
	const struct cat_task *x = *(struct cat_task *const *)a, *y = *(struct cat_task *const *)b;

	return (x->meta.seq > y->meta.seq) - (x->meta.seq < y->meta.seq);
}

/* Links the loaded tasks into the job in the order they were opened. */
static int link_tasks(struct cat_job *job, struct load_ctx *ctx)
{
	if (ctx->count > 1)
		qsort(ctx->order, ctx->count, sizeof *ctx->order, by_seq);
	for (size_t i = 0; i < ctx->count; i++) {
		struct cat_task *task = ctx->order[i];

		HASH_ADD_STR(job->tasks, id, task);
		if (task->hh.tbl == NULL)
			return ENOMEM; /* this task and the rest are freed by the caller */
		ctx->order[i] = NULL;
		TAILQ_INSERT_TAIL(&job->task_order, task, order_link);
		job->task_count++;
	}
	return 0;
}

static int load_job(struct catalog *cat, const struct repo_job_key *key, struct cat_job **out)
{
	struct cat_job *job = calloc(1, sizeof *job);
	struct load_ctx ctx = { cat, job, NULL, NULL, 0, 0 };
	int rc;

	if (job == NULL)
		return ENOMEM;
	TAILQ_INIT(&job->task_order);
	job->key = *key;
	rc = store_job_load(cat->store, key, &job->meta);
	if (rc == 0)
		rc = store_task_ids(cat->store, key, load_task, &ctx);
	if (rc == 0)
		rc = link_tasks(job, &ctx);
	for (size_t i = 0; i < ctx.count; i++) {
		if (ctx.order[i] != NULL)
			task_free(ctx.order[i]);
	}
	free(ctx.order);
	if (rc != 0) {
		job_free(job);
		return rc;
	}
	*out = job;
	return 0;
}

static int job_table_add(struct catalog *cat, struct cat_job *job)
{
	HASH_ADD(hh, cat->jobs, key, sizeof job->key, job);
	if (job->hh.tbl == NULL)
		return ENOMEM;
	if (job->meta.state == JOB_OPEN) {
		cat->open_count++;
	} else {
		cat->closed_count++;
		TAILQ_INSERT_TAIL(&cat->closed_lru, job, lru_link);
		evict(cat);
	}
	return 0;
}

int cat_job_get(struct catalog *cat, const char *tenant, enum tsp_category category, const char *job_id,
		struct cat_job **out)
{
	struct repo_job_key key;
	struct cat_job *job;
	int rc;

	cat_make_job_key(&key, tenant, category, job_id);
	HASH_FIND(hh, cat->jobs, &key, sizeof key, job);
	if (job != NULL) {
		if (job->meta.state == JOB_CLOSED && job != TAILQ_LAST(&cat->closed_lru, cat_job_lru)) {
			TAILQ_REMOVE(&cat->closed_lru, job, lru_link);
			TAILQ_INSERT_TAIL(&cat->closed_lru, job, lru_link);
		}
		*out = job;
		return 0;
	}
	rc = load_job(cat, &key, &job);
	if (rc != 0)
		return rc;
	rc = job_table_add(cat, job);
	if (rc != 0) {
		job_free(job);
		return rc;
	}
	*out = job;
	return 0;
}

int cat_job_insert(struct catalog *cat, const struct repo_job_key *key, const struct job_meta *meta,
		   struct cat_job **out)
{
	struct cat_job *job = calloc(1, sizeof *job);
	int rc;

	if (job == NULL)
		return ENOMEM;
	TAILQ_INIT(&job->task_order);
	job->key = *key;
	job->meta = *meta;
	rc = job_table_add(cat, job);
	if (rc != 0) {
		free(job);
		return rc;
	}
	*out = job;
	return 0;
}

void cat_job_closed(struct catalog *cat, struct cat_job *job)
{
	cat->open_count--;
	cat->closed_count++;
	TAILQ_INSERT_TAIL(&cat->closed_lru, job, lru_link);
	evict(cat);
}
