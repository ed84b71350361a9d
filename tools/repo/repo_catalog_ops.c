/*
 * tools/repo/repo_catalog_ops.c: the operations of PROTOCOL.md §4 on the catalog
 * (see repo_catalog.h): each checks the request against the state of §6, changes
 * the store first and the memory second, and answers with an error value.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo_catalog_internal.h"

static bool fail(struct catalog_error *err, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool fail(struct catalog_error *err, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->status = status;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return false;
}

/* A failed store operation: 507 when the disk is full, else 500. */
static bool fail_store(struct catalog_error *err, int rc, const char *what)
{
	if (rc == ENOSPC || rc == EDQUOT)
		return fail(err, 507, "storage-full", "no space left to store %s", what);
	return fail(err, 500, "internal", "storage failure on %s: %s", what, strerror(rc));
}

static const char *category(const struct tsp_request *req)
{
	return tsp_category_name(req->category);
}

/* The job a request names; 404 unknown-job when it was never opened. */
static bool find_job(struct catalog *cat, const struct tsp_request *req, struct cat_job **job,
		     struct catalog_error *err)
{
	int rc = cat_job_get(cat, req->tenant, req->category, req->job, job);

	if (rc == ENOENT)
		return fail(err, 404, "unknown-job", "no %s job %s", category(req), req->job);
	if (rc != 0)
		return fail_store(err, rc, "the job's metadata");
	return true;
}

/* The job and the task a request names, both known. */
static bool find_task(struct catalog *cat, const struct tsp_request *req, struct cat_job **job,
		      struct cat_task **task, struct catalog_error *err)
{
	if (!find_job(cat, req, job, err))
		return false;
	*task = cat_task_find(*job, req->task);
	if (*task == NULL)
		return fail(err, 404, "unknown-task", "no task %s in %s job %s", req->task, category(req),
			    req->job);
	return true;
}

static bool task_must_be_open(const struct cat_task *task, struct catalog_error *err)
{
	if (task->meta.state == TASK_OPEN)
		return true;
	return fail(err, 409, "conflict", "task %s is not open (it is %s)", task->id,
		    store_task_state_name(task->meta.state));
}

/* ---- job open ---- */

bool catalog_job_open(struct catalog *cat, const struct tsp_request *req, struct catalog_error *err)
{
	struct cat_job *job = NULL;
	struct repo_job_key key;
	struct job_meta meta = { 0 };
	int rc;

	rc = cat_job_get(cat, req->tenant, req->category, req->job, &job);
	if (rc == 0)
		return fail(err, 409, "conflict", "%s job %s was opened before (job ids are never reused)",
			    category(req), req->job);
	if (rc != ENOENT)
		return fail_store(err, rc, "the job's metadata");
	if (req->category == TSP_CAT_RESTORE) {
		rc = cat_job_get(cat, req->tenant, req->source_category, req->source, &job);
		if (rc == ENOENT)
			return fail(err, 404, "unknown-source", "no %s job %s to restore from",
				    tsp_category_name(req->source_category), req->source);
		if (rc != 0)
			return fail_store(err, rc, "the source job's metadata");
	}
	if (cat->open_count >= cat->limits.open_jobs)
		return fail(err, 503, "busy", "sluice-repo holds %zu open jobs, its limit: close some",
			    cat->open_count);
	meta.state = JOB_OPEN;
	meta.origin = req->origin;
	meta.workload = req->workload;
	meta.operation = req->operation;
	if (req->category == TSP_CAT_RESTORE) {
		meta.source_category = req->source_category;
		memcpy(meta.source, req->source, sizeof meta.source);
	}
	cat_make_job_key(&key, req->tenant, req->category, req->job);
	rc = store_job_create(cat->store, &key, &meta);
	if (rc == EEXIST)
		return fail(err, 409, "conflict", "%s job %s was opened before (job ids are never reused)",
			    category(req), req->job);
	if (rc != 0)
		return fail_store(err, rc, "the new job");
	if (cat_job_insert(cat, &key, &meta, &job) != 0)
		return fail(err, 500, "internal", "out of memory");
	return true;
}

