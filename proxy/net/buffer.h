/*
 * proxy/net/buffer.h: a fixed-capacity byte ring for one direction of one
 * connection. It hands out contiguous spans, which is what read(2),
 * write(2), SSL_read() and SSL_write() need:
 *
 *     p = buffer_write_span(b, &room);     read into [p, p + room)
 *     buffer_commit(b, n);                 n bytes arrived
 *     p = buffer_read_span(b, &len);       send [p, p + len)
 *     buffer_consume(b, n);                n bytes went out
 *
 * A span never runs past the end of the storage, so a wrapped ring needs two
 * calls (or the iovec forms for readv/writev). When the ring becomes empty its
 * start returns to offset 0, so the next write span is the whole capacity and
 * a 16 KiB TLS record is read in one piece. For SSL_write retries, the span
 * handed out stays put until it is consumed: nothing here moves readable data
 * except buffer_linearize(), which callers must not use while a write of the
 * current read span is pending.
 *
 * Pure: no I/O. Violating a documented precondition (committing or consuming
 * more than the span allowed) is a programming error and aborts via assert().
 */
#ifndef SLUICE_BUFFER_H
#define SLUICE_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#define BUFFER_CAPACITY_MIN 1u
#define BUFFER_CAPACITY_MAX ((size_t)1 << 30) /* 1 GiB: far above any sane [limits] buffer_bytes */

struct buffer {
	unsigned char *data; /* capacity bytes of storage, owned */
	size_t capacity;
	size_t start;  /* offset of the first readable byte, < capacity */
	size_t length; /* readable bytes, <= capacity */
};

/* Allocate the storage. False (b left empty, nothing to free) when capacity is
 * outside [BUFFER_CAPACITY_MIN, BUFFER_CAPACITY_MAX] or memory is short. */
bool buffer_init(struct buffer *b, size_t capacity);
/* Release the storage; b may then be initialised again. Safe on a zeroed b. */
void buffer_fini(struct buffer *b);
/* The same two with storage the caller keeps (a pool of spare rings):
 * adopt capacity bytes at storage (not NULL, capacity within the bounds),
 * and hand the storage back, leaving b empty (NULL when b had none). */
void buffer_adopt(struct buffer *b, unsigned char *storage, size_t capacity);
unsigned char *buffer_release(struct buffer *b);
/* Drop everything readable. */
void buffer_clear(struct buffer *b);

size_t buffer_length(const struct buffer *b);
size_t buffer_room(const struct buffer *b);
size_t buffer_capacity(const struct buffer *b);
bool buffer_empty(const struct buffer *b);
bool buffer_full(const struct buffer *b);

/* Where to put new bytes: *room contiguous bytes at the returned pointer
 * (0 when full; the pointer is then not to be written). */
unsigned char *buffer_write_span(struct buffer *b, size_t *room);
/* n bytes were written into the span last returned; n <= that room. */
void buffer_commit(struct buffer *b, size_t n);

/* The oldest readable bytes: *len contiguous bytes (0 when empty). */
const unsigned char *buffer_read_span(const struct buffer *b, size_t *len);
/* n bytes of the read span were sent; n <= buffer_length(). */
void buffer_consume(struct buffer *b, size_t n);

/* The same as up to two iovecs (readv/writev): returns how many were filled
 * (0, 1 or 2); together they cover all the room / all the readable bytes. */
int buffer_write_iov(struct buffer *b, struct iovec iov[2]);
int buffer_read_iov(const struct buffer *b, struct iovec iov[2]);

/* Copy up to len bytes in / out (tests, small proxy-made responses).
 * Returns the number of bytes copied. */
size_t buffer_append(struct buffer *b, const void *src, size_t len);
size_t buffer_take(struct buffer *b, void *dst, size_t len);

/* Insert len bytes at offset (0..buffer_length) of the readable bytes: the
 * bytes before offset stay where they are, the ones from offset on move
 * len further, wrapping as the ring does. False, nothing changed, when the
 * room is short or offset is past the data. O(bytes moved); for the rare
 * header the proxy adds to an answer. */
bool buffer_insert(struct buffer *b, size_t offset, const void *src, size_t len);
/* Remove len bytes at offset of the readable bytes, its mirror: the bytes
 * before offset stay where they are, the ones after move len back. False,
 * nothing changed, when offset + len is past the data. O(bytes moved); for
 * the hop-by-hop header line the proxy takes out of a request head. */
bool buffer_remove(struct buffer *b, size_t offset, size_t len);

/* Move the readable bytes to offset 0 so that both they and the room are each
 * one contiguous span. O(capacity) when the data wraps; rarely needed. */
void buffer_linearize(struct buffer *b);

#endif
