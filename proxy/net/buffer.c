/*
 * proxy/net/buffer.c: the per-direction byte ring (see buffer.h).
 */
#include "autoconfig.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "net/buffer.h"

/* Offset one past the last readable byte (where the next write goes). */
static size_t buffer_end(const struct buffer *b)
{
	size_t end = b->start + b->length;

	return end >= b->capacity ? end - b->capacity : end;
}

bool buffer_init(struct buffer *b, size_t capacity)
{
	memset(b, 0, sizeof(*b));
	if (capacity < BUFFER_CAPACITY_MIN || capacity > BUFFER_CAPACITY_MAX)
		return false;
	b->data = malloc(capacity);
	if (b->data == NULL)
		return false;
	b->capacity = capacity;
	return true;
}

void buffer_fini(struct buffer *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void buffer_adopt(struct buffer *b, unsigned char *storage, size_t capacity)
{
	assert(storage != NULL && capacity >= BUFFER_CAPACITY_MIN && capacity <= BUFFER_CAPACITY_MAX);
	memset(b, 0, sizeof(*b));
	b->data = storage;
	b->capacity = capacity;
}

unsigned char *buffer_release(struct buffer *b)
{
	unsigned char *storage = b->data;

	memset(b, 0, sizeof(*b));
	return storage;
}

void buffer_clear(struct buffer *b)
{
	b->start = 0;
	b->length = 0;
}

size_t buffer_length(const struct buffer *b)
{
	return b->length;
}

size_t buffer_room(const struct buffer *b)
{
	return b->capacity - b->length;
}

size_t buffer_capacity(const struct buffer *b)
{
	return b->capacity;
}

bool buffer_empty(const struct buffer *b)
{
	return b->length == 0;
}

bool buffer_full(const struct buffer *b)
{
	return b->length == b->capacity;
}

unsigned char *buffer_write_span(struct buffer *b, size_t *room)
{
	size_t end;

	/* Invariant kept by consume and clear: an empty ring starts at 0, so its
	 * write span is the whole storage. */
	assert(b->length != 0 || b->start == 0);
	end = buffer_end(b);
	if (b->length == b->capacity)
		*room = 0;
	else if (end >= b->start)
		*room = b->capacity - end; /* up to the end of storage */
	else
		*room = b->start - end; /* up to the oldest byte */
	return b->data + end;
}

void buffer_commit(struct buffer *b, size_t n)
{
	size_t room;

	(void)buffer_write_span(b, &room);
	assert(n <= room);
	b->length += n;
}

const unsigned char *buffer_read_span(const struct buffer *b, size_t *len)
{
	size_t to_end = b->capacity - b->start;

	*len = b->length < to_end ? b->length : to_end;
	return b->data + b->start;
}

void buffer_consume(struct buffer *b, size_t n)
{
	assert(n <= b->length);
	b->length -= n;
	if (b->length == 0) {
		b->start = 0;
		return;
	}
	b->start += n;
	if (b->start >= b->capacity)
		b->start -= b->capacity;
}

int buffer_write_iov(struct buffer *b, struct iovec iov[2])
{
	size_t room, end;
	int count = 0;

	iov[0].iov_base = buffer_write_span(b, &room);
	iov[0].iov_len = room;
	if (room == 0)
		return 0;
	count = 1;
	end = buffer_end(b);
	/* Data does not wrap: room runs to the end of storage, and the bytes
	 * before the oldest one are free too. */
	if (end >= b->start && b->start > 0) {
		iov[1].iov_base = b->data;
		iov[1].iov_len = b->start;
		count = 2;
	}
	return count;
}

int buffer_read_iov(const struct buffer *b, struct iovec iov[2])
{
	size_t len;

	iov[0].iov_base = (void *)buffer_read_span(b, &len);
	iov[0].iov_len = len;
	if (len == 0)
		return 0;
	if (len == b->length)
		return 1;
	iov[1].iov_base = b->data;
	iov[1].iov_len = b->length - len;
	return 2;
}

size_t buffer_append(struct buffer *b, const void *src, size_t len)
{
	const unsigned char *from = src;
	size_t done = 0;

	while (done < len) {
		size_t room;
		unsigned char *to = buffer_write_span(b, &room);
		size_t n = len - done < room ? len - done : room;

		if (n == 0)
			break;
		memcpy(to, from + done, n);
		buffer_commit(b, n);
		done += n;
	}
	return done;
}

size_t buffer_take(struct buffer *b, void *dst, size_t len)
{
	unsigned char *to = dst;
	size_t done = 0;

	while (done < len) {
		size_t avail;
		const unsigned char *from = buffer_read_span(b, &avail);
		size_t n = len - done < avail ? len - done : avail;

		if (n == 0)
			break;
		memcpy(to + done, from, n);
		buffer_consume(b, n);
		done += n;
	}
	return done;
}

static void reverse_bytes(unsigned char *p, size_t n)
{
	size_t i, j;

	if (n < 2)
		return;
	for (i = 0, j = n - 1; i < j; i++, j--) {
		unsigned char t = p[i];

		p[i] = p[j];
		p[j] = t;
	}
}

void buffer_linearize(struct buffer *b)
{
	if (b->start == 0)
		return;
	if (b->start + b->length <= b->capacity) {
		memmove(b->data, b->data + b->start, b->length);
	} else {
		/* Rotate the whole storage left by start, in place: three reversals. */
		reverse_bytes(b->data, b->start);
		reverse_bytes(b->data + b->start, b->capacity - b->start);
		reverse_bytes(b->data, b->capacity);
	}
	b->start = 0;
}

bool buffer_insert(struct buffer *b, size_t offset, const void *src, size_t len)
{
	const unsigned char *in = src;

	if (offset > b->length || len > b->capacity - b->length)
		return false;
	/* From the last byte back, so nothing is overwritten before it moved. */
	for (size_t i = b->length; i > offset; i--)
		b->data[(b->start + i - 1 + len) % b->capacity] = b->data[(b->start + i - 1) % b->capacity];
	for (size_t i = 0; i < len; i++)
		b->data[(b->start + offset + i) % b->capacity] = in[i];
	b->length += len;
	return true;
}

bool buffer_remove(struct buffer *b, size_t offset, size_t len)
{
	if (offset > b->length || len > b->length - offset)
		return false;
	/* From the first byte after the cut on, so nothing is overwritten before it moved. */
	for (size_t i = offset + len; i < b->length; i++)
		b->data[(b->start + i - len) % b->capacity] = b->data[(b->start + i) % b->capacity];
	b->length -= len;
	if (b->length == 0)
		b->start = 0;
	return true;
}
