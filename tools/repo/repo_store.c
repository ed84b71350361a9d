/*
 * tools/repo/repo_store.c: paths, directories, atomic writes, the lock and the
 * block writer of sluice-repo's store (see repo_store.h; the metadata formats are
 * in repo_store_meta.c).
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "repo_store.h"

#define TMP_PREFIX "@tmp."
#define LOCK_NAME "@lock"
#define REPLICAS_DIR "replicas"

static int path_join(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int path_join(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	return (n < 0 || n >= PATH_MAX) ? ENAMETOOLONG : 0;
}

int store_init(struct store *s, const char *root, bool fsync_writes)
{
	size_t len = strlen(root);

	memset(s, 0, sizeof *s);
	s->lock_fd = -1;
	while (len > 1 && root[len - 1] == '/')
		len--;
	if (len == 0 || len >= sizeof s->root)
		return ENAMETOOLONG;
	memcpy(s->root, root, len);
	s->fsync = fsync_writes;
	return 0;
}

int store_lock(struct store *s)
{
	char path[PATH_MAX];
	int rc, fd;

	if (mkdir(s->root, 0750) < 0 && errno != EEXIST)
		return errno;
	rc = path_join(path, "%s/%s", s->root, LOCK_NAME);
	if (rc != 0)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno;
		close(fd);
		return rc;
	}
	s->lock_fd = fd;
	return 0;
}

void store_unlock(struct store *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
}

int store_job_dir(const struct store *s, const struct repo_job_key *key, char *buf)
{
	return path_join(buf, "%s/%s/%s/%s", s->root, key->tenant, tsp_category_name(key->category),
			 key->job);
}

int store_task_dir(const struct store *s, const struct task_key *key, char *buf)
{
	const struct repo_job_key *j = &key->job;

	return path_join(buf, "%s/%s/%s/%s/%s", s->root, j->tenant, tsp_category_name(j->category), j->job,
			 key->task);
}

int store_data_dir(const struct store *s, const struct task_key *key, char *buf)
{
	if (key->job.category != TSP_CAT_REPLICATION)
		return store_task_dir(s, key, buf);
	/* The VM's replica store: one directory per replicate job (restore point). */
	return path_join(buf, "%s/%s/%s/%s/%s", s->root, REPLICAS_DIR, key->job.tenant, key->task,
			 key->job.job);
}

int store_block_path(const char *data_dir, uint32_t number, char *buf)
{
	return path_join(buf, "%s/%u", data_dir, (unsigned)number);
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return errno;
	if (fsync(fd) < 0)
		rc = errno;
	close(fd);
	return rc;
}

/* The directory part of path, in buf. */
static void parent_of(const char *path, char *buf)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash != NULL && slash != path ? (size_t)(slash - path) : 1;

	memcpy(buf, slash != NULL ? path : ".", n);
	buf[n] = '\0';
}

/* mkdir; EEXIST is an error only when exclusive. With --fsync the new entry
 * is made durable in its parent. */
static int make_dir(const struct store *s, const char *path, bool exclusive)
{
	char parent[PATH_MAX];

	if (mkdir(path, 0750) < 0) {
		if (errno == EEXIST && !exclusive)
			return 0;
		return errno;
	}
	if (!s->fsync)
		return 0;
	parent_of(path, parent);
	return fsync_dir(parent);
}

/* Creates every missing directory on the way to path, below the root. */
static int make_dirs(const struct store *s, const char *path, bool last_exclusive)
{
	char buf[PATH_MAX];
	size_t root_len = strlen(s->root);
	int rc;

	if (strlen(path) >= sizeof buf || strncmp(path, s->root, root_len) != 0)
		return EINVAL;
	strcpy(buf, path);
	for (char *p = buf + root_len + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		rc = make_dir(s, buf, false);
		*p = '/';
		if (rc != 0)
			return rc;
	}
	return make_dir(s, buf, last_exclusive);
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int temp_path(struct store *s, const char *dir, char *buf)
{
	return path_join(buf, "%s/" TMP_PREFIX "%ld.%lu", dir, (long)getpid(), ++s->tmp_seq);
}

int store_write_atomic(struct store *s, const char *dir, const char *name, const char *data, size_t len)
{
	char tmp[PATH_MAX], final[PATH_MAX];
	int rc, fd;

	rc = temp_path(s, dir, tmp);
	if (rc == 0)
		rc = path_join(final, "%s/%s", dir, name);
	if (rc != 0)
		return rc;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return errno;
	rc = write_all(fd, data, len);
	if (rc == 0 && s->fsync && fsync(fd) < 0)
		rc = errno;
	if (close(fd) < 0 && rc == 0)
		rc = errno;
	if (rc == 0 && rename(tmp, final) < 0)
		rc = errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	return s->fsync ? fsync_dir(dir) : 0;
}

int store_journal_append(struct store *s, const char *data_dir, const struct block_record *rec)
{
	char path[PATH_MAX], hex[2 * STORE_DIGEST_BYTES + 1], line[128];
	int rc, fd, n;

	rc = path_join(path, "%s/@blocks", data_dir);
	if (rc != 0)
		return rc;
	store_digest_hex(rec->digest, hex);
	n = snprintf(line, sizeof line, "%u %u %s\n", (unsigned)rec->number, (unsigned)rec->bytes, hex);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return errno;
	/* One write of one short line: O_APPEND keeps lines whole and in order. */
	rc = write_all(fd, line, (size_t)n);
	if (rc == 0 && s->fsync && fsync(fd) < 0)
		rc = errno;
	if (close(fd) < 0 && rc == 0)
		rc = errno;
	return rc;
}

void store_sweep_temporaries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, TMP_PREFIX, sizeof TMP_PREFIX - 1) == 0 &&
		    path_join(path, "%s/%s", dir, e->d_name) == 0)
			unlink(path);
	}
	closedir(d);
}

