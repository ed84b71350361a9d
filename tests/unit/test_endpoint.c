/*
 * tests/unit/test_endpoint.c: writes on a TLS endpoint (proxy/net/endpoint.c)
 * against an OpenSSL client over a socketpair: a span of several records is
 * written whole in one call, a slow reader keeps it (the same span is passed
 * again and nothing is counted before all of it is out), the bytes arrive
 * unchanged, and close_notify follows them.
 */
#include "autoconfig.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "net/endpoint.h"

#define SPAN (64 * 1024)
#define RECEIVED_MAX (5 * SPAN) /* room to spare: a read that finds nothing ends client_read() */

struct tls_pair {
	SSL_CTX *server_ctx, *client_ctx;
	struct endpoint ep; /* the server side */
	SSL *client;
	int client_fd;
	unsigned char *sent, *received;
	size_t received_len;
};

/* send(2) as on a nearly full socket when short_sends is set: the next send
 * takes 10 bytes and the ones after it would block. OpenSSL's own socket BIO
 * (the peer's side here) writes with write(2) and is not affected. */
static int short_sends;

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	static ssize_t (*real_send)(int, const void *, size_t, int);

	if (real_send == NULL)
		real_send = (ssize_t(*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
	if (short_sends == 1 && len > 10) {
		short_sends = 2;
		return real_send(fd, buf, 10, flags);
	}
	if (short_sends == 2) {
		errno = EAGAIN;
		return -1;
	}
	return real_send(fd, buf, len, flags);
}

static void no_event(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

/* A self-signed P-256 certificate, made for the test. */
static SSL_CTX *server_ctx_new(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name = cert != NULL ? X509_get_subject_name(cert) : NULL;
	bool ok = ctx != NULL && key != NULL && name != NULL &&
		  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) == 1 &&
		  X509_gmtime_adj(X509_getm_notBefore(cert), 0) != NULL &&
		  X509_gmtime_adj(X509_getm_notAfter(cert), 3600) != NULL &&
		  X509_set_pubkey(cert, key) == 1 &&
		  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1,
					     0) == 1 &&
		  X509_set_issuer_name(cert, name) == 1 && X509_sign(cert, key, EVP_sha256()) > 0 &&
		  SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;

	X509_free(cert);
	EVP_PKEY_free(key);
	if (!ok) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* As proxy/net/tls.c sets them. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}

static void set_nonblocking(int fd)
{
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
}

static void handshake(struct tls_pair *t)
{
	enum endpoint_status st = ENDPOINT_AGAIN;
	int client_done = 0, rounds = 0;

	while (st != ENDPOINT_OK || client_done != 1) {
		assert_true(++rounds < 100);
		if (client_done != 1)
			client_done = SSL_do_handshake(t->client);
		if (st != ENDPOINT_OK)
			st = endpoint_handshake(&t->ep);
		assert_int_not_equal(st, ENDPOINT_ERROR);
	}
}

static int setup(void **state)
{
	struct tls_pair *t = calloc(1, sizeof *t);
	int fds[2];
	SSL *ssl;

	if (t == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
		return -1;
	set_nonblocking(fds[0]);
	set_nonblocking(fds[1]);
	t->server_ctx = server_ctx_new();
	t->client_ctx = SSL_CTX_new(TLS_client_method());
	t->sent = malloc(4 * SPAN);
	t->received = malloc(RECEIVED_MAX);
	if (t->server_ctx == NULL || t->client_ctx == NULL || t->sent == NULL || t->received == NULL)
		return -1;
	for (size_t i = 0; i < 4 * SPAN; i++)
		t->sent[i] = (unsigned char)(i * 7 + i / 251);
	ssl = SSL_new(t->server_ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fds[0]) != 1)
		return -1;
	SSL_set_accept_state(ssl);
	endpoint_init(&t->ep, fds[0], ssl, no_event, NULL);
	t->client = SSL_new(t->client_ctx);
	t->client_fd = fds[1];
	if (t->client == NULL || SSL_set_fd(t->client, fds[1]) != 1)
		return -1;
	SSL_set_connect_state(t->client);
	handshake(t);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tls_pair *t = *state;

	endpoint_close(&t->ep, EV_DEFAULT);
	SSL_free(t->client);
	if (t->client_fd >= 0)
		close(t->client_fd);
	SSL_CTX_free(t->server_ctx);
	SSL_CTX_free(t->client_ctx);
	free(t->sent);
	free(t->received);
	free(t);
	return 0;
}

