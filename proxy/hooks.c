/*
 * proxy/hooks.c: running the [hooks] commands (see hooks.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/hook_command.h"
#include "hooks.h"
#include "net/log.h"

#define HOOKS_READ_CHUNK 1024
#define HOOKS_READS_PER_EVENT 16
#define HOOKS_DRAIN_ROUNDS 4 /* of those, for what is left in the pipe once the hook exited */

/* One due run: what it runs and what it is told, fixed when its event came. */
struct hook_job {
	struct hook_facts facts;
	char command[HOOK_COMMAND_MAX + 1];
	double timeout;
};

/* How far the timeout went with the running hook. */
enum hook_kill_stage {
	HOOK_NOT_KILLED, /* within its time */
	HOOK_TERM_SENT,  /* timeout passed: TERM sent to its group */
	HOOK_KILL_SENT   /* and KILL HOOKS_KILL_GRACE later */
};

struct hooks {
	struct ev_loop *loop;
	char commands[HOOK_EVENT_COUNT][HOOK_COMMAND_MAX + 1]; /* "" = none */
	double timeout;
	bool seen[HOOK_EVENT_COUNT];                /* an event came since start-up */
	uint64_t last_generation[HOOK_EVENT_COUNT]; /* ... in this generation */

	struct hook_job waiting[HOOKS_WAITING_MAX]; /* a ring, oldest at first */
	size_t first, waiting_count;

	/* The running hook; running false: none. */
	bool running;
	struct hook_job job;
	pid_t pid;
	double started;
	enum hook_kill_stage stage;
	int output_fd;
	ev_child exit_watcher;
	ev_io output_watcher;
	ev_timer deadline;
	char line[HOOKS_OUTPUT_MAX + 1];
	size_t line_len;
	size_t output_kept;    /* bytes of this run logged (or in line) */
	size_t output_dropped; /* bytes past HOOKS_OUTPUT_MAX */
};

static void start_next(struct hooks *h);

static const char *name_of(const struct hook_job *job)
{
	return hook_key_name(job->facts.event);
}

/* ---- output ---- */

/* Log the line held, printable: the hook's bytes are not trusted. */
static void flush_line(struct hooks *h)
{
	if (h->line_len == 0)
		return;
	for (size_t i = 0; i < h->line_len; i++) {
		unsigned char c = (unsigned char)h->line[i];
		if (c < 0x20 || c == 0x7f)
			h->line[i] = c == '\t' ? ' ' : '?';
	}
	h->line[h->line_len] = '\0';
	log_notice("hook %s: %s", name_of(&h->job), h->line);
	h->line_len = 0;
}

static void take_output(struct hooks *h, const char *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (h->output_kept == HOOKS_OUTPUT_MAX) {
			h->output_dropped += n - i;
			return;
		}
		h->output_kept++;
		if (bytes[i] == '\n')
			flush_line(h);
		else if (bytes[i] != '\r')
			h->line[h->line_len++] = bytes[i];
	}
}

/* Read what the pipe holds now, up to HOOKS_READS_PER_EVENT chunks (a
 * chatty hook does not hold the loop); false at end of file or on an error. */
