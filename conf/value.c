/*
 * conf/value.c: parsers and formatters of sluice.ini's value types.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/value.h"
#include "proxy_header.h"

bool config_fail(struct config_error *err, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(err->message, sizeof err->message, format, ap);
	va_end(ap);
	return false;
}

const char *config_quote(const char *text, char out[CONFIG_QUOTE_MAX])
{
	const size_t room = CONFIG_QUOTE_MAX - sizeof "\"...\"";
	size_t i, n = 0;

	out[n++] = '"';
	for (i = 0; text[i] != '\0' && i < room; i++) {
		unsigned char c = (unsigned char)text[i];
		out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (text[i] != '\0') {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Leading digits of text in base 8 or 10 into *out; *end after them.
 * False when there are none or the number does not fit 64 bits. */
static bool parse_digits(const char *text, unsigned base, uint64_t *out, const char **end)
{
	uint64_t value = 0;
	const char *p = text;

	for (; is_digit(*p) && (unsigned)(*p - '0') < base; p++) {
		unsigned digit = (unsigned)(*p - '0');
		if (value > (UINT64_MAX - digit) / base)
			return false;
		value = value * base + digit;
	}
	*out = value;
	*end = p;
	return p != text;
}

bool config_parse_bool(const char *text, bool *out, struct config_error *err)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	char q[CONFIG_QUOTE_MAX];

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return config_fail(err, "%s is not a boolean; use on or off (yes/no, true/false, 1/0)",
			   config_quote(text, q));
}

bool config_parse_int(const char *text, enum config_flavor flavor, unsigned long long min,
		      unsigned long long max, unsigned long long *out, struct config_error *err)
{
	bool octal = flavor == CONFIG_FLAVOR_OCTAL;
	char q[CONFIG_QUOTE_MAX];
	const char *end;
	uint64_t value;

	if (!parse_digits(text, octal ? 8 : 10, &value, &end) || *end != '\0') {
		if (octal)
			return config_fail(err,
					   "%s is not an octal file mode; use octal digits from %04llo to %04llo",
					   config_quote(text, q), min, max);
		return config_fail(err, "%s is not a whole number; use a decimal number from %llu to %llu",
				   config_quote(text, q), min, max);
	}
	if (value < min || value > max) {
		if (octal)
			return config_fail(err, "%s is out of range; use %04llo to %04llo", text, min, max);
		return config_fail(err, "%s is out of range; use %llu to %llu", text, min, max);
	}
	*out = value;
	return true;
}

struct unit {
	const char *suffix;
	uint64_t factor;
};

/* Largest first: the formatters pick the first unit that divides exactly. */
static const struct unit duration_units[] = {
	{ "d", CONFIG_MS_DAY },
	{ "h", CONFIG_MS_HOUR },
	{ "m", CONFIG_MS_MINUTE },
	{ "s", CONFIG_MS_SECOND },
	{ "ms", 1 },
	{ NULL, 0 },
};

static const struct unit size_units[] = {
	{ "g", CONFIG_GIB }, { "m", CONFIG_MIB }, { "k", CONFIG_KIB }, { "", 1 }, { NULL, 0 },
};

/* digits + one of units (compared with cmp) into *out. */
static bool parse_with_unit(const char *text, const struct unit *units, uint64_t bare_factor,
			    int (*cmp)(const char *, const char *), uint64_t *out)
{
	const char *end;
	uint64_t number, factor = 0;

	if (!parse_digits(text, 10, &number, &end))
		return false;
	if (*end == '\0') {
		factor = bare_factor;
	} else {
		for (const struct unit *u = units; u->suffix != NULL; u++) {
			if (u->suffix[0] != '\0' && cmp(end, u->suffix) == 0)
				factor = u->factor;
		}
	}
	if (factor == 0 || (number != 0 && number > UINT64_MAX / factor))
		return false;
	*out = number * factor;
	return true;
}

static void format_with_unit(uint64_t value, const struct unit *units, const char *zero,
			     char out[CONFIG_FORMAT_MAX])
{
	if (value == 0) {
		snprintf(out, CONFIG_FORMAT_MAX, "%s", zero);
		return;
	}
	for (const struct unit *u = units; u->suffix != NULL; u++) {
		if (value % u->factor == 0) {
			snprintf(out, CONFIG_FORMAT_MAX, "%llu%s", (unsigned long long)(value / u->factor),
				 u->suffix);
			return;
		}
	}
}

bool config_parse_duration(const char *text, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms,
			   struct config_error *err)
{
	char q[CONFIG_QUOTE_MAX], low[CONFIG_FORMAT_MAX], high[CONFIG_FORMAT_MAX];
	uint64_t ms;

