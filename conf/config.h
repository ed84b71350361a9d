/*
 * conf/config.h: sluice's configuration, loaded from one INI file.
 *
 * Every key is declared once in conf/keys.def; this header turns that table
 * into struct sluice_config (one nested struct per INI section, one field per
 * key, named after the key) and declares the loader, the formatter used by
 * --dump-config and config_diff() for reload.
 *
 * A loaded configuration is immutable: reload builds a fresh one with
 * config_load() and swaps pointers, never edits a running one. Pure code: no
 * globals; the only I/O is reading the INI file and checking that the files it
 * names as inputs can be opened.
 */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "protocol/tsp.h"

#define CONFIG_MS_SECOND 1000ULL
#define CONFIG_MS_MINUTE (60 * CONFIG_MS_SECOND)
#define CONFIG_MS_HOUR (60 * CONFIG_MS_MINUTE)
#define CONFIG_MS_DAY (24 * CONFIG_MS_HOUR)
#define CONFIG_KIB 1024ULL
#define CONFIG_MIB (1024 * CONFIG_KIB)
#define CONFIG_GIB (1024 * CONFIG_MIB)

#define CONFIG_ERROR_MAX 768       /* one error message, NUL included */
#define CONFIG_LINE_MAX 65536      /* longest line of an INI file, newline excluded */
#define CONFIG_FILE_MAX (4u << 20) /* largest INI file */
#define CONFIG_HOST_MAX 253        /* a DNS name; IP literals are shorter */
#define CONFIG_UNIX_PATH_MAX 108   /* sizeof sockaddr_un.sun_path on Linux, NUL included */

/* The first problem found. message reads
 * "FILE:LINE: [section] key: what is wrong, and what is allowed"
 * (without LINE when the problem is not on one line, e.g. a required key
 * that is missing). line is 0 then. */
struct config_error {
	unsigned line;
	char message[CONFIG_ERROR_MAX];
};

/* ---- value types of the struct ---- */

enum config_address_kind {
	CONFIG_ADDRESS_NONE = 0, /* the key was left empty */
	CONFIG_ADDRESS_INET,     /* host (or "" = any) and port, for getaddrinfo */
	CONFIG_ADDRESS_UNIX      /* path of a UNIX stream socket */
};

struct config_address {
	enum config_address_kind kind;
	char host[CONFIG_HOST_MAX +
		  1];         /* INET: name or IP literal without brackets; "" = any (listen "*:port") */
	char port[6];         /* INET: decimal, for getaddrinfo's service argument */
	uint16_t port_number; /* INET: the same as a number; 0 = the kernel chooses (listeners only) */
	char path[CONFIG_UNIX_PATH_MAX]; /* UNIX: absolute path */
};

enum config_tls_version { CONFIG_TLS_VERSION_1_2, CONFIG_TLS_VERSION_1_3 };

enum config_maintenance_mode {
	CONFIG_MAINTENANCE_DRAIN, /* tasks open when maintenance began finish (R1, R2) */
	CONFIG_MAINTENANCE_BLOCK, /* everything but job close is refused (R8) */
	CONFIG_MAINTENANCE_HOLD   /* as drain, but what drain refuses waits (hold_timeout) */
};

/* [maintenance] categories is a set of these: bit (1u << TSP_CAT_...). */
enum config_category {
	CONFIG_CATEGORY_BACKUP = TSP_CAT_BACKUP,
	CONFIG_CATEGORY_BACKUP_COPY = TSP_CAT_BACKUP_COPY,
	CONFIG_CATEGORY_REPLICATION = TSP_CAT_REPLICATION
};

/* [proxy] profile: the wire protocol tenants speak (protocol/profile.h). */
enum config_profile { CONFIG_PROFILE_TSP, CONFIG_PROFILE_RESTIC };

/* [proxy] proxy_protocol: the bits are proxy_header.h's enum proxy_header_mode. */
enum config_proxy_protocol {
	CONFIG_PROXY_PROTOCOL_OFF = 0,
	CONFIG_PROXY_PROTOCOL_V1 = 1,
	CONFIG_PROXY_PROTOCOL_V2 = 2,
	CONFIG_PROXY_PROTOCOL_ANY = 3
};

enum config_log_level {
	CONFIG_LOG_ERROR,
	CONFIG_LOG_WARNING,
	CONFIG_LOG_NOTICE,
	CONFIG_LOG_INFO,
	CONFIG_LOG_DEBUG
};

enum config_log_target { CONFIG_LOG_TO_STDERR, CONFIG_LOG_TO_SYSLOG, CONFIG_LOG_TO_FILE };

