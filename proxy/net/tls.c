/*
 * proxy/net/tls.c: OpenSSL contexts for both sides (see tls.h).
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "net/log.h"
#include "net/tls.h"
#include "tls_files.h"

#define TICKET_NAME_BYTES 16
#define TICKET_AES_BYTES 32  /* AES-256-CBC, as OpenSSL's own tickets */
#define TICKET_HMAC_BYTES 32 /* HMAC-SHA256 */
#define SESSION_ID_CONTEXT "sluice"
/* OpenSSL's read buffer (read_ahead is on): room for four full records, so
 * one recv(2) takes up to 64 KiB of an upload instead of one 16 KiB record.
 * SSL_MODE_RELEASE_BUFFERS frees it whenever it is empty, so an idle
 * connection holds none of it. */
#define TLS_READ_BUFFER_BYTES \
	(4 * (SSL3_RT_HEADER_LENGTH + SSL3_RT_MAX_PLAIN_LENGTH + SSL3_RT_MAX_ENCRYPTED_OVERHEAD))

static const unsigned char alpn_http11[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };

struct ticket_key {
	unsigned char name[TICKET_NAME_BYTES];
	unsigned char aes[TICKET_AES_BYTES];
	unsigned char hmac[TICKET_HMAC_BYTES];
};

/* Rotated by the main thread, read in handshakes on every worker's. */
struct tls_ticket_keys {
	pthread_rwlock_t lock;
	struct ticket_key current;
	struct ticket_key previous;
	bool have_previous;
};

/* ---- errors ---- */

void tls_error_text(char *out, size_t size)
{
	unsigned long code = ERR_get_error();

	if (code == 0)
		snprintf(out, size, "no further detail from OpenSSL");
	else
		ERR_error_string_n(code, out, size);
	ERR_clear_error();
}

void tls_log_errors(enum config_log_level level, const char *prefix, const char *what)
{
	unsigned long code;
	char text[256];
	bool any = false;

	while ((code = ERR_get_error()) != 0) {
		ERR_error_string_n(code, text, sizeof text);
		if (prefix != NULL)
			log_msg(level, "%s %s: %s", prefix, what, text);
		else
			log_msg(level, "%s: %s", what, text);
		any = true;
	}
	if (!any && log_enabled(level)) {
		if (prefix != NULL)
			log_msg(level, "%s %s", prefix, what);
		else
			log_msg(level, "%s", what);
	}
}

void tls_describe(const SSL *ssl, char *out, size_t size)
{
	snprintf(out, size, "%s/%s%s", SSL_get_version(ssl), SSL_get_cipher_name(ssl),
		 SSL_session_reused(ssl) ? " resumed" : "");
}

/* ---- ticket keys ---- */

static bool ticket_key_generate(struct ticket_key *key)
{
	return RAND_bytes(key->name, sizeof key->name) == 1 && RAND_bytes(key->aes, sizeof key->aes) == 1 &&
	       RAND_bytes(key->hmac, sizeof key->hmac) == 1;
}

struct tls_ticket_keys *tls_ticket_keys_new(void)
{
	struct tls_ticket_keys *keys = calloc(1, sizeof *keys);

	if (keys == NULL)
		return NULL;
	if (!ticket_key_generate(&keys->current) || pthread_rwlock_init(&keys->lock, NULL) != 0) {
		OPENSSL_cleanse(keys, sizeof *keys);
		free(keys);
		return NULL;
	}
	return keys;
}

void tls_ticket_keys_free(struct tls_ticket_keys *keys)
{
	if (keys == NULL)
		return;
	pthread_rwlock_destroy(&keys->lock);
	OPENSSL_cleanse(keys, sizeof *keys);
	free(keys);
}

bool tls_ticket_keys_rotate(struct tls_ticket_keys *keys)
{
	struct ticket_key fresh;

	if (!ticket_key_generate(&fresh))
		return false;
	pthread_rwlock_wrlock(&keys->lock);
	keys->previous = keys->current;
	keys->have_previous = true;
	keys->current = fresh;
	pthread_rwlock_unlock(&keys->lock);
	OPENSSL_cleanse(&fresh, sizeof fresh);
	return true;
}

static bool ticket_mac_init(EVP_MAC_CTX *hctx, const struct ticket_key *key)
{
	OSSL_PARAM params[3];

	params[0] =
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)key->hmac, sizeof key->hmac);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"sha256", 0);
	params[2] = OSSL_PARAM_construct_end();
	return EVP_MAC_CTX_set_params(hctx, params) == 1;
}

