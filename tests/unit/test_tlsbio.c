/*
 * tests/unit/test_tlsbio.c: the gathering socket BIO (proxy/net/tlsbio.c) over a
 * socketpair: writes pass through, gathered writes leave together, bytes the
 * socket did not take go out first and in order, reads as a socket BIO.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/tlsbio.h"

/* A record-sized write, as OpenSSL makes them. */
#define RECORD 16406

struct pair {
	int ours, peer;
	struct tlsbio tb;
	BIO *bio;
};

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof *p);
	int fds[2];

	if (p == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
		return -1;
	p->ours = fds[0];
	p->peer = fds[1];
	if (fcntl(p->ours, F_SETFL, O_NONBLOCK) != 0 || fcntl(p->peer, F_SETFL, O_NONBLOCK) != 0)
		return -1;
	p->bio = tlsbio_new(&p->tb, p->ours);
	if (p->bio == NULL)
		return -1;
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	BIO_free(p->bio);
	assert_null(p->tb.held); /* freeing the BIO frees what it held */
	if (p->ours >= 0)
		close(p->ours);
	if (p->peer >= 0)
		close(p->peer);
	free(p);
	return 0;
}

static size_t queued(int fd)
{
	int n = -1;

	assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
	return (size_t)n;
}

/* Read whatever the peer has into out at *got. */
static void drain(int fd, unsigned char *out, size_t size, size_t *got)
{
	ssize_t n;

	while (*got < size && (n = recv(fd, out + *got, size - *got, 0)) > 0)
		*got += (size_t)n;
}

static void fill(unsigned char *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 31 + seed);
}

static void gather_records(struct pair *p, unsigned char *data, size_t records)
{
	assert_true(tlsbio_gather_begin(&p->tb));
	for (size_t r = 0; r < records; r++)
		assert_int_equal(BIO_write(p->bio, data + r * RECORD, RECORD), RECORD);
	tlsbio_gather_end(&p->tb);
}

static void test_writes_pass_through(void **state)
{
	struct pair *p = *state;
	unsigned char out[100], in[100];
	size_t got = 0;

	fill(out, sizeof out, 1);
	assert_int_equal(BIO_write(p->bio, out, sizeof out), sizeof out);
	assert_int_equal(tlsbio_held(&p->tb), 0);
	assert_null(p->tb.held);
	drain(p->peer, in, sizeof in, &got);
	assert_int_equal(got, sizeof out);
	assert_memory_equal(in, out, sizeof out);
}

static void test_gathered_records_leave_together(void **state)
{
	struct pair *p = *state;
	static unsigned char out[4 * RECORD], in[4 * RECORD];
	size_t got = 0;

	fill(out, sizeof out, 2);
	assert_true(tlsbio_gather_begin(&p->tb));
	for (size_t r = 0; r < 4; r++)
		assert_int_equal(BIO_write(p->bio, out + r * RECORD, RECORD), RECORD);
	assert_int_equal(BIO_flush(p->bio), 1); /* a flush while gathering sends nothing */
	assert_int_equal(queued(p->peer), 0);
	tlsbio_gather_end(&p->tb);
	assert_int_equal(tlsbio_held(&p->tb), sizeof out);
	assert_int_equal(queued(p->peer), 0);

	assert_int_equal(tlsbio_send(&p->tb), TLSBIO_SENT);
	assert_int_equal(queued(p->peer), sizeof out);
	assert_null(p->tb.held); /* nothing stays allocated once sent */
	drain(p->peer, in, sizeof in, &got);
	assert_memory_equal(in, out, sizeof out);
}

static void test_gathering_is_bounded(void **state)
{
	struct pair *p = *state;
	static unsigned char out[TLSBIO_GATHER_BYTES + 100];

	fill(out, sizeof out, 3);
	assert_true(tlsbio_gather_begin(&p->tb));
	assert_int_equal(tlsbio_room(&p->tb), TLSBIO_GATHER_BYTES);
	assert_false(tlsbio_gather_begin(&p->tb)); /* one gathering at a time */
	assert_int_equal(BIO_write(p->bio, out, TLSBIO_GATHER_BYTES - 10), TLSBIO_GATHER_BYTES - 10);
	assert_int_equal(BIO_write(p->bio, out, 100), 10); /* what fits */
	assert_int_equal(tlsbio_room(&p->tb), 0);
	assert_true(BIO_write(p->bio, out, 1) <= 0);
	assert_true(BIO_should_retry(p->bio) && BIO_should_write(p->bio));
	tlsbio_gather_end(&p->tb);
	assert_int_equal(tlsbio_room(&p->tb), 0);
	assert_int_equal(tlsbio_held(&p->tb), TLSBIO_GATHER_BYTES);
}

