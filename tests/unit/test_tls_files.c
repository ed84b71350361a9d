/*
 * tests/unit/test_tls_files.c: the [tls] certificate and key checks
 * (conf/tls_files.c) and the line of a key (conf/key_line.c). The
 * classification and its words are tested with given times; the file
 * checks read certificates made here, at a fixed "now", so that expired
 * and not yet valid need no clock.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "conf_fixture.h"
#include "config.h"
#include "key_line.h"
#include "tls_files.h"

#define DAY 86400
#define NOW INT64_C(1790000000) /* 2026-09-21 14:13:20 UTC */
#define WARN_14D (14 * CONFIG_MS_DAY)

static void assert_has(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

/* ---- pure: classification and words ---- */

static void test_validity_boundaries(void **state)
{
	(void)state;
	assert_int_equal(tls_validity_at(NOW, NOW + DAY, NOW - 1, 0), TLS_VALIDITY_NOT_YET_VALID);
	assert_int_equal(tls_validity_at(NOW, NOW + DAY, NOW, 0), TLS_VALIDITY_GOOD); /* notBefore included */
	assert_int_equal(tls_validity_at(NOW - DAY, NOW, NOW, 0), TLS_VALIDITY_GOOD); /* notAfter included */
	assert_int_equal(tls_validity_at(NOW - DAY, NOW, NOW + 1, 0), TLS_VALIDITY_EXPIRED);
	/* The window: expiring within it, included; 0 = never a warning. */
	assert_int_equal(tls_validity_at(0, NOW + 14 * DAY, NOW, WARN_14D), TLS_VALIDITY_EXPIRING);
	assert_int_equal(tls_validity_at(0, NOW + 14 * DAY + 1, NOW, WARN_14D), TLS_VALIDITY_GOOD);
	assert_int_equal(tls_validity_at(0, NOW + 2 * DAY, NOW, WARN_14D), TLS_VALIDITY_EXPIRING);
	assert_int_equal(tls_validity_at(0, NOW + 2 * DAY, NOW, 0), TLS_VALIDITY_GOOD);
	assert_int_equal(tls_validity_at(0, NOW + 1, NOW, 1),
			 TLS_VALIDITY_GOOD); /* 1 ms rounds down to 0 s */
	/* Expired and not yet valid win over the window. */
	assert_int_equal(tls_validity_at(0, NOW - 1, NOW, WARN_14D), TLS_VALIDITY_EXPIRED);
	assert_int_equal(tls_validity_at(NOW + 1, NOW + DAY, NOW, WARN_14D), TLS_VALIDITY_NOT_YET_VALID);
	/* Past 2038. */
	assert_int_equal(tls_validity_at(0, INT64_C(4102444800), INT64_C(4102444801), 0),
			 TLS_VALIDITY_EXPIRED);
}

static void test_format_time(void **state)
{
	char text[TLS_TIME_TEXT_MAX];

	(void)state;
	tls_format_time(0, text);
	assert_string_equal(text, "1970-01-01 00:00:00 UTC");
	tls_format_time(NOW, text);
	assert_string_equal(text, "2026-09-21 14:13:20 UTC");
	tls_format_time(INT64_C(4102444800), text);
	assert_string_equal(text, "2100-01-01 00:00:00 UTC");
}

static void test_format_span(void **state)
{
	static const struct {
		int64_t seconds;
		const char *text;
	} cases[] = {
		{ 0, "0 seconds" },
		{ 1, "1 second" },
		{ 59, "59 seconds" },
		{ 60, "1 minute" },
		{ 61, "1 minute 1 second" },
		{ 3599, "59 minutes 59 seconds" },
		{ 3600, "1 hour" },
		{ 7200 + 59, "2 hours" },
		{ DAY - 1, "23 hours 59 minutes" },
		{ DAY, "1 day" },
		{ 2 * DAY - 30, "1 day 23 hours" },
		{ 2 * DAY, "2 days" },
		{ -3 * DAY - 3600, "3 days 1 hour" },
		{ INT64_MIN, "106751991167300 days 15 hours" },
	};
	char text[TLS_SPAN_TEXT_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tls_format_span(cases[i].seconds, text);
		assert_string_equal(text, cases[i].text);
	}
}

static void test_validity_messages(void **state)
{
	char text[512];

	(void)state;
	assert_true(tls_validity_message("/c.crt", NOW - 30 * DAY, NOW - 3 * DAY, NOW, WARN_14D, text,
					 sizeof text));
	assert_has(text, "/c.crt expired on 2026-09-18 14:13:20 UTC (3 days ago)");
	assert_true(tls_validity_message("/c.crt", NOW + 2 * 3600, NOW + 30 * DAY, NOW, WARN_14D, text,
					 sizeof text));
	assert_has(text, "/c.crt is not valid before 2026-09-21 16:13:20 UTC (in 2 hours)");
	assert_true(
		tls_validity_message("/c.crt", NOW - DAY, NOW + 2 * DAY, NOW, WARN_14D, text, sizeof text));
	assert_has(text, "/c.crt expires on 2026-09-23 14:13:20 UTC (in 2 days)");
	assert_false(tls_validity_message("/c.crt", NOW - DAY, NOW + 2 * DAY, NOW, 0, text, sizeof text));
	assert_string_equal(text, "");
	assert_false(
		tls_validity_message("/c.crt", NOW - DAY, NOW + 30 * DAY, NOW, WARN_14D, text, sizeof text));
}

/* ---- the files ---- */

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");

	assert_non_null(key);
	return key;
}

