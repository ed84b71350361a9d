/*
 * bench/parse.c: micro-benchmark of request heads framed (protocol/http.c)
 * and classified (protocol/tsp.c). Not a test: it prints figures.
 *
 *     bench/parse [SECONDS]      (default 2 per workload)
 *
 * Workloads: a mix of small control messages (hello, job/task open and close),
 * and block-write heads (PUT with Tsp-Digest and a 1 MiB Content-Length; the
 * body is fed through the framer, which only counts it, and is not included
 * in MB/s). A third line classifies pre-framed heads alone, to show how the
 * cost splits. Messages are pipelined 64 to a buffer, fed in one slice.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "tsp.h"

#define PIPELINE 64
#define BODY_BYTES (1024u * 1024u)

#define HOST_AUTH "Host: cloud.example.net\r\nAuthorization: Basic YWNtZTpzM2NyZXQ=\r\n"
#define JOB "/tsp/1/backup/jobs/nightly-0142"
#define TASK JOB "/tasks/vm-web01"

static const char *const control_messages[] = {
	"GET /tsp/1/session HTTP/1.1\r\n" HOST_AUTH "\r\n",
	"POST " JOB " HTTP/1.1\r\n" HOST_AUTH "Tsp-Origin: vbr\r\nTsp-Workload: vsphere\r\n\r\n",
	"POST " TASK " HTTP/1.1\r\n" HOST_AUTH "\r\n",
	"POST " TASK "/close HTTP/1.1\r\n" HOST_AUTH "Tsp-Result: success\r\n\r\n",
	"POST " JOB "/close HTTP/1.1\r\n" HOST_AUTH "Tsp-Result: success\r\n\r\n",
};

static const char block_write[] =
	"PUT " TASK "/blocks/1234 HTTP/1.1\r\n" HOST_AUTH "Content-Length: 1048576\r\n"
	"Tsp-Digest: sha256=1fdd98864fb688159e02637f526ed77c04e7895815a9f23756db942e567830f6\r\n"
	"User-Agent: backup-agent/12.1\r\n\r\n";

struct stream {
	char *buf;
	size_t len;
	size_t head_bytes; /* bytes of heads in buf (bodies excluded) */
	unsigned messages;
};

struct result {
	unsigned long long messages;
	unsigned long long head_bytes;
	double seconds;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench/parse: %s\n", what);
	exit(1);
}

static void append(struct stream *s, const char *data, size_t len, size_t cap)
{
	if (s->len + len > cap)
		die("stream buffer too small");
	memcpy(s->buf + s->len, data, len);
	s->len += len;
}

/* PIPELINE messages: the control mix, or block-write heads with their bodies. */
static void build_stream(struct stream *s, bool blocks)
{
	size_t cap = blocks ? PIPELINE * (sizeof block_write + BODY_BYTES) : PIPELINE * 512;

	memset(s, 0, sizeof *s);
	s->buf = calloc(1, cap);
	if (s->buf == NULL)
		die("out of memory");
	for (unsigned i = 0; i < PIPELINE; i++) {
		const char *head =
			blocks ? block_write
			       : control_messages[i % (sizeof control_messages / sizeof control_messages[0])];
		size_t head_len = strlen(head);

		append(s, head, head_len, cap);
		s->head_bytes += head_len;
		if (blocks)
			s->len += BODY_BYTES; /* zero bytes from calloc */
		s->messages++;
	}
}

/* Frames the whole stream and classifies every head; all must classify. */
static unsigned run_stream(struct http_framer *f, const struct stream *s)
{
	const char *data = s->buf;
	size_t len = s->len;
	unsigned heads = 0;
	struct http_event ev;
	struct tsp_request req;
	struct tsp_error err;

	for (;;) {
		size_t n = http_framer_feed(f, data, len, &ev);

		data += n;
		len -= n;
		if (ev.type == HTTP_EV_NONE)
			break;
		if (ev.type == HTTP_EV_ERROR)
			die(ev.reason);
		if (ev.type == HTTP_EV_HEAD) {
			if (!tsp_classify(http_framer_head(f), &req, &err))
				die(err.reason);
			heads++;
		}
	}
	return heads;
}

static struct result bench_framed(const struct stream *s, double seconds)
{
	struct http_framer *f = http_framer_new(HTTP_KIND_REQUEST, NULL);
	struct result r = { 0, 0, 0 };
	double start = now();

	if (f == NULL)
		die("http_framer_new failed");
	do {
		for (int i = 0; i < 16; i++) {
			if (run_stream(f, s) != s->messages)
				die("a message was lost");
			r.messages += s->messages;
			r.head_bytes += s->head_bytes;
		}
		r.seconds = now() - start;
	} while (r.seconds < seconds);
	http_framer_free(f);
	return r;
}

/* Classification alone, on heads framed once up front. */
static struct result bench_classify_only(const struct stream *s, double seconds)
{
	struct http_framer *f = http_framer_new(HTTP_KIND_REQUEST, NULL);
	struct result r = { 0, 0, 0 };
	struct http_event ev;
	struct tsp_request req;
	struct tsp_error err;
	double start = now();

	if (f == NULL)
		die("http_framer_new failed");
	/* The framer keeps one head: frame the first message and reuse it. */
	if (http_framer_feed(f, s->buf, s->len, &ev) == 0 || ev.type != HTTP_EV_HEAD)
		die("the first message did not frame");
	do {
		for (int i = 0; i < 4096; i++) {
			if (!tsp_classify(http_framer_head(f), &req, &err))
				die(err.reason);
		}
		r.messages += 4096;
		r.head_bytes += 4096ull * http_framer_head(f)->head_bytes;
		r.seconds = now() - start;
	} while (r.seconds < seconds);
	http_framer_free(f);
	return r;
}

static void report(const char *name, struct result r, const struct stream *s)
{
	printf("%-37s %10.0f msg/s %8.1f MB/s of heads  (avg head %zu B, %.1f s)\n", name,
	       (double)r.messages / r.seconds, (double)r.head_bytes / r.seconds / 1e6,
	       s->head_bytes / s->messages, r.seconds);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	struct stream control, blocks;

	if (seconds <= 0)
		die("usage: bench/parse [SECONDS]");
	build_stream(&control, false);
	build_stream(&blocks, true);
	report("control messages, framed+classified", bench_framed(&control, seconds), &control);
	report("block-write heads, framed+classified", bench_framed(&blocks, seconds), &blocks);
	report("block-write head, classified only", bench_classify_only(&blocks, seconds), &blocks);
	free(control.buf);
	free(blocks.buf);
	return 0;
}
