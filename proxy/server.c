/*
 * proxy/server.c: the daemon's process-wide state and its life from start-up
 * to exit (see server.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "admin/admin.h"
#include "conn/conn.h"
#include "daemon.h"
#include "hooks.h"
#include "key_line.h"
#include "listener.h"
#include "net/log.h"
#include "notify.h"
#include "server.h"
#include "proxy_header.h"
#include "server_conns.h"
#include "state_store.h"
#include "worker.h"

#define ERROR_MAX 1024
#define SERVER_CERTIFICATE_CHECK_SECONDS 86400.0 /* [tls] expiry_warning: once a day */
#define OVERFLOW_MIN 16                          /* connections over a limit still answered 503 busy */

double server_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall-clock time of a monotonic instant. The offset between the two clocks
 * is read once, so the same instant always maps to the same second (a
 * repeated reload must show the same "since"). */
double server_wall_offset(void)
{
	static double wall_minus_mono;
	static bool offset_known;

	if (!offset_known) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		wall_minus_mono = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - server_clock();
		offset_known = true;
	}
	return wall_minus_mono;
}

time_t server_wall_time(double mono)
{
	return (time_t)floor(mono + server_wall_offset());
}

/* ---- the maintenance log lines ---- */

static void draining_text(const struct server *s, const struct policy_change *ch, char *out, size_t size)
{
	if (s->profile != NULL && s->profile->sessions) {
		snprintf(out, size, "draining: %zu session%s", ch->draining_jobs,
			 ch->draining_jobs == 1 ? "" : "s");
		return;
	}
	snprintf(out, size, "draining: %zu task%s, %zu agent job%s", ch->draining_tasks,
		 ch->draining_tasks == 1 ? "" : "s", ch->draining_jobs, ch->draining_jobs == 1 ? "" : "s");
}

/* Log a policy state change (the notice lines of maintenance). */
static void server_log_policy_change(const struct server *s, const struct policy_change *ch)
{
	unsigned long long gen = (unsigned long long)ch->generation; /* not the configuration's generation */
	const char *mode = policy_mode_name(ch->mode);
	char counts[96];

	draining_text(s, ch, counts, sizeof counts);
	switch (ch->event) {
	case POLICY_EVENT_NONE:
		break;
	case POLICY_EVENT_ON:
		log_notice("maintenance on (%s) policy_change=%llu %s", mode, gen, counts);
		break;
	case POLICY_EVENT_OFF:
		log_notice("maintenance off policy_change=%llu after %.1f s", gen, ch->elapsed);
		break;
	case POLICY_EVENT_MODE:
		log_notice("maintenance mode %s policy_change=%llu %s", mode, gen, counts);
		break;
	case POLICY_EVENT_CATEGORIES:
		log_notice("maintenance categories changed policy_change=%llu %s", gen, counts);
		break;
	case POLICY_EVENT_SCOPE:
		log_notice("maintenance tenants or exempt changed policy_change=%llu %s", gen, counts);
		break;
	case POLICY_EVENT_DRAINED:
		log_notice("maintenance drained policy_change=%llu after %.1f s", gen, ch->elapsed);
		break;
	case POLICY_EVENT_DRAIN_TIMEOUT:
		log_notice("maintenance drain_timeout passed policy_change=%llu after %.1f s: cut %zu task%s and "
			   "%zu %s still draining; they are blocked, the drain is complete",
			   gen, ch->elapsed, ch->cut_tasks, ch->cut_tasks == 1 ? "" : "s", ch->cut_jobs,
			   s->profile != NULL && s->profile->sessions
				   ? (ch->cut_jobs == 1 ? "session" : "sessions")
				   : (ch->cut_jobs == 1 ? "agent job" : "agent jobs"));
		break;
	}
	hooks_policy_change(s->hooks, ch, server_wall_offset()); /* [hooks]: enter, drained, leave */
}

void server_policy_tick(struct server *s)
{
	struct policy_change change;

	if (policy_tick(s->policy, s->jobs, server_clock(), &change)) {
		server_log_policy_change(s, &change);
		server_wake_held(s);
	}
}

/* ---- counters ---- */

