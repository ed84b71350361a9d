/*
 * tools/ctl/ctl_admin_client.c: one request to the admin endpoint (see
 * ctl_admin_client.h). Non-blocking socket, poll() against one deadline.
 */
#include "autoconfig.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_admin_client.h"
#include "protocol/http.h"

/* Wait until fd is ready for events or the deadline passes. */
static bool wait_for(int fd, short events, uint64_t deadline, const char *path, struct ctl_error *err)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		uint64_t now = ctl_now_ms();
		int left = now >= deadline ? 0 : deadline - now > 60000 ? 60000 : (int)(deadline - now);
		int n;

		if (left == 0)
			return ctl_fail(err, "%s: no answer from sluice in time; is it stuck? see its log",
					path);
		n = poll(&pfd, 1, left);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return ctl_fail(err, "%s: poll: %s", path, strerror(errno));
	}
}

/* What a failed connect means for the caller, with a message naming the fix. */
static enum admin_result connect_failed(int error, const char *path, struct ctl_error *err)
{
	if (error == ENOENT || error == ECONNREFUSED) {
		ctl_fail(err, "%s: %s", path, strerror(error));
		return ADMIN_NO_DAEMON;
	}
	if (error == EACCES || error == EPERM)
		ctl_fail(err,
			 "%s: %s: run sluicectl as root or as a member of the socket's group "
			 "([admin] socket_mode)",
			 path, strerror(error));
	else if (error == EAGAIN)
		ctl_fail(err, "%s: sluice accepts no more connections right now; try again", path);
	else
		ctl_fail(err, "%s: cannot connect: %s", path, strerror(error));
	return ADMIN_FAILED;
}

static enum admin_result connect_socket(const char *path, uint64_t deadline, int *out, struct ctl_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t path_len = strlen(path);
	int fd, error = 0;
	socklen_t len = sizeof error;

	if (path_len >= sizeof addr.sun_path) {
		ctl_fail(err, "%s: longer than a UNIX socket path may be (%zu bytes)", path,
			 sizeof addr.sun_path - 1);
		return ADMIN_FAILED;
	}
	memcpy(addr.sun_path, path, path_len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ctl_fail(err, "socket: %s", strerror(errno));
		return ADMIN_FAILED;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		error = errno;
		if (error == EINPROGRESS) {
			if (!wait_for(fd, POLLOUT, deadline, path, err)) {
				close(fd);
				return ADMIN_FAILED;
			}
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
				error = errno;
		}
	}
	if (error != 0) {
		close(fd);
		return connect_failed(error, path, err);
	}
	*out = fd;
	return ADMIN_OK;
}

static bool send_all(int fd, const char *data, size_t len, uint64_t deadline, const char *path,
		     struct ctl_error *err)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n > 0) {
			data += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait_for(fd, POLLOUT, deadline, path, err))
				return false;
		} else if (n < 0 && errno != EINTR) {
			return ctl_fail(err, "%s: cannot send the request: %s", path, strerror(errno));
		}
	}
	return true;
}

/* The response being read. */
struct reading {
	struct admin_reply *reply;
	const char *path;
	bool done;
};

static bool append_body(struct reading *r, const char *data, size_t len, struct ctl_error *err)
{
	struct admin_reply *reply = r->reply;
	char *body;

	if (len > ADMIN_BODY_MAX - reply->body_len)
		return ctl_fail(err, "%s: answer larger than %u bytes; not read", r->path, ADMIN_BODY_MAX);
	body = realloc(reply->body, reply->body_len + len + 1);
	if (body == NULL)
		return ctl_fail(err, "out of memory");
	memcpy(body + reply->body_len, data, len);
	reply->body = body;
	reply->body_len += len;
	reply->body[reply->body_len] = '\0';
	return true;
}

