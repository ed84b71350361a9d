/*
 * conf/ini_edit.c: one key of an INI text set in place (see ini_edit.h).
 *
 * The text is scanned line by line with the loader's rules, the scan finds
 * where the value is (or where a line or section must go), and the result is
 * the original text with one span replaced: every byte outside that span is
 * copied as it was.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ini_edit.h"
#include "conf/value.h"

#define UTF8_BOM "\xEF\xBB\xBF"

/* What the loader makes of one line. */
enum line_kind {
	LINE_BLANK,   /* nothing but white space */
	LINE_COMMENT, /* `;` or `#` first */
	LINE_SECTION, /* [name] */
	LINE_KEY,     /* name = value (or name: value) */
	LINE_OTHER    /* anything else: the loader refuses the file */
};

/* One line, as offsets into the text. */
struct ini_line {
	size_t start;    /* first byte of the line */
	size_t body_end; /* end of the line without its newline ("\n" or "\r\n") */
	size_t end;      /* first byte of the next line */
	size_t content;  /* first byte after the byte order mark and the indentation */
	enum line_kind kind;
	size_t name, name_len;   /* SECTION: between the brackets; KEY: the key, white space removed */
	size_t sep;              /* KEY: the '=' or ':' */
	size_t value, value_end; /* KEY: the value as the loader reads it */
};

/* inih strips with isspace(); the loader adds nothing to that set. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n';
}

/* inih's find_chars_or_comment(): the first byte of chars in [from, to), or
 * a ';' after white space (an inline comment), or to. chars NULL = none. */
static size_t find_chars_or_comment(const char *text, size_t from, size_t to, const char *chars)
{
	bool was_space = false;

	for (; from < to; from++) {
		if (chars != NULL && strchr(chars, text[from]) != NULL)
			break;
		if (was_space && text[from] == ';')
			break;
		was_space = is_space(text[from]);
	}
	return from;
}

/* A key line from p (content start) to e (content end). */
static void read_key(const char *text, size_t p, size_t e, struct ini_line *line)
{
	size_t sep = find_chars_or_comment(text, p, e, "=:"), name_end, value, value_end;

	if (sep == e || (text[sep] != '=' && text[sep] != ':')) {
		line->kind = LINE_OTHER;
		return;
	}
	for (name_end = sep; name_end > p && is_space(text[name_end - 1]); name_end--)
		;
	value_end = find_chars_or_comment(text, sep + 1, e, NULL);
	for (value = sep + 1; value < value_end && is_space(text[value]); value++)
		;
	while (value_end > value && is_space(text[value_end - 1]))
		value_end--;
	line->kind = LINE_KEY;
	line->name = p;
	line->name_len = name_end - p;
	line->sep = sep;
	line->value = value;
	line->value_end = value_end;
}

/* The line starting at pos (< len) into *line. */
static void read_line(const char *text, size_t len, size_t pos, struct ini_line *line)
{
	const char *newline = memchr(text + pos, '\n', len - pos);
	size_t p = pos, e;

	memset(line, 0, sizeof *line);
	line->start = pos;
	line->end = newline != NULL ? (size_t)(newline - text) + 1 : len;
	line->body_end = newline != NULL ? line->end - 1 : len;
	if (newline != NULL && line->body_end > pos && text[line->body_end - 1] == '\r')
		line->body_end--;
	if (pos == 0 && len >= 3 && memcmp(text, UTF8_BOM, 3) == 0)
		p = 3;
	while (p < line->body_end && is_space(text[p]))
		p++;
	line->content = p;
	for (e = line->body_end; e > p && is_space(text[e - 1]); e--)
		;
	if (p == e) {
		line->kind = LINE_BLANK;
	} else if (text[p] == ';' || text[p] == '#') {
		line->kind = LINE_COMMENT;
	} else if (text[p] == '[') {
		size_t close = find_chars_or_comment(text, p + 1, e, "]");
		line->kind = close < e && text[close] == ']' ? LINE_SECTION : LINE_OTHER;
		line->name = p + 1;
		line->name_len = close - (p + 1);
	} else {
		read_key(text, p, e, line);
	}
}

