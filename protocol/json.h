/*
 * protocol/json.h: reading JSON answers (the repository's TSP/1 answers, the
 * admin endpoint's status)
 *
 * No tree is built: values are spans of the original text, found by a path
 * of member names ("maintenance.draining.tasks") or by iterating over an
 * array or object. Every value is checked to be well-formed JSON before it
 * is handed out (strings, numbers, literals, nesting up to JSON_DEPTH_MAX),
 * so a truncated or garbled answer is reported, never misread. Pure; never
 * allocates.
 */
#ifndef SLUICE_JSON_H
#define SLUICE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 32

/* One JSON value inside a larger text (or the whole text). */
struct json_span {
	const char *ptr;
	size_t len;
};

/* Whether text is exactly one well-formed value (white space around it
 * allowed). */
bool json_valid(struct json_span text);

/* The value at path in doc: member names separated by '.', each looked up
 * in the object the previous one named. "" is doc itself. False when a
 * member is absent, a step is not an object, or the text is broken. */
bool json_get(struct json_span doc, const char *path, struct json_span *out);

/* A string value unescaped into out (UTF-8), cut on a character boundary to
 * fit size - 1 bytes. False when value is not a string. */
bool json_string(struct json_span value, char *out, size_t size);

/* A non-negative integer value (no fraction, no exponent). */
bool json_uint(struct json_span value, uint64_t *out);

bool json_is_null(struct json_span value);
bool json_bool(struct json_span value, bool *out);

/* Shortcuts: json_get() then read. */
bool json_get_string(struct json_span doc, const char *path, char *out, size_t size);
bool json_get_uint(struct json_span doc, const char *path, uint64_t *out);
bool json_get_bool(struct json_span doc, const char *path, bool *out);

/* Walks the elements of an array or the members of an object:
 *
 *     struct json_iter it;
 *     struct json_span key, value;
 *     if (json_iter_start(container, &it))
 *         while (json_iter_next(&it, &key, &value))
 *             ...;
 *
 * key is the member name with its quotes (read it with json_string()); for
 * arrays it is empty. it.failed tells a broken text from the end. */
struct json_iter {
	const char *p, *end;
	bool object;
	bool first;
	bool failed;
};

bool json_iter_start(struct json_span container, struct json_iter *it);
bool json_iter_next(struct json_iter *it, struct json_span *key, struct json_span *value);

/* Writing. Every JSON string sluice writes (error bodies, the admin
 * endpoint, the tools' reports) escapes the same bytes: " and \, \n \r \t
 * in their short forms, the other control bytes and DEL as \u00XX. Bytes from
 * 0x80 up go as they are (UTF-8 is passed through, not checked). */
#define JSON_ESCAPE_MAX 6
/* 0 when byte c goes into a JSON string as itself; otherwise the length of
 * its escape sequence, written to esc (not NUL-terminated). */
size_t json_escape_byte(unsigned char c, char esc[JSON_ESCAPE_MAX]);
/* s as a JSON string (quotes added), or null when s is NULL. */
void json_write_string(FILE *out, const char *s);

#endif
