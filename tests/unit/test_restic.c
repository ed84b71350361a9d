/*
 * tests/unit/test_restic.c: the restic REST classifier (protocol/restic.c)
 * and the profile table (protocol/profile.c) against the restic profile's
 * contract and the requests restic 0.14 sends (shared/design/RESTIC.md).
 *
 * Every row of restic_vectors.h is one TAP test case: its bytes go through
 * the real HTTP framer whole, cut in two at every byte offset and one byte at
 * a time (each slice right before a PROT_NONE page), and every feed must
 * classify the head the same way; then each string of the head (target,
 * header names and values) is moved right before a PROT_NONE page and the
 * classification must still not change. The few heads the framer refuses
 * itself (two Hosts, two Authorization headers, Upgrade, a bad Expect, a
 * body on a GET or HEAD) are checked to be refused by it (400), then built
 * by hand for the classifier.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "http.h"
#include "profile.h"
#include "restic.h"
#include "restic_vectors.h"
#include "tsp.h"

/* ---- options ---- */

static char glob_offsite[] = "/acme/offsite*", glob_copy[] = "*/copy-*";
static char *const copy_globs[] = { glob_offsite, glob_copy };

static const struct profile_options options_table[RV_OPTIONS_COUNT] = {
	[RV_DEFAULT] = { false, NULL, 0 },
	[RV_NULL] = { false, NULL, 0 },
	[RV_PRIVATE] = { true, NULL, 0 },
	[RV_COPY] = { false, copy_globs, 2 },
	[RV_PRIVATE_COPY] = { true, copy_globs, 2 },
};

static const struct profile_options *options_of(enum rv_options o)
{
	return o == RV_NULL ? NULL : &options_table[o];
}

/* ---- outcomes ---- */

struct outcome {
	bool ok;
	struct tsp_request req;
	struct tsp_error err;
};

static void classify_into(const struct http_head *head, const struct profile_options *options,
			  const char *client, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	o->ok = restic_classify(options, head, client, &o->req, &o->err);
}

static int str_cmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b);
}

/* NULL when a and b are the same outcome, else the first field that differs. */
static const char *outcome_diff(const struct outcome *a, const struct outcome *b)
{
	const struct tsp_request *x = &a->req, *y = &b->req;

	if (a->ok != b->ok)
		return "classified or refused";
	if (!a->ok) {
		if (a->err.status != b->err.status)
			return "status";
		if (str_cmp_null(a->err.code, b->err.code) != 0)
			return "code";
		if (str_cmp_null(a->err.reason, b->err.reason) != 0)
			return "reason";
		if (str_cmp_null(a->err.allow, b->err.allow) != 0)
			return "allow";
		return NULL;
	}
	if (x->category != y->category || x->role != y->role || x->source_category != y->source_category)
		return "category, role or source_category";
	if (strcmp(x->tenant, y->tenant) != 0)
		return "tenant";
	if (strcmp(x->job, y->job) != 0)
		return "job";
	if (strcmp(x->task, y->task) != 0)
		return "task";
	if (strcmp(x->repository, y->repository) != 0)
		return "repository";
	if (strcmp(x->client, y->client) != 0)
		return "client";
	if (x->body_bytes != y->body_bytes)
		return "body_bytes";
	if (x->opens_repository != y->opens_repository || x->saves_snapshot != y->saves_snapshot)
		return "opens_repository or saves_snapshot";
	if (x->block != y->block || x->origin != y->origin || x->workload != y->workload ||
	    x->operation != y->operation || x->result != y->result || strcmp(x->source, y->source) != 0 ||
	    strcmp(x->digest, y->digest) != 0)
		return "a TSP/1 field";
	return NULL;
}

static void assert_same(const struct outcome *a, const struct outcome *b, const char *what)
{
	const char *diff = outcome_diff(a, b);

	if (diff != NULL)
		fail_msg("%s: %s differs", what, diff);
}

static bool is_hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

static const char *code_of(unsigned status)
{
	switch (status) {
	case 400: return "bad-request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not-found";
	case 405: return "method-not-allowed";
	case 413: return "object-too-large";
	default: return "?";
	}
}

/* The fields that only TSP/1 sets stay empty under the restic profile. */
static void assert_no_tsp_fields(const struct tsp_request *req)
{
	assert_int_equal(req->block, 0);
	assert_int_equal(req->origin, TSP_ORIGIN_NONE);
	assert_int_equal(req->workload, TSP_WORKLOAD_NONE);
	assert_int_equal(req->operation, TSP_OP_NONE);
	assert_int_equal(req->result, TSP_RESULT_NONE);
	assert_string_equal(req->source, "");
	assert_string_equal(req->digest, "");
}

/* The session key of the request's repository and client. */
static void assert_job(const struct tsp_request *req, const char *repository, const char *client)
{
	char key[TSP_ID_MAX + 1];

	memset(key, '#', sizeof key);
	restic_session_key(repository, client, key);
	assert_true(is_hex64(key));
	assert_true(is_hex64(req->job));
	assert_string_equal(req->job, key);
}

static void check_outcome(const struct restic_vector *v, const struct outcome *o, const char *client)
{
	if (v->status == 0) {
		const struct tsp_request *req = &o->req;

		if (!o->ok)
			fail_msg("%s: refused %u %s (%s)", v->name, o->err.status, o->err.code, o->err.reason);
		assert_int_equal(req->role, v->role);
		assert_int_equal(req->category, v->category);
		assert_int_equal(req->source_category, v->source_category);
		assert_string_equal(req->tenant, v->tenant != NULL ? v->tenant : "acme");
		assert_string_equal(req->repository, v->repository);
		assert_string_equal(req->task, v->task != NULL ? v->task : "");
		assert_string_equal(req->client, client);
		assert_int_equal(req->opens_repository, v->opens);
		assert_int_equal(req->saves_snapshot, v->saves);
		assert_int_equal(req->body_bytes, v->body_bytes);
		assert_job(req, v->repository, client);
		assert_no_tsp_fields(req);
		return;
	}
	if (o->ok)
		fail_msg("%s: classified as %s of %s, expected %u", v->name, tsp_role_name(o->req.role),
			 o->req.repository, v->status);
	if (o->err.status != v->status)
		fail_msg("%s: refused %u (%s), expected %u", v->name, o->err.status,
			 o->err.reason != NULL ? o->err.reason : "no reason", v->status);
	assert_non_null(o->err.code);
	assert_string_equal(o->err.code, code_of(v->status));
	assert_non_null(o->err.reason);
	assert_true(strlen(o->err.reason) > 0);
	if (v->allow != NULL) {
		assert_non_null(o->err.allow);
		assert_string_equal(o->err.allow, v->allow);
	} else {
		assert_null(o->err.allow);
	}
}

/* ---- the wire form of a row ---- */

/* The head with every "\n" made CRLF, the empty line, then the body or tail.
 * Returns a malloc'd stream; *len its length. */
