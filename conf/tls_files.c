/*
 * conf/tls_files.c: reading and checking the [tls] certificate chain and
 * private key (see tls_files.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "conf/key_line.h"
#include "conf/tls_files.h"
#include "conf/value.h"

#define SECONDS_PER_DAY 86400

/* ---- pure: validity and its words ---- */

enum tls_validity tls_validity_at(int64_t not_before, int64_t not_after, int64_t now, uint64_t warning_ms)
{
	if (now < not_before)
		return TLS_VALIDITY_NOT_YET_VALID;
	if (now > not_after)
		return TLS_VALIDITY_EXPIRED;
	if (warning_ms > 0 && (uint64_t)(not_after - now) <= warning_ms / 1000)
		return TLS_VALIDITY_EXPIRING;
	return TLS_VALIDITY_GOOD;
}

void tls_format_time(int64_t t, char out[TLS_TIME_TEXT_MAX])
{
	time_t when = (time_t)t;
	struct tm tm;

	if ((int64_t)when != t || gmtime_r(&when, &tm) == NULL ||
	    strftime(out, TLS_TIME_TEXT_MAX, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, TLS_TIME_TEXT_MAX, "%" PRId64 " s after the epoch", t);
}

void tls_format_span(int64_t seconds, char out[TLS_SPAN_TEXT_MAX])
{
	static const struct unit {
		uint64_t seconds;
		const char *name;
	} units[] = { { SECONDS_PER_DAY, "day" }, { 3600, "hour" }, { 60, "minute" }, { 1, "second" } };
	const size_t last = sizeof units / sizeof units[0] - 1;
	uint64_t magnitude = seconds < 0 ? 0 - (uint64_t)seconds : (uint64_t)seconds;
	uint64_t count, rest;
	size_t i = 0;
	int used;

	while (i < last && magnitude < units[i].seconds)
		i++;
	count = magnitude / units[i].seconds;
	used = snprintf(out, TLS_SPAN_TEXT_MAX, "%" PRIu64 " %s%s", count, units[i].name,
			count == 1 ? "" : "s");
	if (i == last || used < 0 || used >= TLS_SPAN_TEXT_MAX)
		return;
	rest = magnitude % units[i].seconds / units[i + 1].seconds;
	if (rest > 0)
		snprintf(out + used, TLS_SPAN_TEXT_MAX - (size_t)used, " %" PRIu64 " %s%s", rest,
			 units[i + 1].name, rest == 1 ? "" : "s");
}

bool tls_validity_message(const char *path, int64_t not_before, int64_t not_after, int64_t now,
			  uint64_t warning_ms, char *out, size_t size)
{
	char when[TLS_TIME_TEXT_MAX], span[TLS_SPAN_TEXT_MAX];

	switch (tls_validity_at(not_before, not_after, now, warning_ms)) {
	case TLS_VALIDITY_NOT_YET_VALID:
		tls_format_time(not_before, when);
		tls_format_span(not_before - now, span);
		snprintf(out, size,
			 "%s is not valid before %s (in %s); use a certificate that is valid "
			 "now, or check this host's clock",
			 path, when, span);
		return true;
	case TLS_VALIDITY_EXPIRED:
		tls_format_time(not_after, when);
		tls_format_span(now - not_after, span);
		snprintf(out, size,
			 "%s expired on %s (%s ago); renew it: tenants refuse an expired "
			 "certificate",
			 path, when, span);
		return true;
	case TLS_VALIDITY_EXPIRING:
		tls_format_time(not_after, when);
		tls_format_span(not_after - now, span);
		snprintf(out, size, "%s expires on %s (in %s); renew it and reload before then", path, when,
			 span);
		return true;
	case TLS_VALIDITY_GOOD:
		break;
	}
	if (size > 0)
		out[0] = '\0';
	return false;
}

/* ---- OpenSSL ---- */

bool tls_asn1_time_seconds(const ASN1_TIME *t, int64_t *out)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int days, seconds;
	bool ok = epoch != NULL && ASN1_TIME_diff(&days, &seconds, epoch, t) == 1;

	ASN1_TIME_free(epoch);
	if (ok)
		*out = (int64_t)days * SECONDS_PER_DAY + seconds;
	return ok;
}

/* The reason of OpenSSL's latest error ("no start line", "key values
 * mismatch"), and an empty queue afterwards. */
static const char *openssl_reason(char *out, size_t size)
{
	unsigned long code = ERR_peek_last_error();
	const char *reason = code != 0 ? ERR_reason_error_string(code) : NULL;

	if (reason != NULL)
		snprintf(out, size, "%s", reason);
	else if (code != 0)
		ERR_error_string_n(code, out, size);
	else
		snprintf(out, size, "no detail from OpenSSL");
	ERR_clear_error();
	return out;
}

/* The PEM reader stopped because no further PEM block was there (the end of
 * a chain), not because a block was broken. */
static bool no_further_block(void)
{
	unsigned long code = ERR_peek_last_error();

	return ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE;
}

static BIO *open_pem(const char *path, const char *what, struct config_error *err)
{
	BIO *bio = BIO_new_file(path, "r");

	if (bio == NULL) {
		config_fail(err, "cannot read %s: %s; name a readable PEM file holding %s", path,
			    strerror(errno), what);
		ERR_clear_error();
	}
	return bio;
}

