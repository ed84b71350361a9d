/*
 * conf/dump.c: configuration values as text, in the syntax the loader
 * reads: one value (config_value_text), a whole file (config_dump, for
 * --dump-config) and the keys two configurations differ in (config_diff,
 * for reload).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/config.h"
#include "conf/internal.h"
#include "conf/value.h"
#include "conf/window.h"

/* A growable string; after a failed allocation it stays failed. */
struct text {
	char *data;
	size_t len, capacity;
	bool failed;
};

static void append(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->failed)
		return;
	if (t->len + n + 1 > t->capacity) {
		size_t capacity = (t->len + n + 1) * 2;
		char *data = realloc(t->data, capacity);
		if (data == NULL) {
			t->failed = true;
			return;
		}
		t->data = data;
		t->capacity = capacity;
	}
	memcpy(t->data + t->len, s, n + 1);
	t->len += n;
}

/* The text, owned by the caller (NULL when an allocation failed). */
static char *finish(struct text *t)
{
	append(t, "");
	if (t->failed) {
		free(t->data);
		return NULL;
	}
	return t->data;
}

static void append_list(struct text *t, const struct sluice_config *cfg, const struct config_key *key)
{
	char address[CONFIG_ADDRESS_TEXT_MAX], window[CONFIG_WINDOW_TEXT_MAX];
	size_t count = key->type == CONFIG_ENUM_SET ? 0 : CONFIG_COUNT(cfg, key);

	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			append(t, ", ");
		if (key->type == CONFIG_NAMES) {
			append(t, (*CONFIG_CONST_FIELD(cfg, key, char **))[i]);
		} else if (key->type == CONFIG_WINDOWS) {
			config_format_window(&(*CONFIG_CONST_FIELD(cfg, key, struct config_window *))[i],
					     window);
			append(t, window);
		} else {
			config_format_address(&(*CONFIG_CONST_FIELD(cfg, key, struct config_address *))[i],
					      address);
			append(t, address);
		}
	}
	if (key->type == CONFIG_ENUM_SET) {
		unsigned bits = *CONFIG_CONST_FIELD(cfg, key, unsigned);
		for (const struct config_enum_value *v = key->values; v->name != NULL; v++) {
			if (bits & (1u << v->value)) {
				append(t, t->len > 0 ? ", " : "");
				append(t, v->name);
			}
		}
	}
}

/* Scalars fit a fixed buffer. */
static void format_scalar(const struct sluice_config *cfg, const struct config_key *key,
			  char out[CONFIG_ADDRESS_TEXT_MAX])
{
	const char *word;

	switch (key->type) {
	case CONFIG_BOOL:
		snprintf(out, CONFIG_ADDRESS_TEXT_MAX, "%s",
			 *CONFIG_CONST_FIELD(cfg, key, bool) ? "on" : "off");
		break;
	case CONFIG_INT:
		if (key->flavor == CONFIG_FLAVOR_AUTO && *CONFIG_CONST_FIELD(cfg, key, int) == 0) {
			snprintf(out, CONFIG_ADDRESS_TEXT_MAX, "auto");
			break;
		}
		snprintf(out, CONFIG_ADDRESS_TEXT_MAX, key->flavor == CONFIG_FLAVOR_OCTAL ? "%04o" : "%d",
			 *CONFIG_CONST_FIELD(cfg, key, int));
		break;
	case CONFIG_DURATION:
		if (key->flavor == CONFIG_FLAVOR_AUTO &&
		    *CONFIG_CONST_FIELD(cfg, key, uint64_t) == CONFIG_DURATION_AUTO)
			snprintf(out, CONFIG_ADDRESS_TEXT_MAX, "auto");
		else
			config_format_duration(*CONFIG_CONST_FIELD(cfg, key, uint64_t), out);
		break;
	case CONFIG_SIZE:
		config_format_size(*CONFIG_CONST_FIELD(cfg, key, size_t), out);
		break;
	case CONFIG_ADDRESS:
		config_format_address(CONFIG_CONST_FIELD(cfg, key, struct config_address), out);
		break;
	case CONFIG_ENUM:
		word = config_enum_name(key->values, *CONFIG_CONST_FIELD(cfg, key, int));
		snprintf(out, CONFIG_ADDRESS_TEXT_MAX, "%s", word != NULL ? word : "?");
		break;
	default:
		out[0] = '\0';
		break;
	}
}

char *config_value_text(const struct sluice_config *cfg, const struct config_key *key)
{
	struct text t = { 0 };
	char scalar[CONFIG_ADDRESS_TEXT_MAX];
	const char *s;

	switch (key->type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
		s = *CONFIG_CONST_FIELD(cfg, key, char *);
		append(&t, s != NULL ? s : "");
		break;
	case CONFIG_ADDRESSES:
	case CONFIG_ENUM_SET:
	case CONFIG_NAMES:
	case CONFIG_WINDOWS:
		append_list(&t, cfg, key);
		break;
	default:
		format_scalar(cfg, key, scalar);
		append(&t, scalar);
		break;
	}
	return finish(&t);
}

static void write_header(const struct sluice_config *cfg, FILE *out)
{
	char when[64] = "";
	struct tm tm;

	fputs("; sluice: every key with its effective value (sluice --dump-config).\n", out);
	if (cfg->path == NULL)
		return;
	if (gmtime_r(&cfg->loaded_at, &tm) != NULL)
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(out, "; Loaded from %s at %s; relative paths resolved against %s.\n", cfg->path, when,
		cfg->directory != NULL ? cfg->directory : ".");
}

/* A repeatable key: one line per entry, which the loader adds up again. */
static void dump_windows(const struct sluice_config *cfg, const struct config_key *key, FILE *out)
{
	const struct config_window *windows = *CONFIG_CONST_FIELD(cfg, key, struct config_window *);
	char text[CONFIG_WINDOW_TEXT_MAX];

	for (size_t i = 0; i < CONFIG_COUNT(cfg, key); i++) {
		config_format_window(&windows[i], text);
		fprintf(out, "%s = %s\n", key->name, text);
	}
}

bool config_dump(const struct sluice_config *cfg, FILE *out)
{
	size_t count;
	const struct config_key *keys = config_keys(&count);
	const char *section = "";

	write_header(cfg, out);
	for (size_t i = 0; i < count; i++) {
		char *value = config_value_text(cfg, &keys[i]);
		if (value == NULL)
			return false;
		if (strcmp(section, keys[i].section) != 0) {
			section = keys[i].section;
			fprintf(out, "\n[%s]\n", section);
		}
		if (keys[i].type == CONFIG_WINDOWS && value[0] != '\0')
			dump_windows(cfg, &keys[i], out);
		else
			fprintf(out, value[0] != '\0' ? "%s = %s\n" : "%s =%s\n", keys[i].name, value);
		free(value);
	}
	return fflush(out) == 0 && !ferror(out);
}

int config_diff(const struct sluice_config *old, const struct sluice_config *new_cfg, config_change_fn *fn,
		void *user)
{
	size_t count;
	const struct config_key *keys = config_keys(&count);
	int changed = 0;

	for (size_t i = 0; i < count; i++) {
		char *before = config_value_text(old, &keys[i]);
		char *after = config_value_text(new_cfg, &keys[i]);
		bool ok = before != NULL && after != NULL;
		if (ok && strcmp(before, after) != 0) {
			struct config_change change = { &keys[i], before, after, keys[i].reloadable };
			if (fn != NULL)
				fn(&change, user);
			changed++;
		}
		free(before);
		free(after);
		if (!ok)
			return -1;
	}
	return changed;
}