	config_format_duration(min_ms, low);
	config_format_duration(max_ms, high);
	if (!parse_with_unit(text, duration_units, CONFIG_MS_SECOND, strcmp, &ms))
		return config_fail(err,
				   "%s is not a duration; use a whole number with ms, s, m, h or d "
				   "(none = seconds) from %s to %s",
				   config_quote(text, q), low, high);
	if (ms < min_ms || ms > max_ms)
		return config_fail(err, "%s is out of range; use %s to %s", text, low, high);
	*out_ms = ms;
	return true;
}

bool config_parse_size(const char *text, uint64_t min, uint64_t max, uint64_t *out, struct config_error *err)
{
	char q[CONFIG_QUOTE_MAX], low[CONFIG_FORMAT_MAX], high[CONFIG_FORMAT_MAX];
	uint64_t bytes;

	config_format_size(min, low);
	config_format_size(max, high);
	if (!parse_with_unit(text, size_units, 1, strcasecmp, &bytes))
		return config_fail(err,
				   "%s is not a size; use a whole number of bytes with k, m or g "
				   "(powers of 1024) or none, from %s to %s",
				   config_quote(text, q), low, high);
	if (bytes < min || bytes > max)
		return config_fail(err, "%s is out of range; use %s to %s", text, low, high);
	*out = bytes;
	return true;
}

void config_format_duration(uint64_t ms, char out[CONFIG_FORMAT_MAX])
{
	format_with_unit(ms, duration_units, "0s", out);
}

void config_format_size(uint64_t bytes, char out[CONFIG_FORMAT_MAX])
{
	format_with_unit(bytes, size_units, "0", out);
}

const char *config_enum_name(const struct config_enum_value *values, int value)
{
	for (; values->name != NULL; values++) {
		if (values->value == value)
			return values->name;
	}
	return NULL;
}

void config_enum_choices(const struct config_enum_value *values, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (const struct config_enum_value *v = values; v->name != NULL && used < size; v++) {
		const char *sep = v == values ? "" : v[1].name == NULL ? " or " : ", ";
		int n = snprintf(out + used, size - used, "%s%s", sep, v->name);
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

bool config_parse_enum(const char *text, const struct config_enum_value *values, int *out,
		       struct config_error *err)
{
	char q[CONFIG_QUOTE_MAX], choices[256];

	for (const struct config_enum_value *v = values; v->name != NULL; v++) {
		if (strcmp(text, v->name) == 0) {
			*out = v->value;
			return true;
		}
	}
	config_enum_choices(values, choices, sizeof choices);
	return config_fail(err, "%s is not allowed; use %s", config_quote(text, q), choices);
}

/* Length of the UTF-8 sequence at s if it is a valid, shortest-form,
 * non-surrogate code point that is not a C1 control; 0 otherwise. */
static size_t utf8_char(const unsigned char *s)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

static bool check_text(const char *text, struct config_error *err)
{
	const unsigned char *s = (const unsigned char *)text;

	for (size_t i = 0; s[i] != '\0';) {
		size_t len;
		if (s[i] < 0x20 || s[i] == 0x7f)
			return config_fail(err,
					   "control character 0x%02x at byte %zu; use printable text "
					   "(UTF-8) on one line",
					   s[i], i + 1);
		len = utf8_char(s + i);
		if (len == 0)
			return config_fail(err,
					   "invalid UTF-8 or a control character at byte %zu; use "
					   "printable UTF-8 text",
					   i + 1);
		i += len;
	}
	return true;
}

/* Every byte of text is alphanumeric or in extra. */
static bool only_chars(const char *text, const char *extra)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (!is_alnum(*p) && strchr(extra, *p) == NULL)
			return false;
	}
	return true;
}

bool config_check_string(const char *text, enum config_flavor flavor, size_t min, size_t max,
			 struct config_error *err)
{
	size_t len = strlen(text);
	char q[CONFIG_QUOTE_MAX];

	if (len < min || len > max) {
		if (min > 0 && len == 0)
			return config_fail(err, "must not be empty; use 1 to %zu bytes", max);
		return config_fail(err, "is %zu bytes long; use %zu to %zu bytes", len, min, max);
	}
	switch (flavor) {
	case CONFIG_FLAVOR_HOSTNAME:
		if (only_chars(text, ".-:") && text[0] != '-' && text[0] != '.')
			return true;
		return config_fail(err,
				   "%s is not a host name; use letters, digits, '.' and '-' "
				   "(or an IP address)",
				   config_quote(text, q));
	case CONFIG_FLAVOR_USER:
		if (only_chars(text, "._-") && text[0] != '-')
			return true;
		return config_fail(err, "%s is not a user name; use letters, digits, '.', '_' and '-'",
				   config_quote(text, q));
	case CONFIG_FLAVOR_CIPHERS:
		if (only_chars(text, ":+!@=_.,-"))
			return true;
		return config_fail(err,
				   "%s is not an OpenSSL cipher list; use names separated by ':' "
				   "(letters, digits and + ! @ = _ . , -)",
				   config_quote(text, q));
	default:
		return check_text(text, err);
	}
}

