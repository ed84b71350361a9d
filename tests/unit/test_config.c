/*
 * tests/unit/test_config.c: loading sluice.ini (conf/): defaults from the
 * key table, the INI syntax as sluice reads it (inih behind a line reader),
 * errors with file, line and key, the cross-key rules, and dump, reload diff
 * and check_value. Every test writes its files into its own mkdtemp directory.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf_fixture.h"
#include "config.h"
#include "window.h"

#define MINIMAL CONF_MINIMAL

static void assert_error_has(const struct config_error *err, const char *part)
{
	if (strstr(err->message, part) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err->message, part);
}

/* The load fails at line (0 = no line) with a message holding part, and the
 * message starts with "FILE:LINE: " (or "FILE: "). */
static void assert_load_fails(struct conf_fixture *f, const char *text, unsigned line, const char *part)
{
	char prefix[PATH_MAX + 64];

	if (conf_fixture_load(f, text))
		fail_msg("loaded, expected an error containing \"%s\"", part);
	assert_null(f->cfg);
	if (f->err.line != line)
		fail_msg("error at line %u, expected %u: %s", f->err.line, line, f->err.message);
	if (line > 0)
		snprintf(prefix, sizeof prefix, "%s/sluice.ini:%u: ", f->dir, line);
	else
		snprintf(prefix, sizeof prefix, "%s/sluice.ini: ", f->dir);
	if (strncmp(f->err.message, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", f->err.message, prefix);
	assert_error_has(&f->err, part);
}

static void assert_loads(struct conf_fixture *f, const char *text)
{
	if (!conf_fixture_load(f, text))
		fail_msg("refused: %s", f->err.message);
}

static char *value_of(const struct sluice_config *cfg, const char *section, const char *name)
{
	const struct config_key *key = config_key_find(section, name);

	assert_non_null(key);
	return config_value_text(cfg, key);
}

static void assert_value(const struct sluice_config *cfg, const char *section, const char *name,
			 const char *expect)
{
	char *text = value_of(cfg, section, name);

	assert_non_null(text);
	assert_string_equal(text, expect);
	free(text);
}

/* ---- the table and its defaults ---- */

static void test_every_default_round_trips(void **state)
{
	size_t count;
	const struct config_key *keys = config_keys(&count);
	struct sluice_config *cfg = config_new();

	(void)state;
	assert_non_null(cfg);
	assert_true(count >= 40);
	for (size_t i = 0; i < count; i++) {
		char *text = config_value_text(cfg, &keys[i]);
		assert_non_null(text);
		if (strcmp(text, keys[i].default_text) != 0)
			fail_msg("[%s] %s: default \"%s\" formats as \"%s\"", keys[i].section, keys[i].name,
				 keys[i].default_text, text);
		free(text);
		assert_non_null(keys[i].description);
		assert_true(strlen(keys[i].description) > 10);
		assert_ptr_equal(config_key_find(keys[i].section, keys[i].name), &keys[i]);
	}
	config_free(cfg);
}

static void test_defaults_in_the_struct(void **state)
{
	struct sluice_config *cfg = config_new();

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(cfg->proxy.listen_count, 1);
	assert_string_equal(cfg->proxy.listen[0].host, "");
	assert_int_equal(cfg->proxy.listen[0].port_number, 443);
	assert_int_equal(cfg->proxy.upstream.kind, CONFIG_ADDRESS_NONE);
	assert_true(cfg->tls.enabled);
	assert_int_equal(cfg->tls.min_version, CONFIG_TLS_VERSION_1_2);
	assert_int_equal(cfg->tls.ticket_rotation_ms, 12 * CONFIG_MS_HOUR);
	assert_false(cfg->maintenance.enabled);
	assert_int_equal(cfg->maintenance.mode, CONFIG_MAINTENANCE_DRAIN);
	assert_string_equal(cfg->maintenance.message,
			    "Service provider is currently undergoing scheduled maintenance.");
	assert_true(config_category_in(cfg->maintenance.categories, TSP_CAT_BACKUP));
	assert_true(config_category_in(cfg->maintenance.categories, TSP_CAT_BACKUP_COPY));
	assert_false(config_category_in(cfg->maintenance.categories, TSP_CAT_REPLICATION));
	assert_false(config_category_in(cfg->maintenance.categories, TSP_CAT_RESTORE));
	assert_int_equal(cfg->tenants.disabled_count, 0);
	assert_int_equal(cfg->limits.header_bytes, 16384);
	assert_int_equal(cfg->limits.buffer_bytes, 65536);
	assert_int_equal(cfg->limits.max_headers, 64);
	assert_int_equal(cfg->timeouts.idle_ms, 5 * CONFIG_MS_MINUTE);
	assert_int_equal(cfg->log.level, CONFIG_LOG_NOTICE);
	assert_int_equal(cfg->log.syslog_facility, LOG_DAEMON);
	assert_int_equal(cfg->admin.socket_mode, 0660);
	assert_string_equal(cfg->admin.socket, "/run/sluice/admin.sock");
	assert_true(config_seconds(cfg->timeouts.handshake_ms) == 10.0);
	config_free(cfg);
}

static void test_minimal_file(void **state)
{
	struct conf_fixture *f = *state;
	char expect[PATH_MAX + 64];

	assert_loads(f, MINIMAL);
	assert_int_equal(f->cfg->proxy.upstream.kind, CONFIG_ADDRESS_INET);
	assert_string_equal(f->cfg->proxy.upstream.host, "127.0.0.1");
	assert_string_equal(f->cfg->proxy.upstream.port, "9000");
	snprintf(expect, sizeof expect, "%s/test.crt", f->dir);
	assert_string_equal(f->cfg->tls.certificate, expect);
	assert_string_equal(f->cfg->directory, f->dir);
	snprintf(expect, sizeof expect, "%s/sluice.ini", f->dir);
	assert_string_equal(f->cfg->path, expect);
	assert_true(f->cfg->loaded_at > 0);
}

static void test_every_type_in_a_file(void **state)
{
	struct conf_fixture *f = *state;

	assert_loads(f, MINIMAL
		     "[proxy]\nlisten = 127.0.0.1:8443, [::1]:8443 ,*:0\n"
		     "[maintenance]\nenabled = yes\nmode = block\nretry_after = 90\ncategories = replication,backup\n"
		     "[tenants]\ndisabled = acme, globex.eu\n"
		     "[limits]\nheader_bytes = 32K\n"
		     "[log]\nlevel = debug\nsyslog_facility = local3\n"
		     "[admin]\nsocket_mode = 600\nlisten = [::1]:0\n");
	assert_int_equal(f->cfg->proxy.listen_count, 3);
	assert_string_equal(f->cfg->proxy.listen[1].host, "::1");
	assert_int_equal(f->cfg->proxy.listen[2].port_number, 0);
	assert_true(f->cfg->maintenance.enabled);
	assert_int_equal(f->cfg->maintenance.mode, CONFIG_MAINTENANCE_BLOCK);
	assert_int_equal(f->cfg->maintenance.retry_after_ms, 90000);
	assert_int_equal(f->cfg->maintenance.categories,
			 (1u << TSP_CAT_BACKUP) | (1u << TSP_CAT_REPLICATION));
	assert_int_equal(f->cfg->tenants.disabled_count, 2);
	assert_string_equal(f->cfg->tenants.disabled[1], "globex.eu");
	assert_int_equal(f->cfg->limits.header_bytes, 32768);
	assert_int_equal(f->cfg->log.level, CONFIG_LOG_DEBUG);
	assert_int_equal(f->cfg->log.syslog_facility, LOG_LOCAL3);
	assert_int_equal(f->cfg->admin.socket_mode, 0600);
	assert_int_equal(f->cfg->admin.listen.kind, CONFIG_ADDRESS_INET);
	assert_value(f->cfg, "proxy", "listen", "127.0.0.1:8443, [::1]:8443, *:0");
	assert_value(f->cfg, "maintenance", "categories", "backup, replication");
	assert_value(f->cfg, "maintenance", "retry_after", "90s");
	assert_value(f->cfg, "admin", "socket_mode", "0600");
}

/* ---- the INI syntax ---- */

static void test_unknown_section(void **state)
{
	assert_load_fails(*state, MINIMAL "[proxy]\n\n[tsl]\ncertificate = x\n", 8,
			  "unknown section [tsl]; the sections are [proxy], [tls], ");
}

static void test_unknown_section_without_keys(void **state)
{
	assert_load_fails(*state, MINIMAL "[maintenance]\n[Maintenance]\n", 7,
			  "unknown section [Maintenance]");
}

static void test_unknown_key(void **state)
{
	assert_load_fails(*state, MINIMAL "[maintenance]\nenable = on\n", 7,
			  "[maintenance] \"enable\": unknown key; [maintenance] has enabled, mode, message, ");
}

static void test_duplicate_key(void **state)
{
	assert_load_fails(*state, MINIMAL "[proxy]\nbacklog = 10\n; again\nbacklog = 20\n", 9,
			  "[proxy] backlog: set twice (first on line 7); keep one");
}

static void test_key_before_any_section(void **state)
{
	assert_load_fails(*state, "upstream = 127.0.0.1:9000\n" MINIMAL, 1,
			  "sluice.ini:1: \"upstream\": key before the first [section]; put it under its section");
}

static void test_line_that_is_not_ini(void **state)
{
	assert_load_fails(*state, MINIMAL "[proxy]\nbacklog 10\n", 7,
			  "\"backlog 10\" is not key = value, a [section] or a comment");
	assert_load_fails(*state, MINIMAL "[proxy\n", 6, "a section header needs a closing ']'");
	assert_load_fails(*state, MINIMAL "[proxy] backlog = 3\n", 6, "text after a section header");
}

static void test_error_line_counts_every_line(void **state)
{
	char text[4096];

	/* Comments, blank lines, CRLF, a BOM and a long line before the error. */
	snprintf(text, sizeof text,
		 "\xEF\xBB\xBF; comment\r\n\r\n# another\r\n" MINIMAL "[tls]\nciphers = %0300d\n\n"
		 "[timeouts]\nidle = 5 minutes\n",
		 7);
	assert_load_fails(*state, text, 13, "[timeouts] idle: \"5 minutes\" is not a duration");
}

static void test_indentation_and_comments(void **state)
{
	struct conf_fixture *f = *state;

	/* inih would join an indented line onto the key above: not here. */
	assert_loads(f, "[proxy]\n    upstream = 127.0.0.1:9000\n    backlog = 77 ; comment\n"
			"[tls]\n\tenabled = off ; behind a terminator\n"
			"[maintenance]\nmessage = Back at 18:00; sorry # not a comment\n"
			"  ; indented comment\n"
			"[timeouts] ; comment after a section\nidle=90s\n");
	assert_int_equal(f->cfg->proxy.backlog, 77);
	assert_false(f->cfg->tls.enabled);
	assert_string_equal(f->cfg->maintenance.message, "Back at 18:00; sorry # not a comment");
	assert_int_equal(f->cfg->timeouts.idle_ms, 90000);
}

static void test_long_lines_are_read_whole(void **state)
{
	struct conf_fixture *f = *state;
	char text[8192], ciphers[2048] = "";
	size_t used = 0;

	/* 30 names, about 800 bytes: far over inih's 200-byte line. */
	for (int i = 0; i < 30; i++)
		used += (size_t)snprintf(ciphers + used, sizeof ciphers - used,
					 "%sECDHE-RSA-AES%d-GCM-SHA384", i > 0 ? ":" : "", i);
	snprintf(text, sizeof text,
		 MINIMAL "ciphers = %s    ; a long comment too\n[tenants]\ndisabled = %s\n", ciphers,
		 "t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15, t16, t17, t18, t19, "
		 "t20, t21, t22, t23, t24, t25, t26, t27, t28, t29, t30, t31, t32, t33, t34, t35, t36, t37, t38");
	assert_loads(f, text);
	assert_string_equal(f->cfg->tls.ciphers, ciphers);
	assert_int_equal(f->cfg->tenants.disabled_count, 38);
	assert_string_equal(f->cfg->tenants.disabled[37], "t38");
}

static void test_line_over_the_limit(void **state)
{
	size_t size = CONFIG_LINE_MAX + 200;
	char *text = malloc(size);

	assert_non_null(text);
	memset(text, 'a', size);
	memcpy(text, MINIMAL "message = ", strlen(MINIMAL "message = "));
	memcpy(text + size - 2, "\n", 2);
	assert_load_fails(*state, text, 6, "line longer than 65536 bytes");
	free(text);
}

static void test_nul_byte(void **state)
{
	struct conf_fixture *f = *state;
	static const char text[] = "[proxy]\nupstream = 1.2.3.4:9\0\n";
	const char *path = conf_fixture_write(f, "sluice.ini", "");
	FILE *file = fopen(path, "w");

	assert_non_null(file);
	assert_int_equal(fwrite(text, 1, sizeof text - 1, file), sizeof text - 1);
	fclose(file);
	assert_false(config_load(path, &f->cfg, &f->err));
	assert_int_equal(f->err.line, 2);
	assert_error_has(&f->err, "NUL byte");
}

static void test_missing_file(void **state)
{
	struct conf_fixture *f = *state;
	char path[PATH_MAX + 64];

	snprintf(path, sizeof path, "%s/absent.ini", f->dir);
	assert_false(config_load(path, &f->cfg, &f->err));
	assert_int_equal(f->err.line, 0);
	assert_error_has(&f->err, "absent.ini: cannot read the configuration: No such file or directory");
}

/* ---- values in context ---- */

static void test_bad_value_names_file_line_and_key(void **state)
{
	assert_load_fails(*state, MINIMAL "backlog = 70000\n", 6, "[tls] \"backlog\": unknown key");
	assert_load_fails(*state, MINIMAL "[proxy]\nbacklog = 70000\n", 7,
			  "[proxy] backlog: 70000 is out of range; use 1 to 65535");
	assert_load_fails(*state, MINIMAL "[limits]\nheader_bytes = 128k\n", 7,
			  "[limits] header_bytes: 128k is out of range; use 1k to 64k");
	assert_load_fails(*state, MINIMAL "min_version = TLSv1.1\n", 6,
			  "[tls] min_version: \"TLSv1.1\" is not allowed; use TLSv1.2 or TLSv1.3");
	assert_load_fails(*state, MINIMAL "[proxy]\nmax_connections =\n", 7,
			  "[proxy] max_connections: \"\" is not a whole number");
}

static void test_message_rules(void **state)
{
	char text[1024];

	assert_load_fails(*state, MINIMAL "[maintenance]\nmessage = Down\a now\n", 7,
			  "[maintenance] message: control character 0x07 at byte 5");
	assert_load_fails(*state, MINIMAL "[maintenance]\nmessage = Down\rnow\n", 7,
			  "control character 0x0d");
	assert_load_fails(*state, MINIMAL "[maintenance]\nmessage =\n", 7, "must not be empty");
	snprintf(text, sizeof text, MINIMAL "[maintenance]\nmessage = %0513d\n", 0);
	assert_load_fails(*state, text, 7, "is 513 bytes long; use 1 to 512 bytes");
}

static void test_categories(void **state)
{
	assert_load_fails(*state, MINIMAL "[maintenance]\ncategories = backup, restore\n", 7,
			  "restore is never refused for maintenance (rule R5");
	assert_load_fails(*state, MINIMAL "[maintenance]\ncategories =\n", 7,
			  "must name at least one of backup, backup-copy or replication");
	assert_load_fails(*state, MINIMAL "[maintenance]\ncategories = backup,,backup-copy\n", 7,
			  "empty entry 2");
	assert_load_fails(*state, MINIMAL "[maintenance]\ncategories = backup, backup\n", 7,
			  "backup is listed twice");
}

static void test_lists(void **state)
{
	char text[2048];
	size_t used;

	assert_load_fails(*state, MINIMAL "[tenants]\ndisabled = acme, acme\n", 7, "acme is listed twice");
	assert_load_fails(*state, MINIMAL "[tenants]\ndisabled = acme, ..\n", 7,
			  "\"..\" is not a tenant name");
	assert_load_fails(*state, MINIMAL "[tenants]\ndisabled = acme,\n", 7, "empty entry 2");
	assert_load_fails(*state, MINIMAL "[proxy]\nlisten = *:1, *:1\n", 7, "*:1 is listed twice");
	assert_load_fails(*state, MINIMAL "[proxy]\nlisten =\n", 7, "[proxy] listen: needs at least 1 entry");
	used = (size_t)snprintf(text, sizeof text, "%s[proxy]\nlisten = *:1", MINIMAL);
	for (int port = 2; port <= 17; port++)
		used += (size_t)snprintf(text + used, sizeof text - used, ", *:%d", port);
	snprintf(text + used, sizeof text - used, "\n");
	assert_load_fails(*state, text, 7, "more than 16 entries");
}

static void test_relative_paths_follow_the_file(void **state)
{
	struct conf_fixture *f = *state;
	char cwd[PATH_MAX], expect[PATH_MAX + 64];

	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(f->dir), 0);
	conf_fixture_write(f, "sluice.ini", MINIMAL "[admin]\nsocket = run/admin.sock\n");
	assert_true(config_load("sluice.ini", &f->cfg, &f->err));
	assert_int_equal(chdir("/"), 0);
	snprintf(expect, sizeof expect, "%s/run/admin.sock", f->dir);
	assert_string_equal(f->cfg->admin.socket, expect);
	snprintf(expect, sizeof expect, "%s/test.key", f->dir);
	assert_string_equal(f->cfg->tls.private_key, expect);
	assert_int_equal(chdir(cwd), 0);
}

/* ---- rules across keys ---- */

static void test_rule_tls_needs_certificate_and_key(void **state)
{
	assert_load_fails(*state, "[proxy]\nupstream = 127.0.0.1:9000\n", 0,
			  "[tls] certificate: required while [tls] enabled = on");
	assert_load_fails(*state, "[proxy]\nupstream = 127.0.0.1:9000\n[tls]\ncertificate = test.crt\n", 0,
			  "[tls] private_key: required while [tls] enabled = on");
	assert_load_fails(*state,
			  "[proxy]\nupstream = 127.0.0.1:9000\n[tls]\ncertificate = test.crt\n"
			  "private_key =\n",
			  5, "[tls] private_key: required");
	assert_loads(*state, "[proxy]\nupstream = 127.0.0.1:9000\n[tls]\nenabled = off\n");
}

static void test_rule_certificate_must_be_readable(void **state)
{
	struct conf_fixture *f = *state;
	char expect[PATH_MAX + 64];

	snprintf(expect, sizeof expect, "[tls] certificate: cannot read %s/missing.crt: No such file",
		 f->dir);
	assert_load_fails(f, "[proxy]\nupstream = 127.0.0.1:9000\n[tls]\ncertificate = missing.crt\n", 4,
			  expect);
}

static void test_rule_upstream_tls_keys(void **state)
{
	struct conf_fixture *f = *state;

	assert_load_fails(f, MINIMAL "[proxy]\nupstream_ca = test.crt\n", 7,
			  "[proxy] upstream_ca: set while upstream_tls = off");
	assert_load_fails(f, MINIMAL "[proxy]\nupstream_name = repo.example\n", 7,
			  "[proxy] upstream_name: set while upstream_tls = off");
	assert_load_fails(f, MINIMAL "[proxy]\nupstream_tls = on\nupstream_ca = /nonexistent/ca.pem\n", 8,
			  "[proxy] upstream_ca: cannot read /nonexistent/ca.pem");
	assert_loads(f, MINIMAL
		     "[proxy]\nupstream_tls = on\nupstream_ca = test.crt\nupstream_name = repo.example\n");
	assert_true(f->cfg->proxy.upstream_tls);
}

static void test_rule_upstream_required_and_not_a_listener(void **state)
{
	assert_load_fails(*state, "[tls]\nenabled = off\n", 0,
			  "[proxy] upstream: missing; name the backup repository");
	assert_load_fails(*state,
			  "[proxy]\nupstream = 127.0.0.1:8443\nlisten = 127.0.0.1:8443\n[tls]\nenabled=off\n",
			  2, "[proxy] upstream: is also a listen address");
}

static void test_rule_other_keys(void **state)
{
	assert_load_fails(*state, MINIMAL "[log]\ntarget = file\n", 0,
			  "[log] file: required while target = file");
	assert_load_fails(*state, MINIMAL "[limits]\nheader_bytes = 64k\nbuffer_bytes = 32k\n", 8,
			  "[limits] buffer_bytes: 32k is smaller than header_bytes = 64k");
	assert_load_fails(*state,
			  "[proxy]\nupstream = 127.0.0.1:9\n[tls]\nenabled = off\nclient_ca = test.crt\n", 5,
			  "[tls] client_ca: set while [tls] enabled = off");
	assert_load_fails(*state, MINIMAL "[admin]\nsocket_mode = 1777\n", 7,
			  "[admin] socket_mode: 1777 is out of range; use 0000 to 0777");
	assert_load_fails(*state, MINIMAL "[admin]\nlisten = 0.0.0.0:9443\n", 7, "is not a loopback address");
}

/* [maintenance] since: an instant with seconds and a zone, as the absolute
 * [schedule] windows; not in the future beyond the allowed clock skew while
 * enabled = on; ignored (but still well-formed) while enabled = off. */
static void test_maintenance_since(void **state)
{
	struct conf_fixture *f = *state;
	int64_t wall = 0;
	char soon[64], later[64], text[512];
	time_t now = time(NULL), t;
	struct tm tm;

	assert_loads(f, MINIMAL "[maintenance]\nenabled = on\nsince = 2026-01-02T03:04:05Z\n");
	assert_true(config_maintenance_since(f->cfg, &wall));
	assert_int_equal(wall, 1767323045);
	assert_value(f->cfg, "maintenance", "since", "2026-01-02T03:04:05Z");
	assert_loads(f, MINIMAL "[maintenance]\nenabled = on\nsince = 2026-01-02T04:04:05+01:00\n");
	assert_true(config_maintenance_since(f->cfg, &wall));
	assert_int_equal(wall, 1767323045);
	assert_loads(f, MINIMAL "[maintenance]\nenabled = on\n");
	assert_false(config_maintenance_since(f->cfg, &wall));
	assert_loads(f, MINIMAL "[maintenance]\nenabled = off\nsince = 2099-01-01T00:00:00Z\n");
	assert_false(config_maintenance_since(f->cfg, &wall)); /* ignored while off */

	assert_load_fails(f, MINIMAL "[maintenance]\nsince = 2026-01-02T03:04Z\n", 7,
			  "[maintenance] since: \"2026-01-02T03:04Z\" is not YYYY-MM-DDTHH:MM:SS");
	assert_load_fails(f, MINIMAL "[maintenance]\nsince = 2026-01-02T03:04:05\n", 7, "needs a time zone");
	assert_load_fails(f, MINIMAL "[maintenance]\nsince = 2026-01-02T03:04:05Z/x\n", 7,
			  "text after the instant");
	assert_load_fails(f, MINIMAL "[maintenance]\nsince = 2026-02-30T00:00:00Z\n", 7, "is not a date");
	assert_load_fails(f, MINIMAL "[maintenance]\nenabled = on\nsince = 2099-01-01T00:00:00Z\n", 8,
			  "[maintenance] since: 2099-01-01T00:00:00Z is in the future");

	/* A little ahead (another host's clock) is accepted, more is not. */
	t = now + 10;
	gmtime_r(&t, &tm);
	strftime(soon, sizeof soon, "[maintenance]\nenabled = on\nsince = %Y-%m-%dT%H:%M:%SZ\n", &tm);
	t = now + CONFIG_SINCE_SKEW + 120;
	gmtime_r(&t, &tm);
	strftime(later, sizeof later, "[maintenance]\nenabled = on\nsince = %Y-%m-%dT%H:%M:%SZ\n", &tm);
	snprintf(text, sizeof text, "%s%s", MINIMAL, soon);
	assert_loads(f, text);
	snprintf(text, sizeof text, "%s%s", MINIMAL, later);
	assert_load_fails(f, text, 8, "is in the future");
}

/* ---- dump, diff, check_value ---- */

/* cfg dumped to a string, without the comment lines (path and time). */
static char *dump_text(const struct sluice_config *cfg)
{
	char *text = NULL, *src, *dst;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	assert_non_null(out);
	assert_true(config_dump(cfg, out));
	fclose(out);
	for (src = dst = text; *src != '\0';) {
		size_t len = strcspn(src, "\n") + (src[strcspn(src, "\n")] == '\n');
		if (*src != ';') {
			memmove(dst, src, len);
			dst += len;
		}
		src += len;
	}
	*dst = '\0';
	return text;
}

/* dump -> load -> dump gives the same text, and the reload diff is empty. */
static void assert_round_trip(struct conf_fixture *f)
{
	struct sluice_config *first = f->cfg;
	char *one = dump_text(first), *two;

	f->cfg = NULL;
	assert_loads(f, one);
	two = dump_text(f->cfg);
	assert_string_equal(one, two);
	assert_int_equal(config_diff(first, f->cfg, NULL, NULL), 0);
	config_free(first);
	free(one);
	free(two);
}

static void test_dump_round_trips_the_example(void **state)
{
	struct conf_fixture *f = *state;
	const char *srcdir = getenv("SLUICE_SRCDIR");
	char path[PATH_MAX + 64];

	if (srcdir == NULL)
		srcdir = TOP_SRCDIR; /* run by hand, outside make check */
	snprintf(path, sizeof path, "%s/conf/sluice.ini", srcdir);
	if (!config_load(path, &f->cfg, &f->err))
		fail_msg("the example does not load: %s", f->err.message);
	assert_int_equal(f->cfg->proxy.listen[0].port_number, 8443);
	assert_round_trip(f);
}

static void test_dump_round_trips_every_changed_key(void **state)
{
	struct conf_fixture *f = *state;

	assert_loads(f,
		     "[proxy]\nlisten = [::1]:0, 127.0.0.1:1\nupstream = unix:repo.sock\nupstream_tls = on\n"
		     "upstream_ca = test.crt\nupstream_name = repo.example\nmax_connections = 5\nbacklog = 9\n"
		     "pidfile =\nuser = sluice\n"
		     "[tls]\ncertificate = test.crt\nprivate_key = test.key\nmin_version = TLSv1.3\n"
		     "ciphers = HIGH:!aNULL\nciphersuites = TLS_AES_256_GCM_SHA384\nclient_ca = test.crt\n"
		     "session_tickets = off\nsession_cache = 0\nticket_rotation = 61m\n"
		     "[maintenance]\nenabled = on\nmode = block\nmessage = Wartung bis 18 Uhr; \xc3\xa4\n"
		     "retry_after = 1500ms\ndrain_timeout = 3h\ncategories = replication\n"
		     "[tenants]\ndisabled = a, b.c\n"
		     "[limits]\nheader_bytes = 2k\nmax_headers = 8\njob_table_size = 16\njob_idle_expiry = 1m\n"
		     "discard_bytes = 0\nbuffer_bytes = 1m\nconnections_per_address = 3\nmin_body_rate = 100\n"
		     "[timeouts]\nhandshake = 100ms\nheader = 1h\nidle = 1s\nupstream_connect = 10m\n"
		     "upstream_response = 1d\nbody = 2s\nshutdown = 0\n"
		     "[log]\nlevel = error\ntarget = file\nfile = sluice.log\nsyslog_facility = local7\nrequests = on\n"
		     "[admin]\nsocket =\nsocket_mode = 0\nlisten = localhost:9\n");
	assert_round_trip(f);
}

struct seen {
	int count;
	char keys[4][64];
	char texts[4][128];
	bool reloadable[4];
};

static void record_change(const struct config_change *change, void *user)
{
	struct seen *seen = user;

	assert_true(seen->count < 4);
	snprintf(seen->keys[seen->count], sizeof seen->keys[0], "%s.%s", change->key->section,
		 change->key->name);
	snprintf(seen->texts[seen->count], sizeof seen->texts[0], "%s -> %s", change->old_text,
		 change->new_text);
	seen->reloadable[seen->count] = change->reloadable;
	seen->count++;
}

static void test_diff_reports_exactly_the_changed_keys(void **state)
{
	struct conf_fixture *f = *state;
	struct sluice_config *old;
	struct seen seen = { 0 };

	assert_loads(f, MINIMAL "[proxy]\nlisten = *:8443\n[maintenance]\nmessage = Back soon.\n");
	old = f->cfg;
	f->cfg = NULL;
	assert_loads(f,
		     MINIMAL "[proxy]\nlisten = *:9443\n[maintenance]\nenabled = on\nmessage = Back soon.\n"
			     "[timeouts]\nidle = 300\n[tenants]\ndisabled = acme\n");
	assert_int_equal(config_diff(old, f->cfg, record_change, &seen), 3);
	assert_int_equal(seen.count, 3);
	assert_string_equal(seen.keys[0], "proxy.listen");
	assert_string_equal(seen.texts[0], "*:8443 -> *:9443");
	assert_false(seen.reloadable[0]);
	assert_string_equal(seen.keys[1], "maintenance.enabled");
	assert_string_equal(seen.texts[1], "off -> on");
	assert_true(seen.reloadable[1]);
	assert_string_equal(seen.keys[2], "tenants.disabled");
	assert_string_equal(seen.texts[2], " -> acme");
	assert_true(seen.reloadable[2]);
	config_free(old);
}

static void test_check_value_for_tools(void **state)
{
	struct config_error err;
	const struct config_key *message = config_key_find("maintenance", "message");
	const struct config_key *mode = config_key_find("maintenance", "mode");

	(void)state;
	assert_non_null(message);
	assert_non_null(mode);
	assert_null(config_key_find("maintenance", "nope"));
	assert_true(config_check_value(message, "Back at 18:00.", NULL, &err));
	assert_false(config_check_value(message, "two\nlines", NULL, &err));
	assert_string_equal(err.message,
			    "control character 0x0a at byte 4; use printable text (UTF-8) on one line");
	assert_true(config_check_value(mode, "block", NULL, &err));
	assert_true(config_check_value(mode, "hold", NULL, &err));
	assert_false(config_check_value(mode, "pause", NULL, &err));
	assert_string_equal(err.message, "\"pause\" is not allowed; use drain, block or hold");
	assert_string_equal(config_type_name(mode), "enumeration");
}

#define FIXTURE(test) cmocka_unit_test_setup_teardown(test, conf_fixture_setup, conf_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_default_round_trips),
		cmocka_unit_test(test_defaults_in_the_struct),
		FIXTURE(test_minimal_file),
		FIXTURE(test_every_type_in_a_file),
		FIXTURE(test_unknown_section),
		FIXTURE(test_unknown_section_without_keys),
		FIXTURE(test_unknown_key),
		FIXTURE(test_duplicate_key),
		FIXTURE(test_key_before_any_section),
		FIXTURE(test_line_that_is_not_ini),
		FIXTURE(test_error_line_counts_every_line),
		FIXTURE(test_indentation_and_comments),
		FIXTURE(test_long_lines_are_read_whole),
		FIXTURE(test_line_over_the_limit),
		FIXTURE(test_nul_byte),
		FIXTURE(test_missing_file),
		FIXTURE(test_bad_value_names_file_line_and_key),
		FIXTURE(test_message_rules),
		FIXTURE(test_categories),
		FIXTURE(test_lists),
		FIXTURE(test_relative_paths_follow_the_file),
		FIXTURE(test_rule_tls_needs_certificate_and_key),
		FIXTURE(test_rule_certificate_must_be_readable),
		FIXTURE(test_rule_upstream_tls_keys),
		FIXTURE(test_rule_upstream_required_and_not_a_listener),
		FIXTURE(test_rule_other_keys),
		FIXTURE(test_maintenance_since),
		FIXTURE(test_dump_round_trips_the_example),
		FIXTURE(test_dump_round_trips_every_changed_key),
		FIXTURE(test_diff_reports_exactly_the_changed_keys),
		cmocka_unit_test(test_check_value_for_tools),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
