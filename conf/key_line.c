/*
 * conf/key_line.c: finding the line that sets a key (see key_line.h).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "conf/ini_edit.h"
#include "conf/ini_lines.h"
#include "conf/key_line.h"
#include "conf/value.h"

unsigned config_key_line(const char *path, const char *section, const char *key)
{
	struct ini_lines lines;
	struct config_error ignored;
	const char *value;
	size_t value_len;
	unsigned line = 0;

	if (!ini_lines_open(&lines, path, NULL, &ignored))
		return 0;
	if (ini_edit_find(lines.data, lines.size, section, key, &value, &value_len)) {
		line = 1;
		for (const char *p = lines.data; p < value; p++)
			line += *p == '\n';
	}
	ini_lines_close(&lines);
	return line;
}

/* "[section] key:" at the start of message into section and key. */
static bool key_of(const char *message, char *section, size_t section_size, char *key, size_t key_size)
{
	const char *close, *colon;

	if (message[0] != '[' || (close = strchr(message, ']')) == NULL || close[1] != ' ')
		return false;
	colon = strchr(close + 2, ':');
	if (colon == NULL || colon == close + 2 ||
	    memchr(close + 2, ' ', (size_t)(colon - close - 2)) != NULL)
		return false;
	if ((size_t)(close - message - 1) >= section_size || (size_t)(colon - close - 2) >= key_size)
		return false;
	snprintf(section, section_size, "%.*s", (int)(close - message - 1), message + 1);
	snprintf(key, key_size, "%.*s", (int)(colon - close - 2), close + 2);
	return true;
}

void config_error_at_key(struct config_error *err, const char *path, const char *message)
{
	char section[64], key[64];

	err->line = 0;
	if (key_of(message, section, sizeof section, key, sizeof key))
		err->line = config_key_line(path, section, key);
	if (err->line > 0)
		config_fail(err, "%s:%u: %s", path, err->line, message);
	else
		config_fail(err, "%s: %s", path, message);
}