/* OpenSSL counts the handshakes of each context; a reload replaces the
 * tenant context, and server_apply() banks the old one's count. */
uint64_t server_tls_handshakes(const struct server *s)
{
	uint64_t now = s->conf != NULL && s->conf->tls != NULL
			       ? (uint64_t)SSL_CTX_sess_accept_good(s->conf->tls)
			       : 0;

	return s->counters.tls_handshakes_retired + now;
}

/* ---- the descriptor budget ---- */

/* Connections over the cap that are still answered 503 busy (one
 * descriptor each, for as long as the answer takes). */
static size_t overflow_slots(size_t max)
{
	return max / 16 > OVERFLOW_MIN ? max / 16 : OVERFLOW_MIN;
}

/* What n admitted tenant connections may hold: each its socket and its
 * repository connection, plus the busy answers beyond them. */
static unsigned long descriptors_for_tenants(size_t n)
{
	return 2 * (unsigned long)n + overflow_slots(n);
}

/* The most tenant connections, up to max, that nofile descriptors leave room
 * for after fixed; at least 1. */
static size_t connections_allowed(unsigned long nofile, unsigned long fixed, size_t max)
{
	unsigned long room;
	size_t n;

	if (nofile == ULONG_MAX || nofile >= fixed + descriptors_for_tenants(max))
		return max;
	room = nofile > fixed + OVERFLOW_MIN ? nofile - fixed - OVERFLOW_MIN : 0;
	n = room / 2;
	if (overflow_slots(n) > OVERFLOW_MIN)
		n = room * 16 / 33; /* the busy answers grow with n: 2n + n/16 <= room */
	return n > 0 ? n : 1;
}

/* Say it when the cap RLIMIT_NOFILE sets changes: at start, and on a reload
 * that changes the limit or the keys it depends on. */
static void log_connections_allowed(unsigned long nofile, unsigned long fixed, size_t allowed, int max)
{
	if (allowed >= (size_t)max) {
		log_notice("RLIMIT_NOFILE %lu allows [proxy] max_connections %d again", nofile, max);
		return;
	}
	if (fixed + descriptors_for_tenants(1) > nofile) {
		log_warn("RLIMIT_NOFILE %lu is below the %lu descriptors sluice holds besides tenant "
			 "connections (listeners, [admin] max_clients per admin transport, [limits] "
			 "upstream_idle_connections, a margin): allowing 1 tenant connection; raise "
			 "LimitNOFILE= or ulimit -n",
			 nofile, fixed);
		return;
	}
	log_warn("RLIMIT_NOFILE %lu allows %zu tenant connection%s, fewer than [proxy] max_connections "
		 "%d: connections beyond %zu are answered 503 busy (raise LimitNOFILE= or ulimit -n)",
		 nofile, allowed, allowed == 1 ? "" : "s", max, allowed);
}

static void update_connections_allowed(struct server *s, const struct sluice_config *cfg)
{
	struct server_descriptors *d = &s->counters.descriptors;
	int max = cfg->proxy.max_connections;
	unsigned long nofile = daemon_nofile_limit();
	unsigned long fixed = daemon_descriptors_fixed(cfg, s->listener_count);
	size_t allowed = connections_allowed(nofile, fixed, (size_t)max);
	bool capped = allowed < (size_t)max;

	if (capped != d->capped || (capped && (allowed != d->connections_allowed || nofile != d->limit)))
		log_connections_allowed(nofile, fixed, allowed, max);
	d->limit = nofile;
	d->connections_allowed = allowed;
	d->capped = capped;
}

/* At start, before detaching: the soft limit up to the hard one. */
static void raise_nofile(struct server *s, const struct sluice_config *cfg)
{
	daemon_raise_nofile(daemon_descriptors_fixed(cfg, s->listener_count) +
			    descriptors_for_tenants((size_t)cfg->proxy.max_connections));
}

enum server_admission server_admit(struct server *s, const struct sockaddr *peer)
{
	const struct sluice_config *cfg = s->conf->cfg;
	size_t max = s->counters.descriptors.connections_allowed;
	size_t per_address = (size_t)cfg->limits.connections_per_address;
	size_t overflow = overflow_slots(max);
	bool over;

