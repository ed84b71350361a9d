/*
 * proxy/net/endpoint.c: non-blocking reads and writes on a plain or TLS socket
 * (see endpoint.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "net/endpoint.h"

void endpoint_init(struct endpoint *ep, int fd, SSL *ssl, endpoint_cb *cb, void *owner)
{
	*ep = (struct endpoint){ .fd = fd, .ssl = ssl };
	ev_io_init(&ep->io, cb, fd, 0);
	ep->io.data = owner;
}

static bool holds_bytes(const struct endpoint *ep);
static enum endpoint_status flush_held(struct endpoint *ep);

void endpoint_on_event(struct endpoint *ep, int revents)
{
	if (revents & EV_READ) {
		ep->readable = true;
		ep->write_wants_read = false;
	}
	if (revents & EV_WRITE) {
		ep->write_blocked = false;
		if (ep->read_wants_write) {
			ep->read_wants_write = false;
			ep->readable = true;
		}
		/* Held bytes go out now, whether or not the owner has more to
		 * write; a broken socket is then reported by the next read. */
		if (holds_bytes(ep) && flush_held(ep) == ENDPOINT_ERROR)
			ep->readable = true;
	}
}

/* Map SSL_get_error() after a failed call; errors that end the connection
 * leave OpenSSL's queue for the caller to log. */
static enum endpoint_status ssl_failure(struct endpoint *ep, int ret, bool *wants_read, bool *wants_write)
{
	int err = SSL_get_error(ep->ssl, ret);

	switch (err) {
	case SSL_ERROR_WANT_READ:
		*wants_read = true;
		return ENDPOINT_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		*wants_write = true;
		return ENDPOINT_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return ENDPOINT_EOF;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0 && errno == 0)
			return ENDPOINT_EOF; /* TCP FIN without close_notify */
		ep->last_errno = errno;
		ep->failed = true;
		return ENDPOINT_ERROR;
	default:
		ep->failed = true;
		return ENDPOINT_ERROR;
	}
}

/* The SSL comes with SSL_set_fd's socket BIO; ours does the same I/O and can
 * gather a span's records into one send. It replaces it before the first
 * byte moves. Without it (out of memory) each record is its own send. */
static void install_bio(struct endpoint *ep)
{
	BIO *bio = tlsbio_new(&ep->bio, ep->fd);

	if (bio == NULL)
		return;
	SSL_set_bio(ep->ssl, bio, bio);
	ep->own_bio = true;
}

void endpoint_move(struct endpoint *to, struct endpoint *from)
{
	*to = (struct endpoint){
		.fd = from->fd, .ssl = from->ssl, .io = from->io, .bio = from->bio, .own_bio = from->own_bio
	};
	if (to->own_bio)
		tlsbio_moved(SSL_get_rbio(to->ssl), &to->bio); /* the BIO points at its state */
	from->fd = -1;
	from->ssl = NULL;
	from->events = 0;
	from->own_bio = false;
	memset(&from->bio, 0, sizeof from->bio);
}

enum endpoint_status endpoint_handshake(struct endpoint *ep)
{
	bool wr = false, ww = false, gathering;
	enum endpoint_status st;
	int ret;

	if (!ep->own_bio && SSL_in_before(ep->ssl))
		install_bio(ep);
	/* A flight (ServerHello to Finished) is several records, each written
	 * and flushed by OpenSSL on its own: gathered, they leave in one
	 * send(2). What the socket does not take stays held (EV_WRITE). */
	gathering = ep->own_bio && tlsbio_held(&ep->bio) == 0 && tlsbio_gather_begin(&ep->bio);
	ERR_clear_error();
	errno = 0;
	ret = SSL_do_handshake(ep->ssl);
	if (gathering) {
		int handshake_errno = errno; /* for ssl_failure(), whatever the send sets */

		tlsbio_gather_end(&ep->bio);
		if (flush_held(ep) == ENDPOINT_ERROR)
			return ENDPOINT_ERROR;
		errno = handshake_errno;
	}
	if (ret == 1) {
		ep->handshake_wants = 0;
		ep->readable = true; /* the peer's first bytes may have come with the handshake */
		return ENDPOINT_OK;
	}
	st = ssl_failure(ep, ret, &wr, &ww);
	ep->handshake_wants = wr ? EV_READ : ww ? EV_WRITE : 0;
	if (st == ENDPOINT_EOF)
		st = ENDPOINT_ERROR; /* a handshake cut short is a failure */
	return st;
}