static char *make_stream(const struct restic_vector *v, size_t *len)
{
	size_t head_len = strlen(v->head), lines = 0, tail = v->tail != NULL ? strlen(v->tail) : v->body;
	char *s, *p;

	for (size_t i = 0; i < head_len; i++)
		lines += v->head[i] == '\n';
	s = malloc(head_len + lines + 2 + tail + 1);
	assert_non_null(s);
	p = s;
	for (size_t i = 0; i < head_len; i++) {
		if (v->head[i] == '\n')
			*p++ = '\r';
		*p++ = v->head[i];
	}
	*p++ = '\r';
	*p++ = '\n';
	if (v->tail != NULL)
		memcpy(p, v->tail, tail);
	else
		memset(p, 'x', tail);
	p += tail;
	*p = '\0';
	*len = (size_t)(p - s);
	return s;
}

/* ---- through the framer ---- */

#define STREAM_MAX 24

struct framed {
	unsigned heads;
	struct outcome out[STREAM_MAX];
	bool framer_error;
	unsigned framer_status;
};

/* One guard for every feed (released by the group teardown): no mmap per cut. */
static struct guard slice_guard = GUARD_INIT;

/* Feeds data cut at cuts[0..ncuts) (ascending), each slice right before a
 * guard page; classifies every head the framer reports. */
static void frame(const char *data, size_t len, const size_t *cuts, size_t ncuts,
		  const struct profile_options *options, const char *client, struct framed *r)
{
	struct http_framer *f = http_framer_new(HTTP_KIND_REQUEST, NULL);
	size_t start = 0;

	assert_non_null(f);
	memset(r, 0, sizeof *r);
	for (size_t i = 0; i <= ncuts && !r->framer_error; i++) {
		size_t stop = i < ncuts ? cuts[i] : len, slice = stop - start, off = 0;
		const char *p = guard_place(&slice_guard, data + start, slice);

		assert_non_null(p);
		for (;;) {
			struct http_event ev;
			size_t n = http_framer_feed(f, p + off, slice - off, &ev);

			assert_true(n <= slice - off);
			off += n;
			if (ev.type == HTTP_EV_ERROR) {
				r->framer_error = true;
				r->framer_status = ev.status;
				break;
			}
			if (ev.type == HTTP_EV_HEAD) {
				assert_true(r->heads < STREAM_MAX);
				classify_into(http_framer_head(f), options, client, &r->out[r->heads++]);
			}
			if (ev.type == HTTP_EV_NONE) {
				assert_int_equal(off, slice);
				break;
			}
		}
		start = stop;
	}
	http_framer_free(f);
}

static void frame_whole(const char *data, size_t len, const struct profile_options *options,
			const char *client, struct framed *r)
{
	frame(data, len, NULL, 0, options, client, r);
}

static void assert_same_framing(const struct framed *a, const struct framed *b, const char *what,
				size_t cut)
{
	if (a->framer_error != b->framer_error || a->heads != b->heads)
		fail_msg("%s (cut %zu): %u heads, framer error %d; whole: %u heads, %d", what, cut, b->heads,
			 b->framer_error, a->heads, a->framer_error);
	for (unsigned k = 0; k < a->heads; k++) {
		const char *diff = outcome_diff(&a->out[k], &b->out[k]);

		if (diff != NULL)
			fail_msg("%s (cut %zu), message %u: %s differs", what, cut, k, diff);
	}
}

/* Cut at every offset, then one byte at a time: the same as whole. */
static void frame_every_split(const char *data, size_t len, const struct profile_options *options,
			      const char *client, const struct framed *whole, const char *what)
{
	static struct framed split;
	size_t *cuts = malloc((len + 1) * sizeof *cuts);

	assert_non_null(cuts);
	for (size_t cut = 1; cut < len; cut++) {
		frame(data, len, &cut, 1, options, client, &split);
		assert_same_framing(whole, &split, what, cut);
	}
	for (size_t i = 1; i < len; i++)
		cuts[i - 1] = i;
	frame(data, len, cuts, len > 1 ? len - 1 : 0, options, client, &split);
	assert_same_framing(whole, &split, what, 1);
	free(cuts);
}

/* ---- heads built by hand (for what the framer refuses itself) ---- */

#define MAX_TEST_HEADERS 32

struct test_head {
	struct http_head head;
	struct http_header headers[MAX_TEST_HEADERS];
	char text[8192];
};

static enum http_method method_of(const char *name)
{
	static const struct {
		const char *name;
		enum http_method method;
	} methods[] = { { "GET", HTTP_METHOD_GET },	  { "HEAD", HTTP_METHOD_HEAD },
			{ "POST", HTTP_METHOD_POST },	  { "PUT", HTTP_METHOD_PUT },
			{ "DELETE", HTTP_METHOD_DELETE }, { "OPTIONS", HTTP_METHOD_OPTIONS } };

	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(methods[i].name, name) == 0)
			return methods[i].method;
	return HTTP_METHOD_OTHER;
}

static struct http_str str_of(const char *s)
{
	return (struct http_str){ s, strlen(s) };
}

/* A row's head ("METHOD target HTTP/1.x\nName: value\n..."), framed as the
 * framer would: Content-Length or Transfer-Encoding: chunked give the body. */
static void build_head(struct test_head *t, const char *text)
{
	char *line = t->text, *method, *target, *version, *next;

	memset(t, 0, sizeof *t);
	assert_true(strlen(text) < sizeof t->text);
	strcpy(t->text, text);
	next = strchr(line, '\n');
	assert_non_null(next);
	*next++ = '\0';
	method = line;
	target = strchr(method, ' ');
	assert_non_null(target);
	*target++ = '\0';
	version = strrchr(target, ' ');
	assert_non_null(version);
	*version++ = '\0';
	t->head.kind = HTTP_KIND_REQUEST;
	t->head.method = method_of(method);
	t->head.method_name = str_of(method);
	t->head.target = str_of(target);
	assert_int_equal(sscanf(version, "HTTP/%u.%u", &t->head.version_major, &t->head.version_minor), 2);
	while (*next != '\0') {
		char *eol = strchr(next, '\n'), *colon = strchr(next, ':'), *value;
		struct http_header *h = &t->headers[t->head.header_count++];

		assert_true(t->head.header_count <= MAX_TEST_HEADERS);
		assert_non_null(eol);
		assert_non_null(colon);
		*eol = '\0';
		*colon = '\0';
		value = colon + 1;
		while (*value == ' ')
			value++;
		h->name = str_of(next);
		h->value = str_of(value);
		if (http_str_ieq(h->name, "Content-Length")) {
			t->head.body = HTTP_BODY_LENGTH;
			t->head.content_length = strtoull(value, NULL, 10);
		} else if (http_str_ieq(h->name, "Transfer-Encoding")) {
			t->head.body = HTTP_BODY_CHUNKED;
		} else if (http_str_ieq(h->name, "Host")) {
			t->head.host = h->value;
		} else if (http_str_ieq(h->name, "Authorization")) {
			t->head.authorization = h->value;
		}
		next = eol + 1;
	}
	t->head.headers = t->headers;
	t->head.keep_alive = true;
}

