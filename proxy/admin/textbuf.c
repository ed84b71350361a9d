/*
 * proxy/admin/textbuf.c: the admin endpoint's bounded text buffer (see textbuf.h).
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "admin/textbuf.h"

#define TEXTBUF_FIRST 4096

void textbuf_init(struct textbuf *t, size_t limit)
{
	memset(t, 0, sizeof *t);
	t->limit = limit;
}

void textbuf_free(struct textbuf *t)
{
	free(t->data);
	memset(t, 0, sizeof *t);
}

/* Room for need more bytes and the NUL; false (and failed) when it cannot be. */
static bool reserve(struct textbuf *t, size_t need)
{
	size_t want, size;
	char *data;

	if (t->failed)
		return false;
	if (need >= t->limit - t->len) {
		t->failed = true;
		return false;
	}
	want = t->len + need + 1;
	if (want <= t->size)
		return true;
	size = t->size > 0 ? t->size : TEXTBUF_FIRST;
	while (size < want)
		size *= 2;
	if (size > t->limit)
		size = t->limit;
	data = realloc(t->data, size);
	if (data == NULL) {
		t->failed = true;
		return false;
	}
	t->data = data;
	t->size = size;
	return true;
}

void textbuf_append(struct textbuf *t, const char *s, size_t len)
{
	if (!reserve(t, len))
		return;
	memcpy(t->data + t->len, s, len);
	t->len += len;
	t->data[t->len] = '\0';
}

void textbuf_printf(struct textbuf *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = true;
		return;
	}
	if (!reserve(t, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(t->data + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void textbuf_json_string(struct textbuf *t, const char *s)
{
	const char *run = s;

	textbuf_append(t, "\"", 1);
	for (; *s != '\0'; s++) {
		char esc[JSON_ESCAPE_MAX];
		size_t n = json_escape_byte((unsigned char)*s, esc);

		if (n == 0)
			continue;
		textbuf_append(t, run, (size_t)(s - run));
		textbuf_append(t, esc, n);
		run = s + 1;
	}
	textbuf_append(t, run, (size_t)(s - run));
	textbuf_append(t, "\"", 1);
}

void textbuf_label_value(struct textbuf *t, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		if (*s != '\\' && *s != '"' && *s != '\n')
			continue;
		textbuf_append(t, run, (size_t)(s - run));
		textbuf_append(t, *s == '\n' ? "\\n" : *s == '"' ? "\\\"" : "\\\\", 2);
		run = s + 1;
	}
	textbuf_append(t, run, (size_t)(s - run));
}

void textbuf_json_time(struct textbuf *t, time_t when)
{
	char stamp[40];
	struct tm tm;

	if (gmtime_r(&when, &tm) == NULL || strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		textbuf_append(t, "null", 4);
		return;
	}
	textbuf_printf(t, "\"%s\"", stamp);
}
