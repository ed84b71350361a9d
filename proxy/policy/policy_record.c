/*
 * proxy/policy/policy_record.c: the job table after a decision (policy.h, "Which
 * messages change the job table"): what a forwarded request holds, and what
 * its answer confirms, undoes or closes. Pure.
 */
#include "autoconfig.h"

#include <string.h>

#include "policy/policy.h"
#include "policy/policy_session.h"

/* Categories the job table tracks (policy.c says why). */
#define TRACKED_CATEGORIES POLICY_CATEGORIES_ALLOWED

static bool tracked(enum tsp_category category)
{
	return (int)category >= 0 && category < TSP_CAT_COUNT &&
	       (TRACKED_CATEGORIES & POLICY_CATEGORY(category));
}

static const struct job_desc *desc_of(const struct tsp_request *req, struct job_desc *desc)
{
	desc->origin = req->origin;
	desc->workload = req->workload;
	desc->operation = req->operation;
	return desc;
}

/* ---- holding entries until the answer ---- */

static void hold_job(struct job *job, struct policy_record *rec)
{
	job->pending++;
	rec->job_serial = job->serial;
}

static void hold_task(struct job_task *task, struct policy_record *rec)
{
	task->pending++;
	rec->task_serial = task->serial;
}

/* The entries this request holds, if they are still the ones it held. */
static struct job *held_job(struct jobs *jobs, const struct tsp_request *req, const struct policy_record *rec)
{
	struct job *job = jobs_find(jobs, req->tenant, req->category, req->job);

	return job != NULL && rec->job_serial != 0 && job->serial == rec->job_serial ? job : NULL;
}

static struct job_task *held_task(struct job *job, const struct tsp_request *req,
				  const struct policy_record *rec)
{
	struct job_task *task = jobs_find_task(job, req->task);

	return task != NULL && rec->task_serial != 0 && task->serial == rec->task_serial ? task : NULL;
}

/* The request's answer came (or never will): release what it held. A
 * failure removes an entry only when nothing ever confirmed it and no other
 * request is pending on it (it was this request's, or a failed one's). */
static void release(struct jobs *jobs, const struct tsp_request *req, const struct policy_record *rec,
		    bool confirmed)
{
	struct job *job = held_job(jobs, req, rec);
	struct job_task *task = job != NULL ? held_task(job, req, rec) : NULL;

	if (job != NULL && confirmed)
		jobs_confirm(jobs, job, task);
	if (task != NULL) {
		if (task->pending > 0)
			task->pending--;
		if (!task->confirmed && task->pending == 0)
			jobs_close_task(jobs, task);
	}
	if (job != NULL) {
		if (job->pending > 0)
			job->pending--;
		if (!job->confirmed && job->pending == 0 && job->task_count == 0)
			jobs_close(jobs, job);
	}
}

/* ---- at forwarding ---- */

/* The job a message names: found, or registered as learned. NULL when it
 * cannot be (table full, memory). */
static struct job *find_or_learn_job(struct jobs *jobs, const struct tsp_request *req, double now,
				     struct policy_record *rec)
{
	static const struct job_desc unknown = { TSP_ORIGIN_NONE, TSP_WORKLOAD_NONE, TSP_OP_NONE };
	struct job *job = jobs_find(jobs, req->tenant, req->category, req->job);

	if (job != NULL)
		return job;
	if (jobs_open(jobs, req->tenant, req->category, req->job, &unknown, now, &job) != JOBS_OK)
		return NULL;
	jobs_mark_learned(job, NULL);
	rec->job_learned = true;
	return job;
}

static bool record_job_open(struct jobs *jobs, const struct tsp_request *req, double now,
			    struct policy_record *rec)
{
	struct job *job = jobs_find(jobs, req->tenant, req->category, req->job);
	struct job_desc desc;

	/* An existing entry is not opened again: that would touch it before the
	 * repository authenticated the request. */
	if (job == NULL) {
		if (jobs_open(jobs, req->tenant, req->category, req->job, desc_of(req, &desc), now, &job) !=
		    JOBS_OK)
			return false;
		rec->job_added = true;
	}
	hold_job(job, rec);
	return true;
}

static bool record_task_open(struct jobs *jobs, const struct tsp_request *req, double now,
			     struct policy_record *rec)
{
	struct job *job = find_or_learn_job(jobs, req, now, rec);
	struct job_task *task;