/* ---- no read past a string ---- */

/* Classifies the head once per string (target, method name, each header
 * name and value), that string moved right before a PROT_NONE page; the
 * outcome must be `expected` every time. The head is copied into t. */
static void classify_each_string_guarded(const struct http_head *head, struct test_head *t,
					 const struct profile_options *options, const char *client,
					 const struct outcome *expected)
{
	struct http_str *strs[2 + 2 * MAX_TEST_HEADERS];
	struct guard g = GUARD_INIT;
	struct outcome o;
	size_t n = 0;

	assert_true(head->header_count <= MAX_TEST_HEADERS);
	if (head != &t->head) {
		t->head = *head;
		memcpy(t->headers, head->headers, head->header_count * sizeof head->headers[0]);
		t->head.headers = t->headers;
	}
	strs[n++] = &t->head.target;
	strs[n++] = &t->head.method_name;
	for (unsigned i = 0; i < t->head.header_count; i++) {
		strs[n++] = &t->headers[i].name;
		strs[n++] = &t->headers[i].value;
	}
	for (size_t i = 0; i < n; i++) {
		struct http_str saved = *strs[i], saved_host = t->head.host, saved_auth = t->head.authorization;
		const char *placed = guard_place(&g, saved.ptr, saved.len);

		assert_non_null(placed);
		strs[i]->ptr = placed;
		/* The convenience copies follow their header. */
		if (saved_host.ptr == saved.ptr && saved_host.len == saved.len)
			t->head.host.ptr = placed;
		if (saved_auth.ptr == saved.ptr && saved_auth.len == saved.len)
			t->head.authorization.ptr = placed;
		classify_into(&t->head, options, client, &o);
		assert_same(expected, &o, "a string against a guard page");
		*strs[i] = saved;
		t->head.host = saved_host;
		t->head.authorization = saved_auth;
	}
	guard_release(&g);
}

/* ---- the vector table, one test case per row ---- */

static void test_vector(void **state)
{
	const struct restic_vector *v = *state;
	const struct profile_options *options = options_of(v->options);
	const char *client = v->client != NULL ? v->client : RV_CLIENT;
	static struct framed whole;
	static struct test_head t;
	size_t len;
	char *stream = make_stream(v, &len);

	frame_whole(stream, len, options, client, &whole);
	if (v->by_hand) {
		struct outcome o;

		/* The framer refuses the head itself; the classifier does too. */
		if (!whole.framer_error)
			fail_msg("%s: the framer let the head through", v->name);
		assert_int_equal(whole.framer_status, 400);
		assert_int_equal(whole.heads, 0);
		build_head(&t, v->head);
		classify_into(&t.head, options, client, &o);
		check_outcome(v, &o, client);
		classify_each_string_guarded(&t.head, &t, options, client, &o);
		free(stream);
		return;
	}
	if (whole.framer_error)
		fail_msg("%s: the framer refused the head (%u)", v->name, whole.framer_status);
	assert_int_equal(whole.heads, 1);
	check_outcome(v, &whole.out[0], client);
	frame_every_split(stream, len, options, client, &whole, v->name);

	/* The head's strings against a guard page, with a live framer. */
	{
		struct http_framer *f = http_framer_new(HTTP_KIND_REQUEST, NULL);
		struct http_event ev;

		assert_non_null(f);
		(void)http_framer_feed(f, stream, len, &ev);
		assert_int_equal(ev.type, HTTP_EV_HEAD);
		classify_each_string_guarded(http_framer_head(f), &t, options, client, &whole.out[0]);
		http_framer_free(f);
	}
	free(stream);
}

/* ---- sessions: sequences on one connection ---- */

static const char backup_stream[] = RV_BACKUP_STREAM(RV_REPO);
static const char backup_stream_offsite[] = RV_BACKUP_STREAM(RV_OFFSITE);
static const char backup_stream_nested[] = RV_BACKUP_STREAM(RV_NESTED);
static const char backup_stream_root[] = RV_BACKUP_STREAM("");

static const struct {
	enum tsp_role role;
	const char *task;
	bool opens, saves;
	uint32_t body_bytes;
} backup_expect[] = {
	{ TSP_ROLE_READ, "", true, false, 0 },          /* HEAD config */
	{ TSP_ROLE_READ, "", false, false, 0 },         /* GET keys/ */
	{ TSP_ROLE_READ, "", false, false, 0 },         /* GET keys/<id> */
	{ TSP_ROLE_READ, "", true, false, 0 },          /* GET config */
	{ TSP_ROLE_READ, "", false, false, 0 },         /* GET locks/ */
	{ TSP_ROLE_LOCK_CREATE, RV_LOCK, false, false, 16 },
	{ TSP_ROLE_READ, "", false, false, 0 },         /* GET locks/ */
	{ TSP_ROLE_READ, "", false, false, 0 },         /* GET snapshots/ */
	{ TSP_ROLE_READ, "", false, false, 0 },         /* GET index/ */
	{ TSP_ROLE_WRITE, "", false, false, 20 },       /* POST data/ */
	{ TSP_ROLE_WRITE, "", false, false, 20 },       /* POST data/ */
	{ TSP_ROLE_WRITE, "", false, false, 8 },        /* POST index/ */
	{ TSP_ROLE_LOCK_CREATE, RV_LOCK2, false, false, 16 }, /* refresh: the new lock */
	{ TSP_ROLE_LOCK_DELETE, RV_LOCK, false, false, 0 },   /* then the old one goes */
	{ TSP_ROLE_WRITE, "", false, true, 8 },         /* POST snapshots/ */
	{ TSP_ROLE_LOCK_DELETE, RV_LOCK2, false, false, 0 },
};

#define BACKUP_MESSAGES (sizeof backup_expect / sizeof backup_expect[0])

static void check_backup(const struct framed *r, const char *repository, const char *client,
			 enum tsp_category session)
{
	assert_false(r->framer_error);
	assert_int_equal(r->heads, BACKUP_MESSAGES);
	for (unsigned k = 0; k < r->heads; k++) {
		const struct outcome *o = &r->out[k];

		if (!o->ok)
			fail_msg("message %u: refused %u (%s)", k, o->err.status, o->err.reason);
		assert_int_equal(o->req.role, backup_expect[k].role);
		assert_int_equal(o->req.category,
				 backup_expect[k].role == TSP_ROLE_READ ? TSP_CAT_RESTORE : session);
		assert_int_equal(o->req.source_category, session);
		assert_string_equal(o->req.tenant, "acme");
		assert_string_equal(o->req.repository, repository);
		assert_string_equal(o->req.task, backup_expect[k].task);
		assert_int_equal(o->req.opens_repository, backup_expect[k].opens);
		assert_int_equal(o->req.saves_snapshot, backup_expect[k].saves);
		assert_int_equal(o->req.body_bytes, backup_expect[k].body_bytes);
		/* One session: every request has the same key. */
		assert_string_equal(o->req.job, r->out[0].req.job);
	}
	assert_job(&r->out[0].req, repository, client);
}

