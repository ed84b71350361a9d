/*
 * tests/unit/test_hook_command.c: splitting a hook's command line and its
 * environment (conf/hook_command.c): words, quotes, escapes, the bounds,
 * the program check, and every variable a hook sees.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/hook_command.h"

static void assert_why_has(const char *why, const char *part)
{
	if (strstr(why, part) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", why, part);
}

/* text splits into exactly the count words of expected. */
static void assert_split(const char *text, const char *const *expected, size_t count)
{
	struct hook_argv split;
	char why[HOOK_WHY_MAX] = "";

	if (!hook_command_split(text, &split, why))
		fail_msg("\"%s\" was refused: %s", text, why);
	assert_int_equal(split.argc, count);
	for (size_t i = 0; i < count; i++)
		assert_string_equal(split.argv[i], expected[i]);
	assert_null(split.argv[count]);
}

static void assert_refused(const char *text, const char *part)
{
	struct hook_argv split;
	char why[HOOK_WHY_MAX] = "";

	if (hook_command_split(text, &split, why))
		fail_msg("\"%s\" was accepted", text);
	assert_why_has(why, part);
}

/* ---- splitting ---- */

static void test_words_split_on_blanks(void **state)
{
	(void)state;
	assert_split("/bin/echo", (const char *const[]){ "/bin/echo" }, 1);
	assert_split("/bin/echo a b", (const char *const[]){ "/bin/echo", "a", "b" }, 3);
	assert_split("  /bin/echo \t a\t\tb  ", (const char *const[]){ "/bin/echo", "a", "b" }, 3);
}

static void test_double_quotes_group(void **state)
{
	(void)state;
	assert_split("/bin/echo \"a b\" c", (const char *const[]){ "/bin/echo", "a b", "c" }, 3);
	assert_split("/bin/echo a\"b c\"d", (const char *const[]){ "/bin/echo", "ab cd" }, 2);
	assert_split("\"/opt/my hooks/run\" x", (const char *const[]){ "/opt/my hooks/run", "x" }, 2);
	assert_split("/bin/echo \"\" x", (const char *const[]){ "/bin/echo", "", "x" }, 3);
	assert_split("/bin/echo \"\"", (const char *const[]){ "/bin/echo", "" }, 2);
}

static void test_escapes_inside_quotes(void **state)
{
	(void)state;
	assert_split("/bin/echo \"say \\\"hi\\\"\"", (const char *const[]){ "/bin/echo", "say \"hi\"" }, 2);
	assert_split("/bin/echo \"a\\\\b\"", (const char *const[]){ "/bin/echo", "a\\b" }, 2);
	assert_refused("/bin/echo \"a\\nb\"", "escapes only");
	assert_refused("/bin/echo \"a\\", "escapes only");
}

static void test_other_characters_are_plain(void **state)
{
	(void)state;
	/* No shell: backslashes outside quotes, single quotes, $, ;, | are bytes. */
	assert_split("/bin/echo a\\b 'c d' $HOME;|>x",
		     (const char *const[]){ "/bin/echo", "a\\b", "'c", "d'", "$HOME;|>x" }, 5);
}

static void test_unterminated_quote(void **state)
{
	(void)state;
	assert_refused("/bin/echo \"abc", "not closed");
	assert_refused("\"/bin/echo", "not closed");
}

static void test_empty(void **state)
{
	(void)state;
	assert_refused("", "is empty");
	assert_refused(" \t ", "is empty");
}

static void test_program_must_be_absolute(void **state)
{
	(void)state;
	assert_refused("echo hi", "not an absolute path");
	assert_refused("./run.sh", "not an absolute path");
	assert_refused("\"\" /bin/echo", "not an absolute path");
}

static void test_control_characters(void **state)
{
	(void)state;
	assert_refused("/bin/echo a\nb", "control character");
	assert_refused("/bin/echo \"a\rb\"", "control character");
}

/* "/bin/true" and then extra one-letter words. */
static void words_text(char *out, size_t size, size_t words)
{
	size_t used = (size_t)snprintf(out, size, "/bin/true");

	for (size_t i = 1; i < words; i++)
		used += (size_t)snprintf(out + used, size - used, " %c", (char)('a' + i % 26));
}

