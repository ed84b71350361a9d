/*
 * proxy/listener.h: the sockets tenants connect to. Binds every
 * [proxy] listen address (IPv4 and IPv6; "*:port" binds both families, the
 * IPv6 socket IPV6_V6ONLY), accepts in batches, asks the server whether a new
 * connection is within the connection cap (max_connections, or fewer when
 * RLIMIT_NOFILE is short: server.h) and the per-address cap, and backs off for
 * a moment on EMFILE/ENFILE instead of spinning, logging such an episode once
 * when it begins and once, with its length and count, when it ends.
 * --ready-file gets the bound addresses (port 0 lets the kernel choose) once
 * everything listens.
 */
#ifndef SLUICE_LISTENER_H
#define SLUICE_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "config.h"
#include "net/runconf.h"

#define LISTENER_MAX 32              /* bound sockets (a "*:port" entry makes two) */
#define LISTENER_ACCEPT_BATCH 64     /* accepts per readiness event */
#define LISTENER_BACKOFF_SECONDS 0.1 /* pause after EMFILE/ENFILE, then try again */

struct server;

struct listener {
	struct server *server;
	ev_io io;
	int fd;
	char name[RUNCONF_ADDRESS_TEXT]; /* the bound address, port included */
};

/* Bind and listen on every address of cfg. On failure nothing stays open
 * and err names the address and the fix. */
bool listeners_open(const struct sluice_config *cfg, struct listener **out, size_t *count, char *err,
		    size_t err_size);
void listeners_start(struct server *s);
void listeners_close(struct server *s);

/* Write one bound address per line to path (via a temporary file and
 * rename, so a reader never sees half of it). */
bool listeners_write_ready_file(const struct server *s, const char *path, char *err, size_t err_size);

#endif
