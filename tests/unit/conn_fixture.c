/*
 * tests/unit/conn_fixture.c: a fake context for the connection engine (see
 * conn_fixture.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "conn_fixture.h"

#define QUIET_STEPS 50 /* loop steps without a byte before a read gives up */

/* ---- the context's callbacks ---- */

static struct conn_fixture *fixture_of(const struct conn_context *ctx)
{
	return ctx->host;
}

static double fake_now(const struct conn_context *ctx)
{
	return fixture_of(ctx)->clock;
}

static time_t fake_wall_time(const struct conn_context *ctx, double mono)
{
	(void)ctx;
	return (time_t)(1800000000.0 + mono);
}

static void added(struct conn_context *ctx, struct conn *c, const struct sockaddr *peer)
{
	struct conn_fixture *f = fixture_of(ctx);

	(void)peer;
	f->conn = c;
	f->conns_open++;
}

static void removed(struct conn_context *ctx, struct conn *c)
{
	struct conn_fixture *f = fixture_of(ctx);

	if (f->conn == c)
		f->conn = NULL;
	f->conns_open--;
}

static bool peer_changed(struct conn_context *ctx, struct conn *c, const struct sockaddr *peer)
{
	struct conn_fixture *f = fixture_of(ctx);

	(void)c;
	f->peer_changes++;
	memcpy(&f->changed_to, peer,
	       peer->sa_family == AF_INET6  ? sizeof(struct sockaddr_in6)
	       : peer->sa_family == AF_INET ? sizeof(struct sockaddr_in)
					    : sizeof f->changed_to);
	return !f->peer_full;
}

static bool admit_all(const struct conn_context *ctx, struct conn *c, const char *tenant, int limit)
{
	(void)ctx;
	(void)c;
	(void)tenant;
	(void)limit;
	return true;
}

static void accepted(struct conn_context *ctx, struct conn *c, const char *tenant)
{
	(void)ctx;
	(void)c;
	(void)tenant;
}

static void settled(struct conn_context *ctx)
{
	struct conn_fixture *f = fixture_of(ctx);
	struct policy_change change;

	f->settles++;
	policy_tick(f->policy, f->jobs, f->clock, &change);
}

/* ---- building it ---- */

static struct runconf *plain_runconf(void)
{
	struct runconf *rc = calloc(1, sizeof *rc);

	if (rc == NULL || (rc->cfg = config_new()) == NULL) {
		free(rc);
		return NULL;
	}
	rc->refs = 1;
	rc->serial = 1;
	rc->cfg->limits.buffer_bytes = FX_RING_BYTES;
	http_limits_default(&rc->limits);
	rc->limits.header_bytes = rc->cfg->limits.header_bytes;
	rc->limits.max_headers = (unsigned)rc->cfg->limits.max_headers;
	rc->retry_after = 60;
	return rc; /* no repository address: only the pool hands one out */
}

static void owner_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

/* The proxy's end of a new repository pair waits in the pool. */
static int offer_repository(struct conn_fixture *f)
{
	struct upstream_park_facts clean = { .ready = true };
	struct upstream up;
	const char *why;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	upstream_init(&up);
	endpoint_init(&up.ep, sv[0], NULL, owner_cb, NULL);
	up.state = UPSTREAM_READY;
	snprintf(up.address, sizeof up.address, "repository pair");
	if (!upstream_pool_park(&f->upool, &up, f->rc->serial, &clean, &why)) {
		upstream_close(&up, f->loop);
		close(sv[1]);
		return -1;
	}
	f->repo_fd = sv[1];
	f->proxy_repo_fd = sv[0];
	return 0;
}

static int accept_tenant(struct conn_fixture *f)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(50000) };
	int sv[2];

	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	f->tenant_fd = sv[1];
	f->proxy_tenant_fd = sv[0];
	if (!conn_accept(&f->ctx, sv[0], (const struct sockaddr *)&peer, sizeof peer, false))
		return -1;
	return f->conn != NULL ? 0 : -1;
}

static int make_policy(struct conn_fixture *f)
{
	struct jobs_limits limits;

	jobs_limits_default(&limits);
	f->jobs = jobs_new(&limits);
	f->policy = policy_new();
	return f->jobs != NULL && f->policy != NULL ? 0 : -1;
}

static void context_init(struct conn_fixture *f)
{
	f->ctx = (struct conn_context){
		.loop = f->loop,
		.counters = &f->counters,
		.spares = &f->spares,
		.upool = &f->upool,
		.policy = f->policy,
		.jobs = f->jobs,
		.request_stats = &f->request_stats,
		.profile = &profile_tsp,
		.conf = f->rc,
		.host = f,
		.now = fake_now,
		.wall_time = fake_wall_time,
		.conn_added = added,
		.conn_removed = removed,
		.peer_changed = peer_changed,
		.tenant_admit = admit_all,
		.tenant_accepted = accepted,
		.after_settle = settled,
	};
}

int conn_fixture_setup(void **state)
{
	struct conn_fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	*state = f;
	f->tenant_fd = f->repo_fd = f->listen_fd = -1;
	f->clock = 1000.0;
	f->loop = ev_loop_new(EVFLAG_AUTO);
	f->rc = plain_runconf();
	if (f->loop == NULL || f->rc == NULL || make_policy(f) != 0)
		return -1;
	upstream_pool_init(&f->upool, f->loop, &f->counters.upstream);
	upstream_pool_set(&f->upool, 4, 3600.0, f->rc->serial);
	if (!conn_spares_reset(&f->spares, f->rc))
		return -1;
	context_init(f);
	if (offer_repository(f) != 0 || accept_tenant(f) != 0)
		return -1;
	return 0;
}

