/*
 * conf/config.c: the key table built from keys.def, and typed values in
 * struct sluice_config: parse into a field, free a field, defaults.
 * Loading a file is load.c; rules across keys, rules.c; text out, dump.c.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "conf/internal.h"
#include "conf/value.h"
#include "conf/window.h"

/* ---- the words of the ENUM and ENUM_SET keys ---- */

static const struct config_enum_value config_tls_version_values[] = {
	{ "TLSv1.2", CONFIG_TLS_VERSION_1_2 },
	{ "TLSv1.3", CONFIG_TLS_VERSION_1_3 },
	{ NULL, 0 },
};

static const struct config_enum_value config_maintenance_mode_values[] = {
	{ "drain", CONFIG_MAINTENANCE_DRAIN },
	{ "block", CONFIG_MAINTENANCE_BLOCK },
	{ "hold", CONFIG_MAINTENANCE_HOLD },
	{ NULL, 0 },
};

static const struct config_enum_value config_category_values[] = {
	{ "backup", CONFIG_CATEGORY_BACKUP },
	{ "backup-copy", CONFIG_CATEGORY_BACKUP_COPY },
	{ "replication", CONFIG_CATEGORY_REPLICATION },
	{ NULL, 0 },
};

static const struct config_enum_value config_profile_values[] = {
	{ "tsp", CONFIG_PROFILE_TSP },
	{ "restic", CONFIG_PROFILE_RESTIC },
	{ NULL, 0 },
};

static const struct config_enum_value config_proxy_protocol_values[] = {
	{ "off", CONFIG_PROXY_PROTOCOL_OFF },
	{ "v1", CONFIG_PROXY_PROTOCOL_V1 },
	{ "v2", CONFIG_PROXY_PROTOCOL_V2 },
	{ "any", CONFIG_PROXY_PROTOCOL_ANY },
	{ NULL, 0 },
};

static const struct config_enum_value config_log_level_values[] = {
	{ "error", CONFIG_LOG_ERROR }, { "warning", CONFIG_LOG_WARNING }, { "notice", CONFIG_LOG_NOTICE },
	{ "info", CONFIG_LOG_INFO },   { "debug", CONFIG_LOG_DEBUG },     { NULL, 0 },
};

static const struct config_enum_value config_log_target_values[] = {
	{ "stderr", CONFIG_LOG_TO_STDERR },
	{ "syslog", CONFIG_LOG_TO_SYSLOG },
	{ "file", CONFIG_LOG_TO_FILE },
	{ NULL, 0 },
};

static const struct config_enum_value config_syslog_facility_values[] = {
	{ "daemon", CONFIG_FACILITY_DAEMON },
	{ "user", CONFIG_FACILITY_USER },
	{ "local0", CONFIG_FACILITY_LOCAL0 },
	{ "local1", CONFIG_FACILITY_LOCAL1 },
	{ "local2", CONFIG_FACILITY_LOCAL2 },
	{ "local3", CONFIG_FACILITY_LOCAL3 },
	{ "local4", CONFIG_FACILITY_LOCAL4 },
	{ "local5", CONFIG_FACILITY_LOCAL5 },
	{ "local6", CONFIG_FACILITY_LOCAL6 },
	{ "local7", CONFIG_FACILITY_LOCAL7 },
	{ NULL, 0 },
};

/* ---- the key table, from keys.def ---- */

#define FLAVOR_OF_STRING(f) CONFIG_FLAVOR_##f
#define FLAVOR_OF_PATH(f) CONFIG_FLAVOR_##f
#define FLAVOR_OF_BOOL(f) CONFIG_FLAVOR_##f
#define FLAVOR_OF_INT(f) CONFIG_FLAVOR_##f
#define FLAVOR_OF_DURATION(f) CONFIG_FLAVOR_##f
#define FLAVOR_OF_SIZE(f) CONFIG_FLAVOR_##f
#define FLAVOR_OF_ADDRESS(f) CONFIG_FLAVOR_##f
#define FLAVOR_OF_ADDRESSES(f) CONFIG_FLAVOR_##f
#define FLAVOR_OF_ENUM(e) CONFIG_FLAVOR_NONE
#define FLAVOR_OF_ENUM_SET(e) CONFIG_FLAVOR_NONE
#define FLAVOR_OF_NAMES(f) CONFIG_FLAVOR_##f
#define FLAVOR_OF_WINDOWS(f) CONFIG_FLAVOR_##f

