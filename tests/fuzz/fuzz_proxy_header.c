/*
 * tests/fuzz/fuzz_proxy_header.c: libFuzzer harness for the PROXY protocol
 * header parser (protocol/proxy_header.c) and the proxy_from prefixes.
 *
 * The input is parsed whole under every mode, and again fed one growing
 * prefix at a time, as a socket delivers it: the answers must agree with
 * proxy_header.h. A DONE header is at most 512 bytes (107 for v1) and no
 * longer than the input, and every shorter prefix of it is NEED_MORE; an
 * ERROR carries a reason; an ERROR of a prefix stays an ERROR with more
 * bytes. Any violation aborts, which libFuzzer reports as a crash.
 */
#include "autoconfig.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_header.h"
#include "tests/fuzz/harness_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_done(const struct proxy_header *h, size_t size)
{
	CHECK(h->length >= 1 && h->length <= size && h->length <= PROXY_HEADER_MAX);
	CHECK(h->version == 1 || h->version == 2);
	CHECK(h->version == 2 || h->length <= PROXY_HEADER_V1_MAX);
	CHECK(h->version == 1 || h->length >= PROXY_HEADER_V2_MIN);
	CHECK(h->family == AF_UNSPEC || h->family == AF_INET || h->family == AF_INET6 ||
	      h->family == AF_UNIX);
	CHECK(h->command == PROXY_HEADER_PROXY || h->family == AF_UNSPEC);
	CHECK(h->family == AF_UNSPEC || ((const struct sockaddr *)&h->source)->sa_family == h->family);
	CHECK(h->family == AF_UNSPEC || h->address_len > 0);
}

/* Whole, then one prefix after another: NEED_MORE until the answer. */
static void fuzz_mode(const uint8_t *data, size_t size, unsigned mode)
{
	struct proxy_header whole, part;
	enum proxy_header_status st = proxy_header_parse(data, size, mode, &whole);
	size_t limit = size < PROXY_HEADER_MAX + 1 ? size : PROXY_HEADER_MAX + 1;

	if (st == PROXY_HEADER_DONE)
		check_done(&whole, size);
	if (st == PROXY_HEADER_ERROR)
		CHECK(whole.error != NULL && whole.error[0] != '\0');
	if (st == PROXY_HEADER_NEED_MORE)
		CHECK(size < PROXY_HEADER_MAX);
	for (size_t n = 0; n <= limit; n++) {
		enum proxy_header_status p = proxy_header_parse(data, n, mode, &part);

		if (p == PROXY_HEADER_NEED_MORE)
			continue;
		/* The first answer that is not NEED_MORE is the final one. */
		CHECK(p == st);
		if (p == PROXY_HEADER_DONE) {
			CHECK(part.length == n && part.length == whole.length);
			CHECK(part.family == whole.family && part.command == whole.command);
			CHECK(memcmp(&part.source, &whole.source, sizeof part.source) == 0);
		}
		break;
	}
}

static void fuzz_cidr(const uint8_t *data, size_t size)
{
	char text[64];
	struct proxy_cidr cidr;
	struct sockaddr_storage ss;

	if (size >= sizeof text)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!proxy_cidr_parse(text, &cidr))
		return;
	CHECK(cidr.family == AF_INET ? cidr.prefix <= 32 : cidr.family == AF_INET6 && cidr.prefix <= 128);
	/* The prefix's own address is in it. */
	memset(&ss, 0, sizeof ss);
	ss.ss_family = (sa_family_t)cidr.family;
	if (cidr.family == AF_INET)
		memcpy(&((struct sockaddr_in *)&ss)->sin_addr, cidr.address, 4);
	else
		memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, cidr.address, 16);
	CHECK(proxy_cidr_match(&cidr, (const struct sockaddr *)&ss));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_mode(data, size, PROXY_HEADER_ANY);
	fuzz_mode(data, size, PROXY_HEADER_V1);
	fuzz_mode(data, size, PROXY_HEADER_V2);
	fuzz_cidr(data, size);
	return 0;
}