/* A self-signed certificate of key, valid from not_before to not_after. */
static X509 *new_cert(EVP_PKEY *key, const char *cn, int64_t not_before, int64_t not_after)
{
	X509 *x = X509_new();
	X509_NAME *name;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
						    -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

/* The PEM text OpenSSL writes into bio, as a malloc'd string; bio freed. */
static char *text_of(BIO *bio)
{
	char *data;
	long len = BIO_get_mem_data(bio, &data);
	char *text = malloc((size_t)len + 1);

	assert_non_null(text);
	memcpy(text, data, (size_t)len);
	text[len] = '\0';
	BIO_free(bio);
	return text;
}

static char *pem_cert(X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());

	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	return text_of(bio);
}

static char *pem_key(EVP_PKEY *key, const char *passphrase)
{
	BIO *bio = BIO_new(BIO_s_mem());

	if (passphrase != NULL)
		assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_128_cbc(), passphrase,
							       (int)strlen(passphrase), NULL, NULL),
				 1);
	else
		assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
	return text_of(bio);
}

/* In the scratch directory: good.crt (leaf valid NOW - 10 days to NOW + 2
 * days, then a second certificate), good.key, other.key (another key). */
static int files_setup(void **state)
{
	struct conf_fixture *f;
	EVP_PKEY *key = new_key(), *other = new_key();
	X509 *leaf = new_cert(key, "leaf", NOW - 10 * DAY, NOW + 2 * DAY);
	X509 *second = new_cert(other, "second", NOW - 10 * DAY, NOW + 20 * DAY);
	char *leaf_pem = pem_cert(leaf), *second_pem = pem_cert(second);
	char *key_pem = pem_key(key, NULL), *other_pem = pem_key(other, NULL);
	char *locked_pem = pem_key(key, "passphrase");
	char chain[8192];

	conf_fixture_setup(state);
	f = *state;
	snprintf(chain, sizeof chain, "%s%s", leaf_pem, second_pem);
	conf_fixture_write(f, "good.crt", chain);
	conf_fixture_write(f, "good.key", key_pem);
	conf_fixture_write(f, "other.key", other_pem);
	conf_fixture_write(f, "locked.key", locked_pem);
	snprintf(chain, sizeof chain,
		 "%s-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
		 "-----END CERTIFICATE-----\n",
		 leaf_pem);
	conf_fixture_write(f, "broken-chain.crt", chain);
	conf_fixture_write(f, "text.crt", "this is not a certificate\n");
	free(leaf_pem);
	free(second_pem);
	free(key_pem);
	free(other_pem);
	free(locked_pem);
	X509_free(leaf);
	X509_free(second);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	return 0;
}

