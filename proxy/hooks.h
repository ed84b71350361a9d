/*
 * proxy/hooks.h: the [hooks] commands run on maintenance events, as child
 * processes watched by the loop, never waited for.
 *
 * on_enter runs when maintenance goes on, on_drained when the drain is
 * complete (the draining set became empty, or [maintenance] drain_timeout
 * cut what remained), on_leave when maintenance goes off. Each runs at most
 * once per event and policy generation, so a reload that changes nothing
 * runs nothing.
 *
 * A hook is started with posix_spawn(3): argv split by hook_command_split()
 * (no shell), the environment of hook_env_build() and nothing else of the
 * daemon's, stdin /dev/null, stdout and stderr one pipe, in a process group
 * of its own (a timeout signals the group, so a script's children go too),
 * no other descriptor. The loop watches its exit (ev_child: the loop is the
 * default one), its output (ev_io, logged line by line, at most
 * HOOKS_OUTPUT_MAX bytes per run) and its time ([hooks] timeout, then TERM,
 * then KILL HOOKS_KILL_GRACE seconds later).
 *
 * Hooks run one at a time, in the order of their events: an event that comes
 * while a hook runs waits until it has ended (up to HOOKS_WAITING_MAX
 * waiting; an event beyond that is skipped, and logged). So on_leave never
 * overtakes the on_enter of the same maintenance.
 */
#ifndef SLUICE_HOOKS_H
#define SLUICE_HOOKS_H

#include <ev.h>

#include "config.h"
#include "policy/policy.h"

#define HOOKS_OUTPUT_MAX 4096 /* bytes of one run's output logged; the rest is counted */
#define HOOKS_KILL_GRACE 1.0  /* seconds from TERM to KILL after the timeout */
#define HOOKS_WAITING_MAX 8   /* events waiting for the running hook */

struct hooks;

/* Nothing configured, nothing run. loop must be the default loop. NULL when
 * memory is short. */
struct hooks *hooks_new(struct ev_loop *loop);

/* Take the commands and the timeout of cfg (copied) for events from now on;
 * a hook already running or waiting keeps what it was started with. */
void hooks_configure(struct hooks *h, const struct sluice_config *cfg);

/* A policy change: run (or queue) the hook of its event, if any, once per
 * event and generation. wall_offset maps the policy's monotonic times to
 * wall-clock seconds (server_wall_offset()). h may be NULL (no hooks yet). */
void hooks_policy_change(struct hooks *h, const struct policy_change *change, double wall_offset);

/* At exit: a hook still running is sent TERM (its group) and forgotten,
 * waiting ones are dropped, with a log line each. */
void hooks_free(struct hooks *h);

#endif
