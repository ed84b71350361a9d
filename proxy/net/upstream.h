/*
 * proxy/net/upstream.h: the connection toward the repository, up to the moment
 * bytes may flow: a non-blocking connect to each resolved address in turn,
 * then, with [proxy] upstream_tls, a TLS handshake that verifies the
 * repository's certificate against upstream_ca and upstream_name. The
 * deadline ([timeouts] upstream_connect) is the owner's.
 *
 * A READY connection may change owners (upstream_move): a tenant connection
 * that ends hands it to the pool of idle connections (upstream_pool.h), and a
 * later one takes it from there instead of connecting.
 */
#ifndef SLUICE_UPSTREAM_H
#define SLUICE_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "net/endpoint.h"
#include "net/runconf.h"

#define UPSTREAM_WHY_MAX 256

enum upstream_state {
	UPSTREAM_NONE = 0,   /* not opened yet */
	UPSTREAM_CONNECTING, /* TCP connect in progress */
	UPSTREAM_HANDSHAKE,  /* TLS handshake with the repository */
	UPSTREAM_READY,      /* bytes flow */
	UPSTREAM_GONE        /* closed or failed; never reopened for this tenant connection */
};

enum upstream_step {
	UPSTREAM_STEP_WAIT,  /* not yet: the endpoint's watcher says what for */
	UPSTREAM_STEP_READY, /* connected (and verified) */
	UPSTREAM_STEP_FAILED /* every address failed: why says how */
};

struct upstream {
	struct endpoint ep;
	enum upstream_state state;
	bool reused;                        /* taken idle from the pool, not connected for this owner */
	size_t next;                        /* the next resolved address to try */
	double started;                     /* ev_now() when connecting began */
	char address[RUNCONF_ADDRESS_TEXT]; /* the address being tried or in use */
};

void upstream_init(struct upstream *u);

/* Begin connecting (state NONE -> CONNECTING, or READY/HANDSHAKE at once).
 * cb and owner are for the endpoint's watcher. */
enum upstream_step upstream_open(struct upstream *u, const struct runconf *rc, struct ev_loop *loop,
				 endpoint_cb *cb, void *owner, char *why, size_t why_size);

/* Continue after a watcher event while CONNECTING or HANDSHAKE. */
enum upstream_step upstream_continue(struct upstream *u, const struct runconf *rc, struct ev_loop *loop,
				     endpoint_cb *cb, void *owner, char *why, size_t why_size);

/* Close; the state becomes GONE. */
void upstream_close(struct upstream *u, struct ev_loop *loop);

bool upstream_connecting(const struct upstream *u);

/* Hand the READY connection in `from` to another owner: `to` gets it with
 * the endpoint's hints reset and its watcher aimed at cb/owner, started for
 * EV_READ (the mask of an idle connection; the owner changes it through
 * endpoint_watch as usual); `from` becomes GONE without closing anything.
 * libev forbids moving an active watcher: it is stopped, copied, restarted. */
void upstream_move(struct upstream *to, struct upstream *from, struct ev_loop *loop, endpoint_cb *cb,
		   void *owner);

/* Whether a READY connection left idle can carry a request: it has not
 * failed and OpenSSL holds no unread bytes; with peek, the socket is asked
 * too (a non-blocking MSG_PEEK): any byte, an EOF or an error says no. */
bool upstream_idle_usable(const struct upstream *u, bool peek);

#endif
