/*
 * conf/ini_lines.c: one physical line of an INI file per ini_reader call.
 * See ini_lines.h for why inih is not given the file directly.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ini_lines.h"
#include "conf/value.h"

/* inih strips with isspace(); the same set, minus the newline. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The whole of file into lines->data, growing the buffer up to one byte
 * over the limit (to tell "too large" from "exactly the limit"). */
static bool read_all(struct ini_lines *lines, FILE *file, const char *path, struct config_error *err)
{
	size_t capacity = 0;

	for (;;) {
		if (lines->size == capacity) {
			size_t grown = capacity == 0 ? 16384 : capacity * 2;
			char *data;
			if (grown > CONFIG_FILE_MAX + 1)
				grown = CONFIG_FILE_MAX + 1;
			if (grown == capacity)
				return config_fail(err,
						   "%s: larger than %u bytes, the limit of a configuration file",
						   path, CONFIG_FILE_MAX);
			data = realloc(lines->data, grown);
			if (data == NULL)
				return config_fail(err, "%s: out of memory", path);
			lines->data = data;
			capacity = grown;
		}
		lines->size += fread(lines->data + lines->size, 1, capacity - lines->size, file);
		if (ferror(file))
			return config_fail(err, "%s: cannot read the configuration: %s", path,
					   strerror(errno));
		if (feof(file))
			return true;
	}
}

bool ini_lines_open(struct ini_lines *lines, const char *path, ini_section_check_fn *check_section,
		    struct config_error *err)
{
	FILE *file;
	bool ok;

	memset(lines, 0, sizeof *lines);
	lines->check_section = check_section;
	file = fopen(path, "r");
	if (file == NULL)
		return config_fail(err, "%s: cannot read the configuration: %s", path, strerror(errno));
	ok = read_all(lines, file, path, err);
	fclose(file);
	if (!ok)
		ini_lines_close(lines);
	return ok;
}

void ini_lines_close(struct ini_lines *lines)
{
	free(lines->data);
	free(lines->long_value);
	lines->data = NULL;
	lines->long_value = NULL;
}

static char *fail(struct ini_lines *lines, const char *format, ...) __attribute__((format(printf, 2, 3)));

static char *fail(struct ini_lines *lines, const char *format, ...)
{
	va_list ap;

	lines->failed = true;
	lines->err.line = lines->line;
	va_start(ap, format);
	vsnprintf(lines->err.message, sizeof lines->err.message, format, ap);
	va_end(ap);
	return NULL;
}

/* "[name]" with nothing after it but a comment, and name a known section. */
static bool check_section_line(struct ini_lines *lines, const char *start, size_t len)
{
	const char *close = memchr(start, ']', len);
	const char *rest;

	if (close == NULL) {
		fail(lines, "a section header needs a closing ']': [section]");
		return false;
	}
	for (rest = close + 1; rest < start + len && is_space(*rest); rest++)
		;
	if (rest < start + len && *rest != ';' && *rest != '#') {
		fail(lines, "text after a section header; only a comment (; or #) may follow ']'");
		return false;
	}
	if (!lines->check_section(start + 1, (size_t)(close - start - 1), &lines->err)) {
		lines->failed = true;
		lines->err.line = lines->line;
		return false;
	}
	return true;
}

/* A key line too long for inih's buffer: split it here with inih's rules,
 * keep the value in long_value and hand inih "key=". */
static char *long_line(struct ini_lines *lines, const char *start, size_t len, char *buffer, size_t size)
{
	const char *end = start + len, *sep, *value, *cut;
	size_t name_len;

	if (*start == ';' || *start == '#') {
		buffer[0] = '\n'; /* a comment: inih needs nothing of it */
		buffer[1] = '\0';
		return buffer;
	}
	if (*start == '[') { /* checked already: a known name, then a comment */
		size_t header_len = (size_t)((const char *)memchr(start, ']', len) - start) + 1;
		if (header_len + 2 > size)
			return fail(lines, "section name too long");
		memcpy(buffer, start, header_len);
		memcpy(buffer + header_len, "\n", 2);
		return buffer;
	}
	for (sep = start; sep < end && *sep != '=' && *sep != ':'; sep++) {
		if (*sep == ';' && sep > start && is_space(sep[-1]))
			break;
	}
	if (sep == end || (*sep != '=' && *sep != ':'))
		return fail(lines, "expected key = value, a [section] or a comment");
	for (name_len = (size_t)(sep - start); name_len > 0 && is_space(start[name_len - 1]); name_len--)
		;
	if (name_len + 3 > size)
		return fail(lines, "key name too long; no key is longer than a few words");
	for (value = sep + 1; value < end && is_space(*value); value++)
		;
	for (cut = value; cut < end; cut++) {
		if (*cut == ';' && cut > value && is_space(cut[-1]))
			break;
	}
	while (cut > value && is_space(cut[-1]))
		cut--;
	lines->long_value = malloc((size_t)(cut - value) + 1);
	if (lines->long_value == NULL)
		return fail(lines, "out of memory");
	memcpy(lines->long_value, value, (size_t)(cut - value));
	lines->long_value[cut - value] = '\0';
	memcpy(buffer, start, name_len);
	memcpy(buffer + name_len, "=\n", 3);
	return buffer;
}

char *ini_lines_read(char *buffer, int size, void *stream)
{
	struct ini_lines *lines = stream;
	const char *start, *end, *newline;
	size_t len;

	free(lines->long_value);
	lines->long_value = NULL;
	if (lines->failed || lines->pos >= lines->size || size < 4)
		return NULL;
	start = lines->data + lines->pos;
	newline = memchr(start, '\n', lines->size - lines->pos);
	end = newline != NULL ? newline : lines->data + lines->size;
	lines->pos = (size_t)(end - lines->data) + (newline != NULL);
	lines->line++;
	if (end - start > CONFIG_LINE_MAX)
		return fail(lines, "line longer than %d bytes; shorten it", CONFIG_LINE_MAX);
	if (memchr(start, '\0', (size_t)(end - start)) != NULL)
		return fail(lines, "NUL byte in the line; a configuration file is text");
	if (lines->line == 1 && end - start >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0)
		start += 3; /* UTF-8 byte order mark */
	while (start < end && is_space(*start))
		start++;
	while (end > start && is_space(end[-1]))
		end--;
	len = (size_t)(end - start);
	if (len > 0 && *start == '[' && !check_section_line(lines, start, len))
		return NULL;
	if (len + 2 > (size_t)size)
		return long_line(lines, start, len, buffer, (size_t)size);
	memcpy(buffer, start, len);
	buffer[len] = '\n';
	buffer[len + 1] = '\0';
	return buffer;
}

const char *ini_lines_find(const struct ini_lines *lines, unsigned line, size_t *len)
{
	const char *p = lines->data, *end = lines->data + lines->size, *newline;

	for (unsigned n = 1; p < end; n++) {
		newline = memchr(p, '\n', (size_t)(end - p));
		if (newline == NULL)
			newline = end;
		if (n == line) {
			*len = (size_t)(newline - p);
			return p;
		}
		p = newline + 1;
	}
	return NULL;
}
