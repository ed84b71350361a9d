/*
 * bench/idle.c: hold many idle TLS connections open, for the idle-memory
 * figure of bench/run.
 *
 *     bench/idle --connect HOST:PORT --count N [--path TARGET]
 *                [--header 'Name: value']... [--parallel N] [--timeout SECONDS]
 *
 * Opens N TLS connections, sends one GET on each and reads its answer, so
 * that the server under test has done a whole exchange on every connection
 * (a proxy has its repository connection open too), then leaves them idle.
 * When every connection is in that state it prints "ready N" and waits until
 * its standard input closes or SIGTERM comes; then it closes them all.
 *
 * Exit status: 0 when every connection got a 2xx answer, 1 when one did not
 * (the first reason is printed), 2 on usage errors. The certificate is not
 * verified: this measures the server, not the PKI. At most --parallel
 * connections are being set up at once, so the listen queue never overflows.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define ANSWER_MAX 16384 /* the small request's whole answer fits */
#define REQUEST_MAX 4096
#define HEADERS_MAX 16

struct options {
	struct sockaddr_in addr;
	const char *path;
	const char *headers[HEADERS_MAX];
	int nheaders;
	long count;
	int parallel;
	double timeout;
};

enum step { STEP_HANDSHAKE, STEP_SEND, STEP_READ };

/* A connection being set up; once answered only its SSL is kept (idle[]). */
struct setup {
	SSL *ssl;
	int fd;
	enum step step;
	size_t sent, got;
	double deadline;
	char answer[ANSWER_MAX];
};

static char request[REQUEST_MAX];
static size_t request_len;
static const char *first_failure;
static char failure_text[256];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what)
{
	if (!first_failure) {
		snprintf(failure_text, sizeof failure_text, "%s", what);
		first_failure = failure_text;
	}
}

static int usage(const char *why)
{
	fprintf(stderr,
		"idle: %s\nusage: idle --connect HOST:PORT --count N [--path TARGET] "
		"[--header LINE]... [--parallel N] [--timeout SECONDS]\n",
		why);
	return 2;
}

static int parse_address(const char *text, struct sockaddr_in *addr)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	long port;
	char *end;

	if (!colon || (size_t)(colon - text) >= sizeof host)
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -1;
	memset(addr, 0, sizeof *addr);
	addr->sin_family = AF_INET;
	addr->sin_port = htons((unsigned short)port);
	return inet_pton(AF_INET, host, &addr->sin_addr) == 1 ? 0 : -1;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int i;

	*o = (struct options){ .path = "/", .parallel = 64, .timeout = 30.0 };
	for (i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--connect") && parse_address(v, &o->addr) == 0)
			continue;
		if (!strcmp(k, "--count"))
			o->count = strtol(v, NULL, 10);
		else if (!strcmp(k, "--path"))
			o->path = v;
		else if (!strcmp(k, "--header") && o->nheaders < HEADERS_MAX)
			o->headers[o->nheaders++] = v;
		else if (!strcmp(k, "--parallel"))
			o->parallel = atoi(v);
		else if (!strcmp(k, "--timeout"))
			o->timeout = strtod(v, NULL);
		else
			return usage("unknown option, bad address or too many headers");
	}
	if (i != argc || o->addr.sin_family != AF_INET || o->count < 1 || o->parallel < 1 || o->timeout <= 0)
		return usage("--connect (IPv4 host:port) and --count (at least 1) are required");
	return 0;
}

static int build_request(const struct options *o)
{
	char host[INET_ADDRSTRLEN];
	int n, i;

	inet_ntop(AF_INET, &o->addr.sin_addr, host, sizeof host);
	n = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s\r\n", o->path, host);
	for (i = 0; i < o->nheaders && n > 0 && (size_t)n < sizeof request; i++)
		n += snprintf(request + n, sizeof request - (size_t)n, "%s\r\n", o->headers[i]);
	if (n > 0 && (size_t)n < sizeof request)
		n += snprintf(request + n, sizeof request - (size_t)n, "\r\n");
	if (n <= 0 || (size_t)n >= sizeof request)
		return usage("the request is longer than 4096 bytes");
	request_len = (size_t)n;
	return 0;
}

static int start_setup(struct setup *s, SSL_CTX *ctx, const struct options *o)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		fail(strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&o->addr, sizeof o->addr) < 0 && errno != EINPROGRESS) {
		fail(strerror(errno));
		close(fd);
		return -1;
	}
	s->ssl = SSL_new(ctx);
	if (!s->ssl || !SSL_set_fd(s->ssl, fd)) {
		fail("SSL_new failed");
		SSL_free(s->ssl);
		close(fd);
		return -1;
	}
	SSL_set_connect_state(s->ssl);
	s->fd = fd;
	s->step = STEP_HANDSHAKE;
	s->sent = s->got = 0;
	s->deadline = now() + o->timeout;
	return 0;
}

/* The answer is complete when its head and Content-Length bytes are in. */
static int answer_complete(struct setup *s)
{
	const char *end, *cl;
	long length = 0;

	s->answer[s->got] = '\0';
	end = strstr(s->answer, "\r\n\r\n");
	if (!end)
		return s->got < ANSWER_MAX - 1 ? 0 : -1;
	cl = strcasestr(s->answer, "\r\ncontent-length:");
	if (cl && cl < end)
		length = strtol(cl + 17, NULL, 10);
	if (length < 0 || (size_t)(end + 4 - s->answer) + (size_t)length >= ANSWER_MAX)
		return -1;
	if (s->got < (size_t)(end + 4 - s->answer) + (size_t)length)
		return 0;
	return strncmp(s->answer, "HTTP/1.1 2", 10) == 0 ? 1 : -1;
}