/* ---- task open ---- */

/* failover, failback, undo: the replica's state must allow the operation. */
static bool replica_transition(struct catalog *cat, const struct tsp_request *req, enum tsp_operation op,
			       enum replica_state *next, struct catalog_error *err)
{
	struct replica_meta replica;
	int rc = store_replica_load(cat->store, req->tenant, req->task, &replica);

	if (rc == ENOENT)
		return op == TSP_OP_REPLICATE
			       ? true
			       : fail(err, 404, "unknown-source", "there is no replica of %s", req->task);
	if (rc != 0)
		return fail_store(err, rc, "the replica's metadata");
	switch (op) {
	case TSP_OP_REPLICATE:
		if (replica.state == REPLICA_FAILED_OVER)
			return fail(err, 409, "conflict",
				    "the replica of %s is failed over: fail back or undo first", req->task);
		return true;
	case TSP_OP_FAILOVER:
		if (replica.state != REPLICA_READY)
			return fail(err, 409, "conflict", "the replica of %s is failed over already",
				    req->task);
		*next = REPLICA_FAILED_OVER;
		return true;
	default: /* failback, undo */
		if (replica.state != REPLICA_FAILED_OVER)
			return fail(err, 409, "conflict", "the replica of %s is not failed over", req->task);
		*next = REPLICA_READY;
		return true;
	}
}

/* A restore task's source task must exist and be complete. */
static bool check_restore_source(struct catalog *cat, const struct cat_job *job,
				 const struct tsp_request *req, struct catalog_error *err)
{
	const struct job_meta *m = &job->meta;
	struct cat_job *source;
	struct cat_task *task;
	int rc = cat_job_get(cat, req->tenant, m->source_category, m->source, &source);

	if (rc == ENOENT)
		return fail(err, 404, "unknown-source", "no %s job %s to restore from",
			    tsp_category_name(m->source_category), m->source);
	if (rc != 0)
		return fail_store(err, rc, "the source job's metadata");
	task = cat_task_find(source, req->source);
	if (task == NULL)
		return fail(err, 404, "unknown-source", "no task %s in %s job %s", req->source,
			    tsp_category_name(m->source_category), m->source);
	if (task->meta.state != TASK_COMPLETE)
		return fail(err, 409, "conflict", "source task %s is %s, not complete", req->source,
			    store_task_state_name(task->meta.state));
	return true;
}

/* Performs the replica operation of a failover/failback/undo task. */
static bool apply_replica(struct catalog *cat, const struct tsp_request *req, enum replica_state next,
			  struct catalog_error *err)
{
	struct replica_meta replica;
	int rc = store_replica_load(cat->store, req->tenant, req->task, &replica);

	if (rc == 0) {
		replica.state = next;
		rc = store_replica_save(cat->store, req->tenant, req->task, &replica);
	}
	return rc == 0 ? true : fail_store(err, rc, "the replica's state");
}

static bool check_task_open(struct catalog *cat, struct cat_job *job, const struct tsp_request *req,
			    enum replica_state *next, struct catalog_error *err)
{
	if (job->meta.state != JOB_OPEN)
		return fail(err, 409, "conflict", "%s job %s is closed", category(req), req->job);
	if (cat_task_find(job, req->task) != NULL)
		return fail(err, 409, "conflict", "task id %s is already used in job %s", req->task,
			    req->job);
	if (job->task_count >= cat->limits.tasks_per_job)
		return fail(err, 409, "conflict", "job %s has %u tasks, the most sluice-repo keeps", req->job,
			    job->task_count);
	if (req->category == TSP_CAT_RESTORE)
		return check_restore_source(cat, job, req, err);
	if (req->category == TSP_CAT_REPLICATION)
		return replica_transition(cat, req, job->meta.operation, next, err);
	return true;
}

