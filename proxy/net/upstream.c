/*
 * proxy/net/upstream.c: connecting to the repository (see upstream.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "net/upstream.h"

void upstream_init(struct upstream *u)
{
	memset(u, 0, sizeof *u);
	u->ep.fd = -1;
	u->state = UPSTREAM_NONE;
}

bool upstream_connecting(const struct upstream *u)
{
	return u->state == UPSTREAM_CONNECTING || u->state == UPSTREAM_HANDSHAKE;
}

static enum upstream_step handshake(struct upstream *u, char *why, size_t why_size)
{
	enum endpoint_status st = endpoint_handshake(&u->ep);
	char detail[TLS_ERROR_MAX];
	long verify;

	if (st == ENDPOINT_OK) {
		u->state = UPSTREAM_READY;
		return UPSTREAM_STEP_READY;
	}
	if (st == ENDPOINT_AGAIN)
		return UPSTREAM_STEP_WAIT;
	verify = SSL_get_verify_result(u->ep.ssl);
	if (verify != X509_V_OK) {
		snprintf(why, why_size,
			 "TLS with the repository at %s: certificate not accepted: %s; "
			 "check [proxy] upstream_ca and upstream_name",
			 u->address, X509_verify_cert_error_string(verify));
	} else {
		tls_error_text(detail, sizeof detail);
		snprintf(why, why_size, "TLS with the repository at %s failed: %s", u->address, detail);
	}
	return UPSTREAM_STEP_FAILED;
}

/* TCP is up: ready, or on to the TLS handshake. */
static enum upstream_step connected(struct upstream *u, const struct runconf *rc, char *why, size_t why_size)
{
	SSL *ssl;

	u->ep.handshake_wants = 0;
	u->ep.write_blocked = false;
	if (rc->upstream_tls == NULL) {
		u->state = UPSTREAM_READY;
		return UPSTREAM_STEP_READY;
	}
	ssl = tls_upstream_ssl_new(rc->upstream_tls, rc->upstream_name);
	if (ssl == NULL || SSL_set_fd(ssl, u->ep.fd) != 1) {
		SSL_free(ssl);
		snprintf(why, why_size, "TLS with the repository at %s: cannot set up (out of memory?)",
			 u->address);
		return UPSTREAM_STEP_FAILED;
	}
	u->ep.ssl = ssl;
	u->state = UPSTREAM_HANDSHAKE;
	return handshake(u, why, why_size);
}

/* [limits] upstream_receive_buffer: a fixed receive buffer bounds what the
 * kernel holds for a connection whose tenant reads slowly (sluice stops
 * reading the repository once its ring is full, and the repository's bytes
 * then wait in this buffer). Set before connect(), so that the window scale
 * offered in the SYN fits it. Linux then stops autotuning this socket. */
static void set_receive_buffer(int fd, const struct runconf *rc)
{
	size_t bytes = rc->cfg->limits.upstream_receive_buffer;
	int value;

	if (bytes == 0)
		return;
	value = bytes > INT_MAX ? INT_MAX : (int)bytes;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, sizeof value);
}

static int open_socket(const struct runconf_address *a, const struct runconf *rc)
{
	int fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd >= 0 && a->addr.ss_family != AF_UNIX) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		set_receive_buffer(fd, rc);
	}
	return fd;
}

/* Try the remaining addresses until one connects or is in progress. */
static enum upstream_step try_addresses(struct upstream *u, const struct runconf *rc, struct ev_loop *loop,
					endpoint_cb *cb, void *owner, char *why, size_t why_size)
{
	while (u->next < rc->upstream_count) {
		const struct runconf_address *a = &rc->upstream[u->next++];
		int fd, rv;

		snprintf(u->address, sizeof u->address, "%s", a->text);
		fd = open_socket(a, rc);
		if (fd < 0) {
			snprintf(why, why_size, "cannot create a socket for the repository at %s: %s",
				 a->text, strerror(errno));
			continue;
		}
		endpoint_init(&u->ep, fd, NULL, cb, owner);
		rv = connect(fd, (const struct sockaddr *)&a->addr, a->len);
		if (rv == 0)
			return connected(u, rc, why, why_size);
		if (errno == EINPROGRESS) {
			u->state = UPSTREAM_CONNECTING;
			u->ep.handshake_wants = EV_WRITE; /* connect completes when writable */
			u->ep.write_blocked = true;
			return UPSTREAM_STEP_WAIT;
		}
		snprintf(why, why_size, "cannot connect to the repository at %s: %s", a->text,
			 strerror(errno));
		endpoint_close(&u->ep, loop);
	}
	u->state = UPSTREAM_GONE;
	return UPSTREAM_STEP_FAILED;
}

