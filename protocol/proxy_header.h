/*
 * protocol/proxy_header.h: the PROXY protocol header (versions 1 and 2) a
 * load balancer sends before the tenant's own bytes, and the address
 * prefixes ([proxy] proxy_from) allowed to send one.
 *
 * Pure: no I/O, no globals, no allocation. The parser is given every byte
 * received so far (from the first one) and may be called again with more:
 * it answers NEED_MORE while those bytes are a valid beginning of a header,
 * DONE with the exact length of the header (the bytes after it are the
 * tenant's), or ERROR with a short reason. Anything it cannot prove to be a
 * header is an error: a LOCAL or UNKNOWN header means "use the socket's
 * peer", never a guess. The grammar is HAProxy's doc/proxy-protocol.txt.
 */
#ifndef SLUICE_PROXY_HEADER_H
#define SLUICE_PROXY_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PROXY_HEADER_V1_MAX 107 /* the longest v1 line, CRLF included */
#define PROXY_HEADER_V2_MIN 16  /* signature, version and command, family, length */
#define PROXY_HEADER_MAX 512    /* the longest header accepted (v2 with its TLVs) */

/* Which versions a listener accepts ([proxy] proxy_protocol), as bits. */
enum proxy_header_mode {
	PROXY_HEADER_V1 = 1u << 0,
	PROXY_HEADER_V2 = 1u << 1,
	PROXY_HEADER_ANY = PROXY_HEADER_V1 | PROXY_HEADER_V2
};

enum proxy_header_status {
	PROXY_HEADER_NEED_MORE, /* a valid beginning: call again with more bytes */
	PROXY_HEADER_DONE,      /* a whole header: see struct proxy_header */
	PROXY_HEADER_ERROR      /* not a header the mode allows: close */
};

enum proxy_header_command {
	PROXY_HEADER_LOCAL, /* v2 LOCAL (the balancer's own check): use the socket's peer */
	PROXY_HEADER_PROXY  /* relayed: the addresses below, unless family is AF_UNSPEC */
};

struct proxy_header {
	size_t length; /* DONE: bytes of the header, exactly */
	int version;   /* 1 or 2 (DONE) */
	enum proxy_header_command command;
	/* AF_INET, AF_INET6, AF_UNIX; AF_UNSPEC for v1 UNKNOWN, v2 UNSPEC and
	 * LOCAL: then the addresses are not set, use the socket's peer. */
	int family;
	struct sockaddr_storage source; /* the tenant as the balancer saw it */
	struct sockaddr_storage destination;
	socklen_t address_len;
	const char *error; /* ERROR: a short reason (static text) */
};

/* Parse data[0..len), everything received so far, under mode (bits of enum
 * proxy_header_mode). out is filled on DONE, out->error on ERROR. */
enum proxy_header_status proxy_header_parse(const void *data, size_t len, unsigned mode,
					    struct proxy_header *out);

/* An address or a CIDR prefix of [proxy] proxy_from: "192.0.2.7",
 * "10.0.0.0/8", "::1", "2001:db8::/32". */
struct proxy_cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t address[16];
	unsigned prefix; /* bits that must match: 0..32 or 0..128 */
};

/* Parse one entry: false when it is neither an address nor address/bits,
 * or when it has bits set past the prefix (10.1.0.0/8 is a typo for
 * something). */
bool proxy_cidr_parse(const char *text, struct proxy_cidr *out);

/* Does peer fall in the prefix? An IPv4-mapped IPv6 peer (::ffff:a.b.c.d,
 * from a dual-stack listener) matches as the IPv4 address it is. */
bool proxy_cidr_match(const struct proxy_cidr *cidr, const struct sockaddr *peer);
/* Does peer fall in any of the count entries (an entry that does not parse
 * matches nothing)? */
bool proxy_cidr_any(char *const *entries, size_t count, const struct sockaddr *peer);

#endif