static bool span_is(const char *text, size_t at, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(text + at, word, len) == 0;
}

/* The line ending of line: "\r\n", "\n", or "" on a last line without one. */
static const char *line_eol(const char *text, const struct ini_line *line)
{
	if (line->end == line->body_end)
		return "";
	return text[line->body_end] == '\r' ? "\r\n" : "\n";
}

/* Where the scan found the key, or where it must go. */
struct edit_site {
	bool key_found; /* line is the first line setting [section] key */
	struct ini_line line;
	bool section_found; /* anchor is the last key line (or the header) of its first occurrence */
	struct ini_line anchor;
	bool anchor_is_header;
	const char *file_eol; /* ending of the first line that has one; "\n" when none does */
	bool ends_blank;      /* the last line is blank (or the text is empty) */
};

static void find_site(const char *text, size_t len, const char *section, const char *key,
		      struct edit_site *site)
{
	bool in_section = false, in_first = false, eol_known = false;
	struct ini_line line;

	memset(site, 0, sizeof *site);
	site->file_eol = "\n";
	site->ends_blank = true;
	for (size_t pos = 0; pos < len; pos = line.end) {
		read_line(text, len, pos, &line);
		if (!eol_known && line.end > line.body_end) {
			site->file_eol = line_eol(text, &line);
			eol_known = true;
		}
		site->ends_blank = line.kind == LINE_BLANK;
		if (line.kind == LINE_SECTION) {
			in_section = span_is(text, line.name, line.name_len, section);
			in_first = in_section && !site->section_found;
			if (in_first) {
				site->section_found = true;
				site->anchor = line;
				site->anchor_is_header = true;
			}
		} else if (line.kind == LINE_KEY && in_section) {
			if (!site->key_found && span_is(text, line.name, line.name_len, key)) {
				site->key_found = true;
				site->line = line;
			}
			if (in_first) {
				site->anchor = line;
				site->anchor_is_header = false;
			}
		}
	}
}

/* A growing output text; failed once an allocation failed. */
struct text_out {
	char *data;
	size_t len, capacity;
	bool failed;
};

static void put(struct text_out *out, const char *bytes, size_t n)
{
	if (out->failed || n == 0)
		return;
	if (n > SIZE_MAX - 1 - out->len) {
		out->failed = true;
		return;
	}
	if (out->len + n + 1 > out->capacity) {
		size_t capacity = out->capacity == 0 ? 256 : out->capacity;
		char *data;
		while (capacity < out->len + n + 1)
			capacity = capacity > SIZE_MAX / 2 ? SIZE_MAX : capacity * 2;
		data = realloc(out->data, capacity);
		if (data == NULL) {
			out->failed = true;
			return;
		}
		out->data = data;
		out->capacity = capacity;
	}
	memcpy(out->data + out->len, bytes, n);
	out->len += n;
	out->data[out->len] = '\0';
}

static void put_str(struct text_out *out, const char *s)
{
	put(out, s, strlen(s));
}

/* The new value into the line that sets the key: only the value's bytes
 * change, plus one space where the value would otherwise touch the
 * separator's style or an inline comment. */
static void put_edited_value(struct text_out *out, const char *text, size_t len, const struct ini_line *line,
			     const char *value)
{
	size_t from = line->value, to = line->value_end;
	const char *before = "", *after = "";

	if (value[0] == '\0') {
		from = line->sep + 1; /* "key = old ; c" becomes "key = ; c" */
	} else if (from == to) {
		from = to = line->sep + 1;
		if (from < line->body_end && is_space(text[from]) && text[from] != '\r')
			from = to = from + 1; /* write after the space that is there */
		else if (text[line->sep] == ':' || (line->sep > line->name && is_space(text[line->sep - 1])))
			before = " "; /* "key =" becomes "key = value"; "key=" stays compact */
		if (to < line->body_end && text[to] == ';')
			after = " "; /* keep the comment a comment */
	}
	put(out, text, from);
	put_str(out, before);
	put_str(out, value);
	put_str(out, after);
	put(out, text + to, len - to);
}

