/*
 * proxy/listener.c: binding, accepting, admission and EMFILE back-off (see
 * listener.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn/conn.h"
#include "daemon.h"
#include "listener.h"
#include "net/log.h"
#include "server.h"
#include "worker.h"

static int bind_one(const struct addrinfo *ai, int backlog, char *err, size_t err_size, const char *what)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0) {
		snprintf(err, err_size, "[proxy] listen: cannot create a socket for %s: %s", what,
			 strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
		snprintf(err, err_size,
			 "[proxy] listen: cannot listen on %s: %s; choose a free address "
			 "(or stop what uses it), or run with the privileges the port needs",
			 what, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static bool add_listener(struct listener *l, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	l->fd = fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return false;
	runconf_format_address((struct sockaddr *)&ss, len, l->name, sizeof l->name);
	return true;
}

static bool open_address(const struct config_address *a, int backlog, struct listener *ls, size_t *count,
			 char *err, size_t err_size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *list, *ai;
	char what[CONFIG_HOST_MAX + 16];
	int rv;

	snprintf(what, sizeof what, "%s:%s", a->host[0] ? a->host : "*", a->port);
	rv = getaddrinfo(a->host[0] ? a->host : NULL, a->port, &hints, &list);
	if (rv != 0) {
		snprintf(err, err_size, "[proxy] listen: cannot resolve %s: %s", what, gai_strerror(rv));
		return false;
	}
	for (ai = list; ai != NULL; ai = ai->ai_next) {
		int fd;

		if (*count == LISTENER_MAX) {
			snprintf(err, err_size, "[proxy] listen: more than %d sockets", LISTENER_MAX);
			freeaddrinfo(list);
			return false;
		}
		fd = bind_one(ai, backlog, err, err_size, what);
		if (fd < 0 || !add_listener(&ls[(*count)++], fd)) {
			freeaddrinfo(list);
			return false;
		}
	}
	freeaddrinfo(list);
	return true;
}

bool listeners_open(const struct sluice_config *cfg, struct listener **out, size_t *count, char *err,
		    size_t err_size)
{
	struct listener *ls = calloc(LISTENER_MAX, sizeof *ls);
	size_t n = 0;

	if (ls == NULL) {
		snprintf(err, err_size, "out of memory opening the listeners");
		return false;
	}
	for (size_t i = 0; i < cfg->proxy.listen_count; i++) {
		if (!open_address(&cfg->proxy.listen[i], cfg->proxy.backlog, ls, &n, err, err_size)) {
			for (size_t j = 0; j < n; j++)
				if (ls[j].fd >= 0)
					close(ls[j].fd);
			free(ls);
			return false;
		}
	}
	*out = ls;
	*count = n;
	return true;
}

/* ---- running out of descriptors ----
 *
 * accept() failing with EMFILE or ENFILE leaves the connection in the
 * backlog, and the listener stays readable: accepting pauses for
 * LISTENER_BACKOFF_SECONDS instead of spinning, then tries again. An
 * episode (failures until a batch of accepts goes through without one) is
 * logged once when it begins and once when it ends, with its length and
 * count, not at every retry. */

static const char *exhaustion_fix(int error)
{
	switch (error) {
	case EMFILE:
		return "raise LimitNOFILE= or ulimit -n";
	case ENFILE:
		return "the whole system is out of descriptors: raise fs.file-max";
	default:
		return "the system is short of memory";
	}
}

static void starved(struct server *s, int error)
{
	struct server_descriptors *d = &s->counters.descriptors;
	size_t open;

	d->accept_failures++;
	s->starved_failures++;
	if (!s->accept_starved) {
		s->accept_starved = true;
		s->starved_since = ev_now(s->loop);
		s->starved_failures = 1;
		d->exhaustions++;
		server_shared_acquire(s);
		open = s->conn_count;
		server_shared_release(s);
		log_warn("accept: %s (RLIMIT_NOFILE %lu, %zu tenant connection%s open); pausing new "
			 "connections, retrying every %.1f s until descriptors free up (%s)",
			 strerror(error), daemon_nofile_limit(), open, open == 1 ? "" : "s",
			 LISTENER_BACKOFF_SECONDS, exhaustion_fix(error));
	}
}

