/*
 * protocol/restic.c: classification of a restic REST request head (see
 * restic.h and protocol/RESTIC.md). The checks run in this order, the first
 * that fails answers: HTTP rules (400), the path's shape (404), the method
 * (405), the credential (401), private repositories (403), the body (400,
 * 413). Pure: reads the head, writes *req or *err.
 */
#include "autoconfig.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "protocol/restic.h"

#define CODE_BAD_REQUEST "bad-request"
#define CODE_NOT_FOUND "not-found"
#define CODE_METHOD "method-not-allowed"
#define CODE_FORBIDDEN "forbidden"
#define CODE_TOO_LARGE "object-too-large"

#define NOT_RESTIC "not a restic REST path"

/* The resource a path names, before the method is looked at. */
enum restic_resource {
	RES_CONFIG, /* {repo}/config */
	RES_LIST,   /* {repo}/{type}/ */
	RES_FILE,   /* {repo}/{type}/{name} */
	RES_CREATE  /* {repo}/?create=true */
};

struct restic_path {
	enum restic_resource resource;
	struct http_str repo[RESTIC_SEGMENTS_MAX]; /* the repository's segments */
	size_t repo_segments;
	struct http_str type, name; /* RES_LIST, RES_FILE */
};

static const char *const file_types[] = { "data", "keys", "locks", "snapshots", "index" };

static bool str_eq(struct http_str s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

static bool is_type(struct http_str s)
{
	for (size_t i = 0; i < sizeof file_types / sizeof file_types[0]; i++)
		if (str_eq(s, file_types[i]))
			return true;
	return false;
}

/* Splits "/a/b/c" or "/a/b/" into segments, each of the id grammar; false
 * for an empty segment inside, a bad segment, or too many. */
static bool split_path(struct http_str path, struct http_str seg[RESTIC_SEGMENTS_MAX], size_t *count,
		       bool *trailing_slash)
{
	const char *p = path.ptr + 1, *end = path.ptr + path.len;
	size_t n = 0;

	*trailing_slash = path.len > 1 && end[-1] == '/';
	if (*trailing_slash)
		end--;
	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *stop = slash != NULL ? slash : end;

		if (n == RESTIC_SEGMENTS_MAX || !tsp_id_valid(p, (size_t)(stop - p)))
			return false;
		seg[n++] = (struct http_str){ p, (size_t)(stop - p) };
		p = slash != NULL ? slash + 1 : end;
		if (slash != NULL && p == end)
			return false; /* "//" at the end */
	}
	*count = n;
	return true;
}

/* The path's shape, parsed from the end; false = 404. */
static bool parse_path(struct http_str target, struct restic_path *path)
{
	struct http_str seg[RESTIC_SEGMENTS_MAX], route = target;
	const char *query = memchr(target.ptr, '?', target.len);
	bool trailing;
	size_t n, keep;

	memset(path, 0, sizeof *path);
	if (target.len == 0 || target.ptr[0] != '/' || memchr(target.ptr, '#', target.len) ||
	    memchr(target.ptr, '%', target.len))
		return false;
	if (query != NULL) {
		route.len = (size_t)(query - target.ptr);
		if (!str_eq((struct http_str){ query + 1, target.len - route.len - 1 }, "create=true"))
			return false; /* restic's only query */
	}
	if (memmem(route.ptr, route.len, "//", 2) != NULL || !split_path(route, seg, &n, &trailing))
		return false; /* an empty segment */
	if (query != NULL) {
		if (!trailing && route.len != 1)
			return false; /* "{repo}/?create=true", or "/?create=true" at the root */
		path->resource = RES_CREATE;
		keep = n;
	} else if (trailing) {
		if (n == 0 || !is_type(seg[n - 1]))
			return false;
		path->resource = RES_LIST;
		path->type = seg[n - 1];
		keep = n - 1;
	} else if (n >= 1 && str_eq(seg[n - 1], "config")) {
		path->resource = RES_CONFIG;
		keep = n - 1;
	} else if (n >= 2 && is_type(seg[n - 2])) {
		path->resource = RES_FILE;
		path->type = seg[n - 2];
		path->name = seg[n - 1];
		keep = n - 2;
	} else {
		return false;
	}
	memcpy(path->repo, seg, keep * sizeof seg[0]);
	path->repo_segments = keep;
	return true;
}

/* The role from the resource and the method; false = 405. */
static bool check_method(const struct http_head *head, const struct restic_path *path,
			 struct tsp_request *req, struct tsp_error *err)
{
	enum http_method m = head->method;
	bool locks = path->resource == RES_FILE && str_eq(path->type, "locks");
	const char *allow = "GET, HEAD, POST, DELETE";

