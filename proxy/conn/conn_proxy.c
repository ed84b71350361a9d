/*
 * proxy/conn/conn_proxy.c: the PROXY protocol header a load balancer sends
 * before the tenant's first byte ([proxy] proxy_protocol, proxy_from).
 *
 * The header is read before the TLS handshake, and not one byte past it:
 * what follows is the tenant's TLS (or plain) stream. Each read peeks at
 * what the socket holds, parses everything received so far
 * (protocol/proxy_header.c), and then takes from the socket only bytes that
 * are the header's: all of them while it is incomplete (so the socket is
 * drained and the watcher waits for more), exactly its rest once it is
 * whole. The [timeouts] handshake deadline covers the header and the TLS
 * handshake together.
 *
 * A connection from an address not in proxy_from, or whose header is
 * missing, malformed or late, is closed without a word (before TLS there
 * is no way to say one) and counted in proxy_header_rejected.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn/conn_internal.h"
#include "net/counter.h"
#include "net/log.h"
#include "proxy_header.h"

/* [proxy] proxy_protocol's values are the parser's mode bits. */
_Static_assert((unsigned)CONFIG_PROXY_PROTOCOL_V1 == PROXY_HEADER_V1 &&
		       (unsigned)CONFIG_PROXY_PROTOCOL_V2 == PROXY_HEADER_V2 &&
		       (unsigned)CONFIG_PROXY_PROTOCOL_ANY == PROXY_HEADER_ANY,
	       "proxy_protocol values are enum proxy_header_mode bits");

struct conn_proxy {
	unsigned mode; /* enum proxy_header_mode: the connection's configuration */
	size_t have;   /* header bytes taken from the socket so far */
	unsigned char bytes[PROXY_HEADER_MAX];
};

static void reject(struct conn *c, const char *why)
{
	COUNTER_INC(c->ctx->counters->proxy_header_rejected);
	conn_log(c, CONFIG_LOG_INFO, "PROXY protocol: %s; closing", why);
	conn_doom(c, "PROXY header rejected");
}

/* proxy_from was checked when the configuration was loaded: every entry parses. */
static bool may_send_header(const struct config_proxy *cfg, const struct sockaddr *peer)
{
	return proxy_cidr_any(cfg->proxy_from, cfg->proxy_from_count, peer);
}

void conn_proxy_start(struct conn *c, const struct sockaddr *peer)
{
	const struct config_proxy *cfg = &c->rc->cfg->proxy;

	if (cfg->proxy_protocol == CONFIG_PROXY_PROTOCOL_OFF)
		return;
	if (!may_send_header(cfg, peer)) {
		reject(c, "the peer is not in [proxy] proxy_from");
		return;
	}
	c->proxy = calloc(1, sizeof *c->proxy);
	if (c->proxy == NULL) {
		conn_log(c, CONFIG_LOG_ERROR, "out of memory for a PROXY header; closing");
		conn_doom(c, "out of memory");
		return;
	}
	c->proxy->mode = (unsigned)cfg->proxy_protocol;
	c->tenant.readable = true;
}

void conn_proxy_free(struct conn *c)
{
	free(c->proxy);
	c->proxy = NULL;
}

void conn_proxy_expired(struct conn *c)
{
	reject(c, "no whole header within [timeouts] handshake");
}

/* The header names the tenant: its address replaces the socket's. */
static bool take_source(struct conn *c, const struct proxy_header *h)
{
	const struct sockaddr *source = (const struct sockaddr *)&h->source;
	char was[sizeof c->peer];

	if (h->command == PROXY_HEADER_LOCAL || h->family == AF_UNSPEC) {
		conn_log(c, CONFIG_LOG_DEBUG, "PROXY v%d header (%s): keeping the socket's address",
			 h->version, h->command == PROXY_HEADER_LOCAL ? "LOCAL" : "UNKNOWN");
		return true;
	}
	snprintf(was, sizeof was, "%s", c->peer);
	runconf_format_address(source, h->address_len, c->peer, sizeof c->peer);
	conn_log(c, CONFIG_LOG_DEBUG, "PROXY v%d header from %s", h->version, was);
	if (c->ctx->peer_changed != NULL && !c->ctx->peer_changed(c->ctx, c, source)) {
		COUNTER_INC(c->ctx->counters->connections_refused);
		conn_log(c, CONFIG_LOG_INFO, "over [limits] connections_per_address; closing");
		conn_doom(c, "over [limits] connections_per_address");
		return false;
	}
	return true;
}

/* Take n bytes the socket was seen to hold into the header's buffer. */
static bool take(struct conn *c, size_t n)
{
	struct conn_proxy *p = c->proxy;
	ssize_t got;

	do
		got = recv(c->tenant.fd, p->bytes + p->have, n, 0);
	while (got < 0 && errno == EINTR);
	if (got < 0 || (size_t)got != n) {
		reject(c, got < 0 ? strerror(errno) : "the socket gave back less than it showed");
		return false;
	}
	p->have += n;
	return true;
}

bool conn_proxy_read(struct conn *c)
{
	struct conn_proxy *p = c->proxy;
	struct proxy_header h;
	enum proxy_header_status st;
	ssize_t n;

	if (!c->tenant.readable)
		return false;
	do
		n = recv(c->tenant.fd, p->bytes + p->have, sizeof p->bytes - p->have, MSG_PEEK);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->tenant.readable = false;
		return false;
	}
	if (n <= 0) {
		reject(c, n == 0 ? "the peer closed before a whole header" : strerror(errno));
		return false;
	}
	st = proxy_header_parse(p->bytes, p->have + (size_t)n, p->mode, &h);
	if (st == PROXY_HEADER_ERROR) {
		reject(c, h.error);
		return false;
	}
	if (!take(c, st == PROXY_HEADER_DONE ? h.length - p->have : (size_t)n))
		return false;
	if (st == PROXY_HEADER_NEED_MORE) {
		c->tenant.readable = false; /* all it held was taken: wait for more */
		return false;
	}
	if (!take_source(c, &h))
		return false;
	conn_proxy_free(c);
	c->tenant.readable = true; /* the tenant's first bytes may be there already */
	return true;
}