bool catalog_task_open(struct catalog *cat, const struct tsp_request *req, struct task_view *view,
		       struct catalog_error *err)
{
	struct cat_job *job;
	struct cat_task *task, *last;
	struct task_key key;
	struct task_meta meta = { 0 };
	enum replica_state next = REPLICA_NONE;
	int rc;

	memset(view, 0, sizeof *view);
	if (!find_job(cat, req, &job, err) || !check_task_open(cat, job, req, &next, err))
		return false;
	last = TAILQ_LAST(&job->task_order, cat_task_order);
	meta.seq = last != NULL ? last->meta.seq + 1 : 1;
	meta.state = TASK_OPEN;
	meta.replica = next;
	memcpy(meta.source, req->source, sizeof meta.source);
	cat_make_task_key(&key, job, req->task);
	rc = store_task_create(cat->store, &key, &meta, cat_job_has_data(job));
	if (rc == EEXIST)
		return fail(err, 409, "conflict", "task id %s is already used in job %s", req->task,
			    req->job);
	if (rc != 0)
		return fail_store(err, rc, "the new task");
	if (cat_task_add(job, req->task, &meta, &task) != 0)
		return fail(err, 500, "internal", "out of memory");
	/* After the task exists: a failure here leaves an open task to close. */
	if (next != REPLICA_NONE && !apply_replica(cat, req, next, err))
		return false;
	view->task = task->id;
	view->state = TASK_OPEN;
	view->has_replica = next != REPLICA_NONE;
	view->replica = next;
	return true;
}

/* ---- block writes ---- */

static bool task_takes_blocks(struct catalog *cat, const struct tsp_request *req, struct cat_job **job,
			      struct cat_task **task, struct catalog_error *err)
{
	if (!find_task(cat, req, job, task, err))
		return false;
	if (!cat_job_has_data(*job))
		return fail(err, 409, "conflict", "%s jobs carry no blocks",
			    tsp_operation_name((*job)->meta.operation));
	if ((*job)->meta.state != JOB_OPEN)
		return fail(err, 409, "conflict", "%s job %s is closed", category(req), req->job);
	return task_must_be_open(*task, err);
}

bool catalog_block_write_begin(struct catalog *cat, const struct tsp_request *req, char *data_dir,
			       struct catalog_error *err)
{
	struct cat_job *job;
	struct cat_task *task;
	struct task_key key;
	int rc;

	if (!task_takes_blocks(cat, req, &job, &task, err))
		return false;
	if (cat_block_find(task, req->block) == NULL && task->block_count >= cat->limits.blocks_per_task)
		return fail(err, 507, "storage-full", "task %s holds %u blocks, the most sluice-repo keeps",
			    req->task, (unsigned)task->block_count);
	cat_make_task_key(&key, job, req->task);
	rc = store_data_dir(cat->store, &key, data_dir);
	return rc == 0 ? true : fail_store(err, rc, "the task's directory");
}

static bool same_block(const struct cat_block *b, const struct block_record *rec)
{
	return b != NULL && b->rec.bytes == rec->bytes &&
	       memcmp(b->rec.digest, rec->digest, sizeof rec->digest) == 0;
}

/* Renames the block into place and journals it; undoes the rename when the
 * journal cannot take it, so that disk and journal never disagree. */
static bool store_block(struct catalog *cat, const struct cat_job *job, struct cat_task *task,
			const struct block_record *rec, struct store_block_writer *writer,
			struct catalog_error *err)
{
	char data_dir[PATH_MAX];
	struct task_key key;
	int rc;

	cat_make_task_key(&key, job, task->id);
	rc = store_data_dir(cat->store, &key, data_dir);
	if (rc != 0) {
		store_block_abort(writer);
		return fail_store(err, rc, "the block");
	}
	rc = store_block_commit(cat->store, writer);
	if (rc == 0) {
		rc = store_journal_append(cat->store, data_dir, rec);
		if (rc != 0) {
			unlink(writer->final);
			cat_block_drop(task, rec->number); /* its journal line points at nothing now */
		}
	}
	return rc == 0 ? true : fail_store(err, rc, "the block");
}

