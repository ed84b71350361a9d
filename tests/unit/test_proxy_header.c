/*
 * tests/unit/test_proxy_header.c: the PROXY protocol header parser
 * (protocol/proxy_header.c) against HAProxy's doc/proxy-protocol.txt, and
 * the prefixes of [proxy] proxy_from.
 *
 * Every header is parsed whole, with bytes of the tenant behind it, and
 * split at every byte: each prefix shorter than the header is NEED_MORE and
 * the whole one gives the same answer. Inputs sit right before a PROT_NONE
 * page (guard.h), so a read past the bytes given faults.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

#include "guard.h"
#include "proxy_header.h"

static const char v2_signature[] = "\r\n\r\n\0\r\nQUIT\n"; /* 12 bytes and a NUL */

/* ---- helpers ---- */

static enum proxy_header_status parse(const void *data, size_t len, unsigned mode, struct proxy_header *h)
{
	struct guard g = GUARD_INIT;
	const char *p = guard_place(&g, data, len);
	enum proxy_header_status st;

	assert_non_null(p);
	st = proxy_header_parse(p, len, mode, h);
	guard_release(&g);
	return st;
}

/* The header alone is DONE with its exact length; so is the header with
 * the tenant's bytes behind it; every shorter prefix is NEED_MORE. */
static void expect_done(const void *header, size_t len, unsigned mode, struct proxy_header *h)
{
	unsigned char with_tail[PROXY_HEADER_MAX + 32];
	struct proxy_header part;

	for (size_t n = 0; n < len; n++) {
		enum proxy_header_status st = parse(header, n, mode, &part);

		if (st != PROXY_HEADER_NEED_MORE)
			fail_msg("prefix of %zu bytes of %zu: status %d (%s)", n, len, st,
				 part.error != NULL ? part.error : "");
	}
	assert_int_equal(parse(header, len, mode, h), PROXY_HEADER_DONE);
	assert_int_equal(h->length, len);
	memcpy(with_tail, header, len);
	memcpy(with_tail + len, "\x16\x03\x01\x02\x00GET / HTTP/1.1\r\n", 21);
	assert_int_equal(parse(with_tail, len + 21, mode, &part), PROXY_HEADER_DONE);
	assert_int_equal(part.length, len);
	assert_int_equal(part.family, h->family);
	assert_memory_equal(&part.source, &h->source, sizeof part.source);
	assert_memory_equal(&part.destination, &h->destination, sizeof part.destination);
}

/* ERROR, whole; and split at every byte, NEED_MORE then ERROR from some
 * byte on (never DONE): an error is found as early as it shows. */
static void expect_error(const void *data, size_t len, unsigned mode)
{
	struct proxy_header h;
	bool failed = false;

	for (size_t n = 0; n <= len; n++) {
		enum proxy_header_status st = parse(data, n, mode, &h);

		if (st == PROXY_HEADER_DONE)
			fail_msg("prefix of %zu bytes of %zu: DONE", n, len);
		if (failed && st != PROXY_HEADER_ERROR)
			fail_msg("prefix of %zu bytes of %zu: an error went away", n, len);
		if (st == PROXY_HEADER_ERROR) {
			assert_non_null(h.error);
			assert_true(h.error[0] != '\0');
			failed = true;
		}
	}
	if (!failed)
		fail_msg("no ERROR for %zu bytes", len);
}

static void expect_error_text(const char *text, unsigned mode)
{
	expect_error(text, strlen(text), mode);
}

static void expect_inet(const struct sockaddr_storage *ss, const char *address, unsigned port)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
	char text[INET_ADDRSTRLEN];

	assert_int_equal(in->sin_family, AF_INET);
	assert_non_null(inet_ntop(AF_INET, &in->sin_addr, text, sizeof text));
	assert_string_equal(text, address);
	assert_int_equal(ntohs(in->sin_port), port);
}

static void expect_inet6(const struct sockaddr_storage *ss, const char *address, unsigned port)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
	char text[INET6_ADDRSTRLEN];

	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_non_null(inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text));
	assert_string_equal(text, address);
	assert_int_equal(ntohs(in6->sin6_port), port);
}

/* A v2 header: signature, version/command byte, family byte, then body. */
static size_t v2(unsigned char *out, unsigned char ver_cmd, unsigned char family, const void *body,
		 size_t body_len)
{
	memcpy(out, v2_signature, 12);
	out[12] = ver_cmd;
	out[13] = family;
	out[14] = (unsigned char)(body_len >> 8);
	out[15] = (unsigned char)body_len;
	memcpy(out + 16, body, body_len);
	return 16 + body_len;
}

