/*
 * proxy/conn/respond.c: the proxy's own answers (see respond.h).
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "json.h"
#include "conn/respond.h"
#include "tsp.h"

/* Appends with snprintf semantics; remembers an overflow. */
struct text {
	char *buf;
	size_t size, len;
	bool overflow;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->size - t->len)
		t->overflow = true;
	else
		t->len += (size_t)n;
}

/* A JSON string's contents (protocol/json.h's escaping). */
static void put_json(struct text *t, const char *s)
{
	for (; *s != '\0' && !t->overflow; s++) {
		char esc[JSON_ESCAPE_MAX];
		size_t n = json_escape_byte((unsigned char)*s, esc);

		if (n == 0)
			put(t, "%c", *s);
		else
			put(t, "%.*s", (int)n, esc);
	}
}

/* A reason phrase (RFC 9110: HTAB, SP, VCHAR, obs-text): other bytes become spaces. */
static void put_reason(struct text *t, const char *s)
{
	for (; *s != '\0' && !t->overflow; s++) {
		unsigned char b = (unsigned char)*s;

		put(t, "%c", (b < 0x20 && b != '\t') || b == 0x7f ? ' ' : *s);
	}
}

size_t respond_planned_header(char *out, size_t size, int64_t start, int64_t end)
{
	char a[32], b[32];
	time_t ta = (time_t)start, tb = (time_t)end;
	struct tm tm;
	int n;

	gmtime_r(&ta, &tm);
	strftime(a, sizeof a, "%Y-%m-%dT%H:%M:%SZ", &tm);
	gmtime_r(&tb, &tm);
	strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(out, size, "Tsp-Maintenance-Planned: %s/%s\r\n", a, b);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static void put_planned(struct text *t, int64_t start, int64_t end)
{
	char line[96];

	if (respond_planned_header(line, sizeof line, start, end) > 0)
		put(t, "%s", line);
}

static void put_head(struct text *t, unsigned status, size_t body_len, const struct respond_extra *extra,
		     const char *message)
{
	if (extra != NULL && extra->reason_is_message) {
		put(t, "HTTP/1.1 %u ", status);
		put_reason(t, message);
		put(t, "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n", body_len);
	} else {
		put(t, "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n", status,
		    http_status_text(status), body_len);
	}
	if (extra == NULL)
		return;
	if (extra->retry_after > 0)
		put(t, "Retry-After: %u\r\n", extra->retry_after);
	if (extra->maintenance != NULL)
		put(t, "Tsp-Maintenance: %s\r\n", extra->maintenance);
	if (extra->planned_end > 0)
		put_planned(t, extra->planned_start, extra->planned_end);
	if (extra->allow != NULL)
		put(t, "Allow: %s\r\n", extra->allow);
	if (extra->www_authenticate)
		put(t, "WWW-Authenticate: Basic realm=\"tsp\"\r\n");
	if (extra->close)
		put(t, "Connection: close\r\n");
}

size_t respond_error(char *out, size_t size, unsigned status, const char *code, const char *message,
		     const struct respond_extra *extra)
{
	char body[RESPOND_MAX];
	size_t body_len;
	struct text t = { out, size, 0, false };

	if (extra != NULL && extra->reason_is_message)
		body_len = (size_t)snprintf(body, sizeof body, "%s\n", message);
	else
		body_len = tsp_error_body(body, sizeof body, code, message);
	if (body_len >= sizeof body)
		return 0;
	put_head(&t, status, body_len, extra, message);
	put(&t, "\r\n%s", body);
	return t.overflow ? 0 : t.len;
}

size_t respond_hello_notice(char *out, size_t size, const char *tenant, const char *mode, time_t since,
			    const char *message, const struct respond_extra *extra)
{
	char body_buf[RESPOND_MAX], stamp[32];
	struct text body = { body_buf, sizeof body_buf, 0, false };
	struct text t = { out, size, 0, false };
	struct tm tm;

	gmtime_r(&since, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	put(&body, "{\"protocol\":\"TSP/1\",\"server\":\"sluice\",\"tenant\":\"");
	put_json(&body, tenant);
	put(&body, "\",\"maintenance\":{\"mode\":\"%s\",\"since\":\"%s\",\"message\":\"", mode, stamp);
	put_json(&body, message);
	put(&body, "\"}}");
	if (body.overflow)
		return 0;
	put_head(&t, 200, body.len, extra, NULL);
	put(&t, "\r\n%s", body_buf);
	return t.overflow ? 0 : t.len;
}
