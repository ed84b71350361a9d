/*
 * conf/ini_lines.h: the lines of an INI file, fed to inih's
 * ini_parse_stream() one physical line per call.
 *
 * Why not ini_parse(): Debian's libinih is built with its defaults, which
 * (1) cut lines at 200 bytes and parse the rest as a new line, silently,
 * (2) give the handler no line number, and (3) join indented lines onto the
 * previous value, so an indented "key = value" would vanish into the key
 * before it. This reader fixes all three without patching inih:
 *
 *  - every call hands inih exactly one physical line, so inih's line numbers
 *    are the file's, and `line` below tells the handler where it is;
 *  - leading whitespace is removed, so inih never sees a continuation line
 *    (indentation is free; a value never continues on the next line);
 *  - a key line longer than inih's buffer is parsed here, with inih's rules
 *    (first '=' or ':' separates; ';' after whitespace starts a comment), and
 *    inih gets "key=" while the handler takes the value from long_value;
 *  - a line over CONFIG_LINE_MAX, a NUL byte, an unknown or malformed
 *    [section] header stop the parse with an error of their own.
 */
#ifndef SLUICE_CONF_INI_LINES_H
#define SLUICE_CONF_INI_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

/* Whether [name] (name_len bytes, not NUL-terminated) is a section of the
 * file's schema; on false, fills err->message. */
typedef bool ini_section_check_fn(const char *name, size_t name_len, struct config_error *err);

struct ini_lines {
	char *data; /* the whole file */
	size_t size;
	size_t pos;       /* start of the next line */
	unsigned line;    /* 1-based number of the line last handed to inih */
	char *long_value; /* value of that line when it was too long for inih, else NULL */
	bool failed;      /* stop: err holds the first problem (set by the reader or the handler) */
	struct config_error err;
	ini_section_check_fn *check_section;
};

/* Read the file at path (at most CONFIG_FILE_MAX bytes). False with
 * err->message set ("cannot read ...: reason"). */
bool ini_lines_open(struct ini_lines *lines, const char *path, ini_section_check_fn *check_section,
		    struct config_error *err);

/* The ini_reader for ini_parse_stream(): stream is a struct ini_lines. */
char *ini_lines_read(char *buffer, int size, void *stream);

/* The text of line number `line` (1-based), for quoting in an error:
 * *len bytes at the returned pointer, or NULL when there is no such line. */
const char *ini_lines_find(const struct ini_lines *lines, unsigned line, size_t *len);

void ini_lines_close(struct ini_lines *lines);

#endif
