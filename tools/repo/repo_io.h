/*
 * tools/repo/repo_io.h: the only socket I/O of sluice-repo. Plain TCP today; a
 * TLS layer replaces these functions behind the same contract (it adds
 * "wants the other direction" results, which repo_conn.c maps onto its watcher).
 */
#ifndef SLUICE_REPO_IO_H
#define SLUICE_REPO_IO_H

#include <stddef.h>

enum io_status {
	IO_OK,    /* *done bytes moved (> 0) */
	IO_AGAIN, /* nothing now: wait for readiness */
	IO_EOF,   /* the peer closed its side (receive only) */
	IO_ERROR  /* the connection is broken */
};

struct io {
	int fd;
};

enum io_status io_recv(struct io *io, char *buf, size_t size, size_t *done);
enum io_status io_send(struct io *io, const char *buf, size_t len, size_t *done);
/* No more output: the peer sees EOF once the pending bytes are sent. */
void io_shutdown_write(struct io *io);
void io_close(struct io *io);

#endif
