/*
 * tests/unit/test_ctl_client.c: sluicectl's side of the admin endpoint:
 * the HTTP client over a UNIX socket, the reload procedure
 * (POST /reload, SIGHUP with or without /status to confirm it), the status
 * summary, and the status and wait-drained commands.
 *
 * The daemon is a forked fake: it listens on a socket in a mkdtemp
 * directory, answers each connection with the next scripted response, logs
 * every request head and every SIGHUP to a file, and calls itself "sluice"
 * (prctl) so that sluicectl's pidfile check accepts it. The log is read after
 * the fake is stopped (SIGHUP is delivered before SIGTERM when both are
 * pending), so no test waits on time.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/ctl/ctl_admin_client.h"
#include "tools/ctl/ctl_daemon.h"
#include "protocol/json.h"
#include "tools/ctl/ctl_reload.h"
#include "tools/ctl/ctl_status.h"

#define HANG "" /* a scripted answer: accept, read, and never answer */

struct fixture {
	char dir[PATH_MAX];
	char log[PATH_MAX + 16];
	struct ctl_daemon daemon; /* socket and pidfile in dir */
	pid_t fake;               /* 0 = none running */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	const char *tmp = getenv("TMPDIR");

	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "%s/sluicectl-XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->log, sizeof fx->log, "%s/log", fx->dir);
	assert_true(snprintf(fx->daemon.socket_path, sizeof fx->daemon.socket_path, "%s/admin.sock",
			     fx->dir) < (int)sizeof fx->daemon.socket_path);
	assert_true(snprintf(fx->daemon.pidfile, sizeof fx->daemon.pidfile, "%s/sluice.pid", fx->dir) <
		    (int)sizeof fx->daemon.pidfile);
	*state = fx;
	return 0;
}

static void stop_fake(struct fixture *fx)
{
	int status;

	if (fx->fake == 0)
		return;
	kill(fx->fake, SIGUSR1);
	assert_int_equal(waitpid(fx->fake, &status, 0), fx->fake);
	fx->fake = 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX + 16];

	stop_fake(fx);
	unlink(fx->daemon.socket_path);
	unlink(fx->daemon.pidfile);
	unlink(fx->log);
	snprintf(path, sizeof path, "%s/plain", fx->dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/sluice.ini", fx->dir);
	unlink(path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* ---- the fake daemon ---- */

static int fake_log_fd = -1;

static void fake_on_hup(int signo)
{
	(void)signo;
	if (write(fake_log_fd, "HUP\n", 4) < 0)
		_exit(3);
}

static void fake_write(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the client gave up: fine for the fake */
		data += n;
		len -= (size_t)n;
	}
}

/* Read a request head (up to the blank line) and log it. */
static void fake_read_head(int fd)
{
	char head[8192];
	size_t used = 0;

	while (used < sizeof head - 1) {
		ssize_t n = read(fd, head + used, sizeof head - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		head[used] = '\0';
		if (strstr(head, "\r\n\r\n") != NULL)
			break;
	}
	fake_write(fake_log_fd, head, used);
}

static volatile sig_atomic_t fake_stop;

static void fake_on_stop(int signo)
{
	(void)signo;
	fake_stop = 1;
}

/* Wait for the listener (or, with -1, only for a signal) with SIGUSR1
 * unblocked just for the wait; SIGUSR1 ends the fake, after any SIGHUP sent
 * before it has been logged. */
static void fake_wait(int listener, const sigset_t *wait_mask)
{
	struct pollfd pfd = { .fd = listener, .events = POLLIN };

	do {
		if (fake_stop)
			_exit(0);
	} while (ppoll(&pfd, listener >= 0 ? 1 : 0, NULL, wait_mask) <= 0 || pfd.revents == 0);
}

/* ready: written once the fake logs SIGHUP and is called sluice. */
static void fake_serve(int listener, int ready, const char *const *answers, size_t count)
{
	struct sigaction hup = { .sa_handler = fake_on_hup, .sa_flags = SA_RESTART };
	struct sigaction stop = { .sa_handler = fake_on_stop };
	sigset_t blocked, wait_mask;

	sigemptyset(&blocked);
	sigaddset(&blocked, SIGUSR1);
	sigprocmask(SIG_BLOCK, &blocked, &wait_mask);
	sigdelset(&wait_mask, SIGUSR1);
	sigemptyset(&hup.sa_mask);
	sigemptyset(&stop.sa_mask);
	sigaction(SIGHUP, &hup, NULL);
	sigaction(SIGUSR1, &stop, NULL);
	prctl(PR_SET_NAME, "sluice", 0, 0, 0);
	if (write(ready, "r", 1) != 1)
		_exit(2);
	close(ready);
	for (size_t i = 0; i < count; i++) {
		int fd;
		fake_wait(listener, &wait_mask);
		fd = accept(listener, NULL, NULL);
		if (fd < 0) {
			i--;
			continue;
		}
		fake_read_head(fd);
		if (answers[i] != NULL && answers[i][0] == '\0')
			fake_wait(-1, &wait_mask); /* HANG: until stopped */
		if (answers[i] != NULL)
			fake_write(fd, answers[i], strlen(answers[i]));
		close(fd);
	}
	fake_wait(-1, &wait_mask);
	_exit(0);
}

/* Start the fake with count scripted answers (NULL = close without an
 * answer) and, if pidfile, its pid in the pidfile. listen: bind the socket. */
static void start_fake(struct fixture *fx, bool listen_on_socket, bool pidfile, const char *const *answers,
		       size_t count)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int listener = -1, ready[2];
	FILE *file;
	char byte;

	fake_log_fd = open(fx->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	assert_true(fake_log_fd >= 0);
	if (listen_on_socket) {
		listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(listener >= 0);
		snprintf(addr.sun_path, sizeof addr.sun_path, "%s", fx->daemon.socket_path);
		assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof addr), 0);
		assert_int_equal(listen(listener, 8), 0);
	}
	assert_int_equal(pipe(ready), 0);
	fx->fake = fork();
	assert_true(fx->fake >= 0);
	if (fx->fake == 0) {
		close(ready[0]);
		fake_serve(listener, ready[1], answers, count);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &byte, 1), 1); /* the fake is ready */
	close(ready[0]);
	if (listener >= 0)
		close(listener);
	close(fake_log_fd);
	if (pidfile) {
		file = fopen(fx->daemon.pidfile, "w");
		assert_non_null(file);
		fprintf(file, "%ld\n", (long)fx->fake);
		assert_int_equal(fclose(file), 0);
	}
}

