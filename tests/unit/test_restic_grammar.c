/*
 * tests/unit/test_restic_grammar.c: the restic classifier beyond the
 * captured requests: the session key, every byte of a path segment, segment
 * counts, repository lengths, every path against every method, body
 * lengths, a cleared request, no options, and the profile table.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "restic_fixture.h"

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
static void key_with_stack(const char *repository, const char *client, char fill, char key[TSP_ID_MAX + 1])
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
		snprintf(text, sizeof text, "DELETE /acme/main/locks/ab%ccd HTTP/1.1\n" RV_HOST RV_AUTH,
			 (int)c);
		classify_text(text, NULL, &o);
		if (o.ok != id_byte || (!o.ok && o.err.status != 404))
			fail_msg("lock id byte 0x%02x: %s %u", c, o.ok ? "classified" : "refused",
				 o.err.status);
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
		snprintf(text, sizeof text, "POST %s/data/x HTTP/1.1\n" RV_HOST RV_AUTH "Content-Length: 1\n",
			 path);
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
	static const char *const methods[] = { "GET",    "HEAD",    "POST",  "PUT",
					       "DELETE", "OPTIONS", "PATCH", "TRACE" };
	static const struct {
		const char *target;
		int role[8]; /* per method: a role, or -1 for 405 */
		const char *allow;
	} rows[] = {
		{ RV_REPO "/config",
		  { TSP_ROLE_READ, TSP_ROLE_READ, TSP_ROLE_WRITE, -1, TSP_ROLE_WRITE, -1, -1, -1 },
		  RV_ALLOW_FILE },
		{ RV_REPO "/data/" RV_DATA,
		  { TSP_ROLE_READ, TSP_ROLE_READ, TSP_ROLE_WRITE, -1, TSP_ROLE_WRITE, -1, -1, -1 },
		  RV_ALLOW_FILE },
		{ RV_REPO "/keys/" RV_KEY,
		  { TSP_ROLE_READ, TSP_ROLE_READ, TSP_ROLE_WRITE, -1, TSP_ROLE_WRITE, -1, -1, -1 },
		  RV_ALLOW_FILE },
		{ RV_REPO "/index/" RV_INDEX,
		  { TSP_ROLE_READ, TSP_ROLE_READ, TSP_ROLE_WRITE, -1, TSP_ROLE_WRITE, -1, -1, -1 },
		  RV_ALLOW_FILE },
		{ RV_REPO "/snapshots/" RV_SNAP,
		  { TSP_ROLE_READ, TSP_ROLE_READ, TSP_ROLE_WRITE, -1, TSP_ROLE_WRITE, -1, -1, -1 },
		  RV_ALLOW_FILE },
		{ RV_REPO "/locks/" RV_LOCK,
		  { TSP_ROLE_READ, TSP_ROLE_READ, TSP_ROLE_LOCK_CREATE, -1, TSP_ROLE_LOCK_DELETE, -1, -1,
		    -1 },
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

			snprintf(text, sizeof text, "%s %s HTTP/1.1\n" RV_HOST RV_AUTH, methods[m],
				 rows[r].target);
			classify_text(text, options_of(RV_COPY), &o);
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
			assert_int_equal(o.req.category,
					 o.req.role == TSP_ROLE_READ ? TSP_CAT_RESTORE : TSP_CAT_BACKUP);
			assert_int_equal(o.req.opens_repository,
					 m < 2 && strcmp(rows[r].target, RV_REPO "/config") == 0);
			assert_int_equal(o.req.saves_snapshot, m == 2 && strcmp(rows[r].target, RV_REPO
										"/snapshots/" RV_SNAP) == 0);
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
		{ "POST", 0, 0 },
		{ "POST", 1, 0 },
		{ "POST", 4294967294ull, 0 },
		{ "POST", 4294967295ull, 0 },
		{ "POST", 4294967296ull, 413 },
		{ "POST", 4294967297ull, 413 },
		{ "POST", 1ull << 40, 413 },
		{ "POST", 18446744073709551615ull, 413 },
		{ "GET", 0, 0 },
		{ "GET", 1, 400 },
		{ "GET", 4294967296ull, 400 },
		{ "HEAD", 0, 0 },
		{ "HEAD", 1, 400 },
		{ "DELETE", 0, 0 },
		{ "DELETE", 1, 400 },
		{ "DELETE", 4294967296ull, 400 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char text[512];
		struct outcome o;

		snprintf(text, sizeof text,
			 "%s " RV_REPO "/data/" RV_DATA " HTTP/1.1\n" RV_HOST RV_AUTH
			 "Content-Length: %llu\n",
			 rows[i].method, rows[i].length);
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
	assert_true(restic_classify(options_of(RV_COPY), &t.head, RV_CLIENT, &req, &err));
	assert_true(req.saves_snapshot);
	build_head(&t, RV_POST_OF(RV_OFFSITE "/locks/" RV_LOCK, 137));
	assert_true(restic_classify(options_of(RV_COPY), &t.head, RV_CLIENT, &req, &err));
	assert_string_equal(req.task, RV_LOCK);
	build_head(&t, RV_HEAD_OF(RV_REPO "/packs/"));
	assert_false(restic_classify(options_of(RV_COPY), &t.head, RV_CLIENT, &req, &err));
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
		classify_text(heads[i], options_of(RV_DEFAULT), &b);
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
		"POST /tsp/1/backup/jobs/nightly-0142/close HTTP/1.1\r\n" TSP_BASE
		"Tsp-Result: warning\r\n\r\n",
		"GET /tsp/1/session HTTP/1.1\r\nHost: h\r\n\r\n",      /* 401 */
		"GET " RV_REPO "/config HTTP/1.1\r\n" TSP_BASE "\r\n", /* a restic path: 404 */
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
			got.ok = profile_find("tsp")->classify(options_of((enum rv_options)opt),
							       http_framer_head(f),
							       opt % 2 ? NULL : RV_CLIENT, &got.req,
							       &got.err);
			assert_same(&want, &got, requests[i]);
			if (want.ok)
				assert_memory_equal(&want.req, &got.req, sizeof want.req);
		}
		assert_int_equal(want.ok, i < 5);
		http_framer_free(f);
	}
}

/* ---- the group ---- */

int main(void)
{
	const struct CMUnitTest tests[] = {
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
		/* Last: under ASan an overflow there ends the run. */
		cmocka_unit_test(test_session_key_long_inputs),
	};

	return cmocka_run_group_tests_name("restic grammar", tests, NULL, NULL);
}