static void test_too_many_words(void **state)
{
	char text[256];
	struct hook_argv split;
	char why[HOOK_WHY_MAX];

	(void)state;
	words_text(text, sizeof text, HOOK_ARGS_MAX);
	assert_true(hook_command_split(text, &split, why));
	assert_int_equal(split.argc, HOOK_ARGS_MAX);
	assert_null(split.argv[HOOK_ARGS_MAX]);
	words_text(text, sizeof text, HOOK_ARGS_MAX + 1);
	assert_refused(text, "more than 32 words");
}

static void test_too_long(void **state)
{
	char text[HOOK_COMMAND_MAX + 2];
	struct hook_argv split;
	char why[HOOK_WHY_MAX];

	(void)state;
	memset(text, 'x', sizeof text);
	text[0] = '/';
	text[HOOK_COMMAND_MAX] = '\0';
	assert_true(hook_command_split(text, &split, why));
	assert_int_equal(strlen(split.argv[0]), HOOK_COMMAND_MAX);
	text[HOOK_COMMAND_MAX] = 'x';
	text[HOOK_COMMAND_MAX + 1] = '\0';
	assert_refused(text, "1025 bytes long");
}

/* The longest a split can grow: one-byte words and empty quoted words. */
static void test_words_fit_their_storage(void **state)
{
	char text[HOOK_COMMAND_MAX + 1];
	struct hook_argv split;
	char why[HOOK_WHY_MAX];
	size_t used;

	(void)state;
	used = (size_t)snprintf(text, sizeof text, "/b");
	while (used + 3 <= HOOK_COMMAND_MAX && used < 31 * 3)
		used += (size_t)snprintf(text + used, sizeof text - used, " \"\"");
	assert_true(hook_command_split(text, &split, why));
	assert_string_equal(split.argv[split.argc - 1], "");
}

/* ---- the program check ---- */

static void test_check_program(void **state)
{
	char dir[] = "/tmp/hook-test.XXXXXX", file[64], why[HOOK_WHY_MAX];
	FILE *f;

	(void)state;
	assert_true(hook_command_check("/bin/sh -c true", why));
	assert_false(hook_command_check("/nonexistent/hook arg", why));
	assert_why_has(why, "/nonexistent/hook: No such file");
	assert_false(hook_command_check("/tmp", why));
	assert_why_has(why, "not a regular file");
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof file, "%s/plain", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	chmod(file, 0644);
	assert_false(hook_command_check(file, why)); /* root too: X_OK needs an x bit */
	assert_why_has(why, "not executable");
	chmod(file, 0755);
	assert_true(hook_command_check(file, why));
	unlink(file);
	rmdir(dir);
	assert_false(hook_command_check("relative/hook", why));
	assert_why_has(why, "not an absolute path");
}

/* ---- the environment ---- */

static void test_environment(void **state)
{
	struct hook_facts facts = { HOOK_DRAINED, 7, 3, 1, 1798149600 }; /* 2026-12-24T22:00:00Z */
	struct hook_env env;
	size_t n = 0;

	(void)state;
	assert_true(hook_env_build(&facts, &env));
	while (env.envp[n] != NULL)
		n++;
	assert_int_equal(n, HOOK_ENV_COUNT);
	assert_string_equal(env.envp[0], "SLUICE_EVENT=drained");
	assert_string_equal(env.envp[1], "SLUICE_GENERATION=7");
	assert_string_equal(env.envp[2], "SLUICE_DRAINING_TASKS=3");
	assert_string_equal(env.envp[3], "SLUICE_DRAINING_JOBS=1");
	assert_string_equal(env.envp[4], "SLUICE_SINCE=2026-12-24T22:00:00Z");
	assert_string_equal(env.envp[5], "PATH=" HOOK_PATH);
}

static void test_event_names(void **state)
{
	(void)state;
	assert_string_equal(hook_event_name(HOOK_ENTER), "enter");
	assert_string_equal(hook_event_name(HOOK_DRAINED), "drained");
	assert_string_equal(hook_event_name(HOOK_LEAVE), "leave");
	assert_string_equal(hook_key_name(HOOK_ENTER), "on_enter");
	assert_string_equal(hook_key_name(HOOK_DRAINED), "on_drained");
	assert_string_equal(hook_key_name(HOOK_LEAVE), "on_leave");
	assert_string_equal(hook_event_name(HOOK_EVENT_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_split_on_blanks),
		cmocka_unit_test(test_double_quotes_group),
		cmocka_unit_test(test_escapes_inside_quotes),
		cmocka_unit_test(test_other_characters_are_plain),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_program_must_be_absolute),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_too_many_words),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_words_fit_their_storage),
		cmocka_unit_test(test_check_program),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_event_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
