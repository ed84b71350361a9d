/*
 * conf/value.h: the value types of sluice.ini, parsed from and formatted
 * back to text. Pure string functions (input paths aside, which are opened
 * to prove they are readable); config.c applies them per key.
 *
 * Parsers take the value as inih hands it over (no surrounding whitespace) and
 * return false with err->message = "what is wrong, and what is allowed";
 * config.c prefixes the file, line and key.
 */
#ifndef SLUICE_CONF_VALUE_H
#define SLUICE_CONF_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"

#define CONFIG_FORMAT_MAX 32 /* a formatted duration, size or int, NUL included */
/* A formatted address: "[host]:65535" is the longest ("unix:" + path is shorter). */
#define CONFIG_ADDRESS_TEXT_MAX (CONFIG_HOST_MAX + sizeof "[]:65535")
#define CONFIG_QUOTE_MAX 72 /* a value quoted in an error message */

/* on/off, yes/no, true/false, 1/0 (any case). */
bool config_parse_bool(const char *text, bool *out, struct config_error *err);

/* DECIMAL: [0-9]+; OCTAL: [0-7]+ (a file mode). In min..max. */
bool config_parse_int(const char *text, enum config_flavor flavor, unsigned long long min,
		      unsigned long long max, unsigned long long *out, struct config_error *err);

/* A whole number followed by ms, s, m, h or d (none = seconds), in min..max ms. */
bool config_parse_duration(const char *text, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms,
			   struct config_error *err);

/* A whole number of bytes followed by nothing, k, m or g (powers of 1024, any case). */
bool config_parse_size(const char *text, uint64_t min, uint64_t max, uint64_t *out, struct config_error *err);

/* "" (kind NONE), host:port, [v6]:port, *:port (LISTEN) or unix:/path
 * (CONNECT; relative against directory), as flavor allows. */
bool config_parse_address(const char *text, enum config_flavor flavor, const char *directory,
			  struct config_address *out, struct config_error *err);

/* One word of values. */
bool config_parse_enum(const char *text, const struct config_enum_value *values, int *out,
		       struct config_error *err);

/* A STRING value of the given flavor, min..max bytes long. */
bool config_check_string(const char *text, enum config_flavor flavor, size_t min, size_t max,
			 struct config_error *err);

/* A tenant name: 1..TSP_TENANT_MAX of [A-Za-z0-9._-], not "." or "..". */
bool config_check_tenant(const char *text, struct config_error *err);
/* A [restic] backup_copy_repositories pattern. */
bool config_check_glob(const char *text, struct config_error *err);
/* A [proxy] proxy_from entry: an IP address or address/bits. */
bool config_check_cidr(const char *text, struct config_error *err);

/* A PATH value made absolute against directory ("" stays ""); INPUT paths
 * must open for reading as a regular file, SOCKET paths fit sun_path.
 * malloc'd; NULL with err set on a problem (or when out of memory). */
char *config_resolve_path(const char *text, enum config_flavor flavor, const char *directory,
			  struct config_error *err);

/* Canonical text: the largest unit that divides exactly ("90s", "5m", "0s"). */
void config_format_duration(uint64_t ms, char out[CONFIG_FORMAT_MAX]);
/* "0", "512", "64k", "16m", "1g". */
void config_format_size(uint64_t bytes, char out[CONFIG_FORMAT_MAX]);
/* "" for NONE, "*:443", "[::1]:443", "host:443", "unix:/path". */
void config_format_address(const struct config_address *address, char out[CONFIG_ADDRESS_TEXT_MAX]);
/* The word for value, or NULL. */
const char *config_enum_name(const struct config_enum_value *values, int value);
/* "a, b or c", for error messages. */
void config_enum_choices(const struct config_enum_value *values, char *out, size_t size);

/* text in double quotes for an error message: cut to fit, and every byte
 * outside printable ASCII shown as '?', so a message never carries what it
 * complains about. */
const char *config_quote(const char *text, char out[CONFIG_QUOTE_MAX]);

/* snprintf into err->message (line left as it is). Returns false, for
 * "return config_fail(err, ...);". */
bool config_fail(struct config_error *err, const char *format, ...) __attribute__((format(printf, 2, 3)));

#endif
