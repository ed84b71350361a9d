/*
 * proxy/daemon.h: becoming a daemon: detaching (the parent waits until the
 * child says it serves, so `sluice -c FILE` exits non-zero when start-up
 * fails), the pidfile, dropping root for [proxy] user, and RLIMIT_NOFILE
 * raised to its hard limit.
 */
#ifndef SLUICE_DAEMON_H
#define SLUICE_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Fork into the background. Returns in the child only, with *ready_fd the
 * pipe on which daemon_ready() reports; the parent exits with the status the
 * child reports (1 if it dies first). keep_stderr: leave stderr open (the log
 * goes there). */
bool daemon_detach(bool keep_stderr, int *ready_fd, char *err, size_t err_size);
/* Tell a waiting parent the start-up status; -1 is ignored. */
void daemon_ready(int ready_fd, int status);

bool daemon_write_pidfile(const char *path, char *err, size_t err_size);
void daemon_remove_pidfile(const char *path);

/* Started as root: create the directory of each path that lacks one
 * (pidfile, admin socket: /run/sluice outside systemd), mode 0750, owned by
 * user when one is set so that it can remove its files at exit. Not root, or
 * the directory exists: nothing to do. false names the path that failed. */
bool daemon_make_runtime_dirs(const char *const *paths, size_t count, const char *user, char *err,
			      size_t err_size);

/* Started as root with user set: give user the files the process keeps
 * using after it drops root (the log file it reopens on USR1, the admin
 * socket its group uses, the pidfile it removes). Empty paths are skipped;
 * a failure is logged, not fatal. */
void daemon_hand_over(const char *const *paths, size_t count, const char *user);

/* When running as root and user is not empty: become that user (its groups
 * included). Not root: nothing to do. */
bool daemon_drop_privileges(const char *user, char *err, size_t err_size);

/* Raise the soft RLIMIT_NOFILE to the hard limit (as HAProxy does; as root
 * the hard limit too, up to want, when it is below), log the change, and
 * return the soft limit in force (ULONG_MAX: no limit). How many tenant
 * connections that limit allows is the server's business (server.c). */
unsigned long daemon_raise_nofile(unsigned long want);
/* The soft RLIMIT_NOFILE in force now (ULONG_MAX: no limit). */
unsigned long daemon_nofile_limit(void);
/* The descriptors the process holds whatever the tenants do: stdio, the
 * listeners, each admin transport with its [admin] max_clients, the log file
 * or syslog socket, the event loop, the [limits] upstream_idle_connections
 * kept for reuse, and a margin for files read on reload. */
unsigned long daemon_descriptors_fixed(const struct sluice_config *cfg, size_t listeners);

#endif
