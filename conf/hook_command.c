/*
 * conf/hook_command.c: splitting a hook's command line and building its
 * environment (see hook_command.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/hook_command.h"

static bool fail(char why[HOOK_WHY_MAX], const char *format, ...) __attribute__((format(printf, 2, 3)));

static bool fail(char why[HOOK_WHY_MAX], const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(why, HOOK_WHY_MAX, format, ap);
	va_end(ap);
	return false;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The splitter's cursor: where it reads in the text and writes in words. */
struct splitter {
	const char *p;
	struct hook_argv *out;
	size_t used; /* bytes of out->words taken */
};

/* One quoted part, p just after the opening quote; appended to the word
 * being built. */
static bool quoted_part(struct splitter *s, char why[HOOK_WHY_MAX])
{
	for (;;) {
		char c = *s->p++;

		if (c == '\0')
			return fail(why, "a double quote is not closed; close it or escape it as \\\" "
					 "inside quotes");
		if (c == '"')
			return true;
		if (c == '\\') {
			c = *s->p++;
			if (c != '"' && c != '\\')
				return fail(why, "a backslash inside double quotes escapes only \" and \\; "
						 "write \\\\ for a backslash");
		}
		s->out->words[s->used++] = c;
	}
}

/* One word, p at its first byte (not a blank, not the end). */
static bool word(struct splitter *s, char why[HOOK_WHY_MAX])
{
	struct hook_argv *out = s->out;

	if (out->argc == HOOK_ARGS_MAX)
		return fail(why, "has more than %d words; pass fewer arguments (a script can add them)",
			    HOOK_ARGS_MAX);
	out->argv[out->argc++] = out->words + s->used;
	while (*s->p != '\0' && !is_blank(*s->p)) {
		if (*s->p == '"') {
			s->p++;
			if (!quoted_part(s, why))
				return false;
		} else {
			out->words[s->used++] = *s->p++;
		}
	}
	out->words[s->used++] = '\0';
	return true;
}

/* Control characters but tab cannot be part of a command. */
static bool has_control(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return true;
	}
	return false;
}

bool hook_command_split(const char *text, struct hook_argv *out, char why[HOOK_WHY_MAX])
{
	struct splitter s = { text, out, 0 };
	size_t len = strlen(text);

	memset(out, 0, sizeof *out);
	if (len > HOOK_COMMAND_MAX)
		return fail(why, "is %zu bytes long; a command is at most %d bytes", len, HOOK_COMMAND_MAX);
	if (has_control(text))
		return fail(why, "holds a control character; separate words with spaces or tabs");
	for (;;) {
		while (is_blank(*s.p))
			s.p++;
		if (*s.p == '\0')
			break;
		if (!word(&s, why))
			return false;
	}
	/* Each word ends at a blank or the end, so words never outgrow the text. */
	if (out->argc == 0)
		return fail(why, "is empty; name a program by its absolute path, or remove the key");
	if (out->argv[0][0] != '/')
		return fail(why,
			    "the program \"%.64s\" is not an absolute path; hooks run without a "
			    "shell and without a search path: write it as /path/to/program",
			    out->argv[0]);
	return true;
}

bool hook_command_check(const char *text, char why[HOOK_WHY_MAX])
{
	struct hook_argv split;
	struct stat st;

	if (!hook_command_split(text, &split, why))
		return false;
	if (stat(split.argv[0], &st) != 0)
		return fail(why, "the program %.128s: %s", split.argv[0], strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(why, "the program %.128s is not a regular file", split.argv[0]);
	if (access(split.argv[0], X_OK) != 0)
		return fail(why, "the program %.128s is not executable (%s); chmod +x it", split.argv[0],
			    strerror(errno));
	return true;
}

/* ---- the environment ---- */

static const char *const event_names[HOOK_EVENT_COUNT] = {
	[HOOK_ENTER] = "enter",
	[HOOK_DRAINED] = "drained",
	[HOOK_LEAVE] = "leave",
};

static const char *const key_names[HOOK_EVENT_COUNT] = {
	[HOOK_ENTER] = "on_enter",
	[HOOK_DRAINED] = "on_drained",
	[HOOK_LEAVE] = "on_leave",
};

const char *hook_event_name(enum hook_event event)
{
	return (unsigned)event < HOOK_EVENT_COUNT ? event_names[event] : "unknown";
}

const char *hook_key_name(enum hook_event event)
{
	return (unsigned)event < HOOK_EVENT_COUNT ? key_names[event] : "unknown";
}

bool hook_env_build(const struct hook_facts *facts, struct hook_env *out)
{
	char since[32];
	struct tm tm;

	memset(out, 0, sizeof *out);
	if (gmtime_r(&facts->since, &tm) == NULL ||
	    strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return false;
	snprintf(out->text[0], HOOK_ENV_TEXT_MAX, "SLUICE_EVENT=%s", hook_event_name(facts->event));
	snprintf(out->text[1], HOOK_ENV_TEXT_MAX, "SLUICE_GENERATION=%" PRIu64, facts->generation);
	snprintf(out->text[2], HOOK_ENV_TEXT_MAX, "SLUICE_DRAINING_TASKS=%zu", facts->draining_tasks);
	snprintf(out->text[3], HOOK_ENV_TEXT_MAX, "SLUICE_DRAINING_JOBS=%zu", facts->draining_jobs);
	snprintf(out->text[4], HOOK_ENV_TEXT_MAX, "SLUICE_SINCE=%s", since);
	snprintf(out->text[5], HOOK_ENV_TEXT_MAX, "PATH=%s", HOOK_PATH);
	for (size_t i = 0; i < HOOK_ENV_COUNT; i++)
		out->envp[i] = out->text[i];
	out->envp[HOOK_ENV_COUNT] = NULL;
	return true;
}
