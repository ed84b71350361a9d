/*
 * tools/tenant/tenant_client.c: TSP/1 exchanges over one connection (see tenant_client.h).
 *
 * Answers are framed by the same framer the proxy uses, fed from a read
 * buffer that keeps whatever follows an answer (the final answer after a
 * "100 Continue" often arrives in the same read).
 */
#include "autoconfig.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tenant_client.h"
#include "tenant_conn.h"
#include "protocol/json.h"

#define READ_BUFFER_BYTES 65536
#define HEAD_BYTES_MAX 2048

struct client {
	const struct client_setup *setup;
	struct tenant_conn *conn;   /* NULL: not connected */
	struct http_framer *framer; /* responses of conn */
	size_t rpos, rend;          /* unread bytes: rbuf[rpos, rend) */
	char rbuf[READ_BUFFER_BYTES];
};

bool client_setup_init(struct client_setup *setup, const char *host, const char *port,
		       const char *host_header, SSL_CTX *tls, const char *tenant, const char *secret)
{
	char plain[TSP_TENANT_MAX + 1 + TSP_SECRET_MAX + 1];
	int len = snprintf(plain, sizeof(plain), "%s:%s", tenant, secret);
	static const char scheme[] = "Basic ";

	memset(setup, 0, sizeof(*setup));
	setup->host = host;
	setup->port = port;
	setup->host_header = host_header;
	setup->tls = tls;
	if (len < 0 || (size_t)len >= sizeof(plain) ||
	    4 * (((size_t)len + 2) / 3) + sizeof(scheme) > sizeof(setup->authorization))
		return false;
	memcpy(setup->authorization, scheme, sizeof(scheme) - 1);
	EVP_EncodeBlock((unsigned char *)setup->authorization + sizeof(scheme) - 1,
			(const unsigned char *)plain, len);
	return true;
}

