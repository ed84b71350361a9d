/*
 * conf/rules.c: the rules that span several keys, checked once a whole
 * file has been parsed. Each message names the key to change and how.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "conf/admin_token.h"
#include "conf/config.h"
#include "conf/hook_command.h"
#include "conf/internal.h"
#include "conf/notice.h"
#include "conf/value.h"
#include "conf/window.h"

struct rules {
	const struct sluice_config *cfg;
	const unsigned *set_at;
	struct config_error *err;
};

static bool broken(struct rules *r, const char *section, const char *name, const char *format, ...)
	__attribute__((format(printf, 4, 5)));

/* The rule is broken: "[section] name: ..." at the line that set name. */
static bool broken(struct rules *r, const char *section, const char *name, const char *format, ...)
{
	const struct config_key *key = config_key_find(section, name);
	size_t count, used;
	const struct config_key *keys = config_keys(&count);
	va_list ap;

	r->err->line = key != NULL ? r->set_at[key - keys] : 0;
	used = (size_t)snprintf(r->err->message, sizeof r->err->message, "[%s] %s: ", section, name);
	if (used < sizeof r->err->message) {
		va_start(ap, format);
		vsnprintf(r->err->message + used, sizeof r->err->message - used, format, ap);
		va_end(ap);
	}
	return false;
}

static bool same_address(const struct config_address *a, const struct config_address *b)
{
	char x[CONFIG_ADDRESS_TEXT_MAX], y[CONFIG_ADDRESS_TEXT_MAX];

	config_format_address(a, x);
	config_format_address(b, y);
	return strcmp(x, y) == 0;
}

static bool check_proxy(struct rules *r)
{
	const struct config_proxy *proxy = &r->cfg->proxy;

	if (proxy->upstream.kind == CONFIG_ADDRESS_NONE)
		return broken(r, "proxy", "upstream",
			      "missing; name the backup repository: host:port, "
			      "[v6]:port or unix:/path");
	for (size_t i = 0; i < proxy->listen_count; i++) {
		if (same_address(&proxy->listen[i], &proxy->upstream))
			return broken(r, "proxy", "upstream",
				      "is also a listen address, so sluice would "
				      "connect to itself; name the repository's address");
	}
	if (!proxy->upstream_tls && proxy->upstream_ca[0] != '\0')
		return broken(r, "proxy", "upstream_ca",
			      "set while upstream_tls = off; set upstream_tls "
			      "= on or leave upstream_ca empty");
	if (!proxy->upstream_tls && proxy->upstream_name[0] != '\0')
		return broken(r, "proxy", "upstream_name",
			      "set while upstream_tls = off; set upstream_tls "
			      "= on or leave upstream_name empty");
	return true;
}

static bool check_tls(struct rules *r)
{
	const struct config_tls *tls = &r->cfg->tls;

	if (tls->enabled && tls->certificate[0] == '\0')
		return broken(r, "tls", "certificate",
			      "required while [tls] enabled = on; name the PEM "
			      "certificate chain tenants see (enabled = off only behind another TLS terminator)");
	if (tls->enabled && tls->private_key[0] == '\0')
		return broken(r, "tls", "private_key",
			      "required while [tls] enabled = on; name the PEM "
			      "private key of the certificate");
	if (!tls->enabled && tls->client_ca[0] != '\0')
		return broken(r, "tls", "client_ca",
			      "set while [tls] enabled = off; client certificates "
			      "need TLS: set enabled = on or leave client_ca empty");
	return true;
}

static bool check_limits(struct rules *r)
{
	const struct config_limits *limits = &r->cfg->limits;
	char buffer[CONFIG_FORMAT_MAX], header[CONFIG_FORMAT_MAX];

	if (limits->buffer_bytes < limits->header_bytes) {
		config_format_size(limits->buffer_bytes, buffer);
		config_format_size(limits->header_bytes, header);
		return broken(r, "limits", "buffer_bytes",
			      "%s is smaller than header_bytes = %s; a buffer "
			      "must hold a whole head: raise buffer_bytes or lower header_bytes",
			      buffer, header);
	}
	return true;
}

