/*
 * tests/unit/test_respond.c: the proxy's own answers (proxy/conn/respond.c): the
 * one error shape, the headers each kind carries, JSON escaping, and that
 * every answer is a valid HTTP/1.1 response (the project's strict framer
 * reads it back with the right status and body length).
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"
#include "conn/respond.h"

/* Frame text as a response; returns the status and copies the body. */
static unsigned frame(const char *text, size_t len, char *body, size_t body_size)
{
	struct http_framer *f = http_framer_new(HTTP_KIND_RESPONSE, NULL);
	struct http_event ev;
	unsigned status = 0;
	size_t used = 0, n;
	bool ended = false;

	assert_non_null(f);
	body[0] = '\0';
	for (;;) {
		n = http_framer_feed(f, text, len, &ev);
		text += n;
		len -= n;
		assert_int_not_equal(ev.type, HTTP_EV_ERROR);
		if (ev.type == HTTP_EV_NONE)
			break;
		if (ev.type == HTTP_EV_HEAD)
			status = http_framer_head(f)->status;
		if (ev.type == HTTP_EV_BODY) {
			assert_true(used + ev.len < body_size);
			memcpy(body + used, ev.data, ev.len);
			used += ev.len;
			body[used] = '\0';
		}
		if (ev.type == HTTP_EV_END)
			ended = true;
	}
	assert_true(ended);
	assert_int_equal(len, 0); /* nothing after the answer */
	http_framer_free(f);
	return status;
}

static void test_plain_error_exact(void **state)
{
	static const char want[] = "HTTP/1.1 404 Not Found\r\n"
				   "Content-Type: application/json\r\n"
				   "Content-Length: 50\r\n"
				   "\r\n"
				   "{\"error\":\"not-found\",\"message\":\"not a TSP/1 path\"}";
	char out[RESPOND_MAX];
	size_t len = respond_error(out, sizeof out, 404, "not-found", "not a TSP/1 path", NULL);

	(void)state;
	assert_int_equal(len, sizeof want - 1);
	assert_memory_equal(out, want, len);
}

static void test_maintenance_headers(void **state)
{
	struct respond_extra extra = { .maintenance = "drain", .retry_after = 1800 };
	char out[RESPOND_MAX], body[RESPOND_MAX];
	size_t len = respond_error(out, sizeof out, 503, "maintenance",
				   "Service provider is currently undergoing scheduled maintenance.", &extra);

	(void)state;
	assert_true(len > 0);
	out[len] = '\0';
	assert_non_null(strstr(out, "\r\nRetry-After: 1800\r\n"));
	assert_non_null(strstr(out, "\r\nTsp-Maintenance: drain\r\n"));
	assert_null(strstr(out, "Connection:"));
	assert_int_equal(frame(out, len, body, sizeof body), 503);
	assert_string_equal(body, "{\"error\":\"maintenance\",\"message\":\"Service provider is "
				  "currently undergoing scheduled maintenance.\"}");
}

static void test_close_auth_allow(void **state)
{
	struct respond_extra unauthorized = { .www_authenticate = true };
	struct respond_extra wrong_method = { .allow = "PUT" };
	struct respond_extra closing = { .close = true };
	char out[RESPOND_MAX], body[RESPOND_MAX];
	size_t len;

	(void)state;
	len = respond_error(out, sizeof out, 401, "unauthorized", "no credentials", &unauthorized);
	out[len] = '\0';
	assert_non_null(strstr(out, "\r\nWWW-Authenticate: Basic realm=\"tsp\"\r\n"));
	assert_int_equal(frame(out, len, body, sizeof body), 401);

	len = respond_error(out, sizeof out, 405, "method-not-allowed", "wrong method", &wrong_method);
	out[len] = '\0';
	assert_non_null(strstr(out, "\r\nAllow: PUT\r\n"));
	assert_int_equal(frame(out, len, body, sizeof body), 405);

	len = respond_error(out, sizeof out, 400, "bad-request", "broken", &closing);
	out[len] = '\0';
	assert_non_null(strstr(out, "\r\nConnection: close\r\n"));
	assert_int_equal(frame(out, len, body, sizeof body), 400);
}

static void test_message_escaped(void **state)
{
	char out[RESPOND_MAX], body[RESPOND_MAX];
	size_t len = respond_error(out, sizeof out, 503, "maintenance", "say \"hi\" \\ now", NULL);

	(void)state;
	assert_int_equal(frame(out, len, body, sizeof body), 503);
	assert_string_equal(body, "{\"error\":\"maintenance\",\"message\":\"say \\\"hi\\\" \\\\ now\"}");
}

static void test_hello_notice(void **state)
{
	struct respond_extra extra = { .maintenance = "block" };
	char out[RESPOND_MAX], body[RESPOND_MAX];
	size_t len =
		respond_hello_notice(out, sizeof out, "acme", "block", 1795483800, "Disk \"B\" swap", &extra);

	(void)state;
	assert_true(len > 0);
	assert_int_equal(frame(out, len, body, sizeof body), 200);
	assert_string_equal(body, "{\"protocol\":\"TSP/1\",\"server\":\"sluice\",\"tenant\":\"acme\","
				  "\"maintenance\":{\"mode\":\"block\",\"since\":\"2026-11-24T01:30:00Z\","
				  "\"message\":\"Disk \\\"B\\\" swap\"}}");
	out[len] = '\0';
	assert_non_null(strstr(out, "\r\nTsp-Maintenance: block\r\n"));
}

static void test_too_small_is_refused(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(respond_error(out, sizeof out, 503, "maintenance",
				       "a message that does not fit in sixty-four bytes at all", NULL),
			 0);
	assert_int_equal(respond_hello_notice(out, sizeof out, "acme", "drain", 0, "m", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_error_exact), cmocka_unit_test(test_maintenance_headers),
		cmocka_unit_test(test_close_auth_allow),  cmocka_unit_test(test_message_escaped),
		cmocka_unit_test(test_hello_notice),      cmocka_unit_test(test_too_small_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