static void test_nothing_gathered_holds_nothing(void **state)
{
	struct pair *p = *state;

	assert_true(tlsbio_gather_begin(&p->tb));
	tlsbio_gather_end(&p->tb);
	assert_null(p->tb.held);
	assert_int_equal(tlsbio_send(&p->tb), TLSBIO_SENT);
}

/* A socket that takes part of the records: the rest goes before anything
 * OpenSSL writes later, and the order on the wire is the order written. */
static void test_unsent_bytes_go_first(void **state)
{
	struct pair *p = *state;
	static unsigned char out[4 * RECORD + 5], in[4 * RECORD + 5];
	int small = 4096;
	size_t got = 0;
	int rounds = 0;

	assert_int_equal(setsockopt(p->ours, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
	fill(out, sizeof out, 4);
	memcpy(out + 4 * RECORD, "alert", 5);
	gather_records(p, out, 4);
	assert_int_equal(tlsbio_send(&p->tb), TLSBIO_AGAIN);
	assert_true(tlsbio_held(&p->tb) > 0 && tlsbio_held(&p->tb) < 4 * RECORD);

	/* Not gathering, the socket still full: refused, to be retried. */
	assert_true(BIO_write(p->bio, "alert", 5) <= 0);
	assert_true(BIO_should_retry(p->bio) && BIO_should_write(p->bio));
	assert_true(BIO_flush(p->bio) <= 0);
	assert_true(BIO_should_retry(p->bio) && BIO_should_write(p->bio));

	while (BIO_write(p->bio, "alert", 5) != 5) {
		assert_true(BIO_should_retry(p->bio));
		assert_true(++rounds < 1000);
		drain(p->peer, in, sizeof in, &got);
	}
	assert_null(p->tb.held);
	drain(p->peer, in, sizeof in, &got);
	assert_int_equal(got, sizeof out);
	assert_memory_equal(in, out, sizeof out);
}

static void test_flush_sends_what_is_held(void **state)
{
	struct pair *p = *state;
	static unsigned char out[4 * RECORD], in[4 * RECORD];
	int small = 4096;
	size_t got = 0;
	int rounds = 0;

	assert_int_equal(setsockopt(p->ours, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
	fill(out, sizeof out, 5);
	gather_records(p, out, 4);
	assert_int_equal(tlsbio_send(&p->tb), TLSBIO_AGAIN);
	while (BIO_flush(p->bio) != 1) {
		assert_true(BIO_should_retry(p->bio) && BIO_should_write(p->bio));
		assert_true(++rounds < 1000);
		drain(p->peer, in, sizeof in, &got);
	}
	assert_int_equal(tlsbio_held(&p->tb), 0);
	drain(p->peer, in, sizeof in, &got);
	assert_int_equal(got, sizeof out);
	assert_memory_equal(in, out, sizeof out);
}

static void test_reads_as_a_socket_bio(void **state)
{
	struct pair *p = *state;
	char in[16];

	assert_int_equal(BIO_read(p->bio, in, sizeof in), -1);
	assert_true(BIO_should_retry(p->bio) && BIO_should_read(p->bio));
	assert_false(BIO_eof(p->bio));
	assert_int_equal(send(p->peer, "abc", 3, 0), 3);
	assert_int_equal(BIO_read(p->bio, in, sizeof in), 3);
	assert_memory_equal(in, "abc", 3);
	close(p->peer);
	p->peer = -1;
	assert_int_equal(BIO_read(p->bio, in, sizeof in), 0);
	assert_false(BIO_should_retry(p->bio));
	assert_true(BIO_eof(p->bio)); /* OpenSSL tells a peer's close from an error by it */
}

static void test_send_errors_are_not_retried(void **state)
{
	struct pair *p = *state;
	static unsigned char out[2 * RECORD];

	close(p->peer);
	p->peer = -1;
	assert_int_equal(BIO_write(p->bio, "x", 1), -1);
	assert_false(BIO_should_retry(p->bio));
	assert_int_equal(errno, EPIPE); /* and no SIGPIPE */
	gather_records(p, out, 2);
	assert_int_equal(tlsbio_send(&p->tb), TLSBIO_ERROR);
	assert_int_equal(errno, EPIPE);
}

static void test_descriptor_is_reported(void **state)
{
	struct pair *p = *state;
	int fd = -1;

	assert_int_equal(BIO_get_fd(p->bio, &fd), p->ours);
	assert_int_equal(fd, p->ours);
	assert_int_equal(BIO_get_close(p->bio), BIO_NOCLOSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_writes_pass_through, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gathered_records_leave_together, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gathering_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_gathered_holds_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsent_bytes_go_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_sends_what_is_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_as_a_socket_bio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_errors_are_not_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_is_reported, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
