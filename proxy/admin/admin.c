/*
 * proxy/admin/admin.c: the admin endpoint's sockets and clients (see admin.h).
 * Each client reads into a small buffer, the request framer runs over it,
 * and one answer at a time is written; while an answer is going out, or a
 * POST /reload waits for its reload, the client is not read (so a
 * pipelining client is bounded by the buffer).
 */
#include "autoconfig.h"

#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin/admin.h"
#include "admin/admin_answer.h"
#include "admin/admin_health.h"
#include "net/log.h"
#include "reload.h"
#include "net/runconf.h"
#include "server.h"

#define ADMIN_READ_MAX 4096 /* request bytes read but not framed yet */
#define ADMIN_HEAD_MAX 8192 /* a request head */
#define ADMIN_BACKLOG 16
#define ADMIN_ACCEPT_BATCH 16

struct admin;

/* One transport: the UNIX socket or the TCP address, each with its own
 * clients and cap. */
struct admin_listener {
	struct admin *admin;
	ev_io io;
	int fd;
	bool tcp;
	bool health; /* [admin] health_listen: GET /health only (admin_health.h) */
	size_t client_count;
	bool full;        /* at the cap, and said so in the log */
	uint64_t refused; /* clients closed at once over the cap */
	char name[RUNCONF_ADDRESS_TEXT];
};

struct admin_client {
	LIST_ENTRY(admin_client) admin_link; /* in the admin's clients */
	struct admin *admin;
	struct admin_listener *listener;
	int fd;
	ev_io io;
	ev_timer idle; /* silence, between requests or in one */
	ev_timer head; /* from a head's first byte to its end; never restarted */
	struct http_framer *framer;
	char in[ADMIN_READ_MAX];
	size_t in_len;
	struct admin_request req;    /* the request being framed */
	bool refused_body;           /* it has a body: answered 413 at its head */
	struct reload_waiter reload; /* a POST /reload waiting for its reload */
	bool waiting;
	struct textbuf out; /* the answer going out; empty: none */
	size_t out_sent;
	bool close_after;
	bool eof;
};

struct admin {
	struct server *server;
	struct admin_listener listeners[3]; /* the UNIX socket, the TCP address, health_listen */
	size_t listener_count;
	char socket_path[sizeof((struct sockaddr_un *)0)->sun_path]; /* "" = none created */
	LIST_HEAD(, admin_client) clients;
};

/* ---- clients ---- */

static void client_free(struct admin_client *cl)
{
	struct admin *a = cl->admin;
	struct admin_listener *l = cl->listener;
	struct ev_loop *loop = a->server->loop;

	reload_cancel(&cl->reload);
	ev_io_stop(loop, &cl->io);
	ev_timer_stop(loop, &cl->idle);
	ev_timer_stop(loop, &cl->head);
	close(cl->fd);
	http_framer_free(cl->framer);
	textbuf_free(&cl->out);
	LIST_REMOVE(cl, admin_link);
	l->client_count--;
	if (l->full && l->client_count < (size_t)a->server->conf->cfg->admin.max_clients) {
		l->full = false;
		log_notice("admin endpoint %s: below [admin] max_clients again; %llu client%s closed at "
			   "once meanwhile",
			   l->name, (unsigned long long)l->refused, l->refused == 1 ? "" : "s");
		l->refused = 0;
	}
	free(cl);
}

static void take_head(struct admin_client *cl)
{
	struct server *s = cl->admin->server;
	const struct http_head *h = http_framer_head(cl->framer);
	size_t len = h->target.len < ADMIN_TARGET_MAX ? h->target.len : ADMIN_TARGET_MAX;

	cl->req.method = h->method;
	memcpy(cl->req.target, h->target.ptr, len);
	cl->req.target[len] = '\0';
	cl->req.keep_alive = h->keep_alive;
	cl->req.tcp = cl->listener->tcp;
	cl->req.auth = cl->req.tcp ? admin_auth_of(s, h) : ADMIN_AUTH_NONE;
	cl->refused_body = h->body == HTTP_BODY_CHUNKED ||
			   (h->body == HTTP_BODY_LENGTH && h->content_length > 0);
	if (cl->listener->health && admin_health_refuse(&cl->req, &cl->out)) {
		cl->close_after = true;
	} else if (admin_refuse(s, &cl->req, &cl->out)) {
		log_info("admin endpoint %s: refused a request for %s: %s", cl->listener->name,
			 cl->req.target,
			 s->conf->admin_token_len == 0     ? "no [admin] token_file is set"
			 : cl->req.auth == ADMIN_AUTH_NONE ? "no bearer token"
							   : "not the bearer token of [admin] token_file");
		cl->close_after = true;
	} else if (cl->refused_body) {
		admin_answer_error(&cl->out, 413, "body-not-allowed",
				   "the admin endpoint takes no request body (POST /reload: Content-Length: 0)");
		cl->close_after = true;
	}
}