static void test_session_backup(void **state)
{
	static struct framed r;

	(void)state;
	frame_whole(backup_stream, sizeof backup_stream - 1, NULL, RV_CLIENT, &r);
	check_backup(&r, RV_REPO, RV_CLIENT, TSP_CAT_BACKUP);
	frame_every_split(backup_stream, sizeof backup_stream - 1, NULL, RV_CLIENT, &r, "backup");
}

static void test_session_shapes(void **state)
{
	static struct framed r;

	(void)state;
	frame_whole(backup_stream_nested, sizeof backup_stream_nested - 1, &options_table[RV_COPY], RV_CLIENT6, &r);
	check_backup(&r, RV_NESTED, RV_CLIENT6, TSP_CAT_BACKUP);
	frame_whole(backup_stream_root, sizeof backup_stream_root - 1, &options_table[RV_DEFAULT], RV_CLIENT, &r);
	check_backup(&r, "/", RV_CLIENT, TSP_CAT_BACKUP);
	frame_whole(backup_stream_offsite, sizeof backup_stream_offsite - 1, &options_table[RV_COPY], RV_CLIENT, &r);
	check_backup(&r, RV_OFFSITE, RV_CLIENT, TSP_CAT_BACKUP_COPY);
	frame_every_split(backup_stream_offsite, sizeof backup_stream_offsite - 1, &options_table[RV_COPY],
			  RV_CLIENT, &r, "backup to a copy target");
	/* The same repository without the glob: a plain backup, same session key. */
	{
		static struct framed plain;

		frame_whole(backup_stream_offsite, sizeof backup_stream_offsite - 1, NULL, RV_CLIENT, &plain);
		check_backup(&plain, RV_OFFSITE, RV_CLIENT, TSP_CAT_BACKUP);
		assert_string_equal(plain.out[0].req.job, r.out[0].req.job);
	}
	/* private_repos on: acme's own repositories pass; the root is another user's. */
	frame_whole(backup_stream, sizeof backup_stream - 1, &options_table[RV_PRIVATE], RV_CLIENT, &r);
	check_backup(&r, RV_REPO, RV_CLIENT, TSP_CAT_BACKUP);
	frame_whole(backup_stream_root, sizeof backup_stream_root - 1, &options_table[RV_PRIVATE], RV_CLIENT, &r);
	assert_int_equal(r.heads, BACKUP_MESSAGES);
	for (unsigned k = 0; k < r.heads; k++) {
		assert_false(r.out[k].ok);
		assert_int_equal(r.out[k].err.status, 403);
	}
}

/* The key differs by client and by repository, never by request. */
static void test_session_keys_differ(void **state)
{
	static struct framed a, b, c, d;

	(void)state;
	frame_whole(backup_stream, sizeof backup_stream - 1, NULL, RV_CLIENT, &a);
	frame_whole(backup_stream, sizeof backup_stream - 1, NULL, RV_CLIENT6, &b);
	frame_whole(backup_stream, sizeof backup_stream - 1, NULL, "192.0.2.11", &c);
	frame_whole(backup_stream_nested, sizeof backup_stream_nested - 1, NULL, RV_CLIENT, &d);
	check_backup(&a, RV_REPO, RV_CLIENT, TSP_CAT_BACKUP);
	check_backup(&b, RV_REPO, RV_CLIENT6, TSP_CAT_BACKUP);
	check_backup(&c, RV_REPO, "192.0.2.11", TSP_CAT_BACKUP);
	check_backup(&d, RV_NESTED, RV_CLIENT, TSP_CAT_BACKUP);
	assert_string_not_equal(a.out[0].req.job, b.out[0].req.job);
	assert_string_not_equal(a.out[0].req.job, c.out[0].req.job);
	assert_string_not_equal(b.out[0].req.job, c.out[0].req.job);
	assert_string_not_equal(a.out[0].req.job, d.out[0].req.job);
	/* Only job and client differ between clients. */
	for (unsigned k = 0; k < a.heads; k++) {
		struct outcome x = b.out[k];

		memcpy(x.req.job, a.out[k].req.job, sizeof x.req.job);
		memcpy(x.req.client, a.out[k].req.client, sizeof x.req.client);
		assert_same(&a.out[k], &x, "another client");
	}
}

/* restic init, then forget --prune, on one connection. */
static void test_session_init_prune(void **state)
{
	static const char stream[] = RV_INIT_PRUNE_STREAM(RV_REPO);
	static const struct {
		enum tsp_role role;
		bool opens;
		uint32_t body_bytes;
	} want[] = {
		{ TSP_ROLE_READ, true, 0 },  { TSP_ROLE_WRITE, false, 0 }, { TSP_ROLE_WRITE, false, 4 },
		{ TSP_ROLE_WRITE, false, 6 }, { TSP_ROLE_LOCK_CREATE, false, 4 }, { TSP_ROLE_WRITE, false, 0 },
		{ TSP_ROLE_READ, false, 0 }, { TSP_ROLE_WRITE, false, 4 }, { TSP_ROLE_WRITE, false, 0 },
		{ TSP_ROLE_WRITE, false, 0 }, { TSP_ROLE_LOCK_DELETE, false, 0 },
	};
	static struct framed r;

	(void)state;
	frame_whole(stream, sizeof stream - 1, &options_table[RV_PRIVATE], RV_CLIENT, &r);
	assert_false(r.framer_error);
	assert_int_equal(r.heads, sizeof want / sizeof want[0]);
	for (unsigned k = 0; k < r.heads; k++) {
		if (!r.out[k].ok)
			fail_msg("message %u: refused %u (%s)", k, r.out[k].err.status, r.out[k].err.reason);
		assert_int_equal(r.out[k].req.role, want[k].role);
		assert_int_equal(r.out[k].req.opens_repository, want[k].opens);
		assert_int_equal(r.out[k].req.body_bytes, want[k].body_bytes);
		assert_false(r.out[k].req.saves_snapshot); /* a DELETE snapshots/ saves nothing */
		assert_string_equal(r.out[k].req.repository, RV_REPO);
		assert_string_equal(r.out[k].req.job, r.out[0].req.job);
		assert_string_equal(r.out[k].req.task,
				    want[k].role == TSP_ROLE_LOCK_CREATE || want[k].role == TSP_ROLE_LOCK_DELETE
					    ? RV_LOCK : "");
	}
	frame_every_split(stream, sizeof stream - 1, &options_table[RV_PRIVATE], RV_CLIENT, &r, "init, prune");
}

