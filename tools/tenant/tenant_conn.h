/*
 * tools/tenant/tenant_conn.h: one blocking byte stream to the server, TCP with or
 * without TLS. Every wait is bounded: connecting by CONN_CONNECT_TIMEOUT_MS,
 * each read and write by CONN_IO_TIMEOUT_S.
 */
#ifndef SLUICE_TENANT_CONN_H
#define SLUICE_TENANT_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#define CONN_CONNECT_TIMEOUT_MS 10000
#define CONN_IO_TIMEOUT_S 120

struct tenant_conn;

/* A client TLS context: TLS 1.2 or later, ALPN http/1.1, peers verified
 * against ca_file (PEM) or, when ca_file is NULL or "", the system store.
 * Shared read-only by every connection (and thread) of the run. */
SSL_CTX *conn_tls_context(const char *ca_file, char *err, size_t errsize);

/* Connect to host:port (any address getaddrinfo gives, in order); with tls,
 * handshake and verify the certificate against host (a name or an address
 * literal). NULL with err filled on failure. */
struct tenant_conn *conn_open(const char *host, const char *port, SSL_CTX *tls, char *err, size_t errsize);

void conn_close(struct tenant_conn *c);

/* Up to len bytes: > 0 read, 0 the peer closed, -1 error (err filled). */
ssize_t conn_read(struct tenant_conn *c, void *buf, size_t len, char *err, size_t errsize);

/* All len bytes, or false with err filled. */
bool conn_write(struct tenant_conn *c, const void *buf, size_t len, char *err, size_t errsize);

/* Wait until bytes (or the peer's close) can be read: true when they can,
 * false after timeout_ms or on error. */
bool conn_wait_readable(struct tenant_conn *c, int timeout_ms);

/* For a connection with no answer outstanding: true when the peer has closed
 * it (or reset it, or sent bytes nobody asked for), so it must not be reused. */
bool conn_stale(struct tenant_conn *c);

#endif
