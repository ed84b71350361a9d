/*
 * proxy/net/log.h: the daemon's log. One process-wide sink: stderr, syslog or a
 * file ([log] target), a least-severe level ([log] level), and a separate
 * access log of one line per message ([log] requests), written to the same
 * sink whatever the level.
 *
 * Lines are formatted into a bounded buffer and written with one write(2), so
 * that lines from one process never interleave; control characters from the
 * network are replaced before they reach the sink.
 */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define LOG_LINE_MAX 2048 /* one log line, prefix and message; longer is cut */

#define LOG_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* Before log_configure(): everything at notice and above to stderr. */

#define LOG_SYSLOG_SOCKET "/dev/log" /* where syslog(3) sends, glibc's _PATH_LOG */

/* Whether a syslog daemon listens on LOG_SYSLOG_SOCKET; why not in why. */
bool log_syslog_reachable(char *why, size_t why_size);

/* Take [log] from cfg: level, target, facility, file, requests. Opens the
 * file for target = file. target = syslog with no syslog daemon listening
 * logs to stderr instead, after a warning there. False (with err filled, the
 * previous sink kept) when the file cannot be opened. */
bool log_configure(const struct sluice_config *cfg, char *err, size_t err_size);

/* USR1: open the log file again (after rotation). The old descriptor is kept
 * when the new open fails, and the failure is logged. */
void log_reopen(void);

/* Drop the file and syslog connection (at exit). */
void log_close(void);

bool log_enabled(enum config_log_level level);
bool log_requests_enabled(void);

void log_msg(enum config_log_level level, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_prefixed(enum config_log_level level, const char *prefix, const char *fmt, va_list ap)
	LOG_PRINTF(3, 0);
/* One access-log line (no level); dropped unless [log] requests = on. */
void log_access(const char *fmt, ...) LOG_PRINTF(1, 2);

#define log_err(...) log_msg(CONFIG_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(CONFIG_LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(CONFIG_LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(CONFIG_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(CONFIG_LOG_DEBUG, __VA_ARGS__)

#endif