static const unsigned char inet_body[12] = { 192, 0, 2, 7, 127, 0, 0, 1, 0x9c, 0x40, 0x01, 0xbb };

static size_t inet6_body(unsigned char *body)
{
	struct in6_addr a, b;

	inet_pton(AF_INET6, "2001:db8::7", &a);
	inet_pton(AF_INET6, "::1", &b);
	memcpy(body, &a, 16);
	memcpy(body + 16, &b, 16);
	memcpy(body + 32, "\x9c\x40\x01\xbb", 4);
	return 36;
}

/* ---- version 1 ---- */

static void test_v1_tcp4(void **state)
{
	static const char line[] = "PROXY TCP4 192.0.2.7 127.0.0.1 40000 443\r\n";
	struct proxy_header h;

	(void)state;
	expect_done(line, strlen(line), PROXY_HEADER_V1, &h);
	assert_int_equal(h.version, 1);
	assert_int_equal(h.command, PROXY_HEADER_PROXY);
	assert_int_equal(h.family, AF_INET);
	assert_int_equal(h.address_len, sizeof(struct sockaddr_in));
	expect_inet(&h.source, "192.0.2.7", 40000);
	expect_inet(&h.destination, "127.0.0.1", 443);
	expect_done(line, strlen(line), PROXY_HEADER_ANY, &h);
	expect_inet(&h.source, "192.0.2.7", 40000);
}

static void test_v1_tcp6(void **state)
{
	static const char line[] = "PROXY TCP6 2001:db8::7 ::1 0 65535\r\n";
	struct proxy_header h;

	(void)state;
	expect_done(line, strlen(line), PROXY_HEADER_ANY, &h);
	assert_int_equal(h.family, AF_INET6);
	expect_inet6(&h.source, "2001:db8::7", 0);
	expect_inet6(&h.destination, "::1", 65535);
}

static void test_v1_unknown(void **state)
{
	static const char bare[] = "PROXY UNKNOWN\r\n";
	static const char with_addresses[] = "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n";
	struct proxy_header h;

	(void)state;
	expect_done(bare, strlen(bare), PROXY_HEADER_V1, &h);
	assert_int_equal(h.family, AF_UNSPEC);
	assert_int_equal(h.command, PROXY_HEADER_PROXY);
	/* What follows UNKNOWN is ignored. */
	expect_done(with_addresses, strlen(with_addresses), PROXY_HEADER_V1, &h);
	assert_int_equal(h.family, AF_UNSPEC);
}

static void test_v1_longest(void **state)
{
	/* The spec's worst case is 107 bytes with its CRLF. */
	static const char line[] = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
				   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	char longer[PROXY_HEADER_V1_MAX + 1];
	struct proxy_header h;

	(void)state;
	assert_int_equal(strlen(line), PROXY_HEADER_V1_MAX);
	expect_done(line, strlen(line), PROXY_HEADER_V1, &h);
	/* One byte more and the CRLF is past 107 bytes. */
	memcpy(longer, line, PROXY_HEADER_V1_MAX - 2);
	memcpy(longer + PROXY_HEADER_V1_MAX - 2, "5\r\n", 3);
	expect_error(longer, sizeof longer, PROXY_HEADER_V1);
}