/* One framer event. An interim (1xx) response is dropped. */
static bool on_event(struct reading *r, struct http_framer *f, const struct http_event *ev,
		     struct ctl_error *err)
{
	switch (ev->type) {
	case HTTP_EV_HEAD:
		r->reply->status = http_framer_head(f)->status;
		return true;
	case HTTP_EV_BODY:
		return append_body(r, ev->data, ev->len, err);
	case HTTP_EV_END:
		if (r->reply->status >= 200)
			r->done = true;
		else
			r->reply->body_len = 0;
		return true;
	case HTTP_EV_ERROR:
		return ctl_fail(err, "%s: not an HTTP answer sluice would give (%u %s: %s)", r->path,
				ev->status, ev->code != NULL ? ev->code : "",
				ev->reason != NULL ? ev->reason : "");
	default:
		return true;
	}
}

static bool feed(struct reading *r, struct http_framer *f, const char *data, size_t len,
		 struct ctl_error *err)
{
	struct http_event ev;

	while (!r->done) {
		size_t used = http_framer_feed(f, data, len, &ev);

		data += used;
		len -= used;
		if (ev.type == HTTP_EV_NONE)
			return true;
		if (!on_event(r, f, &ev, err))
			return false;
	}
	return true;
}

static bool read_reply(int fd, struct http_framer *f, struct reading *r, uint64_t deadline,
		       struct ctl_error *err)
{
	char buffer[16384];
	struct http_event ev;

	while (!r->done) {
		ssize_t n = read(fd, buffer, sizeof buffer);

		if (n > 0) {
			if (!feed(r, f, buffer, (size_t)n, err))
				return false;
		} else if (n == 0) {
			http_framer_eof(f, &ev);
			if (ev.type == HTTP_EV_NONE)
				return ctl_fail(err, "%s: sluice closed the connection without answering",
						r->path);
			if (!on_event(r, f, &ev, err))
				return false;
			if (!r->done)
				return ctl_fail(err, "%s: the answer ended early", r->path);
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (!wait_for(fd, POLLIN, deadline, r->path, err))
				return false;
		} else if (errno != EINTR) {
			return ctl_fail(err, "%s: cannot read the answer: %s", r->path, strerror(errno));
		}
	}
	return true;
}

enum admin_result admin_request(const char *socket_path, const char *method, const char *target,
				uint64_t timeout_ms, struct admin_reply *reply, struct ctl_error *err)
{
	uint64_t deadline = ctl_now_ms() + timeout_ms;
	struct reading r = { .reply = reply, .path = socket_path };
	struct http_framer *f = NULL;
	char request[512];
	enum admin_result result;
	int fd = -1, len;
	bool ok;

	memset(reply, 0, sizeof *reply);
	len = snprintf(request, sizeof request,
		       "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: sluicectl/%s\r\n"
		       "Accept: application/json\r\n%sConnection: close\r\n\r\n",
		       method, target, PACKAGE_VERSION,
		       strcmp(method, "POST") == 0 ? "Content-Length: 0\r\n" : "");
	if (len < 0 || (size_t)len >= sizeof request) {
		ctl_fail(err, "request for %s too long", target);
		return ADMIN_FAILED;
	}
	result = connect_socket(socket_path, deadline, &fd, err);
	if (result != ADMIN_OK)
		return result;
	f = http_framer_new(HTTP_KIND_RESPONSE, NULL);
	if (f == NULL)
		ok = ctl_fail(err, "out of memory");
	else
		ok = send_all(fd, request, (size_t)len, deadline, socket_path, err) &&
		     read_reply(fd, f, &r, deadline, err);
	http_framer_free(f);
	close(fd);
	if (ok && reply->body == NULL)
		ok = append_body(&r, "", 0, err);
	if (!ok) {
		admin_reply_free(reply);
		return ADMIN_FAILED;
	}
	return ADMIN_OK;
}

void admin_reply_free(struct admin_reply *reply)
{
	free(reply->body);
	memset(reply, 0, sizeof *reply);
}

void admin_reply_print(FILE *out, const struct admin_reply *reply)
{
	fwrite(reply->body, 1, reply->body_len, out);
	if (reply->body_len > 0 && reply->body[reply->body_len - 1] != '\n')
		fputc('\n', out);
}