	if (s->stopping)
		return SERVER_REFUSE;
	over = s->conn_count - s->overflow_count >= max;
	/* A balancer that sends PROXY headers: the cap applies to the address
	 * in the header, once it is read (conn_proxy.c, peer_changed). */
	if (cfg->proxy.proxy_protocol != CONFIG_PROXY_PROTOCOL_OFF &&
	    proxy_cidr_any(cfg->proxy.proxy_from, cfg->proxy.proxy_from_count, peer))
		per_address = 0;
	if (!over && per_address > 0)
		over = server_address_full(s, peer, per_address);
	if (!over)
		return SERVER_ADMIT;
	if (s->overflow_count < overflow)
		return SERVER_BUSY;
	return SERVER_REFUSE;
}

bool server_planned(struct server *s, int64_t *start, int64_t *end)
{
	return schedule_timer_planned(&s->schedule, schedule_timer_now(&s->schedule), start, end);
}

void server_shared_release(struct server *s)
{
	if (s->worker_count > 1)
		pthread_mutex_unlock(&s->lock);
}

void server_shared_acquire(struct server *s)
{
	if (s->worker_count > 1)
		pthread_mutex_lock(&s->lock);
}

/* ---- what workers ask of the main thread ---- */

/* The main thread is woken only when the policy moved (a drain completed):
 * not once per request. */
void server_tick_from_worker(struct server *s)
{
	struct policy_change change;
	bool changed, kept = true;

	pthread_mutex_lock(&s->lock);
	changed = policy_tick(s->policy, s->jobs, server_clock(), &change);
	if (changed && s->changes_pending < SERVER_CHANGES_PENDING)
		s->changes[s->changes_pending++] = change;
	else if (changed)
		kept = false;
	pthread_mutex_unlock(&s->lock);
	if (!kept)
		log_warn("maintenance: %s policy_change=%llu not logged (too many at once)",
			 policy_state_name(change.state), (unsigned long long)change.generation);
	if (changed)
		ev_async_send(s->loop, &s->worker_news);
}

void server_worker_exited(struct server *s)
{
	ev_async_send(s->loop, &s->worker_news);
}

static void on_worker_news(struct ev_loop *loop, ev_async *a, int revents)
{
	struct server *s = a->data;

	(void)revents;
	for (size_t i = 0; i < s->changes_pending; i++)
		server_log_policy_change(s, &s->changes[i]);
	if (s->changes_pending > 0)
		server_wake_held(s);
	s->changes_pending = 0;
	if (s->stopping && workers_done(s))
		ev_break(loop, EVBREAK_ALL);
}

/* ---- applying a configuration ---- */

static void policy_settings_from(const struct sluice_config *cfg, struct policy_settings *ps)
{
	policy_settings_default(ps);
	ps->enabled = cfg->maintenance.enabled;
	ps->mode = cfg->maintenance.mode == CONFIG_MAINTENANCE_BLOCK  ? POLICY_MODE_BLOCK
		   : cfg->maintenance.mode == CONFIG_MAINTENANCE_HOLD ? POLICY_MODE_HOLD
								      : POLICY_MODE_DRAIN;
	ps->categories = cfg->maintenance.categories; /* the same bits: 1 << TSP_CAT_... */
	ps->drain_timeout = config_seconds(cfg->maintenance.drain_timeout_ms);
	ps->disabled_tenants = cfg->tenants.disabled;
	ps->disabled_count = cfg->tenants.disabled_count;
	ps->scope_tenants = cfg->maintenance.tenants;
	ps->scope_count = cfg->maintenance.tenants_count;
	ps->exempt_tenants = cfg->maintenance.exempt;
	ps->exempt_count = cfg->maintenance.exempt_count;
	ps->refuse_session_refresh = cfg->restic.refuse_refresh_after_refusal;
}

