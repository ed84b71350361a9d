/*
 * proxy/daemon.h: becoming a daemon: detaching (the parent waits until the
 * child says it serves, so `sluice -c FILE` exits non-zero when start-up
 * fails), the pidfile, dropping root for [proxy] user, and RLIMIT_NOFILE
 * raised to fit [proxy] max_connections.
 */
#ifndef SLUICE_DAEMON_H
#define SLUICE_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

/* Fork into the background. Returns in the child only, with *ready_fd the
 * pipe on which daemon_ready() reports; the parent exits with the status the
 * child reports (1 if it dies first). keep_stderr: leave stderr open (the log
 * goes there). */
bool daemon_detach(bool keep_stderr, int *ready_fd, char *err, size_t err_size);
/* Tell a waiting parent the start-up status; -1 is ignored. */
void daemon_ready(int ready_fd, int status);

bool daemon_write_pidfile(const char *path, char *err, size_t err_size);
void daemon_remove_pidfile(const char *path);

/* When running as root and user is not empty: become that user (its groups
 * included). Not root: nothing to do. */
bool daemon_drop_privileges(const char *user, char *err, size_t err_size);

/* Raise the open-file limit toward want; logs when it stays below. */
void daemon_raise_nofile(unsigned long want);

#endif