/* What the fake logged: request heads and "HUP" lines (after stopping it). */
static char *fake_log(struct fixture *fx)
{
	static char text[65536];
	FILE *file;
	size_t n;

	stop_fake(fx);
	file = fopen(fx->log, "r");
	if (file == NULL)
		return strcpy(text, "");
	n = fread(text, 1, sizeof text - 1, file);
	text[n] = '\0';
	fclose(file);
	return text;
}

static size_t count_of(const char *text, const char *part)
{
	size_t n = 0;

	for (const char *p = strstr(text, part); p != NULL; p = strstr(p + 1, part))
		n++;
	return n;
}

#define JSON_200(body) \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " #body "\r\n\r\n"

static char *answer(const char *status_line, const char *body)
{
	static char buffers[8][4096];
	static unsigned next;
	char *out = buffers[next++ % 8];

	snprintf(out, sizeof buffers[0],
		 "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		 status_line, strlen(body), body);
	return out;
}

static struct json_span span(const char *text)
{
	return (struct json_span){ text, strlen(text) };
}

/* ---- the HTTP client ---- */

static void test_request_and_content_length_answer(void **state)
{
	struct fixture *fx = *state;
	const char *answers[] = { JSON_200(11) "{\"a\": true}" };
	struct admin_reply reply;
	struct ctl_error err;
	char *log;

	start_fake(fx, true, false, answers, 1);
	assert_int_equal(admin_request(fx->daemon.socket_path, "GET", "/status", 5000, &reply, &err),
			 ADMIN_OK);
	assert_int_equal(reply.status, 200);
	assert_int_equal(reply.body_len, 11);
	assert_string_equal(reply.body, "{\"a\": true}");
	admin_reply_free(&reply);
	log = fake_log(fx);
	assert_non_null(strstr(log, "GET /status HTTP/1.1\r\n"));
	assert_non_null(strstr(log, "\r\nConnection: close\r\n"));
	assert_non_null(strstr(log, "\r\nHost: "));
	assert_null(strstr(log, "Content-Length"));
}

static void test_post_sends_an_empty_body(void **state)
{
	struct fixture *fx = *state;
	const char *answers[] = { "HTTP/1.1 204 No Content\r\n\r\n" };
	struct admin_reply reply;
	struct ctl_error err;
	char *log;

	start_fake(fx, true, false, answers, 1);
	assert_int_equal(admin_request(fx->daemon.socket_path, "POST", "/reload", 5000, &reply, &err),
			 ADMIN_OK);
	assert_int_equal(reply.status, 204);
	assert_int_equal(reply.body_len, 0);
	assert_string_equal(reply.body, "");
	admin_reply_free(&reply);
	log = fake_log(fx);
	assert_non_null(strstr(log, "POST /reload HTTP/1.1\r\n"));
	assert_non_null(strstr(log, "\r\nContent-Length: 0\r\n"));
}

static void test_chunked_close_delimited_and_interim_answers(void **state)
{
	struct fixture *fx = *state;
	const char *answers[] = {
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n",
		"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\nnot yet",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
	};
	struct admin_reply reply;
	struct ctl_error err;

	start_fake(fx, true, false, answers, 3);
	assert_int_equal(admin_request(fx->daemon.socket_path, "GET", "/status", 5000, &reply, &err),
			 ADMIN_OK);
	assert_string_equal(reply.body, "{\"a\":1}");
	admin_reply_free(&reply);
	assert_int_equal(admin_request(fx->daemon.socket_path, "GET", "/status", 5000, &reply, &err),
			 ADMIN_OK);
	assert_int_equal(reply.status, 503);
	assert_string_equal(reply.body, "not yet");
	admin_reply_free(&reply);
	assert_int_equal(admin_request(fx->daemon.socket_path, "GET", "/status", 5000, &reply, &err),
			 ADMIN_OK);
	assert_int_equal(reply.status, 200);
	assert_string_equal(reply.body, "{}");
	admin_reply_free(&reply);
}

static void test_broken_answers(void **state)
{
	struct fixture *fx = *state;
	const char *answers[] = {
		NULL,
		"SSH-2.0-OpenSSH\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
	};
	struct admin_reply reply;
	struct ctl_error err;

	start_fake(fx, true, false, answers, 3);
	assert_int_equal(admin_request(fx->daemon.socket_path, "GET", "/status", 5000, &reply, &err),
			 ADMIN_FAILED);
	assert_non_null(strstr(err.message, "without answering"));
	assert_null(reply.body);
	assert_int_equal(admin_request(fx->daemon.socket_path, "GET", "/status", 5000, &reply, &err),
			 ADMIN_FAILED);
	assert_non_null(strstr(err.message, "not an HTTP answer"));
	assert_int_equal(admin_request(fx->daemon.socket_path, "GET", "/status", 5000, &reply, &err),
			 ADMIN_FAILED);
	assert_non_null(strstr(err.message, fx->daemon.socket_path));
}

static void test_no_daemon_and_timeouts(void **state)
{
	struct fixture *fx = *state;
	const char *answers[] = { HANG };
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char plain[PATH_MAX + 16], long_path[200];
	struct admin_reply reply;
	struct ctl_error err;
	uint64_t start;
	int fd;

	/* No socket file at all. */
	assert_int_equal(admin_request(fx->daemon.socket_path, "GET", "/status", 5000, &reply, &err),
			 ADMIN_NO_DAEMON);
	assert_non_null(strstr(err.message, "No such file"));
	/* A socket file nobody listens on (a daemon that died). */
	snprintf(plain, sizeof plain, "%s/plain", fx->dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(snprintf(addr.sun_path, sizeof addr.sun_path, "%s", plain) < (int)sizeof addr.sun_path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
	close(fd);
	assert_int_equal(admin_request(plain, "GET", "/status", 5000, &reply, &err), ADMIN_NO_DAEMON);
	/* A path sun_path cannot hold. */
	memset(long_path, 'x', sizeof long_path - 1);
	long_path[0] = '/';
	long_path[sizeof long_path - 1] = '\0';
	assert_int_equal(admin_request(long_path, "GET", "/status", 5000, &reply, &err), ADMIN_FAILED);
	/* A daemon that never answers: bounded by the timeout. */
	start_fake(fx, true, false, answers, 1);
	start = ctl_now_ms();
	assert_int_equal(admin_request(fx->daemon.socket_path, "GET", "/status", 200, &reply, &err),
			 ADMIN_FAILED);
	assert_true(ctl_now_ms() - start >= 200);
	assert_non_null(strstr(err.message, "no answer"));
}

static void test_answer_size_is_bounded(void **state)
{
	struct fixture *fx = *state;
	size_t size = ADMIN_BODY_MAX + 1;
	char *big = malloc(size + 128);
	const char *answers[1];
	struct admin_reply reply;
	struct ctl_error err;
	int head;

	assert_non_null(big);
	head = snprintf(big, 128, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", size);
	memset(big + head, 'x', size);
	big[head + size] = '\0';
	answers[0] = big;
	start_fake(fx, true, false, answers, 1);
	assert_int_equal(admin_request(fx->daemon.socket_path, "GET", "/status", 10000, &reply, &err),
			 ADMIN_FAILED);
	assert_non_null(strstr(err.message, "larger than"));
	free(big);
}

/* ---- reload ---- */

static void test_reload_through_the_endpoint(void **state)
{
	struct fixture *fx = *state;
	const char *answers[] = {
		answer("200 OK", "{\"result\":\"ok\",\"generation\":7}"),
		answer("422 Unprocessable Content",
		       "{\"result\":\"failed\",\"error\":\"sluice.ini:3: [tls] x: bad\"}"),
		answer("500 Internal Server Error", "oops"),
	};
	struct ctl_reload_result result;

	start_fake(fx, true, true, answers, 3);
	reload_daemon(&fx->daemon, 5000, &result);
	assert_int_equal(result.outcome, RELOAD_APPLIED);
	assert_int_equal(result.generation, 7);
	reload_daemon(&fx->daemon, 5000, &result);
	assert_int_equal(result.outcome, RELOAD_REFUSED);
	assert_string_equal(result.detail, "sluice.ini:3: [tls] x: bad");
	reload_daemon(&fx->daemon, 5000, &result);
	assert_int_equal(result.outcome, RELOAD_UNKNOWN);
	assert_non_null(strstr(result.detail, "answered 500"));
	/* The endpoint answered: no signal was sent. */
	assert_int_equal(count_of(fake_log(fx), "HUP"), 0);
}

static void test_reload_by_signal_confirmed_by_status(void **state)
{
	struct fixture *fx = *state;
	const char *answers[] = {
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
		answer("200 OK", "{\"reloads\":{\"ok\":2,\"failed\":0,\"last\":{\"result\":\"ok\"}}}"),
		answer("200 OK", "{\"reloads\":{\"ok\":2,\"failed\":0,\"last\":{\"result\":\"ok\"}}}"),
		answer("200 OK", "{\"config\":{\"generation\":4},\"reloads\":{\"ok\":2,\"failed\":1,"
				 "\"last\":{\"result\":\"failed\",\"error\":\"bad mode\"}}}"),
	};
	struct ctl_reload_result result;
	char *log;

	start_fake(fx, true, true, answers, 4);
	reload_daemon(&fx->daemon, 5000, &result);
	assert_int_equal(result.outcome, RELOAD_REFUSED);
	assert_string_equal(result.detail, "bad mode");
	assert_int_equal(result.pid, fx->fake);
	log = fake_log(fx);
	assert_int_equal(count_of(log, "HUP"), 1);
	assert_int_equal(count_of(log, "GET /status"), 3);
}

static void test_reload_by_signal_only(void **state)
{
	struct fixture *fx = *state;
	struct ctl_reload_result result;
	struct admin_reply reply;
	struct ctl_error err;
	struct json_span doc;

	/* No admin socket, a live "sluice" in the pidfile: status says it runs
	 * without the endpoint; reload can only confirm the signal. */
	start_fake(fx, false, true, NULL, 0);
	assert_int_equal(status_fetch(&fx->daemon, 5000, &reply, &doc, &err), ADMIN_NO_DAEMON);
	assert_non_null(strstr(err.message, "sluice runs (pid"));
	reload_daemon(&fx->daemon, 5000, &result);
	assert_int_equal(result.outcome, RELOAD_SIGNALLED);
	assert_int_equal(result.pid, fx->fake);
	assert_int_equal(count_of(fake_log(fx), "HUP"), 1);
}

static void test_reload_without_a_daemon(void **state)
{
	struct fixture *fx = *state;
	struct ctl_reload_result result;
	FILE *file;

	reload_daemon(&fx->daemon, 5000, &result);
	assert_int_equal(result.outcome, RELOAD_NO_DAEMON);
	assert_non_null(strstr(result.detail, fx->daemon.socket_path));
	assert_non_null(strstr(result.detail, fx->daemon.pidfile));
	/* A pidfile naming a process that is not sluice (this test): never signalled. */
	file = fopen(fx->daemon.pidfile, "w");
	assert_non_null(file);
	fprintf(file, "%ld\n", (long)getpid());
	fclose(file);
	reload_daemon(&fx->daemon, 5000, &result);
	assert_int_equal(result.outcome, RELOAD_UNKNOWN);
	assert_non_null(strstr(result.detail, "not sluice"));
	/* A pidfile with garbage. */
	file = fopen(fx->daemon.pidfile, "w");
	assert_non_null(file);
	fputs("12ab\n", file);
	fclose(file);
	reload_daemon(&fx->daemon, 5000, &result);
	assert_int_equal(result.outcome, RELOAD_UNKNOWN);
	assert_non_null(strstr(result.detail, "does not hold a process id"));
}

/* ---- the status summary ---- */

static const char status_doc[] =
	"{\"version\":\"0.1.0\",\"pid\":4242,\"uptime_seconds\":93784,"
	"\"config\":{\"file\":\"/etc/sluice/sluice.ini\",\"generation\":3,\"loaded_at\":\"2026-11-24T10:00:00Z\"},"
	"\"reloads\":{\"ok\":2,\"failed\":1,\"last\":{\"result\":\"failed\",\"at\":\"2026-11-24T10:05:00Z\","
	"\"generation\":3,\"error\":\"sluice.ini:57: [maintenance] mode: bad\"}},"
	"\"maintenance\":{\"state\":\"draining\",\"mode\":\"drain\",\"since\":\"2026-11-24T10:00:00Z\","
	"\"categories\":[\"backup\",\"backup-copy\"],\"message\":\"Back at 10:00 UTC.\\u001b[2J\","
	"\"retry_after_seconds\":0,\"drain_timeout_seconds\":1800,\"drain_time_left_seconds\":1500,"
	"\"draining\":{\"tasks\":3,\"agent_jobs\":1,\"tenants\":["
	"{\"tenant\":\"acme\",\"tasks\":2,\"agent_jobs\":0,\"jobs\":[{\"category\":\"backup\",\"job\":\"j1\","
	"\"agent\":false,\"tasks\":[\"vm-1\",\"vm-2\"]}]},"
	"{\"tenant\":\"beta\",\"tasks\":1,\"agent_jobs\":1,\"jobs\":[]}]}},"
	"\"connections\":{\"current\":12,\"max\":10000},"
	"\"jobs_open\":{\"backup\":4,\"backup-copy\":0,\"replication\":1,\"restore\":0}}";

static char *print_to_string(void (*print)(FILE *, struct json_span), const char *doc)
{
	static char text[8192];
	FILE *out = fmemopen(text, sizeof text, "w");

	assert_non_null(out);
	print(out, span(doc));
	assert_int_equal(fclose(out), 0);
	return text;
}

static void print_summary(FILE *out, struct json_span doc)
{
	status_print(out, doc);
}

static void test_status_summary(void **state)
{
	(void)state;
	assert_true(json_valid(span(status_doc)));
	assert_string_equal(
		print_to_string(print_summary, status_doc),
		"sluice 0.1.0, pid 4242, up 1d 2h\n"
		"configuration: /etc/sluice/sluice.ini, generation 3, loaded 2026-11-24T10:00:00Z\n"
		"last reload: failed at 2026-11-24T10:05:00Z: sluice.ini:57: [maintenance] mode: bad\n"
		"maintenance: on, draining, mode drain, since 2026-11-24T10:00:00Z; categories backup, "
		"backup-copy\n"
		"  message: Back at 10:00 UTC.?[2J\n"
		"  draining: 3 tasks, 1 agent job; the rest is blocked in 25m\n"
		"    acme: 2 tasks, 0 agent jobs\n"
		"    beta: 1 task, 1 agent job\n"
		"connections: 12 (max 10000)\n"
		"jobs open: backup 4, backup-copy 0, replication 1, restore 0\n");
}

static void test_status_summary_of_a_sparse_answer(void **state)
{
	(void)state;
	assert_string_equal(print_to_string(print_summary, "{\"maintenance\":{\"state\":\"active\"}}"),
			    "sluice\nmaintenance: off\n");
	assert_string_equal(print_to_string(print_summary, "{\"maintenance\":{\"state\":\"maintenance\","
							   "\"mode\":\"block\"},\"uptime_seconds\":59}"),
			    "sluice, up 59s\nmaintenance: on, mode block\n");
	assert_string_equal(print_to_string(print_summary, "{\"maintenance\":{\"state\":\"maintenance\","
							   "\"mode\":\"drain\"}}"),
			    "sluice\nmaintenance: on, drained, mode drain\n");
	assert_string_equal(print_to_string(print_summary, "{}"), "sluice\nmaintenance: (not reported)\n");
}

static void test_status_fetch_checks_the_answer(void **state)
{
	struct fixture *fx = *state;
	const char *answers[] = {
		answer("200 OK", status_doc),
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
		answer("200 OK", "[1, 2]"),
		answer("200 OK", "{\"cut\": "),
	};
	struct status_drain drain;
	struct admin_reply reply;
	struct ctl_error err;
	struct json_span doc;

	start_fake(fx, true, false, answers, 4);
	assert_int_equal(status_fetch(&fx->daemon, 5000, &reply, &doc, &err), ADMIN_OK);
	assert_true(status_drain(doc, &drain));
	assert_string_equal(drain.state, "draining");
	assert_int_equal(drain.tasks, 3);
	assert_int_equal(drain.agent_jobs, 1);
	admin_reply_free(&reply);
	assert_int_equal(status_fetch(&fx->daemon, 5000, &reply, &doc, &err), ADMIN_FAILED);
	assert_non_null(strstr(err.message, "no status endpoint"));
	assert_int_equal(status_fetch(&fx->daemon, 5000, &reply, &doc, &err), ADMIN_FAILED);
	assert_non_null(strstr(err.message, "not a JSON object"));
	assert_int_equal(status_fetch(&fx->daemon, 5000, &reply, &doc, &err), ADMIN_FAILED);
	assert_non_null(strstr(err.message, "not a JSON object"));
	stop_fake(fx);
	unlink(fx->daemon.socket_path);
	assert_int_equal(status_fetch(&fx->daemon, 5000, &reply, &doc, &err), ADMIN_NO_DAEMON);
	assert_non_null(strstr(err.message, "not running"));
}

/* ---- the commands, against a file that names the fake ---- */

/* A file that does not load (no upstream) but names the socket and the
 * pidfile: the commands take them as written, with a warning. */
static void write_config(struct fixture *fx, struct ctl_args *args, char *path, size_t size)
{
	FILE *file;

	assert_true(snprintf(path, size, "%s/sluice.ini", fx->dir) < (int)size);
	file = fopen(path, "w");
	assert_non_null(file);
	fprintf(file, "[proxy]\npidfile = sluice.pid\n[admin]\nsocket = %s\n", fx->daemon.socket_path);
	assert_int_equal(fclose(file), 0);
	memset(args, 0, sizeof *args);
	args->config_path = path;
}

/* Run a command with stdout and stderr into out and err. */
static int run_captured(struct fixture *fx, int (*command)(const struct ctl_args *),
			const struct ctl_args *args, char *out, char *err, size_t size)
{
	char path[PATH_MAX + 16];
	int saved[2], fds[2], status;
	char *texts[2] = { out, err };

	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/std%d", fx->dir, i + 1);
		fds[i] = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		assert_true(fds[i] >= 0);
		unlink(path);
		saved[i] = dup(i + 1);
		dup2(fds[i], i + 1);
	}
	status = command(args);
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 2; i++) {
		ssize_t n;
		dup2(saved[i], i + 1);
		close(saved[i]);
		n = pread(fds[i], texts[i], size - 1, 0);
		texts[i][n > 0 ? n : 0] = '\0';
		close(fds[i]);
	}
	return status;
}

#define DRAINING(tasks, agents)                                                    \
	"{\"maintenance\":{\"state\":\"draining\",\"draining\":{\"tasks\":" #tasks \
	",\"agent_jobs\":" #agents "}}}"

static void test_wait_drained_returns_when_the_drain_completes(void **state)
{
	struct fixture *fx = *state;
	const char *answers[] = {
		answer("200 OK", DRAINING(2, 1)),
		answer("200 OK", DRAINING(1, 0)),
		answer("200 OK", "{\"maintenance\":{\"state\":\"maintenance\"}}"),
	};
	char path[PATH_MAX + 16], out[4096], err[4096];
	struct ctl_args args;

	write_config(fx, &args, path, sizeof path);
	start_fake(fx, true, false, answers, 3);
	assert_int_equal(run_captured(fx, ctl_wait_drained, &args, out, err, sizeof out), CTL_EXIT_OK);
	assert_string_equal(out,
			    "draining: 2 tasks, 1 agent job\n"
			    "drained: nothing that was running when maintenance began is still running\n");
	assert_non_null(strstr(err, "warning:"));
	assert_int_equal(count_of(fake_log(fx), "GET /status"), 3);
}

static void test_wait_drained_timeout_and_maintenance_off(void **state)
{
	struct fixture *fx = *state;
	const char *answers[] = {
		answer("200 OK", DRAINING(3, 1)),
		answer("200 OK", "{\"maintenance\":{\"state\":\"active\"}}"),
	};
	char path[PATH_MAX + 16], out[4096], err[4096];
	struct ctl_args args;

	write_config(fx, &args, path, sizeof path);
	args.timeout_set = true; /* --timeout 0s: look once */
	start_fake(fx, true, false, answers, 2);
	assert_int_equal(run_captured(fx, ctl_wait_drained, &args, out, err, sizeof out), CTL_EXIT_FAILED);
	assert_string_equal(out, "still draining after 0s: 3 tasks, 1 agent job\n");
	assert_int_equal(run_captured(fx, ctl_wait_drained, &args, out, err, sizeof out), CTL_EXIT_OK);
	assert_non_null(strstr(out, "maintenance is off"));
	stop_fake(fx);
	unlink(fx->daemon.socket_path);
	assert_int_equal(run_captured(fx, ctl_wait_drained, &args, out, err, sizeof out), CTL_EXIT_FAILED);
	assert_non_null(strstr(err, "not running"));
}

static void test_status_json_passes_the_answer(void **state)
{
	struct fixture *fx = *state;
	const char *answers[] = { answer("200 OK", "{\"maintenance\":{\"state\":\"active\"}}") };
	char path[PATH_MAX + 16], out[4096], err[4096];
	struct ctl_args args;

	write_config(fx, &args, path, sizeof path);
	args.json = true;
	start_fake(fx, true, false, answers, 1);
	assert_int_equal(run_captured(fx, ctl_status, &args, out, err, sizeof out), CTL_EXIT_OK);
	assert_string_equal(out, "{\"maintenance\":{\"state\":\"active\"}}\n");
}

#define FAKE(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FAKE(test_request_and_content_length_answer),
		FAKE(test_post_sends_an_empty_body),
		FAKE(test_chunked_close_delimited_and_interim_answers),
		FAKE(test_broken_answers),
		FAKE(test_no_daemon_and_timeouts),
		FAKE(test_answer_size_is_bounded),
		FAKE(test_reload_through_the_endpoint),
		FAKE(test_reload_by_signal_confirmed_by_status),
		FAKE(test_reload_by_signal_only),
		FAKE(test_reload_without_a_daemon),
		cmocka_unit_test(test_status_summary),
		cmocka_unit_test(test_status_summary_of_a_sparse_answer),
		FAKE(test_status_fetch_checks_the_answer),
		FAKE(test_wait_drained_returns_when_the_drain_completes),
		FAKE(test_wait_drained_timeout_and_maintenance_off),
		FAKE(test_status_json_passes_the_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
