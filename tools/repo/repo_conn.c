/*
 * tools/repo/repo_conn.c: one tenant connection (see repo_conn.h).
 *
 * After every event the connection runs advance(): parse what the input
 * buffer holds (unless the output is backed up), move block-read bytes from
 * the file into the output, send; then the watcher mask is recomputed from
 * the state (never started and stopped ad hoc). Answers are written into one
 * output buffer in request order, so pipelined requests are answered in
 * order by construction; parsing pauses while a block read streams.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repo_conn.h"
#include "repo_handler.h"
#include "protocol/http.h"
#include "repo_io.h"

#define IN_BUF_SIZE (128 * 1024)
#define OUT_HIGH (256 * 1024)   /* parse no further while this much waits to be sent */
#define FILE_CHUNK (256 * 1024) /* block-read bytes moved per step */
#define MAX_ROUNDS 16           /* advance() steps per event: fairness between connections */

#define IDLE_TIMEOUT 120.0  /* between requests */
#define HEADER_TIMEOUT 30.0 /* a whole head, from its first byte (slowloris) */
#define BODY_TIMEOUT 60.0   /* without body progress */
#define SEND_TIMEOUT 60.0   /* without output progress */
#define LINGER_TIMEOUT 2.0  /* draining after our last answer */
#define LINGER_BYTES (1024 * 1024)

enum conn_phase {
	PHASE_IDLE,    /* between requests */
	PHASE_HEAD,    /* a head has begun */
	PHASE_MESSAGE, /* a head is complete; its body or end is to come */
	PHASE_CLOSING, /* nothing more is parsed: send what is pending, then close */
	PHASE_LINGER   /* all sent, write side shut: input is drained until EOF */
};

struct repo_conn {
	struct repo *repo;
	struct ev_loop *loop;
	struct conn_set *set;
	LIST_ENTRY(repo_conn) set_link; /* in set->live */
	struct io io;
	char peer[64];
	ev_io watcher;
	ev_timer timer;
	int events; /* the watcher's current mask */
	enum conn_phase phase;
	ev_tstamp deadline; /* of the current phase; the timer fires at or before it */
	ev_tstamp timer_at;
	struct http_framer *framer;
	char *in;
	size_t in_off, in_len;
	struct outbuf out;
	struct file_stream file;
	struct request req;
	bool peer_eof;
	size_t lingered;
};

static void on_io(struct ev_loop *loop, ev_io *w, int revents);
static void on_timer(struct ev_loop *loop, ev_timer *w, int revents);

/* ---- timers ---- */

/* Moves the phase deadline; the timer is re-armed only when it would fire
 * too late (a later deadline is noticed when the timer fires). */
static void set_deadline(struct repo_conn *c, double timeout)
{
	c->deadline = ev_now(c->loop) + timeout;
	if (ev_is_active(&c->timer) && c->timer_at <= c->deadline)
		return;
	ev_timer_stop(c->loop, &c->timer);
	ev_timer_set(&c->timer, timeout, 0.0);
	ev_timer_start(c->loop, &c->timer);
	c->timer_at = c->deadline;
}

static void enter(struct repo_conn *c, enum conn_phase phase)
{
	static const double timeout[] = {
		[PHASE_IDLE] = IDLE_TIMEOUT,     [PHASE_HEAD] = HEADER_TIMEOUT,
		[PHASE_MESSAGE] = BODY_TIMEOUT,  [PHASE_CLOSING] = SEND_TIMEOUT,
		[PHASE_LINGER] = LINGER_TIMEOUT,
	};

	if (c->phase == phase)
		return;
	c->phase = phase;
	set_deadline(c, timeout[phase]);
}

/* ---- life and death ---- */

struct repo_conn *conn_new(struct repo *repo, struct ev_loop *loop, struct conn_set *set, int fd,
			   const char *peer)
{
	struct repo_conn *c = calloc(1, sizeof *c);

	if (c != NULL) {
		c->in = malloc(IN_BUF_SIZE);
		c->framer = http_framer_new(HTTP_KIND_REQUEST, NULL);
	}
	if (c == NULL || c->in == NULL || c->framer == NULL) {
		if (c != NULL) {
			free(c->in);
			http_framer_free(c->framer);
			free(c);
		}
		close(fd);
		return NULL;
	}
	c->repo = repo;
	c->loop = loop;
	c->set = set;
	c->io.fd = fd;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	outbuf_init(&c->out);
	c->file.fd = -1;
	request_init(&c->req, c->peer);
	ev_io_init(&c->watcher, on_io, fd, EV_READ);
	c->watcher.data = c;
	ev_init(&c->timer, on_timer);
	c->timer.data = c;
	c->events = EV_READ;
	ev_io_start(loop, &c->watcher);
	c->phase = PHASE_HEAD; /* so that enter() arms the idle timer */
	enter(c, PHASE_IDLE);
	LIST_INSERT_HEAD(&set->live, c, set_link);
	set->count++;
	if (repo->opt.verbose)
		repo_log("%s: connected", c->peer);
	return c;
}

