/*
 * proxy/admin/admin_answer.c: routing of the admin endpoint and its answers (see
 * admin.h for the routes, admin_answer.h for the interface).
 */
#include "autoconfig.h"

#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "admin/admin.h"
#include "admin/admin_answer.h"
#include "worker.h"
#include "admin/admin_plan.h"
#include "admin/admin_view.h"
#include "reload.h"
#include "conn/respond.h"
#include "server.h"
#include "tsp.h"

enum route { ROUTE_STATUS, ROUTE_METRICS, ROUTE_HEALTH, ROUTE_RELOAD, ROUTE_PLAN, ROUTE_NONE };

static const struct {
	const char *path;
	enum http_method method;
	const char *allow;
} routes[] = {
	[ROUTE_STATUS] = { "/status", HTTP_METHOD_GET, "GET, HEAD" },
	[ROUTE_METRICS] = { "/metrics", HTTP_METHOD_GET, "GET, HEAD" },
	[ROUTE_HEALTH] = { "/health", HTTP_METHOD_GET, "GET, HEAD" },
	[ROUTE_RELOAD] = { "/reload", HTTP_METHOD_POST, "POST" },
	[ROUTE_PLAN] = { "/plan", HTTP_METHOD_GET, "GET, HEAD" },
};

static enum route route_of(const char *target)
{
	size_t len = strcspn(target, "?");

	for (int r = 0; r < ROUTE_NONE; r++)
		if (strlen(routes[r].path) == len && memcmp(routes[r].path, target, len) == 0)
			return (enum route)r;
	return ROUTE_NONE;
}

static void view_of(struct server *s, struct admin_view *v)
{
	memset(v, 0, sizeof *v);
	v->version = PACKAGE_VERSION;
	v->pid = (long)getpid();
	v->now = server_clock();
	v->wall_offset = server_wall_offset();
	v->started_at = s->started_at;
	v->config_file = s->config_path;
	v->generation = s->conf->serial;
	v->loaded_at = s->loaded_at;
	v->last_reload = &s->last_reload;
	v->cfg = s->conf->cfg;
	v->retry_after = s->conf->retry_after;
	v->policy = s->policy;
	v->jobs = s->jobs;
	workers_counters(s, &v->counters_summed);
	v->counters = &v->counters_summed;
	v->request_stats = &s->request_stats;
	v->tls_handshakes = server_tls_handshakes(s);
	v->connections = s->conn_count;
	v->held = s->held_count;
	workers_view(s, v->workers, ADMIN_WORKERS_MAX, &v->worker_count);
	v->sessions = s->profile->sessions;
	v->certificate = s->conf->tls != NULL;
	v->certificate_not_after = s->conf->certificate_not_after;
	v->schedule = &s->schedule;
}

static const char *reason_text(unsigned status)
{
	return status == 422 ? "Unprocessable Content" : http_status_text(status);
}

/* A head and body; the body left out for HEAD (its length stays). extra:
 * more header lines, each ending in CRLF. */
static void put_answer(struct textbuf *out, const struct admin_request *req, unsigned status,
		       const char *type, const struct textbuf *body, bool close, const char *extra)
{
	textbuf_printf(out,
		       "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		       "Cache-Control: no-store\r\n%s%s\r\n",
		       status, reason_text(status), type, body->len, extra,
		       close ? "Connection: close\r\n" : "");
	if (req->method != HTTP_METHOD_HEAD && body->len > 0)
		textbuf_append(out, body->data, body->len);
}

void admin_answer_error(struct textbuf *out, unsigned status, const char *code, const char *message)
{
	struct respond_extra extra = { .close = true };
	char text[RESPOND_MAX];
	size_t len = respond_error(text, sizeof text, status, code, message, &extra);

	textbuf_append(out, text, len);
}

static bool answer_refusal(struct textbuf *out, unsigned status, const char *code, const char *message,
			   const char *allow, bool close)
{
	struct respond_extra extra = { .allow = allow, .close = close };
	char text[RESPOND_MAX];
	size_t len = respond_error(text, sizeof text, status, code, message, &extra);

	textbuf_append(out, text, len);
	return close;
}

static void reload_body(const struct reload_result *result, struct textbuf *body, unsigned *status)
{
	*status = result->ok ? 200 : 422;
	textbuf_printf(body, "{\"result\":\"%s\",\"generation\":%llu", result->ok ? "ok" : "failed",
		       (unsigned long long)result->generation);
	if (!result->ok) {
		textbuf_printf(body, ",\"error\":");
		textbuf_json_string(body, result->error);
	}
	textbuf_printf(body, "}\n");
}

/* The answer with its body, or a 500 when the body went over its bound.
 * Returns whether the connection ends after it. */
static bool finish(struct textbuf *out, const struct admin_request *req, unsigned status, const char *type,
		   const struct textbuf *body, bool close)
{
	if (body->failed)
		return answer_refusal(out, 500, "internal-error",
				      "the answer is larger than the admin endpoint's bound, or memory is short",
				      NULL, true);
	put_answer(out, req, status, type, body, close, "");
	return close;
}

static void health_body(const struct admin_view *v, struct textbuf *body, unsigned *status)
{
	enum policy_state state = policy_state(v->policy);

	*status = state == POLICY_OFF ? 200 : 503;
	textbuf_printf(body, "%s\n", admin_state_word(state));
}

/* ---- who may ask ---- */

