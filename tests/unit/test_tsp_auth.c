/*
 * tests/unit/test_tsp_auth.c: "Authorization: Basic ..." decoded by
 * protocol/tsp_auth.c against PROTOCOL.md section 2: valid credentials,
 * length edges, malformed values, and no read past a value placed against a
 * guard page.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "head_fixture.h"
#include "http.h"
#include "tsp.h"

/* ---- Basic credentials ---- */

static void base64(const char *in, size_t len, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)in;

	for (size_t i = 0; i < len; i += 3, out += 4) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < len ? p[i + 2] : 0);

		out[0] = abc[v >> 18 & 63];
		out[1] = abc[v >> 12 & 63];
		out[2] = i + 1 < len ? abc[v >> 6 & 63] : '=';
		out[3] = i + 2 < len ? abc[v & 63] : '=';
	}
	*out = '\0';
}

/* "Basic " + base64(credentials[0..len)) through tsp_parse_basic_auth. */
static bool auth_of(const char *credentials, size_t len, char *tenant, char *secret)
{
	char value[512] = "Basic ";

	assert_true(len < 300);
	base64(credentials, len, value + 6);
	return tsp_parse_basic_auth(str_of(value), tenant, secret);
}

static void test_auth_valid(void **state)
{
	char tenant[TSP_TENANT_MAX + 1], secret[TSP_SECRET_MAX + 1];

	(void)state;
	assert_true(tsp_parse_basic_auth(str_of("Basic YWNtZTpzM2NyZXQ="), tenant, secret));
	assert_string_equal(tenant, "acme");
	assert_string_equal(secret, "s3cret");
	assert_true(tsp_parse_basic_auth(str_of("bAsIc YWNtZTpzM2NyZXQ="), tenant, secret));
	/* The secret keeps every colon after the first. */
	assert_true(auth_of("a:b:c:", 6, tenant, secret));
	assert_string_equal(tenant, "a");
	assert_string_equal(secret, "b:c:");
	/* Padding of every length: 0, 1 and 2 "=". */
	assert_true(auth_of("ab:cde", 6, tenant, secret));
	assert_true(auth_of("ab:cdef", 7, tenant, secret));
	assert_true(auth_of("ab:cdefg", 8, tenant, secret));
	assert_string_equal(secret, "cdefg");
	/* Bytes above 0x7f are allowed in a secret (UTF-8). */
	assert_true(auth_of("acme:p\xc3\xa4ss", 10, tenant, secret));
}

static void test_auth_length_edges(void **state)
{
	char cred[TSP_TENANT_MAX + TSP_SECRET_MAX + 8];
	char tenant[TSP_TENANT_MAX + 1], secret[TSP_SECRET_MAX + 1];

	(void)state;
	memset(cred, 'n', TSP_TENANT_MAX);
	cred[TSP_TENANT_MAX] = ':';
	memset(cred + TSP_TENANT_MAX + 1, 's', TSP_SECRET_MAX + 1);
	assert_true(auth_of(cred, TSP_TENANT_MAX + 1 + TSP_SECRET_MAX, tenant, secret));
	assert_int_equal(strlen(tenant), TSP_TENANT_MAX);
	assert_int_equal(strlen(secret), TSP_SECRET_MAX);
	/* Secret of 129 bytes. */
	assert_false(auth_of(cred, TSP_TENANT_MAX + 1 + TSP_SECRET_MAX + 1, tenant, secret));
	/* Tenant of 65 bytes. */
	memset(cred, 'n', TSP_TENANT_MAX + 1);
	cred[TSP_TENANT_MAX + 1] = ':';
	assert_false(auth_of(cred, TSP_TENANT_MAX + 1 + 1 + 4, tenant, secret));
}

static void test_auth_malformed(void **state)
{
	static const char *const values[] = {
		"",
		"Basic",
		"Basic ",
		"Basic  YWNtZTpzM2NyZXQ=",    /* two spaces */
		"Basic YWNtZTpzM2NyZXQ= ",    /* trailing space */
		"Basic YWNtZTpzM2NyZXQ",      /* padding missing */
		"Basic YWNtZTpzM2NyZXQ==",    /* padding too long */
		"Basic YWNtZTpzM2NyZXR=",     /* unused bits set: not canonical */
		"Basic YWNtZTpz=2NyZXQ=",     /* padding inside */
		"Basic YWNtZTpzM2Ny\nZXQ=",   /* line break */
		"Basic YWNtZTpzM2NyZXQ=YWNt", /* data after padding */
		"Basic YWNtZS1zM2NyZXQ=",     /* "acme-s3cret": no colon */
		"Basic OnMzY3JldA==",         /* ":s3cret": empty tenant */
		"Basic YWNtZTo=",             /* "acme:": empty secret */
		"Basic YWMhZTpzM2NyZXQ=",     /* "ac!e:s3cret": bad tenant name */
		"Basic Li46czNjcmV0",         /* "..:s3cret" */
		"Basic YWNtZTpzM2NyZXQJ",     /* "acme:s3cret\t": control in the secret */
		"Basic YWNtZTpzM2NyZXQA",     /* NUL in the secret */
		"Basic YWNtZTpzM2Ny_XQ=",     /* base64url alphabet */
		"Bearer YWNtZTpzM2NyZXQ=",
		"Digest username=\"acme\"",
		"BasicYWNtZTpzM2NyZXQ=",
	};
	char tenant[TSP_TENANT_MAX + 1], secret[TSP_SECRET_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		if (tsp_parse_basic_auth(str_of(values[i]), tenant, secret))
			fail_msg("accepted \"%s\"", values[i]);
	}
	assert_false(tsp_parse_basic_auth((struct http_str){ NULL, 0 }, tenant, secret));
}

/* ---- no read past the value ---- */

static void test_auth_guarded(void **state)
{
	static const char *const values[] = { "Basic YWNtZTpzM2NyZXQ=", "Basic YWNtZTpzM2NyZXQ", "Basic",
					      "Basic YWNtZTpzM2NyZXR=", "Basic YWNtZTo=" };
	char tenant[TSP_TENANT_MAX + 1], secret[TSP_SECRET_MAX + 1];
	struct guard g = GUARD_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		size_t len = strlen(values[i]);
		const char *p = guard_place(&g, values[i], len);

		assert_non_null(p);
		assert_int_equal(tsp_parse_basic_auth((struct http_str){ p, len }, tenant, secret), i == 0);
		for (size_t cut = 0; cut < len; cut++) {
			p = guard_place(&g, values[i], cut);
			assert_non_null(p);
			(void)tsp_parse_basic_auth((struct http_str){ p, cut }, tenant, secret);
		}
	}
	guard_release(&g);
}

/* ---- the group ---- */

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_valid),
		cmocka_unit_test(test_auth_length_edges),
		cmocka_unit_test(test_auth_malformed),
		cmocka_unit_test(test_auth_guarded),
	};

	return cmocka_run_group_tests_name("tsp_auth", tests, NULL, NULL);
}
