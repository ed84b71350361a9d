/*
 * tests/unit/test_buffer.c: the per-direction byte ring (proxy/net/buffer.c).
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/buffer.h"

/* Lay out a ring with its readable bytes 0, 1, 2, ... starting at a chosen
 * offset (white-box: the public calls cannot move the start of an empty ring). */
static void place(struct buffer *b, size_t start, size_t length)
{
	size_t i;

	assert_true(start < b->capacity && length <= b->capacity);
	buffer_clear(b);
	b->start = length == 0 ? 0 : start;
	for (i = 0; i < length; i++)
		b->data[(b->start + i) % b->capacity] = (unsigned char)i;
	b->length = length;
}

static void test_init_rejects_bad_capacity(void **state)
{
	struct buffer b;

	(void)state;
	assert_false(buffer_init(&b, 0));
	assert_null(b.data);
	assert_false(buffer_init(&b, BUFFER_CAPACITY_MAX + 1));
	assert_null(b.data);
	buffer_fini(&b); /* safe on a buffer that failed to init */
	assert_true(buffer_init(&b, 1));
	assert_int_equal(buffer_capacity(&b), 1);
	buffer_fini(&b);
	assert_null(b.data);
}

static void test_empty_edges(void **state)
{
	struct buffer b;
	size_t n;
	const unsigned char *r;
	unsigned char *w;
	struct iovec iov[2];

	(void)state;
	assert_true(buffer_init(&b, 64));
	assert_true(buffer_empty(&b));
	assert_false(buffer_full(&b));
	assert_int_equal(buffer_length(&b), 0);
	assert_int_equal(buffer_room(&b), 64);
	r = buffer_read_span(&b, &n);
	assert_non_null(r);
	assert_int_equal(n, 0);
	assert_int_equal(buffer_read_iov(&b, iov), 0);
	w = buffer_write_span(&b, &n);
	assert_ptr_equal(w, b.data);
	assert_int_equal(n, 64);
	buffer_consume(&b, 0);
	assert_true(buffer_empty(&b));
	buffer_fini(&b);
}

static void test_full_edges(void **state)
{
	struct buffer b;
	unsigned char src[64];
	size_t n;
	struct iovec iov[2];

	(void)state;
	memset(src, 'a', sizeof(src));
	assert_true(buffer_init(&b, 64));
	assert_int_equal(buffer_append(&b, src, sizeof(src)), 64);
	assert_true(buffer_full(&b));
	assert_false(buffer_empty(&b));
	assert_int_equal(buffer_room(&b), 0);
	(void)buffer_write_span(&b, &n);
	assert_int_equal(n, 0);
	assert_int_equal(buffer_write_iov(&b, iov), 0);
	assert_int_equal(buffer_append(&b, "z", 1), 0); /* nothing fits */
	(void)buffer_read_span(&b, &n);
	assert_int_equal(n, 64);
	buffer_fini(&b);
}

static void test_full_after_wrap(void **state)
{
	struct buffer b;
	unsigned char out[16];
	size_t n;
	const unsigned char *r;

	(void)state;
	assert_true(buffer_init(&b, 16));
	place(&b, 10, 16); /* starts at 10, full, wraps */
	assert_true(buffer_full(&b));
	(void)buffer_write_span(&b, &n);
	assert_int_equal(n, 0);
	r = buffer_read_span(&b, &n);
	assert_ptr_equal(r, b.data + 10);
	assert_int_equal(n, 6); /* up to the end of storage only */
	assert_int_equal(buffer_take(&b, out, sizeof(out)), 16);
	for (n = 0; n < 16; n++)
		assert_int_equal(out[n], n);
	buffer_fini(&b);
}

static void test_empty_returns_to_start(void **state)
{
	struct buffer b;
	size_t n;
	unsigned char *w;

	(void)state;
	assert_true(buffer_init(&b, 32));
	assert_int_equal(buffer_append(&b, "abcdefghij", 10), 10);
	buffer_consume(&b, 4);
	(void)buffer_read_span(&b, &n);
	assert_int_equal(n, 6);
	buffer_consume(&b, 6);
	/* empty again: the whole storage is one write span */
	w = buffer_write_span(&b, &n);
	assert_ptr_equal(w, b.data);
	assert_int_equal(n, 32);
	buffer_fini(&b);
}