/* profile: the running one (a reload cannot change it). */
static void jobs_limits_from(const struct sluice_config *cfg, const struct profile *profile,
			     struct jobs_limits *l)
{
	l->max_jobs = (size_t)cfg->limits.job_table_size;
	l->max_tasks = (size_t)cfg->limits.job_tasks;
	l->max_all_tasks = (size_t)cfg->limits.job_table_size;
	l->max_tenant_jobs = (size_t)cfg->limits.tenant_jobs;
	l->max_tenant_tasks = (size_t)cfg->limits.tenant_tasks;
	l->idle_expiry = config_seconds(profile->sessions ? cfg->restic.session_idle_ms
							  : cfg->limits.job_idle_expiry_ms);
}

bool server_apply(struct server *s, struct runconf *rc, char *err, size_t err_size)
{
	const struct sluice_config *cfg = rc->cfg;
	struct policy_settings ps;
	struct policy_change change;
	struct jobs_limits limits;
	const char *why;
	double rotation = config_seconds(cfg->tls.ticket_rotation_ms);

	if (!log_configure(cfg, err, err_size))
		return false;
	policy_settings_from(cfg, &ps);
	schedule_timer_settings(&s->schedule, cfg, &ps);
	if (!policy_apply(s->policy, &ps, s->jobs, server_clock(), &change, &why)) {
		snprintf(err, err_size, "[maintenance]: %s", why);
		return false;
	}
	jobs_limits_from(cfg, s->profile, &limits);
	if (!jobs_set_limits(s->jobs, &limits))
		log_warn("[limits]: the job table kept its previous bounds");
	request_stats_set_limit(&s->request_stats, (size_t)cfg->admin.tenant_metrics);
	hooks_configure(s->hooks, cfg);
	server_log_policy_change(s, &change);
	server_policy_tick(s);
	server_wake_held(s); /* after the reload: on -> off, mode, scope, hold_timeout */
	if (s->conf != NULL && s->conf != rc && s->conf->tls != NULL)
		COUNTER_ADD(s->counters.tls_handshakes_retired,
			    (uint64_t)SSL_CTX_sess_accept_good(s->conf->tls));
	if (s->ticket_rotation.repeat != rotation) {
		ev_timer_stop(s->loop, &s->ticket_rotation);
		ev_timer_set(&s->ticket_rotation, rotation, rotation);
		ev_timer_start(s->loop, &s->ticket_rotation);
	}
	runconf_log_certificate(rc, (int64_t)time(NULL));
	workers_apply(s, rc); /* the caller makes rc current (reload.c) */
	update_connections_allowed(s, cfg);
	schedule_timer_arm(&s->schedule, s->loop);
	return true;
}

/* A [schedule] window began or ended: the maintenance settings again, with
 * the running configuration (schedule_timer.c), then the next boundary. */
void server_apply_schedule(struct server *s)
{
	const struct sluice_config *cfg = s->conf->cfg;
	struct policy_settings ps;
	struct policy_change change;
	const char *why;

	policy_settings_from(cfg, &ps);
	schedule_timer_settings(&s->schedule, cfg, &ps);
	if (!policy_apply(s->policy, &ps, s->jobs, server_clock(), &change, &why))
		log_err("[schedule]: maintenance unchanged: %s", why);
	else
		server_log_policy_change(s, &change);
	server_policy_tick(s);
	server_wake_held(s);
	notify_status(s);
	schedule_timer_arm(&s->schedule, s->loop);
}

/* ---- timers ---- */

static void expired(void *ctx, const struct job *job, const struct job_task *task)
{
	struct server *s = ctx;

	if (job->session != NULL) {
		if (task != NULL) {
			log_info("session %s from %s of %s: lock %s expired after [restic] session_idle",
				 job->session->repository, job->session->client, job->tenant->name, task->id);
			return;
		}
		COUNTER_INC(s->counters.sessions_expired);
		log_notice("session %s from %s of %s expired after [restic] session_idle (%s%s)",
			   job->session->repository, job->session->client, job->tenant->name,
			   policy_session_verdict_name(policy_session_verdict(job->session)),
			   job->draining ? ", was draining" : "");
		return;
	}
	if (task != NULL)
		log_info("job table: task %s of %s job %s expired after [limits] job_idle_expiry", task->id,
			 tsp_category_name((enum tsp_category)job->key.category), job->key.id);
	else
		log_info("job table: %s job %s of %s expired after [limits] job_idle_expiry",
			 tsp_category_name((enum tsp_category)job->key.category), job->key.id,
			 job->tenant->name);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;

	jobs_expire(s->jobs, server_clock(), expired, s);
	server_policy_tick(s);
	if (s->worker_count == 1 && conn_spares_trim(&s->workers[0].spares) > 0)
		conn_heap_trim(); /* threads trim their own spares and ask for this */
	else if (__atomic_exchange_n(&s->heap_trim_wanted, false, __ATOMIC_ACQ_REL))
		conn_heap_trim();
	notify_status(s);
}

