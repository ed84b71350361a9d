/*
 * proxy/daemon.c: detaching, pidfile, user, file limit (see daemon.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "worker.h"
#include "net/log.h"

/* Descriptors held whatever the configuration says. */
#define DESCRIPTORS_STDIO 3
#define DESCRIPTORS_EVENT_LOOP 4 /* epoll, its wake-up eventfd (or pipe), a spare */
#define DESCRIPTORS_MARGIN 16    /* files read by a reload, sd_notify, a refused accept */

static void null_stdio(bool keep_stderr)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (!keep_stderr)
		dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/* The parent: wait for the child's word, then leave with it. */
static void wait_for_child(int fd)
{
	unsigned char status = 1;

	while (read(fd, &status, 1) < 0 && errno == EINTR)
		;
	_exit(status);
}

bool daemon_detach(bool keep_stderr, int *ready_fd, char *err, size_t err_size)
{
	int pipefd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		snprintf(err, err_size, "cannot create a pipe to detach: %s", strerror(errno));
		return false;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, err_size, "cannot fork to detach: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return false;
	}
	if (pid > 0) {
		close(pipefd[1]);
		wait_for_child(pipefd[0]);
	}
	close(pipefd[0]);
	if (setsid() < 0) {
		snprintf(err, err_size, "setsid: %s", strerror(errno));
		close(pipefd[1]);
		return false;
	}
	if (chdir("/") != 0) {
		/* Every path sluice uses later is absolute; nothing depends on it. */
	}
	null_stdio(keep_stderr);
	*ready_fd = pipefd[1];
	return true;
}

void daemon_ready(int ready_fd, int status)
{
	unsigned char byte = (unsigned char)status;

	if (ready_fd < 0)
		return;
	if (write(ready_fd, &byte, 1) < 0) {
		/* The parent is gone; nobody is waiting. */
	}
	close(ready_fd);
}

bool daemon_write_pidfile(const char *path, char *err, size_t err_size)
{
	char tmp[4096 + 8], text[32];
	int fd, len;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, err_size,
			 "[proxy] pidfile: cannot write %s: %s; create its directory or "
			 "set pidfile to a writable path",
			 path, strerror(errno));
		return false;
	}
	len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
	if (write(fd, text, (size_t)len) != len || close(fd) != 0 || rename(tmp, path) != 0) {
		snprintf(err, err_size, "[proxy] pidfile: cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return false;
	}
	return true;
}

void daemon_remove_pidfile(const char *path)
{
	if (path[0] != '\0' && unlink(path) != 0 && errno != ENOENT)
		log_info("cannot remove the pidfile %s: %s", path, strerror(errno));
}

#define RUNTIME_DIR_MODE 0750

/* The directory part of path in dir; false when there is none. */
static bool directory_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL || slash == path || (size_t)(slash - path) >= size)
		return false;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return true;
}

bool daemon_make_runtime_dirs(const char *const *paths, size_t count, const char *user, char *err,
			      size_t err_size)
{
	const struct passwd *pw = NULL;
	char dir[4096];
	struct stat st;

	if (geteuid() != 0)
		return true;
	if (user[0] != '\0' && (pw = getpwnam(user)) == NULL) {
		snprintf(err, err_size, "[proxy] user: no user named %s; create it or leave user empty",
			 user);
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		if (paths[i][0] == '\0' || !directory_of(paths[i], dir, sizeof dir) || stat(dir, &st) == 0)
			continue;
		/* Only the last component is made: a missing /run is not ours to create. */
		if (mkdir(dir, RUNTIME_DIR_MODE) != 0 && errno != EEXIST) {
			snprintf(err, err_size, "cannot create %s for %s: %s", dir, paths[i],
				 strerror(errno));
			return false;
		}
		if (pw != NULL && chown(dir, pw->pw_uid, pw->pw_gid) != 0) {
			snprintf(err, err_size, "cannot give %s to %s: %s", dir, user, strerror(errno));
			return false;
		}
		log_info("created %s (mode %o%s%s)", dir, RUNTIME_DIR_MODE, pw != NULL ? ", owner " : "",
			 pw != NULL ? user : "");
	}
	return true;
}

void daemon_hand_over(const char *const *paths, size_t count, const char *user)
{
	const struct passwd *pw;

	if (user[0] == '\0' || geteuid() != 0 || (pw = getpwnam(user)) == NULL)
		return; /* daemon_drop_privileges() reports an unknown user */
	for (size_t i = 0; i < count; i++)
		if (paths[i][0] != '\0' && chown(paths[i], pw->pw_uid, pw->pw_gid) != 0 && errno != ENOENT)
			log_warn("cannot give %s to [proxy] user %s: %s; it stays root's", paths[i], user,
				 strerror(errno));
}

bool daemon_drop_privileges(const char *user, char *err, size_t err_size)
{
	struct passwd *pw;

	if (user[0] == '\0' || geteuid() != 0)
		return true;
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, err_size, "[proxy] user: no user named %s; create it or leave user empty",
			 user);
		return false;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(err, err_size, "[proxy] user: cannot become %s: %s", user, strerror(errno));
		return false;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		snprintf(err, err_size, "[proxy] user: still able to regain root after becoming %s", user);
		return false;
	}
	return true;
}

static unsigned long nofile_value(rlim_t v)
{
	return v == RLIM_INFINITY || v > (rlim_t)ULONG_MAX ? ULONG_MAX : (unsigned long)v;
}

unsigned long daemon_nofile_limit(void)
{
	struct rlimit rl;

	return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? nofile_value(rl.rlim_cur) : ULONG_MAX;
}

unsigned long daemon_raise_nofile(unsigned long want)
{
	struct rlimit before, rl;

	if (getrlimit(RLIMIT_NOFILE, &before) != 0)
		return ULONG_MAX;
	rl = before;
	if (geteuid() == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)want)
		rl.rlim_max = (rlim_t)want;
	rl.rlim_cur = rl.rlim_max;
	if (rl.rlim_cur == before.rlim_cur && rl.rlim_max == before.rlim_max)
		return nofile_value(before.rlim_cur);
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		/* Root above fs.nr_open: settle for the hard limit as it is. */
		rl = before;
		rl.rlim_cur = rl.rlim_max;
		if (rl.rlim_cur == before.rlim_cur || setrlimit(RLIMIT_NOFILE, &rl) != 0)
			return nofile_value(before.rlim_cur);
	}
	log_info("RLIMIT_NOFILE raised from %lu to %lu (the hard limit)", nofile_value(before.rlim_cur),
		 nofile_value(rl.rlim_cur));
	return nofile_value(rl.rlim_cur);
}

unsigned long daemon_descriptors_fixed(const struct sluice_config *cfg, size_t listeners)
{
	unsigned long admin_transports = (cfg->admin.socket != NULL && cfg->admin.socket[0] != '\0') +
					 (cfg->admin.listen.kind != CONFIG_ADDRESS_NONE);

	unsigned long workers = (unsigned long)workers_wanted(cfg);

	/* each worker thread has a loop of its own; one worker runs on the main one */
	return DESCRIPTORS_STDIO + DESCRIPTORS_EVENT_LOOP * (workers > 1 ? workers + 1 : 1) +
	       DESCRIPTORS_MARGIN + listeners +
	       admin_transports * (1 + (unsigned long)cfg->admin.max_clients) +
	       (cfg->log.target != CONFIG_LOG_TO_STDERR) +
	       (unsigned long)cfg->limits.upstream_idle_connections;
}
