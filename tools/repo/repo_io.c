/*
 * tools/repo/repo_io.c: plain TCP for sluice-repo (see repo_io.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "repo_io.h"

enum io_status io_recv(struct io *io, char *buf, size_t size, size_t *done)
{
	ssize_t n;

	*done = 0;
	do
		n = recv(io->fd, buf, size, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		*done = (size_t)n;
		return IO_OK;
	}
	if (n == 0)
		return IO_EOF;
	return errno == EAGAIN || errno == EWOULDBLOCK ? IO_AGAIN : IO_ERROR;
}

enum io_status io_send(struct io *io, const char *buf, size_t len, size_t *done)
{
	ssize_t n;

	*done = 0;
	do
		n = send(io->fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0) {
		*done = (size_t)n;
		return n > 0 ? IO_OK : IO_AGAIN;
	}
	return errno == EAGAIN || errno == EWOULDBLOCK ? IO_AGAIN : IO_ERROR;
}

void io_shutdown_write(struct io *io)
{
	shutdown(io->fd, SHUT_WR);
}

void io_close(struct io *io)
{
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
}
