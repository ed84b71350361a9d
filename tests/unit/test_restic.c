/*
 * tests/unit/test_restic.c: the restic REST classifier (protocol/restic.c)
 * and the profile table (protocol/profile.c) against the restic profile's
 * contract and the requests restic 0.14 sends (protocol/RESTIC.md section 4).
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
#include "restic_vectors.h" /* first: the table, then the fixture's types */
#include "restic_fixture.h"
#include "tsp.h"

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

static void assert_same_framing(const struct framed *a, const struct framed *b, const char *what, size_t cut)
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
		struct http_str saved = *strs[i], saved_host = t->head.host,
				saved_auth = t->head.authorization;
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
	{ TSP_ROLE_READ, "", true, false, 0 },  /* HEAD config */
	{ TSP_ROLE_READ, "", false, false, 0 }, /* GET keys/ */
	{ TSP_ROLE_READ, "", false, false, 0 }, /* GET keys/<id> */
	{ TSP_ROLE_READ, "", true, false, 0 },  /* GET config */
	{ TSP_ROLE_READ, "", false, false, 0 }, /* GET locks/ */
	{ TSP_ROLE_LOCK_CREATE, RV_LOCK, false, false, 16 },
	{ TSP_ROLE_READ, "", false, false, 0 },               /* GET locks/ */
	{ TSP_ROLE_READ, "", false, false, 0 },               /* GET snapshots/ */
	{ TSP_ROLE_READ, "", false, false, 0 },               /* GET index/ */
	{ TSP_ROLE_WRITE, "", false, false, 20 },             /* POST data/ */
	{ TSP_ROLE_WRITE, "", false, false, 20 },             /* POST data/ */
	{ TSP_ROLE_WRITE, "", false, false, 8 },              /* POST index/ */
	{ TSP_ROLE_LOCK_CREATE, RV_LOCK2, false, false, 16 }, /* refresh: the new lock */
	{ TSP_ROLE_LOCK_DELETE, RV_LOCK, false, false, 0 },   /* then the old one goes */
	{ TSP_ROLE_WRITE, "", false, true, 8 },               /* POST snapshots/ */
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
	frame_whole(backup_stream_nested, sizeof backup_stream_nested - 1, options_of(RV_COPY), RV_CLIENT6,
		    &r);
	check_backup(&r, RV_NESTED, RV_CLIENT6, TSP_CAT_BACKUP);
	frame_whole(backup_stream_root, sizeof backup_stream_root - 1, options_of(RV_DEFAULT), RV_CLIENT, &r);
	check_backup(&r, "/", RV_CLIENT, TSP_CAT_BACKUP);
	frame_whole(backup_stream_offsite, sizeof backup_stream_offsite - 1, options_of(RV_COPY), RV_CLIENT,
		    &r);
	check_backup(&r, RV_OFFSITE, RV_CLIENT, TSP_CAT_BACKUP_COPY);
	frame_every_split(backup_stream_offsite, sizeof backup_stream_offsite - 1, options_of(RV_COPY),
			  RV_CLIENT, &r, "backup to a copy target");
	/* The same repository without the glob: a plain backup, same session key. */
	{
		static struct framed plain;

		frame_whole(backup_stream_offsite, sizeof backup_stream_offsite - 1, NULL, RV_CLIENT, &plain);
		check_backup(&plain, RV_OFFSITE, RV_CLIENT, TSP_CAT_BACKUP);
		assert_string_equal(plain.out[0].req.job, r.out[0].req.job);
	}
	/* private_repos on: acme's own repositories pass; the root is another user's. */
	frame_whole(backup_stream, sizeof backup_stream - 1, options_of(RV_PRIVATE), RV_CLIENT, &r);
	check_backup(&r, RV_REPO, RV_CLIENT, TSP_CAT_BACKUP);
	frame_whole(backup_stream_root, sizeof backup_stream_root - 1, options_of(RV_PRIVATE), RV_CLIENT, &r);
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
		{ TSP_ROLE_READ, true, 0 },         { TSP_ROLE_WRITE, false, 0 },
		{ TSP_ROLE_WRITE, false, 4 },       { TSP_ROLE_WRITE, false, 6 },
		{ TSP_ROLE_LOCK_CREATE, false, 4 }, { TSP_ROLE_WRITE, false, 0 },
		{ TSP_ROLE_READ, false, 0 },        { TSP_ROLE_WRITE, false, 4 },
		{ TSP_ROLE_WRITE, false, 0 },       { TSP_ROLE_WRITE, false, 0 },
		{ TSP_ROLE_LOCK_DELETE, false, 0 },
	};
	static struct framed r;

	(void)state;
	frame_whole(stream, sizeof stream - 1, options_of(RV_PRIVATE), RV_CLIENT, &r);
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
		assert_string_equal(r.out[k].req.task, want[k].role == TSP_ROLE_LOCK_CREATE ||
								       want[k].role == TSP_ROLE_LOCK_DELETE
							       ? RV_LOCK
							       : "");
	}
	frame_every_split(stream, sizeof stream - 1, options_of(RV_PRIVATE), RV_CLIENT, &r, "init, prune");
}