bool config_check_tenant(const char *text, struct config_error *err)
{
	size_t len = strlen(text);
	char q[CONFIG_QUOTE_MAX];

	if (len == 0 || len > TSP_TENANT_MAX || !only_chars(text, "._-") || strcmp(text, ".") == 0 ||
	    strcmp(text, "..") == 0)
		return config_fail(err,
				   "%s is not a tenant name; use 1 to %d letters, digits, '.', '_' "
				   "or '-' (not \".\" or \"..\")",
				   config_quote(text, q), TSP_TENANT_MAX);
	return true;
}

bool config_check_glob(const char *text, struct config_error *err)
{
	size_t len = strlen(text);
	char q[CONFIG_QUOTE_MAX];

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x21 || (unsigned char)text[i] > 0x7e)
			len = 0;
	if (len == 0 || len > TSP_REPOSITORY_MAX)
		return config_fail(err,
				   "%s is not a repository pattern; use 1 to %d visible ASCII "
				   "characters, such as /*/offsite*",
				   config_quote(text, q), TSP_REPOSITORY_MAX);
	return true;
}

bool config_check_cidr(const char *text, struct config_error *err)
{
	struct proxy_cidr cidr;
	char q[CONFIG_QUOTE_MAX];

	if (!proxy_cidr_parse(text, &cidr))
		return config_fail(err,
				   "%s is not an IP address or prefix; use an address (192.0.2.7, ::1) "
				   "or address/bits with no bit set past the prefix (10.0.0.0/8)",
				   config_quote(text, q));
	return true;
}

/* ---- addresses ---- */

static bool is_loopback(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &v6) == 1 && memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
}

static bool parse_port(const char *text, enum config_flavor flavor, struct config_address *out,
		       struct config_error *err)
{
	unsigned long long low = flavor == CONFIG_FLAVOR_CONNECT ? 1 : 0, port;
	char q[CONFIG_QUOTE_MAX];

	if (strlen(text) > 5 || !config_parse_int(text, CONFIG_FLAVOR_DECIMAL, low, 65535, &port, err))
		return config_fail(err, "port %s is not allowed; use %llu to 65535%s", config_quote(text, q),
				   low, low == 0 ? " (0 = the kernel chooses)" : "");
	out->port_number = (uint16_t)port;
	snprintf(out->port, sizeof out->port, "%u", out->port_number);
	return true;
}

/* host is what stands before the port: "*", "[v6]", a name or IPv4. */
static bool parse_host(const char *host, size_t len, enum config_flavor flavor, struct config_address *out,
		       struct config_error *err)
{
	struct in_addr v4;
	struct in6_addr v6;
	char q[CONFIG_QUOTE_MAX];

	if (len == 1 && host[0] == '*' && flavor == CONFIG_FLAVOR_LISTEN) {
		out->host[0] = '\0';
		return true;
	}
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
		if (len >= sizeof out->host)
			return config_fail(err, "IPv6 address too long");
		memcpy(out->host, host, len);
		out->host[len] = '\0';
		if (inet_pton(AF_INET6, out->host, &v6) != 1)
			return config_fail(err, "%s is not an IPv6 address; write [v6]:port, e.g. [::1]:443",
					   config_quote(out->host, q));
	} else {
		if (len == 0 || len >= sizeof out->host)
			return config_fail(err, "the host is %s; use host:port, [v6]:port%s",
					   len == 0 ? "missing" : "too long",
					   flavor == CONFIG_FLAVOR_LISTEN ? " or *:port" : "");
		memcpy(out->host, host, len);
		out->host[len] = '\0';
		if (!only_chars(out->host, ".-") || out->host[0] == '-' || out->host[0] == '.')
			return config_fail(err,
					   "%s is not a host name or IPv4 address; IPv6 addresses go in "
					   "brackets ([::1]:443)%s",
					   config_quote(out->host, q),
					   flavor == CONFIG_FLAVOR_LISTEN ? ", any address is *:port" : "");
		/* All digits and dots: no DNS name looks like that, so it must be IPv4. */
		if (strspn(out->host, "0123456789.") == len && inet_pton(AF_INET, out->host, &v4) != 1)
			return config_fail(err,
					   "%s is not an IPv4 address; use four numbers 0-255, e.g. "
					   "127.0.0.1",
					   config_quote(out->host, q));
	}
	if (flavor == CONFIG_FLAVOR_LOOPBACK && !is_loopback(out->host))
		return config_fail(err,
				   "%s is not a loopback address; the admin endpoint serves local "
				   "clients only: use 127.0.0.1:port, [::1]:port or localhost:port",
				   config_quote(out->host, q));
	return true;
}

