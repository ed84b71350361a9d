/*
 * protocol/proxy_header.c: the PROXY protocol header, versions 1 and 2 (see
 * proxy_header.h), and the prefixes of [proxy] proxy_from.
 *
 * Every call parses from the first byte again: a header is at most 512
 * bytes and arrives once per connection, so keeping no state between calls
 * costs nothing and leaves nothing to get out of step.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "proxy_header.h"

static const char v1_signature[] = "PROXY ";
static const uint8_t v2_signature[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
					  0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

#define V2_SIGNATURE_LEN sizeof v2_signature
#define V1_SIGNATURE_LEN (sizeof v1_signature - 1)
#define V2_UNIX_PATH 108    /* each UNIX address of a v2 header */
#define ADDRESS_TEXT_MAX 45 /* the longest IPv6 text, ::ffff:255.255.255.255 */

static enum proxy_header_status fail(struct proxy_header *out, const char *why)
{
	out->error = why;
	return PROXY_HEADER_ERROR;
}

/* data[0..len) is a beginning of signature (or the whole of it, and more). */
static bool begins(const uint8_t *data, size_t len, const void *signature, size_t signature_len)
{
	return memcmp(data, signature, len < signature_len ? len : signature_len) == 0;
}

/* ---- version 1: one text line ---- */

/* Tokens separated by exactly one space, none empty. */
struct cursor {
	const char *p, *end;
	bool after_space; /* the last token ended at a space, so another must follow */
};

static bool next_token(struct cursor *cur, const char **token, size_t *token_len)
{
	const char *start = cur->p;

	while (cur->p < cur->end && *cur->p != ' ')
		cur->p++;
	*token = start;
	*token_len = (size_t)(cur->p - start);
	cur->after_space = cur->p < cur->end;
	if (cur->after_space)
		cur->p++;
	return *token_len > 0;
}

static bool token_is(const char *token, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(token, word, len) == 0;
}

/* 0..65535 in decimal, no sign, no leading zero (but "0" itself). */
static bool parse_port(const char *text, size_t len, uint16_t *port)
{
	unsigned long value = 0;

	if (len == 0 || len > 5 || (text[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (unsigned long)(text[i] - '0');
	}
	if (value > 65535)
		return false;
	*port = (uint16_t)value;
	return true;
}

/* An address of family af as text (inet_pton's strict syntax: dotted quad
 * without leading zeros for IPv4). */
static bool parse_address(int af, const char *text, size_t len, void *binary)
{
	char copy[ADDRESS_TEXT_MAX + 1];

	if (len > ADDRESS_TEXT_MAX)
		return false;
	memcpy(copy, text, len);
	copy[len] = '\0';
	return inet_pton(af, copy, binary) == 1;
}

static void set_inet(struct sockaddr_storage *ss, int af, const void *address, uint16_t port)
{
	memset(ss, 0, sizeof *ss);
	if (af == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, address, 4);
		in->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, address, 16);
		in6->sin6_port = htons(port);
	}
}

/* "TCP4|TCP6 SRC DST SPORT DPORT" after the protocol word. */
static enum proxy_header_status v1_addresses(struct cursor *cur, int af, struct proxy_header *out)
{
	const char *token[4];
	size_t token_len[4];
	uint8_t source[16], destination[16];
	uint16_t source_port, destination_port;

	for (int i = 0; i < 4; i++) {
		if (!next_token(cur, &token[i], &token_len[i]))
			return fail(out, "a v1 header with a missing field or an extra space");
	}
	if (cur->after_space || cur->p != cur->end)
		return fail(out, "a v1 header with more than four address fields");
	if (!parse_address(af, token[0], token_len[0], source) ||
	    !parse_address(af, token[1], token_len[1], destination))
		return fail(out, "a v1 header with an address that is not of its family");
	if (!parse_port(token[2], token_len[2], &source_port) ||
	    !parse_port(token[3], token_len[3], &destination_port))
		return fail(out, "a v1 header with a port that is not 0..65535 without leading zeros");
	out->family = af;
	set_inet(&out->source, af, source, source_port);
	set_inet(&out->destination, af, destination, destination_port);
	out->address_len = af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	return PROXY_HEADER_DONE;
}

/* The line without its CRLF, "PROXY " included. */
static enum proxy_header_status v1_line(const char *line, size_t len, struct proxy_header *out)
{
	struct cursor cur = { line + V1_SIGNATURE_LEN, line + len, false };
	const char *word;
	size_t word_len;