/* Frame what the buffer holds until an answer is due. */
static void client_frame(struct admin_client *cl)
{
	struct server *s = cl->admin->server;
	size_t used = 0;
	struct http_event ev;

	while (cl->out.len == 0 && !cl->out.failed && !cl->waiting) {
		/* The first byte of a request head starts its clock. */
		if (used < cl->in_len && http_framer_idle(cl->framer) && !ev_is_active(&cl->head)) {
			ev_timer_set(&cl->head, config_seconds(s->conf->cfg->admin.header_timeout_ms), 0.0);
			ev_timer_start(s->loop, &cl->head);
		}
		used += http_framer_feed(cl->framer, cl->in + used, cl->in_len - used, &ev);
		if (ev.type == HTTP_EV_NONE)
			break;
		if (ev.type == HTTP_EV_ERROR) {
			ev_timer_stop(s->loop, &cl->head);
			admin_answer_error(&cl->out, ev.status, ev.code, ev.reason);
			cl->close_after = true;
		} else if (ev.type == HTTP_EV_HEAD) {
			ev_timer_stop(s->loop, &cl->head);
			take_head(cl);
		} else if (ev.type == HTTP_EV_END) {
			enum admin_outcome outcome = admin_answer(s, &cl->req, &cl->out);

			if (outcome == ADMIN_RELOAD) {
				cl->waiting = true;
				reload_request(s, &cl->reload);
			}
			cl->close_after = outcome == ADMIN_CLOSE;
		}
	}
	memmove(cl->in, cl->in + used, cl->in_len - used);
	cl->in_len -= used;
	if (cl->out.failed) /* an answer over the bound: nothing sensible to send */
		cl->close_after = true;
}

/* Write the answer; false when the client is gone. */
static bool client_write(struct admin_client *cl)
{
	while (cl->out_sent < cl->out.len) {
		ssize_t n =
			send(cl->fd, cl->out.data + cl->out_sent, cl->out.len - cl->out_sent, MSG_NOSIGNAL);

		if (n > 0)
			cl->out_sent += (size_t)n;
		else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		else if (n < 0 && errno == EINTR)
			continue;
		else
			return false;
	}
	if (cl->close_after || cl->out.failed)
		return false;
	textbuf_free(&cl->out);
	textbuf_init(&cl->out, ADMIN_ANSWER_MAX);
	cl->out_sent = 0;
	return true;
}

