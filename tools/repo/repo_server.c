/*
 * tools/repo/repo_server.c: listening socket, accept loop, signals (see repo_server.h).
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "repo_server.h"

#define BACKLOG 511
#define ACCEPTS_PER_EVENT 64
#define ACCEPT_PAUSE 0.5 /* seconds without accepting when descriptors run out */

/* "host:port" or "[v6]:port" into host and port strings. */
static bool split_host_port(const char *in, char *host, size_t host_size, char *port, size_t port_size)
{
	const char *colon = strrchr(in, ':');
	const char *h = in;
	size_t hlen;

	if (colon == NULL || colon[1] == '\0' || strlen(colon + 1) >= port_size)
		return false;
	hlen = (size_t)(colon - in);
	if (hlen >= 2 && in[0] == '[' && in[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= host_size)
		return false;
	for (const char *p = colon + 1; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return false;
	if (atol(colon + 1) > 65535)
		return false;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	strcpy(port, colon + 1);
	return true;
}

static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
		port = ntohs(a->sin_port);
		snprintf(buf, size, "%s:%u", host, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
		port = ntohs(a->sin6_port);
		snprintf(buf, size, "[%s]:%u", host, port);
	} else {
		snprintf(buf, size, "?");
	}
}

static int bind_one(const struct addrinfo *ai)
{
	int one = 1,
	    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, BACKLOG) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents);
static void on_accept_resume(struct ev_loop *loop, ev_timer *w, int revents);
static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents);
static void on_reload_signal(struct ev_loop *loop, ev_signal *w, int revents);

int server_listen(struct repo_server *s, struct repo *repo, const char *host_port, char *err, size_t err_size)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[256], port[8];
	int rc, saved = 0;

	memset(s, 0, sizeof *s);
	s->repo = repo;
	s->listen_fd = -1;
	if (!split_host_port(host_port, host, sizeof host, port, sizeof port)) {
		snprintf(err, err_size, "--listen %s: expected HOST:PORT (e.g. 127.0.0.1:0)", host_port);
		return -1;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, err_size, "--listen %s: %s", host_port, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && s->listen_fd < 0; ai = ai->ai_next) {
		s->listen_fd = bind_one(ai);
		if (s->listen_fd < 0)
			saved = errno;
	}
	freeaddrinfo(res);
	if (s->listen_fd < 0) {
		snprintf(err, err_size, "--listen %s: %s", host_port, strerror(saved));
		return -1;
	}
	getsockname(s->listen_fd, (struct sockaddr *)&ss, &len);
	format_addr(&ss, s->bound, sizeof s->bound);
	s->loop = EV_DEFAULT;
	ev_io_init(&s->accept_watcher, on_accept, s->listen_fd, EV_READ);
	s->accept_watcher.data = s;
	ev_io_start(s->loop, &s->accept_watcher);
	ev_timer_init(&s->accept_pause, on_accept_resume, ACCEPT_PAUSE, 0.0);
	s->accept_pause.data = s;
	ev_signal_init(&s->sigterm, on_stop_signal, SIGTERM);
	ev_signal_init(&s->sigint, on_stop_signal, SIGINT);
	ev_signal_init(&s->sighup, on_reload_signal, SIGHUP);
	s->sigterm.data = s->sigint.data = s->sighup.data = s;
	ev_signal_start(s->loop, &s->sigterm);
	ev_signal_start(s->loop, &s->sigint);
	ev_signal_start(s->loop, &s->sighup);
	return 0;
}

int server_write_ready_file(const struct repo_server *s, const char *path, char *err, size_t err_size)
{
	char tmp[PATH_MAX + 32];
	FILE *f;
	int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());

	if (n < 0 || (size_t)n >= sizeof tmp || (f = fopen(tmp, "we")) == NULL) {
		snprintf(err, err_size, "--ready-file %s: %s", path,
			 n < 0 || (size_t)n >= sizeof tmp ? "name too long" : strerror(errno));
		return -1;
	}
	fprintf(f, "%s\n", s->bound);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		snprintf(err, err_size, "--ready-file %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void accept_one(struct repo_server *s, int fd, const struct sockaddr_storage *ss)
{
	char peer[80];
	int one = 1;

	if (s->conns.count >= s->repo->opt.max_connections) {
		close(fd); /* bounded (--max-connections): a tenant retries later */
		if (s->repo->opt.verbose)
			repo_log("%u connections open: one more closed at once",
				 s->repo->opt.max_connections);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	format_addr(ss, peer, sizeof peer);
	if (conn_new(s->repo, s->loop, &s->conns, fd, peer) == NULL)
		repo_log("%s: out of memory: connection dropped", peer);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct repo_server *s = w->data;

	(void)revents;
	for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int fd = accept4(s->listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			accept_one(s, fd, &ss);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			repo_log("accept: %s: pausing accepts for %.1fs", strerror(errno), ACCEPT_PAUSE);
			ev_io_stop(loop, &s->accept_watcher);
			ev_timer_start(loop, &s->accept_pause);
		}
		return;
	}
}

static void on_accept_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct repo_server *s = w->data;

	(void)revents;
	ev_io_start(loop, &s->accept_watcher);
}

static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	repo_log("signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void on_reload_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct repo_server *s = w->data;

	(void)loop;
	(void)revents;
	repo_reload_users(s->repo);
}

void repo_server_run(struct repo_server *s)
{
	ev_run(s->loop, 0);
}

void server_close(struct repo_server *s)
{
	if (s->loop != NULL) {
		conn_set_close_all(&s->conns);
		ev_io_stop(s->loop, &s->accept_watcher);
		ev_timer_stop(s->loop, &s->accept_pause);
		ev_signal_stop(s->loop, &s->sigterm);
		ev_signal_stop(s->loop, &s->sigint);
		ev_signal_stop(s->loop, &s->sighup);
	}
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
}
