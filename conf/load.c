/*
 * conf/load.c: config_load(): an INI file into a fresh, validated
 * configuration, or the first problem as "file:line: [section] key: ...".
 */
#include "autoconfig.h"

#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/config.h"
#include "conf/ini_lines.h"
#include "conf/internal.h"
#include "conf/value.h"

struct load {
	struct sluice_config *cfg;
	struct ini_lines lines;
	const struct config_key *keys;
	size_t key_count;
	unsigned *set_at; /* per key: the line that set it, 0 = default */
};

static bool check_section(const char *name, size_t len, struct config_error *err)
{
	size_t count, used = 0;
	const char *const *sections = config_sections(&count);
	char known[256] = "";

	for (size_t i = 0; i < count; i++) {
		if (strlen(sections[i]) == len && memcmp(sections[i], name, len) == 0)
			return true;
		used += (size_t)snprintf(known + used, sizeof known - used, "%s[%s]",
					 i == 0           ? ""
					 : i + 1 == count ? " and "
							  : ", ",
					 sections[i]);
		if (used >= sizeof known)
			break;
	}
	return config_fail(err, "unknown section [%.*s]; the sections are %s", (int)(len < 64 ? len : 64),
			   name, known);
}

/* Stop the parse at the current line with "[section] key: reason". */
static int key_error(struct load *load, const char *section, const char *name, const char *reason)
{
	char q[CONFIG_QUOTE_MAX];

	load->lines.failed = true;
	load->lines.err.line = load->lines.line;
	config_fail(&load->lines.err, "[%s] %s: %s", section,
		    config_key_find(section, name) != NULL ? name : config_quote(name, q), reason);
	return 0;
}

static int unknown_key(struct load *load, const char *section, const char *name)
{
	char known[512] = "";
	struct config_error reason;
	size_t used = 0;

	for (size_t i = 0; i < load->key_count && used < sizeof known; i++) {
		if (strcmp(load->keys[i].section, section) == 0)
			used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
						 used == 0 ? "" : ", ", load->keys[i].name);
	}
	config_fail(&reason, "unknown key; [%s] has %s (see sluice.ini(5))", section, known);
	return key_error(load, section, name, reason.message);
}

/* inih's handler: one key = value line. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load *load = user;
	struct config_error reason;
	const struct config_key *key;
	size_t index;

	if (load->lines.failed)
		return 0;
	if (load->lines.long_value != NULL)
		value = load->lines.long_value;
	if (section[0] == '\0') {
		char q[CONFIG_QUOTE_MAX];
		load->lines.failed = true;
		load->lines.err.line = load->lines.line;
		config_fail(&load->lines.err, "%s: key before the first [section]; put it under its section",
			    config_quote(name, q));
		return 0;
	}
	key = config_key_find(section, name);
	if (key == NULL)
		return unknown_key(load, section, name);
	index = (size_t)(key - load->keys);
	if (load->set_at[index] != 0 && key->type != CONFIG_WINDOWS) {
		config_fail(&reason, "set twice (first on line %u); keep one", load->set_at[index]);
		return key_error(load, section, name, reason.message);
	}
	load->set_at[index] = load->lines.line;
	if (!config_set_value(load->cfg, key, value, load->cfg->directory, &reason))
		return key_error(load, section, name, reason.message);
	return 1;
}

/* err = "path:line: message" (or "path: message" for line 0). */
static bool fail_at(struct config_error *err, const char *path, unsigned line, const char *message)
{
	err->line = line;
	if (line > 0)
		return config_fail(err, "%s:%u: %s", path, line, message);
	return config_fail(err, "%s: %s", path, message);
}

/* inih refused line `line` on its own: not key = value, [section] or comment. */
static bool syntax_error(const struct load *load, const char *path, unsigned line, struct config_error *err)
{
	char text[CONFIG_QUOTE_MAX], q[CONFIG_QUOTE_MAX];
	struct config_error message;
	size_t len = 0;
	const char *start = ini_lines_find(&load->lines, line, &len);

	if (len >= sizeof text)
		len = sizeof text - 1;
	memcpy(text, start != NULL ? start : "", len);
	text[len] = '\0';
	config_fail(&message, "%s is not key = value, a [section] or a comment", config_quote(text, q));
	return fail_at(err, path, line, message.message);
}

/* The directory of path, absolute: relative paths in the file are resolved
 * against it. */
static char *directory_of(const char *path, struct config_error *err)
{
	char *copy = strdup(path), *directory;

	if (copy == NULL) {
		config_fail(err, "%s: out of memory", path);
		return NULL;
	}
	directory = realpath(dirname(copy), NULL);
	if (directory == NULL)
		config_fail(err, "%s: cannot resolve its directory: %s", path, strerror(errno));
	free(copy);
	return directory;
}

static bool parse(struct load *load, const char *path, struct config_error *err)
{
	struct config_error rule;
	int ret = ini_parse_stream(ini_lines_read, &load->lines, on_key, load);

	if (ret > 0 && (!load->lines.failed || (unsigned)ret < load->lines.err.line))
		return syntax_error(load, path, (unsigned)ret, err);
	if (load->lines.failed)
		return fail_at(err, path, load->lines.err.line, load->lines.err.message);
	if (ret < 0)
		return fail_at(err, path, 0, "out of memory");
	if (!config_check_rules(load->cfg, load->set_at, &rule))
		return fail_at(err, path, rule.line, rule.message);
	return true;
}

bool config_load(const char *path, struct sluice_config **out, struct config_error *err)
{
	struct load load = { 0 };
	bool ok = false;

	err->line = 0;
	load.keys = config_keys(&load.key_count);
	if (!ini_lines_open(&load.lines, path, check_section, err))
		return false;
	load.cfg = config_new();
	load.set_at = calloc(load.key_count, sizeof *load.set_at);
	if (load.cfg == NULL || load.set_at == NULL || (load.cfg->path = strdup(path)) == NULL) {
		config_fail(err, "%s: out of memory", path);
		goto out;
	}
	load.cfg->directory = directory_of(path, err);
	if (load.cfg->directory == NULL)
		goto out;
	ok = parse(&load, path, err);
out:
	ini_lines_close(&load.lines);
	free(load.set_at);
	if (!ok) {
		config_free(load.cfg);
		return false;
	}
	load.cfg->loaded_at = time(NULL);
	*out = load.cfg;
	return true;
}