static enum endpoint_status plain_read(struct endpoint *ep, void *buf, size_t len, size_t *n)
{
	ssize_t got;

	do
		got = recv(ep->fd, buf, len, 0);
	while (got < 0 && errno == EINTR);
	if (got > 0) {
		*n = (size_t)got;
		ep->readable = (size_t)got == len; /* a short read drained the socket */
		return ENDPOINT_OK;
	}
	if (got == 0)
		return ENDPOINT_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		ep->readable = false;
		return ENDPOINT_AGAIN;
	}
	ep->last_errno = errno;
	ep->failed = true;
	return ENDPOINT_ERROR;
}

enum endpoint_status endpoint_read(struct endpoint *ep, void *buf, size_t len, size_t *n)
{
	bool wr = false, ww = false;
	enum endpoint_status st;
	int ret;

	*n = 0;
	if (ep->ssl == NULL)
		return plain_read(ep, buf, len, n);
	ERR_clear_error();
	errno = 0;
	ret = SSL_read_ex(ep->ssl, buf, len, n);
	if (ret == 1) {
		/* Read on only while OpenSSL holds decrypted or buffered bytes: the
		 * socket's own data re-arms the (level-triggered) watcher, so a
		 * request no longer ends with a read that returns EAGAIN. */
		ep->readable = SSL_has_pending(ep->ssl) == 1;
		return ENDPOINT_OK;
	}
	st = ssl_failure(ep, ret, &wr, &ww);
	if (wr)
		ep->readable = false;
	if (ww) {
		ep->readable = false;
		ep->read_wants_write = true;
	}
	return st;
}

static enum endpoint_status plain_write(struct endpoint *ep, const void *buf, size_t len, size_t *n)
{
	ssize_t put;

	do
		put = send(ep->fd, buf, len, MSG_NOSIGNAL);
	while (put < 0 && errno == EINTR);
	if (put >= 0) {
		*n = (size_t)put;
		return ENDPOINT_OK;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		ep->write_blocked = true;
		return ENDPOINT_AGAIN;
	}
	ep->last_errno = errno;
	ep->failed = true;
	return ENDPOINT_ERROR;
}

/* One SSL_write: with SSL_MODE_ENABLE_PARTIAL_WRITE, one record. */
static enum endpoint_status record_write(struct endpoint *ep, const void *buf, size_t len, size_t *n)
{
	bool wr = false, ww = false;
	enum endpoint_status st;
	int ret;

	if (ep->retry_len > 0)
		len = ep->retry_len; /* SSL_write: the same span as the call that blocked */
	ERR_clear_error();
	errno = 0;
	ret = SSL_write_ex(ep->ssl, buf, len, n);
	if (ret == 1) {
		ep->retry_len = 0;
		return ENDPOINT_OK;
	}
	st = ssl_failure(ep, ret, &wr, &ww);
	if (st == ENDPOINT_AGAIN) {
		ep->retry_len = len;
		ep->write_blocked = ww;
		ep->write_wants_read = wr;
	}
	return st == ENDPOINT_EOF ? ENDPOINT_ERROR : st;
}

/* Send what the BIO holds: OK once nothing is held any more. */
static enum endpoint_status flush_held(struct endpoint *ep)
{
	switch (tlsbio_send(&ep->bio)) {
	case TLSBIO_SENT:
		return ENDPOINT_OK;
	case TLSBIO_AGAIN:
		ep->write_blocked = true;
		return ENDPOINT_AGAIN;
	case TLSBIO_ERROR:
		break;
	}
	ep->last_errno = errno;
	ep->failed = true;
	return ENDPOINT_ERROR;
}

/* Bytes the BIO holds are owed to the peer whatever the owner does next: a
 * handshake flight OpenSSL wrote inside an SSL_write that then waited to
 * read (TLS 1.2 renegotiation) must go out before we wait for the answer.
 * One mechanism sends them: the watcher asks for EV_WRITE while any are held
 * (endpoint_watch) and endpoint_on_event sends them. (Whatever OpenSSL
 * writes meanwhile, bio_write puts behind them.) */
static bool holds_bytes(const struct endpoint *ep)
{
	return ep->own_bio && tlsbio_held(&ep->bio) > 0;
}

/* Send what the BIO holds; the gathered bytes are written once all is out. */
static enum endpoint_status send_gathered(struct endpoint *ep, size_t *n)
{
	enum endpoint_status st = flush_held(ep);

