/*
 * conf/tls_files.h: the certificate chain and private key of [tls], read and
 * checked in one place for everybody. The daemon builds its tenant-side TLS
 * context from what tls_files_read() returns (proxy/net/tls.c, at start and on
 * every reload), and `sluice -t`, `sluicectl check` and sluicectl's edits run
 * the same function, so none of them passes a pair the daemon would refuse.
 *
 * What is refused:
 *  - a certificate file that is not a PEM chain (leaf first; every block
 *    after it must parse too);
 *  - a key file that is not an unencrypted PEM private key (a daemon that
 *    reloads on SIGHUP has nobody to ask for a passphrase);
 *  - a key that is not the leaf's;
 *  - a leaf that is expired or not yet valid: tenants would refuse it.
 * A leaf that expires within [tls] expiry_warning passes, with a warning.
 *
 * Times are seconds since the epoch (int64_t, past 2038 too). The
 * classification and the messages are pure and unit-tested with given times.
 */
#ifndef SLUICE_CONF_TLS_FILES_H
#define SLUICE_CONF_TLS_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "conf/config.h"

#define TLS_TIME_TEXT_MAX 32 /* "2026-12-04 00:00:00 UTC", NUL included */
#define TLS_SPAN_TEXT_MAX 48 /* "1 day 23 hours", NUL included */

/* Where the leaf stands at a moment. */
enum tls_validity {
	TLS_VALIDITY_GOOD,         /* valid, and not expiring within the warning window */
	TLS_VALIDITY_EXPIRING,     /* valid, but notAfter is within the warning window */
	TLS_VALIDITY_EXPIRED,      /* the moment is after notAfter */
	TLS_VALIDITY_NOT_YET_VALID /* the moment is before notBefore */
};

/* The certificate and key of [tls], as read from their files. */
struct tls_files {
	X509 *leaf;
	STACK_OF(X509) *chain; /* the certificates after the leaf (possibly none) */
	EVP_PKEY *key;
	int64_t not_before; /* of the leaf */
	int64_t not_after;
};

/* The leaf's state at now, as OpenSSL's verification sees it (a leaf is
 * valid from notBefore to notAfter, both included). warning_ms = 0: never
 * EXPIRING. */
enum tls_validity tls_validity_at(int64_t not_before, int64_t not_after, int64_t now, uint64_t warning_ms);

/* t as "2026-12-04 00:00:00 UTC". */
void tls_format_time(int64_t t, char out[TLS_TIME_TEXT_MAX]);
/* The length of a span in its largest unit and the next one, whole: "2
 * days", "1 day 23 hours", "5 minutes 1 second", "0 seconds" (the sign is
 * ignored). */
void tls_format_span(int64_t seconds, char out[TLS_SPAN_TEXT_MAX]);

/* What is wrong with a leaf at now, or why it deserves a warning, as
 * "PATH expired on ... (3 days ago); ..." for the message of [tls]
 * certificate. False (and out = "") when the leaf is GOOD. */
bool tls_validity_message(const char *path, int64_t not_before, int64_t not_after, int64_t now,
			  uint64_t warning_ms, char *out, size_t size);

/* An ASN1_TIME as seconds since the epoch. False when it cannot be decoded. */
bool tls_asn1_time_seconds(const ASN1_TIME *t, int64_t *out);

/* Read the PEM chain at certificate and the PEM key at private_key, and
 * check them as described above, at now. On success *out holds both (free
 * with tls_files_clear()). On failure *out is empty, *key names the key at
 * fault ("certificate" or "private_key") and err->message says what is wrong
 * with which file and how to fix it (without the INI file or the key). */
bool tls_files_read(const char *certificate, const char *private_key, int64_t now, struct tls_files *out,
		    const char **key, struct config_error *err);

void tls_files_clear(struct tls_files *files);

/* For tools: the [tls] files of cfg checked as the daemon checks them, when
 * [tls] enabled = on (nothing to check otherwise). False with err->message
 * = "INI:LINE: [tls] KEY: ..." (cfg->path, and the line that sets the key).
 * On success *warning is "INI: [tls] certificate: ... expires ..." when the
 * leaf expires within [tls] expiry_warning, else "". */
bool config_check_tls_files(const struct sluice_config *cfg, int64_t now, struct config_error *err,
			    struct config_error *warning);

#endif
