/* tests/unit/session_fixture.c: see session_fixture.h. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "restic.h"
#include "session_fixture.h"

/* ---- requests ---- */

/* A request as restic_classify() would make it: reads have category
 * restore, the rest the session's category; source_category is always the
 * session's (backup unless changed with as_copy()). */
struct tsp_request restic_req(enum tsp_role role, const char *tenant, const char *repo, const char *client,
			      const char *lock)
{
	struct tsp_request req;

	memset(&req, 0, sizeof(req));
	req.role = role;
	req.category = role == TSP_ROLE_READ ? TSP_CAT_RESTORE : TSP_CAT_BACKUP;
	req.source_category = TSP_CAT_BACKUP;
	snprintf(req.tenant, sizeof(req.tenant), "%s", tenant);
	snprintf(req.repository, sizeof(req.repository), "%s", repo);
	snprintf(req.client, sizeof(req.client), "%s", client);
	restic_session_key(req.repository, req.client, req.job);
	if ((role == TSP_ROLE_LOCK_CREATE || role == TSP_ROLE_LOCK_DELETE) && lock != NULL)
		snprintf(req.task, sizeof(req.task), "%s", lock);
	return req;
}

/* The session's category is backup-copy (a repository matching
 * [restic] backup_copy_repositories). */
struct tsp_request as_copy(struct tsp_request req)
{
	if (req.role != TSP_ROLE_READ)
		req.category = TSP_CAT_BACKUP_COPY;
	req.source_category = TSP_CAT_BACKUP_COPY;
	return req;
}

struct tsp_request lock_create(const char *lock)
{
	return restic_req(TSP_ROLE_LOCK_CREATE, TENANT, REPO, HOST, lock);
}

struct tsp_request lock_delete(const char *lock)
{
	return restic_req(TSP_ROLE_LOCK_DELETE, TENANT, REPO, HOST, lock);
}

/* POST data/..., index/... (bytes of body); snapshot: POST snapshots/... */
struct tsp_request write_req(uint32_t bytes, bool snapshot)
{
	struct tsp_request req = restic_req(TSP_ROLE_WRITE, TENANT, REPO, HOST, NULL);

	req.body_bytes = bytes;
	req.saves_snapshot = snapshot;
	return req;
}

/* GET data/..., or with config = true HEAD/GET config (a command begins). */
struct tsp_request read_req(bool config)
{
	struct tsp_request req = restic_req(TSP_ROLE_READ, TENANT, REPO, HOST, NULL);

	req.opens_repository = config;
	return req;
}

/* ---- the shell ---- */

/* One request end to end; status is the repository's final answer when it
 * is forwarded (0: none came). *end (may be NULL) gets what policy_settle
 * said; it is filled with garbage first so that the test sees it cleared. */
struct policy_decision play_end(struct fixture *f, const struct tsp_request *req, unsigned status,
				struct policy_session_end *end)
{
	struct policy_decision d = policy_decide(f->policy, f->jobs, req, f->now);
	struct policy_session_end local;
	struct policy_record rec;

	if (end == NULL)
		end = &local;
	if (d.verdict == POLICY_FORWARD) {
		assert_true(policy_record(f->jobs, req, f->now, &rec));
		memset(end, 0xa5, sizeof(*end));
		policy_settle(f->jobs, req, &rec, status, f->now, end);
		fx_tick(f);
	} else {
		memset(end, 0, sizeof(*end));
		if (d.verdict == POLICY_REFUSE_MAINTENANCE)
			policy_note_refusal(f->jobs, req, &d, f->now);
	}
	return d;
}

struct policy_decision play(struct fixture *f, const struct tsp_request *req, unsigned status)
{
	return play_end(f, req, status, NULL);
}

struct job *find_session(struct fixture *f, const char *tenant, enum tsp_category category, const char *repo,
			 const char *client)
{
	char key[TSP_ID_MAX + 1];

	restic_session_key(repo, client, key);
	return jobs_find(f->jobs, tenant, category, key);
}

struct job *the_session(struct fixture *f)
{
	return find_session(f, TENANT, TSP_CAT_BACKUP, REPO, HOST);
}

/* A session with one lock, opened while maintenance is off. */
void open_session(struct fixture *f, const char *lock)
{
	struct tsp_request req = lock_create(lock);

	assert_forwarded(play(f, &req, 200), POLICY_WHY_LOCK);
	assert_non_null(the_session(f));
}

void set_idle_expiry(struct fixture *f, double seconds)
{
	struct jobs_limits limits = *jobs_limits(f->jobs);

	limits.idle_expiry = seconds;
	assert_true(jobs_set_limits(f->jobs, &limits));
}