struct client *tenant_client_new(const struct client_setup *setup)
{
	struct client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->setup = setup;
	c->framer = http_framer_new(HTTP_KIND_RESPONSE, NULL);
	if (c->framer == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

static void disconnect(struct client *c)
{
	conn_close(c->conn);
	c->conn = NULL;
	c->rpos = c->rend = 0;
	http_framer_reset(c->framer);
}

void tenant_client_free(struct client *c)
{
	if (c == NULL)
		return;
	disconnect(c);
	http_framer_free(c->framer);
	free(c);
}

void answer_failure(const struct answer *ans, struct failure *why)
{
	why->http_status = ans->status;
	snprintf(why->code, sizeof(why->code), "%s", ans->code);
	snprintf(why->message, sizeof(why->message), "%s", ans->message);
}

static void copy_str(char *dst, size_t size, struct http_str s)
{
	size_t n = s.len < size - 1 ? s.len : size - 1;

	memcpy(dst, s.ptr, n);
	dst[n] = '\0';
}

/* Tsp-Digest: sha256=<64 lowercase hex>; anything else counts as absent. */
static void take_digest(const struct http_head *head, struct answer *ans)
{
	const struct http_header *h = http_head_find(head, "Tsp-Digest");
	static const char prefix[] = "sha256=";
	const size_t plen = sizeof(prefix) - 1;

	if (h == NULL || h->value.len != plen + TSP_DIGEST_HEX || memcmp(h->value.ptr, prefix, plen) != 0)
		return;
	for (size_t i = plen; i < h->value.len; i++) {
		char ch = h->value.ptr[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return;
	}
	copy_str(ans->digest, sizeof(ans->digest), (struct http_str){ h->value.ptr + plen, TSP_DIGEST_HEX });
	ans->has_digest = true;
}

static void take_head(const struct http_head *head, struct answer *ans)
{
	const struct http_header *h;

	memset(ans, 0, sizeof(*ans));
	ans->status = head->status;
	take_digest(head, ans);
	h = http_head_find(head, "Tsp-Maintenance");
	if (h != NULL)
		copy_str(ans->maintenance, sizeof(ans->maintenance), h->value);
}

/* Only a successful answer's body goes to read_into: an error body is text. */
static bool body_to_caller(const struct call *call, const struct answer *ans)
{
	return call->read_into != NULL && ans->status >= 200 && ans->status < 300;
}

static void take_body(const struct call *call, struct answer *ans, const char *data, size_t len)
{
	bool to_caller = body_to_caller(call, ans);
	unsigned char *dst = to_caller ? call->read_into : (unsigned char *)ans->text;
	size_t cap = to_caller ? call->read_cap : sizeof(ans->text) - 1;
	size_t room = ans->body_len < cap ? cap - ans->body_len : 0;
	size_t n = len < room ? len : room;

	memcpy(dst + ans->body_len, data, n);
	ans->body_overflow |= n < len;
	ans->body_len += len;
}

static void finish_answer(const struct call *call, struct answer *ans)
{
	size_t text_len = body_to_caller(call, ans) ? 0 : ans->body_len;
	struct json_span text;

	if (text_len > sizeof(ans->text) - 1)
		text_len = sizeof(ans->text) - 1;
	ans->text[text_len] = '\0';
	if (ans->status < 300)
		return;
	text = (struct json_span){ ans->text, text_len };
	json_get_string(text, "error", ans->code, sizeof(ans->code));
	if (!json_get_string(text, "message", ans->message, sizeof(ans->message)) || ans->message[0] == '\0')
		snprintf(ans->message, sizeof(ans->message), "%u %s", ans->status,
			 http_status_text(ans->status));
}

/* More bytes into rbuf; false on error or on a close that cuts an answer. */
static bool fill(struct client *c, const struct call *call, struct answer *ans, bool *ended, char *err,
		 size_t errsize)
{
	struct http_event ev;
	ssize_t n;

	c->rpos = c->rend = 0; /* the framer consumed everything before asking for more */
	n = conn_read(c->conn, c->rbuf, sizeof(c->rbuf), err, errsize);
	if (n > 0) {
		c->rend = (size_t)n;
		return true;
	}
	if (n < 0)
		return false;
	http_framer_eof(c->framer, &ev);
	if (ev.type == HTTP_EV_END) {
		finish_answer(call, ans);
		*ended = true;
		return true;
	}
	snprintf(err, errsize, "the server closed the connection %s",
		 http_framer_idle(c->framer) ? "without answering" : "in the middle of its answer");
	return false;
}

/* Read one whole answer (an interim 1xx counts as one). */
static bool read_answer(struct client *c, const struct call *call, struct answer *ans, char *err,
			size_t errsize)
{
	for (;;) {
		struct http_event ev;
		size_t used = http_framer_feed(c->framer, c->rbuf + c->rpos, c->rend - c->rpos, &ev);
		bool ended = false;

		c->rpos += used;
		switch (ev.type) {
		case HTTP_EV_HEAD:
			take_head(http_framer_head(c->framer), ans);
			break;
		case HTTP_EV_BODY:
			take_body(call, ans, ev.data, ev.len);
			break;
		case HTTP_EV_END:
			finish_answer(call, ans);
			return true;
		case HTTP_EV_ERROR:
			snprintf(err, errsize, "the server's answer is not valid HTTP/1.1: %s", ev.reason);
			return false;
		case HTTP_EV_NONE:
			if (!fill(c, call, ans, &ended, err, errsize))
				return false;
			if (ended)
				return true;
			break;
		}
	}
}

static bool send_head(struct client *c, const struct call *call, char *err, size_t errsize)
{
	char head[HEAD_BYTES_MAX];
	char length[96] = "";
	int n;

	if (call->body != NULL)
		snprintf(length, sizeof(length), "Content-Length: %zu\r\nExpect: 100-continue\r\n",
			 call->body_len);
	n = snprintf(head, sizeof(head),
		     "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n"
		     "User-Agent: sluice-tenant/" PACKAGE_VERSION "\r\n%s%s\r\n",
		     call->method, call->target, c->setup->host_header, c->setup->authorization,
		     call->headers != NULL ? call->headers : "", length);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		snprintf(err, errsize, "request head for %s over %d bytes", call->target, HEAD_BYTES_MAX);
		return false;
	}
	return conn_write(c->conn, head, (size_t)n, err, errsize);
}

/* One request and its final answer on the current connection. */
static bool exchange(struct client *c, const struct call *call, struct answer *ans, char *err, size_t errsize)
{
	bool body_sent = call->body == NULL;
	char write_err[256] = "";

	assert(c->conn != NULL);
	if (!send_head(c, call, err, errsize))
		return false;
	if (!body_sent && c->rpos == c->rend && !conn_wait_readable(c->conn, CLIENT_CONTINUE_WAIT_MS)) {
		/* No answer to Expect yet: send anyway. If that fails, an early
		 * answer may still be readable, so read before giving up. */
		body_sent = true;
		(void)conn_write(c->conn, call->body, call->body_len, write_err, sizeof(write_err));
	}
	for (;;) {
		if (!read_answer(c, call, ans, err, errsize)) {
			if (write_err[0] != '\0')
				snprintf(err, errsize, "%s", write_err);
			return false;
		}
		if (ans->status >= 200)
			break;
		if (ans->status == 100 && !body_sent) {
			body_sent = true;
			if (!conn_write(c->conn, call->body, call->body_len, write_err, sizeof(write_err)))
				continue; /* an answer may have been sent before the close */
		}
	}
	/* A final answer before the body was sent leaves the server expecting a
	 * body that will not come: that connection cannot carry more. */
	if (!body_sent || !http_framer_head(c->framer)->keep_alive || write_err[0] != '\0')
		disconnect(c);
	return true;
}

static void parse_hello(const struct answer *ans, struct hello *hello)
{
	struct json_span text = { ans->text, strlen(ans->text) }, m;
	struct notice *n = &hello->notice;

	memset(hello, 0, sizeof(*hello));
	hello->status = ans->status;
	hello->max_block_bytes = TSP_BLOCK_MAX;
	if (ans->status != 200) {
		answer_failure(ans, &hello->why);
		return;
	}
	if (json_get_uint(text, "max_block_bytes", &hello->max_block_bytes) &&
	    (hello->max_block_bytes == 0 || hello->max_block_bytes > TSP_BLOCK_MAX))
		hello->max_block_bytes = TSP_BLOCK_MAX;
	if (json_get(text, "maintenance", &m) && m.len > 0 && m.ptr[0] == '{') {
		n->present = true;
		json_get_string(m, "mode", n->mode, sizeof(n->mode));
		json_get_string(m, "since", n->since, sizeof(n->since));
		json_get_string(m, "message", n->message, sizeof(n->message));
	} else if (ans->maintenance[0] != '\0') {
		n->present = true;
	}
	if (n->present && n->mode[0] == '\0')
		snprintf(n->mode, sizeof(n->mode), "%s", ans->maintenance);
}

bool client_connect(struct client *c, struct hello *hello, char *err, size_t errsize)
{
	static const struct call call = { .method = "GET", .target = "/tsp/1/session" };
	struct answer ans;
	size_t len;

	disconnect(c);
	c->conn = conn_open(c->setup->host, c->setup->port, c->setup->tls, err, errsize);
	if (c->conn == NULL)
		return false;
	memset(&ans, 0, sizeof(ans));
	if (exchange(c, &call, &ans, err, errsize)) {
		parse_hello(&ans, hello);
		return true;
	}
	disconnect(c);
	if (c->setup->tls == NULL) {
		len = strlen(err);
		snprintf(err + len, errsize - len, " (a TLS port? drop --plain)");
	}
	return false;
}

/* A connection for the next request: a new one starts with a hello, unless
 * the server closes every connection after one answer (then the request goes
 * on a connection of its own). */
static bool ensure_connection(struct client *c, char *err, size_t errsize)
{
	struct hello hello;

	if (c->conn != NULL)
		return true;
	if (!client_connect(c, &hello, err, errsize))
		return false;
	if (c->conn == NULL)
		c->conn = conn_open(c->setup->host, c->setup->port, c->setup->tls, err, errsize);
	return c->conn != NULL;
}

static bool idempotent(const struct call *call)
{
	return strcmp(call->method, "GET") == 0 || strcmp(call->method, "PUT") == 0;
}

bool client_call(struct client *c, const struct call *call, struct answer *ans, char *err, size_t errsize)
{
	bool reused = c->conn != NULL;

	/* Bytes nobody asked for, or a close while idle: start afresh. */
	if (reused && (c->rpos != c->rend || conn_stale(c->conn))) {
		disconnect(c);
		reused = false;
	}
	if (!ensure_connection(c, err, errsize))
		return false;
	memset(ans, 0, sizeof(*ans));
	if (exchange(c, call, ans, err, errsize))
		return true;
	/* The server may have closed the reused connection as the request left:
	 * only a request that can be repeated safely gets a second chance. */
	disconnect(c);
	if (!reused || ans->status != 0 || !idempotent(call))
		return false;
	if (!ensure_connection(c, err, errsize))
		return false;
	memset(ans, 0, sizeof(*ans));
	if (exchange(c, call, ans, err, errsize))
		return true;
	disconnect(c);
	return false;
}