void repo_conn_free(struct repo_conn *c)
{
	if (c->repo->opt.verbose)
		repo_log("%s: closed", c->peer);
	handler_abort(&c->req);
	ev_io_stop(c->loop, &c->watcher);
	ev_timer_stop(c->loop, &c->timer);
	io_close(&c->io);
	if (c->file.fd >= 0)
		close(c->file.fd);
	http_framer_free(c->framer);
	outbuf_free(&c->out);
	free(c->in);
	LIST_REMOVE(c, set_link);
	c->set->count--;
	free(c);
}

void conn_set_close_all(struct conn_set *set)
{
	while (!LIST_EMPTY(&set->live))
		repo_conn_free(LIST_FIRST(&set->live));
}

/* ---- the framing loop ---- */

static bool blocked(const struct repo_conn *c)
{
	return c->out.len >= OUT_HIGH || c->file.fd >= 0;
}

/* An error the framer found (400, 431): answered, then the connection ends. */
static void framing_error(struct repo_conn *c, const struct http_event *ev)
{
	struct repo_respond_extra extra = { true, NULL, false };

	handler_abort(&c->req);
	if (c->repo->opt.log_requests)
		repo_log("%s framing error: %u %s (%s)", c->peer, ev->status, ev->code, ev->reason);
	repo_respond_error(&c->out, ev->status, ev->code, ev->reason, &extra);
	enter(c, PHASE_CLOSING);
}

static void on_event(struct repo_conn *c, const struct http_event *ev)
{
	double now = ev_time(); /* ev_now() is the loop's cached time: too coarse for the log */

	switch (ev->type) {
	case HTTP_EV_HEAD:
		enter(c, PHASE_MESSAGE);
		if (!handler_head(c->repo, &c->req, http_framer_head(c->framer), &c->out, &c->file, now))
			enter(c, PHASE_CLOSING);
		break;
	case HTTP_EV_BODY:
		handler_body(&c->req, ev->data, ev->len);
		set_deadline(c, BODY_TIMEOUT);
		break;
	case HTTP_EV_END:
		handler_end(c->repo, &c->req, &c->out, now);
		enter(c, c->req.close ? PHASE_CLOSING : PHASE_IDLE);
		break;
	default:
		break;
	}
}

/* Parses what the input holds; true when something was consumed. */
static bool parse(struct repo_conn *c)
{
	bool moved = false;

	while (c->phase <= PHASE_MESSAGE && !blocked(c)) {
		struct http_event ev;
		size_t n = http_framer_feed(c->framer, c->in + c->in_off, c->in_len, &ev);

		c->in_off += n;
		c->in_len -= n;
		moved |= n > 0 || ev.type != HTTP_EV_NONE;
		if (ev.type == HTTP_EV_ERROR) {
			framing_error(c, &ev);
			break;
		}
		if (ev.type == HTTP_EV_NONE) {
			if (c->phase == PHASE_IDLE && !http_framer_idle(c->framer))
				enter(c, PHASE_HEAD);
			break;
		}
		on_event(c, &ev);
	}
	if (c->in_len == 0)
		c->in_off = 0;
	return moved;
}

/* The peer closed its side: whatever was cut short is dropped. */
static void peer_closed(struct repo_conn *c)
{
	struct http_event ev;

	if (c->phase > PHASE_MESSAGE)
		return;
	http_framer_eof(c->framer, &ev);
	if (ev.type == HTTP_EV_END)
		on_event(c, &ev);
	else
		handler_abort(&c->req);
	enter(c, PHASE_CLOSING);
}

/* ---- bytes in and out ---- */

static bool fill(struct repo_conn *c)
{
	size_t got;
	enum io_status st;

	if (c->phase == PHASE_LINGER) {
		char sink[16384];

		st = io_recv(&c->io, sink, sizeof sink, &got);
		c->lingered += got;
		return st == IO_OK || st == IO_AGAIN ? c->lingered < LINGER_BYTES : false;
	}
	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len);
		c->in_off = 0;
	}
	if (c->in_len == IN_BUF_SIZE)
		return true; /* full: a read of 0 bytes would look like EOF */
	st = io_recv(&c->io, c->in + c->in_len, IN_BUF_SIZE - c->in_len, &got);
	if (st == IO_OK)
		c->in_len += got;
	else if (st == IO_EOF)
		c->peer_eof = true;
	return st != IO_ERROR;
}

/* A block read that cannot be completed: its Content-Length was promised,
 * so the connection ends after the bytes already queued. */