/* restic copy main -> offsite: one process, two repositories, two sessions. */
static void test_session_copy(void **state)
{
	static const char stream[] =
		RV_S_POST(RV_REPO "/locks/" RV_LOCK, 4, "lock")
		RV_S_POST(RV_OFFSITE "/locks/" RV_LOCK2, 4, "lock")
		RV_S_GET(RV_REPO "/data/" RV_DATA)
		RV_S_POST(RV_OFFSITE "/data/" RV_DATA, 4, "pack")
		RV_S_POST(RV_OFFSITE "/snapshots/" RV_SNAP, 4, "snap")
		RV_S_DELETE(RV_OFFSITE "/locks/" RV_LOCK2)
		RV_S_DELETE(RV_REPO "/locks/" RV_LOCK);
	static struct framed r;
	const struct tsp_request *req = NULL;

	(void)state;
	frame_whole(stream, sizeof stream - 1, &options_table[RV_COPY], RV_CLIENT, &r);
	assert_false(r.framer_error);
	assert_int_equal(r.heads, 7);
	for (unsigned k = 0; k < r.heads; k++)
		assert_true(r.out[k].ok);
	req = &r.out[0].req;
	assert_int_equal(req->category, TSP_CAT_BACKUP); /* the source's lock */
	assert_int_equal(r.out[1].req.category, TSP_CAT_BACKUP_COPY);
	assert_string_not_equal(req->job, r.out[1].req.job);
	assert_string_equal(r.out[2].req.job, req->job);
	assert_int_equal(r.out[2].req.category, TSP_CAT_RESTORE);
	assert_int_equal(r.out[2].req.source_category, TSP_CAT_BACKUP);
	for (unsigned k = 3; k < 6; k++) {
		assert_string_equal(r.out[k].req.job, r.out[1].req.job);
		assert_int_equal(r.out[k].req.category, TSP_CAT_BACKUP_COPY);
	}
	assert_true(r.out[4].req.saves_snapshot);
	assert_int_equal(r.out[5].req.role, TSP_ROLE_LOCK_DELETE);
	assert_string_equal(r.out[5].req.task, RV_LOCK2);
	assert_string_equal(r.out[6].req.job, req->job);
	assert_string_equal(r.out[6].req.task, RV_LOCK);
	frame_every_split(stream, sizeof stream - 1, &options_table[RV_COPY], RV_CLIENT, &r, "copy");
}

/* ---- the session key ---- */

static void test_session_key(void **state)
{
	static const char *const repos[] = { "/", "/acme/main", "/acme/main2", "/acme/mai", "/acme" };
	static const char *const clients[] = { "", RV_CLIENT, RV_CLIENT6, "n192.0.2.10", "127.0.0.1" };
	char keys[5][5][TSP_ID_MAX + 1], again[TSP_ID_MAX + 1];

	(void)state;
	for (size_t r = 0; r < 5; r++) {
		for (size_t c = 0; c < 5; c++) {
			memset(keys[r][c], '#', sizeof keys[r][c]);
			restic_session_key(repos[r], clients[c], keys[r][c]);
			assert_true(is_hex64(keys[r][c]));
			restic_session_key(repos[r], clients[c], again);
			assert_string_equal(again, keys[r][c]);
		}
	}
	/* Every (repository, client) pair has its own key: "/acme/mai" with
	 * "n192.0.2.10" is not "/acme/main" with "192.0.2.10". */
	for (size_t i = 0; i < 25; i++)
		for (size_t j = i + 1; j < 25; j++)
			assert_string_not_equal(keys[i / 5][i % 5], keys[j / 5][j % 5]);
	/* A NULL client is the empty one. */
	restic_session_key("/acme/main", NULL, again);
	assert_string_equal(again, keys[1][0]);
}

/* The key, computed below a frame filled with `fill`: a key that read past its
 * own input would depend on the fill (and ASan reports the read). */
static void key_with_stack(const char *repository, const char *client, char fill,
			   char key[TSP_ID_MAX + 1])
{
	volatile char junk[2048];

	memset((char *)junk, fill, sizeof junk);
	restic_session_key(repository, client, key);
	junk[0] = junk[1];
}

/* The longest repository and client restic_classify can pass (and beyond):
 * a key is a function of its inputs alone, whatever is on the stack. */
static void test_session_key_long_inputs(void **state)
{
	char repo[TSP_REPOSITORY_MAX + 1], client[TSP_CLIENT_MAX + 1];
	char long_repo[2 * TSP_REPOSITORY_MAX], long_client[4 * TSP_CLIENT_MAX];
	char a[TSP_ID_MAX + 1], b[TSP_ID_MAX + 1];

	(void)state;
	memset(repo, 'r', sizeof repo - 1);
	repo[0] = '/';
	repo[sizeof repo - 1] = '\0';
	memset(client, 'c', sizeof client - 1);
	client[sizeof client - 1] = '\0';
	key_with_stack(repo, client, 0x00, a);
	key_with_stack(repo, client, 0x5a, b);
	assert_true(is_hex64(a));
	assert_string_equal(a, b);
	/* Longer than any classified request has: still a key of the inputs. */
	memset(long_repo, 'r', sizeof long_repo - 1);
	long_repo[0] = '/';
	long_repo[sizeof long_repo - 1] = '\0';
	memset(long_client, 'c', sizeof long_client - 1);
	long_client[sizeof long_client - 1] = '\0';
	key_with_stack(long_repo, long_client, 0x00, a);
	key_with_stack(long_repo, long_client, 0x5a, b);
	assert_true(is_hex64(a));
	assert_string_equal(a, b);
}

