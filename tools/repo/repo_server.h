/*
 * tools/repo/repo_server.h: sluice-repo's listening socket, accept loop and
 * signals, on one libev loop.
 */
#ifndef SLUICE_REPO_SERVER_H
#define SLUICE_REPO_SERVER_H

#include <ev.h>
#include <stddef.h>

#include "repo_conn.h"
#include "repo.h"

struct repo_server {
	struct repo *repo;
	struct ev_loop *loop;
	int listen_fd;
	ev_io accept_watcher;
	ev_timer accept_pause; /* out of descriptors: accepting resumes later */
	ev_signal sigterm, sigint, sighup;
	struct conn_set conns;
	char bound[80]; /* "127.0.0.1:PORT", "[::1]:PORT" */
};

/* Binds and listens on "host:port" ("[v6]:port"; port 0 picks one). */
int server_listen(struct repo_server *s, struct repo *repo, const char *host_port, char *err,
		  size_t err_size);
/* Writes the bound address and a newline to path, via a temporary file and
 * rename, so that a reader never sees half of it. */
int server_write_ready_file(const struct repo_server *s, const char *path, char *err, size_t err_size);
/* Serves until SIGTERM or SIGINT; SIGHUP reloads the users file. */
void repo_server_run(struct repo_server *s);
/* Ends every connection and closes the socket. */
void server_close(struct repo_server *s);

#endif