static void on_ticket_rotation(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;

	if (!tls_ticket_keys_rotate(s->ticket_keys))
		log_err("session tickets: cannot make a new key (random generator failed); the old one stays");
	else
		log_debug("session tickets: key rotated");
}

static void on_certificate_check(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;

	runconf_log_certificate(s->conf, (int64_t)time(NULL));
}

static void on_shutdown_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;

	log_notice("closing %zu connection%s still open after [timeouts] shutdown", s->conn_count,
		   s->conn_count == 1 ? "" : "s");
	workers_abort(s);
	ev_break(loop, EVBREAK_ALL);
}

void server_stop(struct server *s)
{
	double bound = config_seconds(s->conf->cfg->timeouts.shutdown_ms);

	if (s->stopping) {
		log_notice("stopping now: a second signal");
		workers_abort(s);
		ev_break(s->loop, EVBREAK_ALL);
		return;
	}
	s->stopping = true;
	notify_stopping();
	listeners_close(s);
	log_notice("stopping: no new connections; %zu open, allowed %.1f s to finish", s->conn_count, bound);
	workers_stop(s);
	if (workers_done(s)) {
		ev_break(s->loop, EVBREAK_ALL);
		return;
	}
	ev_timer_set(&s->shutdown_deadline, bound, 0);
	ev_timer_start(s->loop, &s->shutdown_deadline);
}

/* ---- start-up and exit ---- */

static bool absolute_path(const char *path, char *out, size_t size)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return (size_t)snprintf(out, size, "%s", path) < size;
	if (getcwd(cwd, sizeof cwd) == NULL)
		return false;
	return (size_t)snprintf(out, size, "%s/%s", cwd, path) < size;
}

static void start_timers(struct server *s)
{
	double rotation = config_seconds(s->conf->cfg->tls.ticket_rotation_ms);

	ev_timer_init(&s->tick, on_tick, SERVER_TICK_SECONDS, SERVER_TICK_SECONDS);
	s->tick.data = s;
	ev_timer_start(s->loop, &s->tick);
	ev_timer_init(&s->ticket_rotation, on_ticket_rotation, rotation, rotation);
	s->ticket_rotation.data = s;
	ev_timer_start(s->loop, &s->ticket_rotation);
	ev_timer_init(&s->certificate_check, on_certificate_check, SERVER_CERTIFICATE_CHECK_SECONDS,
		      SERVER_CERTIFICATE_CHECK_SECONDS);
	s->certificate_check.data = s;
	ev_timer_start(s->loop, &s->certificate_check);
	ev_init(&s->shutdown_deadline, on_shutdown_deadline);
	s->shutdown_deadline.data = s;
	schedule_timer_init(&s->schedule, s);
}

static void log_started(const struct server *s)
{
	char addresses[512] = "";
	size_t used = 0;

	for (size_t i = 0; i < s->listener_count && used < sizeof addresses; i++)
		used += (size_t)snprintf(addresses + used, sizeof addresses - used, "%s%s", i ? ", " : "",
					 s->listeners[i].name);
	log_notice("sluice %s serving on %s (%s); repository %s%s; maintenance %s; %zu worker%s",
		   PACKAGE_VERSION, addresses, s->conf->tls != NULL ? "TLS" : "plain TCP",
		   s->conf->upstream[0].text, s->conf->upstream_tls != NULL ? " over TLS" : "",
		   policy_state_name(policy_state(s->policy)), s->worker_count,
		   s->worker_count == 1 ? "" : "s");
}

/* Key the hash of the job and address tables (tenant-chosen ids) before
 * they hold anything. */
