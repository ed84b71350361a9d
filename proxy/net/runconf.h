/*
 * proxy/net/runconf.h: a running configuration, shared by reference.
 *
 * The loaded INI (struct sluice_config) together with everything built from
 * it before it may serve: the TLS contexts of both sides, the repository's
 * resolved addresses and the framer limits. It is built whole or not at all
 * (a reload that fails to build one changes nothing), and never changed
 * afterwards. The server holds a reference to the current one; every
 * connection holds a reference to the one it started with, so a reload never
 * pulls a configuration, a certificate or a limit from under a connection.
 */
#ifndef SLUICE_RUNCONF_H
#define SLUICE_RUNCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "admin_token.h"
#include "config.h"
#include "http.h"
#include "net/tls.h"

#define RUNCONF_ERROR_MAX 1024
#define RUNCONF_UPSTREAM_ADDRESSES_MAX 8 /* tried in turn when a connect fails */
#define RUNCONF_ADDRESS_TEXT 128         /* "unix:" and a sun_path fit */

struct runconf_address {
	struct sockaddr_storage addr;
	socklen_t len;
	char text[RUNCONF_ADDRESS_TEXT]; /* "127.0.0.1:9000", "[::1]:9000", "unix:/path" */
};

struct runconf {
	unsigned refs;
	uint64_t serial;               /* 1 at start-up, then one more per successful reload */
	struct sluice_config *cfg;     /* owned */
	SSL_CTX *tls;                  /* tenant side; NULL: plain TCP (see runconf_new) */
	int64_t certificate_not_after; /* tls: notAfter of the leaf it serves, seconds since the epoch */
	SSL_CTX *upstream_tls;         /* NULL: plain TCP toward the repository */
	char upstream_name[CONFIG_HOST_MAX + 1]; /* SNI and certificate name (upstream_tls) */
	struct runconf_address upstream[RUNCONF_UPSTREAM_ADDRESSES_MAX];
	size_t upstream_count;
	struct http_limits limits; /* for both directions' framers */
	unsigned retry_after;      /* seconds, for Retry-After; 0 = none (and auto:
					 * the maintenance answers compute their own) */
	/* [admin] token_file's token, read when this configuration was built,
	 * zero-padded to its full size (compared in constant time). */
	unsigned char admin_token[CONFIG_TOKEN_MAX];
	size_t admin_token_len; /* 0: no token_file */
};

/* Build a running configuration from cfg. terminate_tls is [tls] enabled as
 * the process runs it (a key only a restart changes: a reload passes the
 * running value, whatever the file now says). On success it owns cfg and has
 * one reference; on failure cfg is untouched (the caller frees it) and err
 * says what was wrong, naming the key. */
struct runconf *runconf_new(struct sluice_config *cfg, bool terminate_tls, struct tls_ticket_keys *keys,
			    uint64_t serial, char *err, size_t err_size);

/* How the served certificate stands at now (seconds since the epoch), as
 * "INI: [tls] certificate: CERT expires on ..." when it expires within
 * [tls] expiry_warning or has expired. False (out untouched) when there is
 * nothing to say, or no TLS. */
bool runconf_certificate_note(const struct runconf *rc, int64_t now, char *out, size_t size);
/* That note in the log: a warning, or an error once the certificate has
 * expired. At start, on every reload and daily. */
void runconf_log_certificate(const struct runconf *rc, int64_t now);

struct runconf *runconf_ref(struct runconf *rc);
/* Drop a reference; the last one frees everything. NULL is ignored. */
void runconf_unref(struct runconf *rc);

/* "127.0.0.1:443" / "[::1]:443" / "unix:/path" for any socket address. */
void runconf_format_address(const struct sockaddr *sa, socklen_t len, char *out, size_t size);

#endif
