/*
 * proxy/net/runconf.c: building and sharing a running configuration (see
 * runconf.h).
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <openssl/crypto.h>

#include "conf/notice.h"
#include "net/log.h"
#include "net/runconf.h"
#include "tls_files.h"

void runconf_format_address(const struct sockaddr *sa, socklen_t len, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		snprintf(out, size, "%s:%u", host, ntohs(in->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		snprintf(out, size, "[%s]:%u", host, ntohs(in6->sin6_port));
		break;
	}
	case AF_UNIX: {
		const struct sockaddr_un *un = (const struct sockaddr_un *)sa;

		snprintf(out, size, "unix:%.*s",
			 (int)(len > sizeof(sa_family_t) ? strnlen(un->sun_path, sizeof un->sun_path) : 0),
			 un->sun_path);
		break;
	}
	default:
		snprintf(out, size, "(address family %d)", sa->sa_family);
	}
}

/* The repository's addresses, resolved once per load so that connecting
 * never blocks the event loop on DNS. */
static bool resolve_upstream(struct runconf *rc, char *err, size_t err_size)
{
	const struct config_address *up = &rc->cfg->proxy.upstream;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG };
	struct addrinfo *list, *ai;
	int rv;

	if (up->kind == CONFIG_ADDRESS_UNIX) {
		struct sockaddr_un *un = (struct sockaddr_un *)&rc->upstream[0].addr;

		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof un->sun_path, "%s", up->path);
		rc->upstream[0].len = sizeof *un;
		snprintf(rc->upstream[0].text, sizeof rc->upstream[0].text, "unix:%s", up->path);
		rc->upstream_count = 1;
		return true;
	}
	rv = getaddrinfo(up->host, up->port, &hints, &list);
	if (rv == EAI_NONAME || rv == EAI_FAMILY || rv == EAI_ADDRFAMILY) {
		hints.ai_flags &= ~AI_ADDRCONFIG; /* loopback-only hosts have no "configured" family */
		rv = getaddrinfo(up->host, up->port, &hints, &list);
	}
	if (rv != 0) {
		snprintf(err, err_size,
			 "[proxy] upstream: cannot resolve %s: %s; name a host that "
			 "resolves, or an IP address",
			 up->host, gai_strerror(rv));
		return false;
	}
	for (ai = list; ai != NULL && rc->upstream_count < RUNCONF_UPSTREAM_ADDRESSES_MAX; ai = ai->ai_next) {
		struct runconf_address *a = &rc->upstream[rc->upstream_count];

		if (ai->ai_addrlen > sizeof a->addr)
			continue;
		memcpy(&a->addr, ai->ai_addr, ai->ai_addrlen);
		a->len = ai->ai_addrlen;
		runconf_format_address(ai->ai_addr, ai->ai_addrlen, a->text, sizeof a->text);
		rc->upstream_count++;
	}
	freeaddrinfo(list);
	if (rc->upstream_count == 0) {
		snprintf(err, err_size, "[proxy] upstream: %s has no usable address", up->host);
		return false;
	}
	return true;
}

static void free_parts(struct runconf *rc)
{
	OPENSSL_cleanse(rc->admin_token, sizeof rc->admin_token);
	SSL_CTX_free(rc->tls);
	SSL_CTX_free(rc->upstream_tls);
	free(rc);
}

struct runconf *runconf_new(struct sluice_config *cfg, bool terminate_tls, struct tls_ticket_keys *keys,
			    uint64_t serial, char *err, size_t err_size)
{
	struct runconf *rc = calloc(1, sizeof *rc);
	struct config_error token_err;

	if (rc == NULL) {
		snprintf(err, err_size, "out of memory building the configuration");
		return NULL;
	}
	rc->cfg = cfg;
	rc->serial = serial;
	if (cfg->admin.token_file[0] != '\0' &&
	    !config_read_token(cfg->admin.token_file, rc->admin_token, &rc->admin_token_len, &token_err)) {
		snprintf(err, err_size, "[admin] token_file: %s", token_err.message);
		free_parts(rc);
		return NULL;
	}
	if (!resolve_upstream(rc, err, err_size)) {
		free_parts(rc);
		return NULL;
	}
	if (terminate_tls && (cfg->tls.certificate[0] == '\0' || cfg->tls.private_key[0] == '\0')) {
		snprintf(err, err_size,
			 "[tls] certificate: empty, but TLS stays on until a restart "
			 "([tls] enabled needs one); keep certificate and private_key set");
		free_parts(rc);
		return NULL;
	}
	if (terminate_tls && (rc->tls = tls_server_ctx_new(cfg, keys, err, err_size)) == NULL) {
		free_parts(rc);
		return NULL;
	}
	if (rc->tls != NULL && !tls_server_ctx_not_after(rc->tls, &rc->certificate_not_after)) {
		snprintf(err, err_size,
			 "[tls] certificate: the expiry date of %s cannot be read; give a "
			 "well-formed certificate",
			 cfg->tls.certificate);
		free_parts(rc);
		return NULL;
	}
	rc->upstream_tls = tls_upstream_ctx_new(cfg, err, err_size);
	if (rc->upstream_tls == NULL && err[0] != '\0') {
		free_parts(rc);
		return NULL;
	}
	snprintf(rc->upstream_name, sizeof rc->upstream_name, "%s",
		 cfg->proxy.upstream_name[0] != '\0'               ? cfg->proxy.upstream_name
		 : cfg->proxy.upstream.kind == CONFIG_ADDRESS_INET ? cfg->proxy.upstream.host
								   : "");
	http_limits_default(&rc->limits);
	rc->limits.header_bytes = cfg->limits.header_bytes;
	rc->limits.max_headers = (unsigned)cfg->limits.max_headers;
	/* auto: no window end is known here (the maintenance answers compute it) */
	rc->retry_after = notice_retry_after(cfg->maintenance.retry_after_ms, 0, 0);
	rc->refs = 1;
	return rc;
}

bool runconf_certificate_note(const struct runconf *rc, int64_t now, char *out, size_t size)
{
	const struct config_tls *tls = &rc->cfg->tls;
	char message[RUNCONF_ERROR_MAX];

	/* notBefore had passed when the context was built, so the leaf is valid
	 * from then on: INT64_MIN stands for it. */
	if (rc->tls == NULL || !tls_validity_message(tls->certificate, INT64_MIN, rc->certificate_not_after,
						     now, tls->expiry_warning_ms, message, sizeof message))
		return false;
	snprintf(out, size, "%s: [tls] certificate: %s", rc->cfg->path, message);
	return true;
}

void runconf_log_certificate(const struct runconf *rc, int64_t now)
{
	char note[RUNCONF_ERROR_MAX + 256];

	if (!runconf_certificate_note(rc, now, note, sizeof note))
		return;
	if (now > rc->certificate_not_after)
		log_err("%s", note);
	else
		log_warn("%s", note);
}

/* Atomic: connections of every worker thread hold references. */
struct runconf *runconf_ref(struct runconf *rc)
{
	__atomic_add_fetch(&rc->refs, 1, __ATOMIC_RELAXED);
	return rc;
}

void runconf_unref(struct runconf *rc)
{
	if (rc == NULL || __atomic_sub_fetch(&rc->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	config_free(rc->cfg);
	free_parts(rc);
}
