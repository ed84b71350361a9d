/*
 * proxy/net/tlsbio.c: a socket BIO that can gather TLS records into one send
 * (see tlsbio.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/tlsbio.h"

/* Made once, by whichever worker thread needs it first, and kept for the
 * life of the process. */
static BIO_METHOD *tlsbio_method;
static pthread_once_t tlsbio_method_once = PTHREAD_ONCE_INIT;

/* One gather buffer kept between spans: a span is usually gathered and sent
 * within one call, so one buffer serves every connection in turn instead of
 * a 65 KiB malloc and free (and the heap trimmed and grown back) per span.
 * One per thread: a worker's connections take turns with it. */
static _Thread_local unsigned char *spare;

void tlsbio_thread_end(void)
{
	free(spare);
	spare = NULL;
}

static void release(struct tlsbio *tb)
{
	if (spare == NULL)
		spare = tb->held;
	else
		free(tb->held);
	tb->held = NULL;
	tb->head = tb->tail = 0;
}

size_t tlsbio_room(const struct tlsbio *tb)
{
	return tb->gathering ? TLSBIO_GATHER_BYTES - tb->tail : 0;
}

size_t tlsbio_held(const struct tlsbio *tb)
{
	return tb->tail - tb->head;
}

bool tlsbio_gather_begin(struct tlsbio *tb)
{
	if (tb->held != NULL)
		return false; /* earlier bytes must leave first */
	if (spare != NULL) {
		tb->held = spare;
		spare = NULL;
	} else {
		tb->held = malloc(TLSBIO_GATHER_BYTES);
	}
	if (tb->held == NULL)
		return false;
	tb->gathering = true;
	return true;
}

void tlsbio_gather_end(struct tlsbio *tb)
{
	tb->gathering = false;
	if (tb->held != NULL && tb->tail == 0)
		release(tb); /* nothing was gathered */
}

enum tlsbio_status tlsbio_send(struct tlsbio *tb)
{
	ssize_t put;

	if (tb->head < tb->tail) {
		do
			put = send(tb->fd, tb->held + tb->head, tb->tail - tb->head, MSG_NOSIGNAL);
		while (put < 0 && errno == EINTR);
		if (put < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? TLSBIO_AGAIN : TLSBIO_ERROR;
		tb->head += (uint32_t)put;
		if (tb->head < tb->tail)
			return TLSBIO_AGAIN; /* a short send: the socket buffer is full */
	}
	if (tb->gathering)
		tb->head = tb->tail = 0;
	else
		release(tb);
	return TLSBIO_SENT;
}

/* ---- the BIO method ---- */

static int bio_read(BIO *bio, char *out, int len)
{
	struct tlsbio *tb = BIO_get_data(bio);
	ssize_t got;

	BIO_clear_retry_flags(bio);
	if (len <= 0)
		return 0;
	do
		got = recv(tb->fd, out, (size_t)len, 0);
	while (got < 0 && errno == EINTR);
	if (got == 0)
		tb->eof = true;
	else if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_read(bio);
	return (int)got;
}

/* Gathering: append what fits; the owner sends it all at the end of the span. */
static int gather(BIO *bio, struct tlsbio *tb, const char *in, size_t len)
{
	size_t room = tlsbio_room(tb);

	if (room == 0) {
		BIO_set_retry_write(bio);
		return -1;
	}
	if (len > room)
		len = room;
	memcpy(tb->held + tb->tail, in, len);
	tb->tail += (uint32_t)len;
	return (int)len;
}

/* Otherwise as BIO_s_socket() writes, once the bytes held (if any) are out:
 * OpenSSL keeps its record and retries when the socket cannot take them. */
static int bio_write(BIO *bio, const char *in, int len)
{
	struct tlsbio *tb = BIO_get_data(bio);
	ssize_t put;

	BIO_clear_retry_flags(bio);
	if (len <= 0)
		return 0;
	if (tb->gathering)
		return gather(bio, tb, in, (size_t)len);
	if (tb->held != NULL) {
		enum tlsbio_status st = tlsbio_send(tb);

		if (st == TLSBIO_AGAIN)
			BIO_set_retry_write(bio);
		if (st != TLSBIO_SENT)
			return -1;
	}
	do
		put = send(tb->fd, in, (size_t)len, MSG_NOSIGNAL);
	while (put < 0 && errno == EINTR);
	if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(bio);
	return (int)put;
}

/* OpenSSL flushes after a handshake flight and after an alert. While
 * gathering, the records wait for the end of the span. */
static long bio_flush(BIO *bio, struct tlsbio *tb)
{
	BIO_clear_retry_flags(bio);
	if (tb->gathering)
		return 1;
	switch (tlsbio_send(tb)) {
	case TLSBIO_SENT:
		return 1;
	case TLSBIO_AGAIN:
		BIO_set_retry_write(bio);
		return -1;
	case TLSBIO_ERROR:
		break;
	}
	return -1;
}

static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	struct tlsbio *tb = BIO_get_data(bio);

	(void)num;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return bio_flush(bio, tb);
	case BIO_CTRL_EOF:
		return tb->eof;
	case BIO_CTRL_WPENDING:
		return (long)tlsbio_held(tb);
	case BIO_C_GET_FD:
		if (ptr != NULL)
			*(int *)ptr = tb->fd;
		return tb->fd;
	case BIO_CTRL_GET_CLOSE:
		return BIO_NOCLOSE; /* the endpoint closes the socket */
	default:
		return 0;
	}
}

static int bio_destroy(BIO *bio)
{
	struct tlsbio *tb = BIO_get_data(bio);

	if (tb != NULL)
		release(tb);
	BIO_set_data(bio, NULL);
	return 1;
}

static void make_method(void)
{
	int index = BIO_get_new_index();
	BIO_METHOD *m;

	if (index == -1)
		return;
	m = BIO_meth_new(index | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "sluice socket");
	if (m == NULL)
		return;
	if (BIO_meth_set_read(m, bio_read) != 1 || BIO_meth_set_write(m, bio_write) != 1 ||
	    BIO_meth_set_ctrl(m, bio_ctrl) != 1 || BIO_meth_set_destroy(m, bio_destroy) != 1) {
		BIO_meth_free(m);
		return;
	}
	tlsbio_method = m;
}

static const BIO_METHOD *method(void)
{
	pthread_once(&tlsbio_method_once, make_method);
	return tlsbio_method;
}

BIO *tlsbio_new(struct tlsbio *tb, int fd)
{
	const BIO_METHOD *m = method();
	BIO *bio = m != NULL ? BIO_new(m) : NULL;

	if (bio == NULL)
		return NULL;
	*tb = (struct tlsbio){ .fd = fd };
	BIO_set_data(bio, tb);
	BIO_set_init(bio, 1);
	return bio;
}

void tlsbio_moved(BIO *bio, struct tlsbio *tb)
{
	BIO_set_data(bio, tb);
}