/* The client is copied bounded; the key is of the copy; NULL is "". */
static void test_client_copy(void **state)
{
	static const char text[] = RV_POST_OF(RV_REPO "/locks/" RV_LOCK, 137);
	char client[TSP_CLIENT_MAX + 1];
	struct test_head t;
	struct outcome o;

	(void)state;
	build_head(&t, text);
	classify_into(&t.head, NULL, NULL, &o);
	assert_true(o.ok);
	assert_string_equal(o.req.client, "");
	assert_job(&o.req, RV_REPO, "");
	/* The longest client that fits. */
	memset(client, '9', sizeof client - 1);
	client[sizeof client - 1] = '\0';
	classify_into(&t.head, NULL, client, &o);
	assert_true(o.ok);
	assert_string_equal(o.req.client, client);
	assert_job(&o.req, RV_REPO, client);
	/* An IPv6 address of the longest form. */
	classify_into(&t.head, NULL, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &o);
	assert_true(o.ok);
	assert_string_equal(o.req.client, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	assert_job(&o.req, RV_REPO, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
}

/* ---- grammars, exhaustively ---- */

static void classify_text(const char *text, const struct profile_options *options, struct outcome *o)
{
	static struct test_head t;

	build_head(&t, text);
	classify_into(&t.head, options, RV_CLIENT, o);
}

/* Every visible byte inside a repository segment and inside a file name. */
static void test_segment_every_byte(void **state)
{
	(void)state;
	for (unsigned c = 0x21; c < 0x7f; c++) {
		bool id_byte = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			       c == '.' || c == '_' || c == '-';
		char text[512];
		struct outcome o;

		if (c == '/')
			continue; /* a separator, not a byte of a segment */
		snprintf(text, sizeof text, "HEAD /acme/ma%cn/config HTTP/1.1\n" RV_HOST RV_AUTH, (int)c);
		classify_text(text, NULL, &o);
		if (o.ok != id_byte || (!o.ok && o.err.status != 404))
			fail_msg("repository byte 0x%02x: %s %u", c, o.ok ? "classified" : "refused",
				 o.err.status);
		snprintf(text, sizeof text, "DELETE /acme/main/locks/ab%ccd HTTP/1.1\n" RV_HOST RV_AUTH, (int)c);
		classify_text(text, NULL, &o);
		if (o.ok != id_byte || (!o.ok && o.err.status != 404))
			fail_msg("lock id byte 0x%02x: %s %u", c, o.ok ? "classified" : "refused", o.err.status);
		if (o.ok) {
			assert_int_equal(o.req.role, TSP_ROLE_LOCK_DELETE);
			assert_int_equal(strlen(o.req.task), 5);
		}
	}
}

/* 1..17 segments of config paths, lists and files: at most 16 in all. */
static void test_segment_counts(void **state)
{
	(void)state;
	for (unsigned n = 1; n <= 18; n++) {
		char path[256] = "", text[512];
		struct outcome o;

		/* n - 1 repository segments, then "config". */
		for (unsigned i = 1; i < n; i++)
			snprintf(path + strlen(path), sizeof path - strlen(path), "/s%u", i);
		snprintf(text, sizeof text, "HEAD %s/config HTTP/1.1\n" RV_HOST RV_AUTH, path);
		classify_text(text, NULL, &o);
		if (o.ok != (n <= RESTIC_SEGMENTS_MAX))
			fail_msg("config with %u segments: %s", n, o.ok ? "classified" : "refused");
		if (o.ok)
			assert_string_equal(o.req.repository, n == 1 ? "/" : path);
		else
			assert_int_equal(o.err.status, 404);
		/* n - 2 repository segments, then "data/<id>". */
		if (n < 2)
			continue;
		path[0] = '\0';
		for (unsigned i = 2; i < n; i++)
			snprintf(path + strlen(path), sizeof path - strlen(path), "/s%u", i);
		snprintf(text, sizeof text, "POST %s/data/x HTTP/1.1\n" RV_HOST RV_AUTH "Content-Length: 1\n", path);
		classify_text(text, NULL, &o);
		if (o.ok != (n <= RESTIC_SEGMENTS_MAX))
			fail_msg("file with %u segments: %s", n, o.ok ? "classified" : "refused");
		if (o.ok)
			assert_string_equal(o.req.repository, n == 2 ? "/" : path);
		/* n - 1 repository segments, then "data/". */
		path[0] = '\0';
		for (unsigned i = 1; i < n; i++)
			snprintf(path + strlen(path), sizeof path - strlen(path), "/s%u", i);
		snprintf(text, sizeof text, "GET %s/data/ HTTP/1.1\n" RV_HOST RV_AUTH, path);
		classify_text(text, NULL, &o);
		if (o.ok != (n <= RESTIC_SEGMENTS_MAX))
			fail_msg("list with %u segments: %s", n, o.ok ? "classified" : "refused");
	}
}

/* Repositories of 200..300 bytes: up to TSP_REPOSITORY_MAX. */
static void test_repository_lengths(void **state)
{
	(void)state;
	for (size_t len = 200; len <= 300; len++) {
		char repo[400], text[800];
		struct outcome o;
		size_t at = 0, left = len;

		/* "/" and up to 50 bytes, again, never leaving a lone "/" at the end. */
		while (left > 0) {
			size_t seg = left - 1 < 50 ? left - 1 : 50;

			if (left - 1 - seg == 1)
				seg--;
			repo[at++] = '/';
			memset(repo + at, 'r', seg);
			at += seg;
			left -= seg + 1;
		}
		repo[at] = '\0';
		assert_int_equal(strlen(repo), len);
		snprintf(text, sizeof text, "POST %s/?create=true HTTP/1.1\n" RV_HOST RV_AUTH, repo);
		classify_text(text, NULL, &o);
		if (o.ok != (len <= TSP_REPOSITORY_MAX))
			fail_msg("repository of %zu bytes: %s", len, o.ok ? "classified" : "refused");
		if (o.ok)
			assert_string_equal(o.req.repository, repo);
		else
			assert_int_equal(o.err.status, 404);
	}
}

/* Every resource with every method: its role, or 405 and the Allow. */
static void test_method_matrix(void **state)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
					       "TRACE" };
	static const struct {
		const char *target;
		int role[8]; /* per method: a role, or -1 for 405 */
		const char *allow;
	} rows[] = {
		{ RV_REPO "/config", { TSP_ROLE_READ, TSP_ROLE_READ, TSP_ROLE_WRITE, -1, TSP_ROLE_WRITE, -1, -1, -1 },
		  RV_ALLOW_FILE },
		{ RV_REPO "/data/" RV_DATA,
		  { TSP_ROLE_READ, TSP_ROLE_READ, TSP_ROLE_WRITE, -1, TSP_ROLE_WRITE, -1, -1, -1 }, RV_ALLOW_FILE },
		{ RV_REPO "/keys/" RV_KEY,
		  { TSP_ROLE_READ, TSP_ROLE_READ, TSP_ROLE_WRITE, -1, TSP_ROLE_WRITE, -1, -1, -1 }, RV_ALLOW_FILE },
		{ RV_REPO "/index/" RV_INDEX,
		  { TSP_ROLE_READ, TSP_ROLE_READ, TSP_ROLE_WRITE, -1, TSP_ROLE_WRITE, -1, -1, -1 }, RV_ALLOW_FILE },
		{ RV_REPO "/snapshots/" RV_SNAP,
		  { TSP_ROLE_READ, TSP_ROLE_READ, TSP_ROLE_WRITE, -1, TSP_ROLE_WRITE, -1, -1, -1 }, RV_ALLOW_FILE },
		{ RV_REPO "/locks/" RV_LOCK,
		  { TSP_ROLE_READ, TSP_ROLE_READ, TSP_ROLE_LOCK_CREATE, -1, TSP_ROLE_LOCK_DELETE, -1, -1, -1 },
		  RV_ALLOW_FILE },
		{ RV_REPO "/data/", { TSP_ROLE_READ, -1, -1, -1, -1, -1, -1, -1 }, "GET" },
		{ RV_REPO "/keys/", { TSP_ROLE_READ, -1, -1, -1, -1, -1, -1, -1 }, "GET" },
		{ RV_REPO "/locks/", { TSP_ROLE_READ, -1, -1, -1, -1, -1, -1, -1 }, "GET" },
		{ RV_REPO "/index/", { TSP_ROLE_READ, -1, -1, -1, -1, -1, -1, -1 }, "GET" },
		{ RV_REPO "/snapshots/", { TSP_ROLE_READ, -1, -1, -1, -1, -1, -1, -1 }, "GET" },
		{ RV_REPO "/?create=true", { -1, -1, TSP_ROLE_WRITE, -1, -1, -1, -1, -1 }, "POST" },
		{ "/?create=true", { -1, -1, TSP_ROLE_WRITE, -1, -1, -1, -1, -1 }, "POST" },
	};

	(void)state;
	for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
		for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
			char text[512];
			struct outcome o;

			snprintf(text, sizeof text, "%s %s HTTP/1.1\n" RV_HOST RV_AUTH, methods[m], rows[r].target);
			classify_text(text, &options_table[RV_COPY], &o);
			if (rows[r].role[m] < 0) {
				if (o.ok || o.err.status != 405)
					fail_msg("%s %s: expected 405", methods[m], rows[r].target);
				assert_string_equal(o.err.code, "method-not-allowed");
				assert_non_null(o.err.allow);
				assert_string_equal(o.err.allow, rows[r].allow);
				continue;
			}
			if (!o.ok)
				fail_msg("%s %s: refused %u (%s)", methods[m], rows[r].target, o.err.status,
					 o.err.reason);
			assert_int_equal(o.req.role, rows[r].role[m]);
			assert_int_equal(o.req.category, o.req.role == TSP_ROLE_READ ? TSP_CAT_RESTORE
										      : TSP_CAT_BACKUP);
			assert_int_equal(o.req.opens_repository,
					 m < 2 && strcmp(rows[r].target, RV_REPO "/config") == 0);
			assert_int_equal(o.req.saves_snapshot,
					 m == 2 && strcmp(rows[r].target, RV_REPO "/snapshots/" RV_SNAP) == 0);
		}
	}
}

