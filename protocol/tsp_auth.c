/*
 * protocol/tsp_auth.c: "Authorization: Basic ..." decoded into bounded buffers
 * (PROTOCOL.md §2). Strict RFC 4648 base64: padding required, no whitespace,
 * no unused non-zero bits, so every credential has exactly one spelling. Pure.
 */
#include "autoconfig.h"

#include <string.h>

#include "protocol/tsp.h"

/* tenant ":" secret, at their longest. */
#define CREDENTIALS_MAX (TSP_TENANT_MAX + 1 + TSP_SECRET_MAX)
#define BASE64_MAX (((CREDENTIALS_MAX + 2) / 3) * 4)

/* The value of one base64 character, or -1. */
static int base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes one group of four characters (the last may end in "=" or "==")
 * into out; returns the number of bytes (1..3), or 0 when malformed. */
static size_t base64_group(const char *in, bool last, unsigned char out[3])
{
	int v[4];
	size_t pad = 0;

	if (last)
		pad = in[3] != '=' ? 0 : in[2] != '=' ? 1 : 2;
	for (size_t i = 0; i < 4 - pad; i++) {
		v[i] = base64_value((unsigned char)in[i]);
		if (v[i] < 0)
			return 0;
	}
	/* Bits that padding drops must be zero: one spelling per byte string. */
	if ((pad == 1 && (v[2] & 0x3) != 0) || (pad == 2 && (v[1] & 0xf) != 0))
		return 0;
	out[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
	if (pad < 2)
		out[1] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
	if (pad < 1)
		out[2] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
	return 3 - pad;
}

/* Decodes base64 text into out (room for out_size bytes); returns the
 * decoded length, or false when malformed or too long. */
static bool base64_decode(const char *in, size_t len, unsigned char *out, size_t out_size, size_t *out_len)
{
	size_t n = 0;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > out_size)
		return false;
	for (size_t i = 0; i < len; i += 4) {
		size_t got = base64_group(in + i, i + 4 == len, out + n);

		if (got == 0)
			return false;
		n += got;
	}
	*out_len = n;
	return true;
}

static bool secret_valid(const unsigned char *secret, size_t len)
{
	if (len == 0 || len > TSP_SECRET_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (secret[i] < 0x20 || secret[i] == 0x7f)
			return false;
	}
	return true;
}

static bool scheme_is_basic(const char *p, size_t len)
{
	static const char basic[] = "basic ";

	if (len < sizeof basic - 1)
		return false;
	for (size_t i = 0; i < sizeof basic - 1; i++) {
		char c = p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] - 'A' + 'a') : p[i];

		if (c != basic[i])
			return false;
	}
	return true;
}

bool tsp_parse_basic_auth(struct http_str authorization, char tenant[TSP_TENANT_MAX + 1],
			  char secret[TSP_SECRET_MAX + 1])
{
	const size_t skip = sizeof "Basic " - 1;
	unsigned char decoded[BASE64_MAX / 4 * 3];
	const unsigned char *colon;
	size_t len, name_len;

	if (authorization.ptr == NULL || !scheme_is_basic(authorization.ptr, authorization.len))
		return false;
	if (authorization.len - skip > BASE64_MAX ||
	    !base64_decode(authorization.ptr + skip, authorization.len - skip, decoded, sizeof decoded, &len))
		return false;
	colon = memchr(decoded, ':', len);
	if (colon == NULL)
		return false;
	name_len = (size_t)(colon - decoded);
	if (!tsp_id_valid((const char *)decoded, name_len) || !secret_valid(colon + 1, len - name_len - 1))
		return false;
	memcpy(tenant, decoded, name_len);
	tenant[name_len] = '\0';
	memcpy(secret, colon + 1, len - name_len - 1);
	secret[len - name_len - 1] = '\0';
	return true;
}