#define VALUES_OF_STRING(f) NULL
#define VALUES_OF_PATH(f) NULL
#define VALUES_OF_BOOL(f) NULL
#define VALUES_OF_INT(f) NULL
#define VALUES_OF_DURATION(f) NULL
#define VALUES_OF_SIZE(f) NULL
#define VALUES_OF_ADDRESS(f) NULL
#define VALUES_OF_ADDRESSES(f) NULL
#define VALUES_OF_ENUM(e) config_##e##_values
#define VALUES_OF_ENUM_SET(e) config_##e##_values
#define VALUES_OF_NAMES(f) NULL
#define VALUES_OF_WINDOWS(f) NULL

#define MEMBER_STRING(n) n
#define MEMBER_PATH(n) n
#define MEMBER_BOOL(n) n
#define MEMBER_INT(n) n
#define MEMBER_DURATION(n) n##_ms
#define MEMBER_SIZE(n) n
#define MEMBER_ADDRESS(n) n
#define MEMBER_ADDRESSES(n) n
#define MEMBER_ENUM(n) n
#define MEMBER_ENUM_SET(n) n
#define MEMBER_NAMES(n) n
#define MEMBER_WINDOWS(n) n

#define COUNT_OF_STRING(s, n) 0
#define COUNT_OF_PATH(s, n) 0
#define COUNT_OF_BOOL(s, n) 0
#define COUNT_OF_INT(s, n) 0
#define COUNT_OF_DURATION(s, n) 0
#define COUNT_OF_SIZE(s, n) 0
#define COUNT_OF_ADDRESS(s, n) 0
#define COUNT_OF_ADDRESSES(s, n) offsetof(struct sluice_config, s.n##_count)
#define COUNT_OF_ENUM(s, n) 0
#define COUNT_OF_ENUM_SET(s, n) 0
#define COUNT_OF_NAMES(s, n) offsetof(struct sluice_config, s.n##_count)
#define COUNT_OF_WINDOWS(s, n) offsetof(struct sluice_config, s.n##_count)

#define RELOAD_RELOADABLE true
#define RELOAD_RESTART false

static const struct config_key config_key_table[] = {
/* clang-format off */
#define CONFIG_SECTION(section)
#define CONFIG_SECTION_END(section)
#define CONFIG_KEY(section, name, type, min, max, flavor, def, reload, description)               \
	{ #section, #name, CONFIG_##type, FLAVOR_OF_##type(flavor), (min), (max),                  \
	  VALUES_OF_##type(flavor), def, RELOAD_##reload, description,                             \
	  offsetof(struct sluice_config, section.MEMBER_##type(name)), COUNT_OF_##type(section, name) },
#include "conf/keys.def"
	/* clang-format on */
};

#define KEY_COUNT (sizeof config_key_table / sizeof config_key_table[0])

static const char *const config_section_names[] = {
/* clang-format off */
#define CONFIG_SECTION(section) #section,
#define CONFIG_SECTION_END(section)
#define CONFIG_KEY(section, name, type, min, max, flavor, def, reload, description)
#include "conf/keys.def"
	/* clang-format on */
};

#define SECTION_COUNT (sizeof config_section_names / sizeof config_section_names[0])

/* config_set_value() stores ENUM words through an int. */
_Static_assert(sizeof(enum config_log_level) == sizeof(int), "enums are int-sized");

const char *const *config_sections(size_t *count)
{
	*count = SECTION_COUNT;
	return config_section_names;
}

const struct config_key *config_keys(size_t *count)
{
	*count = KEY_COUNT;
	return config_key_table;
}

const struct config_key *config_key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < KEY_COUNT; i++) {
		if (strcmp(config_key_table[i].section, section) == 0 &&
		    strcmp(config_key_table[i].name, name) == 0)
			return &config_key_table[i];
	}
	return NULL;
}

const char *config_type_name(const struct config_key *key)
{
	static const char *const names[] = {
		[CONFIG_STRING] = "string",       [CONFIG_PATH] = "path",
		[CONFIG_BOOL] = "boolean",        [CONFIG_INT] = "integer",
		[CONFIG_DURATION] = "duration",   [CONFIG_SIZE] = "size",
		[CONFIG_ADDRESS] = "address",     [CONFIG_ADDRESSES] = "list of addresses",
		[CONFIG_ENUM] = "enumeration",    [CONFIG_ENUM_SET] = "list of words",
		[CONFIG_NAMES] = "list of names", [CONFIG_WINDOWS] = "list of windows",
	};
	return names[key->type];
}

