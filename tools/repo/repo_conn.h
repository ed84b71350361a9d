/*
 * tools/repo/repo_conn.h: one tenant connection of sluice-repo: non-blocking
 * reads into a bounded buffer, the framing loop (protocol/http.h), requests
 * answered strictly in order (pipelining), block reads streamed from disk,
 * header/body/idle/send timeouts and a lingering close.
 */
#ifndef SLUICE_REPO_CONN_H
#define SLUICE_REPO_CONN_H

#include <ev.h>
#include <stddef.h>
#include <sys/queue.h>

#include "repo.h"

struct repo_conn;

/* Every live connection, so that a stop can end them all. */
struct conn_set {
	LIST_HEAD(, repo_conn) live; /* newest first */
	size_t count;
};

/* Takes fd (non-blocking); NULL (fd closed) when out of memory. */
struct repo_conn *conn_new(struct repo *repo, struct ev_loop *loop, struct conn_set *set, int fd,
			   const char *peer);
/* Ends a connection at once (a request in progress keeps nothing). */
void repo_conn_free(struct repo_conn *c);
void conn_set_close_all(struct conn_set *set);

#endif