/* The leaf first, then every further certificate, as
 * SSL_CTX_use_certificate_chain_file() reads a chain. */
static bool read_chain(const char *path, struct tls_files *out, struct config_error *err)
{
	char why[128];
	BIO *bio = open_pem(path, "the certificate chain", err);
	X509 *cert;
	unsigned n = 2;

	if (bio == NULL)
		return false;
	out->leaf = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
	if (out->leaf == NULL) {
		BIO_free(bio);
		if (no_further_block()) {
			ERR_clear_error();
			return config_fail(err,
					   "%s holds no PEM certificate (no \"-----BEGIN CERTIFICATE-----\" "
					   "line); give the PEM certificate chain, leaf first (a DER file converts "
					   "with openssl x509 -inform DER)",
					   path);
		}
		return config_fail(err,
				   "%s: the first certificate does not parse (%s); give the PEM "
				   "certificate chain, leaf first",
				   path, openssl_reason(why, sizeof why));
	}
	out->chain = sk_X509_new_null();
	while (out->chain != NULL && (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(out->chain, cert) == 0) {
			X509_free(cert);
			BIO_free(bio);
			return config_fail(err, "out of memory reading %s", path);
		}
		n++;
	}
	BIO_free(bio);
	if (out->chain == NULL)
		return config_fail(err, "out of memory reading %s", path);
	if (!no_further_block())
		return config_fail(err,
				   "%s: certificate %u of the chain does not parse (%s); give the PEM "
				   "certificate chain, leaf first",
				   path, n, openssl_reason(why, sizeof why));
	ERR_clear_error();
	return true;
}

/* A daemon that reloads on SIGHUP has nobody to ask for a passphrase. */
static int no_passphrase(char *buf, int size, int rwflag, void *user)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)user;
	return -1;
}

static bool read_key(const char *path, struct tls_files *out, struct config_error *err)
{
	char why[128];
	BIO *bio = open_pem(path, "the private key", err);

	if (bio == NULL)
		return false;
	out->key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (out->key == NULL)
		return config_fail(err,
				   "%s holds no usable PEM private key (%s); give the certificate's "
				   "private key in PEM, unencrypted (sluice cannot ask for a passphrase)",
				   path, openssl_reason(why, sizeof why));
	ERR_clear_error();
	return true;
}

static bool read_dates(const char *path, struct tls_files *out, struct config_error *err)
{
	if (!tls_asn1_time_seconds(X509_get0_notBefore(out->leaf), &out->not_before) ||
	    !tls_asn1_time_seconds(X509_get0_notAfter(out->leaf), &out->not_after)) {
		ERR_clear_error();
		return config_fail(err,
				   "%s: the validity dates of the first certificate cannot be read; "
				   "give a well-formed certificate",
				   path);
	}
	return true;
}

bool tls_files_read(const char *certificate, const char *private_key, int64_t now, struct tls_files *out,
		    const char **key, struct config_error *err)
{
	char why[128], message[CONFIG_ERROR_MAX];

	memset(out, 0, sizeof *out);
	ERR_clear_error();
	*key = "certificate";
	if (!read_chain(certificate, out, err) || !read_dates(certificate, out, err))
		goto refused;
	if (tls_validity_message(certificate, out->not_before, out->not_after, now, 0, message,
				 sizeof message)) {
		config_fail(err, "%s", message);
		goto refused;
	}
	*key = "private_key";
	if (!read_key(private_key, out, err))
		goto refused;
	if (X509_check_private_key(out->leaf, out->key) != 1) {
		config_fail(err,
			    "%s is not the key of the certificate %s (%s); give that certificate's "
			    "private key, or the certificate of this key",
			    private_key, certificate, openssl_reason(why, sizeof why));
		goto refused;
	}
	return true;
refused:
	tls_files_clear(out);
	return false;
}

void tls_files_clear(struct tls_files *files)
{
	X509_free(files->leaf);
	sk_X509_pop_free(files->chain, X509_free);
	EVP_PKEY_free(files->key);
	memset(files, 0, sizeof *files);
}

/* ---- for tools ---- */

bool config_check_tls_files(const struct sluice_config *cfg, int64_t now, struct config_error *err,
			    struct config_error *warning)
{
	struct tls_files files;
	struct config_error why;
	char message[CONFIG_ERROR_MAX + 32];
	const char *key;

	warning->line = 0;
	warning->message[0] = '\0';
	if (!cfg->tls.enabled)
		return true;
	if (!tls_files_read(cfg->tls.certificate, cfg->tls.private_key, now, &files, &key, &why)) {
		snprintf(message, sizeof message, "[tls] %s: %s", key, why.message);
		config_error_at_key(err, cfg->path, message);
		return false;
	}
	if (tls_validity_message(cfg->tls.certificate, files.not_before, files.not_after, now,
				 cfg->tls.expiry_warning_ms, message, sizeof message))
		config_fail(warning, "%s: [tls] certificate: %s", cfg->path, message);
	tls_files_clear(&files);
	return true;
}