static void test_v1_no_crlf(void **state)
{
	char line[200];

	(void)state;
	memset(line, 'x', sizeof line);
	memcpy(line, "PROXY UNKNOWN ", 14);
	expect_error(line, sizeof line, PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2.7 127.0.0.1 1 2\n", PROXY_HEADER_V1);    /* LF alone */
	expect_error_text("PROXY TCP4 192.0.2.7 127.0.0.1 1 2\rX\n", PROXY_HEADER_V1); /* CR alone */
	expect_error_text("PROXY TCP4 192.0.2.7\x01 127.0.0.1 1 2\r\n", PROXY_HEADER_V1);
}

static void test_v1_bad_addresses(void **state)
{
	(void)state;
	expect_error_text("PROXY TCP4 1.2.3.4 x\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2.256 127.0.0.1 1 2\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2 127.0.0.1 1 2\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2.07 127.0.0.1 1 2\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 ::1 ::1 1 2\r\n", PROXY_HEADER_V1);             /* v6 in TCP4 */
	expect_error_text("PROXY TCP6 192.0.2.7 127.0.0.1 1 2\r\n", PROXY_HEADER_V1); /* v4 in TCP6 */
	expect_error_text("PROXY TCP6 2001:db8:::7 ::1 1 2\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP5 192.0.2.7 127.0.0.1 1 2\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY tcp4 192.0.2.7 127.0.0.1 1 2\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY \r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY UNKNOWNX\r\n", PROXY_HEADER_V1);
}

static void test_v1_bad_ports(void **state)
{
	(void)state;
	expect_error_text("PROXY TCP4 192.0.2.7 127.0.0.1 040000 443\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2.7 127.0.0.1 00 443\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2.7 127.0.0.1 65536 443\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2.7 127.0.0.1 99999 443\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2.7 127.0.0.1 +1 443\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2.7 127.0.0.1 1 -443\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2.7 127.0.0.1 1 44a\r\n", PROXY_HEADER_V1);
}

static void test_v1_spaces(void **state)
{
	(void)state;
	expect_error_text("PROXY  TCP4 192.0.2.7 127.0.0.1 1 2\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4  192.0.2.7 127.0.0.1 1 2\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2.7 127.0.0.1  1 2\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2.7 127.0.0.1 1 2 \r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2.7 127.0.0.1 1 2 3\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4 192.0.2.7 127.0.0.1 1\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXY TCP4\t192.0.2.7 127.0.0.1 1 2\r\n", PROXY_HEADER_V1);
	expect_error_text("PROXYTCP4 192.0.2.7 127.0.0.1 1 2\r\n", PROXY_HEADER_V1);
}

/* ---- version 2 ---- */

static void test_v2_inet(void **state)
{
	unsigned char header[64];
	size_t len = v2(header, 0x21, 0x11, inet_body, sizeof inet_body);
	struct proxy_header h;

	(void)state;
	expect_done(header, len, PROXY_HEADER_V2, &h);
	assert_int_equal(h.version, 2);
	assert_int_equal(h.command, PROXY_HEADER_PROXY);
	assert_int_equal(h.family, AF_INET);
	expect_inet(&h.source, "192.0.2.7", 40000);
	expect_inet(&h.destination, "127.0.0.1", 443);
	expect_done(header, len, PROXY_HEADER_ANY, &h);
}

static void test_v2_inet6(void **state)
{
	unsigned char header[64], body[36];
	size_t len = v2(header, 0x21, 0x21, body, inet6_body(body));
	struct proxy_header h;

	(void)state;
	expect_done(header, len, PROXY_HEADER_ANY, &h);
	assert_int_equal(h.family, AF_INET6);
	expect_inet6(&h.source, "2001:db8::7", 40000);
	expect_inet6(&h.destination, "::1", 443);
}

static void test_v2_unix(void **state)
{
	unsigned char header[16 + 216], body[216] = { 0 };
	size_t len;
	struct proxy_header h;
	const struct sockaddr_un *un = (const struct sockaddr_un *)&h.source;

	(void)state;
	memcpy(body, "/run/lb.sock", 12);
	memcpy(body + 108, "/run/sluice.sock", 16);
	len = v2(header, 0x21, 0x31, body, sizeof body);
	expect_done(header, len, PROXY_HEADER_ANY, &h);
	assert_int_equal(h.family, AF_UNIX);
	assert_int_equal(un->sun_family, AF_UNIX);
	assert_string_equal(un->sun_path, "/run/lb.sock");
	assert_string_equal(((const struct sockaddr_un *)&h.destination)->sun_path, "/run/sluice.sock");
	/* 215 bytes of addresses is short for UNIX. */
	len = v2(header, 0x21, 0x31, body, 215);
	expect_error(header, len, PROXY_HEADER_ANY);
}

static void test_v2_local_and_unspec(void **state)
{
	unsigned char header[64];
	size_t len;
	struct proxy_header h;

	(void)state;
	/* LOCAL: the balancer's own connection; family and body are ignored. */
	len = v2(header, 0x20, 0x00, "", 0);
	expect_done(header, len, PROXY_HEADER_V2, &h);
	assert_int_equal(h.command, PROXY_HEADER_LOCAL);
	assert_int_equal(h.family, AF_UNSPEC);
	len = v2(header, 0x20, 0x11, inet_body, sizeof inet_body);
	expect_done(header, len, PROXY_HEADER_V2, &h);
	assert_int_equal(h.command, PROXY_HEADER_LOCAL);
	assert_int_equal(h.family, AF_UNSPEC);
	/* PROXY with UNSPEC: keep the socket's peer. */
	len = v2(header, 0x21, 0x00, "", 0);
	expect_done(header, len, PROXY_HEADER_V2, &h);
	assert_int_equal(h.command, PROXY_HEADER_PROXY);
	assert_int_equal(h.family, AF_UNSPEC);
}

static void test_v2_tlvs(void **state)
{
	unsigned char header[PROXY_HEADER_MAX + 16], body[PROXY_HEADER_MAX];
	size_t len;
	struct proxy_header h;

	(void)state;
	memcpy(body, inet_body, 12);
	memcpy(body + 12,
	       "\x04\x00\x00"
	       "\x01\x00\x02h2",
	       8); /* NOOP empty, ALPN "h2" */
	len = v2(header, 0x21, 0x11, body, 20);
	expect_done(header, len, PROXY_HEADER_V2, &h);
	expect_inet(&h.source, "192.0.2.7", 40000);
	/* The longest: 512 bytes in all, one NOOP TLV filling it. */
	memset(body + 12, 0, sizeof body - 12);
	body[12] = 0x04;
	body[13] = (PROXY_HEADER_MAX - 16 - 12 - 3) >> 8;
	body[14] = (PROXY_HEADER_MAX - 16 - 12 - 3) & 0xff;
	len = v2(header, 0x21, 0x11, body, PROXY_HEADER_MAX - 16);
	assert_int_equal(len, PROXY_HEADER_MAX);
	expect_done(header, len, PROXY_HEADER_V2, &h);
	/* A TLV longer than what is left, and a TLV header cut short. */
	memcpy(body + 12,
	       "\x04\x00\x05"
	       "ab",
	       5);
	len = v2(header, 0x21, 0x11, body, 17);
	expect_error(header, len, PROXY_HEADER_V2);
	memcpy(body + 12, "\x04\x00", 2);
	len = v2(header, 0x21, 0x11, body, 14);
	expect_error(header, len, PROXY_HEADER_V2);
}

static void test_v2_malformed(void **state)
{
	unsigned char header[PROXY_HEADER_MAX + 64], body[PROXY_HEADER_MAX] = { 0 };
	size_t len;

	(void)state;
	memcpy(body, inet_body, 12);
	/* bad signature: each of the 12 bytes changed */
	for (int i = 0; i < 12; i++) {
		len = v2(header, 0x21, 0x11, body, 12);
		header[i] ^= 0x40;
		expect_error(header, len, PROXY_HEADER_ANY);
	}
	/* bad version (1 and 3), bad command (2 and 15) */
	expect_error(header, v2(header, 0x11, 0x11, body, 12), PROXY_HEADER_V2);
	expect_error(header, v2(header, 0x31, 0x11, body, 12), PROXY_HEADER_V2);
	expect_error(header, v2(header, 0x22, 0x11, body, 12), PROXY_HEADER_V2);
	expect_error(header, v2(header, 0x2f, 0x11, body, 12), PROXY_HEADER_V2);
	/* bad family, DGRAM, no transport, unknown transport */
	expect_error(header, v2(header, 0x21, 0x41, body, 12), PROXY_HEADER_V2);
	expect_error(header, v2(header, 0x21, 0x01, body, 12), PROXY_HEADER_V2);
	expect_error(header, v2(header, 0x21, 0x12, body, 12), PROXY_HEADER_V2);
	expect_error(header, v2(header, 0x21, 0x22, body, 36), PROXY_HEADER_V2);
	expect_error(header, v2(header, 0x21, 0x32, body, 216), PROXY_HEADER_V2);
	expect_error(header, v2(header, 0x21, 0x10, body, 12), PROXY_HEADER_V2);
	expect_error(header, v2(header, 0x21, 0x13, body, 12), PROXY_HEADER_V2);
	/* short length for the family */
	expect_error(header, v2(header, 0x21, 0x11, body, 11), PROXY_HEADER_V2);
	expect_error(header, v2(header, 0x21, 0x21, body, 35), PROXY_HEADER_V2);
	/* longer than 512 bytes in all */
	expect_error(header, v2(header, 0x21, 0x11, body, PROXY_HEADER_MAX - 15), PROXY_HEADER_V2);
}

static void test_truncated(void **state)
{
	unsigned char header[64];
	size_t len = v2(header, 0x21, 0x11, inet_body, sizeof inet_body);
	static const char line[] = "PROXY TCP4 192.0.2.7 127.0.0.1 40000 443\r\n";
	struct proxy_header h;

	(void)state;
	/* Every strict prefix waits for more (expect_done checks each); the
	 * connection's deadline, not the parser, ends a header that stops. */
	assert_int_equal(parse(header, len - 1, PROXY_HEADER_ANY, &h), PROXY_HEADER_NEED_MORE);
	assert_int_equal(parse(line, strlen(line) - 1, PROXY_HEADER_ANY, &h), PROXY_HEADER_NEED_MORE);
	assert_int_equal(parse("", 0, PROXY_HEADER_ANY, &h), PROXY_HEADER_NEED_MORE);
}

static void test_mode_gating(void **state)
{
	unsigned char header[64];
	size_t len = v2(header, 0x21, 0x11, inet_body, sizeof inet_body);
	static const char line[] = "PROXY TCP4 192.0.2.7 127.0.0.1 40000 443\r\n";
	struct proxy_header h;

	(void)state;
	expect_error(line, strlen(line), PROXY_HEADER_V2);
	expect_error(header, len, PROXY_HEADER_V1);
	/* The first byte tells: no waiting for the rest. */
	assert_int_equal(parse(line, 1, PROXY_HEADER_V2, &h), PROXY_HEADER_ERROR);
	assert_int_equal(parse(header, 1, PROXY_HEADER_V1, &h), PROXY_HEADER_ERROR);
	/* No header at all: a TLS ClientHello, an HTTP request. */
	expect_error("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11, PROXY_HEADER_ANY);
	expect_error_text("GET / HTTP/1.1\r\n\r\n", PROXY_HEADER_ANY);
	expect_error_text("PROXZ TCP4 192.0.2.7 127.0.0.1 1 2\r\n", PROXY_HEADER_ANY);
}

/* ---- proxy_from ---- */

static bool matches(const char *cidr_text, const char *peer_text)
{
	struct proxy_cidr cidr;
	struct sockaddr_storage ss = { 0 };

	assert_true(proxy_cidr_parse(cidr_text, &cidr));
	if (strchr(peer_text, ':') != NULL) {
		ss.ss_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, peer_text, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
	} else {
		ss.ss_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, peer_text, &((struct sockaddr_in *)&ss)->sin_addr), 1);
	}
	return proxy_cidr_match(&cidr, (const struct sockaddr *)&ss);
}

