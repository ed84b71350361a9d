/*
 * proxy/state_store.c: the state file on disk (see state_store.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/log.h"
#include "policy/state_file.h"
#include "server.h"
#include "state_store.h"

#define STATE_FILE_BYTES_MAX (1024ull * 1024 * 1024) /* far beyond what any [limits] allow */

struct state_store {
	ev_timer timer;
	char path[SERVER_PATH_MAX];
	char tmp_path[SERVER_PATH_MAX + 8];
	bool failing; /* the last save failed: said once, until one works again */
};

/* ---- reading ---- */

/* The whole file into *data; false with errno set (EFBIG: too large). */
static bool read_all(const char *path, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int saved;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL; /* a directory, a device: not a file sluice wrote */
		goto fail;
	}
	if ((unsigned long long)st.st_size > STATE_FILE_BYTES_MAX) {
		errno = EFBIG;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		goto fail;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* shorter than it said: parsed as it is, and caught there */
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*len = got;
	return true;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return false;
}

/* Kept for the operator, out of the way of the next save. */
static void set_aside(const struct state_store *st, const char *why)
{
	char rejected[SERVER_PATH_MAX + 16];

	snprintf(rejected, sizeof rejected, "%s.rejected", st->path);
	if (rename(st->path, rejected) != 0)
		log_warn("state file %s: %s; ignored (and cannot rename it to %s: %s)", st->path, why,
			 rejected, strerror(errno));
	else
		log_warn("state file %s: %s; ignored, renamed to %s; starting with an empty job table",
			 st->path, why, rejected);
}

static void log_restored(const struct server *s, const struct state_store *st, double age)
{
	struct policy_status ps;

	policy_status(s->policy, s->jobs, server_clock(), &ps);
	log_notice("state file %s: restored, written %.1f s ago: maintenance %s (policy_change=%llu), %zu "
		   "job%s, %zu task%s, draining %zu task%s and %zu job%s",
		   st->path, age, policy_state_name(ps.state), (unsigned long long)ps.generation,
		   jobs_count(s->jobs), jobs_count(s->jobs) == 1 ? "" : "s", jobs_task_count(s->jobs),
		   jobs_task_count(s->jobs) == 1 ? "" : "s", ps.draining_tasks,
		   ps.draining_tasks == 1 ? "" : "s", ps.draining_jobs, ps.draining_jobs == 1 ? "" : "s");
}

/* Parse, check the age, put in force: whatever goes wrong is logged and the
 * proxy starts empty. */
static void load(struct server *s, const struct state_store *st, const char *data, size_t len)
{
	struct state_file_load loaded;
	const struct jobs_limits *limits = jobs_limits(s->jobs);
	char why[512];
	const char *error;
	double age;

	if (!state_file_parse(data, len, s->profile->name, limits, server_wall_offset(), &loaded, why,
			      sizeof why)) {
		set_aside(st, why);
		return;
	}
	age = server_clock() + server_wall_offset() - loaded.written_at;
	if (limits->idle_expiry > 0 && age >= limits->idle_expiry) {
		log_notice("state file %s: written %.0f s ago, longer than the idle expiry (%.0f s, %s): "
			   "every entry in it has expired; ignored",
			   st->path, age, limits->idle_expiry,
			   s->profile->sessions ? "[restic] session_idle" : "[limits] job_idle_expiry");
		state_file_load_free(&loaded);
		return;
	}
	if (!state_file_adopt(&loaded, s->policy, &s->jobs, &error)) {
		set_aside(st, error);
		return;
	}
	log_restored(s, st, age);
}

static void load_file(struct server *s, const struct state_store *st)
{
	char *data = NULL;
	size_t len = 0;

	if (!read_all(st->path, &data, &len)) {
		if (errno == ENOENT)
			log_info("state file %s: none yet; starting with an empty job table", st->path);
		else
			log_warn("state file %s: cannot read it: %s; starting with an empty job table",
				 st->path, strerror(errno));
		return;
	}
	load(s, st, data, len);
	free(data);
}

/* ---- writing ---- */

static bool write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/* fsync of the directory holding path: the rename is durable. */
static bool sync_directory(const char *path)
{
	char dir[SERVER_PATH_MAX];
	char *slash;
	int fd;
	bool ok;

	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return true;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = fsync(fd) == 0 || errno == EINVAL; /* some file systems cannot sync a directory */
	close(fd);
	return ok;
}

/* The temporary file written and synced, then renamed over the file; false
 * with *step naming what failed (errno set). */
static bool write_atomically(const struct state_store *st, const char *data, size_t len, const char **step)
{
	int fd = open(st->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int saved;

	*step = "create";
	if (fd < 0)
		return false;
	*step = "write";
	if (!write_all(fd, data, len))
		goto fail;
	*step = "fsync";
	if (fsync(fd) != 0)
		goto fail;
	*step = "close";
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	*step = "rename";
	if (rename(st->tmp_path, st->path) != 0)
		goto fail;
	*step = "fsync the directory of";
	return sync_directory(st->path);
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(st->tmp_path);
	errno = saved;
	return false;
}

void state_store_save(struct server *s)
{
	struct state_store *st = s->state_store;
	char *data = NULL, what[SERVER_PATH_MAX + 64];
	size_t len = 0;
	const char *step = NULL;
	bool ok;

	if (st == NULL)
		return;
	ok = state_file_write(s->policy, s->jobs, s->profile->name, server_clock(), server_wall_offset(),
			      &data, &len);
	if (ok) {
		/* The file's I/O (two fsyncs) touches nothing shared: the workers
		 * go on deciding meanwhile. */
		server_shared_release(s);
		ok = write_atomically(st, data, len, &step);
		server_shared_acquire(s);
	}
	if (!ok && !st->failing) {
		if (step == NULL)
			snprintf(what, sizeof what, "write it: out of memory");
		else
			snprintf(what, sizeof what, "%s %s: %s", step, st->tmp_path, strerror(errno));
		log_warn("state file %s: cannot %s; a restart now would forget the job table", st->path,
			 what);
	} else if (ok && st->failing) {
		log_notice("state file %s: written again", st->path);
	}
	st->failing = !ok;
	free(data);
}

static void on_save(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	state_store_save(w->data);
}

/* ---- life ---- */

bool state_store_open(struct server *s, char *err, size_t err_size)
{
	const struct sluice_config *cfg = s->conf->cfg;
	struct state_store *st;
	double interval = config_seconds(cfg->proxy.state_interval_ms);

	if (cfg->proxy.state_file == NULL || cfg->proxy.state_file[0] == '\0')
		return true;
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, err_size, "out of memory opening the state file");
		return false;
	}
	snprintf(st->path, sizeof st->path, "%s", cfg->proxy.state_file);
	snprintf(st->tmp_path, sizeof st->tmp_path, "%s.tmp", st->path);
	load_file(s, st);
	ev_timer_init(&st->timer, on_save, interval, interval);
	st->timer.data = s;
	ev_timer_start(s->loop, &st->timer);
	s->state_store = st;
	return true;
}

void state_store_close(struct server *s)
{
	struct state_store *st = s->state_store;

	if (st == NULL)
		return;
	ev_timer_stop(s->loop, &st->timer);
	state_store_save(s);
	free(st);
	s->state_store = NULL;
}
