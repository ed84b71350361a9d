/*
 * proxy/worker.h: the threads that run tenant connections ([proxy] workers).
 *
 * A worker owns an event loop and everything a connection touches on its
 * data path: its connections, its counters, its spare rings and its pool of
 * idle repository connections. Nothing of one worker is written by another
 * thread, so moving bytes takes no lock.
 *
 * With one worker (workers = 1) it runs on the main loop and no thread is
 * made: the daemon is the single-threaded one it always was. With more, the
 * main thread accepts on the listeners and hands each new socket to the
 * worker with the fewest connections (one acceptor: admission, the
 * per-address caps and port 0 stay exact and simple); every worker runs in
 * its own thread.
 *
 * What workers share is the server's: the maintenance policy, the job table,
 * the request statistics, the per-address and per-tenant counts and the held
 * requests. One recursive mutex (server.lock) guards them. The main thread
 * holds it whenever its loop is not waiting (ev_set_loop_release_cb), so the
 * admin endpoint, reloads, ticks and hooks need no lock calls of their own; a
 * worker takes it for the few moments a request is decided or settled.
 *
 * The main thread talks to a worker through its inbox (a mutex and an
 * ev_async): sockets to serve, a new configuration, wake the held requests,
 * stop, abort. A worker tells the main thread through the server's async:
 * tick the policy (a request settled), I have exited.
 */
#ifndef SLUICE_WORKER_H
#define SLUICE_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <ev.h>

#include "conn/conn.h"
#include "conn/conn_context.h"
#include "conn/conn_counters.h"
#include "conn/conn_memory.h"
#include "net/runconf.h"
#include "net/upstream_pool.h"

#define WORKER_MAX 64         /* [proxy] workers */
#define WORKER_INBOX_MAX 1024 /* sockets handed over and not yet taken, per worker */

struct server;

struct worker_socket {
	int fd;
	socklen_t peer_len;
	struct sockaddr_storage peer;
};

/* What the main thread left in a worker's inbox. */
struct worker_inbox {
	pthread_mutex_t lock;
	ev_async wake;
	struct worker_socket sockets[WORKER_INBOX_MAX]; /* a ring */
	size_t head, count;
	struct runconf *conf; /* a newer configuration (a reference), or NULL */
	bool wake_held, stop, abort;
};

struct worker {
	struct server *server;
	unsigned index;
	bool threaded; /* its own thread and loop; false: the main loop */
	pthread_t thread;
	bool thread_started;
	bool exited; /* its loop ended (written by its thread: atomic) */
	struct ev_loop *loop;
	struct conn_context ctx; /* host = this worker */
	struct server_counters counters;
	struct conn_spares spares;
	struct upstream_pool upool;
	LIST_HEAD(, conn_host_slot) conns;
	size_t conn_count; /* this worker's; read by the main thread (COUNTER_GET) */
	ev_timer hold_wake;
	ev_timer trim; /* threaded: the spares trimmed once a second */
	bool stopping;
	/* conn_accept()'s conn_added() takes the admission made just before */
	bool admitted;
	void *admitted_address; /* its per-address count */
	struct worker_inbox inbox;
};

/* [proxy] workers: the number it says, or auto: the cores online (at most
 * WORKER_MAX). */
size_t workers_wanted(const struct sluice_config *cfg);
/* Make [proxy] workers workers, after the server's policy, job table and
 * counters exist and before the first configuration is applied. */
bool workers_start(struct server *s, char *err, size_t err_size);
/* Start their threads (none for a single worker): last at start-up, after
 * privileges are dropped; sockets accepted before wait in the inboxes. */
bool workers_run(struct server *s, char *err, size_t err_size);
/* Join the threads (they have stopped) and free everything. */
void workers_free(struct server *s);

/* The main thread accepted fd: give it to a worker (which admits it: busy,
 * refused or served). */
void workers_hand_over(struct server *s, int fd, const struct sockaddr_storage *peer, socklen_t peer_len);
/* A configuration is current: each worker takes it for new connections. */
void workers_apply(struct server *s, struct runconf *rc);
/* Held requests are released from the head of the list on: wake the worker
 * (void *: a conn_host_slot's owner) that owns the head. */
void workers_wake_held_one(void *worker);
/* TERM: every worker stops its connections gracefully; the main loop ends
 * when all have none left (server.c). abort: close them all now. */
void workers_stop(struct server *s);
void workers_abort(struct server *s);
/* Every worker has stopped (no connection left, or aborted). */
bool workers_done(const struct server *s);

/* This worker's side of the connection context (server_conns.c): its
 * callbacks and resources, the server's policy and job table. */
void worker_context_init(struct worker *w);
/* On w's thread: release its held requests, first held first, once the
 * current event is over (server_conns.c). */
void worker_wake_held(struct worker *w);
/* On w's thread: stopping, its last connection ended. */
void worker_stopped(struct worker *w);

/* The counters of the main thread and of every worker, summed. */
void workers_counters(const struct server *s, struct server_counters *total);
/* Each worker's open and accepted connections, up to max of them. */
struct admin_worker_view;
void workers_view(const struct server *s, struct admin_worker_view *out, size_t max, size_t *count);

/* The shared state's lock, for a worker's own thread: nothing when the
 * worker runs on the main loop (which holds it, or has no threads). */
void worker_lock(const struct worker *w);
void worker_unlock(const struct worker *w);

#endif
