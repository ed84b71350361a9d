/*
 * proxy/net/log.c: the daemon's log sink (see log.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "net/log.h"

#define LOG_FILE_MODE 0640

static struct {
	enum config_log_level level;
	enum config_log_target target;
	int facility;
	bool requests;
	bool syslog_open;
	int fd;     /* file target: the open log file; else -1 */
	char *file; /* file target: its path, for log_reopen() */
} sink = { CONFIG_LOG_NOTICE, CONFIG_LOG_TO_STDERR, LOG_DAEMON, false, false, -1, NULL };

/* Worker threads log while the main thread reloads: the sink changes and
 * each line is written under this lock; level and requests are read
 * atomically without it. */
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;

static const int syslog_priority[] = {
	[CONFIG_LOG_ERROR] = LOG_ERR, [CONFIG_LOG_WARNING] = LOG_WARNING, [CONFIG_LOG_NOTICE] = LOG_NOTICE,
	[CONFIG_LOG_INFO] = LOG_INFO, [CONFIG_LOG_DEBUG] = LOG_DEBUG,
};

static const char *log_level_name(enum config_log_level level)
{
	switch (level) {
	case CONFIG_LOG_ERROR:
		return "error";
	case CONFIG_LOG_WARNING:
		return "warning";
	case CONFIG_LOG_NOTICE:
		return "notice";
	case CONFIG_LOG_INFO:
		return "info";
	case CONFIG_LOG_DEBUG:
		return "debug";
	}
	return "?";
}

static int open_log_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, LOG_FILE_MODE);
}

bool log_syslog_reachable(char *why, size_t why_size)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool reachable;

	snprintf(addr.sun_path, sizeof addr.sun_path, "%s", LOG_SYSLOG_SOCKET);
	reachable = fd >= 0 && connect(fd, (const struct sockaddr *)&addr, sizeof addr) == 0;
	if (!reachable)
		snprintf(why, why_size, "%s: %s", LOG_SYSLOG_SOCKET, strerror(errno));
	if (fd >= 0)
		close(fd);
	return reachable;
}

/* syslog(3) drops every line, without a word, when nothing listens on
 * /dev/log (a container, a chroot, no syslog daemon): then the lines go to
 * stderr, after one warning there, until a reload finds the socket. */
static enum config_log_target usable_target(enum config_log_target wanted)
{
	static bool falling_back; /* said once, until syslog is reachable again */
	char why[160];

	if (wanted != CONFIG_LOG_TO_SYSLOG || log_syslog_reachable(why, sizeof why)) {
		falling_back = false;
		return wanted;
	}
	if (!falling_back)
		dprintf(STDERR_FILENO,
			"sluice: [log] target = syslog, but no syslog daemon listens (%s); "
			"logging to stderr instead\n",
			why);
	falling_back = true;
	return CONFIG_LOG_TO_STDERR;
}

bool log_configure(const struct sluice_config *cfg, char *err, size_t err_size)
{
	int fd = -1;
	char *file = NULL;
	enum config_log_target target = usable_target(cfg->log.target);

	if (cfg->log.target == CONFIG_LOG_TO_FILE) {
		fd = open_log_file(cfg->log.file);
		file = strdup(cfg->log.file);
		if (fd < 0 || file == NULL) {
			snprintf(err, err_size,
				 "cannot open log file %s: %s; check [log] file and its directory's permissions",
				 cfg->log.file, fd < 0 ? strerror(errno) : "out of memory");
			if (fd >= 0)
				close(fd);
			free(file);
			return false;
		}
	}
	pthread_mutex_lock(&sink_lock);
	if (sink.fd >= 0)
		close(sink.fd);
	free(sink.file);
	sink.fd = fd;
	sink.file = file;
	if (sink.syslog_open &&
	    (target != CONFIG_LOG_TO_SYSLOG || sink.facility != (int)cfg->log.syslog_facility)) {
		closelog();
		sink.syslog_open = false;
	}
	__atomic_store_n(&sink.level, cfg->log.level, __ATOMIC_RELAXED);
	sink.target = target;
	sink.facility = (int)cfg->log.syslog_facility;
	__atomic_store_n(&sink.requests, cfg->log.requests, __ATOMIC_RELAXED);
	if (sink.target == CONFIG_LOG_TO_SYSLOG && !sink.syslog_open) {
		openlog("sluice", LOG_PID | LOG_NDELAY, sink.facility);
		sink.syslog_open = true;
	}
	pthread_mutex_unlock(&sink_lock);
	return true;
}