	if (!next_token(&cur, &word, &word_len))
		return fail(out, "a v1 header without its protocol");
	if (token_is(word, word_len, "UNKNOWN")) {
		/* What follows UNKNOWN is ignored (the spec says so). */
		out->family = AF_UNSPEC;
		return PROXY_HEADER_DONE;
	}
	if (!cur.after_space)
		return fail(out, "a v1 header without addresses");
	if (token_is(word, word_len, "TCP4"))
		return v1_addresses(&cur, AF_INET, out);
	if (token_is(word, word_len, "TCP6"))
		return v1_addresses(&cur, AF_INET6, out);
	return fail(out, "a v1 header whose protocol is not TCP4, TCP6 or UNKNOWN");
}

static enum proxy_header_status parse_v1(const uint8_t *data, size_t len, struct proxy_header *out)
{
	size_t limit = len < PROXY_HEADER_V1_MAX ? len : PROXY_HEADER_V1_MAX;

	if (len < V1_SIGNATURE_LEN)
		return PROXY_HEADER_NEED_MORE;
	out->version = 1;
	out->command = PROXY_HEADER_PROXY;
	for (size_t i = V1_SIGNATURE_LEN; i < limit; i++) {
		if (data[i] == '\r') {
			if (i + 2 > PROXY_HEADER_V1_MAX)
				break;
			if (i + 1 == len)
				return PROXY_HEADER_NEED_MORE;
			if (data[i + 1] != '\n')
				return fail(out, "a v1 header with a CR not followed by LF");
			out->length = i + 2;
			return v1_line((const char *)data, i, out);
		}
		if (data[i] < 0x20 || data[i] > 0x7e)
			return fail(out, "a v1 header with a byte that is not printable");
	}
	if (len >= PROXY_HEADER_V1_MAX)
		return fail(out, "a v1 header without CRLF within 107 bytes");
	return PROXY_HEADER_NEED_MORE;
}

/* ---- version 2: binary ---- */

/* The family byte of a PROXY command: the address block's length, or -1
 * with out->error set. */
static int v2_family(uint8_t byte, struct proxy_header *out)
{
	unsigned family = byte >> 4, transport = byte & 0x0f;

	if (byte == 0x00) {
		out->family = AF_UNSPEC;
		return 0;
	}
	if (family < 1 || family > 3) {
		out->error = "a v2 header with an unknown address family";
		return -1;
	}
	if (transport == 2) {
		out->error = "a v2 header for a datagram (DGRAM) transport";
		return -1;
	}
	if (transport != 1) {
		out->error = "a v2 header whose transport is not STREAM";
		return -1;
	}
	out->family = family == 1 ? AF_INET : family == 2 ? AF_INET6 : AF_UNIX;
	return family == 1 ? 12 : family == 2 ? 36 : 2 * V2_UNIX_PATH;
}

static void set_unix(struct sockaddr_storage *ss, const uint8_t *path)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof *ss);
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, sizeof un->sun_path < V2_UNIX_PATH ? sizeof un->sun_path : V2_UNIX_PATH);
}

/* The address block at a (its length checked) into out. */
static void v2_addresses(const uint8_t *a, struct proxy_header *out)
{
	switch (out->family) {
	case AF_INET:
		set_inet(&out->source, AF_INET, a, (uint16_t)(a[8] << 8 | a[9]));
		set_inet(&out->destination, AF_INET, a + 4, (uint16_t)(a[10] << 8 | a[11]));
		out->address_len = sizeof(struct sockaddr_in);
		break;
	case AF_INET6:
		set_inet(&out->source, AF_INET6, a, (uint16_t)(a[32] << 8 | a[33]));
		set_inet(&out->destination, AF_INET6, a + 16, (uint16_t)(a[34] << 8 | a[35]));
		out->address_len = sizeof(struct sockaddr_in6);
		break;
	case AF_UNIX:
		set_unix(&out->source, a);
		set_unix(&out->destination, a + V2_UNIX_PATH);
		out->address_len = sizeof(struct sockaddr_un);
		break;
	default:
		break;
	}
}

/* The TLVs after the addresses: skipped, but each must fit. */
static bool v2_tlvs_fit(const uint8_t *p, size_t len)
{
	while (len > 0) {
		size_t value_len;

		if (len < 3)
			return false;
		value_len = (size_t)p[1] << 8 | p[2];
		if (value_len > len - 3)
			return false;
		p += 3 + value_len;
		len -= 3 + value_len;
	}
	return true;
}

static enum proxy_header_status parse_v2(const uint8_t *data, size_t len, struct proxy_header *out)
{
	int address_len = 0;
	size_t body, total;

