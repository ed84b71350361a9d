/*
 * tools/ctl/ctl_daemon.c: the daemon's admin socket and pidfile, and signals
 * (see ctl_daemon.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_daemon.h"
#include "conf/ini_edit.h"
#include "ctl_ini_file.h"
#include "conf/value.h"

/* The name the kernel gives the daemon's process (/proc/PID/comm). */
#define DAEMON_PROCESS_NAME "sluice"

static void copy_path(char *out, size_t size, const char *path)
{
	snprintf(out, size, "%s", path != NULL ? path : "");
}

void ctl_daemon_from_config(const struct sluice_config *cfg, struct ctl_daemon *daemon)
{
	copy_path(daemon->socket_path, sizeof daemon->socket_path, cfg->admin.socket);
	copy_path(daemon->pidfile, sizeof daemon->pidfile, cfg->proxy.pidfile);
}

/* [section] key of text as written (its default when absent), resolved
 * against directory like the loader does. */
static bool raw_path(const char *text, size_t len, const char *section, const char *name,
		     const char *directory, char *out, size_t size, struct ctl_error *err)
{
	const struct config_key *key = config_key_find(section, name);
	struct config_error path_err;
	const char *value;
	size_t value_len;
	char *written, *resolved;

	if (key == NULL)
		return ctl_fail(err, "[%s] %s: no such key", section, name);
	if (!ini_edit_find(text, len, section, name, &value, &value_len)) {
		value = key->default_text;
		value_len = strlen(value);
	}
	written = strndup(value, value_len);
	if (written == NULL)
		return ctl_fail(err, "out of memory");
	resolved = config_resolve_path(written, key->flavor, directory, &path_err);
	free(written);
	if (resolved == NULL)
		return ctl_fail(err, "[%s] %s: %s", section, name, path_err.message);
	copy_path(out, size, resolved);
	free(resolved);
	return true;
}

static bool find_as_written(const char *config_path, struct ctl_daemon *daemon, struct ctl_error *err)
{
	char *text = NULL, *copy = strdup(config_path), *directory = NULL;
	size_t len;
	bool ok = false;

	if (copy == NULL)
		return ctl_fail(err, "out of memory");
	directory = realpath(dirname(copy), NULL);
	if (directory == NULL)
		ctl_fail(err, "%s: cannot resolve its directory: %s", config_path, strerror(errno));
	else if (ini_file_read(config_path, &text, &len, err))
		ok = raw_path(text, len, "admin", "socket", directory, daemon->socket_path,
			      sizeof daemon->socket_path, err) &&
		     raw_path(text, len, "proxy", "pidfile", directory, daemon->pidfile,
			      sizeof daemon->pidfile, err);
	free(text);
	free(directory);
	free(copy);
	return ok;
}

bool ctl_daemon_find(const char *config_path, struct ctl_daemon *daemon, struct ctl_error *err)
{
	struct sluice_config *cfg;
	struct config_error load_err;

	memset(daemon, 0, sizeof *daemon);
	if (config_load(config_path, &cfg, &load_err)) {
		ctl_daemon_from_config(cfg, daemon);
		config_free(cfg);
		return true;
	}
	if (!find_as_written(config_path, daemon, err))
		return ctl_fail(err, "%s", load_err.message);
	ctl_warn("warning: %s", load_err.message);
	ctl_warn("warning: the file does not load; using its [admin] socket and [proxy] pidfile as written");
	return true;
}

/* The pid in the pidfile; false with err set (and *absent when the file is
 * not there) otherwise. */
static bool read_pid(const char *pidfile, pid_t *pid, bool *absent, struct ctl_error *err)
{
	FILE *file = fopen(pidfile, "r");
	char line[32], *end;
	long value;

	*absent = file == NULL && errno == ENOENT;
	if (file == NULL)
		return ctl_fail(err, "%s: %s", pidfile, strerror(errno));
	if (fgets(line, sizeof line, file) == NULL)
		line[0] = '\0';
	fclose(file);
	errno = 0;
	value = strtol(line, &end, 10);
	if (errno != 0 || end == line || (*end != '\n' && *end != '\0') || value <= 1 || value > INT32_MAX)
		return ctl_fail(err, "%s: does not hold a process id", pidfile);
	*pid = (pid_t)value;
	return true;
}

/* Whether pid is sluice: its name in /proc, when /proc is there to ask. */
static bool is_sluice(pid_t pid, char *name, size_t size)
{
	char path[64];
	FILE *file;

	snprintf(path, sizeof path, "/proc/%ld/comm", (long)pid);
	file = fopen(path, "r");
	if (file == NULL)
		return true; /* no /proc: kill(pid, 0) already showed it is alive */
	if (fgets(name, (int)size, file) == NULL)
		name[0] = '\0';
	fclose(file);
	name[strcspn(name, "\n")] = '\0';
	for (char *c = name; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?'; /* any process may name itself anything */
	}
	return strcmp(name, DAEMON_PROCESS_NAME) == 0;
}

enum daemon_signal_result ctl_daemon_signal(const struct ctl_daemon *daemon, int signo, pid_t *pid,
					    struct ctl_error *err)
{
	char name[64];
	bool absent;

	*pid = 0;
	if (daemon->pidfile[0] == '\0') {
		ctl_fail(err, "no [proxy] pidfile is configured");
		return DAEMON_NOT_RUNNING;
	}
	if (!read_pid(daemon->pidfile, pid, &absent, err))
		return absent ? DAEMON_NOT_RUNNING : DAEMON_SIGNAL_FAILED;
	if (kill(*pid, 0) != 0 && errno == ESRCH) {
		ctl_fail(err, "%s: process %ld is gone (a pidfile left behind)", daemon->pidfile, (long)*pid);
		return DAEMON_NOT_RUNNING;
	}
	if (!is_sluice(*pid, name, sizeof name)) {
		ctl_fail(err, "%s: process %ld is \"%s\", not %s: a stale pidfile? nothing signalled",
			 daemon->pidfile, (long)*pid, name, DAEMON_PROCESS_NAME);
		return DAEMON_SIGNAL_FAILED;
	}
	if (kill(*pid, signo) != 0) {
		ctl_fail(err, "cannot signal sluice (pid %ld from %s): %s", (long)*pid, daemon->pidfile,
			 strerror(errno));
		return DAEMON_SIGNAL_FAILED;
	}
	return DAEMON_SIGNALLED;
}