bool catalog_block_write_end(struct catalog *cat, const struct tsp_request *req,
			     const struct block_record *rec, struct store_block_writer *writer,
			     bool *identical, struct catalog_error *err)
{
	struct cat_job *job;
	struct cat_task *task;

	*identical = false;
	/* The task may have been closed, or its job, while the body arrived. */
	if (!task_takes_blocks(cat, req, &job, &task, err)) {
		if (writer != NULL)
			store_block_abort(writer);
		return false;
	}
	if (same_block(cat_block_find(task, rec->number), rec)) {
		*identical = true;
		if (writer != NULL)
			store_block_abort(writer);
		return true;
	}
	if (writer != NULL && !store_block(cat, job, task, rec, writer, err))
		return false;
	if (cat_block_put(task, rec) != 0)
		return fail(err, 500, "internal", "out of memory");
	return true;
}

/* ---- block reads ---- */

static bool open_block(struct catalog *cat, const struct cat_job *source, const char *task,
		       const struct block_record *rec, int *fd, struct catalog_error *err)
{
	char data_dir[PATH_MAX], path[PATH_MAX];
	struct task_key key;
	struct stat st;
	int rc;

	cat_make_task_key(&key, source, task);
	rc = store_data_dir(cat->store, &key, data_dir);
	if (rc == 0)
		rc = store_block_path(data_dir, rec->number, path);
	if (rc != 0)
		return fail_store(err, rc, "the block");
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return fail(err, 500, "internal",
			    "block %u of %s is missing from the store (%s): run "
			    "sluice-repo --verify",
			    (unsigned)rec->number, task, strerror(errno));
	if (fstat(*fd, &st) < 0 || st.st_size != (off_t)rec->bytes) {
		close(*fd);
		*fd = -1;
		return fail(err, 500, "internal",
			    "block %u of %s has the wrong size on disk: run "
			    "sluice-repo --verify",
			    (unsigned)rec->number, task);
	}
	return true;
}

bool catalog_block_read(struct catalog *cat, const struct tsp_request *req, int *fd, struct block_record *rec,
			struct catalog_error *err)
{
	struct cat_job *job, *source;
	struct cat_task *task, *source_task;
	struct cat_block *b;
	struct block_record read = { 0 };
	int rc;

	*fd = -1;
	if (!find_task(cat, req, &job, &task, err) || !task_must_be_open(task, err))
		return false;
	rc = cat_job_get(cat, req->tenant, job->meta.source_category, job->meta.source, &source);
	if (rc != 0)
		return rc == ENOENT
			       ? fail(err, 404, "unknown-source", "source job %s is gone", job->meta.source)
			       : fail_store(err, rc, "the source job's metadata");
	source_task = cat_task_find(source, task->meta.source);
	if (source_task == NULL)
		return fail(err, 404, "unknown-source", "source task %s is gone", task->meta.source);
	b = cat_block_find(source_task, req->block);
	if (b == NULL)
		return fail(err, 404, "unknown-block", "task %s has no block %u", source_task->id,
			    (unsigned)req->block);
	if (cat->discard)
		return fail(err, 404, "unknown-block",
			    "block data is not kept: sluice-repo runs with --discard");
	if (!open_block(cat, source, source_task->id, &b->rec, fd, err))
		return false;
	*rec = b->rec;
	read.number = rec->number;
	read.bytes = rec->bytes;
	if (cat_block_put(task, &read) != 0) { /* counts distinct blocks read */
		close(*fd);
		*fd = -1;
		return fail(err, 500, "internal", "out of memory");
	}
	return true;
}

/* ---- closes ---- */

static void fill_view(const struct cat_job *job, const struct cat_task *task, struct task_view *view)
{
	view->task = task->id;
	view->state = task->meta.state;
	view->blocks = task->block_count;
	view->bytes = task->bytes;
	view->has_replica = job->key.category == TSP_CAT_REPLICATION;
	view->replica = task->meta.replica;
}

