/*
 * proxy/worker.c: the threads that run tenant connections (see worker.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/admin_view.h"
#include "net/log.h"
#include "net/tlsbio.h"
#include "server.h"
#include "server_conns.h"
#include "worker.h"

#define WORKER_TRIM_SECONDS 1.0

_Static_assert(WORKER_MAX <= ADMIN_WORKERS_MAX, "the admin view lists every worker");

void worker_lock(const struct worker *w)
{
	if (w->threaded)
		pthread_mutex_lock(&w->server->lock);
}

void worker_unlock(const struct worker *w)
{
	if (w->threaded)
		pthread_mutex_unlock(&w->server->lock);
}

size_t workers_wanted(const struct sluice_config *cfg)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (cfg->proxy.workers > 0)
		return (size_t)cfg->proxy.workers;
	if (cores < 1)
		return 1;
	return cores > WORKER_MAX ? WORKER_MAX : (size_t)cores;
}

/* [limits] upstream_idle_connections bounds the whole process: each worker
 * keeps its share, rounded up. */
static size_t idle_share(const struct worker *w, int bound)
{
	size_t n = w->server->worker_count;

	return ((size_t)bound + n - 1) / n;
}

/* ---- admitting a socket (on the worker's thread) ---- */

static void worker_take_conf(struct worker *w, struct runconf *rc)
{
	const struct sluice_config *cfg = rc->cfg;

	if (!conn_spares_reset(&w->spares, rc))
		log_warn("[limits] spare_buffers: out of memory; buffers are allocated per request");
	upstream_pool_set(&w->upool, idle_share(w, cfg->limits.upstream_idle_connections),
			  config_seconds(cfg->timeouts.upstream_idle_ms), rc->serial);
	if (w->threaded)
		runconf_unref(w->ctx.conf);
	w->ctx.conf = rc;
}

static void admit(struct worker *w, int fd, const struct sockaddr_storage *ss, socklen_t len)
{
	struct server *s = w->server;
	enum server_admission a;
	struct runconf *current = NULL;

	worker_lock(w);
	a = server_admit(s, (const struct sockaddr *)ss);
	if (a != SERVER_REFUSE)
		w->admitted_address = server_reserve(s, (const struct sockaddr *)ss, a == SERVER_BUSY);
	/* A reload swaps the server's configuration under the lock: a
	 * connection admitted after it runs in it, whichever worker takes it
	 * (the inbox brings it to idle workers too). */
	if (w->threaded && s->conf != w->ctx.conf)
		current = runconf_ref(s->conf);
	worker_unlock(w);
	if (current != NULL)
		worker_take_conf(w, current);
	if (a != SERVER_ADMIT)
		COUNTER_INC(w->counters.connections_refused);
	if (a == SERVER_REFUSE) {
		close(fd);
		return;
	}
	COUNTER_INC(w->counters.connections);
	w->admitted = true;
	conn_accept(&w->ctx, fd, (const struct sockaddr *)ss, len, a == SERVER_BUSY);
	if (w->admitted) { /* conn_added() never came: out of memory */
		w->admitted = false;
		worker_lock(w);
		server_unreserve(s, w->admitted_address, a == SERVER_BUSY);
		worker_unlock(w);
	}
}

/* Its connections and the sockets waiting in its inbox. */
static size_t load_of(struct worker *w)
{
	size_t n;

	pthread_mutex_lock(&w->inbox.lock);
	n = COUNTER_GET(w->conn_count) + w->inbox.count;
	pthread_mutex_unlock(&w->inbox.lock);
	return n;
}

/* The worker with the fewest connections (the first of equals). */
static struct worker *least_busy(struct server *s)
{
	struct worker *best = &s->workers[0];
	size_t best_load = load_of(best);

	for (size_t i = 1; i < s->worker_count && best_load > 0; i++) {
		size_t n = load_of(&s->workers[i]);

		if (n < best_load) {
			best = &s->workers[i];
			best_load = n;
		}
	}
	return best;
}

void workers_hand_over(struct server *s, int fd, const struct sockaddr_storage *peer, socklen_t peer_len)
{
	struct worker *w = &s->workers[0];
	bool taken = false;

	if (!w->threaded) {
		admit(w, fd, peer, peer_len);
		return;
	}
	w = least_busy(s);
	pthread_mutex_lock(&w->inbox.lock);
	if (w->inbox.count < WORKER_INBOX_MAX && !w->inbox.stop) {
		struct worker_socket *slot =
			&w->inbox.sockets[(w->inbox.head + w->inbox.count) % WORKER_INBOX_MAX];

		slot->fd = fd;
		slot->peer = *peer;
		slot->peer_len = peer_len;
		w->inbox.count++;
		taken = true;
	}
	pthread_mutex_unlock(&w->inbox.lock);
	if (!taken) {
		COUNTER_INC(s->counters.connections_refused);
		close(fd);
		return;
	}
	ev_async_send(w->loop, &w->inbox.wake);
}