/* ---- typed values in the struct ---- */

static void *field(struct sluice_config *cfg, const struct config_key *key)
{
	return CONFIG_FIELD(cfg, key, char);
}

static size_t *count_field(struct sluice_config *cfg, const struct config_key *key)
{
	return (size_t *)(void *)((char *)cfg + key->count_offset);
}

static void free_value(struct sluice_config *cfg, const struct config_key *key)
{
	switch (key->type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
		free(*(char **)field(cfg, key));
		*(char **)field(cfg, key) = NULL;
		break;
	case CONFIG_WINDOWS:
		free(*(struct config_window **)field(cfg, key));
		*(struct config_window **)field(cfg, key) = NULL;
		*count_field(cfg, key) = 0;
		break;
	case CONFIG_ADDRESSES:
		free(*(struct config_address **)field(cfg, key));
		*(struct config_address **)field(cfg, key) = NULL;
		*count_field(cfg, key) = 0;
		break;
	case CONFIG_NAMES: {
		char **names = *(char ***)field(cfg, key);
		for (size_t i = 0; i < *count_field(cfg, key); i++)
			free(names[i]);
		free(names);
		*(char ***)field(cfg, key) = NULL;
		*count_field(cfg, key) = 0;
		break;
	}
	default:
		break;
	}
}

/* The comma-separated entries of text, trimmed, one per call: false at the
 * end. An empty entry ("a,,b", "a,") is returned as "" for the caller to
 * refuse. *cursor is NULL once the text is used up. */
static bool next_entry(const char **cursor, char *entry, size_t size, bool *too_long)
{
	const char *p = *cursor, *comma, *end;
	size_t len;

	if (p == NULL)
		return false;
	comma = strchr(p, ',');
	end = comma != NULL ? comma : p + strlen(p);
	*cursor = comma != NULL ? comma + 1 : NULL;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	len = (size_t)(end - p);
	*too_long = len >= size;
	if (*too_long)
		len = size - 1;
	memcpy(entry, p, len);
	entry[len] = '\0';
	return true;
}

/* Entries of a list value: checks the count and empty entries, and calls
 * add() for each. */
static bool parse_list(const char *text, const struct config_key *key,
		       bool (*add)(const char *entry, size_t index, void *state, struct config_error *err),
		       void *state, size_t *count, struct config_error *err)
{
	char entry[CONFIG_ADDRESS_TEXT_MAX + 8];
	const char *cursor = text[0] != '\0' ? text : NULL;
	bool too_long;
	size_t n = 0;

	while (next_entry(&cursor, entry, sizeof entry, &too_long)) {
		if (entry[0] == '\0')
			return config_fail(err,
					   "empty entry %zu; separate entries with one comma, and end "
					   "without one",
					   n + 1);
		if (too_long)
			return config_fail(err, "entry %zu is too long", n + 1);
		if (n == key->max)
			return config_fail(err, "more than %llu entries", key->max);
		if (!add(entry, n, state, err))
			return false;
		n++;
	}
	if (n < key->min)
		return config_fail(err, "needs at least %llu %s", key->min,
				   key->min == 1 ? "entry" : "entries");
	*count = n;
	return true;
}

struct address_list {
	const struct config_key *key;
	const char *directory;
	struct config_address *items;
};

static bool add_address(const char *entry, size_t index, void *state, struct config_error *err)
{
	struct address_list *list = state;
	char a[CONFIG_ADDRESS_TEXT_MAX], b[CONFIG_ADDRESS_TEXT_MAX];

	if (!config_parse_address(entry, list->key->flavor, list->directory, &list->items[index], err))
		return false;
	config_format_address(&list->items[index], a);
	for (size_t i = 0; i < index; i++) {
		config_format_address(&list->items[i], b);
		if (strcmp(a, b) == 0)
			return config_fail(err, "%s is listed twice", a);
	}
	return true;
}

