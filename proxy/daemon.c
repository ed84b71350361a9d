/*
 * proxy/daemon.c: detaching, pidfile, user, file limit (see daemon.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

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
		snprintf(err, err_size, "[proxy] pidfile: cannot write %s: %s; create its directory or "
			 "set pidfile to a writable path", path, strerror(errno));
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

bool daemon_drop_privileges(const char *user, char *err, size_t err_size)
{
	struct passwd *pw;

	if (user[0] == '\0' || geteuid() != 0)
		return true;
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, err_size, "[proxy] user: no user named %s; create it or leave user empty", user);
		return false;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		snprintf(err, err_size, "[proxy] user: cannot become %s: %s", user, strerror(errno));
		return false;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		snprintf(err, err_size, "[proxy] user: still able to regain root after becoming %s", user);
		return false;
	}
	return true;
}

void daemon_raise_nofile(unsigned long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want && geteuid() == 0)
		rl.rlim_max = want;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		log_warn("open-file limit is %lu, below the %lu that [proxy] max_connections needs; "
			 "raise it (ulimit -n, LimitNOFILE=) or lower max_connections",
			 (unsigned long)rl.rlim_cur, want);
}
