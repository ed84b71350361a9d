/* tests/unit/restic_fixture.c: see restic_fixture.h. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "restic_fixture.h"

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

const struct profile_options *options_of(enum rv_options o)
{
	return o == RV_NULL ? NULL : &options_table[o];
}

/* ---- outcomes ---- */

void classify_into(const struct http_head *head, const struct profile_options *options, const char *client,
		   struct outcome *o)
{
	memset(o, 0, sizeof *o);
	o->ok = restic_classify(options, head, client, &o->req, &o->err);
}

int str_cmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b);
}

/* NULL when a and b are the same outcome, else the first field that differs. */
const char *outcome_diff(const struct outcome *a, const struct outcome *b)
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

void assert_same(const struct outcome *a, const struct outcome *b, const char *what)
{
	const char *diff = outcome_diff(a, b);

	if (diff != NULL)
		fail_msg("%s: %s differs", what, diff);
}

bool is_hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

const char *code_of(unsigned status)
{
	switch (status) {
	case 400:
		return "bad-request";
	case 401:
		return "unauthorized";
	case 403:
		return "forbidden";
	case 404:
		return "not-found";
	case 405:
		return "method-not-allowed";
	case 413:
		return "object-too-large";
	default:
		return "?";
	}
}

/* The fields that only TSP/1 sets stay empty under the restic profile. */
void assert_no_tsp_fields(const struct tsp_request *req)
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
void assert_job(const struct tsp_request *req, const char *repository, const char *client)
{
	char key[TSP_ID_MAX + 1];

	memset(key, '#', sizeof key);
	restic_session_key(repository, client, key);
	assert_true(is_hex64(key));
	assert_true(is_hex64(req->job));
	assert_string_equal(req->job, key);
}

void check_outcome(const struct restic_vector *v, const struct outcome *o, const char *client)
{
	if (v->status == 0) {
		const struct tsp_request *req = &o->req;

		if (!o->ok)
			fail_msg("%s: refused %u %s (%s)", v->name, o->err.status, o->err.code,
				 o->err.reason);
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

/* ---- heads built by hand (for what the framer refuses itself) ---- */

/* A row's head ("METHOD target HTTP/1.x\nName: value\n..."), framed as the
 * framer would: Content-Length or Transfer-Encoding: chunked give the body. */
void build_head(struct test_head *t, const char *text)
{
	char *line = t->text, *next;

	memset(t, 0, sizeof *t);
	assert_true(strlen(text) < sizeof t->text);
	strcpy(t->text, text);
	next = strchr(line, '\n');
	assert_non_null(next);
	*next++ = '\0';
	split_request_line(&t->head, line);
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

/* Classify a head given as text (build_head), for client RV_CLIENT. */
void classify_text(const char *text, const struct profile_options *options, struct outcome *o)
{
	static struct test_head t;

	build_head(&t, text);
	classify_into(&t.head, options, RV_CLIENT, o);
}
