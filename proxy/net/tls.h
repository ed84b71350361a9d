/*
 * proxy/net/tls.h: OpenSSL contexts built from the configuration.
 *
 * The tenant-side context terminates TLS: the certificate chain and key of
 * [tls], the lowest version, TLS 1.2 ciphers and TLS 1.3 suites, ALPN
 * http/1.1, a session cache, session tickets under process-wide keys that
 * rotate (so tickets survive a reload), and optional client certificates.
 * The upstream context verifies the repository's certificate when
 * [proxy] upstream_tls = on.
 *
 * The certificate chain and key are read and checked by conf/tls_files.c,
 * as sluice -t and sluicectl check them: an expired or not yet valid leaf,
 * or a key that is not the leaf's, is refused.
 *
 * Contexts are built whole or not at all: a reload builds new ones and swaps
 * them in only when every step succeeded. Both set
 * SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS.
 */
#ifndef SLUICE_TLS_H
#define SLUICE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "config.h"

#define TLS_ERROR_MAX 512

/* Session ticket keys: the current one issues tickets, the previous one still
 * accepts (and renews) them for one more rotation period. */
struct tls_ticket_keys;

struct tls_ticket_keys *tls_ticket_keys_new(void);
void tls_ticket_keys_free(struct tls_ticket_keys *keys);
/* Make a fresh current key; the current one becomes the previous one. False
 * when the random generator fails (the keys are then unchanged). */
bool tls_ticket_keys_rotate(struct tls_ticket_keys *keys);

/* The tenant-side context. keys must outlive the context. NULL with err set
 * ("[tls] certificate: ...") when a file or a list is refused. */
SSL_CTX *tls_server_ctx_new(const struct sluice_config *cfg, struct tls_ticket_keys *keys, char *err,
			    size_t err_size);

/* notAfter of the leaf a tenant-side context serves, in seconds since the
 * epoch. False when it has none or its date cannot be read. */
bool tls_server_ctx_not_after(const SSL_CTX *ctx, int64_t *not_after);

/* The repository-side context, or NULL with *err empty when upstream_tls is
 * off; NULL with err set when it cannot be built. */
SSL_CTX *tls_upstream_ctx_new(const struct sluice_config *cfg, char *err, size_t err_size);

/* A client SSL toward the repository: SNI and the name (or IP address)
 * verified in its certificate. name may be "" for a UNIX socket upstream when
 * only the chain is to be checked. NULL when out of memory. */
SSL *tls_upstream_ssl_new(SSL_CTX *ctx, const char *name);

/* Drain OpenSSL's error queue into the log at level, each line prefixed
 * (peer address, tenant) and saying what failed. */
void tls_log_errors(enum config_log_level level, const char *prefix, const char *what);

/* The first error of OpenSSL's queue as text, and clear the queue. */
void tls_error_text(char *out, size_t size);

/* "TLSv1.3/TLS_AES_128_GCM_SHA256" style summary for the debug log. */
void tls_describe(const SSL *ssl, char *out, size_t size);

#endif
