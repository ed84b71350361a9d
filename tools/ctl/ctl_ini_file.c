/*
 * tools/ctl/ctl_ini_file.c: read, validate and atomically replace sluice.ini
 * (see ctl_ini_file.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "ctl_ini_file.h"
#include "conf/tls_files.h"

static bool read_fd(int fd, const char *path, char **text, size_t *len, struct ctl_error *err)
{
	char *data = malloc(CONFIG_FILE_MAX + 1);
	size_t used = 0;

	if (data == NULL)
		return ctl_fail(err, "out of memory");
	for (;;) {
		ssize_t n = read(fd, data + used, CONFIG_FILE_MAX + 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(data);
			return ctl_fail(err, "%s: cannot read: %s", path, strerror(errno));
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > CONFIG_FILE_MAX) {
			free(data);
			return ctl_fail(err, "%s: larger than %u bytes, the limit of a configuration file",
					path, CONFIG_FILE_MAX);
		}
	}
	data[used] = '\0';
	*text = data;
	*len = used;
	return true;
}

bool ini_file_read(const char *path, char **text, size_t *len, struct ctl_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return ctl_fail(err, "%s: cannot open: %s", path, strerror(errno));
	ok = read_fd(fd, path, text, len, err);
	close(fd);
	return ok;
}

/* Open and lock the file path resolves to; again if it was replaced while
 * the lock was awaited (the lock then sits on the old file). */
static bool open_locked(struct ini_file *file, struct ctl_error *err)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		struct stat now;

		free(file->target);
		file->target = realpath(file->path, NULL);
		if (file->target == NULL)
			return ctl_fail(err, "%s: %s", file->path, strerror(errno));
		file->fd = open(file->target, O_RDONLY | O_CLOEXEC);
		if (file->fd < 0)
			return ctl_fail(err, "%s: cannot open: %s", file->target, strerror(errno));
		while (flock(file->fd, LOCK_EX) != 0) {
			if (errno != EINTR)
				return ctl_fail(err, "%s: cannot lock: %s", file->target, strerror(errno));
		}
		if (fstat(file->fd, &file->st) != 0)
			return ctl_fail(err, "%s: %s", file->target, strerror(errno));
		if (stat(file->target, &now) == 0 && now.st_dev == file->st.st_dev &&
		    now.st_ino == file->st.st_ino)
			return true;
		close(file->fd);
		file->fd = -1;
	}
	return ctl_fail(err, "%s: replaced again and again while waiting for its lock; try again",
			file->path);
}

bool ini_file_open(struct ini_file *file, const char *path, struct ctl_error *err)
{
	memset(file, 0, sizeof *file);
	file->fd = -1;
	file->path = path;
	if (!open_locked(file, err))
		goto fail;
	if (!S_ISREG(file->st.st_mode)) {
		ctl_fail(err, "%s: not a regular file", file->target);
		goto fail;
	}
	if (read_fd(file->fd, file->target, &file->text, &file->len, err))
		return true;
fail:
	ini_file_close(file);
	return false;
}

void ini_file_close(struct ini_file *file)
{
	if (file->fd >= 0)
		close(file->fd); /* releases the lock */
	free(file->target);
	free(file->text);
	file->fd = -1;
	file->target = NULL;
	file->text = NULL;
}

static bool write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		text += n;
		len -= (size_t)n;
	}
	return true;
}

/* text into a new file "DIR/.BASE.XXXXXX" with the mode and owner of like,
 * synced to disk. *tmp is its malloc'd path. */
static bool write_temp(const char *dir, const char *base, const char *text, size_t len,
		       const struct stat *like, char **tmp, struct ctl_error *err)
{
	size_t size = strlen(dir) + strlen(base) + sizeof "/..XXXXXX";
	char *path = malloc(size);
	int fd;
	bool ok;

	if (path == NULL)
		return ctl_fail(err, "out of memory");
	snprintf(path, size, "%s/.%s.XXXXXX", dir, base);
	fd = mkstemp(path);
	if (fd < 0) {
		ctl_fail(err, "cannot create a temporary file in %s: %s", dir, strerror(errno));
		free(path);
		return false;
	}
	ok = write_all(fd, text, len) && fchmod(fd, like->st_mode & 07777) == 0;

	if (!ok)
		ctl_fail(err, "%s: cannot write: %s", path, strerror(errno));
	if (ok && (like->st_uid != geteuid() || like->st_gid != getegid()) &&
	    fchown(fd, like->st_uid, like->st_gid) != 0) {
		ok = ctl_fail(err,
			      "cannot give the new file the owner of the old one (%lu:%lu): %s; run as root "
			      "or as the file's owner",
			      (unsigned long)like->st_uid, (unsigned long)like->st_gid, strerror(errno));
	}
	if (ok && fsync(fd) != 0)
		ok = ctl_fail(err, "%s: cannot sync: %s", path, strerror(errno));
	if (close(fd) != 0 && ok)
		ok = ctl_fail(err, "%s: cannot write: %s", path, strerror(errno));
	if (!ok) {
		unlink(path);
		free(path);
		return false;
	}
	*tmp = path;
	return true;
}