static void test_cidr(void **state)
{
	struct proxy_cidr cidr;

	(void)state;
	assert_true(matches("127.0.0.1", "127.0.0.1"));
	assert_false(matches("127.0.0.1", "127.0.0.2"));
	assert_true(matches("10.0.0.0/8", "10.255.1.2"));
	assert_false(matches("10.0.0.0/8", "11.0.0.1"));
	assert_true(matches("192.0.2.128/25", "192.0.2.200"));
	assert_false(matches("192.0.2.128/25", "192.0.2.127"));
	assert_true(matches("0.0.0.0/0", "203.0.113.9"));
	assert_false(matches("0.0.0.0/0", "::1"));
	assert_true(matches("127.0.0.1", "::ffff:127.0.0.1")); /* a dual-stack listener */
	assert_true(matches("::1", "::1"));
	assert_true(matches("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(matches("2001:db8::/32", "2001:db9::1"));
	assert_false(matches("::1", "127.0.0.1"));
	assert_false(proxy_cidr_parse("10.1.0.0/8", &cidr)); /* bits past the prefix */
	assert_false(proxy_cidr_parse("10.0.0.0/33", &cidr));
	assert_false(proxy_cidr_parse("10.0.0.0/08", &cidr));
	assert_false(proxy_cidr_parse("10.0.0.0/", &cidr));
	assert_false(proxy_cidr_parse("10.0.0.0/x", &cidr));
	assert_false(proxy_cidr_parse("::/129", &cidr));
	assert_false(proxy_cidr_parse("localhost", &cidr));
	assert_false(proxy_cidr_parse("", &cidr));
	assert_false(proxy_cidr_parse("010.0.0.1", &cidr));
	assert_true(proxy_cidr_parse("::/0", &cidr));
	assert_int_equal(cidr.prefix, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_tcp4),      cmocka_unit_test(test_v1_tcp6),
		cmocka_unit_test(test_v1_unknown),   cmocka_unit_test(test_v1_longest),
		cmocka_unit_test(test_v1_no_crlf),   cmocka_unit_test(test_v1_bad_addresses),
		cmocka_unit_test(test_v1_bad_ports), cmocka_unit_test(test_v1_spaces),
		cmocka_unit_test(test_v2_inet),      cmocka_unit_test(test_v2_inet6),
		cmocka_unit_test(test_v2_unix),      cmocka_unit_test(test_v2_local_and_unspec),
		cmocka_unit_test(test_v2_tlvs),      cmocka_unit_test(test_v2_malformed),
		cmocka_unit_test(test_truncated),    cmocka_unit_test(test_mode_gating),
		cmocka_unit_test(test_cidr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
