/*
 * tools/tenant/json.h: just enough JSON to read TSP/1 answers (the error
 * body, the hello, opens and closes): find a key, read a string or a number.
 * Pure, bounded by the given length, never allocates.
 */
#ifndef SLUICE_TENANT_JSON_H
#define SLUICE_TENANT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The raw text of one JSON value inside a larger text. */
struct json_span {
	const char *ptr;
	size_t len;
};

/* The value of the first member named key, at any depth, in text order
 * (so "message" finds the hello's maintenance.message). Keys are compared
 * as raw bytes. False when absent or when the text is not well formed up to
 * the member. */
bool json_find(struct json_span text, const char *key, struct json_span *value);

/* A string value, unescaped (\uXXXX to UTF-8) into out, cut to size - 1
 * bytes on a character boundary. False when value is not a string. */
bool json_string(struct json_span value, char *out, size_t size);

/* A non-negative integer value. False when value is not one or overflows. */
bool json_uint(struct json_span value, uint64_t *out);

/* Shortcuts: find then read; out is left "" / untouched when absent. */
bool json_find_string(struct json_span text, const char *key, char *out, size_t size);
bool json_find_uint(struct json_span text, const char *key, uint64_t *out);

#endif