static bool seed_table_hash(char *err, size_t err_size)
{
	unsigned char key[KEYED_HASH_KEY_BYTES];

	if (RAND_bytes(key, sizeof key) != 1) {
		snprintf(err, err_size, "cannot seed the job table's hash: the random generator failed");
		return false;
	}
	keyed_hash_set_key(key);
	OPENSSL_cleanse(key, sizeof key);
	return true;
}

/* With worker threads the main thread holds the shared state's lock while
 * its loop runs callbacks and lets go of it while the loop waits (worker.h). */
static void loop_release(struct ev_loop *loop)
{
	struct server *s = ev_userdata(loop);

	pthread_mutex_unlock(&s->lock);
}

static void loop_acquire(struct ev_loop *loop)
{
	struct server *s = ev_userdata(loop);

	pthread_mutex_lock(&s->lock);
}

static void watch_workers(struct server *s)
{
	ev_async_init(&s->worker_news, on_worker_news);
	s->worker_news.data = s;
	ev_async_start(s->loop, &s->worker_news);
	if (s->worker_count > 1) {
		ev_set_userdata(s->loop, s);
		ev_set_loop_release_cb(s->loop, loop_release, loop_acquire);
	}
}

/* The loop, the policy, the job table and the hooks; false with err set. */
static bool make_state(struct server *s, const struct sluice_config *cfg, char *err, size_t err_size)
{
	struct jobs_limits limits;

	s->loop = ev_default_loop(EVFLAG_AUTO);
	if (!seed_table_hash(err, err_size))
		return false;
	s->profile = cfg->proxy.profile == CONFIG_PROFILE_RESTIC ? &profile_restic : &profile_tsp;
	jobs_limits_from(cfg, s->profile, &limits);
	s->policy = policy_new();
	s->jobs = jobs_new(&limits);
	s->hooks = s->loop != NULL ? hooks_new(s->loop) : NULL;
	if (s->loop == NULL || s->policy == NULL || s->jobs == NULL || s->hooks == NULL) {
		snprintf(err, err_size, "out of memory starting the event loop");
		return false;
	}
	TAILQ_INIT(&s->holds);
	s->worker_count = workers_wanted(cfg);
	watch_workers(s);
	return true;
}

/* Everything from binding to the first event; false with err set. */
static bool start(struct server *s, const struct options *options, int *ready_fd, char *err, size_t err_size)
{
	const struct sluice_config *cfg = s->conf->cfg;
	bool admin_no_directory = false;

	if (!log_configure(cfg, err, err_size) ||
	    !listeners_open(cfg, &s->listeners, &s->listener_count, err, err_size))
		return false;
	raise_nofile(s, cfg);
	if (!options->foreground &&
	    !daemon_detach(cfg->log.target == CONFIG_LOG_TO_STDERR, ready_fd, err, err_size))
		return false;
	if (!daemon_make_runtime_dirs((const char *const[]){ s->pidfile, cfg->admin.socket }, 2,
				      cfg->proxy.user, err, err_size))
		return false;
	if (s->pidfile[0] != '\0' && !daemon_write_pidfile(s->pidfile, err, err_size)) {
		s->pidfile[0] = '\0';
		if (!options->foreground)
			return false;
		/* In the foreground a supervisor (or a terminal) holds the process. */
		log_warn("%s; running without one (sluicectl finds no process to signal)", err);
	}
	if (!make_state(s, cfg, err, err_size))
		return false;
	if (!state_store_open(s, err, err_size)) /* before anything holds s->jobs */
		return false;
	start_timers(s);
	reload_init(s);
	if (!workers_start(s, err, err_size))
		return false;
	if (!server_apply(s, s->conf, err, err_size))
		return false;
	signals_start(s);
	listeners_start(s);
	if (!admin_open(s, err, err_size, &admin_no_directory)) {
		admin_close(s);
		if (!options->foreground || !admin_no_directory)
			return false;
		/* As with the pidfile: a foreground run (a terminal, a supervisor)
		 * goes on without a socket whose directory is missing, and says so. */
		log_warn("%s; running without the admin endpoint (sluicectl status, wait-drained and "
			 "reload need it)",
			 err);
	}
	if (s->ready_file[0] != '\0' && !listeners_write_ready_file(s, s->ready_file, err, err_size))
		return false;
	/* Last: everything that needs root (ports, files) is open; what the
	 * process goes on using after it becomes [proxy] user is given to it. */
	daemon_hand_over((const char *const[]){ s->pidfile, cfg->admin.socket,
						cfg->log.target == CONFIG_LOG_TO_FILE ? cfg->log.file : "" },
			 3, cfg->proxy.user);
	if (!daemon_drop_privileges(cfg->proxy.user, err, err_size) || !workers_run(s, err, err_size))
		return false;
	log_started(s);
	notify_ready(s);
	return true;
}