enum admin_auth admin_auth_of(const struct server *s, const struct http_head *h)
{
	const struct runconf *rc = s->conf;
	const struct http_header *found = NULL;
	unsigned char given[CONFIG_TOKEN_MAX];
	unsigned count = 0;
	const char *p;
	size_t len;
	int differ;

	for (unsigned i = 0; i < h->header_count; i++) {
		if (http_str_ieq(h->headers[i].name, "Authorization")) {
			found = &h->headers[i];
			count++;
		}
	}
	if (count == 0)
		return ADMIN_AUTH_NONE;
	/* RFC 9110 11.4 and RFC 6750 2.1: "Bearer" (any case), spaces, the token. */
	if (count > 1 || found->value.len <= 7 || strncasecmp(found->value.ptr, "Bearer ", 7) != 0)
		return ADMIN_AUTH_BAD;
	p = found->value.ptr + 7;
	len = found->value.len - 7;
	while (len > 0 && *p == ' ') {
		p++;
		len--;
	}
	if (rc->admin_token_len == 0 || len == 0 || len > CONFIG_TOKEN_MAX)
		return ADMIN_AUTH_BAD;
	/* Both zero-padded to the largest token: the time taken depends on
	 * neither the configured token's bytes nor its length. */
	memset(given, 0, sizeof given);
	memcpy(given, p, len);
	differ = CRYPTO_memcmp(given, rc->admin_token, sizeof given);
	differ |= len != rc->admin_token_len;
	OPENSSL_cleanse(given, sizeof given);
	return differ == 0 ? ADMIN_AUTH_OK : ADMIN_AUTH_BAD;
}

/* Open to anyone who can connect: what Prometheus and a load balancer ask. */
static bool open_to_all(const struct admin_request *req)
{
	enum route r = route_of(req->target);

	return (r == ROUTE_METRICS || r == ROUTE_HEALTH) &&
	       (req->method == HTTP_METHOD_GET || req->method == HTTP_METHOD_HEAD);
}

bool admin_refuse(struct server *s, const struct admin_request *req, struct textbuf *out)
{
	char text[RESPOND_MAX];
	struct textbuf body;
	size_t len;

	if (!req->tcp || open_to_all(req))
		return false;
	if (s->conf->admin_token_len == 0) {
		answer_refusal(out, 403, "forbidden",
			       "over TCP the admin endpoint serves only GET /metrics and GET /health: "
			       "[admin] token_file is not set; use the UNIX socket ([admin] socket), "
			       "or set token_file and send Authorization: Bearer TOKEN",
			       NULL, true);
		return true;
	}
	if (req->auth == ADMIN_AUTH_OK)
		return false;
	len = tsp_error_body(text, sizeof text, "unauthorized",
			     req->auth == ADMIN_AUTH_NONE
				     ? "this needs Authorization: Bearer with the token of [admin] token_file "
				       "(only GET /metrics and GET /health are open over TCP)"
				     : "the bearer token is not the one of [admin] token_file");
	textbuf_init(&body, sizeof text);
	textbuf_append(&body, text, len < sizeof text ? len : 0);
	put_answer(out, req, 401, "application/json", &body, true, "WWW-Authenticate: Bearer\r\n");
	textbuf_free(&body);
	return true;
}

/* ---- answers ---- */

enum admin_outcome admin_answer(struct server *s, const struct admin_request *req, struct textbuf *out)
{
	enum route r = route_of(req->target);
	bool close = !req->keep_alive || s->stopping;
	const char *type = "application/json";
	struct admin_view view;
	struct textbuf body;
	unsigned status = 200;

	if (r == ROUTE_NONE)
		return answer_refusal(out, 404, "not-found",
				      "the admin endpoint serves /status, /metrics, /health, /plan and /reload",
				      NULL, close)
			       ? ADMIN_CLOSE
			       : ADMIN_KEEP;
	if (req->method != routes[r].method &&
	    !(routes[r].method == HTTP_METHOD_GET && req->method == HTTP_METHOD_HEAD))
		return answer_refusal(out, 405, "method-not-allowed", "method not allowed on this path",
				      routes[r].allow, close)
			       ? ADMIN_CLOSE
			       : ADMIN_KEEP;
	if (r == ROUTE_RELOAD)
		return ADMIN_RELOAD;
	textbuf_init(&body, ADMIN_ANSWER_MAX / 2);
	view_of(s, &view);
	switch (r) {
	case ROUTE_STATUS:
		admin_status_json(&view, &body);
		break;
	case ROUTE_PLAN: /* the dry run: reads only */
		admin_plan_json(&view, req->target, &body, &status);
		break;
	case ROUTE_METRICS:
		type = "text/plain; version=0.0.4; charset=utf-8";
		metrics_text(&view, &body);
		break;
	default:
		type = "text/plain; charset=utf-8";
		health_body(&view, &body, &status);
		break;
	}
	close = finish(out, req, status, type, &body, close);
	textbuf_free(&body);
	return close ? ADMIN_CLOSE : ADMIN_KEEP;
}

bool admin_answer_reload(struct server *s, const struct admin_request *req,
			 const struct reload_result *result, struct textbuf *out)
{
	bool close = !req->keep_alive || s->stopping;
	struct textbuf body;
	unsigned status;

	textbuf_init(&body, ADMIN_ANSWER_MAX / 2);
	reload_body(result, &body, &status);
	close = finish(out, req, status, "application/json", &body, close);
	textbuf_free(&body);
	return close;
}