	out->version = 2;
	if (len <= V2_SIGNATURE_LEN)
		return PROXY_HEADER_NEED_MORE;
	if (data[12] >> 4 != 2)
		return fail(out, "a v2 header whose version is not 2");
	if ((data[12] & 0x0f) > 1)
		return fail(out, "a v2 header whose command is neither LOCAL nor PROXY");
	out->command = (data[12] & 0x0f) == 1 ? PROXY_HEADER_PROXY : PROXY_HEADER_LOCAL;
	if (len < 14)
		return PROXY_HEADER_NEED_MORE;
	/* LOCAL: the family and what follows are ignored (the spec says so). */
	if (out->command == PROXY_HEADER_PROXY && (address_len = v2_family(data[13], out)) < 0)
		return PROXY_HEADER_ERROR;
	if (len < PROXY_HEADER_V2_MIN)
		return PROXY_HEADER_NEED_MORE;
	body = (size_t)data[14] << 8 | data[15];
	total = PROXY_HEADER_V2_MIN + body;
	if (total > PROXY_HEADER_MAX)
		return fail(out, "a v2 header longer than 512 bytes");
	if (body < (size_t)address_len)
		return fail(out, "a v2 header too short for its address family");
	if (len < total)
		return PROXY_HEADER_NEED_MORE;
	if (out->command == PROXY_HEADER_LOCAL) {
		out->family = AF_UNSPEC;
	} else {
		if (!v2_tlvs_fit(data + PROXY_HEADER_V2_MIN + address_len, body - (size_t)address_len))
			return fail(out, "a v2 header with a TLV that overruns its length");
		v2_addresses(data + PROXY_HEADER_V2_MIN, out);
	}
	out->length = total;
	return PROXY_HEADER_DONE;
}

enum proxy_header_status proxy_header_parse(const void *data, size_t len, unsigned mode,
					    struct proxy_header *out)
{
	const uint8_t *bytes = data;

	memset(out, 0, sizeof *out);
	out->family = AF_UNSPEC;
	if (len == 0)
		return PROXY_HEADER_NEED_MORE;
	if (begins(bytes, len, v2_signature, V2_SIGNATURE_LEN)) {
		if (!(mode & PROXY_HEADER_V2))
			return fail(out, "a v2 header where only v1 is allowed");
		return parse_v2(bytes, len, out);
	}
	if (begins(bytes, len, v1_signature, V1_SIGNATURE_LEN)) {
		if (!(mode & PROXY_HEADER_V1))
			return fail(out, "a v1 header where only v2 is allowed");
		return parse_v1(bytes, len, out);
	}
	return fail(out, "no PROXY header");
}

/* ---- [proxy] proxy_from ---- */

static bool parse_bits(const char *text, unsigned max, unsigned *bits)
{
	size_t len = strlen(text);
	unsigned value = 0;

	if (len == 0 || len > 3 || (text[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (unsigned)(text[i] - '0');
	}
	*bits = value;
	return value <= max;
}

/* Do a and b agree on their first bits? */
static bool same_prefix(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ b[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool proxy_cidr_parse(const char *text, struct proxy_cidr *out)
{
	const char *slash = strchr(text, '/');
	size_t address_len = slash != NULL ? (size_t)(slash - text) : strlen(text);
	unsigned max;

	memset(out, 0, sizeof *out);
	if (parse_address(AF_INET, text, address_len, out->address)) {
		out->family = AF_INET;
		max = 32;
	} else if (parse_address(AF_INET6, text, address_len, out->address)) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return false;
	}
	out->prefix = max;
	if (slash != NULL && !parse_bits(slash + 1, max, &out->prefix))
		return false;
	/* No bit set past the prefix. */
	for (unsigned bit = out->prefix; bit < max; bit++)
		if (out->address[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

bool proxy_cidr_match(const struct proxy_cidr *cidr, const struct sockaddr *peer)
{
	if (peer->sa_family == AF_INET)
		return cidr->family == AF_INET &&
		       same_prefix((const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr,
				   cidr->address, cidr->prefix);
	if (peer->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)peer)->sin6_addr;

		if (cidr->family == AF_INET6)
			return same_prefix(a->s6_addr, cidr->address, cidr->prefix);
		return IN6_IS_ADDR_V4MAPPED(a) && same_prefix(a->s6_addr + 12, cidr->address, cidr->prefix);
	}
	return false;
}

bool proxy_cidr_any(char *const *entries, size_t count, const struct sockaddr *peer)
{
	for (size_t i = 0; i < count; i++) {
		struct proxy_cidr cidr;

		if (proxy_cidr_parse(entries[i], &cidr) && proxy_cidr_match(&cidr, peer))
			return true;
	}
	return false;
}
