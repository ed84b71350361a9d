/*
 * tools/tenant/tenant_conn.c: blocking TCP and TLS streams (see tenant_conn.h).
 *
 * Blocking I/O with SO_RCVTIMEO/SO_SNDTIMEO keeps the job code a plain
 * sequence of calls; each worker thread owns its connections, so nothing here
 * is shared but the SSL_CTX. A server that closes without close_notify after
 * its last answer is normal for HTTP (the framer knows where answers end), so
 * an unexpected EOF reads as an ordinary close.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tenant_conn.h"

struct tenant_conn {
	int fd;
	SSL *ssl; /* NULL: plain */
};

static void openssl_error(char *err, size_t errsize, const char *what)
{
	unsigned long e = ERR_get_error();
	char reason[256] = "unknown error";

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	snprintf(err, errsize, "%s: %s", what, reason);
	ERR_clear_error();
}

SSL_CTX *conn_tls_context(const char *ca_file, char *err, size_t errsize)
{
	static const unsigned char alpn[] = "\x08http/1.1";
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		openssl_error(err, errsize, "TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (ca_file != NULL && ca_file[0] != '\0') {
		if (SSL_CTX_load_verify_file(ctx, ca_file) != 1) {
			char what[300];

			snprintf(what, sizeof(what), "cannot load the CA file %s (--ca wants PEM)", ca_file);
			openssl_error(err, errsize, what);
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		openssl_error(err, errsize, "cannot load the system CA store (give --ca FILE)");
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1) != 0) {
		openssl_error(err, errsize, "TLS ALPN");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void set_io_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = CONN_IO_TIMEOUT_S, .tv_usec = 0 };
	int one = 1;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* A connected blocking socket, or -1 with errno set. */
static int connect_one(const struct addrinfo *ai)
{
	struct pollfd pfd;
	int fd, flags, soerr = 0, r;
	socklen_t len = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -1;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		do
			r = poll(&pfd, 1, CONN_CONNECT_TIMEOUT_MS);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			errno = ETIMEDOUT;
		if (r <= 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, flags) < 0)
		goto fail;
	set_io_timeouts(fd);
	return fd;
fail:
	r = errno;
	close(fd);
	errno = r;
	return -1;
}

static int connect_tcp(const char *host, const char *port, char *err, size_t errsize)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *list, *ai;
	int fd = -1, gai, saved = 0;

	gai = getaddrinfo(host, port, &hints, &list);
	if (gai != 0) {
		snprintf(err, errsize, "cannot resolve %s: %s", host, gai_strerror(gai));
		return -1;
	}
	for (ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = connect_one(ai);
		if (fd < 0)
			saved = errno;
	}
	freeaddrinfo(list);
	if (fd < 0)
		snprintf(err, errsize, "cannot connect to %s port %s: %s", host, port, strerror(saved));
	return fd;
}

static bool is_address_literal(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static bool tls_handshake(struct tenant_conn *c, SSL_CTX *tls, const char *host, char *err, size_t errsize)
{
	long verify;

	c->ssl = SSL_new(tls);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		openssl_error(err, errsize, "TLS session");
		return false;
	}
	if (is_address_literal(host)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) != 1) {
			openssl_error(err, errsize, "TLS peer address");
			return false;
		}
	} else if (SSL_set_tlsext_host_name(c->ssl, host) != 1 || SSL_set1_host(c->ssl, host) != 1) {
		openssl_error(err, errsize, "TLS server name");
		return false;
	}
	ERR_clear_error();
	if (SSL_connect(c->ssl) == 1)
		return true;
	verify = SSL_get_verify_result(c->ssl);
	if (verify != X509_V_OK) {
		snprintf(err, errsize,
			 "TLS: the certificate of %s is not trusted: %s (check --ca and "
			 "the name in --connect)",
			 host, X509_verify_cert_error_string(verify));
		ERR_clear_error();
	} else if (ERR_peek_error() != 0) {
		openssl_error(err, errsize, "TLS handshake (is it a TLS port? --plain speaks HTTP)");
	} else {
		snprintf(err, errsize,
			 "TLS handshake with %s failed: %s (is it a TLS port? "
			 "--plain speaks HTTP)",
			 host, errno != 0 ? strerror(errno) : "connection closed");
	}
	return false;
}

