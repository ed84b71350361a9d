/*
 * proxy/admin_answer.c: routing of the admin endpoint and its answers (see
 * admin.h for the routes, admin_answer.h for the interface).
 */
#include "autoconfig.h"

#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "admin_answer.h"
#include "admin_view.h"
#include "reload.h"
#include "respond.h"
#include "server.h"

enum route { ROUTE_STATUS, ROUTE_METRICS, ROUTE_HEALTH, ROUTE_RELOAD, ROUTE_NONE };

static const struct {
	const char *path;
	enum http_method method;
	const char *allow;
} routes[] = {
	[ROUTE_STATUS] = { "/status", HTTP_METHOD_GET, "GET, HEAD" },
	[ROUTE_METRICS] = { "/metrics", HTTP_METHOD_GET, "GET, HEAD" },
	[ROUTE_HEALTH] = { "/health", HTTP_METHOD_GET, "GET, HEAD" },
	[ROUTE_RELOAD] = { "/reload", HTTP_METHOD_POST, "POST" },
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
	v->counters = &s->counters;
	v->tls_handshakes = server_tls_handshakes(s);
	v->connections = s->conn_count;
	v->sessions = s->profile->sessions;
}

static const char *reason_text(unsigned status)
{
	return status == 422 ? "Unprocessable Content" : http_status_text(status);
}

/* A head and body; the body left out for HEAD (its length stays). */
static void put_answer(struct textbuf *out, const struct admin_request *req, unsigned status,
		       const char *type, const struct textbuf *body, bool close)
{
	textbuf_printf(out, "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		       "Cache-Control: no-store\r\n%s\r\n", status, reason_text(status), type, body->len,
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

static bool answer_refusal(struct textbuf *out, unsigned status, const char *code,
			   const char *message, const char *allow, bool close)
{
	struct respond_extra extra = { .allow = allow, .close = close };
	char text[RESPOND_MAX];
	size_t len = respond_error(text, sizeof text, status, code, message, &extra);

	textbuf_append(out, text, len);
	return close;
}

static void reload_body(struct server *s, struct textbuf *body, unsigned *status)
{
	char err[RELOAD_ERROR_MAX];
	bool ok = reload_run_verbose(s, err, sizeof err);

	*status = ok ? 200 : 422;
	textbuf_printf(body, "{\"result\":\"%s\",\"generation\":%llu", ok ? "ok" : "failed",
		       (unsigned long long)s->conf->serial);
	if (!ok) {
		textbuf_printf(body, ",\"error\":");
		textbuf_json_string(body, err);
	}
	textbuf_printf(body, "}\n");
}

static void health_body(const struct admin_view *v, struct textbuf *body, unsigned *status)
{
	enum policy_state state = policy_state(v->policy);

	*status = state == POLICY_OFF ? 200 : 503;
	textbuf_printf(body, "%s\n", admin_state_word(state));
}

bool admin_answer(struct server *s, const struct admin_request *req, struct textbuf *out)
{
	enum route r = route_of(req->target);
	bool close = !req->keep_alive || s->stopping;
	const char *type = "application/json";
	struct admin_view view;
	struct textbuf body;
	unsigned status = 200;

	if (r == ROUTE_NONE)
		return answer_refusal(out, 404, "not-found",
				      "the admin endpoint serves /status, /metrics, /health and /reload",
				      NULL, close);
	if (req->method != routes[r].method && !(routes[r].method == HTTP_METHOD_GET &&
						 req->method == HTTP_METHOD_HEAD))
		return answer_refusal(out, 405, "method-not-allowed", "method not allowed on this path",
				      routes[r].allow, close);
	textbuf_init(&body, ADMIN_ANSWER_MAX / 2);
	view_of(s, &view);
	switch (r) {
	case ROUTE_STATUS:
		admin_status_json(&view, &body);
		break;
	case ROUTE_METRICS:
		type = "text/plain; version=0.0.4; charset=utf-8";
		metrics_text(&view, &body);
		break;
	case ROUTE_HEALTH:
		type = "text/plain; charset=utf-8";
		health_body(&view, &body, &status);
		break;
	default:
		reload_body(s, &body, &status);
		break;
	}
	if (body.failed)
		close = answer_refusal(out, 500, "internal-error",
				       "the answer is larger than the admin endpoint's bound, or memory is short",
				       NULL, true);
	else
		put_answer(out, req, status, type, &body, close);
	textbuf_free(&body);
	return close;
}
