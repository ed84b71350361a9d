/*
 * conf/hook_command.h: the commands of [hooks] (on_enter, on_drained,
 * on_leave) split into an argument vector, and the environment a hook runs
 * with. Pure: strings in, strings out; hook_command_check() also looks at
 * the program file, as the loader does for every file the INI names.
 *
 * Splitting rule (sluice.ini(5)): a hook is run without a shell. Words are
 * separated by runs of spaces and tabs. Double quotes group: "a b" is one
 * word, and quoted and unquoted parts next to each other join (a"b c"d is
 * one word, ab cd); "" is an empty word. Inside double quotes a backslash
 * escapes a double quote or a backslash (\" and \\) and nothing else; outside
 * them a backslash is an ordinary character, and so is a single quote. No
 * variables, globs, redirections or other shell syntax. The first word is the
 * program: an absolute path to an executable file.
 */
#ifndef SLUICE_CONF_HOOK_COMMAND_H
#define SLUICE_CONF_HOOK_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HOOK_COMMAND_MAX 1024 /* bytes of a command line ([hooks] keys' bound) */
#define HOOK_ARGS_MAX 32      /* words of one command, the program included */
#define HOOK_WHY_MAX 256      /* an error message, NUL included */

/* The PATH a hook gets; nothing else of the daemon's environment is passed. */
#define HOOK_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A split command. argv points into words: do not copy the struct, split
 * again instead. */
struct hook_argv {
	size_t argc;
	char *argv[HOOK_ARGS_MAX + 1]; /* NULL-terminated, for execve */
	char words[HOOK_COMMAND_MAX + 1];
};

/* Split text by the rule above. False with why set ("... ; fix") when text
 * is empty, longer than HOOK_COMMAND_MAX, has more than HOOK_ARGS_MAX words,
 * an unterminated quote, a stray backslash inside quotes, a control
 * character other than tab, or a program that is not an absolute path. */
bool hook_command_split(const char *text, struct hook_argv *out, char why[HOOK_WHY_MAX]);

/* hook_command_split(), then the program must be a regular file this
 * process may execute. For the loader (sluice -t, start-up, reload). */
bool hook_command_check(const char *text, char why[HOOK_WHY_MAX]);

/* The events that run a hook. */
enum hook_event {
	HOOK_ENTER,   /* maintenance went on */
	HOOK_DRAINED, /* the drain is complete (set empty, or drain_timeout cut it) */
	HOOK_LEAVE,   /* maintenance went off */
	HOOK_EVENT_COUNT
};

const char *hook_event_name(enum hook_event event); /* "enter": SLUICE_EVENT */
const char *hook_key_name(enum hook_event event);   /* "on_enter": the [hooks] key */

/* What the environment tells a hook. */
struct hook_facts {
	enum hook_event event;
	uint64_t generation;   /* the policy generation after the change */
	size_t draining_tasks; /* after the change */
	size_t draining_jobs;  /* standalone-agent jobs (restic: sessions) */
	time_t since;          /* T: when this maintenance began, wall clock */
};

#define HOOK_ENV_COUNT 6 /* the five SLUICE_ variables and PATH */
#define HOOK_ENV_TEXT_MAX 96

struct hook_env {
	char *envp[HOOK_ENV_COUNT + 1]; /* NULL-terminated, pointing into text */
	char text[HOOK_ENV_COUNT][HOOK_ENV_TEXT_MAX];
};

/* SLUICE_EVENT, SLUICE_GENERATION, SLUICE_DRAINING_TASKS,
 * SLUICE_DRAINING_JOBS, SLUICE_SINCE (ISO 8601 UTC with seconds, such as
 * 2026-12-24T22:00:00Z) and PATH = HOOK_PATH. False when since cannot be
 * written as a date. As struct hook_argv, do not copy the struct. */
bool hook_env_build(const struct hook_facts *facts, struct hook_env *out);

#endif