static void path_in(const struct conf_fixture *f, const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", f->dir, name);
}

/* tls_files_read() of two files of the fixture at now: true, or false with
 * the key at fault and the message. */
static bool read_pair(const struct conf_fixture *f, const char *crt, const char *key_file, int64_t now,
		      struct tls_files *files, const char **key, struct config_error *err)
{
	char crt_path[PATH_MAX + 32], key_path[PATH_MAX + 32];

	path_in(f, crt, crt_path, sizeof crt_path);
	path_in(f, key_file, key_path, sizeof key_path);
	*key = NULL;
	return tls_files_read(crt_path, key_path, now, files, key, err);
}

static void test_reads_a_good_pair(void **state)
{
	struct tls_files files;
	struct config_error err;
	const char *key;

	assert_true(read_pair(*state, "good.crt", "good.key", NOW, &files, &key, &err));
	assert_non_null(files.leaf);
	assert_non_null(files.key);
	assert_int_equal(sk_X509_num(files.chain), 1);
	assert_true(files.not_before == NOW - 10 * DAY);
	assert_true(files.not_after == NOW + 2 * DAY);
	tls_files_clear(&files);
	assert_null(files.leaf);
}

static void test_refuses_expired_and_not_yet_valid(void **state)
{
	struct tls_files files;
	struct config_error err;
	const char *key;

	assert_false(read_pair(*state, "good.crt", "good.key", NOW + 3 * DAY, &files, &key, &err));
	assert_string_equal(key, "certificate");
	assert_has(err.message, "/good.crt expired on 2026-09-23 14:13:20 UTC (1 day ago)");
	assert_null(files.leaf);
	assert_false(read_pair(*state, "good.crt", "good.key", NOW - 11 * DAY, &files, &key, &err));
	assert_string_equal(key, "certificate");
	assert_has(err.message, "/good.crt is not valid before 2026-09-11 14:13:20 UTC (in 1 day)");
}

static void test_refuses_a_key_of_another_certificate(void **state)
{
	struct tls_files files;
	struct config_error err;
	const char *key;

	assert_false(read_pair(*state, "good.crt", "other.key", NOW, &files, &key, &err));
	assert_string_equal(key, "private_key");
	assert_has(err.message, "/other.key is not the key of the certificate ");
	assert_has(err.message, "/good.crt (key values mismatch)");
}

static void test_refuses_files_that_are_not_pem(void **state)
{
	struct tls_files files;
	struct config_error err;
	const char *key;

	assert_false(read_pair(*state, "text.crt", "good.key", NOW, &files, &key, &err));
	assert_string_equal(key, "certificate");
	assert_has(err.message, "/text.crt holds no PEM certificate");
	assert_false(read_pair(*state, "broken-chain.crt", "good.key", NOW, &files, &key, &err));
	assert_string_equal(key, "certificate");
	assert_has(err.message, "/broken-chain.crt: certificate 2 of the chain does not parse");
	assert_false(read_pair(*state, "good.crt", "text.crt", NOW, &files, &key, &err));
	assert_string_equal(key, "private_key");
	assert_has(err.message, "/text.crt holds no usable PEM private key");
	/* A certificate where the key belongs is no key either. */
	assert_false(read_pair(*state, "good.crt", "good.crt", NOW, &files, &key, &err));
	assert_string_equal(key, "private_key");
}

static void test_refuses_an_encrypted_key(void **state)
{
	struct tls_files files;
	struct config_error err;
	const char *key;

	assert_false(read_pair(*state, "good.crt", "locked.key", NOW, &files, &key, &err));
	assert_string_equal(key, "private_key");
	assert_has(err.message, "unencrypted");
}

/* ---- for tools: the INI file, the line and the key ---- */

#define INI_HEAD "[proxy]\nupstream = 127.0.0.1:9000\n\n[tls]\n"