static bool parse_addresses(struct sluice_config *cfg, const struct config_key *key, const char *text,
			    const char *directory, struct config_error *err)
{
	struct address_list list = { key, directory, calloc(key->max, sizeof *list.items) };
	size_t count;

	if (list.items == NULL)
		return config_fail(err, "out of memory");
	if (!parse_list(text, key, add_address, &list, &count, err)) {
		free(list.items);
		return false;
	}
	free_value(cfg, key);
	*(struct config_address **)field(cfg, key) = list.items;
	*count_field(cfg, key) = count;
	return true;
}

struct name_list {
	char **items;
	enum config_flavor flavor; /* TENANT, GLOB or CIDR */
};

static bool add_name(const char *entry, size_t index, void *state, struct config_error *err)
{
	struct name_list *list = state;

	if (list->flavor == CONFIG_FLAVOR_GLOB   ? !config_check_glob(entry, err)
	    : list->flavor == CONFIG_FLAVOR_CIDR ? !config_check_cidr(entry, err)
						 : !config_check_tenant(entry, err))
		return false;
	for (size_t i = 0; i < index; i++) {
		if (strcmp(list->items[i], entry) == 0)
			return config_fail(err, "%s is listed twice", entry);
	}
	list->items[index] = strdup(entry);
	return list->items[index] != NULL || config_fail(err, "out of memory");
}

static bool parse_names(struct sluice_config *cfg, const struct config_key *key, const char *text,
			struct config_error *err)
{
	/* Entries are bounded by the text: at most one per two bytes. */
	size_t bound = strlen(text) / 2 + 1, count = 0;
	struct name_list list = { calloc(bound < key->max ? bound : key->max, sizeof(char *)), key->flavor };
	bool ok;

	if (list.items == NULL)
		return config_fail(err, "out of memory");
	ok = parse_list(text, key, add_name, &list, &count, err);
	if (!ok) {
		for (size_t i = 0; i < bound && i < key->max; i++)
			free(list.items[i]);
		free(list.items);
		return false;
	}
	free_value(cfg, key);
	*(char ***)field(cfg, key) = list.items;
	*count_field(cfg, key) = count;
	return true;
}

struct window_list {
	struct config_window *items;
	size_t count; /* entries already there (earlier lines) */
};

static bool add_window(const char *entry, size_t index, void *state, struct config_error *err)
{
	struct window_list *list = state;

	return config_parse_window(entry, &list->items[list->count + index], err);
}

/* Unlike every other key, window is repeatable: each line adds its entries
 * to those of the lines before it (key->max bounds them all). */
static bool parse_windows(struct sluice_config *cfg, const struct config_key *key, const char *text,
			  struct config_error *err)
{
	struct config_key rest = *key;
	struct window_list list = { NULL, *count_field(cfg, key) };
	size_t count;

	if (list.count >= key->max && text[0] != '\0')
		return config_fail(err, "more than %llu windows", key->max);
	list.items = calloc(key->max, sizeof *list.items);
	if (list.items == NULL)
		return config_fail(err, "out of memory");
	if (list.count > 0)
		memcpy(list.items, *(struct config_window **)field(cfg, key),
		       list.count * sizeof *list.items);
	rest.max = key->max - list.count;
	if (!parse_list(text, &rest, add_window, &list, &count, err)) {
		free(list.items);
		return false;
	}
	free_value(cfg, key);
	*(struct config_window **)field(cfg, key) = list.items;
	*count_field(cfg, key) = list.count + count;
	return true;
}

struct word_set {
	const struct config_key *key;
	unsigned bits;
};

static bool add_word(const char *entry, size_t index, void *state, struct config_error *err)
{
	struct word_set *set = state;
	int value;

	if (set->key->values == config_category_values && strcmp(entry, "restore") == 0)
		return config_fail(err, "restore is never refused for maintenance (rule R5: tenants can "
					"always restore); use backup, backup-copy or replication");
	if (!config_parse_enum(entry, set->key->values, &value, err))
		return false;
	if (set->bits & (1u << value))
		return config_fail(err, "%s is listed twice", entry);
	set->bits |= 1u << value;
	(void)index;
	return true;
}

static bool parse_word_set(struct sluice_config *cfg, const struct config_key *key, const char *text,
			   struct config_error *err)
{
	struct word_set set = { key, 0 };
	char choices[256];
	size_t count;