static int scandir_ids(const struct dirent *e)
{
	return tsp_id_valid(e->d_name, strlen(e->d_name));
}

int store_task_ids(const struct store *s, const struct repo_job_key *key,
		   int (*fn)(void *arg, const char *task), void *arg)
{
	char dir[PATH_MAX];
	struct dirent **names;
	int rc = store_job_dir(s, key, dir), n;

	if (rc != 0)
		return rc;
	n = scandir(dir, &names, scandir_ids, alphasort);
	if (n < 0)
		return errno;
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			rc = fn(arg, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return rc;
}

int store_job_create(struct store *s, const struct repo_job_key *key, const struct job_meta *meta)
{
	char dir[PATH_MAX];
	int rc = store_job_dir(s, key, dir);

	if (rc == 0)
		rc = make_dirs(s, dir, true);
	if (rc != 0)
		return rc;
	rc = store_job_save(s, key, meta);
	if (rc != 0)
		rmdir(dir); /* the id stays free: nothing was created */
	return rc;
}

int store_task_create(struct store *s, const struct task_key *key, const struct task_meta *meta,
		      bool with_data)
{
	char dir[PATH_MAX], data[PATH_MAX];
	int rc = store_task_dir(s, key, dir);

	if (rc == 0)
		rc = store_data_dir(s, key, data);
	if (rc == 0)
		rc = make_dir(s, dir, true);
	if (rc != 0)
		return rc;
	if (with_data && strcmp(dir, data) != 0)
		rc = make_dirs(s, data, false);
	if (rc == 0)
		rc = store_task_save(s, key, meta);
	if (rc != 0)
		rmdir(dir);
	return rc;
}

/* ---- the block writer ---- */

void store_block_writer_init(struct store_block_writer *w)
{
	w->fd = -1;
	w->error = 0;
	w->bytes = 0;
	w->md = NULL;
	w->tmp[0] = w->final[0] = '\0';
}

int store_block_begin(struct store *s, const char *data_dir, uint32_t number, struct store_block_writer *w)
{
	int rc;

	store_block_writer_init(w);
	rc = temp_path(s, data_dir, w->tmp);
	if (rc == 0)
		rc = store_block_path(data_dir, number, w->final);
	if (rc != 0)
		return rc;
	w->md = EVP_MD_CTX_new();
	if (w->md == NULL || !EVP_DigestInit_ex(w->md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(w->md);
		w->md = NULL;
		return ENOMEM;
	}
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (w->fd < 0) {
		rc = errno;
		EVP_MD_CTX_free(w->md);
		w->md = NULL;
		return rc;
	}
	return 0;
}

void store_block_append(struct store_block_writer *w, const void *data, size_t len)
{
	w->bytes += len;
	if (w->error != 0)
		return; /* the answer will be an error: stop spending work on it */
	w->error = write_all(w->fd, data, len);
	if (w->error == 0 && !EVP_DigestUpdate(w->md, data, len))
		w->error = EIO;
}

int store_block_finish(struct store_block_writer *w, unsigned char digest[STORE_DIGEST_BYTES])
{
	unsigned int n = 0;

	if (w->error == 0 && (!EVP_DigestFinal_ex(w->md, digest, &n) || n != STORE_DIGEST_BYTES))
		w->error = EIO;
	return w->error;
}

static void writer_release(struct store_block_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	EVP_MD_CTX_free(w->md);
	w->md = NULL;
}

int store_block_commit(struct store *s, struct store_block_writer *w)
{
	char dir[PATH_MAX];
	int rc = w->error;

	if (rc == 0 && s->fsync && fsync(w->fd) < 0)
		rc = errno;
	if (close(w->fd) < 0 && rc == 0)
		rc = errno;
	w->fd = -1;
	if (rc == 0 && rename(w->tmp, w->final) < 0)
		rc = errno;
	if (rc != 0) {
		store_block_abort(w);
		return rc;
	}
	writer_release(w);
	w->tmp[0] = '\0'; /* renamed: nothing left to unlink */
	if (!s->fsync)
		return 0;
	parent_of(w->final, dir);
	return fsync_dir(dir);
}

void store_block_abort(struct store_block_writer *w)
{
	writer_release(w);
	if (w->tmp[0] != '\0')
		unlink(w->tmp);
	w->tmp[0] = '\0';
}