void log_reopen(void)
{
	int fd;

	if (sink.target != CONFIG_LOG_TO_FILE || sink.file == NULL)
		return;
	fd = open_log_file(sink.file);
	if (fd < 0) {
		log_err("cannot reopen log file %s: %s; still writing to the old file", sink.file,
			strerror(errno));
		return;
	}
	pthread_mutex_lock(&sink_lock);
	close(sink.fd);
	sink.fd = fd;
	pthread_mutex_unlock(&sink_lock);
	log_notice("log file reopened");
}

void log_close(void)
{
	pthread_mutex_lock(&sink_lock);
	if (sink.fd >= 0)
		close(sink.fd);
	sink.fd = -1;
	free(sink.file);
	sink.file = NULL;
	if (sink.syslog_open)
		closelog();
	sink.syslog_open = false;
	sink.target = CONFIG_LOG_TO_STDERR;
	pthread_mutex_unlock(&sink_lock);
}

bool log_enabled(enum config_log_level level)
{
	return level <= __atomic_load_n(&sink.level, __ATOMIC_RELAXED);
}

bool log_requests_enabled(void)
{
	return __atomic_load_n(&sink.requests, __ATOMIC_RELAXED);
}

/* Network data must not forge lines or terminal escapes. */
static void scrub(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
}

/* "2026-11-24T01:30:00.123Z" */
static size_t format_time(char *out, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(out + n, size - n, ".%03ldZ ", ts.tv_nsec / 1000000);
	return n < size ? n : size - 1;
}

/* The line: time and tag (not for syslog, which adds its own), prefix, text. */
static size_t format_line(char *line, size_t size, bool to_syslog, const char *tag, const char *prefix,
			  const char *fmt, va_list ap)
{
	size_t head = 0, len;
	int n;

	if (!to_syslog) {
		head = format_time(line, size);
		n = snprintf(line + head, size - head, "sluice[%ld]: %s: ", (long)getpid(), tag);
		head += n > 0 ? (size_t)n : 0;
	}
	len = head;
	if (prefix != NULL && len < size - 1) {
		n = snprintf(line + len, size - len, "%s ", prefix);
		len += n > 0 ? (size_t)n : 0;
	}
	if (len < size - 1) {
		n = vsnprintf(line + len, size - len, fmt, ap);
		len += n > 0 ? (size_t)n : 0;
	}
	if (len > size - 2)
		len = size - 2; /* cut, leaving room for the newline */
	scrub(line + head, len - head);
	return len;
}

static void emit(int priority, const char *tag, const char *prefix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	bool to_syslog;
	size_t len;

	pthread_mutex_lock(&sink_lock);
	to_syslog = sink.target == CONFIG_LOG_TO_SYSLOG;
	len = format_line(line, sizeof line, to_syslog, tag, prefix, fmt, ap);
	if (to_syslog) {
		line[len] = '\0';
		syslog(priority, "%s", line);
	} else {
		line[len++] = '\n';
		if (write(sink.target == CONFIG_LOG_TO_FILE ? sink.fd : STDERR_FILENO, line, len) < 0) {
			/* Nowhere left to report it. */
		}
	}
	pthread_mutex_unlock(&sink_lock);
}

void log_prefixed(enum config_log_level level, const char *prefix, const char *fmt, va_list ap)
{
	if (!log_enabled(level))
		return;
	emit(syslog_priority[level], log_level_name(level), prefix, fmt, ap);
}

void log_msg(enum config_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	emit(syslog_priority[level], log_level_name(level), NULL, fmt, ap);
	va_end(ap);
}

void log_access(const char *fmt, ...)
{
	va_list ap;

	if (!log_requests_enabled())
		return;
	va_start(ap, fmt);
	emit(LOG_INFO, "access", NULL, fmt, ap);
	va_end(ap);
}