	if (!parse_list(text, key, add_word, &set, &count, err)) {
		if (text[0] == '\0') {
			config_enum_choices(key->values, choices, sizeof choices);
			return config_fail(err, "must name at least one of %s", choices);
		}
		return false;
	}
	*(unsigned *)field(cfg, key) = set.bits;
	return true;
}

static bool parse_string(struct sluice_config *cfg, const struct config_key *key, const char *text,
			 const char *directory, struct config_error *err)
{
	char *copy;

	if (key->type == CONFIG_PATH) {
		copy = config_resolve_path(text, key->flavor, directory, err);
		if (copy == NULL)
			return false;
	} else {
		if (!config_check_string(text, key->flavor, key->min, key->max, err))
			return false;
		if (key->flavor == CONFIG_FLAVOR_TIMEZONE && !config_check_timezone(text, err))
			return false;
		if (key->flavor == CONFIG_FLAVOR_INSTANT && text[0] != '\0' &&
		    !config_check_instant(text, err))
			return false;
		copy = strdup(text);
		if (copy == NULL)
			return config_fail(err, "out of memory");
	}
	free_value(cfg, key);
	*(char **)field(cfg, key) = copy;
	return true;
}

bool config_set_value(struct sluice_config *cfg, const struct config_key *key, const char *text,
		      const char *directory, struct config_error *err)
{
	unsigned long long number;
	uint64_t wide;
	int word;

	switch (key->type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
		return parse_string(cfg, key, text, directory, err);
	case CONFIG_BOOL:
		return config_parse_bool(text, field(cfg, key), err);
	case CONFIG_INT:
		if (key->flavor == CONFIG_FLAVOR_AUTO && strcmp(text, "auto") == 0) {
			*(int *)field(cfg, key) = 0;
			return true;
		}
		if (!config_parse_int(text, key->flavor, key->min, key->max, &number, err))
			return false;
		*(int *)field(cfg, key) = (int)number;
		return true;
	case CONFIG_DURATION:
		if (key->flavor == CONFIG_FLAVOR_AUTO && strcmp(text, "auto") == 0) {
			*(uint64_t *)field(cfg, key) = CONFIG_DURATION_AUTO;
			return true;
		}
		return config_parse_duration(text, key->min, key->max, field(cfg, key), err);
	case CONFIG_SIZE:
		if (!config_parse_size(text, key->min, key->max, &wide, err))
			return false;
		*(size_t *)field(cfg, key) = (size_t)wide;
		return true;
	case CONFIG_ADDRESS:
		return config_parse_address(text, key->flavor, directory, field(cfg, key), err);
	case CONFIG_ADDRESSES:
		return parse_addresses(cfg, key, text, directory, err);
	case CONFIG_ENUM:
		if (!config_parse_enum(text, key->values, &word, err))
			return false;
		/* Every enum of config.h fits an int: its values are small. */
		*(int *)field(cfg, key) = word;
		return true;
	case CONFIG_ENUM_SET:
		return parse_word_set(cfg, key, text, err);
	case CONFIG_NAMES:
		return parse_names(cfg, key, text, err);
	case CONFIG_WINDOWS:
		return parse_windows(cfg, key, text, err);
	}
	return config_fail(err, "unknown type");
}

void config_free(struct sluice_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < KEY_COUNT; i++)
		free_value(cfg, &config_key_table[i]);
	free(cfg->path);
	free(cfg->directory);
	free(cfg);
}

struct sluice_config *config_new(void)
{
	struct sluice_config *cfg = calloc(1, sizeof *cfg);
	struct config_error err;

	if (cfg == NULL)
		return NULL;
	for (size_t i = 0; i < KEY_COUNT; i++) {
		/* Defaults are absolute or empty: no directory needed. They
		 * parse (the unit tests load each one); only memory can fail. */
		if (!config_set_value(cfg, &config_key_table[i], config_key_table[i].default_text, NULL,
				      &err)) {
			config_free(cfg);
			return NULL;
		}
	}
	return cfg;
}

bool config_check_value(const struct config_key *key, const char *text, const char *directory,
			struct config_error *err)
{
	struct sluice_config *scratch = config_new();
	bool ok;

	err->line = 0;
	if (scratch == NULL)
		return config_fail(err, "out of memory");
	ok = config_set_value(scratch, key, text, directory, err);
	config_free(scratch);
	return ok;
}