	if (job == NULL)
		return false;
	hold_job(job, rec);
	task = jobs_find_task(job, req->task);
	if (task == NULL) {
		if (jobs_open_task(jobs, job, req->task, now, &task) != JOBS_OK) {
			release(jobs, req, rec, false); /* not forwarded: nothing is pending */
			return false;
		}
		rec->task_added = true;
	}
	hold_task(task, rec);
	return true;
}

/* Block writes and closes: hold what they name, learning what is missing. */
static void record_activity(struct jobs *jobs, const struct tsp_request *req, double now,
			    struct policy_record *rec)
{
	struct job *job = req->role == TSP_ROLE_JOB_CLOSE
				  ? jobs_find(jobs, req->tenant, req->category, req->job)
				  : find_or_learn_job(jobs, req, now, rec);
	struct job_task *task;

	if (job == NULL) {
		rec->untracked = req->role != TSP_ROLE_JOB_CLOSE;
		return;
	}
	hold_job(job, rec);
	if (req->role == TSP_ROLE_JOB_CLOSE)
		return;
	task = jobs_find_task(job, req->task);
	if (task == NULL && req->role == TSP_ROLE_BLOCK_WRITE) {
		if (jobs_open_task(jobs, job, req->task, now, &task) != JOBS_OK) {
			rec->untracked = true;
			task = NULL;
		} else {
			jobs_mark_learned(job, task);
			rec->task_learned = true;
		}
	}
	if (task != NULL)
		hold_task(task, rec);
}

bool policy_record(struct jobs *jobs, const struct tsp_request *req, double now, struct policy_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->recorded_at = now;
	if (!tracked(req->category) || policy_session_role(req->role))
		return true; /* sessions change on the answer: policy_settle() */
	switch (req->role) {
	case TSP_ROLE_JOB_OPEN:
		return record_job_open(jobs, req, now, rec);
	case TSP_ROLE_TASK_OPEN:
		return record_task_open(jobs, req, now, rec);
	case TSP_ROLE_BLOCK_WRITE:
	case TSP_ROLE_TASK_CLOSE:
	case TSP_ROLE_JOB_CLOSE:
		record_activity(jobs, req, now, rec);
		return true;
	default:
		return true;
	}
}

/* ---- at the answer ---- */

/* An accepted request: it confirms and touches what it names; a close
 * closes, a repeated open describes the job anew, a block write counts. */
static void accepted(struct jobs *jobs, const struct tsp_request *req, const struct policy_record *rec,
		     double now)
{
	struct job *job;
	struct job_task *task;
	struct job_desc desc;

	release(jobs, req, rec, true);
	job = jobs_find(jobs, req->tenant, req->category, req->job);
	task = jobs_find_task(job, req->task);
	if (job == NULL)
		return;
	if (req->role == TSP_ROLE_JOB_OPEN && !rec->job_added)
		jobs_describe(job, desc_of(req, &desc)); /* a repeated open */
	if (req->role == TSP_ROLE_TASK_CLOSE && task != NULL) {
		if (req->result == TSP_RESULT_SUCCESS)
			jobs_task_done(task); /* what a plan expects of the job's other tasks */
		jobs_close_task(jobs, task);
		task = NULL;
	} else if (req->role == TSP_ROLE_JOB_CLOSE) {
		jobs_close(jobs, job);
		return;
	}
	if (req->role == TSP_ROLE_BLOCK_WRITE && task != NULL)
		jobs_count_bytes(jobs, req->tenant, req->category, req->job, req->task, req->body_bytes, now);
	jobs_touch(jobs, job, task, now);
}

static void settle_tsp(struct jobs *jobs, const struct tsp_request *req, const struct policy_record *rec,
		       unsigned status, double now)
{
	if (!tracked(req->category) || req->role == TSP_ROLE_SESSION_HELLO)
		return;
	if (status >= 200 && status <= 299)
		accepted(jobs, req, rec, now);
	else
		release(jobs, req, rec, false);
}

void policy_on_response(struct jobs *jobs, const struct tsp_request *req, const struct policy_record *rec,
			unsigned status)
{
	if (!policy_session_role(req->role))
		settle_tsp(jobs, req, rec, status, rec->recorded_at);
}

void policy_settle(struct jobs *jobs, const struct tsp_request *req, const struct policy_record *rec,
		   unsigned status, double now, struct policy_session_end *end)
{
	if (end != NULL)
		memset(end, 0, sizeof(*end));
	if (policy_session_role(req->role))
		policy_session_settle(jobs, req, status, now, end);
	else
		settle_tsp(jobs, req, rec, status, now);
}