static void test_write_span_wraps(void **state)
{
	struct buffer b;
	size_t n;
	unsigned char *w;
	const unsigned char *r;

	(void)state;
	assert_true(buffer_init(&b, 16));
	place(&b, 12, 3); /* bytes at 12, 13, 14 */
	w = buffer_write_span(&b, &n);
	assert_ptr_equal(w, b.data + 15);
	assert_int_equal(n, 1); /* up to the end of storage */
	memcpy(w, "A", 1);
	buffer_commit(&b, 1);
	w = buffer_write_span(&b, &n);
	assert_ptr_equal(w, b.data); /* then from the front up to the start */
	assert_int_equal(n, 12);
	memcpy(w, "BC", 2);
	buffer_commit(&b, 2);
	assert_int_equal(buffer_length(&b), 6);
	r = buffer_read_span(&b, &n);
	assert_ptr_equal(r, b.data + 12);
	assert_int_equal(n, 4);
	buffer_consume(&b, 4);
	r = buffer_read_span(&b, &n);
	assert_ptr_equal(r, b.data);
	assert_int_equal(n, 2);
	assert_memory_equal(r, "BC", 2);
	buffer_fini(&b);
}

static void test_iov_both_directions(void **state)
{
	struct buffer b;
	struct iovec iov[2];

	(void)state;
	assert_true(buffer_init(&b, 16));
	place(&b, 5, 4); /* data [5, 9): room [9, 16) + [0, 5) */
	assert_int_equal(buffer_write_iov(&b, iov), 2);
	assert_ptr_equal(iov[0].iov_base, b.data + 9);
	assert_int_equal(iov[0].iov_len, 7);
	assert_ptr_equal(iov[1].iov_base, b.data);
	assert_int_equal(iov[1].iov_len, 5);
	assert_int_equal(buffer_read_iov(&b, iov), 1);
	assert_int_equal(iov[0].iov_len, 4);

	place(&b, 13, 6); /* data [13, 16) + [0, 3): room [3, 13) */
	assert_int_equal(buffer_read_iov(&b, iov), 2);
	assert_ptr_equal(iov[0].iov_base, b.data + 13);
	assert_int_equal(iov[0].iov_len, 3);
	assert_ptr_equal(iov[1].iov_base, b.data);
	assert_int_equal(iov[1].iov_len, 3);
	assert_int_equal(buffer_write_iov(&b, iov), 1);
	assert_ptr_equal(iov[0].iov_base, b.data + 3);
	assert_int_equal(iov[0].iov_len, 10);
	buffer_fini(&b);
}

static void test_data_ending_at_storage_end(void **state)
{
	struct buffer b;
	struct iovec iov[2];
	size_t n;
	unsigned char *w;

	(void)state;
	assert_true(buffer_init(&b, 16));
	place(&b, 10, 6); /* data [10, 16) exactly: room is [0, 10) */
	w = buffer_write_span(&b, &n);
	assert_ptr_equal(w, b.data);
	assert_int_equal(n, 10);
	assert_int_equal(buffer_write_iov(&b, iov), 1);
	assert_int_equal(buffer_read_iov(&b, iov), 1);
	assert_int_equal(iov[0].iov_len, 6);
	buffer_fini(&b);
}