bool config_parse_address(const char *text, enum config_flavor flavor, const char *directory,
			  struct config_address *out, struct config_error *err)
{
	struct config_address address;
	const char *colon;
	char q[CONFIG_QUOTE_MAX];

	memset(&address, 0, sizeof address);
	if (text[0] == '\0') {
		*out = address;
		return true;
	}
	if (strncmp(text, "unix:", 5) == 0) {
		char *path;
		if (flavor != CONFIG_FLAVOR_CONNECT)
			return config_fail(err,
					   "a UNIX socket is not allowed here; use host:port or [v6]:port");
		path = config_resolve_path(text + 5, CONFIG_FLAVOR_SOCKET, directory, err);
		if (path == NULL)
			return false;
		if (path[0] == '\0') {
			free(path);
			return config_fail(err, "the UNIX socket path is missing; use unix:/path/to/socket");
		}
		address.kind = CONFIG_ADDRESS_UNIX;
		snprintf(address.path, sizeof address.path, "%s", path);
		free(path);
		*out = address;
		return true;
	}
	colon = strrchr(text, ':');
	if (colon == NULL || (strchr(text, ']') != NULL && colon < strchr(text, ']')))
		return config_fail(err, "%s has no port; use host:port, [v6]:port%s", config_quote(text, q),
				   flavor == CONFIG_FLAVOR_CONNECT  ? " or unix:/path"
				   : flavor == CONFIG_FLAVOR_LISTEN ? " or *:port"
								    : "");
	address.kind = CONFIG_ADDRESS_INET;
	if (!parse_host(text, (size_t)(colon - text), flavor, &address, err) ||
	    !parse_port(colon + 1, flavor, &address, err))
		return false;
	*out = address;
	return true;
}

void config_format_address(const struct config_address *address, char out[CONFIG_ADDRESS_TEXT_MAX])
{
	switch (address->kind) {
	case CONFIG_ADDRESS_NONE:
		out[0] = '\0';
		break;
	case CONFIG_ADDRESS_UNIX:
		snprintf(out, CONFIG_ADDRESS_TEXT_MAX, "unix:%s", address->path);
		break;
	case CONFIG_ADDRESS_INET:
		if (address->host[0] == '\0')
			snprintf(out, CONFIG_ADDRESS_TEXT_MAX, "*:%s", address->port);
		else if (strchr(address->host, ':') != NULL)
			snprintf(out, CONFIG_ADDRESS_TEXT_MAX, "[%s]:%s", address->host, address->port);
		else
			snprintf(out, CONFIG_ADDRESS_TEXT_MAX, "%s:%s", address->host, address->port);
		break;
	}
}

/* ---- paths ---- */

static bool check_readable(const char *path, struct config_error *err)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO named by mistake must not hang the loader. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return config_fail(err, "cannot read %s: %s; name a readable file", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return config_fail(err, "%s is not a regular file; name a readable file", path);
	}
	close(fd);
	return true;
}

char *config_resolve_path(const char *text, enum config_flavor flavor, const char *directory,
			  struct config_error *err)
{
	char *path;
	size_t len;

	if (!check_text(text, err))
		return NULL;
	if (text[0] == '\0' || text[0] == '/' || directory == NULL) {
		path = strdup(text);
	} else {
		size_t size = strlen(directory) + 1 + strlen(text) + 1;
		path = malloc(size);
		if (path != NULL)
			snprintf(path, size, "%s/%s", directory, text);
	}
	if (path == NULL) {
		config_fail(err, "out of memory");
		return NULL;
	}
	len = strlen(path);
	if (len >= PATH_MAX || (flavor == CONFIG_FLAVOR_SOCKET && len >= CONFIG_UNIX_PATH_MAX)) {
		config_fail(err, "path %s is %zu bytes long; use at most %d%s", path, len,
			    flavor == CONFIG_FLAVOR_SOCKET ? CONFIG_UNIX_PATH_MAX - 1 : PATH_MAX - 1,
			    flavor == CONFIG_FLAVOR_SOCKET ? " (the limit of a UNIX socket address)" : "");
		free(path);
		return NULL;
	}
	if (path[0] != '/' && path[0] != '\0') {
		config_fail(err, "%s is relative; use an absolute path", path);
		free(path);
		return NULL;
	}
	if (flavor == CONFIG_FLAVOR_INPUT && path[0] != '\0' && !check_readable(path, err)) {
		free(path);
		return NULL;
	}
	return path;
}
