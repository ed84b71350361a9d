/*
 * tools/repo/repo_users.h: the tenants sluice-repo accepts, from a users file.
 *
 * One tenant per line, "tenant:secret"; blank lines and lines starting with
 * '#' are skipped; a trailing CR is dropped. The tenant name follows the id
 * grammar of PROTOCOL.md §5 (and is not "replicas", the replica store's
 * directory); the secret is 1..128 bytes without control characters and may
 * hold colons (the line is split at its first colon). A tenant appears once.
 */
#ifndef SLUICE_REPO_USERS_H
#define SLUICE_REPO_USERS_H

#include <stdbool.h>
#include <stddef.h>

struct users;

/* Parses text (name is the file name used in error messages). On success
 * returns 0 and *out; on failure returns -1 and writes "name:line: reason"
 * into err. An empty set of tenants is an error too. */
int users_parse(const char *text, size_t len, const char *name, struct users **out, char *err,
		size_t err_size);

/* Reads and parses a file (at most 1 MiB); errors as users_parse. */
int users_load(const char *path, struct users **out, char *err, size_t err_size);

/* True when tenant exists and secret is its secret (constant-time compare). */
bool users_check(const struct users *users, const char *tenant, const char *secret);

size_t users_count(const struct users *users);

void users_free(struct users *users);

#endif
