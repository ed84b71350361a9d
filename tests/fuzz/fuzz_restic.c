/*
 * tests/fuzz/fuzz_restic.c: libFuzzer harness for the restic REST
 * classifier (protocol/restic.c) and the profile table.
 *
 * The input is framed as a request stream (pipelined messages allowed) with
 * the real framer; every head it reports is classified four times: under
 * backup_copy globs, the same with private_repos on, the same without globs,
 * and from another client. Each result is held to the restic profile's
 * contract on its own (a classified request carries only values that obey
 * the path grammar and agree with the method, the target and the body; a
 * refusal is one of the known status/code pairs), and the four are held to
 * each other (private_repos only adds 403, the globs change only the
 * categories, the client changes only the session key). The raw input also
 * goes into the session key. Any violation aborts, which libFuzzer reports
 * as a crash.
 */
#include "autoconfig.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "profile.h"
#include "restic.h"
#include "tsp.h"
#include "tests/fuzz/harness_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char glob_offsite[] = "/acme/offsite*", glob_copy[] = "*/copy-*", glob_root[] = "/";
static char *const globs[] = { glob_offsite, glob_copy, glob_root };
#define GLOB_COUNT (sizeof globs / sizeof globs[0])

static const struct profile_options with_globs = { false, globs, GLOB_COUNT };
static const struct profile_options private_with_globs = { true, globs, GLOB_COUNT };
static const struct profile_options no_globs = { false, NULL, 0 };

#define CLIENT_A "192.0.2.10"
#define CLIENT_B "2001:db8::7"

struct outcome {
	bool ok;
	struct tsp_request req;
	struct tsp_error err;
};

static bool bounded(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static bool is_id(const char *s)
{
	return tsp_id_valid(s, strlen(s));
}

static bool is_hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static bool contains(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(s + i, needle, n) == 0)
			return true;
	return false;
}

static size_t count_slashes(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '/';
	return n;
}

static void classify(const struct profile_options *options, const struct http_head *head, const char *client,
		     struct outcome *o)
{
	memset(o, 0, sizeof *o);
	o->ok = restic_classify(options, head, client, &o->req, &o->err);
}

static bool same_error(const struct tsp_error *a, const struct tsp_error *b)
{
	return a->status == b->status && strcmp(a->code, b->code) == 0 && strcmp(a->reason, b->reason) == 0 &&
	       (a->allow == NULL ? b->allow == NULL : b->allow != NULL && strcmp(a->allow, b->allow) == 0);
}

/* Every field but those named. */
static bool same_request(const struct tsp_request *a, const struct tsp_request *b, bool categories,
			 bool session)
{
	if (categories && (a->category != b->category || a->source_category != b->source_category))
		return false;
	if (session && (strcmp(a->job, b->job) != 0 || strcmp(a->client, b->client) != 0))
		return false;
	return a->role == b->role && strcmp(a->tenant, b->tenant) == 0 && strcmp(a->task, b->task) == 0 &&
	       strcmp(a->repository, b->repository) == 0 && a->body_bytes == b->body_bytes &&
	       a->opens_repository == b->opens_repository && a->saves_snapshot == b->saves_snapshot;
}

static void check_error(const struct tsp_error *err, bool private_repos)
{
	static const struct {
		unsigned status;
		const char *code;
	} known[] = { { 400, "bad-request" }, { 401, "unauthorized" },       { 403, "forbidden" },
		      { 404, "not-found" },   { 405, "method-not-allowed" }, { 413, "object-too-large" } };
	bool found = false;

	CHECK(err->code != NULL && err->reason != NULL && err->reason[0] != '\0');
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		found |= err->status == known[i].status && strcmp(err->code, known[i].code) == 0;
	CHECK(found);
	CHECK((err->status == 405) == (err->allow != NULL));
	if (err->allow != NULL)
		CHECK(strcmp(err->allow, "GET, HEAD, POST, DELETE") == 0 || strcmp(err->allow, "GET") == 0 ||
		      strcmp(err->allow, "POST") == 0);
	CHECK(err->status != 403 || private_repos);
}

/* The repository: "/" or "/seg/seg..." of ids, no more than the path has. */
static size_t check_repository(const char *repository)
{
	size_t len = strlen(repository), segments = 0;
	const char *p = repository + 1;

	CHECK(repository[0] == '/' && len <= TSP_REPOSITORY_MAX);
	if (len == 1)
		return 0;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);

		CHECK(tsp_id_valid(p, n));
		segments++;
		if (slash == NULL)
			return segments;
		p = slash + 1;
	}
}

static bool glob_matches(const char *repository)
{
	for (size_t i = 0; i < GLOB_COUNT; i++)
		if (fnmatch(globs[i], repository, 0) == 0)
			return true;
	return false;
}