/* Read what is there; false when the client is gone or broke the rules. */
static bool client_read(struct admin_client *cl)
{
	ssize_t n = recv(cl->fd, cl->in + cl->in_len, sizeof cl->in - cl->in_len, 0);

	if (n > 0) {
		cl->in_len += (size_t)n;
		return true;
	}
	if (n == 0) {
		cl->eof = true;
		return true;
	}
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* After every event: frame, write, and watch for what comes next. */
static void client_run(struct admin_client *cl, int revents)
{
	struct ev_loop *loop = cl->admin->server->loop;
	bool answering = cl->out.len > 0;
	int want;

	if (cl->waiting)
		return; /* nothing is watched until the reload is done */
	if ((revents & EV_READ) && !answering && !client_read(cl))
		goto gone;
	for (;;) {
		if (cl->out.len == 0)
			client_frame(cl);
		if (cl->out.len == 0)
			break;
		if (!client_write(cl))
			goto gone;
		if (cl->out.len > 0)
			break; /* the socket is full: wait for room */
	}
	if (cl->waiting) {
		/* Bounded by the reload queue (reload.h), not by the clocks. */
		ev_io_stop(loop, &cl->io);
		ev_timer_stop(loop, &cl->idle);
		return;
	}
	if (cl->eof && cl->out.len == 0)
		goto gone; /* nothing owed; a request cut short gets no answer */
	want = cl->out.len > 0 ? EV_WRITE : EV_READ;
	if ((ev_is_active(&cl->io) ? cl->io.events & (EV_READ | EV_WRITE) : 0) != want) {
		ev_io_stop(loop, &cl->io);
		ev_io_set(&cl->io, cl->fd, want);
		ev_io_start(loop, &cl->io);
	}
	ev_timer_again(loop, &cl->idle);
	return;
gone:
	client_free(cl);
}

static void on_reload_done(struct reload_waiter *w, const struct reload_result *result)
{
	struct admin_client *cl =
		(struct admin_client *)(void *)((char *)w - offsetof(struct admin_client, reload));

	cl->waiting = false;
	cl->close_after = admin_answer_reload(cl->admin->server, &cl->req, result, &cl->out);
	if (cl->out.failed)
		cl->close_after = true;
	client_run(cl, 0);
}

static void on_client_io(struct ev_loop *loop, ev_io *w, int revents)
{
	client_run(w->data, revents);
}

static void on_client_idle(struct ev_loop *loop, ev_timer *w, int revents)
{
	client_free(w->data);
}

static void on_client_head(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct admin_client *cl = w->data;

	log_info("admin endpoint %s: a client took longer than [admin] header_timeout to send a request "
		 "head; closing it",
		 cl->listener->name);
	client_free(cl);
}

static void client_new(struct admin_listener *l, int fd)
{
	struct admin *a = l->admin;
	struct http_limits limits = { .header_bytes = ADMIN_HEAD_MAX,
				      .max_headers = 32,
				      .target_bytes = ADMIN_TARGET_MAX * 4 };
	struct admin_client *cl = calloc(1, sizeof *cl);

	if (cl == NULL || (cl->framer = http_framer_new(HTTP_KIND_REQUEST, &limits)) == NULL) {
		log_warn("admin endpoint: out of memory for a client; closing it");
		free(cl);
		close(fd);
		return;
	}
	cl->admin = a;
	cl->listener = l;
	cl->fd = fd;
	cl->reload.done = on_reload_done;
	textbuf_init(&cl->out, ADMIN_ANSWER_MAX);
	ev_io_init(&cl->io, on_client_io, fd, EV_READ);
	cl->io.data = cl;
	ev_init(&cl->idle, on_client_idle);
	cl->idle.repeat = ADMIN_IDLE_SECONDS;
	cl->idle.data = cl;
	ev_init(&cl->head, on_client_head);
	cl->head.data = cl;
	LIST_INSERT_HEAD(&a->clients, cl, admin_link);
	l->client_count++;
	ev_io_start(a->server->loop, &cl->io);
	ev_timer_again(a->server->loop, &cl->idle);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct admin_listener *l = w->data;
	struct admin *a = l->admin;

	for (int i = 0; i < ADMIN_ACCEPT_BATCH; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int max = a->server->conf->cfg->admin.max_clients;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("admin endpoint %s: accept: %s", l->name, strerror(errno));
			return;
		}
		if (l->client_count >= (size_t)max) {
			/* Said once per episode: a flood of clients must not flood the log. */
			if (!l->full)
				log_warn("admin endpoint %s: %d clients already ([admin] max_clients); closing "
					 "new ones until one leaves",
					 l->name, max);
			l->full = true;
			l->refused++;
			close(fd);
			continue;
		}
		client_new(l, fd);
	}
}

/* ---- sockets ---- */

/* key: "socket" (the UNIX socket), "listen" (the TCP address) or
 * "health_listen". */
static bool listener_add(struct admin *a, int fd, char *err, size_t err_size, const char *key)
{
	struct admin_listener *l = &a->listeners[a->listener_count];

	l->health = strcmp(key, "health_listen") == 0;
	l->tcp = strcmp(key, "listen") == 0 || l->health;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (listen(fd, ADMIN_BACKLOG) != 0 || getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(err, err_size, "[admin] %s: cannot listen: %s", key, strerror(errno));
		close(fd);
		return false;
	}
	l->admin = a;
	l->fd = fd;
	runconf_format_address((struct sockaddr *)&ss, len, l->name, sizeof l->name);
	ev_io_init(&l->io, on_accept, fd, EV_READ);
	l->io.data = l;
	a->listener_count++;
	return true;
}

/* A socket file left by a process that is gone is removed; one somebody
 * answers on is not ours to take. */
static bool clear_stale_socket(const char *path, const struct sockaddr_un *sun, char *err, size_t err_size)
{
	struct stat st;
	int fd, rv;

	if (lstat(path, &st) != 0)
		return true;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, err_size,
			 "[admin] socket: %s exists and is not a socket; remove it or choose "
			 "another path",
			 path);
		return false;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_size, "[admin] socket: cannot create a socket: %s", strerror(errno));
		return false;
	}
	rv = connect(fd, (const struct sockaddr *)sun, sizeof *sun);
	close(fd);
	if (rv == 0) {
		snprintf(err, err_size,
			 "[admin] socket: %s is in use by a running process (another sluice?); "
			 "stop it or choose another path",
			 path);
		return false;
	}
	if (errno != ECONNREFUSED) {
		snprintf(err, err_size, "[admin] socket: cannot check %s: %s", path, strerror(errno));
		return false;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, err_size, "[admin] socket: cannot remove the stale %s: %s", path,
			 strerror(errno));
		return false;
	}
	log_notice("admin endpoint: removed the stale socket %s left by an earlier run", path);
	return true;
}

