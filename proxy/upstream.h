/*
 * proxy/upstream.h: the connection toward the repository, up to the moment
 * bytes may flow: a non-blocking connect to each resolved address in turn,
 * then, with [proxy] upstream_tls, a TLS handshake that verifies the
 * repository's certificate against upstream_ca and upstream_name. The
 * deadline ([timeouts] upstream_connect) is the owner's.
 */
#ifndef SLUICE_UPSTREAM_H
#define SLUICE_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "endpoint.h"
#include "runconf.h"

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
	size_t next;         /* the next resolved address to try */
	double started;      /* ev_now() when connecting began */
	char address[RUNCONF_ADDRESS_TEXT]; /* the address being tried or in use */
};

void upstream_init(struct upstream *u);

/* Begin connecting (state NONE -> CONNECTING, or READY/HANDSHAKE at once).
 * cb and owner are for the endpoint's watcher. */
enum upstream_step upstream_open(struct upstream *u, const struct runconf *rc,
				 struct ev_loop *loop, endpoint_cb *cb, void *owner, char *why,
				 size_t why_size);

/* Continue after a watcher event while CONNECTING or HANDSHAKE. */
enum upstream_step upstream_continue(struct upstream *u, const struct runconf *rc,
				     struct ev_loop *loop, endpoint_cb *cb, void *owner, char *why,
				     size_t why_size);

/* Close; the state becomes GONE. */
void upstream_close(struct upstream *u, struct ev_loop *loop);

bool upstream_connecting(const struct upstream *u);

#endif
