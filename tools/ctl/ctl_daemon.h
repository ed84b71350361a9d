/*
 * tools/ctl/ctl_daemon.h: where the running sluice is: its admin socket and its
 * pidfile, as the configuration file names them, and signalling it.
 */
#ifndef SLUICE_CTL_DAEMON_H
#define SLUICE_CTL_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "conf/config.h"
#include "ctl.h"

struct ctl_daemon {
	char socket_path[CONFIG_UNIX_PATH_MAX]; /* [admin] socket, absolute; "" = none configured */
	char pidfile[PATH_MAX];                 /* [proxy] pidfile, absolute; "" = none configured */
};

/* From a loaded configuration. */
void ctl_daemon_from_config(const struct sluice_config *cfg, struct ctl_daemon *daemon);

/* From the file at config_path. A file that does not load still names the
 * daemon: the two keys are then taken as written (or their defaults), and a
 * warning with the loader's error goes to stderr, so that `status` and
 * `reload` keep working while the file is being fixed. False only when the
 * file cannot be read or the two keys cannot be resolved. */
bool ctl_daemon_find(const char *config_path, struct ctl_daemon *daemon, struct ctl_error *err);

enum daemon_signal_result {
	DAEMON_SIGNALLED,
	DAEMON_NOT_RUNNING,  /* no pidfile configured or present, or its process is gone */
	DAEMON_SIGNAL_FAILED /* the process is not sluice, or may not be signalled: err says */
};

/* Send signo to the process in the pidfile, after checking that it is alive
 * and, where /proc tells, that it is sluice (a stale pidfile may name
 * anything). *pid is the process id read. signo 0 only checks. */
enum daemon_signal_result ctl_daemon_signal(const struct ctl_daemon *daemon, int signo, pid_t *pid,
					    struct ctl_error *err);

#endif
