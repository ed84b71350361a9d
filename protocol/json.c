/*
 * protocol/json.c: spans of a JSON text, checked as they are skipped
 * (see json.h).
 */
#include "autoconfig.h"

#include <string.h>

#include "protocol/json.h"

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_digit(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* p at '"': after the closing quote, or NULL when the string is broken. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c != '\\')
			continue;
		if (++p >= end)
			return NULL;
		if (*p == 'u') {
			if (end - p < 5)
				return NULL;
			for (int i = 1; i <= 4; i++) {
				if (hex_digit(p[i]) < 0)
					return NULL;
			}
			p += 4;
		} else if (strchr("\"\\/bfnrt", *p) == NULL || *p == '\0') {
			return NULL;
		}
	}
	return NULL;
}

static const char *skip_digits(const char *p, const char *end)
{
	const char *start = p;

	while (p < end && is_digit(*p))
		p++;
	return p > start ? p : NULL;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *skip_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if ((p = skip_digits(p, end)) == NULL)
		return NULL;
	if (p < end && *p == '.' && (p = skip_digits(p + 1, end)) == NULL)
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		p = skip_digits(p, end);
	}
	return p;
}

static const char *skip_value(const char *p, const char *end, unsigned depth);

/* p at '{' or '[': after the matching close, or NULL. */
static const char *skip_container(const char *p, const char *end, unsigned depth)
{
	bool object = *p == '{';
	char close = object ? '}' : ']';

	if (depth >= JSON_DEPTH_MAX)
		return NULL;
	p = skip_ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (object) {
			if (p >= end || *p != '"' || (p = skip_string(p, end)) == NULL)
				return NULL;
			p = skip_ws(p, end);
			if (p >= end || *p != ':')
				return NULL;
			p = skip_ws(p + 1, end);
		}
		if ((p = skip_value(p, end, depth + 1)) == NULL)
			return NULL;
		p = skip_ws(p, end);
		if (p < end && *p == close)
			return p + 1;
		if (p >= end || *p != ',')
			return NULL;
		p = skip_ws(p + 1, end);
	}
}

static const char *skip_literal(const char *p, const char *end, const char *word)
{
	size_t len = strlen(word);

	return (size_t)(end - p) >= len && memcmp(p, word, len) == 0 ? p + len : NULL;
}

/* p at the first byte of a value: after its last byte, or NULL. */
static const char *skip_value(const char *p, const char *end, unsigned depth)
{
	if (p >= end)
		return NULL;
	switch (*p) {
	case '"':
		return skip_string(p, end);
	case '{':
	case '[':
		return skip_container(p, end, depth);
	case 't':
		return skip_literal(p, end, "true");
	case 'f':
		return skip_literal(p, end, "false");
	case 'n':
		return skip_literal(p, end, "null");
	default:
		return *p == '-' || is_digit(*p) ? skip_number(p, end) : NULL;
	}
}

bool json_valid(struct json_span text)
{
	const char *end = text.ptr + text.len;
	const char *p = skip_ws(text.ptr, end);

	p = skip_value(p, end, 0);
	return p != NULL && skip_ws(p, end) == end;
}

bool json_iter_start(struct json_span container, struct json_iter *it)
{
	const char *end = container.ptr + container.len;
	const char *p = skip_ws(container.ptr, end);

	memset(it, 0, sizeof *it);
	if (p >= end || (*p != '{' && *p != '[')) {
		it->failed = true;
		return false;
	}
	it->object = *p == '{';
	it->p = p + 1;
	it->end = end;
	it->first = true;
	return true;
}

bool json_iter_next(struct json_iter *it, struct json_span *key, struct json_span *value)
{
	const char *p, *after;
	char close;

	if (it->failed || it->p == NULL)
		return false;
	close = it->object ? '}' : ']';
	p = skip_ws(it->p, it->end);
	if (p < it->end && *p == close) {
		it->p = NULL; /* the end */
		return false;
	}
	if (!it->first) {
		if (p >= it->end || *p != ',')
			goto broken;
		p = skip_ws(p + 1, it->end);
	}
	it->first = false;
	key->ptr = p;
	key->len = 0;
	if (it->object) {
		if (p >= it->end || *p != '"' || (after = skip_string(p, it->end)) == NULL)
			goto broken;
		key->len = (size_t)(after - p);
		p = skip_ws(after, it->end);
		if (p >= it->end || *p != ':')
			goto broken;
		p = skip_ws(p + 1, it->end);
	}
	if ((after = skip_value(p, it->end, 1)) == NULL)
		goto broken;
	value->ptr = p;
	value->len = (size_t)(after - p);
	it->p = after;
	return true;
broken:
	it->failed = true;
	return false;
}

/* The member named name (name_len bytes, compared with the raw key text). */
static bool get_member(struct json_span object, const char *name, size_t name_len, struct json_span *out)
{
	struct json_iter it;
	struct json_span key, value;

	if (!json_iter_start(object, &it) || !it.object)
		return false;
	while (json_iter_next(&it, &key, &value)) {
		if (key.len == name_len + 2 && memcmp(key.ptr + 1, name, name_len) == 0) {
			*out = value;
			return true;
		}
	}
	return false;
}