static void check_request(const struct http_head *head, const struct tsp_request *req,
			  const struct profile_options *options, const char *client)
{
	enum http_method m = head->method;
	const char *target = head->target.ptr;
	size_t path_len = head->target.len, repo_len, base, segments;
	const char *query = memchr(target, '?', head->target.len);
	bool locks = req->role == TSP_ROLE_LOCK_CREATE || req->role == TSP_ROLE_LOCK_DELETE;
	char key[TSP_ID_MAX + 1];

	if (query != NULL)
		path_len = (size_t)(query - target);
	/* Values in range, strings terminated inside their arrays. */
	CHECK(req->role < TSP_ROLE_COUNT && req->category < TSP_CAT_COUNT &&
	      req->source_category < TSP_CAT_COUNT);
	CHECK(bounded(req->tenant, sizeof req->tenant) && bounded(req->job, sizeof req->job) &&
	      bounded(req->task, sizeof req->task) && bounded(req->repository, sizeof req->repository) &&
	      bounded(req->client, sizeof req->client) && bounded(req->source, sizeof req->source) &&
	      bounded(req->digest, sizeof req->digest));
	/* Only the restic roles; reads are restores, the rest the session's category. */
	CHECK(req->role == TSP_ROLE_READ || req->role == TSP_ROLE_WRITE || locks);
	CHECK(req->source_category == TSP_CAT_BACKUP || req->source_category == TSP_CAT_BACKUP_COPY);
	CHECK(req->category == (req->role == TSP_ROLE_READ ? TSP_CAT_RESTORE : req->source_category));
	CHECK((req->source_category == TSP_CAT_BACKUP_COPY) ==
	      (options != NULL && options->backup_copy_count > 0 && glob_matches(req->repository)));
	/* The HTTP rules. */
	CHECK(head->version_major == 1 && head->version_minor == 1);
	CHECK(head->body == HTTP_BODY_NONE || head->body == HTTP_BODY_LENGTH);
	/* The tenant, and private_repos. */
	CHECK(is_id(req->tenant));
	segments = check_repository(req->repository);
	repo_len = strlen(req->repository);
	base = repo_len > 1 ? repo_len : 0; /* where the file's part of the path begins */
	if (options != NULL && options->private_repos) {
		size_t n = strlen(req->tenant);

		CHECK(segments > 0 && strncmp(req->repository + 1, req->tenant, n) == 0 &&
		      (req->repository[1 + n] == '/' || req->repository[1 + n] == '\0'));
	}
	/* The target: the repository, then what names the file. */
	CHECK(memchr(target, '%', head->target.len) == NULL && memchr(target, '#', head->target.len) == NULL);
	CHECK(!contains(target, path_len, "//"));
	CHECK(!contains(target, path_len, "/./") && !contains(target, path_len, "/../"));
	CHECK(!ends_with(target, path_len, "/.") && !ends_with(target, path_len, "/.."));
	if (repo_len > 1)
		CHECK(path_len > repo_len && memcmp(target, req->repository, repo_len) == 0 &&
		      target[repo_len] == '/');
	if (query != NULL) {
		CHECK(head->target.len - path_len == 12 && memcmp(query, "?create=true", 12) == 0);
		CHECK(req->role == TSP_ROLE_WRITE && m == HTTP_METHOD_POST && target[path_len - 1] == '/');
		CHECK(path_len == base + 1);
	}
	CHECK(count_slashes(target, path_len) - (target[path_len - 1] == '/') <= RESTIC_SEGMENTS_MAX);
	/* The role agrees with the method. */
	if (req->role == TSP_ROLE_READ)
		CHECK(m == HTTP_METHOD_GET || m == HTTP_METHOD_HEAD);
	if (req->role == TSP_ROLE_WRITE)
		CHECK(m == HTTP_METHOD_POST || m == HTTP_METHOD_DELETE);
	CHECK(req->role != TSP_ROLE_LOCK_CREATE || m == HTTP_METHOD_POST);
	CHECK(req->role != TSP_ROLE_LOCK_DELETE || m == HTTP_METHOD_DELETE);
	if (target[path_len - 1] == '/' && query == NULL)
		CHECK(req->role == TSP_ROLE_READ && m == HTTP_METHOD_GET);
	/* A lock's name is its task; nothing else has one. */
	if (locks)
		CHECK(is_id(req->task) && path_len == base + 7 + strlen(req->task) &&
		      memcmp(target + base, "/locks/", 7) == 0 && ends_with(target, path_len, req->task));
	else
		CHECK(req->task[0] == '\0');
	/* How every command opens a repository; a backup's last write. */
	CHECK(req->opens_repository == (req->role == TSP_ROLE_READ && query == NULL && path_len == base + 7 &&
					memcmp(target + base, "/config", 7) == 0));
	CHECK(req->saves_snapshot == (req->role == TSP_ROLE_WRITE && m == HTTP_METHOD_POST && query == NULL &&
				      path_len > base + 11 && memcmp(target + base, "/snapshots/", 11) == 0 &&
				      memchr(target + base + 11, '/', path_len - base - 11) == NULL));
	/* Bodies: a POST's Content-Length, nothing elsewhere. */
	if (m == HTTP_METHOD_POST) {
		uint64_t length = head->body == HTTP_BODY_LENGTH ? head->content_length : 0;

		CHECK(length <= UINT32_MAX && req->body_bytes == length);
	} else {
		CHECK(req->body_bytes == 0);
		CHECK(head->body == HTTP_BODY_NONE || head->content_length == 0);
	}
	/* The session. */
	CHECK(strcmp(req->client, client != NULL ? client : "") == 0);
	CHECK(is_hex64(req->job));
	restic_session_key(req->repository, req->client, key);
	CHECK(strcmp(key, req->job) == 0);
	/* Nothing of TSP/1. */
	CHECK(req->block == 0 && req->origin == TSP_ORIGIN_NONE && req->workload == TSP_WORKLOAD_NONE &&
	      req->operation == TSP_OP_NONE && req->result == TSP_RESULT_NONE && req->source[0] == '\0' &&
	      req->digest[0] == '\0');
}

