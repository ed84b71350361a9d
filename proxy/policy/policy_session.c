/*
 * proxy/policy/policy_session.c: the session rules (policy.h, "Sessions"). Pure.
 */
#include "autoconfig.h"

#include <string.h>

#include "policy/policy_session.h"

bool policy_session_role(enum tsp_role role)
{
	return role == TSP_ROLE_READ || role == TSP_ROLE_WRITE || role == TSP_ROLE_LOCK_CREATE ||
	       role == TSP_ROLE_LOCK_DELETE;
}

static struct policy_decision decision(enum policy_verdict v, enum policy_reason why, enum policy_mode mode)
{
	struct policy_decision d = { v, why, mode, 0 };

	return d;
}

/* The session a request names, whatever its own category (reads are restore). */
static struct job *session_of(const struct jobs *jobs, const struct tsp_request *req)
{
	struct job *job = jobs_find(jobs, req->tenant, req->source_category, req->job);

	return job != NULL && job->session != NULL ? job : NULL;
}

struct policy_decision policy_session_decide(const struct jobs *jobs, const struct tsp_request *req,
					     const struct session_rules *rules)
{
	const struct job *job = session_of(jobs, req);
	bool active = rules->on && rules->covered;

	if (req->role == TSP_ROLE_LOCK_CREATE) {
		/* A refresh of a backup whose writes were refused: refusing it
		 * lets restic >= 0.16 give up instead of hanging. A session that
		 * read its config since its last lock began a new command (a
		 * restore from the same host, say): that one is let through. */
		if (active && rules->refuse_refresh && job != NULL && job->session->refusal_seen &&
		    !job->session->config_read)
			return decision(POLICY_REFUSE_MAINTENANCE, POLICY_WHY_REFRESH_REFUSED, rules->mode);
		return decision(POLICY_FORWARD, POLICY_WHY_LOCK, rules->mode);
	}
	if (req->role != TSP_ROLE_WRITE)
		return decision(POLICY_FORWARD, POLICY_WHY_LOCK, rules->mode);
	if (!rules->on)
		return decision(POLICY_FORWARD, POLICY_WHY_OFF, POLICY_MODE_DRAIN);
	if (!rules->covered)
		return decision(POLICY_FORWARD, POLICY_WHY_NOT_COVERED, POLICY_MODE_DRAIN);
	if (rules->mode == POLICY_MODE_BLOCK)
		return decision(POLICY_REFUSE_MAINTENANCE, POLICY_WHY_BLOCK_MODE, rules->mode);
	if (job == NULL)
		return decision(POLICY_REFUSE_MAINTENANCE, POLICY_WHY_UNKNOWN_SESSION, rules->mode);
	if (job->draining)
		return decision(POLICY_FORWARD, POLICY_WHY_SESSION_AT_T, rules->mode);
	return decision(POLICY_REFUSE_MAINTENANCE, POLICY_WHY_LATER_SESSION, rules->mode);
}

static void end_session(struct jobs *jobs, struct job *job, struct policy_session_end *end)
{
	if (end != NULL) {
		end->ended = true;
		end->session = *job->session;
		end->verdict = policy_session_verdict(job->session);
		end->draining = job->draining;
		end->opened_at = job->opened_at;
	}
	jobs_close(jobs, job);
}

/* An accepted lock create: the session (opened now if new) gains the lock. */
static void add_lock(struct jobs *jobs, const struct tsp_request *req, struct job *job, double now,
		     struct policy_session_end *end)
{
	static const struct job_desc desc = { TSP_ORIGIN_NONE, TSP_WORKLOAD_NONE, TSP_OP_NONE };
	struct job_task *lock = NULL;

	if (job == NULL) {
		if (jobs_open(jobs, req->tenant, req->source_category, req->job, &desc, now, &job) != JOBS_OK)
			goto untracked;
		if (!jobs_attach_session(job, req->repository, req->client)) {
			jobs_close(jobs, job);
			goto untracked;
		}
	}
	/* Accepted: maintenance is off, or a new command began (it read the
	 * config first), or the mitigation is off. Either way what was refused
	 * before is spent: only a refused lock create keeps the memory. */
	job->session->refusal_seen = false;
	job->session->config_read = false;
	jobs_confirm(jobs, job, NULL); /* sessions are made of accepted answers only */
	if (jobs_open_task(jobs, job, req->task, now, &lock) == JOBS_FULL || lock == NULL) {
		jobs_touch_all(jobs, job, now);
		goto untracked;
	}
	jobs_confirm(jobs, job, lock);
	jobs_touch_all(jobs, job, now);
	return;
untracked:
	if (end != NULL)
		end->untracked = 1;
}

/* An accepted (or 404) lock delete: the lock goes, the session with its last. */
static void remove_lock(struct jobs *jobs, const struct tsp_request *req, struct job *job, double now,
			struct policy_session_end *end)
{
	struct job_task *lock = jobs_find_task(job, req->task);

	if (lock != NULL)
		jobs_close_task(jobs, lock);
	if (job->task_count == 0)
		end_session(jobs, job, end);
	else
		jobs_touch_all(jobs, job, now);
}

void policy_session_settle(struct jobs *jobs, const struct tsp_request *req, unsigned status, double now,
			   struct policy_session_end *end)
{
	struct job *job = session_of(jobs, req);
	bool ok = status >= 200 && status <= 299;

	if (req->role == TSP_ROLE_LOCK_CREATE) {
		if (ok)
			add_lock(jobs, req, job, now, end);
		return;
	}
	if (job == NULL)
		return;
	if (req->role == TSP_ROLE_LOCK_DELETE) {
		if (ok || status == 404) /* gone at the repository either way */
			remove_lock(jobs, req, job, now, end);
		return;
	}
	if (!ok)
		return; /* a refused or failed request (401 included) changes nothing */
	if (req->role == TSP_ROLE_READ && req->opens_repository)
		job->session->config_read = true;
	if (req->role == TSP_ROLE_WRITE) {
		job->session->writes++;
		job->session->bytes += req->body_bytes;
		if (req->saves_snapshot)
			job->session->snapshot = true;
	}
	jobs_touch_all(jobs, job, now);
}

enum policy_session_verdict policy_session_verdict(const struct job_session *session)
{
	if (session->snapshot)
		return POLICY_SESSION_COMPLETE;
	if (session->writes > 0)
		return POLICY_SESSION_WRITES;
	return session->refused > 0 ? POLICY_SESSION_REFUSED : POLICY_SESSION_READ_ONLY;
}

const char *policy_session_verdict_name(enum policy_session_verdict verdict)
{
	switch (verdict) {
	case POLICY_SESSION_COMPLETE:
		return "complete";
	case POLICY_SESSION_WRITES:
		return "writes-without-snapshot";
	case POLICY_SESSION_READ_ONLY:
		return "read-only";
	case POLICY_SESSION_REFUSED:
		return "refused";
	case POLICY_SESSION_VERDICTS:
		break;
	}
	return "?";
}

void policy_note_refusal(struct jobs *jobs, const struct tsp_request *req, const struct policy_decision *d,
			 double now)
{
	struct job *job = session_of(jobs, req);

	if (job == NULL || d->verdict != POLICY_REFUSE_MAINTENANCE)
		return;
	if (req->role == TSP_ROLE_WRITE) {
		job->session->refused++;
		job->session->refusal_seen = true;
	} else if (d->reason == POLICY_WHY_REFRESH_REFUSED && !job->draining)
		jobs_touch(jobs, job, NULL, now);
}