/* What the client can read now; returns the last SSL_read_ex's error. */
static int client_read(struct tls_pair *t)
{
	size_t n;

	while (SSL_read_ex(t->client, t->received + t->received_len, RECEIVED_MAX - t->received_len, &n) == 1)
		t->received_len += n;
	return SSL_get_error(t->client, 0);
}

static size_t queued(int fd)
{
	int n = -1;

	assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
	return (size_t)n;
}

static void test_the_endpoint_owns_the_bio(void **state)
{
	struct tls_pair *t = *state;

	assert_true(t->ep.own_bio);
	assert_int_equal(SSL_get_fd(t->ep.ssl), t->ep.fd);
}

static void test_a_span_is_written_whole(void **state)
{
	struct tls_pair *t = *state;
	size_t n = 0;

	/* Socket BIO: one 16 KiB record per call. Here the four records of the
	 * span are on the wire when the one call returns. */
	assert_int_equal(endpoint_write(&t->ep, t->sent, SPAN, &n), ENDPOINT_OK);
	assert_int_equal(n, SPAN);
	assert_true(queued(t->client_fd) > SPAN);
	assert_null(t->ep.bio.held); /* nothing stays allocated after the span */
	assert_int_equal(client_read(t), SSL_ERROR_WANT_READ);
	assert_int_equal(t->received_len, SPAN);
	assert_memory_equal(t->received, t->sent, SPAN);
}

static void test_a_short_span_is_one_record(void **state)
{
	struct tls_pair *t = *state;
	size_t n = 0;

	assert_int_equal(endpoint_write(&t->ep, t->sent, 1000, &n), ENDPOINT_OK);
	assert_int_equal(n, 1000);
	assert_int_equal(client_read(t), SSL_ERROR_WANT_READ);
	assert_int_equal(t->received_len, 1000);
	assert_memory_equal(t->received, t->sent, 1000);
}

/* The caller's loop (conn.c tenant_write): pass the bytes not written yet,
 * consume what the endpoint says, wait for EV_WRITE after AGAIN; the reader
 * takes a little at a time. */
