/*
 * tools/repo/repo_users.c: the users file (see repo_users.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#include "protocol/tsp.h"
#include "repo_users.h"

#define USERS_FILE_MAX (1024 * 1024)
#define RESERVED_TENANT "replicas" /* DATA/replicas/ is the replica store */

struct user {
	char tenant[TSP_TENANT_MAX + 1];
	char secret[TSP_SECRET_MAX + 1];
	size_t secret_len;
	UT_hash_handle hh;
};

struct users {
	struct user *by_tenant;
	size_t count;
};

void users_free(struct users *users)
{
	struct user *u, *tmp;

	if (users == NULL)
		return;
	HASH_ITER(hh, users->by_tenant, u, tmp) {
		HASH_DEL(users->by_tenant, u);
		explicit_bzero(u->secret, sizeof u->secret);
		free(u);
	}
	free(users);
}

static bool secret_valid(const char *s, size_t len)
{
	if (len < 1 || len > TSP_SECRET_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* One non-comment line; returns NULL or the reason it is wrong. */
static const char *add_line(struct users *users, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t name_len, secret_len;
	struct user *u;

	if (colon == NULL)
		return "expected tenant:secret (no colon on the line)";
	name_len = (size_t)(colon - line);
	secret_len = len - name_len - 1;
	if (!tsp_id_valid(line, name_len))
		return "bad tenant name: 1-64 of [A-Za-z0-9._-], not . or ..";
	if (name_len == sizeof RESERVED_TENANT - 1 && memcmp(line, RESERVED_TENANT, name_len) == 0)
		return "the tenant name \"replicas\" is reserved (it names the replica store)";
	if (!secret_valid(colon + 1, secret_len))
		return "bad secret: 1-128 bytes, no control characters";
	HASH_FIND(hh, users->by_tenant, line, name_len, u);
	if (u != NULL)
		return "tenant listed twice";
	u = calloc(1, sizeof *u);
	if (u == NULL)
		return "out of memory";
	memcpy(u->tenant, line, name_len);
	memcpy(u->secret, colon + 1, secret_len);
	u->secret_len = secret_len;
	HASH_ADD(hh, users->by_tenant, tenant, name_len, u);
	if (u->hh.tbl == NULL) {
		free(u);
		return "out of memory";
	}
	users->count++;
	return NULL;
}

int users_parse(const char *text, size_t len, const char *name, struct users **out, char *err,
		size_t err_size)
{
	struct users *users = calloc(1, sizeof *users);
	const char *p = text, *end = text + len;
	unsigned line_no = 0;

	if (users == NULL) {
		snprintf(err, err_size, "%s: out of memory", name);
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl : end) - p);
		const char *why;

		line_no++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		why = (n == 0 || p[0] == '#') ? NULL : add_line(users, p, n);
		if (why != NULL) {
			snprintf(err, err_size, "%s:%u: %s", name, line_no, why);
			users_free(users);
			return -1;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (users->count == 0) {
		snprintf(err, err_size, "%s: no tenants (add lines tenant:secret)", name);
		users_free(users);
		return -1;
	}
	*out = users;
	return 0;
}

int users_load(const char *path, struct users **out, char *err, size_t err_size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *text;
	ssize_t got;
	int rc;

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > USERS_FILE_MAX) {
		snprintf(err, err_size, "%s: not a regular file of at most 1 MiB", path);
		close(fd);
		return -1;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		snprintf(err, err_size, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	got = read(fd, text, (size_t)st.st_size);
	close(fd);
	if (got != (ssize_t)st.st_size) {
		snprintf(err, err_size, "%s: short read (%s)", path,
			 got < 0 ? strerror(errno) : "file changed");
		free(text);
		return -1;
	}
	rc = users_parse(text, (size_t)got, path, out, err, err_size);
	explicit_bzero(text, (size_t)got);
	free(text);
	return rc;
}

bool users_check(const struct users *users, const char *tenant, const char *secret)
{
	size_t secret_len = strlen(secret);
	struct user *u;

	HASH_FIND(hh, users->by_tenant, tenant, strlen(tenant), u);
	if (u == NULL || u->secret_len != secret_len)
		return false;
	return CRYPTO_memcmp(u->secret, secret, secret_len) == 0;
}

size_t users_count(const struct users *users)
{
	return users->count;
}