/* Content-Length around 4 GiB - 1 on a POST, and 0 or more elsewhere. */
static void test_body_lengths(void **state)
{
	static const struct {
		const char *method;
		unsigned long long length;
		unsigned status;
	} rows[] = {
		{ "POST", 0, 0 },        { "POST", 1, 0 },          { "POST", 4294967294ull, 0 },
		{ "POST", 4294967295ull, 0 }, { "POST", 4294967296ull, 413 }, { "POST", 4294967297ull, 413 },
		{ "POST", 1ull << 40, 413 },  { "POST", 18446744073709551615ull, 413 },
		{ "GET", 0, 0 },         { "GET", 1, 400 },         { "GET", 4294967296ull, 400 },
		{ "HEAD", 0, 0 },        { "HEAD", 1, 400 },        { "DELETE", 0, 0 },
		{ "DELETE", 1, 400 },    { "DELETE", 4294967296ull, 400 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char text[512];
		struct outcome o;

		snprintf(text, sizeof text, "%s " RV_REPO "/data/" RV_DATA " HTTP/1.1\n" RV_HOST RV_AUTH
			 "Content-Length: %llu\n", rows[i].method, rows[i].length);
		classify_text(text, NULL, &o);
		if (rows[i].status == 0) {
			if (!o.ok)
				fail_msg("%s of %llu bytes: refused %u", rows[i].method, rows[i].length,
					 o.err.status);
			assert_int_equal(o.req.body_bytes, rows[i].length);
		} else {
			if (o.ok || o.err.status != rows[i].status)
				fail_msg("%s of %llu bytes: expected %u", rows[i].method, rows[i].length,
					 rows[i].status);
			assert_string_equal(o.err.code, code_of(rows[i].status));
		}
	}
}

/* A request's fields never carry over from the one classified before. */
static void test_request_cleared(void **state)
{
	static struct test_head t;
	struct tsp_request req;
	struct tsp_error err;

	(void)state;
	build_head(&t, RV_POST_OF(RV_OFFSITE "/snapshots/" RV_SNAP, 187));
	assert_true(restic_classify(&options_table[RV_COPY], &t.head, RV_CLIENT, &req, &err));
	assert_true(req.saves_snapshot);
	build_head(&t, RV_POST_OF(RV_OFFSITE "/locks/" RV_LOCK, 137));
	assert_true(restic_classify(&options_table[RV_COPY], &t.head, RV_CLIENT, &req, &err));
	assert_string_equal(req.task, RV_LOCK);
	build_head(&t, RV_HEAD_OF(RV_REPO "/packs/"));
	assert_false(restic_classify(&options_table[RV_COPY], &t.head, RV_CLIENT, &req, &err));
	build_head(&t, RV_LIST_OF(RV_REPO "/keys/"));
	assert_true(restic_classify(NULL, &t.head, "", &req, &err));
	assert_string_equal(req.task, "");
	assert_string_equal(req.client, "");
	assert_false(req.saves_snapshot);
	assert_false(req.opens_repository);
	assert_int_equal(req.body_bytes, 0);
	assert_int_equal(req.category, TSP_CAT_RESTORE);
	assert_int_equal(req.source_category, TSP_CAT_BACKUP);
	assert_string_equal(req.repository, RV_REPO);
	assert_job(&req, RV_REPO, "");
}

/* options == NULL is private_repos off and no globs; an empty glob list too. */
static void test_options_null(void **state)
{
	static const char *const heads[] = {
		RV_HEAD_OF("/config"),
		RV_POST_OF(RV_OFFSITE "/data/" RV_DATA, 5),
		RV_POST_OF("/bob/main/locks/" RV_LOCK, 137),
		RV_DELETE_OF("/acme/vault/copy-1/snapshots/" RV_SNAP),
	};

	(void)state;
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
		struct outcome a, b;

		classify_text(heads[i], NULL, &a);
		classify_text(heads[i], &options_table[RV_DEFAULT], &b);
		assert_true(a.ok);
		assert_same(&a, &b, heads[i]);
		assert_int_equal(a.req.source_category, TSP_CAT_BACKUP);
	}
}

/* ---- the profile table ---- */

static void test_profile_find(void **state)
{
	(void)state;
	assert_ptr_equal(profile_find("tsp"), &profile_tsp);
	assert_ptr_equal(profile_find("restic"), &profile_restic);
	assert_null(profile_find("x"));
	assert_null(profile_find(""));
	assert_null(profile_find("TSP"));
	assert_null(profile_find("Restic"));
	assert_null(profile_find("restic "));
	assert_null(profile_find("tsp/1"));
	assert_string_equal(profile_tsp.name, "tsp");
	assert_string_equal(profile_restic.name, "restic");
	assert_int_equal(profile_tsp.refusal, PROFILE_REFUSAL_JSON);
	assert_int_equal(profile_restic.refusal, PROFILE_REFUSAL_REASON);
	assert_false(profile_tsp.sessions);
	assert_true(profile_restic.sessions);
	assert_non_null(profile_tsp.classify);
	assert_non_null(profile_restic.classify);
}

#define TSP_BASE "Host: cloud.example.net\r\nAuthorization: Basic YWNtZTpzM2NyZXQ=\r\n"