static void test_a_slow_reader_gets_every_byte(void **state)
{
	struct tls_pair *t = *state;
	int small = 8192, rounds = 0, again = 0;
	size_t written = 0;

	assert_int_equal(setsockopt(t->ep.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
	while (written < 4 * SPAN) {
		size_t len = 4 * SPAN - written < SPAN ? 4 * SPAN - written : SPAN, n = 0;
		enum endpoint_status st;

		assert_true(++rounds < 10000);
		if (!endpoint_may_write(&t->ep)) {
			client_read(t);
			endpoint_on_event(&t->ep, EV_WRITE);
			continue;
		}
		st = endpoint_write(&t->ep, t->sent + written, len, &n);
		if (st == ENDPOINT_AGAIN) {
			assert_int_equal(n, 0);
			again++;
			continue;
		}
		assert_int_equal(st, ENDPOINT_OK);
		assert_true(n > 0 && n <= len);
		written += n;
	}
	assert_true(again > 0); /* the socket did fill up */
	assert_int_equal(client_read(t), SSL_ERROR_WANT_READ);
	assert_int_equal(t->received_len, 4 * SPAN);
	assert_memory_equal(t->received, t->sent, 4 * SPAN);
}

/* While the records of a span wait, the span is not counted, even when the
 * caller offers more bytes behind it; then exactly the span is. */
static void test_a_waiting_span_counts_once_out(void **state)
{
	struct tls_pair *t = *state;
	int small = 8192, rounds = 0;
	enum endpoint_status st;
	size_t n = 0;

	assert_int_equal(setsockopt(t->ep.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
	assert_int_equal(endpoint_write(&t->ep, t->sent, SPAN, &n), ENDPOINT_AGAIN);
	assert_int_equal(n, 0);
	assert_false(endpoint_may_write(&t->ep));
	assert_int_equal(endpoint_write(&t->ep, t->sent, 2 * SPAN, &n), ENDPOINT_AGAIN);
	assert_int_equal(n, 0);
	do {
		assert_true(++rounds < 1000);
		client_read(t);
		endpoint_on_event(&t->ep, EV_WRITE);
		st = endpoint_write(&t->ep, t->sent, 2 * SPAN, &n);
	} while (st == ENDPOINT_AGAIN);
	assert_int_equal(st, ENDPOINT_OK);
	assert_int_equal(n, SPAN);
	client_read(t);
	assert_int_equal(t->received_len, SPAN);
	assert_memory_equal(t->received, t->sent, SPAN);
}

static void test_close_notify_follows_the_span(void **state)
{
	struct tls_pair *t = *state;
	size_t n = 0;

	assert_int_equal(endpoint_write(&t->ep, t->sent, SPAN, &n), ENDPOINT_OK);
	endpoint_shutdown_write(&t->ep);
	assert_int_equal(client_read(t), SSL_ERROR_ZERO_RETURN);
	assert_int_equal(t->received_len, SPAN);
	assert_memory_equal(t->received, t->sent, SPAN);
}

static void test_a_reset_peer_is_an_error(void **state)
{
	struct tls_pair *t = *state;
	size_t n = 0;

	close(t->client_fd);
	t->client_fd = -1;
	assert_int_equal(endpoint_write(&t->ep, t->sent, SPAN, &n), ENDPOINT_ERROR);
	assert_int_equal(t->ep.last_errno, EPIPE);
	assert_true(t->ep.failed);
}

/* A TLS 1.2 peer renegotiates while a span is written on a nearly full
 * socket: OpenSSL writes our handshake flight inside the gathering
 * SSL_write, the socket takes part of it, and OpenSSL then waits to read.
 * The rest is owed: the watcher asks for EV_WRITE although the owner wants
 * nothing, the writable event sends it, the renegotiation completes and the
 * span is written. (Before, it stayed held and the connection stalled.) */
static void test_a_held_flight_leaves_when_writable(void **state)
{
	static unsigned char span[SPAN], junk[SPAN];
	SSL_CTX *peer_ctx = server_ctx_new(), *ctx = SSL_CTX_new(TLS_client_method());
	enum endpoint_status st = ENDPOINT_AGAIN;
	struct endpoint ep;
	SSL *peer, *ssl;
	int fds[2], rounds;
	size_t n;

	(void)state;
	assert_non_null(peer_ctx);
	assert_non_null(ctx);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
	SSL_CTX_set_max_proto_version(peer_ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(peer_ctx, SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION); /* a full one */
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
	peer = SSL_new(peer_ctx);
	ssl = SSL_new(ctx);
	assert_non_null(peer);
	assert_non_null(ssl);
	assert_int_equal(SSL_set_fd(peer, fds[0]), 1);
	assert_int_equal(SSL_set_fd(ssl, fds[1]), 1);
	SSL_set_accept_state(peer);
	SSL_set_connect_state(ssl);
	endpoint_init(&ep, fds[1], ssl, no_event, NULL);
	for (rounds = 0; rounds < 20 && !(st == ENDPOINT_OK && SSL_is_init_finished(peer)); rounds++) {
		if (st != ENDPOINT_OK)
			st = endpoint_handshake(&ep);
		SSL_do_handshake(peer);
	}
	assert_true(SSL_is_init_finished(peer));
	assert_true(ep.own_bio);

	/* The peer asks to renegotiate; our read answers with a ClientHello. */
	assert_int_equal(SSL_renegotiate(peer), 1);
	SSL_do_handshake(peer);
	endpoint_on_event(&ep, EV_READ);
	endpoint_read(&ep, junk, sizeof junk, &n);
	SSL_read(peer, junk, sizeof junk);

	memset(span, 'b', sizeof span);
	short_sends = 1;
	assert_int_equal(endpoint_write(&ep, span, sizeof span, &n), ENDPOINT_AGAIN);
	assert_true(tlsbio_held(&ep.bio) > 0);
	endpoint_watch(&ep, EV_DEFAULT, false, false);
	assert_true(ep.events & EV_WRITE);

	short_sends = 0;
	endpoint_on_event(&ep, EV_WRITE);
	assert_int_equal(tlsbio_held(&ep.bio), 0);
	for (rounds = 0; rounds < 10; rounds++) {
		st = endpoint_write(&ep, span, sizeof span, &n);
		if (st == ENDPOINT_OK)
			break;
		endpoint_on_event(&ep, EV_READ | EV_WRITE);
		endpoint_read(&ep, junk, sizeof junk, &n);
		SSL_read(peer, junk, sizeof junk);
	}
	assert_int_equal(st, ENDPOINT_OK);
	assert_true(n > 0);
	assert_false(SSL_in_init(ssl));

	endpoint_close(&ep, EV_DEFAULT);
	SSL_free(peer);
	close(fds[0]);
	SSL_CTX_free(peer_ctx);
	SSL_CTX_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_the_endpoint_owns_the_bio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_span_is_written_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_short_span_is_one_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_slow_reader_gets_every_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_waiting_span_counts_once_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_notify_follows_the_span, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_reset_peer_is_an_error, setup, teardown),
		cmocka_unit_test(test_a_held_flight_leaves_when_writable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