static void fed(struct server *s)
{
	uint64_t n = s->starved_failures;

	if (!s->accept_starved)
		return;
	s->accept_starved = false;
	log_notice("accept: descriptors available again after %.1f s; %llu accept%s failed meanwhile",
		   ev_now(s->loop) - s->starved_since, (unsigned long long)n, n == 1 ? "" : "s");
}

static void pause_accepting(struct server *s, int error)
{
	starved(s, error);
	for (size_t i = 0; i < s->listener_count; i++)
		ev_io_stop(s->loop, &s->listeners[i].io);
	if (!ev_is_active(&s->accept_backoff)) {
		ev_timer_set(&s->accept_backoff, LISTENER_BACKOFF_SECONDS, 0);
		ev_timer_start(s->loop, &s->accept_backoff);
	}
}

/* ---- accepting ---- */

/* Accept what is waiting, up to a batch. False when accepting paused. A
 * batch without a failure ends an episode: the backlog emptied (Linux takes
 * the descriptor before it looks at the queue, so EAGAIN says there was one)
 * or a whole batch came in. */
static bool accept_batch(struct listener *l)
{
	struct server *s = l->server;

	for (int i = 0; i < LISTENER_ACCEPT_BATCH && !s->stopping; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			workers_hand_over(s, fd, &ss, len); /* admitted there */
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			pause_accepting(s, errno);
			return false;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_err("accept on %s: %s", l->name, strerror(errno));
		break;
	}
	fed(s);
	return true;
}

/* Accepting and handing over touch nothing the workers share: the main
 * thread lets go of server.lock meanwhile, so that a burst of connections
 * does not stall the workers' requests (worker.h). */
static void accept_event(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = w->data;

	server_shared_release(l->server);
	accept_batch(l);
	server_shared_acquire(l->server);
}

/* Try at once rather than wait for the next connection, so that an episode
 * ends (and is logged) when descriptors are back, not when someone comes. */
static void resume_accepting(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;

	if (s->stopping)
		return;
	for (size_t i = 0; i < s->listener_count; i++)
		ev_io_start(loop, &s->listeners[i].io);
	for (size_t i = 0; i < s->listener_count; i++)
		if (!accept_batch(&s->listeners[i]))
			return;
}

void listeners_start(struct server *s)
{
	ev_init(&s->accept_backoff, resume_accepting);
	s->accept_backoff.data = s;
	for (size_t i = 0; i < s->listener_count; i++) {
		struct listener *l = &s->listeners[i];

		l->server = s;
		ev_io_init(&l->io, accept_event, l->fd, EV_READ);
		l->io.data = l;
		ev_io_start(s->loop, &l->io);
	}
}

void listeners_close(struct server *s)
{
	for (size_t i = 0; i < s->listener_count; i++) {
		if (s->loop != NULL)
			ev_io_stop(s->loop, &s->listeners[i].io);
		if (s->listeners[i].fd >= 0)
			close(s->listeners[i].fd);
		s->listeners[i].fd = -1;
	}
	if (s->loop != NULL)
		ev_timer_stop(s->loop, &s->accept_backoff);
	free(s->listeners);
	s->listeners = NULL;
	s->listener_count = 0;
}

bool listeners_write_ready_file(const struct server *s, const char *path, char *err, size_t err_size)
{
	char tmp[SERVER_PATH_MAX + 8];
	FILE *f;
	bool ok;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL) {
		snprintf(err, err_size, "--ready-file: cannot write %s: %s", tmp, strerror(errno));
		return false;
	}
	for (size_t i = 0; i < s->listener_count; i++)
		fprintf(f, "%s\n", s->listeners[i].name);
	ok = fclose(f) == 0 && rename(tmp, path) == 0;
	if (!ok) {
		snprintf(err, err_size, "--ready-file: cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	return ok;
}