bool json_get(struct json_span doc, const char *path, struct json_span *out)
{
	struct json_span at = doc;

	while (*path != '\0') {
		const char *dot = strchr(path, '.');
		size_t len = dot != NULL ? (size_t)(dot - path) : strlen(path);

		if (!get_member(at, path, len, &at))
			return false;
		path += len + (dot != NULL);
	}
	*out = at;
	return true;
}

static size_t utf8_encode(unsigned long cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static unsigned long hex4(const char *p)
{
	unsigned long v = 0;

	for (int i = 0; i < 4; i++)
		v = v * 16 + (unsigned long)hex_digit(p[i]);
	return v;
}

/* The escape at p (after the backslash, checked by skip_string): its UTF-8
 * bytes into out; *used = source bytes after the backslash. */
static size_t unescape(const char *p, const char *end, char out[4], size_t *used)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	unsigned long cp, low;

	*used = 1;
	if (*p != 'u') {
		out[0] = to[strchr(from, *p) - from];
		return 1;
	}
	cp = hex4(p + 1);
	*used = 5;
	if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 11 && p[5] == '\\' && p[6] == 'u' &&
	    hex_digit(p[7]) >= 0 && hex_digit(p[8]) >= 0 && hex_digit(p[9]) >= 0 && hex_digit(p[10]) >= 0 &&
	    (low = hex4(p + 7)) >= 0xdc00 && low <= 0xdfff) {
		*used = 11;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	} else if (cp >= 0xd800 && cp <= 0xdfff) {
		cp = 0xfffd; /* a lone surrogate */
	}
	return utf8_encode(cp, out);
}

bool json_string(struct json_span value, char *out, size_t size)
{
	const char *p = value.ptr, *end = value.ptr + value.len;
	size_t o = 0;
	bool cut = false;

	if (size == 0 || value.len < 2 || *p != '"' || skip_string(p, end) != end)
		return false;
	for (p++, end--; p < end;) {
		char bytes[4];
		size_t n = 1, used;

		if (*p == '\\') {
			n = unescape(p + 1, end, bytes, &used);
			p += 1 + used;
		} else {
			bytes[0] = *p++;
		}
		if (o + n > size - 1) {
			cut = true;
			break;
		}
		memcpy(out + o, bytes, n);
		o += n;
	}
	/* A cut inside a raw multi-byte character: drop its leading bytes. */
	if (cut) {
		size_t i = o;
		while (i > 0 && ((unsigned char)out[i - 1] & 0xc0) == 0x80)
			i--;
		if (i > 0 && (unsigned char)out[i - 1] >= 0xc0) {
			unsigned char lead = (unsigned char)out[i - 1];
			size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
			if (o - (i - 1) < need)
				o = i - 1;
		}
	}
	out[o] = '\0';
	return true;
}

bool json_uint(struct json_span value, uint64_t *out)
{
	uint64_t v = 0;

	if (value.len == 0 || (value.len > 1 && value.ptr[0] == '0'))
		return false;
	for (size_t i = 0; i < value.len; i++) {
		unsigned d = (unsigned)(value.ptr[i] - '0');
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool json_is_null(struct json_span value)
{
	return value.len == 4 && memcmp(value.ptr, "null", 4) == 0;
}

bool json_bool(struct json_span value, bool *out)
{
	if (value.len == 4 && memcmp(value.ptr, "true", 4) == 0)
		*out = true;
	else if (value.len == 5 && memcmp(value.ptr, "false", 5) == 0)
		*out = false;
	else
		return false;
	return true;
}

bool json_get_string(struct json_span doc, const char *path, char *out, size_t size)
{
	struct json_span value;

	return json_get(doc, path, &value) && json_string(value, out, size);
}

bool json_get_uint(struct json_span doc, const char *path, uint64_t *out)
{
	struct json_span value;

	return json_get(doc, path, &value) && json_uint(value, out);
}

bool json_get_bool(struct json_span doc, const char *path, bool *out)
{
	struct json_span value;

	return json_get(doc, path, &value) && json_bool(value, out);
}

size_t json_escape_byte(unsigned char c, char esc[JSON_ESCAPE_MAX])
{
	static const char hex[] = "0123456789abcdef";

	esc[0] = '\\';
	switch (c) {
	case '"':
	case '\\':
		esc[1] = (char)c;
		return 2;
	case '\n':
		esc[1] = 'n';
		return 2;
	case '\r':
		esc[1] = 'r';
		return 2;
	case '\t':
		esc[1] = 't';
		return 2;
	default:
		if (c >= 0x20 && c != 0x7f)
			return 0;
		memcpy(esc + 1, "u00", 3);
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		return 6;
	}
}

void json_write_string(FILE *out, const char *s)
{
	if (s == NULL) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s != '\0'; s++) {
		char esc[JSON_ESCAPE_MAX];
		size_t n = json_escape_byte((unsigned char)*s, esc);

		if (n == 0)
			fputc(*s, out);
		else
			fwrite(esc, 1, n, out);
	}
	fputc('"', out);
}