	if (st != ENDPOINT_OK)
		return st;
	*n = ep->gathered;
	ep->gathered = 0;
	return *n > 0 ? ENDPOINT_OK : ENDPOINT_AGAIN;
}

/* Encrypt the records of buf that one send takes (TLSBIO_GATHER_RECORDS),
 * then send them together. Each SSL_write is given no more than the room
 * left holds, so the BIO never refuses one in practice; if it does, OpenSSL
 * keeps that record and record_write() retries it after the send. */
static enum endpoint_status gather_write(struct endpoint *ep, const unsigned char *buf, size_t len, size_t *n)
{
	enum endpoint_status st = ENDPOINT_OK;
	bool wr = false, ww = false;
	size_t done = 0;

	while (done < len && tlsbio_room(&ep->bio) >= TLSBIO_RECORD_MAX) {
		size_t fits = tlsbio_room(&ep->bio) / TLSBIO_RECORD_MAX * SSL3_RT_MAX_PLAIN_LENGTH;
		size_t chunk = len - done < fits ? len - done : fits, put;

		ERR_clear_error();
		errno = 0;
		if (SSL_write_ex(ep->ssl, buf + done, chunk, &put) != 1) {
			st = ssl_failure(ep, 0, &wr, &ww);
			if (st == ENDPOINT_AGAIN) {
				ep->retry_len = chunk;
				ep->write_wants_read = wr;
			}
			break;
		}
		done += put;
	}
	tlsbio_gather_end(&ep->bio);
	if (st != ENDPOINT_OK && st != ENDPOINT_AGAIN)
		return ENDPOINT_ERROR;
	ep->gathered = done;
	return send_gathered(ep, n);
}

enum endpoint_status endpoint_write(struct endpoint *ep, const void *buf, size_t len, size_t *n)
{
	*n = 0;
	if (ep->ssl == NULL)
		return plain_write(ep, buf, len, n);
	if (ep->gathered > 0)
		return send_gathered(ep, n); /* the same span: its records are on their way */
	if (ep->own_bio && ep->retry_len == 0 && len > SSL3_RT_MAX_PLAIN_LENGTH &&
	    tlsbio_gather_begin(&ep->bio))
		return gather_write(ep, buf, len, n);
	return record_write(ep, buf, len, n);
}

bool endpoint_may_read(const struct endpoint *ep)
{
	return ep->fd >= 0 && ep->readable && !ep->read_wants_write;
}

bool endpoint_may_write(const struct endpoint *ep)
{
	return ep->fd >= 0 && !ep->write_blocked && !ep->write_wants_read;
}

void endpoint_watch(struct endpoint *ep, struct ev_loop *loop, bool want_read, bool want_write)
{
	int events = 0;

	if (ep->fd < 0)
		return;
	if (ep->handshake_wants != 0) {
		events = ep->handshake_wants;
	} else {
		if (want_read && !ep->read_wants_write)
			events |= EV_READ;
		if (ep->read_wants_write)
			events |= EV_WRITE;
		if (want_write)
			events |= ep->write_wants_read ? EV_READ : EV_WRITE;
	}
	if (holds_bytes(ep))
		events |= EV_WRITE; /* endpoint_on_event sends them (a handshake flight too) */
	if (events == ep->events)
		return;
	ev_io_stop(loop, &ep->io);
	ep->events = events;
	if (events != 0) {
		ev_io_set(&ep->io, ep->fd, events);
		ev_io_start(loop, &ep->io);
	}
}

/* SSL_shutdown is not allowed after a fatal error, nor before the handshake
 * finished; one call sends close_notify without waiting for the peer's. */
static void send_close_notify(struct endpoint *ep)
{
	if (ep->ssl == NULL || !SSL_is_init_finished(ep->ssl) || ep->failed ||
	    (SSL_get_shutdown(ep->ssl) & SSL_SENT_SHUTDOWN))
		return;
	ERR_clear_error();
	if (SSL_shutdown(ep->ssl) < 0)
		ERR_clear_error();
}

void endpoint_shutdown_write(struct endpoint *ep)
{
	if (ep->fd < 0)
		return;
	send_close_notify(ep);
	shutdown(ep->fd, SHUT_WR);
}

void endpoint_close(struct endpoint *ep, struct ev_loop *loop)
{
	if (ep->fd < 0)
		return;
	ev_io_stop(loop, &ep->io);
	ep->events = 0;
	if (ep->ssl != NULL) {
		send_close_notify(ep);
		SSL_free(ep->ssl);
		ep->ssl = NULL;
	}
	close(ep->fd);
	ep->fd = -1;
}