int conn_fixture_teardown(void **state)
{
	struct conn_fixture *f = *state;

	if (f == NULL)
		return 0;
	if (f->conn != NULL)
		conn_abort(f->conn);
	if (f->loop != NULL)
		upstream_pool_close(&f->upool);
	conn_spares_free(&f->spares);
	if (f->tenant_fd >= 0)
		close(f->tenant_fd);
	if (f->repo_fd >= 0)
		close(f->repo_fd);
	if (f->listen_fd >= 0)
		close(f->listen_fd);
	policy_free(f->policy);
	jobs_free(f->jobs);
	request_stats_free(&f->request_stats);
	runconf_unref(f->rc);
	if (f->loop != NULL)
		ev_loop_destroy(f->loop);
	free(f);
	return 0;
}

/* ---- settings ---- */

static void shrink_fd(int fd)
{
	int size = FX_SOCKET_BYTES;

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size), 0);
}

void fx_shrink(struct conn_fixture *f, bool tenant)
{
	shrink_fd(tenant ? f->tenant_fd : f->repo_fd);
	shrink_fd(tenant ? f->proxy_tenant_fd : f->proxy_repo_fd);
}

static void apply(struct conn_fixture *f, const struct policy_settings *ps)
{
	struct policy_change change;
	const char *why = NULL;

	assert_true(policy_apply(f->policy, ps, f->jobs, f->clock, &change, &why));
}

void fx_maintenance_block(struct conn_fixture *f)
{
	struct policy_settings ps;

	policy_settings_default(&ps);
	ps.enabled = true;
	ps.mode = POLICY_MODE_BLOCK;
	ps.categories = f->rc->cfg->maintenance.categories;
	apply(f, &ps);
}

void fx_disable_tenant(struct conn_fixture *f, const char *tenant)
{
	static char name[TSP_TENANT_MAX + 1];
	static char *list[1] = { name };
	struct policy_settings ps;

	snprintf(name, sizeof name, "%s", tenant);
	policy_settings_default(&ps);
	ps.disabled_tenants = list;
	ps.disabled_count = 1;
	apply(f, &ps);
}

/* ---- moving bytes ---- */

void fx_listen_repository(struct conn_fixture *f)
{
	struct runconf_address *a = &f->rc->upstream[0];
	struct sockaddr_in *in = (struct sockaddr_in *)&a->addr;

	memset(a, 0, sizeof *a);
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(f->listen_fd >= 0);
	a->len = sizeof *in;
	assert_int_equal(bind(f->listen_fd, (struct sockaddr *)in, a->len), 0);
	assert_int_equal(listen(f->listen_fd, 8), 0);
	assert_int_equal(getsockname(f->listen_fd, (struct sockaddr *)in, &a->len), 0);
	snprintf(a->text, sizeof a->text, "127.0.0.1:%u", (unsigned)ntohs(in->sin_port));
	f->rc->upstream_count = 1;
}

bool fx_accept_repository(struct conn_fixture *f)
{
	for (int i = 0; i < QUIET_STEPS; i++) {
		int fd;

		fx_run(f, 1);
		fd = accept4(f->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			continue;
		}
		if (f->repo_fd >= 0)
			close(f->repo_fd);
		f->repo_fd = fd;
		return true;
	}
	return false;
}

void fx_run(struct conn_fixture *f, int n)
{
	for (int i = 0; i < n; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
}

size_t fx_send(struct conn_fixture *f, int fd, const void *data, size_t len)
{
	const char *p = data;
	size_t sent = 0;
	int stalled = 0;

	while (sent < len && stalled < QUIET_STEPS) {
		ssize_t n = send(fd, p + sent, len - sent, MSG_NOSIGNAL);

		if (n > 0) {
			sent += (size_t)n;
			stalled = 0;
			continue;
		}
		assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
		fx_run(f, 1);
		stalled++;
	}
	fx_run(f, 4);
	return sent;
}

size_t fx_recv(struct conn_fixture *f, int fd, char *buf, size_t size, bool *eof)
{
	size_t got = 0;
	int quiet = 0;

	*eof = false;
	while (got < size && quiet < QUIET_STEPS) {
		ssize_t n;

		fx_run(f, 1);
		n = recv(fd, buf + got, size - got, 0);
		if (n == 0) {
			*eof = true;
			break;
		}
		if (n > 0) {
			got += (size_t)n;
			quiet = 0;
			continue;
		}
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNRESET);
		if (errno == ECONNRESET) {
			*eof = true;
			break;
		}
		quiet++;
	}
	return got;
}

void fx_expect(struct conn_fixture *f, int fd, const char *text)
{
	size_t len = strlen(text);
	char *buf = malloc(len + 1);
	bool eof;
	size_t got;

	assert_non_null(buf);
	got = fx_recv(f, fd, buf, len, &eof);
	buf[got] = '\0';
	assert_int_equal(got, len);
	assert_memory_equal(buf, text, len);
	free(buf);
	fx_expect_nothing(f, fd);
}

void fx_expect_nothing(struct conn_fixture *f, int fd)
{
	char byte;

	fx_run(f, 8);
	assert_int_equal(recv(fd, &byte, 1, MSG_PEEK), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

size_t fx_response_length(const char *buf, size_t len)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	const char *cl;
	size_t head, body = 0;

	if (end == NULL)
		return 0;
	head = (size_t)(end - buf) + 4;
	cl = memmem(buf, head, "\r\nContent-Length: ", 18);
	if (cl != NULL)
		body = strtoul(cl + 18, NULL, 10);
	return head + body <= len ? head + body : 0;
}

void fx_pattern(char *buf, size_t len, size_t from)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + (from + i) % 23);
}
