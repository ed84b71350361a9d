/*
 * proxy/net/endpoint.h: one non-blocking socket of a connection pair, plain TCP or
 * TLS, with the bookkeeping non-blocking OpenSSL needs (the hitch way):
 *
 *   - SSL_ERROR_WANT_READ / WANT_WRITE are mapped onto the one ev_io watcher;
 *     a read that wants a write (and a write that wants a read) is remembered
 *     and retried when the other readiness arrives;
 *   - a write that would block is retried with the same span: the caller
 *     passes the same pointer again, and the endpoint passes the same length
 *     (SSL_write's rule; harmless for plain sockets);
 *   - "readable" is a hint kept from the last event and from OpenSSL's own
 *     buffer (SSL_has_pending), so that bytes OpenSSL already holds are read
 *     although the socket will not signal them again;
 *   - a TLS span longer than one record is encrypted into one buffer and
 *     sent with one send(2) (tlsbio.h). Its bytes count as written once the
 *     socket took them all: until then the write answers ENDPOINT_AGAIN and
 *     the caller keeps them, as for any write that would block.
 *
 * The owner decides what it wants (read when its buffer has room, write when
 * it has bytes) and endpoint_watch() turns that into the watcher mask, touching
 * libev only when the mask changes.
 */
#ifndef SLUICE_ENDPOINT_H
#define SLUICE_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <ev.h>
#include <openssl/ssl.h>

#include "net/tlsbio.h"

enum endpoint_status {
	ENDPOINT_OK = 0, /* bytes moved (or the handshake finished) */
	ENDPOINT_AGAIN,  /* nothing now; the watcher mask says what we wait for */
	ENDPOINT_EOF,    /* the peer closed its side (FIN or TLS close_notify) */
	ENDPOINT_ERROR   /* reset, TLS failure, ...: the socket is finished */
};

struct endpoint {
	int fd;                /* -1 when closed */
	SSL *ssl;              /* NULL: plain TCP */
	ev_io io;              /* io.data is the owner's */
	int events;            /* the mask the watcher is started with (0: stopped) */
	bool readable;         /* a read may make progress */
	bool write_blocked;    /* the last write would block: wait for EV_WRITE */
	bool read_wants_write; /* SSL_read needs the socket writable first */
	bool write_wants_read; /* SSL_write needs the socket readable first */
	int handshake_wants;   /* EV_READ or EV_WRITE while a handshake waits; else 0 */
	size_t retry_len;      /* SSL_write to repeat with this length; 0: none */
	size_t gathered;       /* bytes of the span whose records the BIO still holds */
	struct tlsbio bio;     /* TLS: the state of the SSL's BIO when it is ours */
	int last_errno;        /* ENDPOINT_ERROR from a system call: its errno; else 0 */
	bool failed;           /* a fatal error was reported: no close_notify then */
	bool own_bio;          /* the SSL's BIO is ours (installed at the first handshake step) */
};

/* The watcher callback of an endpoint (libev has no typedef for it). */
typedef void endpoint_cb(struct ev_loop *loop, ev_io *w, int revents);

/* Take ownership of fd (non-blocking) and ssl (may be NULL). */
void endpoint_init(struct endpoint *ep, int fd, SSL *ssl, endpoint_cb *cb, void *owner);

/* Move an open endpoint (socket, TLS object with its BIO state, watcher) to
 * `to`: the watcher must be stopped, and nothing may be held unsent or half
 * written. The hints start afresh; `from` is left closed. */
void endpoint_move(struct endpoint *to, struct endpoint *from);

/* Record what an ev_io event says (hints for the next read and write). */
void endpoint_on_event(struct endpoint *ep, int revents);

/* One TLS handshake step (server or client side as the SSL says). */
enum endpoint_status endpoint_handshake(struct endpoint *ep);

/* Read up to len bytes; *n gets the count on ENDPOINT_OK. */
enum endpoint_status endpoint_read(struct endpoint *ep, void *buf, size_t len, size_t *n);

/* Write up to len bytes from buf; *n gets the count on ENDPOINT_OK. After
 * ENDPOINT_AGAIN the next call must pass the same buf (its length may have
 * grown; the endpoint repeats the earlier one). */
enum endpoint_status endpoint_write(struct endpoint *ep, const void *buf, size_t len, size_t *n);

/* Whether a read should be tried now: want_read and the hint allow it. */
bool endpoint_may_read(const struct endpoint *ep);
/* Whether a write should be tried now. */
bool endpoint_may_write(const struct endpoint *ep);

/* Set the watcher from what the owner wants (plus what TLS needs). */
void endpoint_watch(struct endpoint *ep, struct ev_loop *loop, bool want_read, bool want_write);

/* Send TLS close_notify (once, without waiting) and FIN; reads may go on. */
void endpoint_shutdown_write(struct endpoint *ep);

/* Stop the watcher, free the SSL, close the socket. Safe to call twice. */
void endpoint_close(struct endpoint *ep, struct ev_loop *loop);

#endif