static void check_one(const struct http_head *head, const struct profile_options *options, const char *client,
		      const struct outcome *o)
{
	if (o->ok)
		check_request(head, &o->req, options, client);
	else
		check_error(&o->err, options != NULL && options->private_repos);
}

static void classify_head(const struct http_head *head)
{
	struct outcome a, b, c, d, again;

	classify(&with_globs, head, CLIENT_A, &a);
	classify(&private_with_globs, head, CLIENT_A, &b);
	classify(&no_globs, head, CLIENT_A, &c);
	classify(&with_globs, head, CLIENT_B, &d);
	check_one(head, &with_globs, CLIENT_A, &a);
	check_one(head, &private_with_globs, CLIENT_A, &b);
	check_one(head, &no_globs, CLIENT_A, &c);
	check_one(head, &with_globs, CLIENT_B, &d);

	/* private_repos only refuses (403), never changes a classification. */
	CHECK(!b.ok || (a.ok && same_request(&a.req, &b.req, true, true)));
	if (!b.ok && a.ok)
		CHECK(b.err.status == 403);
	if (!b.ok && !a.ok)
		CHECK(b.err.status == a.err.status || b.err.status == 403);
	/* The globs change the categories only. */
	CHECK(a.ok == c.ok);
	if (c.ok)
		CHECK(same_request(&a.req, &c.req, false, true) && c.req.source_category == TSP_CAT_BACKUP);
	else
		CHECK(same_error(&a.err, &c.err));
	/* The client changes the session key only. */
	CHECK(a.ok == d.ok);
	if (d.ok)
		CHECK(same_request(&a.req, &d.req, true, false) && strcmp(a.req.job, d.req.job) != 0);
	else
		CHECK(same_error(&a.err, &d.err));
	/* NULL options are the defaults; a NULL client is "". */
	classify(NULL, head, NULL, &again);
	check_one(head, NULL, NULL, &again);
	classify(&no_globs, head, "", &c);
	CHECK(again.ok == c.ok);
	CHECK(again.ok ? same_request(&again.req, &c.req, true, true) : same_error(&again.err, &c.err));
	/* Deterministic, and the profile table's entry is the same function. */
	memset(&again, 0, sizeof again);
	again.ok = profile_find("restic")->classify(&with_globs, head, CLIENT_A, &again.req, &again.err);
	CHECK(again.ok == a.ok);
	CHECK(a.ok ? same_request(&a.req, &again.req, true, true) : same_error(&a.err, &again.err));
}

/* Frames the whole input as one request stream; classifies every head. */
static void fuzz_stream(const char *data, size_t size)
{
	struct http_framer *f = http_framer_new(HTTP_KIND_REQUEST, NULL);
	struct http_event ev;
	size_t rounds = 0, max_rounds = 3 * size + 8; /* HEAD, BODY, END per byte at most */

	if (f == NULL)
		return;
	for (;;) {
		size_t n = http_framer_feed(f, data, size, &ev);

		CHECK(n <= size);
		data += n;
		size -= n;
		CHECK(++rounds <= max_rounds); /* progress, never a spin */
		if (ev.type == HTTP_EV_NONE || ev.type == HTTP_EV_ERROR)
			break;
		if (ev.type == HTTP_EV_HEAD)
			classify_head(http_framer_head(f));
	}
	http_framer_free(f);
}

/* The session key of the raw input cut in two (within the bounds a
 * classified request has): 64 hex, the same every time. */
static void fuzz_key(const char *data, size_t size)
{
	char repository[TSP_REPOSITORY_MAX + 1], client[TSP_CLIENT_MAX + 1];
	char a[TSP_ID_MAX + 1], b[TSP_ID_MAX + 1];
	size_t cut = size > 0 ? (unsigned char)data[0] % (size + 1) : 0;
	size_t rn = cut < TSP_REPOSITORY_MAX ? cut : TSP_REPOSITORY_MAX;
	size_t cn = size - cut < TSP_CLIENT_MAX ? size - cut : TSP_CLIENT_MAX;

	memcpy(repository, data, rn);
	repository[rn] = '\0';
	memcpy(client, data + cut, cn);
	client[cn] = '\0';
	restic_session_key(repository, client, a);
	restic_session_key(repository, client, b);
	CHECK(is_hex64(a) && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_stream((const char *)data, size);
	fuzz_key((const char *)data, size);
	return 0;
}