/* The values are syslog(3)'s, ready for openlog(). */
enum config_syslog_facility {
	CONFIG_FACILITY_DAEMON = LOG_DAEMON,
	CONFIG_FACILITY_USER = LOG_USER,
	CONFIG_FACILITY_LOCAL0 = LOG_LOCAL0,
	CONFIG_FACILITY_LOCAL1 = LOG_LOCAL1,
	CONFIG_FACILITY_LOCAL2 = LOG_LOCAL2,
	CONFIG_FACILITY_LOCAL3 = LOG_LOCAL3,
	CONFIG_FACILITY_LOCAL4 = LOG_LOCAL4,
	CONFIG_FACILITY_LOCAL5 = LOG_LOCAL5,
	CONFIG_FACILITY_LOCAL6 = LOG_LOCAL6,
	CONFIG_FACILITY_LOCAL7 = LOG_LOCAL7
};

/* One [schedule] window entry (conf/window.h parses and formats it;
 * proxy/policy/schedule.h computes with it). */
enum config_window_kind {
	CONFIG_WINDOW_ABSOLUTE, /* start/end as ISO 8601 instants */
	CONFIG_WINDOW_WEEKLY    /* a day of the week and two wall-clock times in [schedule] timezone */
};

struct config_window {
	enum config_window_kind kind;
	int64_t start, end; /* ABSOLUTE: seconds since the epoch, start < end, [start, end) */
	int day;            /* WEEKLY: 0 = Sunday .. 6 = Saturday (struct tm's tm_wday) */
	int start_minute;   /* WEEKLY: minutes after local midnight, 0..1439 */
	int end_minute;     /* WEEKLY: the same; at or before start_minute = the next day */
};

/* ---- the struct, generated from keys.def ---- */

/* clang-format off */
#define CONFIG_FIELD_STRING(name, e) char *name;
#define CONFIG_FIELD_PATH(name, e) char *name;
#define CONFIG_FIELD_BOOL(name, e) bool name;
#define CONFIG_FIELD_INT(name, e) int name;
#define CONFIG_FIELD_DURATION(name, e) uint64_t name##_ms;
#define CONFIG_FIELD_SIZE(name, e) size_t name;
#define CONFIG_FIELD_ADDRESS(name, e) struct config_address name;
#define CONFIG_FIELD_ADDRESSES(name, e) struct config_address *name; size_t name##_count;
#define CONFIG_FIELD_ENUM(name, e) enum config_##e name;
#define CONFIG_FIELD_ENUM_SET(name, e) unsigned name;
#define CONFIG_FIELD_NAMES(name, e) char **name; size_t name##_count;
#define CONFIG_FIELD_WINDOWS(name, e) struct config_window *name; size_t name##_count;

struct sluice_config {
#define CONFIG_SECTION(section) struct config_##section {
#define CONFIG_SECTION_END(section) } section;
#define CONFIG_KEY(section, name, type, min, max, flavor, def, reload, description) \
	CONFIG_FIELD_##type(name, flavor)
#include "conf/keys.def"
	/* clang-format on */
	char *path;       /* the INI file, as given to config_load() */
	char *directory;  /* its directory, absolute: relative paths in the file are resolved against it */
	time_t loaded_at; /* wall-clock time of the load */
};

/* ---- the key table, for the formatter, docs and tools ---- */

enum config_type {
	CONFIG_STRING,
	CONFIG_PATH,
	CONFIG_BOOL,
	CONFIG_INT,
	CONFIG_DURATION,
	CONFIG_SIZE,
	CONFIG_ADDRESS,
	CONFIG_ADDRESSES,
	CONFIG_ENUM,
	CONFIG_ENUM_SET,
	CONFIG_NAMES,
	CONFIG_WINDOWS /* repeatable: each line (and each comma-separated entry) adds windows */
};