/* ---- the inbox (on the worker's thread) ---- */

static void abort_conns(struct worker *w)
{
	while (!LIST_EMPTY(&w->conns))
		conn_abort(LIST_FIRST(&w->conns)->conn);
}

static void stop_conns(struct worker *w)
{
	struct conn_host_slot *h, *next;

	w->stopping = true;
	upstream_pool_close(&w->upool);
	for (h = LIST_FIRST(&w->conns); h != NULL; h = next) {
		next = LIST_NEXT(h, link);
		conn_stop(h->conn); /* may free it, never another connection */
	}
}

void worker_stopped(struct worker *w)
{
	if (w->threaded)
		ev_break(w->loop, EVBREAK_ALL);
	else
		ev_break(w->server->loop, EVBREAK_ALL); /* the main loop: nothing else to wait for */
}

/* Read the inbox under its lock, act outside it. */
static void on_inbox(struct ev_loop *loop, ev_async *a, int revents)
{
	struct worker *w = a->data;
	struct worker_socket sockets[64];
	struct runconf *conf;
	size_t n = 0;
	bool wake_held, stop, abort_now, more;

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&w->inbox.lock);
	while (w->inbox.count > 0 && n < sizeof sockets / sizeof sockets[0]) {
		sockets[n++] = w->inbox.sockets[w->inbox.head];
		w->inbox.head = (w->inbox.head + 1) % WORKER_INBOX_MAX;
		w->inbox.count--;
	}
	more = w->inbox.count > 0;
	conf = w->inbox.conf;
	w->inbox.conf = NULL;
	wake_held = w->inbox.wake_held;
	stop = w->inbox.stop;
	abort_now = w->inbox.abort;
	w->inbox.wake_held = w->inbox.abort = false;
	pthread_mutex_unlock(&w->inbox.lock);

	if (conf != NULL)
		worker_take_conf(w, conf);
	for (size_t i = 0; i < n; i++) {
		if (stop)
			close(sockets[i].fd);
		else
			admit(w, sockets[i].fd, &sockets[i].peer, sockets[i].peer_len);
	}
	if (more)
		ev_async_send(w->loop, &w->inbox.wake); /* the rest after other events */
	if (wake_held)
		worker_wake_held(w);
	if (abort_now) {
		abort_conns(w);
		ev_break(w->loop, EVBREAK_ALL);
		return;
	}
	if (stop && !w->stopping)
		stop_conns(w);
	if (w->stopping && LIST_EMPTY(&w->conns))
		worker_stopped(w);
}

static void post(struct worker *w, bool *flag)
{
	pthread_mutex_lock(&w->inbox.lock);
	*flag = true;
	pthread_mutex_unlock(&w->inbox.lock);
	ev_async_send(w->loop, &w->inbox.wake);
}

void workers_apply(struct server *s, struct runconf *rc)
{
	for (size_t i = 0; i < s->worker_count; i++) {
		struct worker *w = &s->workers[i];

		if (!w->threaded) {
			worker_take_conf(w, rc);
			continue;
		}
		pthread_mutex_lock(&w->inbox.lock);
		runconf_unref(w->inbox.conf); /* one not taken yet: the newer wins */
		w->inbox.conf = runconf_ref(rc);
		pthread_mutex_unlock(&w->inbox.lock);
		ev_async_send(w->loop, &w->inbox.wake);
	}
}

void workers_wake_held_one(void *worker)
{
	struct worker *w = worker;

	if (w->threaded)
		post(w, &w->inbox.wake_held);
	else
		worker_wake_held(w);
}

void workers_stop(struct server *s)
{
	for (size_t i = 0; i < s->worker_count; i++) {
		struct worker *w = &s->workers[i];

		if (w->threaded)
			post(w, &w->inbox.stop);
		else
			stop_conns(w);
	}
}

static void workers_abort_one(struct worker *w)
{
	if (w->threaded)
		post(w, &w->inbox.abort);
	else
		abort_conns(w);
}

void workers_abort(struct server *s)
{
	for (size_t i = 0; i < s->worker_count; i++)
		workers_abort_one(&s->workers[i]);
}

bool workers_done(const struct server *s)
{
	for (size_t i = 0; i < s->worker_count; i++) {
		const struct worker *w = &s->workers[i];

		if (w->threaded ? !__atomic_load_n(&w->exited, __ATOMIC_ACQUIRE) : w->conn_count > 0)
			return false;
	}
	return true;
}

