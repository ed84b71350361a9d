/*
 * proxy/policy/policy_session.h: the session rules of the maintenance policy
 * (policy.h, "Sessions"), apart from policy.c so each file keeps one thing.
 * Internal to the policy: the shell calls policy.h only.
 */
#ifndef SLUICE_POLICY_SESSION_H
#define SLUICE_POLICY_SESSION_H

#include <stdbool.h>

#include "policy/policy.h"

/* The roles of sessions: READ, WRITE, LOCK_CREATE, LOCK_DELETE. */
bool policy_session_role(enum tsp_role role);

/* What the policy knows when it decides a session's request. */
struct session_rules {
	bool on;               /* maintenance on */
	bool covered;          /* the session's category is covered */
	enum policy_mode mode; /* effective mode, now */
	bool refuse_refresh;   /* [restic] refuse_refresh_after_refusal */
};

/* The decision for a WRITE, LOCK_CREATE or LOCK_DELETE (READ has category
 * restore and never gets here). Pure. */
struct policy_decision policy_session_decide(const struct jobs *jobs, const struct tsp_request *req,
					     const struct session_rules *rules);

/* The table after the repository's answer (policy_settle's session half). */
void policy_session_settle(struct jobs *jobs, const struct tsp_request *req, unsigned status, double now,
			   struct policy_session_end *end);

#endif