/* restic copy main -> offsite: one process, two repositories, two sessions. */
static void test_session_copy(void **state)
{
	static const char stream[] = RV_S_POST(RV_REPO "/locks/" RV_LOCK, 4, "lock")
		RV_S_POST(RV_OFFSITE "/locks/" RV_LOCK2, 4, "lock") RV_S_GET(RV_REPO "/data/" RV_DATA)
			RV_S_POST(RV_OFFSITE "/data/" RV_DATA, 4, "pack")
				RV_S_POST(RV_OFFSITE "/snapshots/" RV_SNAP, 4, "snap")
					RV_S_DELETE(RV_OFFSITE "/locks/" RV_LOCK2)
						RV_S_DELETE(RV_REPO "/locks/" RV_LOCK);
	static struct framed r;
	const struct tsp_request *req = NULL;

	(void)state;
	frame_whole(stream, sizeof stream - 1, options_of(RV_COPY), RV_CLIENT, &r);
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
	frame_every_split(stream, sizeof stream - 1, options_of(RV_COPY), RV_CLIENT, &r, "copy");
}

/* Two Authorization headers pass the framer (they do not touch framing) and
 * are the classifier's 401, with its reason; the next request follows. */
static void test_repeated_credentials_framed(void **state)
{
	static const char stream[] =
		"POST " RV_REPO "/locks/" RV_LOCK " HTTP/1.1\r\nHost: h\r\n"
		"Authorization: Basic YWNtZTpzM2NyZXQ=\r\nAuthorization: Basic YWNtZTpzM2NyZXQ=\r\n"
		"Content-Length:\t4\t\r\n\r\nlock"
		"HEAD " RV_REPO
		"/config HTTP/1.1\r\nHost: h\r\nAuthorization: Basic YWNtZTpzM2NyZXQ=\r\n\r\n";
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
		got.ok = profile_find("restic")->classify(options_of(v->options), &t.head, RV_CLIENT6,
							  &got.req, &got.err);
		assert_same(&want, &got, v->name);
	}
	{
		struct outcome o;

		classify_text("GET /tsp/1/session HTTP/1.1\n" RV_HOST RV_AUTH, NULL, &o);
		assert_false(o.ok);
		assert_int_equal(o.err.status, 404);
	}
}

/* ---- the group ---- */

static const struct CMUnitTest unit_tests[] = {
	cmocka_unit_test(test_session_backup),
	cmocka_unit_test(test_session_shapes),
	cmocka_unit_test(test_session_keys_differ),
	cmocka_unit_test(test_session_init_prune),
	cmocka_unit_test(test_session_copy),
	cmocka_unit_test(test_repeated_credentials_framed),
	cmocka_unit_test(test_profile_restic_classify),
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