enum upstream_step upstream_open(struct upstream *u, const struct runconf *rc, struct ev_loop *loop,
				 endpoint_cb *cb, void *owner, char *why, size_t why_size)
{
	u->next = 0;
	u->started = ev_now(loop);
	snprintf(why, why_size, "the repository has no address");
	return try_addresses(u, rc, loop, cb, owner, why, why_size);
}

enum upstream_step upstream_continue(struct upstream *u, const struct runconf *rc, struct ev_loop *loop,
				     endpoint_cb *cb, void *owner, char *why, size_t why_size)
{
	int err = 0;
	socklen_t len = sizeof err;
	enum upstream_step step;

	if (u->state == UPSTREAM_HANDSHAKE) {
		step = handshake(u, why, why_size);
		if (step == UPSTREAM_STEP_FAILED)
			upstream_close(u, loop);
		return step;
	}
	if (u->state != UPSTREAM_CONNECTING)
		return u->state == UPSTREAM_READY ? UPSTREAM_STEP_READY : UPSTREAM_STEP_FAILED;
	if (u->ep.write_blocked)
		return UPSTREAM_STEP_WAIT; /* no EV_WRITE yet: the connect is still in progress */
	if (getsockopt(u->ep.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return UPSTREAM_STEP_WAIT;
	if (err == 0) {
		step = connected(u, rc, why, why_size);
		if (step == UPSTREAM_STEP_FAILED)
			upstream_close(u, loop);
		return step;
	}
	snprintf(why, why_size, "cannot connect to the repository at %s: %s", u->address, strerror(err));
	endpoint_close(&u->ep, loop);
	return try_addresses(u, rc, loop, cb, owner, why, why_size);
}

void upstream_close(struct upstream *u, struct ev_loop *loop)
{
	endpoint_close(&u->ep, loop);
	u->state = UPSTREAM_GONE;
}

void upstream_move(struct upstream *to, struct upstream *from, struct ev_loop *loop, endpoint_cb *cb,
		   void *owner)
{
	ev_io_stop(loop, &from->ep.io);
	*to = *from;
	endpoint_move(&to->ep, &from->ep);
	ev_set_cb(&to->ep.io, cb);
	to->ep.io.data = owner;
	/* ev_io_modify, not ev_io_set: the descriptor is the same, so libev need
	 * not register it with the kernel again (no epoll_ctl when the mask
	 * stays EV_READ). */
	ev_io_modify(&to->ep.io, EV_READ);
	ev_io_start(loop, &to->ep.io);
	to->ep.events = EV_READ;
	from->state = UPSTREAM_GONE;
}

bool upstream_idle_usable(const struct upstream *u, bool peek)
{
	char byte;
	ssize_t n;

	if (u->state != UPSTREAM_READY || u->ep.fd < 0 || u->ep.failed)
		return false;
	if (u->ep.ssl != NULL && (SSL_has_pending(u->ep.ssl) == 1 || !SSL_is_init_finished(u->ep.ssl)))
		return false;
	/* Nothing of a write may be pending (a same-span retry, records held). */
	if (u->ep.retry_len != 0 || u->ep.gathered != 0 || u->ep.write_blocked ||
	    (u->ep.own_bio && tlsbio_held(&u->ep.bio) > 0))
		return false;
	if (!peek)
		return true;
	do
		n = recv(u->ep.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}