/* OpenSSL's ticket callback: 1 = use these keys, 2 = accepted under the
 * previous key (issue a fresh ticket), 0 = unknown key (full handshake),
 * -1 = error. */
/* The key to encrypt with, or the one named (1 current, 2 previous, 0 none),
 * copied out under the lock. */
static int ticket_key_pick(struct tls_ticket_keys *keys, int enc, const unsigned char *name,
			   struct ticket_key *out)
{
	int found = 1;

	pthread_rwlock_rdlock(&keys->lock);
	if (enc || memcmp(name, keys->current.name, TICKET_NAME_BYTES) == 0)
		*out = keys->current;
	else if (keys->have_previous && memcmp(name, keys->previous.name, TICKET_NAME_BYTES) == 0)
		*out = keys->previous, found = 2;
	else
		found = 0;
	pthread_rwlock_unlock(&keys->lock);
	return found;
}

static int ticket_key_use(unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx,
			  int enc, const struct ticket_key *key, int found)
{
	if (enc) {
		if (RAND_bytes(iv, EVP_CIPHER_iv_length(EVP_aes_256_cbc())) != 1)
			return -1;
		memcpy(name, key->name, TICKET_NAME_BYTES);
		if (EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, key->aes, iv) != 1)
			return -1;
		return ticket_mac_init(hctx, key) ? 1 : -1;
	}
	if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, key->aes, iv) != 1)
		return -1;
	return ticket_mac_init(hctx, key) ? found : -1;
}

/* OpenSSL's ticket callback: 1 = use these keys, 2 = accepted under the
 * previous key (issue a fresh ticket), 0 = unknown key (full handshake),
 * -1 = error. */
static int ticket_key_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
			 EVP_MAC_CTX *hctx, int enc)
{
	struct tls_ticket_keys *keys = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	struct ticket_key key;
	int found, rc;

	if (keys == NULL)
		return -1;
	found = ticket_key_pick(keys, enc, name, &key);
	rc = found == 0 ? 0 : ticket_key_use(name, iv, cctx, hctx, enc, &key, found);
	OPENSSL_cleanse(&key, sizeof key);
	return rc;
}

/* ---- the tenant side ---- */

/* ALPN: http/1.1 when offered; a client that offers only other protocols
 * cannot speak TSP/1 (RFC 7301: no_application_protocol). */
static int alpn_select_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
			  unsigned int inlen, void *arg)
{
	unsigned char *selected;

	if (SSL_select_next_proto(&selected, outlen, alpn_http11, sizeof alpn_http11, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = selected;
	return SSL_TLSEXT_ERR_OK;
}

static bool fail(char *err, size_t err_size, const char *key, const char *what, const char *value,
		 const char *fix)
{
	char detail[256];

	tls_error_text(detail, sizeof detail);
	snprintf(err, err_size, "%s: %s %s: %s; %s", key, what, value, detail, fix);
	return false;
}

static bool server_ctx_ciphers(SSL_CTX *ctx, const struct sluice_config *cfg, char *err, size_t size)
{
	int min = cfg->tls.min_version == CONFIG_TLS_VERSION_1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;

	if (SSL_CTX_set_min_proto_version(ctx, min) != 1)
		return fail(err, size, "[tls] min_version", "cannot set", "", "use TLSv1.2 or TLSv1.3");
	if (SSL_CTX_set_cipher_list(ctx, cfg->tls.ciphers) != 1)
		return fail(err, size, "[tls] ciphers", "no usable cipher in", cfg->tls.ciphers,
			    "give an OpenSSL cipher list (see openssl-ciphers(1))");
	if (SSL_CTX_set_ciphersuites(ctx, cfg->tls.ciphersuites) != 1)
		return fail(err, size, "[tls] ciphersuites", "no usable suite in", cfg->tls.ciphersuites,
			    "give TLS 1.3 suites such as TLS_AES_128_GCM_SHA256");
	return true;
}

static bool server_ctx_identity(SSL_CTX *ctx, const struct sluice_config *cfg, char *err, size_t size)
{
	struct tls_files files;
	struct config_error why;
	const char *key;
	bool used;

	/* Read and checked as sluice -t and sluicectl check them (conf/tls_files.h). */
	if (!tls_files_read(cfg->tls.certificate, cfg->tls.private_key, (int64_t)time(NULL), &files, &key,
			    &why)) {
		snprintf(err, size, "[tls] %s: %s", key, why.message);
		return false;
	}
	used = SSL_CTX_use_cert_and_key(ctx, files.leaf, files.key, files.chain, 1) == 1;
	tls_files_clear(&files);
	if (!used)
		return fail(err, size, "[tls] certificate", "cannot use", cfg->tls.certificate,
			    "give a PEM certificate chain, leaf first, and its private key");
	if (cfg->tls.client_ca[0] != '\0') {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->tls.client_ca);

		if (names == NULL || SSL_CTX_load_verify_locations(ctx, cfg->tls.client_ca, NULL) != 1) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			return fail(err, size, "[tls] client_ca", "cannot load", cfg->tls.client_ca,
				    "give a PEM file of CA certificates");
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	return true;
}

static bool server_ctx_resumption(SSL_CTX *ctx, const struct sluice_config *cfg, struct tls_ticket_keys *keys,
				  char *err, size_t size)
{
	if (SSL_CTX_set_session_id_context(ctx, (const unsigned char *)SESSION_ID_CONTEXT,
					   sizeof SESSION_ID_CONTEXT - 1) != 1)
		return fail(err, size, "[tls]", "cannot set", "the session id context", "report this");
	if (cfg->tls.session_cache > 0) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
		SSL_CTX_sess_set_cache_size(ctx, (long)cfg->tls.session_cache);
	} else {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}
	if (!cfg->tls.session_tickets) {
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		return true;
	}
	SSL_CTX_set_app_data(ctx, keys);
	if (SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_cb) != 1)
		return fail(err, size, "[tls] session_tickets", "cannot install", "the ticket key callback",
			    "set session_tickets = off");
	return true;
}