/* A line "key = value" after the anchor line, indented like it. */
static void put_new_key(struct text_out *out, const char *text, size_t len, const struct edit_site *site,
			const char *key, const char *value)
{
	const struct ini_line *anchor = &site->anchor;
	const char *eol = line_eol(text, anchor);
	size_t indent = anchor->start;

	if (indent == 0 && len >= 3 && memcmp(text, UTF8_BOM, 3) == 0)
		indent = 3;
	put(out, text, anchor->end);
	if (eol[0] == '\0')
		put_str(out, site->file_eol); /* the anchor ended the file without a newline */
	if (!site->anchor_is_header)
		put(out, text + indent, anchor->content - indent);
	put_str(out, key);
	put_str(out, " = ");
	put_str(out, value);
	put_str(out, eol);
	put(out, text + anchor->end, len - anchor->end);
}

/* "[section]" and "key = value" at the end, after a blank line. */
static void put_new_section(struct text_out *out, const char *text, size_t len, const struct edit_site *site,
			    const char *section, const char *key, const char *value)
{
	put(out, text, len);
	if (len > 0 && text[len - 1] != '\n')
		put_str(out, site->file_eol);
	if (!site->ends_blank)
		put_str(out, site->file_eol);
	put_str(out, "[");
	put_str(out, section);
	put_str(out, "]");
	put_str(out, site->file_eol);
	put_str(out, key);
	put_str(out, " = ");
	put_str(out, value);
	put_str(out, site->file_eol);
}

bool ini_edit_check_value(const char *value, struct config_error *err)
{
	size_t len = strlen(value);

	if (strpbrk(value, "\r\n") != NULL)
		return config_fail(err, "a value is one line: it cannot hold a line break (CR or LF)");
	if (len > CONFIG_LINE_MAX)
		return config_fail(err, "value of %zu bytes; a line of the file holds at most %d", len,
				   CONFIG_LINE_MAX);
	if (len > 0 && (is_space(value[0]) || is_space(value[len - 1])))
		return config_fail(err, "white space at the start or end of a value is dropped when the file "
					"is read; remove it");
	if (value[0] == ';')
		return config_fail(err, "a value cannot start with ';': it would be read as a comment");
	for (size_t i = 1; i < len; i++) {
		if (value[i] == ';' && is_space(value[i - 1]))
			return config_fail(err, "a ';' after white space starts a comment; remove the space "
						"before the ';'");
	}
	return true;
}

/* Section and key names: what keys.def uses, and nothing the INI syntax
 * gives a meaning to. */
static bool check_name(const char *name, const char *what, struct config_error *err)
{
	size_t len = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");

	if (len == 0 || name[len] != '\0')
		return config_fail(err, "%s name must be 1 or more of A-Z, a-z, 0-9, '_', '.' and '-'", what);
	return true;
}

bool ini_edit_set(const char *text, size_t len, const char *section, const char *key, const char *value,
		  char **out, size_t *out_len, struct config_error *err)
{
	struct text_out result = { 0 };
	struct edit_site site;

	*out = NULL;
	*out_len = 0;
	if (!check_name(section, "a section", err) || !check_name(key, "a key", err) ||
	    !ini_edit_check_value(value, err))
		return false;
	find_site(text, len, section, key, &site);
	if (site.key_found && span_is(text, site.line.value, site.line.value_end - site.line.value, value))
		put(&result, text, len);
	else if (site.key_found)
		put_edited_value(&result, text, len, &site.line, value);
	else if (site.section_found)
		put_new_key(&result, text, len, &site, key, value);
	else
		put_new_section(&result, text, len, &site, section, key, value);
	if (result.failed || result.data == NULL) {
		free(result.data);
		return config_fail(err, "out of memory");
	}
	*out = result.data;
	*out_len = result.len;
	return true;
}

bool ini_edit_find(const char *text, size_t len, const char *section, const char *key, const char **value,
		   size_t *value_len)
{
	struct edit_site site;

	find_site(text, len, section, key, &site);
	if (!site.key_found)
		return false;
	*value = text + site.line.value;
	*value_len = site.line.value_end - site.line.value;
	return true;
}
