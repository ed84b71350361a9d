/*
 * tools/tenant/json.c: reading TSP/1 answers (see json.h). A scanner, not a
 * parser: it skips strings as units so that a key can never be matched
 * inside a value, and otherwise trusts the answer's structure.
 */
#include "autoconfig.h"

#include <string.h>

#include "json.h"

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* p at an opening quote: the byte after the closing quote, or NULL. */
static const char *
scan_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* p at the first byte of a value: the byte after it, or NULL. */
static const char *
scan_value(const char *p, const char *end)
{
	unsigned depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return scan_string(p, end);
	if (*p != '{' && *p != '[') {
		const char *start = p;

		while (p < end && strchr(",}] \t\r\n", *p) == NULL)
			p++;
		return p > start ? p : NULL;
	}
	for (; p < end; p++) {
		if (*p == '"') {
			p = scan_string(p, end);
			if (p == NULL)
				return NULL;
			p--;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if ((*p == '}' || *p == ']') && --depth == 0) {
			return p + 1;
		}
	}
	return NULL;
}

bool
json_find(struct json_span text, const char *key, struct json_span *value)
{
	const char *p = text.ptr, *end = text.ptr + text.len;
	size_t key_len = strlen(key);

	while (p < end) {
		const char *close, *after, *value_end;

		if (*p != '"') {
			p++;
			continue;
		}
		close = scan_string(p, end);
		if (close == NULL)
			return false;
		after = skip_ws(close, end);
		if (after >= end || *after != ':') {
			p = close; /* a string value */
			continue;
		}
		if ((size_t)(close - p - 2) == key_len && memcmp(p + 1, key, key_len) == 0) {
			const char *start = skip_ws(after + 1, end);

			value_end = scan_value(start, end);
			if (value_end == NULL)
				return false;
			value->ptr = start;
			value->len = (size_t)(value_end - start);
			return true;
		}
		p = after + 1;
	}
	return false;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p (p + 4 <= end checked by the caller); -1 when bad. */
static long
hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int d = hex_value(p[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t
utf8_encode(unsigned long cp, char out[4])
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

/* One escape sequence at p (just after the backslash): its bytes in out,
 * how many source bytes it used in *used; 0 bytes when malformed. */
static size_t
unescape(const char *p, const char *end, char out[4], size_t *used)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	long cp, low;

	*used = 1;
	if (p >= end)
		return 0;
	if (*p != 'u') {
		hit = strchr(from, *p);
		if (hit == NULL || *p == '\0')
			return 0;
		out[0] = to[hit - from];
		return 1;
	}
	if (end - p < 5 || (cp = hex4(p + 1)) < 0)
		return 0;
	*used = 5;
	if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 11 && p[5] == '\\' && p[6] == 'u' &&
	    (low = hex4(p + 7)) >= 0xdc00 && low <= 0xdfff) {
		*used = 11;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	} else if (cp >= 0xd800 && cp <= 0xdfff) {
		cp = 0xfffd; /* a lone surrogate */
	}
	return utf8_encode((unsigned long)cp, out);
}

/* Drop a UTF-8 sequence left incomplete at the end of out[0..len). */
static size_t
utf8_trim(const char *out, size_t len)
{
	size_t i = len, need;
	unsigned char lead;

	while (i > 0 && ((unsigned char)out[i - 1] & 0xc0) == 0x80 && len - i < 3)
		i--;
	if (i == 0)
		return len;
	lead = (unsigned char)out[i - 1];
	if (lead < 0xc0)
		return len;
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	return len - (i - 1) >= need ? len : i - 1;
}

bool
json_string(struct json_span value, char *out, size_t size)
{
	const char *p = value.ptr, *end = value.ptr + value.len;
	size_t o = 0;
	bool cut = false;

	if (size == 0 || value.len < 2 || p[0] != '"' || end[-1] != '"')
		return false;
	for (p++, end--; p < end && !cut;) {
		char bytes[4];
		size_t n = 1, used = 0;

		if (*p == '\\') {
			n = unescape(p + 1, end, bytes, &used);
			if (n == 0)
				return false;
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
	if (cut)
		o = utf8_trim(out, o);
	out[o] = '\0';
	return true;
}

bool
json_uint(struct json_span value, uint64_t *out)
{
	uint64_t v = 0;

	if (value.len == 0)
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

bool
json_find_string(struct json_span text, const char *key, char *out, size_t size)
{
	struct json_span v;

	return json_find(text, key, &v) && json_string(v, out, size);
}

bool
json_find_uint(struct json_span text, const char *key, uint64_t *out)
{
	struct json_span v;

	return json_find(text, key, &v) && json_uint(v, out);
}