static void cleanup(struct server *s)
{
	workers_free(s);      /* joins the threads; aborts what is left */
	state_store_close(s); /* the final state, every connection gone */
	listeners_close(s);
	admin_close(s);
	reload_stop(s);
	if (s->loop != NULL) {
		signals_stop(s);
		ev_timer_stop(s->loop, &s->tick);
		ev_timer_stop(s->loop, &s->ticket_rotation);
		ev_timer_stop(s->loop, &s->certificate_check);
		ev_timer_stop(s->loop, &s->shutdown_deadline);
		ev_async_stop(s->loop, &s->worker_news);
		schedule_timer_stop(&s->schedule, s->loop);
	}
	hooks_free(s->hooks);
	policy_free(s->policy);
	jobs_free(s->jobs);
	request_stats_free(&s->request_stats);
	runconf_unref(s->conf);
	tls_ticket_keys_free(s->ticket_keys);
	if (s->pidfile[0] != '\0')
		daemon_remove_pidfile(s->pidfile);
	if (s->loop != NULL)
		ev_loop_destroy(s->loop);
}

static void init_lock(pthread_mutex_t *lock)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(lock, &attr);
	pthread_mutexattr_destroy(&attr);
}

int server_run(struct sluice_config *cfg, const struct options *options)
{
	static struct server server; /* one per process; the watchers point into it */
	struct server *s = &server;
	char err[ERROR_MAX];
	int ready_fd = -1, status = EXIT_FAILURE;

	if (!absolute_path(options->config_path, s->config_path, sizeof s->config_path) ||
	    (options->ready_file != NULL &&
	     !absolute_path(options->ready_file, s->ready_file, sizeof s->ready_file))) {
		fprintf(stderr, "sluice: a path is too long or the working directory is gone\n");
		config_free(cfg);
		return EXIT_FAILURE;
	}
	snprintf(s->pidfile, sizeof s->pidfile, "%s", cfg->proxy.pidfile);
	s->started_at = server_clock();
	s->loaded_at = time(NULL);
	s->ticket_keys = tls_ticket_keys_new();
	s->conf = s->ticket_keys == NULL
			  ? NULL
			  : runconf_new(cfg, cfg->tls.enabled, s->ticket_keys, 1, err, sizeof err);
	if (s->conf == NULL) {
		struct config_error located; /* "FILE:LINE: [section] key: ...", as sluice -t says it */

		config_error_at_key(&located, s->config_path,
				    s->ticket_keys == NULL ? "cannot make a session ticket key" : err);
		fprintf(stderr, "sluice: %s\n", located.message);
		config_free(cfg);
		tls_ticket_keys_free(s->ticket_keys);
		return EXIT_FAILURE;
	}
	server_wall_offset(); /* read once, before any thread asks */
	init_lock(&s->lock);
	pthread_mutex_lock(&s->lock); /* the main thread's while it is not waiting */
	if (start(s, options, &ready_fd, err, sizeof err)) {
		daemon_ready(ready_fd, EXIT_SUCCESS);
		ready_fd = -1;
		ev_run(s->loop, 0);
		status = EXIT_SUCCESS;
		log_notice("stopped");
	} else {
		log_err("%s", err);
	}
	pthread_mutex_unlock(&s->lock); /* the workers may need it to end */
	cleanup(s);
	pthread_mutex_destroy(&s->lock);
	daemon_ready(ready_fd, status);
	log_close();
	return status;
}
