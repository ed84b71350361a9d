/*
 * proxy/admin/textbuf.h: a growing text buffer with a hard bound, for the admin
 * endpoint's answers (a status document grows with the draining set). Every
 * append either fits or marks the buffer as overflowed; the caller checks
 * once at the end. No I/O.
 */
#ifndef SLUICE_TEXTBUF_H
#define SLUICE_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct textbuf {
	char *data; /* NUL-terminated while not failed; NULL until the first append */
	size_t len;
	size_t size;  /* allocated */
	size_t limit; /* the most it may hold, NUL included */
	bool failed;  /* over the limit, or out of memory: the text is incomplete */
};

void textbuf_init(struct textbuf *t, size_t limit);
void textbuf_free(struct textbuf *t);
void textbuf_printf(struct textbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void textbuf_append(struct textbuf *t, const char *s, size_t len);
/* A JSON string literal, quotes included: ", \ and control bytes escaped
 * (other bytes are copied: the configuration and TSP ids are UTF-8 or ASCII). */
void textbuf_json_string(struct textbuf *t, const char *s);
/* A Prometheus label value's contents: \, " and newline escaped. */
void textbuf_label_value(struct textbuf *t, const char *s);
/* A JSON string of an RFC 3339 UTC time ("2026-11-24T10:00:00Z"). */
void textbuf_json_time(struct textbuf *t, time_t when);

#endif