static bool read_output(struct hooks *h)
{
	char chunk[HOOKS_READ_CHUNK];
	ssize_t n;

	for (int reads = 0; reads < HOOKS_READS_PER_EVENT; reads++) {
		n = read(h->output_fd, chunk, sizeof chunk);
		if (n > 0) {
			take_output(h, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
	}
	return true;
}

static void on_output(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hooks *h = w->data;

	if (!read_output(h))
		ev_io_stop(loop, w); /* end of file: the exit is still to come */
}

/* ---- the end of a run ---- */

static void log_exit(const struct hooks *h, int status)
{
	const char *name = name_of(&h->job);
	double took = ev_now(h->loop) - h->started;

	if (h->stage != HOOK_NOT_KILLED && WIFSIGNALED(status))
		log_warn("hook %s: killed after timeout %g s (%s)", name, h->job.timeout,
			 strsignal(WTERMSIG(status)));
	else if (h->stage != HOOK_NOT_KILLED)
		log_warn("hook %s: exited %d after timeout %g s and TERM", name, WEXITSTATUS(status),
			 h->job.timeout);
	else if (WIFSIGNALED(status))
		log_warn("hook %s: killed by signal %d (%s) after %.2f s", name, WTERMSIG(status),
			 strsignal(WTERMSIG(status)), took);
	else if (WEXITSTATUS(status) != 0)
		log_warn("hook %s: exited %d after %.2f s", name, WEXITSTATUS(status), took);
	else
		log_notice("hook %s: exited 0 after %.2f s", name, took);
}

/* The hook exited: the rest of its output (its own children may still hold
 * the pipe: read what is there, do not wait for them), its status, the next. */
static void on_hook_exit(struct ev_loop *loop, ev_child *w, int revents)
{
	struct hooks *h = w->data;

	ev_child_stop(loop, w);
	ev_io_stop(loop, &h->output_watcher);
	ev_timer_stop(loop, &h->deadline);
	for (int i = 0; i < HOOKS_DRAIN_ROUNDS && read_output(h); i++)
		;
	flush_line(h);
	if (h->output_dropped > 0)
		log_warn("hook %s: output cut after %d bytes (%zu more not logged)", name_of(&h->job),
			 HOOKS_OUTPUT_MAX, h->output_dropped);
	close(h->output_fd);
	h->output_fd = -1;
	log_exit(h, w->rstatus);
	h->running = false;
	start_next(h);
}

/* [hooks] timeout passed: TERM to the group, then KILL. */
static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hooks *h = w->data;

	if (h->stage == HOOK_NOT_KILLED) {
		log_warn("hook %s: still running after timeout %g s; sending TERM", name_of(&h->job),
			 h->job.timeout);
		kill(-h->pid, SIGTERM);
		h->stage = HOOK_TERM_SENT;
		ev_timer_set(w, HOOKS_KILL_GRACE, 0);
		ev_timer_start(loop, w);
		return;
	}
	log_warn("hook %s: still running %g s after TERM; sending KILL", name_of(&h->job), HOOKS_KILL_GRACE);
	kill(-h->pid, SIGKILL);
	h->stage = HOOK_KILL_SENT;
}

/* ---- starting a run ---- */

/* The child's descriptors and signals: /dev/null in, the pipe out, nothing
 * else open; default dispositions, nothing blocked, a group of its own. */
static int spawn(const struct hook_argv *argv, struct hook_env *env, int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	int rc;

	sigemptyset(&none);
	sigfillset(&defaults);
	sigdelset(&defaults, SIGKILL);
	sigdelset(&defaults, SIGSTOP);
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&actions, out_fd, STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr,
				 POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(pid, argv->argv[0], &actions, &attr, argv->argv, env->envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&actions);
	return rc;
}

/* Start job now; false (logged) when it cannot start. */
static bool start(struct hooks *h, const struct hook_job *job)
{
	struct hook_argv argv;
	struct hook_env env;
	char why[HOOK_WHY_MAX];
	int fds[2], rc;

	if (!hook_command_split(job->command, &argv, why)) {
		log_err("hook %s: %s", hook_key_name(job->facts.event), why);
		return false;
	}
	if (!hook_env_build(&job->facts, &env)) {
		log_err("hook %s: cannot write the start of maintenance as a date",
			hook_key_name(job->facts.event));
		return false;
	}
	if (pipe2(fds, O_CLOEXEC) != 0) {
		log_err("hook %s: cannot make a pipe: %s", hook_key_name(job->facts.event), strerror(errno));
		return false;
	}
	rc = spawn(&argv, &env, fds[1], &h->pid);
	close(fds[1]);
	if (rc != 0) {
		log_err("hook %s: cannot run %s: %s", hook_key_name(job->facts.event), argv.argv[0],
			strerror(rc));
		close(fds[0]);
		return false;
	}
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	h->job = *job;
	h->running = true;
	h->started = ev_now(h->loop);
	h->stage = HOOK_NOT_KILLED;
	h->output_fd = fds[0];
	h->line_len = h->output_kept = h->output_dropped = 0;
	ev_child_set(&h->exit_watcher, h->pid, 0);
	ev_child_start(h->loop, &h->exit_watcher);
	ev_io_set(&h->output_watcher, fds[0], EV_READ);
	ev_io_start(h->loop, &h->output_watcher);
	ev_timer_set(&h->deadline, job->timeout, 0);
	ev_timer_start(h->loop, &h->deadline);
	log_notice("hook %s: started %s (pid %ld, SLUICE_GENERATION=%llu)", name_of(job), argv.argv[0],
		   (long)h->pid, (unsigned long long)job->facts.generation);
	return true;
}

/* The oldest waiting job that starts, if any. */
static void start_next(struct hooks *h)
{
	while (!h->running && h->waiting_count > 0) {
		struct hook_job *job = &h->waiting[h->first];

		h->first = (h->first + 1) % HOOKS_WAITING_MAX;
		h->waiting_count--;
		start(h, job);
	}
}

static void enqueue(struct hooks *h, const struct hook_job *job)
{
	if (h->waiting_count == HOOKS_WAITING_MAX) {
		log_err("hook %s: skipped for policy generation %llu: %d hooks already wait for hook %s "
			"to end",
			name_of(job), (unsigned long long)job->facts.generation, HOOKS_WAITING_MAX,
			name_of(&h->job));
		return;
	}
	h->waiting[(h->first + h->waiting_count) % HOOKS_WAITING_MAX] = *job;
	h->waiting_count++;
	log_notice("hook %s: waits for hook %s (pid %ld) to end", name_of(job), name_of(&h->job),
		   (long)h->pid);
}

/* ---- the interface ---- */

struct hooks *hooks_new(struct ev_loop *loop)
{
	struct hooks *h = calloc(1, sizeof *h);

	if (h == NULL)
		return NULL;
	h->loop = loop;
	h->timeout = 30.0;
	h->output_fd = -1;
	ev_child_init(&h->exit_watcher, on_hook_exit, 0, 0);
	ev_io_init(&h->output_watcher, on_output, -1, EV_READ);
	ev_init(&h->deadline, on_deadline);
	h->exit_watcher.data = h->output_watcher.data = h->deadline.data = h;
	return h;
}

void hooks_configure(struct hooks *h, const struct sluice_config *cfg)
{
	snprintf(h->commands[HOOK_ENTER], sizeof h->commands[HOOK_ENTER], "%s", cfg->hooks.on_enter);
	snprintf(h->commands[HOOK_DRAINED], sizeof h->commands[HOOK_DRAINED], "%s", cfg->hooks.on_drained);
	snprintf(h->commands[HOOK_LEAVE], sizeof h->commands[HOOK_LEAVE], "%s", cfg->hooks.on_leave);
	h->timeout = config_seconds(cfg->hooks.timeout_ms);
}

/* The hook event of a policy change; false when it has none. */
static bool event_of(const struct policy_change *change, enum hook_event *event)
{
	switch (change->event) {
	case POLICY_EVENT_ON:
		*event = HOOK_ENTER;
		return true;
	case POLICY_EVENT_DRAINED:
	case POLICY_EVENT_DRAIN_TIMEOUT: /* what remained is blocked: the drain is complete */
		*event = HOOK_DRAINED;
		return true;
	case POLICY_EVENT_OFF:
		*event = HOOK_LEAVE;
		return true;
	default:
		return false;
	}
}

void hooks_policy_change(struct hooks *h, const struct policy_change *change, double wall_offset)
{
	struct hook_job job;
	enum hook_event event;
	/* T: at OFF the change's since is the moment maintenance went off. */
	double began = change->event == POLICY_EVENT_OFF ? change->since - change->elapsed : change->since;

	if (h == NULL || !event_of(change, &event))
		return;
	if (h->seen[event] && change->generation <= h->last_generation[event])
		return; /* this event of this generation had its run */
	h->seen[event] = true;
	h->last_generation[event] = change->generation;
	if (h->commands[event][0] == '\0')
		return;
	memset(&job, 0, sizeof job);
	job.facts.event = event;
	job.facts.generation = change->generation;
	job.facts.draining_tasks = change->draining_tasks;
	job.facts.draining_jobs = change->draining_jobs;
	job.facts.since = (time_t)floor(began + wall_offset);
	snprintf(job.command, sizeof job.command, "%s", h->commands[event]);
	job.timeout = h->timeout;
	if (h->running)
		enqueue(h, &job);
	else
		start(h, &job);
}

void hooks_free(struct hooks *h)
{
	if (h == NULL)
		return;
	if (h->running) {
		log_warn("hook %s: still running at exit (pid %ld); sending TERM", name_of(&h->job),
			 (long)h->pid);
		kill(-h->pid, SIGTERM);
		ev_child_stop(h->loop, &h->exit_watcher);
		ev_io_stop(h->loop, &h->output_watcher);
		ev_timer_stop(h->loop, &h->deadline);
		close(h->output_fd);
	}
	for (size_t i = 0; i < h->waiting_count; i++)
		log_warn("hook %s: not run: sluice is stopping",
			 name_of(&h->waiting[(h->first + i) % HOOKS_WAITING_MAX]));
	free(h);
}