	switch (path->resource) {
	case RES_CREATE:
		allow = "POST";
		if (m == HTTP_METHOD_POST)
			req->role = TSP_ROLE_WRITE;
		break;
	case RES_LIST:
		allow = "GET";
		if (m == HTTP_METHOD_GET)
			req->role = TSP_ROLE_READ;
		break;
	case RES_CONFIG:
	case RES_FILE:
		if (m == HTTP_METHOD_GET || m == HTTP_METHOD_HEAD)
			req->role = TSP_ROLE_READ;
		else if (m == HTTP_METHOD_POST)
			req->role = locks ? TSP_ROLE_LOCK_CREATE : TSP_ROLE_WRITE;
		else if (m == HTTP_METHOD_DELETE)
			req->role = locks ? TSP_ROLE_LOCK_DELETE : TSP_ROLE_WRITE;
		break;
	}
	if (req->role != TSP_ROLE_SESSION_HELLO) /* the zero value: nothing matched */
		return true;
	tsp_fail(err, 405, CODE_METHOD, "this restic path does not take that method");
	err->allow = allow;
	return false;
}

/* "/" and the segments joined, or "/" for a repository at the root; false
 * when it does not fit. */
static bool join_repository(const struct restic_path *path, char out[TSP_REPOSITORY_MAX + 1])
{
	size_t len = 0;

	out[0] = '/';
	out[1] = '\0';
	for (size_t i = 0; i < path->repo_segments; i++) {
		const struct http_str *s = &path->repo[i];

		if (len + 1 + s->len > TSP_REPOSITORY_MAX)
			return false;
		out[len++] = '/';
		memcpy(out + len, s->ptr, s->len);
		len += s->len;
	}
	if (len > 0)
		out[len] = '\0';
	return true;
}

static bool private_repo_ok(const struct restic_path *path, const char *tenant)
{
	return path->repo_segments > 0 && path->repo[0].len == strlen(tenant) &&
	       memcmp(path->repo[0].ptr, tenant, path->repo[0].len) == 0;
}

static enum tsp_category session_category(const struct profile_options *options, const char *repository)
{
	for (size_t i = 0; options != NULL && i < options->backup_copy_count; i++)
		if (fnmatch(options->backup_copy_globs[i], repository, 0) == 0)
			return TSP_CAT_BACKUP_COPY;
	return TSP_CAT_BACKUP;
}

/* Only a POST carries a body; restic always sends Content-Length. */
static bool check_body(const struct http_head *head, struct tsp_request *req, struct tsp_error *err)
{
	uint64_t length = head->body == HTTP_BODY_LENGTH ? head->content_length : 0;

	if (head->method != HTTP_METHOD_POST) {
		if (length > 0)
			return tsp_fail(err, 400, CODE_BAD_REQUEST, "only a POST has a body");
		return true;
	}
	if (length > UINT32_MAX)
		return tsp_fail(err, 413, CODE_TOO_LARGE, "a restic file is at most 4 GiB - 1 byte");
	req->body_bytes = (uint32_t)length;
	return true;
}

void restic_session_key(const char *repository, const char *client, char key[TSP_ID_MAX + 1])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (client == NULL)
		client = "";
	/* SHA-256 of "repository\nclient", whatever their lengths. */
	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, repository, strlen(repository)) || !EVP_DigestUpdate(ctx, "\n", 1) ||
	    !EVP_DigestUpdate(ctx, client, strlen(client)) || !EVP_DigestFinal_ex(ctx, digest, &digest_len) ||
	    digest_len != 32) {
		/* Memory short: the all-zero key (sessions keyed by it merge). */
		memset(digest, 0, sizeof digest);
		digest_len = 32;
	}
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < digest_len; i++) {
		key[2 * i] = "0123456789abcdef"[digest[i] >> 4];
		key[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
	}
	key[2 * digest_len] = '\0';
}

bool restic_classify(const struct profile_options *options, const struct http_head *head, const char *client,
		     struct tsp_request *req, struct tsp_error *err)
{
	struct restic_path path;
	enum tsp_category category;

	memset(req, 0, sizeof *req);
	if (!tsp_check_http(head, err))
		return false;
	if (!parse_path(head->target, &path) || !join_repository(&path, req->repository))
		return tsp_fail(err, 404, CODE_NOT_FOUND, NOT_RESTIC);
	if (!check_method(head, &path, req, err) || !tsp_check_auth(head, req, err))
		return false;
	if (options != NULL && options->private_repos && !private_repo_ok(&path, req->tenant))
		return tsp_fail(err, 403, CODE_FORBIDDEN,
				"private repositories: the path must begin with the user's name");
	if (!check_body(head, req, err))
		return false;

	category = session_category(options, req->repository);
	req->source_category = category;
	req->category = req->role == TSP_ROLE_READ ? TSP_CAT_RESTORE : category;
	if (client != NULL)
		snprintf(req->client, sizeof req->client, "%s", client);
	restic_session_key(req->repository, req->client, req->job);
	if (req->role == TSP_ROLE_LOCK_CREATE || req->role == TSP_ROLE_LOCK_DELETE)
		memcpy(req->task, path.name.ptr, path.name.len); /* <= TSP_ID_MAX: the id grammar */
	req->opens_repository = path.resource == RES_CONFIG && req->role == TSP_ROLE_READ;
	req->saves_snapshot = req->role == TSP_ROLE_WRITE && head->method == HTTP_METHOD_POST &&
			      path.resource == RES_FILE && str_eq(path.type, "snapshots");
	return true;
}
