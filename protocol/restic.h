/*
 * protocol/restic.h: classification of restic's REST protocol (the restic
 * profile; protocol/RESTIC.md). Pure: no I/O, no globals.
 *
 * What a request is, from its method and path alone (the path is parsed
 * from the end: the repository is what comes before the type segment):
 *
 *   HEAD|GET  {repo}/config, {repo}/{type}/{name}, {repo}/{type}/   read
 *   POST      {repo}/locks/{name}                                   lock-create
 *   DELETE    {repo}/locks/{name}                                   lock-delete
 *   POST|DELETE {repo}/config, {repo}/{type}/{name}                 write
 *   POST      {repo}/?create=true                                   write
 *
 * type is data, keys, locks, snapshots or index. A read has category
 * restore (never refused for maintenance); the rest have the category of
 * the session: backup-copy when the repository matches one of
 * [restic] backup_copy_repositories, else backup (source_category holds it
 * for reads too). The session key (job) is the SHA-256, in hex, of the
 * repository and the client's address; a lock's name is its task.
 */
#ifndef SLUICE_RESTIC_H
#define SLUICE_RESTIC_H

#include <stdbool.h>

#include "protocol/http.h"
#include "protocol/profile.h"
#include "protocol/tsp.h"

#define RESTIC_SEGMENTS_MAX 16 /* path segments, repository and file together */

bool restic_classify(const struct profile_options *options, const struct http_head *head, const char *client,
		     struct tsp_request *req, struct tsp_error *err);

/* The session key of a repository and a client: 64 lowercase hex digits. */
void restic_session_key(const char *repository, const char *client, char key[TSP_ID_MAX + 1]);

#endif