SSL_CTX *tls_server_ctx_new(const struct sluice_config *cfg, struct tls_ticket_keys *keys, char *err,
			    size_t err_size)
{
	SSL_CTX *ctx;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		fail(err, err_size, "[tls]", "cannot create", "a TLS context", "check memory");
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, TLS_READ_BUFFER_BYTES);
	SSL_CTX_set_dh_auto(ctx, 1);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select_cb, NULL);
	if (!server_ctx_ciphers(ctx, cfg, err, err_size) || !server_ctx_identity(ctx, cfg, err, err_size) ||
	    !server_ctx_resumption(ctx, cfg, keys, err, err_size)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

bool tls_server_ctx_not_after(const SSL_CTX *ctx, int64_t *not_after)
{
	X509 *leaf = SSL_CTX_get0_certificate(ctx);

	return leaf != NULL && tls_asn1_time_seconds(X509_get0_notAfter(leaf), not_after);
}

/* ---- the repository side ---- */

SSL_CTX *tls_upstream_ctx_new(const struct sluice_config *cfg, char *err, size_t err_size)
{
	SSL_CTX *ctx;
	bool ca_loaded;

	err[0] = '\0';
	if (!cfg->proxy.upstream_tls)
		return NULL;
	if (cfg->proxy.upstream.kind == CONFIG_ADDRESS_UNIX && cfg->proxy.upstream_name[0] == '\0') {
		snprintf(err, err_size,
			 "[proxy] upstream_name: empty while upstream_tls = on and upstream "
			 "is a UNIX socket; name the host in the repository's certificate");
		return NULL;
	}
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		fail(err, err_size, "[proxy] upstream_tls", "cannot create", "a TLS context", "check memory");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* As on the tenant side: a renegotiation in the middle of a stream
	 * buys nothing and is the one handshake that runs inside SSL_write. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (cfg->proxy.upstream_ca[0] != '\0')
		ca_loaded = SSL_CTX_load_verify_locations(ctx, cfg->proxy.upstream_ca, NULL) == 1;
	else
		ca_loaded = SSL_CTX_set_default_verify_paths(ctx) == 1;
	if (!ca_loaded) {
		fail(err, err_size, "[proxy] upstream_ca", "cannot load",
		     cfg->proxy.upstream_ca[0] != '\0' ? cfg->proxy.upstream_ca : "the system store",
		     "give a PEM file of the CAs that sign the repository's certificate");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static bool is_ip_literal(const char *name)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
}

SSL *tls_upstream_ssl_new(SSL_CTX *ctx, const char *name)
{
	SSL *ssl = SSL_new(ctx);
	bool ok = true;

	if (ssl == NULL)
		return NULL;
	SSL_set_connect_state(ssl);
	if (name[0] != '\0' && is_ip_literal(name)) {
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1;
	} else if (name[0] != '\0') {
		ok = SSL_set_tlsext_host_name(ssl, name) == 1 && SSL_set1_host(ssl, name) == 1;
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	}
	if (!ok) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}
