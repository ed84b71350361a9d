/*
 * tools/ctl/ctl.h: what the files of sluicectl share: the parsed command
 * line, the error type, and one entry point per command.
 *
 *   sluicectl [-c FILE] status [--json]
 *   sluicectl [-c FILE] maintenance on|off [--mode drain|block] [--message TEXT]
 *                                          [--retry-after DURATION] [--timeout DURATION]
 *   sluicectl [-c FILE] maintenance plan [--mode drain|block] [--tenants LIST] [--json]
 *   sluicectl [-c FILE] wait-drained [--timeout DURATION]
 *   sluicectl [-c FILE] reload [--timeout DURATION]
 *   sluicectl [-c FILE] check
 *   sluicectl --fleet FLEET status | maintenance on|off | wait-drained [--timeout DURATION]
 *
 * Exit status: CTL_EXIT_OK, CTL_EXIT_FAILED, CTL_EXIT_USAGE.
 */
#ifndef SLUICE_CTL_H
#define SLUICE_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/config.h"

enum ctl_exit {
	CTL_EXIT_OK = 0,     /* done, or (wait-drained) drained */
	CTL_EXIT_FAILED = 1, /* refused, unreachable, or (wait-drained) still draining at the timeout */
	CTL_EXIT_USAGE = 2   /* a command line that cannot be parsed */
};

/* How long reload and maintenance wait for the daemon's answer unless
 * --timeout says otherwise. */
#define CTL_REPLY_TIMEOUT_MS (10 * CONFIG_MS_SECOND)

enum ctl_command { CTL_STATUS, CTL_MAINTENANCE, CTL_PLAN, CTL_WAIT_DRAINED, CTL_RELOAD, CTL_CHECK };

struct ctl_args {
	const char *config_path; /* -c, default SYSCONFDIR "/sluice/sluice.ini" */
	enum ctl_command command;
	bool maintenance_on;     /* maintenance: on (true) or off */
	bool json;               /* status, maintenance plan: --json */
	const char *mode;        /* maintenance --mode, NULL = leave the file's */
	const char *tenants;     /* maintenance plan --tenants: NAME,NAME,... */
	const char *message;     /* maintenance --message */
	const char *retry_after; /* maintenance --retry-after, as given (the loader parses it) */
	bool timeout_set;        /* --timeout given */
	uint64_t timeout_ms;     /* --timeout: wait-drained bound, or the reply bound */
	const char *fleet_path;  /* --fleet: a file listing instances; NULL = the one of -c */
	const char *since;       /* maintenance on: the [maintenance] since to write; NULL = now */
};

/* "2026-12-24T22:00:00Z" and its NUL. */
#define CTL_SINCE_MAX 24

/* Now, as [maintenance] since is written: ISO 8601, seconds, UTC. */
void ctl_since_now(char out[CTL_SINCE_MAX]);

#define CTL_ERROR_MAX 1024

/* A problem, as a message that names the thing and the fix. */
struct ctl_error {
	char message[CTL_ERROR_MAX];
};

/* snprintf into err; returns false, for "return ctl_fail(err, ...);". */
bool ctl_fail(struct ctl_error *err, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* "sluicectl: " + the formatted text + "\n" on stderr. */
void ctl_warn(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic milliseconds, for deadlines. */
uint64_t ctl_now_ms(void);

/* Sleep ms milliseconds (polling the daemon; never in tests). */
void ctl_pause_ms(uint64_t ms);

/* The commands; each returns an enum ctl_exit. */
int ctl_status(const struct ctl_args *args);
int ctl_wait_drained(const struct ctl_args *args);
int ctl_reload(const struct ctl_args *args);
int ctl_maintenance(const struct ctl_args *args);
int ctl_plan(const struct ctl_args *args);
int ctl_fleet(const struct ctl_args *args);

#endif