/* message about the temporary file tmp, as about "PATH (edited)", so that
 * the operator reads which file and line. */
static const char *as_edited(const char *message, const char *tmp, const char *path, char *out, size_t size)
{
	size_t tmp_len = strlen(tmp);

	if (strncmp(message, tmp, tmp_len) != 0)
		return message;
	snprintf(out, size, "%s (edited)%s", path, message + tmp_len);
	return out;
}

/* config_load() of the temporary file, and its certificate and key read as
 * the daemon will read them on the reload that follows. */
static bool validate(const char *tmp, const char *path, struct sluice_config **out, struct ctl_error *err)
{
	struct config_error load_err, warning;
	struct sluice_config *cfg;
	char text[CTL_ERROR_MAX];

	if (!config_load(tmp, &cfg, &load_err))
		return ctl_fail(err, "%s", as_edited(load_err.message, tmp, path, text, sizeof text));
	if (!config_check_tls_files(cfg, (int64_t)time(NULL), &load_err, &warning)) {
		config_free(cfg);
		return ctl_fail(err, "%s", as_edited(load_err.message, tmp, path, text, sizeof text));
	}
	if (warning.message[0] != '\0')
		ctl_warn("warning: %s", as_edited(warning.message, tmp, path, text, sizeof text));
	free(cfg->path);
	cfg->path = strdup(path);
	if (cfg->path == NULL) {
		config_free(cfg);
		return ctl_fail(err, "out of memory");
	}
	if (out != NULL)
		*out = cfg;
	else
		config_free(cfg);
	return true;
}

static void sync_directory(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0)
		ctl_warn("%s: cannot sync the directory (%s); the new file may not survive a crash yet", dir,
			 strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* The directories involved: where the loader resolves relative paths
 * (realpath of the given path's directory) and where the file lives. */
struct ini_dirs {
	char *load_dir, *write_dir, *base, *scratch_dir, *scratch_base;
};

static bool find_dirs(const struct ini_file *file, struct ini_dirs *dirs, struct ctl_error *err)
{
	char *given = strdup(file->path);

	memset(dirs, 0, sizeof *dirs);
	dirs->scratch_dir = strdup(file->target);
	dirs->scratch_base = strdup(file->target);
	if (given == NULL || dirs->scratch_dir == NULL || dirs->scratch_base == NULL) {
		free(given);
		return ctl_fail(err, "out of memory");
	}
	dirs->load_dir = realpath(dirname(given), NULL);
	free(given);
	if (dirs->load_dir == NULL)
		return ctl_fail(err, "%s: cannot resolve its directory: %s", file->path, strerror(errno));
	dirs->write_dir = dirname(dirs->scratch_dir);
	dirs->base = basename(dirs->scratch_base);
	return true;
}

static void free_dirs(struct ini_dirs *dirs)
{
	free(dirs->load_dir);
	free(dirs->scratch_dir);
	free(dirs->scratch_base);
}

enum ini_replace_result ini_file_replace(struct ini_file *file, const char *text, size_t len,
					 struct sluice_config **cfg, struct ctl_error *err)
{
	enum ini_replace_result result = INI_FAILED;
	struct ini_dirs dirs;
	char *tmp = NULL;

	if (cfg != NULL)
		*cfg = NULL;
	if (!find_dirs(file, &dirs, err))
		goto out;
	/* Checked beside the path given, where the loader resolves relative paths ... */
	if (!write_temp(dirs.load_dir, dirs.base, text, len, &file->st, &tmp, err))
		goto out;
	if (!validate(tmp, file->path, cfg, err)) {
		result = INI_REFUSED;
		goto out;
	}
	/* ... and written beside the file itself: elsewhere when the path is a symlink. */
	if (strcmp(dirs.load_dir, dirs.write_dir) != 0) {
		unlink(tmp);
		free(tmp);
		tmp = NULL;
		if (!write_temp(dirs.write_dir, dirs.base, text, len, &file->st, &tmp, err))
			goto out;
	}
	if (rename(tmp, file->target) != 0) {
		ctl_fail(err, "cannot replace %s: %s", file->target, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	sync_directory(dirs.write_dir);
	result = INI_REPLACED;
out:
	if (result == INI_FAILED && cfg != NULL && *cfg != NULL) { /* loaded, but not written */
		config_free(*cfg);
		*cfg = NULL;
	}
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free_dirs(&dirs);
	return result;
}