static void test_linearize_wrapped(void **state)
{
	struct buffer b;
	size_t n, i;
	const unsigned char *r;

	(void)state;
	assert_true(buffer_init(&b, 16));
	place(&b, 11, 9); /* wraps: [11, 16) + [0, 4) */
	buffer_linearize(&b);
	r = buffer_read_span(&b, &n);
	assert_ptr_equal(r, b.data);
	assert_int_equal(n, 9);
	for (i = 0; i < 9; i++)
		assert_int_equal(r[i], i);
	(void)buffer_write_span(&b, &n);
	assert_int_equal(n, 7);

	place(&b, 6, 5); /* not wrapped: a plain move */
	buffer_linearize(&b);
	r = buffer_read_span(&b, &n);
	assert_ptr_equal(r, b.data);
	assert_int_equal(n, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(r[i], i);
	buffer_fini(&b);
}

static void test_capacity_one(void **state)
{
	struct buffer b;
	unsigned char c = 0;
	size_t n;

	(void)state;
	assert_true(buffer_init(&b, 1));
	assert_int_equal(buffer_append(&b, "q", 1), 1);
	assert_true(buffer_full(&b));
	assert_int_equal(buffer_append(&b, "r", 1), 0);
	assert_int_equal(buffer_take(&b, &c, 1), 1);
	assert_int_equal(c, 'q');
	(void)buffer_write_span(&b, &n);
	assert_int_equal(n, 1);
	buffer_fini(&b);
}

/* xorshift: a deterministic generator so failures reproduce. */
static uint32_t next_random(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

struct model {
	unsigned char bytes[4096];
	size_t head, len; /* a plain FIFO: bytes[head .. head + len) */
};

static void model_push(struct model *m, const unsigned char *p, size_t n)
{
	if (m->head + m->len + n > sizeof(m->bytes)) {
		memmove(m->bytes, m->bytes + m->head, m->len);
		m->head = 0;
	}
	memcpy(m->bytes + m->head + m->len, p, n);
	m->len += n;
}

/* One random step: write into the span, read out of the span, or linearize;
 * every span is checked against the capacity and the model. */
static void random_step(struct buffer *b, struct model *m, uint32_t *seed, unsigned char *counter)
{
	uint32_t op = next_random(seed) % 7;
	size_t n, i, want;

	if (op < 3) {
		unsigned char *w = buffer_write_span(b, &n);

		assert_true(n <= buffer_room(b));
		assert_true(w >= b->data && w + n <= b->data + b->capacity);
		want = n == 0 ? 0 : next_random(seed) % (n + 1);
		for (i = 0; i < want; i++)
			w[i] = (*counter)++;
		model_push(m, w, want);
		buffer_commit(b, want);
	} else if (op < 6) {
		const unsigned char *r = buffer_read_span(b, &n);

		assert_true(n <= buffer_length(b));
		assert_true(r >= b->data && r + n <= b->data + b->capacity);
		assert_true(buffer_length(b) == 0 || n > 0);
		want = n == 0 ? 0 : next_random(seed) % (n + 1);
		assert_memory_equal(r, m->bytes + m->head, want);
		m->head += want;
		m->len -= want;
		buffer_consume(b, want);
	} else {
		buffer_linearize(b);
	}
	assert_int_equal(buffer_length(b), m->len);
	assert_int_equal(buffer_length(b) + buffer_room(b), buffer_capacity(b));
	assert_int_equal(buffer_empty(b), m->len == 0);
	assert_int_equal(buffer_full(b), m->len == buffer_capacity(b));
}

static void test_random_against_model(void **state)
{
	static const size_t capacities[] = { 1, 2, 3, 7, 16, 100, 1024 };
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(capacities) / sizeof(capacities[0]); c++) {
		struct buffer b;
		struct model m = { .head = 0, .len = 0 };
		uint32_t seed = 2463534242u + (uint32_t)c;
		unsigned char counter = 0;
		int step;

		assert_true(buffer_init(&b, capacities[c]));
		for (step = 0; step < 20000; step++)
			random_step(&b, &m, &seed, &counter);
		buffer_fini(&b);
	}
}

static void test_random_iov_against_model(void **state)
{
	struct buffer b;
	uint32_t seed = 88172645u;
	unsigned char next_in = 0, next_out = 0;
	int step;

	(void)state;
	assert_true(buffer_init(&b, 37));
	for (step = 0; step < 20000; step++) {
		struct iovec iov[2];
		int count, k;
		size_t total = 0, want, done;

		if (next_random(&seed) % 2) {
			count = buffer_write_iov(&b, iov);
			for (k = 0; k < count; k++)
				total += iov[k].iov_len;
			assert_int_equal(total, buffer_room(&b));
			want = total == 0 ? 0 : next_random(&seed) % (total + 1);
			for (k = 0, done = 0; k < count && done < want; k++) {
				size_t n = want - done < iov[k].iov_len ? want - done : iov[k].iov_len;
				unsigned char *p = iov[k].iov_base;
				size_t i;

				for (i = 0; i < n; i++)
					p[i] = next_in++;
				buffer_commit(&b, n);
				done += n;
			}
		} else {
			count = buffer_read_iov(&b, iov);
			for (k = 0; k < count; k++)
				total += iov[k].iov_len;
			assert_int_equal(total, buffer_length(&b));
			want = total == 0 ? 0 : next_random(&seed) % (total + 1);
			for (k = 0, done = 0; k < count && done < want; k++) {
				size_t n = want - done < iov[k].iov_len ? want - done : iov[k].iov_len;
				const unsigned char *p = iov[k].iov_base;
				size_t i;

				for (i = 0; i < n; i++)
					assert_int_equal(p[i], next_out++);
				done += n;
			}
			buffer_consume(&b, want);
		}
	}
	buffer_fini(&b);
}

/* Storage handed back by buffer_release() and adopted again is the same ring,
 * empty, whatever it held. */
static void test_adopt_release(void **state)
{
	struct buffer b;
	unsigned char *storage;
	size_t room;

	(void)state;
	assert_true(buffer_init(&b, 64));
	assert_int_equal(buffer_append(&b, "abcdef", 6), 6);
	storage = buffer_release(&b);
	assert_non_null(storage);
	assert_null(b.data);
	assert_int_equal(buffer_capacity(&b), 0);
	assert_null(buffer_release(&b));
	buffer_adopt(&b, storage, 64);
	assert_true(buffer_empty(&b));
	assert_ptr_equal(buffer_write_span(&b, &room), storage);
	assert_int_equal(room, 64);
	buffer_fini(&b);
}

/* buffer_insert in a wrapped ring: the bytes before the offset stay, the
 * rest move, the result reads back in order; no room or a bad offset
 * changes nothing. */
static void test_insert_wrapped(void **state)
{
	struct buffer b;
	char out[32];

	(void)state;
	assert_true(buffer_init(&b, 32));
	/* Wrap the ring: the data starts 4 bytes before the end of the storage. */
	for (size_t i = 0; i < 28; i++)
		assert_int_equal(buffer_append(&b, "x", 1), 1);
	buffer_consume(&b, 24); /* (an emptied ring starts over at 0) */
	assert_int_equal(buffer_append(&b, "HEAD\r\n\r\nbody", 12), 12);
	buffer_consume(&b, 4);
	assert_true(b.start + b.length > b.capacity); /* wrapped */
	assert_true(buffer_insert(&b, 6, "X-A: 1\r\n", 8));
	assert_int_equal(buffer_length(&b), 20);
	assert_int_equal(buffer_take(&b, out, sizeof out), 20);
	assert_memory_equal(out, "HEAD\r\nX-A: 1\r\n\r\nbody", 20);
	assert_false(buffer_insert(&b, 1, "y", 1)); /* offset past the (empty) data */
	assert_true(buffer_insert(&b, 0, "yz", 2));
	assert_int_equal(buffer_take(&b, out, sizeof out), 2);
	assert_memory_equal(out, "yz", 2);
	while (buffer_room(&b) > 0)
		buffer_append(&b, "f", 1);
	assert_false(buffer_insert(&b, 0, "y", 1)); /* full */
	assert_int_equal(buffer_length(&b), 32);
	buffer_fini(&b);
}

/* buffer_remove in a wrapped ring, the mirror of buffer_insert: the bytes
 * before the cut stay at their addresses, the ones after it move back, the
 * result reads back in order; a cut past the data changes nothing. */
static void test_remove_wrapped(void **state)
{
	static const char head[] = "HEAD\r\nConnection: close\r\n\r\nbody";
	struct buffer b;
	char out[48];
	size_t len;
	const unsigned char *first;

	(void)state;
	assert_true(buffer_init(&b, 40));
	for (size_t i = 0; i < 36; i++)
		assert_int_equal(buffer_append(&b, "x", 1), 1);
	buffer_consume(&b, 30);
	assert_int_equal(buffer_append(&b, head, sizeof head - 1), sizeof head - 1);
	buffer_consume(&b, 6); /* the head starts 4 bytes before the end of the storage */
	assert_true(b.start + b.length > b.capacity); /* wrapped */
	first = buffer_read_span(&b, &len);
	assert_false(buffer_remove(&b, 10, 30)); /* past the data */
	assert_false(buffer_remove(&b, 40, 0));
	assert_int_equal(buffer_length(&b), sizeof head - 1);
	assert_true(buffer_remove(&b, 6, 19));
	assert_ptr_equal(buffer_read_span(&b, &len), first); /* the bytes before the cut did not move */
	assert_int_equal(buffer_length(&b), 12);
	assert_int_equal(buffer_take(&b, out, sizeof out), 12);
	assert_memory_equal(out, "HEAD\r\n\r\nbody", 12);
	assert_int_equal(buffer_append(&b, "abc", 3), 3);
	assert_true(buffer_remove(&b, 0, 3)); /* all of it: the ring starts over */
	assert_true(buffer_empty(&b));
	assert_int_equal(b.start, 0);
	buffer_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_capacity),
		cmocka_unit_test(test_empty_edges),
		cmocka_unit_test(test_full_edges),
		cmocka_unit_test(test_full_after_wrap),
		cmocka_unit_test(test_empty_returns_to_start),
		cmocka_unit_test(test_write_span_wraps),
		cmocka_unit_test(test_iov_both_directions),
		cmocka_unit_test(test_data_ending_at_storage_end),
		cmocka_unit_test(test_linearize_wrapped),
		cmocka_unit_test(test_capacity_one),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_random_iov_against_model),
		cmocka_unit_test(test_adopt_release),
		cmocka_unit_test(test_insert_wrapped),
		cmocka_unit_test(test_remove_wrapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