/* ---- sums for the admin endpoint ---- */

void workers_counters(const struct server *s, struct server_counters *total)
{
	*total = (struct server_counters){ 0 };
	server_counters_sum(total, &s->counters);
	total->descriptors = s->counters.descriptors;
	for (size_t i = 0; i < s->worker_count; i++)
		server_counters_sum(total, &s->workers[i].counters);
}

void workers_view(const struct server *s, struct admin_worker_view *out, size_t max, size_t *count)
{
	size_t n = s->worker_count < max ? s->worker_count : max;

	for (size_t i = 0; i < n; i++) {
		out[i].connections = COUNTER_GET(s->workers[i].conn_count);
		out[i].accepted = COUNTER_GET(s->workers[i].counters.connections);
	}
	*count = n;
}

/* ---- birth and death ---- */

static void on_trim(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = t->data;

	(void)loop;
	(void)revents;
	if (conn_spares_trim(&w->spares) > 0) /* the heap: by the main thread */
		__atomic_store_n(&w->server->heap_trim_wanted, true, __ATOMIC_RELEASE);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	ev_run(w->loop, 0);
	abort_conns(w); /* after an abort, or a loop that failed */
	upstream_pool_close(&w->upool);
	tlsbio_thread_end();
	__atomic_store_n(&w->exited, true, __ATOMIC_RELEASE);
	server_worker_exited(w->server);
	return NULL;
}

static bool worker_init(struct server *s, struct worker *w, unsigned index, bool threaded)
{
	w->server = s;
	w->index = index;
	w->threaded = threaded;
	w->loop = threaded ? ev_loop_new(EVFLAG_AUTO) : s->loop;
	if (w->loop == NULL)
		return false;
	LIST_INIT(&w->conns);
	upstream_pool_init(&w->upool, w->loop, &w->counters.upstream);
	worker_context_init(w);
	pthread_mutex_init(&w->inbox.lock, NULL);
	ev_async_init(&w->inbox.wake, on_inbox);
	w->inbox.wake.data = w;
	ev_async_start(w->loop, &w->inbox.wake);
	if (threaded) {
		ev_timer_init(&w->trim, on_trim, WORKER_TRIM_SECONDS, WORKER_TRIM_SECONDS);
		w->trim.data = w;
		ev_timer_start(w->loop, &w->trim);
		ev_unref(w->loop); /* the timer alone does not keep the loop running */
	}
	return true;
}

/* Worker threads take no signal: the main loop's handlers get them all. */
static bool start_threads(struct server *s, char *err, size_t err_size)
{
	sigset_t all, old;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (size_t i = 0; i < s->worker_count && rc == 0; i++) {
		rc = pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]);
		s->workers[i].thread_started = rc == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		snprintf(err, err_size, "[proxy] workers: cannot start a thread: %s", strerror(rc));
	return rc == 0;
}

bool workers_start(struct server *s, char *err, size_t err_size)
{
	size_t n = s->worker_count;

	s->workers = calloc(n, sizeof *s->workers);
	if (s->workers == NULL) {
		snprintf(err, err_size, "out of memory making %zu workers", n);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!worker_init(s, &s->workers[i], (unsigned)i, n > 1)) {
			snprintf(err, err_size, "[proxy] workers: cannot make an event loop for worker %zu",
				 i);
			return false;
		}
	}
	return true;
}

bool workers_run(struct server *s, char *err, size_t err_size)
{
	return s->worker_count == 1 || start_threads(s, err, err_size);
}

/* The threads ended (workers_done) or were never started. */
void workers_free(struct server *s)
{
	for (size_t i = 0; s->workers != NULL && i < s->worker_count; i++) {
		struct worker *w = &s->workers[i];

		if (w->thread_started) {
			workers_abort_one(w);
			pthread_join(w->thread, NULL);
		}
		upstream_pool_close(&w->upool);
		abort_conns(w);
		if (w->loop != NULL) {
			ev_async_stop(w->loop, &w->inbox.wake);
			ev_timer_stop(w->loop, &w->hold_wake);
			if (w->threaded) {
				ev_ref(w->loop);
				ev_timer_stop(w->loop, &w->trim);
			}
		}
		for (size_t k = 0; k < w->inbox.count; k++)
			close(w->inbox.sockets[(w->inbox.head + k) % WORKER_INBOX_MAX].fd);
		runconf_unref(w->inbox.conf);
		if (w->threaded) {
			runconf_unref(w->ctx.conf);
			if (w->loop != NULL)
				ev_loop_destroy(w->loop);
		}
		conn_spares_free(&w->spares);
		pthread_mutex_destroy(&w->inbox.lock);
	}
	free(s->workers);
	s->workers = NULL;
	s->worker_count = 0;
}