/* Refinements of a type (keys.def's FLAVOR column). */
enum config_flavor {
	CONFIG_FLAVOR_NONE,
	CONFIG_FLAVOR_TEXT,     /* STRING: UTF-8, no control characters */
	CONFIG_FLAVOR_HOSTNAME, /* STRING: a DNS name or IP literal */
	CONFIG_FLAVOR_USER,     /* STRING: a user name */
	CONFIG_FLAVOR_CIPHERS,  /* STRING: an OpenSSL cipher list (checked by OpenSSL when TLS is set up) */
	CONFIG_FLAVOR_INPUT,    /* PATH: a file sluice reads; must be readable at load time */
	CONFIG_FLAVOR_OUTPUT,   /* PATH: a file sluice writes */
	CONFIG_FLAVOR_SOCKET,   /* PATH: a UNIX socket sluice creates (length bounded by sun_path) */
	CONFIG_FLAVOR_DECIMAL,  /* INT */
	CONFIG_FLAVOR_OCTAL,    /* INT: a file mode */
	CONFIG_FLAVOR_CONNECT,  /* ADDRESS: host:port, [v6]:port or unix:/path; port 1..65535 */
	CONFIG_FLAVOR_LISTEN,   /* ADDRESS: host:port, [v6]:port or *:port; port 0..65535 */
	CONFIG_FLAVOR_LOOPBACK, /* ADDRESS: like LISTEN, on a loopback address only */
	CONFIG_FLAVOR_TENANT,   /* NAMES: 1..64 of [A-Za-z0-9._-], not "." or ".." */
	CONFIG_FLAVOR_GLOB,     /* NAMES: fnmatch(3) patterns, 1..255 visible ASCII bytes */
	CONFIG_FLAVOR_CIDR,     /* NAMES: IP addresses or address/bits prefixes (proxy_header.h) */
	CONFIG_FLAVOR_TIMEZONE, /* STRING: an IANA time zone with a file under /usr/share/zoneinfo */
	CONFIG_FLAVOR_INSTANT,  /* STRING: "" or an ISO 8601 instant with seconds, Z or +-HH:MM (window.h) */
	CONFIG_FLAVOR_AUTO      /* DURATION: also the word auto (CONFIG_DURATION_AUTO);
				 * INT: also the word auto, stored as 0 */
};

/* A DURATION of flavor AUTO set to the word auto. */
#define CONFIG_DURATION_AUTO UINT64_MAX

/* One allowed word of an ENUM or ENUM_SET key. Tables end with name == NULL. */
struct config_enum_value {
	const char *name;
	int value;
};

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	enum config_flavor flavor;
	unsigned long long min, max;            /* see keys.def: length, value, ms, bytes or entries */
	const struct config_enum_value *values; /* ENUM and ENUM_SET only */
	const char *default_text;
	bool reloadable;
	const char *description;
	size_t offset;       /* of the field in struct sluice_config */
	size_t count_offset; /* of name_count, for ADDRESSES, NAMES and WINDOWS */
};

/* The table, in keys.def order. */
const struct config_key *config_keys(size_t *count);

/* The key [section] name, or NULL. */
const struct config_key *config_key_find(const char *section, const char *name);

/* "string", "duration", "list of addresses", ... */
const char *config_type_name(const struct config_key *key);

/* ---- loading ---- */

/* A configuration holding every default (which is not a valid one: upstream
 * and the certificate have none). NULL when out of memory. */
struct sluice_config *config_new(void);

/* Parse and validate the INI file at path into a fresh configuration. On
 * success *out owns it (free with config_free()); on failure *out is
 * untouched and err holds the first problem. */
bool config_load(const char *path, struct sluice_config **out, struct config_error *err);

/* Parse one value for key as config_load() would (relative paths against
 * directory), without touching any configuration: for tools that edit the
 * INI file and must not write a value the loader rejects. err gets the reason
 * only, without file or key. */
bool config_check_value(const struct config_key *key, const char *text, const char *directory,
			struct config_error *err);

void config_free(struct sluice_config *cfg);

/* ---- formatting, dump and diff ---- */

/* The value of key in cfg as text, in the syntax the loader reads back
 * (canonical: "5m", "64k", "on", "a, b"). malloc'd; NULL when out of memory. */
char *config_value_text(const struct sluice_config *cfg, const struct config_key *key);

/* Write every effective value as an INI file that config_load() reads back
 * to the same configuration. False on a write error or out of memory. */
bool config_dump(const struct sluice_config *cfg, FILE *out);

struct config_change {
	const struct config_key *key;
	const char *old_text; /* as config_value_text() */
	const char *new_text;
	bool reloadable; /* false: the running process keeps the old value until a restart */
};

typedef void config_change_fn(const struct config_change *change, void *user);

/* Call fn (unless NULL) once per key whose value differs between old and
 * new, in table order. Returns the number of changed keys, or -1 when out of
 * memory. */
int config_diff(const struct sluice_config *old, const struct sluice_config *new_cfg, config_change_fn *fn,
		void *user);

/* ---- helpers for users of the struct ---- */

/* For libev timers. */
static inline double config_seconds(uint64_t ms)
{
	return (double)ms / 1000.0;
}

/* Whether [maintenance] categories holds category. */
static inline bool config_category_in(unsigned set, enum tsp_category category)
{
	return category < 32 && (set & (1u << category)) != 0;
}

#endif
