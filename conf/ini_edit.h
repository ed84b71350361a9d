/*
 * conf/ini_edit.h: set one `[section] key = value` in the text of an INI
 * file, keeping every other byte as it was. Pure: text in, text out.
 *
 * Lines are read as the loader reads them (conf/ini_lines.c over inih): a
 * UTF-8 byte order mark on line 1 is skipped, leading and trailing white
 * space is ignored, `;` or `#` first on a line starts a comment, `[name]`
 * opens a section (a comment may follow), otherwise the first `=` or `:`
 * separates key from value, and a `;` after white space starts an inline
 * comment.
 *
 * What the editor does:
 *  - key present: only the bytes of its value change. Indentation, the
 *    spacing around the separator, an inline comment, trailing white space
 *    and the line ending stay. If the key is set more than once, the first
 *    line is edited (the loader refuses the file anyway, naming both lines).
 *  - key missing, section present: a line "key = value" goes after the last
 *    key line of the section's first occurrence (or after its header when it
 *    has none), with that line's indentation, so comments and blank lines
 *    that close the section stay where they are. A commented-out key
 *    (`; enabled = on`) is a comment: it is left, and the real key is added.
 *  - section missing: "[section]" and the key line are appended at the end,
 *    after a blank line.
 *  - new lines end like the line they follow (CRLF stays CRLF); a file
 *    without a final newline keeps it so when a key is added to its last
 *    section.
 *  - setting the value a key already has returns the text unchanged.
 *
 * Values must survive the loader unchanged: one line, no white space at
 * either end (stripped), no leading `;` and no `;` after white space (read
 * as comments). Whether the value suits the key is the loader's business:
 * callers validate the edited text with config_load().
 */
#ifndef SLUICE_CONF_INI_EDIT_H
#define SLUICE_CONF_INI_EDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

/* text (len bytes, not necessarily NUL-terminated) with [section] key set to
 * value. On success *out is the new text (malloc'd, NUL-terminated, *out_len
 * bytes before the NUL). On failure *out is NULL and err->message says why:
 * a value or name that cannot be written, or out of memory. */
bool ini_edit_set(const char *text, size_t len, const char *section, const char *key, const char *value,
		  char **out, size_t *out_len, struct config_error *err);

/* The value of [section] key as the loader reads it, without white space or
 * inline comment: *value points into text, *value_len bytes. The first line
 * setting the key wins. False when the key is not set. */
bool ini_edit_find(const char *text, size_t len, const char *section, const char *key, const char **value,
		   size_t *value_len);

/* Whether value can be written by ini_edit_set(); err->message says why
 * not (without naming the key). */
bool ini_edit_check_value(const char *value, struct config_error *err);

#endif