struct tenant_conn *conn_open(const char *host, const char *port, SSL_CTX *tls, char *err, size_t errsize)
{
	struct tenant_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	c->fd = connect_tcp(host, port, err, errsize);
	if (c->fd < 0) {
		free(c);
		return NULL;
	}
	if (tls != NULL && !tls_handshake(c, tls, host, err, errsize)) {
		conn_close(c);
		return NULL;
	}
	return c;
}

void conn_close(struct tenant_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		(void)SSL_shutdown(c->ssl); /* one close_notify; no wait for the peer's */
		SSL_free(c->ssl);
		ERR_clear_error();
	}
	close(c->fd);
	free(c);
}

static void errno_error(char *err, size_t errsize, const char *what, int e)
{
	if (e == EAGAIN || e == EWOULDBLOCK)
		snprintf(err, errsize, "%s: no progress for %d s", what, CONN_IO_TIMEOUT_S);
	else
		snprintf(err, errsize, "%s: %s", what, strerror(e));
}

ssize_t conn_read(struct tenant_conn *c, void *buf, size_t len, char *err, size_t errsize)
{
	ssize_t n;
	int e;

	if (c->ssl == NULL) {
		do
			n = recv(c->fd, buf, len, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			errno_error(err, errsize, "reading from the server", errno);
		return n;
	}
	ERR_clear_error();
	errno = 0;
	n = SSL_read(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	if (n > 0)
		return n;
	e = SSL_get_error(c->ssl, (int)n);
	if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0))
		return 0;
	if (e == SSL_ERROR_SYSCALL)
		errno_error(err, errsize, "reading from the server", errno);
	else
		openssl_error(err, errsize, "TLS read");
	return -1;
}

bool conn_write(struct tenant_conn *c, const void *buf, size_t len, char *err, size_t errsize)
{
	const char *p = buf;

	while (len > 0) {
		size_t chunk = len > INT32_MAX ? INT32_MAX : len;
		ssize_t n;

		if (c->ssl == NULL) {
			n = send(c->fd, p, chunk, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				errno_error(err, errsize, "writing to the server", errno);
				return false;
			}
		} else {
			ERR_clear_error();
			errno = 0;
			n = SSL_write(c->ssl, p, (int)chunk);
			if (n <= 0) {
				if (SSL_get_error(c->ssl, (int)n) == SSL_ERROR_SYSCALL)
					errno_error(err, errsize, "writing to the server",
						    errno != 0 ? errno : EPIPE);
				else
					openssl_error(err, errsize, "TLS write");
				return false;
			}
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

bool conn_wait_readable(struct tenant_conn *c, int timeout_ms)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	int r;

	if (c->ssl != NULL && SSL_pending(c->ssl) > 0)
		return true;
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

bool conn_stale(struct tenant_conn *c)
{
	char byte;
	int flags, n;
	bool stale;

	if (!conn_wait_readable(c, 0))
		return false;
	if (c->ssl == NULL) {
		n = (int)recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
		return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
	}
	/* Readable TLS may only be a post-handshake record (a session ticket):
	 * let OpenSSL look without blocking. */
	flags = fcntl(c->fd, F_GETFL);
	if (flags < 0 || fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return true;
	ERR_clear_error();
	n = SSL_peek(c->ssl, &byte, 1);
	stale = !(n <= 0 && SSL_get_error(c->ssl, n) == SSL_ERROR_WANT_READ);
	ERR_clear_error();
	if (fcntl(c->fd, F_SETFL, flags) < 0)
		stale = true;
	return stale;
}