static bool check_log(struct rules *r)
{
	if (r->cfg->log.target == CONFIG_LOG_TO_FILE && r->cfg->log.file[0] == '\0')
		return broken(r, "log", "file",
			      "required while target = file; name the log file (or use "
			      "target = stderr or syslog)");
	return true;
}

/* A PROXY header from anyone would let any tenant claim any address. */
static bool check_proxy_protocol(struct rules *r)
{
	const struct config_proxy *proxy = &r->cfg->proxy;

	if (proxy->proxy_protocol != CONFIG_PROXY_PROTOCOL_OFF && proxy->proxy_from_count == 0)
		return broken(r, "proxy", "proxy_protocol",
			      "set while proxy_from is empty; list the load balancers' addresses in "
			      "proxy_from (such as 127.0.0.1 or 10.0.0.0/8), or set proxy_protocol = off");
	return true;
}

/* The token file is read as the daemon reads it (at start and on every
 * reload), so that sluice -t and sluicectl refuse what the daemon would. */
static bool check_admin(struct rules *r)
{
	unsigned char token[CONFIG_TOKEN_MAX];
	struct config_error why;
	size_t len;

	if (r->cfg->admin.token_file[0] == '\0')
		return true;
	if (!config_read_token(r->cfg->admin.token_file, token, &len, &why))
		return broken(r, "admin", "token_file", "%s", why.message);
	OPENSSL_cleanse(token, sizeof token);
	return true;
}

/* A hook must split and name an executable program now, so that sluice -t
 * and a reload refuse it rather than the hook failing when it is due. */
static bool check_hooks(struct rules *r)
{
	const char *commands[HOOK_EVENT_COUNT] = {
		[HOOK_ENTER] = r->cfg->hooks.on_enter,
		[HOOK_DRAINED] = r->cfg->hooks.on_drained,
		[HOOK_LEAVE] = r->cfg->hooks.on_leave,
	};
	char why[HOOK_WHY_MAX];

	for (int e = 0; e < HOOK_EVENT_COUNT; e++) {
		if (commands[e][0] != '\0' && !hook_command_check(commands[e], why))
			return broken(r, "hooks", hook_key_name((enum hook_event)e), "%s", why);
	}
	return true;
}

/* since is not in the future: a T later than now would count tasks opened
 * before it as new. A little is allowed, hosts' clocks differ
 * (the policy takes such a T as now). */
static bool check_since(struct rules *r)
{
	int64_t since;

	if (!config_maintenance_since(r->cfg, &since) || since <= (int64_t)time(NULL) + CONFIG_SINCE_SKEW)
		return true;
	return broken(r, "maintenance", "since",
		      "%s is in the future; write the moment maintenance began (sluicectl maintenance on "
		      "writes now), or empty for the moment of the load",
		      r->cfg->maintenance.since);
}

/* The message is a well-formed template; no tenant is both in scope and
 * exempt; since is not in the future. */
static bool check_maintenance(struct rules *r)
{
	const struct config_maintenance *m = &r->cfg->maintenance;
	char why[NOTICE_WHY_MAX];

	if (!check_since(r))
		return false;
	if (!notice_check(m->message, why))
		return broken(r, "maintenance", "message", "%s", why);
	for (size_t i = 0; i < m->exempt_count; i++)
		for (size_t j = 0; j < m->tenants_count; j++)
			if (strcmp(m->exempt[i], m->tenants[j]) == 0)
				return broken(r, "maintenance", "exempt",
					      "%s is also in tenants; a tenant "
					      "is either in maintenance's scope or exempt from it, "
					      "remove it from one list",
					      m->exempt[i]);
	return true;
}

bool config_check_rules(const struct sluice_config *cfg, const unsigned *set_at, struct config_error *err)
{
	struct rules r = { cfg, set_at, err };

	return check_proxy(&r) && check_proxy_protocol(&r) && check_tls(&r) && check_limits(&r) &&
	       check_log(&r) && check_admin(&r) && check_hooks(&r) && check_maintenance(&r);
}
