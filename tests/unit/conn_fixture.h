/*
 * tests/unit/conn_fixture.h: the connection engine (proxy/conn/) run in a
 * fake context: a real libev loop stepped with EVRUN_NOWAIT, a fake policy
 * clock, a real policy and job table, and socket pairs for both peers. The
 * test holds the tenant's end of one pair and the repository's end of
 * another, whose proxy end waits in the real pool of idle repository
 * connections, so the connection takes it instead of connecting. Plain
 * sockets, no TLS.
 */
#ifndef SLUICE_TEST_CONN_FIXTURE_H
#define SLUICE_TEST_CONN_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "conn/conn_context.h"
#include "conn/conn_internal.h"

#define FX_RING_BYTES (16u * 1024u) /* [limits] buffer_bytes, its minimum */
#define FX_SOCKET_BYTES 4096        /* SO_SNDBUF and SO_RCVBUF of the shrunk pairs */
#define FX_OFFERED 1                /* repository connections the fixture parked (stats.parked) */

/* A TSP/1 request head of tenant acme (PROTOCOL.md), CRLF line ends. */
#define FX_AUTH "Authorization: Basic YWNtZTpzM2NyZXQ=\r\n" /* acme:s3cret */
#define FX_HOST "Host: cloud.example.net\r\n"
#define FX_RESTORE_READ(n) \
	"GET /tsp/1/restore/jobs/r7/tasks/vm-web01/blocks/" #n " HTTP/1.1\r\n" FX_HOST FX_AUTH "\r\n"
#define FX_DIGEST "Tsp-Digest: sha256=1fdd98864fb688159e02637f526ed77c04e7895815a9f23756db942e567830f6\r\n"

struct conn_fixture {
	struct ev_loop *loop;
	struct server_counters counters;
	struct conn_spares spares;
	struct upstream_pool upool;
	struct policy *policy;
	struct jobs *jobs;
	struct request_stats request_stats;
	struct runconf *rc;
	struct conn_context ctx;
	double clock;                       /* the policy's fake clock, seconds */
	int tenant_fd;                      /* the test's end of the tenant socket (-1: closed) */
	int repo_fd;                        /* the test's end of the repository socket (-1: none) */
	int proxy_tenant_fd, proxy_repo_fd; /* the proxy's ends (owned by the connection or the pool) */
	int listen_fd;                      /* fx_listen_repository(): where fresh connects go (-1: none) */
	struct conn *conn;                  /* the connection under test; NULL once it ended */
	int conns_open;                     /* conn_added() minus conn_removed() */
	unsigned settles;                   /* after_settle() calls */
	unsigned peer_changes;              /* peer_changed() calls (a PROXY header's source) */
	struct sockaddr_storage changed_to; /* ... the latest address given */
	bool peer_full;                     /* peer_changed() answers false: over the per-address cap */
};

/* cmocka setup and teardown: *state is a struct conn_fixture with a
 * connection accepted on a fresh tenant pair and a repository connection
 * waiting in the pool. Teardown aborts what is left and frees everything. */
int conn_fixture_setup(void **state);
int conn_fixture_teardown(void **state);

/* Shrink both ends' socket buffers to FX_SOCKET_BYTES: of the tenant pair
 * (tenant) or of the repository pair. */
void fx_shrink(struct conn_fixture *f, bool tenant);

/* Give the configuration a repository address: a TCP listener on
 * 127.0.0.1, so a connection that does not take the pooled pair connects
 * there; fx_accept_repository() then makes the accepted socket repo_fd
 * (closing the previous one), false when no connect came. */
void fx_listen_repository(struct conn_fixture *f);
bool fx_accept_repository(struct conn_fixture *f);

/* Maintenance on in block mode, or a tenant disabled (policy_apply with the
 * fake clock). */
void fx_maintenance_block(struct conn_fixture *f);
void fx_disable_tenant(struct conn_fixture *f, const char *tenant);

/* Run the loop n steps without waiting. */
void fx_run(struct conn_fixture *f, int n);
/* Write len bytes to fd, running the loop whenever the socket is full;
 * returns what went (less than len only when the proxy stopped taking). */
size_t fx_send(struct conn_fixture *f, int fd, const void *data, size_t len);
static inline size_t fx_send_text(struct conn_fixture *f, int fd, const char *text)
{
	return fx_send(f, fd, text, __builtin_strlen(text));
}
/* Read from fd into buf (up to size), running the loop, until size bytes
 * came, or EOF, or nothing came for a while. *eof says whether fd read EOF.
 * Returns the count. */
size_t fx_recv(struct conn_fixture *f, int fd, char *buf, size_t size, bool *eof);
/* Exactly text arrives on fd (nothing more is waiting after it). */
void fx_expect(struct conn_fixture *f, int fd, const char *text);
/* Nothing is waiting on fd (after the loop ran). */
void fx_expect_nothing(struct conn_fixture *f, int fd);

/* The length of the first complete HTTP response in buf (head and a
 * Content-Length body), or 0 when buf holds none. */
size_t fx_response_length(const char *buf, size_t len);
/* Fill buf with the test pattern, starting at stream offset `from`. */
void fx_pattern(char *buf, size_t len, size_t from);

#endif
