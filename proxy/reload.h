/*
 * proxy/reload.h: the one reload function, for SIGHUP and for the admin
 * endpoint (issue 6). Build new, validate, swap (pgbouncer's and hitch's
 * way): the INI file is loaded into a fresh configuration and everything
 * built from it (TLS contexts, resolved upstream) before anything changes; on
 * any error the running configuration stays and the log says
 * "reload failed: FILE:LINE: ...". On success every changed key is logged
 * ("maintenance.enabled: off -> on"), keys that need a restart are reported
 * as such and keep their running value, the maintenance settings are applied
 * (T = now when maintenance goes on; the same state keeps T), and new
 * connections use the new configuration while connections in flight keep
 * theirs.
 */
#ifndef SLUICE_RELOAD_H
#define SLUICE_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

struct server;

#define RELOAD_ERROR_MAX 1024

/* Returns true when the new configuration is in force. */
bool reload_run(struct server *s);

/* The same, with the reason of a failure copied to err (admin endpoint). */
bool reload_run_verbose(struct server *s, char *err, size_t err_size);

#endif
