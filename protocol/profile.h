/*
 * protocol/profile.h: the wire protocols sluice classifies, behind one small
 * interface (as sniproxy's protocol.h): [proxy] profile names one of them.
 *
 * A profile turns a request head the HTTP framer has checked into a
 * struct tsp_request: tenant, category, role (what the request does: read,
 * write, job or task open and close, lock create and delete, hello), the job
 * and task keys, or into a struct tsp_error the proxy answers itself. The
 * maintenance policy and the job table read only that value, so the rules
 * R1-R11 (HACKING.md) have one implementation whatever the profile. Pure: no
 * I/O, no globals; the options are read, never kept.
 */
#ifndef SLUICE_PROFILE_H
#define SLUICE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/http.h"
#include "protocol/tsp.h"

/* The shape of the answers the proxy makes itself. */
enum profile_refusal {
	PROFILE_REFUSAL_JSON,  /* TSP/1: {"error":..,"message":..} body (PROTOCOL.md 8.3) */
	PROFILE_REFUSAL_REASON /* restic: the message is the reason phrase (restic prints
				* the status line, never the body), text body */
};

/* What a profile reads of the configuration ([restic] keys). */
struct profile_options {
	bool private_repos;             /* first path segment must equal the tenant */
	char *const *backup_copy_globs; /* fnmatch(3) patterns on the repository path */
	size_t backup_copy_count;
};

struct profile {
	const char *name; /* "tsp", "restic": the [proxy] profile value */
	enum profile_refusal refusal;
	bool sessions; /* jobs are sessions opened by locks (restic) */
	/* Classify a head; client is the tenant's address (no port), used
	 * only by profiles whose sessions are keyed by it. True and *req
	 * filled, or false and *err filled. */
	bool (*classify)(const struct profile_options *options, const struct http_head *head,
			 const char *client, struct tsp_request *req, struct tsp_error *err);
};

extern const struct profile profile_tsp;
extern const struct profile profile_restic;

/* The profile of that name, or NULL. */
const struct profile *profile_find(const char *name);

#endif