static bool open_unix(struct admin *a, const char *path, int mode, char *err, size_t err_size,
		      bool *no_directory)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old_mask;
	int fd, rv;

	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, err_size,
			 "[admin] socket: %s is longer than a UNIX socket path may be (%zu bytes)", path,
			 sizeof sun.sun_path - 1);
		return false;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (!clear_stale_socket(path, &sun, err, err_size))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_size, "[admin] socket: cannot create a socket: %s", strerror(errno));
		return false;
	}
	old_mask = umask(0177); /* no moment with wider permissions than 0600 */
	rv = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old_mask);
	if (rv != 0) {
		*no_directory = errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == EROFS;
		snprintf(err, err_size,
			 "[admin] socket: cannot bind %s: %s; check that its directory exists "
			 "and is writable",
			 path, strerror(errno));
		close(fd);
		return false;
	}
	snprintf(a->socket_path, sizeof a->socket_path, "%s", path);
	if (chmod(path, (mode_t)mode) != 0) {
		snprintf(err, err_size, "[admin] socket_mode: cannot set %04o on %s: %s", (unsigned)mode,
			 path, strerror(errno));
		close(fd);
		return false;
	}
	return listener_add(a, fd, err, err_size, "socket");
}

/* [admin] listen is a loopback address (conf/ checks it): an IPv4 address of
 * 127.0.0.0/8, [::1], or "localhost", which is 127.0.0.1 here without asking
 * the resolver, so that what sluice -t accepts is what the daemon binds. */
static bool open_tcp(struct admin *a, const struct config_address *addr, char *err, size_t err_size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST };
	struct addrinfo *ai;
	const char *host = strcmp(addr->host, "localhost") == 0 ? "127.0.0.1" : addr->host;
	int fd, one = 1, rv = getaddrinfo(host, addr->port, &hints, &ai);

	if (rv != 0) {
		snprintf(err, err_size, "[admin] listen: %s:%s: %s", addr->host, addr->port,
			 gai_strerror(rv));
		return false;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		snprintf(err, err_size, "[admin] listen: cannot bind %s:%s: %s; choose a free loopback port",
			 addr->host, addr->port, strerror(errno));
		return false;
	}
	return listener_add(a, fd, err, err_size, "listen");
}

bool admin_open(struct server *s, char *err, size_t err_size, bool *no_directory)
{
	const struct sluice_config *cfg = s->conf->cfg;
	const char *path = cfg->admin.socket != NULL ? cfg->admin.socket : "";
	struct admin *a;
	bool ok = true;

	if (path[0] == '\0' && cfg->admin.listen.kind != CONFIG_ADDRESS_INET &&
	    cfg->admin.health_listen.kind != CONFIG_ADDRESS_INET)
		return true;
	a = calloc(1, sizeof *a);
	if (a == NULL) {
		snprintf(err, err_size, "out of memory starting the admin endpoint");
		return false;
	}
	a->server = s;
	s->admin = a;
	if (path[0] != '\0')
		ok = open_unix(a, path, cfg->admin.socket_mode, err, err_size, no_directory);
	if (ok && cfg->admin.listen.kind == CONFIG_ADDRESS_INET)
		ok = open_tcp(a, &cfg->admin.listen, err, err_size);
	if (ok && cfg->admin.health_listen.kind == CONFIG_ADDRESS_INET) {
		int fd;
		ok = admin_health_bind(&cfg->admin.health_listen, &fd, err, err_size) &&
		     listener_add(a, fd, err, err_size, "health_listen");
	}
	if (!ok)
		return false; /* admin_close() undoes the rest */
	for (size_t i = 0; i < a->listener_count; i++) {
		ev_io_start(s->loop, &a->listeners[i].io);
		if (a->listeners[i].health) {
			log_notice("health endpoint on %s ([admin] health_listen: GET /health only)",
				   a->listeners[i].name);
			continue;
		}
		log_notice("admin endpoint on %s%s", a->listeners[i].name,
			   !a->listeners[i].tcp ? ""
			   : s->conf->admin_token_len > 0
				   ? " (GET /metrics and /health open; the rest needs [admin] token_file's bearer token)"
				   : " (GET /metrics and /health only: no [admin] token_file)");
	}
	return true;
}

void admin_close(struct server *s)
{
	struct admin *a = s->admin;

	if (a == NULL)
		return;
	for (size_t i = 0; i < a->listener_count; i++)
		a->listeners[i].full = false; /* nothing to report while closing */
	while (!LIST_EMPTY(&a->clients))
		client_free(LIST_FIRST(&a->clients));
	for (size_t i = 0; i < a->listener_count; i++) {
		ev_io_stop(s->loop, &a->listeners[i].io);
		close(a->listeners[i].fd);
	}
	if (a->socket_path[0] != '\0' && unlink(a->socket_path) != 0 && errno != ENOENT)
		log_warn("admin endpoint: cannot remove %s: %s", a->socket_path, strerror(errno));
	free(a);
	s->admin = NULL;
}