/* profile_tsp.classify is tsp_classify, whatever the options and client. */
static void test_profile_tsp_classify(void **state)
{
	static const char *const requests[] = {
		"GET /tsp/1/session HTTP/1.1\r\n" TSP_BASE "\r\n",
		"POST /tsp/1/backup/jobs/nightly-0142 HTTP/1.1\r\n" TSP_BASE
		"Tsp-Origin: vbr\r\nTsp-Workload: vsphere\r\n\r\n",
		"PUT /tsp/1/backup/jobs/nightly-0142/tasks/vm-web01/blocks/0 HTTP/1.1\r\n" TSP_BASE
		"Content-Length: 17\r\nTsp-Digest: sha256="
		"1fdd98864fb688159e02637f526ed77c04e7895815a9f23756db942e567830f6\r\n\r\nvm-web01 block 0\n",
		"POST /tsp/1/restore/jobs/r7 HTTP/1.1\r\n" TSP_BASE
		"Tsp-Origin: vbr\r\nTsp-Workload: vsphere\r\nTsp-Source: backup-copy/c1\r\n\r\n",
		"POST /tsp/1/backup/jobs/nightly-0142/close HTTP/1.1\r\n" TSP_BASE "Tsp-Result: warning\r\n\r\n",
		"GET /tsp/1/session HTTP/1.1\r\nHost: h\r\n\r\n",            /* 401 */
		"GET " RV_REPO "/config HTTP/1.1\r\n" TSP_BASE "\r\n",       /* a restic path: 404 */
		"PUT /tsp/1/restore/jobs/r/tasks/t/blocks/0 HTTP/1.1\r\n" TSP_BASE "\r\n", /* 405 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
		struct http_framer *f = http_framer_new(HTTP_KIND_REQUEST, NULL);
		struct http_event ev;
		struct outcome want, got;

		assert_non_null(f);
		(void)http_framer_feed(f, requests[i], strlen(requests[i]), &ev);
		assert_int_equal(ev.type, HTTP_EV_HEAD);
		memset(&want, 0, sizeof want);
		want.ok = tsp_classify(http_framer_head(f), &want.req, &want.err);
		for (int opt = 0; opt < RV_OPTIONS_COUNT; opt++) {
			memset(&got, 0, sizeof got);
			got.ok = profile_find("tsp")->classify(options_of((enum rv_options)opt), http_framer_head(f),
							      opt % 2 ? NULL : RV_CLIENT, &got.req, &got.err);
			assert_same(&want, &got, requests[i]);
			if (want.ok)
				assert_memory_equal(&want.req, &got.req, sizeof want.req);
		}
		assert_int_equal(want.ok, i < 5);
		http_framer_free(f);
	}
}

/* profile_restic.classify is restic_classify; a TSP/1 path is not restic's. */
static void test_profile_restic_classify(void **state)
{
	(void)state;
	for (size_t i = 0; i < RESTIC_VECTOR_COUNT; i++) {
		const struct restic_vector *v = &restic_vectors[i];
		static struct test_head t;
		struct outcome want, got;

		build_head(&t, v->head);
		classify_into(&t.head, options_of(v->options), RV_CLIENT6, &want);
		memset(&got, 0, sizeof got);
		got.ok = profile_find("restic")->classify(options_of(v->options), &t.head, RV_CLIENT6, &got.req,
							  &got.err);
		assert_same(&want, &got, v->name);
	}
	{
		struct outcome o;

		classify_text("GET /tsp/1/session HTTP/1.1\n" RV_HOST RV_AUTH, NULL, &o);
		assert_false(o.ok);
		assert_int_equal(o.err.status, 404);
	}
}

/* Two Authorization headers pass the framer (they do not touch framing) and
 * are the classifier's 401, with its reason; the next request follows. */
static void test_repeated_credentials_framed(void **state)
{
	static const char stream[] =
		"POST " RV_REPO "/locks/" RV_LOCK " HTTP/1.1\r\nHost: h\r\n"
		"Authorization: Basic YWNtZTpzM2NyZXQ=\r\nAuthorization: Basic YWNtZTpzM2NyZXQ=\r\n"
		"Content-Length:\t4\t\r\n\r\nlock"
		"HEAD " RV_REPO "/config HTTP/1.1\r\nHost: h\r\nAuthorization: Basic YWNtZTpzM2NyZXQ=\r\n\r\n";
	static struct framed whole;

	(void)state;
	frame_whole(stream, sizeof stream - 1, NULL, RV_CLIENT, &whole);
	assert_false(whole.framer_error);
	assert_int_equal(whole.heads, 2);
	assert_false(whole.out[0].ok);
	assert_int_equal(whole.out[0].err.status, 401);
	assert_string_equal(whole.out[0].err.code, "unauthorized");
	assert_string_equal(whole.out[0].err.reason, "Authorization appears more than once");
	assert_true(whole.out[1].ok);
	assert_int_equal(whole.out[1].req.role, TSP_ROLE_READ);
	frame_every_split(stream, sizeof stream - 1, NULL, RV_CLIENT, &whole, "repeated credentials");
}

/* ---- the group ---- */

static const struct CMUnitTest unit_tests[] = {
	cmocka_unit_test(test_session_backup),
	cmocka_unit_test(test_session_shapes),
	cmocka_unit_test(test_session_keys_differ),
	cmocka_unit_test(test_session_init_prune),
	cmocka_unit_test(test_session_copy),
	cmocka_unit_test(test_session_key),
	cmocka_unit_test(test_client_copy),
	cmocka_unit_test(test_segment_every_byte),
	cmocka_unit_test(test_segment_counts),
	cmocka_unit_test(test_repository_lengths),
	cmocka_unit_test(test_method_matrix),
	cmocka_unit_test(test_body_lengths),
	cmocka_unit_test(test_request_cleared),
	cmocka_unit_test(test_options_null),
	cmocka_unit_test(test_profile_find),
	cmocka_unit_test(test_profile_tsp_classify),
	cmocka_unit_test(test_profile_restic_classify),
	cmocka_unit_test(test_repeated_credentials_framed),
	/* Last: under ASan an overflow there ends the run. */
	cmocka_unit_test(test_session_key_long_inputs),
};

static int release_guard(void **state)
{
	(void)state;
	guard_release(&slice_guard);
	return 0;
}

#define UNIT_COUNT (sizeof unit_tests / sizeof unit_tests[0])

int main(void)
{
	static struct CMUnitTest tests[RESTIC_VECTOR_COUNT + UNIT_COUNT];

	for (size_t i = 0; i < RESTIC_VECTOR_COUNT; i++) {
		tests[i] = (struct CMUnitTest){ .name = restic_vectors[i].name,
						.test_func = test_vector,
						.initial_state = (void *)&restic_vectors[i] };
	}
	for (size_t i = 0; i < UNIT_COUNT; i++)
		tests[RESTIC_VECTOR_COUNT + i] = unit_tests[i];
	return cmocka_run_group_tests_name("restic", tests, NULL, release_guard);
}