static void abandon_file(struct repo_conn *c, const char *why)
{
	repo_log("%s: block read failed mid-answer: %s", c->peer, why);
	close(c->file.fd);
	c->file.fd = -1;
	c->req.close = true;
	enter(c, PHASE_CLOSING);
}

/* Moves block-read bytes from the file into the output buffer. */
static bool pump_file(struct repo_conn *c)
{
	size_t want;
	ssize_t n;

	if (c->file.fd < 0 || c->out.len >= OUT_HIGH)
		return false;
	want = c->file.left < FILE_CHUNK ? (size_t)c->file.left : FILE_CHUNK;
	if (!outbuf_reserve(&c->out, want)) {
		abandon_file(c, "out of memory");
		return false;
	}
	do
		n = read(c->file.fd, outbuf_tail(&c->out), want);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		/* The block's size was checked at open; it changed under us. */
		abandon_file(c, n < 0 ? strerror(errno) : "file shorter than its record");
		return false;
	}
	outbuf_commit(&c->out, (size_t)n);
	c->file.left -= (uint64_t)n;
	if (c->file.left == 0) {
		close(c->file.fd);
		c->file.fd = -1;
	}
	return true;
}

/* Sends what is pending: 1 progress, 0 none, -1 broken. */
static int flush(struct repo_conn *c)
{
	int moved = 0;

	while (c->out.len > 0) {
		size_t sent;
		enum io_status st = io_send(&c->io, c->out.data + c->out.off, c->out.len, &sent);

		if (st == IO_ERROR)
			return -1;
		if (st == IO_AGAIN)
			break;
		outbuf_consume(&c->out, sent);
		moved = 1;
	}
	if (moved && c->deadline < ev_now(c->loop) + SEND_TIMEOUT && c->phase != PHASE_LINGER &&
	    c->phase != PHASE_HEAD)
		set_deadline(c, SEND_TIMEOUT);
	return moved;
}

static void update_watcher(struct repo_conn *c)
{
	int events = 0;

	if (c->phase == PHASE_LINGER) {
		events = EV_READ;
	} else {
		if (!c->peer_eof && c->phase != PHASE_CLOSING && c->in_off + c->in_len < IN_BUF_SIZE)
			events |= EV_READ;
		if (c->out.len > 0 || c->file.fd >= 0)
			events |= EV_WRITE;
	}
	if (events == c->events)
		return;
	ev_io_stop(c->loop, &c->watcher);
	ev_io_set(&c->watcher, c->io.fd, events);
	if (events != 0)
		ev_io_start(c->loop, &c->watcher);
	c->events = events;
}

/* Runs the connection as far as it can go; false when it was freed. */
static bool advance(struct repo_conn *c)
{
	for (int round = 0; round < MAX_ROUNDS; round++) {
		bool moved = parse(c);
		int sent;

		moved |= pump_file(c);
		sent = flush(c);
		if (sent < 0) {
			repo_conn_free(c);
			return false;
		}
		if (!moved && sent == 0)
			break;
	}
	if (c->peer_eof && c->in_len == 0)
		peer_closed(c);
	if (c->phase == PHASE_CLOSING && c->out.len == 0 && c->file.fd < 0) {
		if (c->peer_eof) {
			repo_conn_free(c);
			return false;
		}
		io_shutdown_write(&c->io); /* then drain, so that our answer is not lost to a reset */
		enter(c, PHASE_LINGER);
	}
	update_watcher(c);
	return true;
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct repo_conn *c = w->data;

	(void)loop;
	if ((revents & EV_READ) && !fill(c)) {
		repo_conn_free(c);
		return;
	}
	if (c->phase == PHASE_LINGER && c->peer_eof) {
		repo_conn_free(c);
		return;
	}
	advance(c);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct repo_conn *c = w->data;
	struct repo_respond_extra extra = { true, NULL, false };
	ev_tstamp now = ev_now(loop);

	(void)revents;
	if (now < c->deadline) { /* the deadline moved on: sleep until it */
		ev_timer_set(&c->timer, c->deadline - now, 0.0);
		ev_timer_start(loop, &c->timer);
		c->timer_at = c->deadline;
		return;
	}
	if (c->phase != PHASE_HEAD) {
		if (c->repo->opt.verbose)
			repo_log("%s: timed out", c->peer);
		repo_conn_free(c);
		return;
	}
	if (c->repo->opt.log_requests)
		repo_log("%s: 408 timeout: the request head did not arrive within %.0fs", c->peer,
			 HEADER_TIMEOUT);
	repo_respond_error(&c->out, 408, "timeout", "the request head did not arrive in time", &extra);
	enter(c, PHASE_CLOSING);
	advance(c);
}