static void test_check_names_file_line_and_key(void **state)
{
	struct conf_fixture *f = *state;
	struct config_error err, warning;
	char expect[3 * PATH_MAX];

	assert_true(conf_fixture_load(f, INI_HEAD
				      "certificate = good.crt\n; the wrong one\nprivate_key = other.key\n"));
	assert_false(config_check_tls_files(f->cfg, NOW, &err, &warning));
	snprintf(expect, sizeof expect, "%s/sluice.ini:7: [tls] private_key: %s/other.key is not the key",
		 f->dir, f->dir);
	assert_has(err.message, expect);
	assert_int_equal(err.line, 7);

	assert_true(conf_fixture_load(f, INI_HEAD "private_key = good.key\ncertificate = text.crt\n"));
	assert_false(config_check_tls_files(f->cfg, NOW, &err, &warning));
	snprintf(expect, sizeof expect, "%s/sluice.ini:6: [tls] certificate: %s/text.crt holds no PEM",
		 f->dir, f->dir);
	assert_has(err.message, expect);
}

static void test_check_warns_within_expiry_warning(void **state)
{
	struct conf_fixture *f = *state;
	struct config_error err, warning;
	char expect[3 * PATH_MAX];

	/* The leaf expires in 2 days: within the default 14d. */
	assert_true(conf_fixture_load(f, INI_HEAD "certificate = good.crt\nprivate_key = good.key\n"));
	assert_true(config_check_tls_files(f->cfg, NOW, &err, &warning));
	snprintf(expect, sizeof expect,
		 "%s/sluice.ini: [tls] certificate: %s/good.crt expires on "
		 "2026-09-23 14:13:20 UTC (in 2 days)",
		 f->dir, f->dir);
	assert_has(warning.message, expect);
	assert_true(conf_fixture_load(f, INI_HEAD "certificate = good.crt\nprivate_key = good.key\n"
						  "expiry_warning = 1d\n"));
	assert_true(config_check_tls_files(f->cfg, NOW, &err, &warning));
	assert_string_equal(warning.message, "");
	/* enabled = off: nothing is read. */
	assert_true(conf_fixture_load(f, INI_HEAD
				      "enabled = off\ncertificate = text.crt\nprivate_key = good.key\n"));
	assert_true(config_check_tls_files(f->cfg, NOW, &err, &warning));
}

static void test_error_at_key(void **state)
{
	struct conf_fixture *f = *state;
	const char *ini = conf_fixture_write(f, "lines.ini",
					     "; head\n[proxy]\nupstream = a:1\n[tls]\n"
					     "  certificate = x ; the served one\nprivate_key = y\n");
	struct config_error err;
	char expect[3 * PATH_MAX];

	assert_int_equal(config_key_line(ini, "tls", "certificate"), 5);
	assert_int_equal(config_key_line(ini, "tls", "private_key"), 6);
	assert_int_equal(config_key_line(ini, "tls", "client_ca"), 0);
	assert_int_equal(config_key_line(ini, "proxy", "certificate"), 0);
	config_error_at_key(&err, ini, "[proxy] upstream: cannot resolve a");
	snprintf(expect, sizeof expect, "%s:3: [proxy] upstream: cannot resolve a", ini);
	assert_string_equal(err.message, expect);
	assert_int_equal(err.line, 3);
	/* A key the file leaves to its default, or no key at all: no line. */
	config_error_at_key(&err, ini, "[tls] ciphers: no usable cipher");
	snprintf(expect, sizeof expect, "%s: [tls] ciphers: no usable cipher", ini);
	assert_string_equal(err.message, expect);
	assert_int_equal(err.line, 0);
	config_error_at_key(&err, ini, "out of memory");
	snprintf(expect, sizeof expect, "%s: out of memory", ini);
	assert_string_equal(err.message, expect);
}

#define FILES(test) cmocka_unit_test_setup_teardown(test, files_setup, conf_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validity_boundaries),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_format_span),
		cmocka_unit_test(test_validity_messages),
		FILES(test_reads_a_good_pair),
		FILES(test_refuses_expired_and_not_yet_valid),
		FILES(test_refuses_a_key_of_another_certificate),
		FILES(test_refuses_files_that_are_not_pem),
		FILES(test_refuses_an_encrypted_key),
		FILES(test_check_names_file_line_and_key),
		FILES(test_check_warns_within_expiry_warning),
		FILES(test_error_at_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