/* A replicate task closing with success makes its data the VM's replica. */
static bool promote_replica(struct catalog *cat, const struct cat_job *job, const char *vm,
			    enum replica_state *state, struct catalog_error *err)
{
	struct replica_meta replica = { 0 };
	int rc = store_replica_load(cat->store, job->key.tenant, vm, &replica);

	if (rc != 0 && rc != ENOENT)
		return fail_store(err, rc, "the replica's metadata");
	if (rc == 0 && replica.state == REPLICA_FAILED_OVER)
		return fail(err, 409, "conflict", "the replica of %s was failed over while this task ran",
			    vm);
	replica.state = REPLICA_READY;
	memcpy(replica.point, job->key.job, sizeof replica.point);
	rc = store_replica_save(cat->store, job->key.tenant, vm, &replica);
	if (rc != 0)
		return fail_store(err, rc, "the replica's state");
	*state = REPLICA_READY;
	return true;
}

/* The replica state a replicate task reports when it does not promote. */
static enum replica_state current_replica(struct catalog *cat, const struct cat_job *job, const char *vm)
{
	struct replica_meta replica;

	return store_replica_load(cat->store, job->key.tenant, vm, &replica) == 0 ? replica.state
										  : REPLICA_NONE;
}

bool catalog_task_close(struct catalog *cat, const struct tsp_request *req, struct task_view *view,
			struct catalog_error *err)
{
	struct cat_job *job;
	struct cat_task *task;
	struct task_meta meta;
	struct task_key key;
	bool success = req->result == TSP_RESULT_SUCCESS;
	int rc;

	if (!find_task(cat, req, &job, &task, err) || !task_must_be_open(task, err))
		return false;
	meta = task->meta;
	meta.state = success ? TASK_COMPLETE : TASK_FAILED;
	if (job->key.category == TSP_CAT_REPLICATION && job->meta.operation == TSP_OP_REPLICATE) {
		if (success && !promote_replica(cat, job, task->id, &meta.replica, err))
			return false;
		if (!success)
			meta.replica = current_replica(cat, job, task->id);
	}
	if (job->key.category == TSP_CAT_RESTORE) {
		meta.blocks = task->block_count;
		meta.bytes = task->bytes;
	}
	cat_make_task_key(&key, job, task->id);
	rc = store_task_save(cat->store, &key, &meta);
	if (rc != 0)
		return fail_store(err, rc, "the task's state");
	task->meta = meta;
	fill_view(job, task, view);
	return true;
}

bool catalog_job_close(struct catalog *cat, const struct tsp_request *req,
		       void (*each)(void *arg, const struct task_view *view), void *arg,
		       struct catalog_error *err)
{
	struct cat_job *job;
	struct cat_task *t;
	struct job_meta meta;
	struct task_key key;
	int rc;

	if (!find_job(cat, req, &job, err))
		return false;
	if (job->meta.state != JOB_OPEN)
		return fail(err, 409, "conflict", "%s job %s is closed already", category(req), req->job);
	TAILQ_FOREACH(t, &job->task_order, order_link) {
		struct task_meta tm = t->meta;

		if (tm.state != TASK_OPEN)
			continue;
		tm.state = TASK_INCOMPLETE;
		cat_make_task_key(&key, job, t->id);
		rc = store_task_save(cat->store, &key, &tm);
		if (rc != 0)
			return fail_store(err, rc, "a task's state");
		t->meta = tm;
	}
	meta = job->meta;
	meta.state = JOB_CLOSED;
	meta.result = req->result;
	rc = store_job_save(cat->store, &job->key, &meta);
	if (rc != 0)
		return fail_store(err, rc, "the job's state");
	job->meta = meta;
	TAILQ_FOREACH(t, &job->task_order, order_link) {
		struct task_view view;

		fill_view(job, t, &view);
		each(arg, &view);
	}
	cat_job_closed(cat, job);
	return true;
}