/* Say why a connection failed: the connect, the handshake or later.
 * A refused connect shows as a failed write of the handshake. */
static void fail_step(const struct setup *s, int ssl_error, int sys_errno)
{
	char text[160];

	if (ssl_error == SSL_ERROR_SYSCALL && sys_errno != 0) {
		snprintf(text, sizeof text, "%s: %s", s->step == STEP_HANDSHAKE ? "connect" : "socket",
			 strerror(sys_errno));
		fail(text);
		return;
	}
	fail(s->step == STEP_HANDSHAKE ? "TLS handshake failed" : "connection lost");
}

/* One step of a connection: 1 when answered, 0 to wait, -1 on failure.
 * *events says what to poll for next. */
static int advance(struct setup *s, short *events)
{
	size_t n;
	int ret, done;

	for (;;) {
		errno = 0;
		if (s->step == STEP_HANDSHAKE)
			ret = SSL_do_handshake(s->ssl);
		else if (s->step == STEP_SEND)
			ret = SSL_write_ex(s->ssl, request + s->sent, request_len - s->sent, &n);
		else
			ret = SSL_read_ex(s->ssl, s->answer + s->got, ANSWER_MAX - 1 - s->got, &n);
		if (ret <= 0) {
			int saved_errno = errno, err = SSL_get_error(s->ssl, ret);

			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				*events = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
				return 0;
			}
			fail_step(s, err, saved_errno);
			return -1;
		}
		if (s->step == STEP_HANDSHAKE) {
			s->step = STEP_SEND;
		} else if (s->step == STEP_SEND) {
			s->sent += n;
			if (s->sent == request_len)
				s->step = STEP_READ;
		} else {
			s->got += n;
			done = answer_complete(s);
			if (done != 0) {
				if (done < 0)
					fail("the answer was not a 2xx of at most 16 KiB");
				return done;
			}
		}
	}
}

static volatile sig_atomic_t released;

static void on_term(int sig)
{
	(void)sig;
	released = 1;
}

/* Until stdin closes or SIGTERM. */
static void wait_for_release(void)
{
	char buf[256];

	while (!released && read(STDIN_FILENO, buf, sizeof buf) > 0)
		;
}

static void drop(struct setup *s)
{
	SSL_free(s->ssl);
	close(s->fd);
	s->ssl = NULL;
}

/* Fill the free slots with new connections while some are left to start. */
static void refill(struct setup *slots, struct pollfd *pfd, const struct options *o, SSL_CTX *ctx,
		   long *started, long *failed)
{
	int i;

	for (i = 0; i < o->parallel && *started < o->count; i++) {
		if (slots[i].ssl)
			continue;
		(*started)++;
		if (start_setup(&slots[i], ctx, o) < 0) {
			(*failed)++;
			continue;
		}
		pfd[i].fd = slots[i].fd;
		pfd[i].events = POLLOUT; /* the connect completes */
	}
}

/* Set every connection up; the answered ones end in idle[]. */
static long open_all(SSL_CTX *ctx, const struct options *o, SSL **idle, long *failed)
{
	struct setup *slots = calloc((size_t)o->parallel, sizeof *slots);
	struct pollfd *pfd = calloc((size_t)o->parallel, sizeof *pfd);
	long started = 0, answered = 0;
	int i, r;

	if (!slots || !pfd) {
		fail("out of memory");
		*failed = o->count;
		free(slots);
		free(pfd);
		return 0;
	}
	while (answered + *failed < o->count) {
		refill(slots, pfd, o, ctx, &started, failed);
		for (i = 0; i < o->parallel; i++)
			if (!slots[i].ssl)
				pfd[i].fd = -1;
		poll(pfd, (nfds_t)o->parallel, 100);
		for (i = 0; i < o->parallel; i++) {
			if (!slots[i].ssl)
				continue;
			if (!pfd[i].revents && now() < slots[i].deadline)
				continue;
			r = pfd[i].revents ? advance(&slots[i], &pfd[i].events) : -1;
			if (r == 0)
				continue;
			if (r > 0) {
				idle[answered++] = slots[i].ssl;
				slots[i].ssl = NULL;
			} else {
				fail("timed out");
				drop(&slots[i]);
				(*failed)++;
			}
		}
	}
	free(slots);
	free(pfd);
	return answered;
}

static SSL_CTX *client_context(void)
{
	static const unsigned char alpn[] = "\x08http/1.1";
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1) != 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int main(int argc, char **argv)
{
	struct sigaction term = { .sa_handler = on_term }; /* no SA_RESTART: read() returns */
	struct options o;
	SSL_CTX *ctx;
	SSL **idle;
	long answered, failed = 0, i;

	if (parse_options(argc, argv, &o) != 0 || build_request(&o) != 0)
		return 2;
	sigemptyset(&term.sa_mask);
	sigaction(SIGTERM, &term, NULL);
	signal(SIGPIPE, SIG_IGN);
	ctx = client_context();
	idle = calloc((size_t)o.count, sizeof *idle);
	if (!ctx || !idle) {
		fprintf(stderr, "idle: cannot set up OpenSSL or memory for %ld connections\n", o.count);
		return 1;
	}
	answered = open_all(ctx, &o, idle, &failed);
	if (failed)
		fprintf(stderr, "idle: %ld of %ld connections failed; first: %s\n", failed, o.count,
			first_failure ? first_failure : "?");
	printf("ready %ld\n", answered);
	fflush(stdout);
	wait_for_release();
	for (i = 0; i < answered; i++) {
		close(SSL_get_fd(idle[i]));
		SSL_free(idle[i]);
	}
	free(idle);
	SSL_CTX_free(ctx);
	return failed ? 1 : 0;
}
