/*
 * proxy/admin/admin_health.c: the health listener's socket and its one
 * route (admin_health.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin/admin_health.h"

#define HEALTH_PATH "/health"

bool admin_health_bind(const struct config_address *addr, int *fd, char *err, size_t err_size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai;
	const char *host = addr->host[0] == '\0' ? NULL : addr->host; /* "*:port": every address */
	int rv = getaddrinfo(host, addr->port, &hints, &ai), one = 1, error = 0;

	if (rv != 0) {
		snprintf(err, err_size, "[admin] health_listen: %s:%s: %s", addr->host, addr->port,
			 gai_strerror(rv));
		return false;
	}
	*fd = -1;
	for (struct addrinfo *p = ai; p != NULL && *fd < 0; p = p->ai_next) {
		*fd = socket(p->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (*fd < 0) {
			error = errno;
			continue;
		}
		setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(*fd, p->ai_addr, p->ai_addrlen) != 0) {
			error = errno;
			close(*fd);
			*fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (*fd < 0) {
		snprintf(err, err_size, "[admin] health_listen: cannot bind %s:%s: %s; choose a free port",
			 addr->host, addr->port, strerror(error));
		return false;
	}
	return true;
}

bool admin_health_refuse(const struct admin_request *req, struct textbuf *out)
{
	size_t len = strcspn(req->target, "?");

	if (len == strlen(HEALTH_PATH) && memcmp(req->target, HEALTH_PATH, len) == 0)
		return false; /* answered as the admin endpoint answers it */
	admin_answer_error(out, 404, "not-found", "this listener serves GET /health only");
	return true;
}
