/*
 * tools/repo/repo.h: what the parts of sluice-repo share: the options, the
 * process-wide state and logging.
 */
#ifndef SLUICE_REPO_REPO_H
#define SLUICE_REPO_REPO_H

#include <stdbool.h>
#include <stdint.h>

#include "repo_catalog.h"
#include "repo_respond.h"
#include "repo_store.h"
#include "repo_users.h"

struct repo_options {
	const char *listen; /* host:port */
	const char *data_dir;
	const char *users_file;
	const char *ready_file;   /* NULL: none */
	bool discard;             /* count block data, never store it */
	bool fsync;               /* fsync blocks and metadata before answering */
	bool log_requests;        /* one log line per request */
	bool verbose;             /* also connection events */
	uint32_t max_block;       /* max_block_bytes, 1..TSP_BLOCK_MAX */
	uint32_t max_connections; /* connections served at once; one more is closed at accept */
};

struct repo {
	struct repo_options opt;
	struct users *users;
	struct store store;
	struct catalog *catalog;
	struct outbuf scratch; /* JSON bodies being built */
};

/* SIGHUP: reads the users file again and swaps it in; on any error the
 * tenants in use stay and the log names the file and line. */
void repo_reload_users(struct repo *repo);

/* One line on stderr, prefixed "sluice-repo: ". */
void repo_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
