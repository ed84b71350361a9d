/*
 * tests/unit/test_admin_view.c: the admin endpoint's pure writers: the
 * bounded text buffer and its escapes, the GET /status document and the
 * GET /metrics exposition, from a view built by hand over a real policy and
 * job table (maintenance on with tasks draining in two tenants).
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "admin/admin_view.h"

struct world {
	struct policy *policy;
	struct jobs *jobs;
	struct sluice_config cfg;
	struct server_counters counters;
	struct server_reload_log last;
	struct admin_view view;
};

static void open_task(struct world *w, const char *tenant, const char *job_id, const char *task_id,
		      enum tsp_origin origin)
{
	struct job_desc desc = { origin, TSP_WORKLOAD_VSPHERE, TSP_OP_NONE };
	struct job *job;

	assert_true(jobs_open(w->jobs, tenant, TSP_CAT_BACKUP, job_id, &desc, 10.0, &job) <= JOBS_EXISTS);
	if (task_id != NULL)
		assert_int_equal(jobs_open_task(w->jobs, job, task_id, 10.0, NULL), JOBS_OK);
}

static int setup(void **state)
{
	static struct world w;
	static char message[] = "Back \"soon\"\x1b[2J";
	struct jobs_limits limits;
	struct policy_settings ps;
	struct policy_change change;
	const char *why;

	memset(&w, 0, sizeof w);
	jobs_limits_default(&limits);
	w.policy = policy_new();
	w.jobs = jobs_new(&limits);
	assert_non_null(w.policy);
	assert_non_null(w.jobs);
	open_task(&w, "acme", "nightly", "vm-1", TSP_ORIGIN_VBR);
	open_task(&w, "acme", "nightly", "vm-2", TSP_ORIGIN_VBR);
	open_task(&w, "beta", "laptop", NULL, TSP_ORIGIN_AGENT);
	policy_settings_default(&ps);
	ps.enabled = true;
	ps.drain_timeout = 600;
	assert_true(policy_apply(w.policy, &ps, w.jobs, 100.0, &change, &why));
	w.cfg.proxy.max_connections = 500;
	w.cfg.maintenance.message = message;
	w.counters.reloads = 2;
	w.counters.reload_failures = 1;
	w.counters.messages[TSP_CAT_BACKUP][SERVER_REFUSED_MAINTENANCE] = 7;
	w.counters.bytes_in = 12345;
	w.counters.proxy_header_rejected = 4;
	w.last = (struct server_reload_log){ .happened = true, .ok = false, .at = 0, .generation = 3 };
	snprintf(w.last.error, sizeof w.last.error, "/etc/sluice.ini:5: [maintenance] mode: bad");
	w.view = (struct admin_view){
		.version = "9.9",
		.pid = 42,
		.now = 160.0,
		.wall_offset = 999840.0,
		.started_at = 40.0,
		.config_file = "/etc/sluice.ini",
		.generation = 3,
		.loaded_at = 86400,
		.last_reload = &w.last,
		.cfg = &w.cfg,
		.retry_after = 120,
		.policy = w.policy,
		.jobs = w.jobs,
		.counters = &w.counters,
		.tls_handshakes = 9,
		.connections = 4,
	};
	*state = &w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	policy_free(w->policy);
	jobs_free(w->jobs);
	return 0;
}

static void test_textbuf_escapes_and_bound(void **state)
{
	struct textbuf t;

	(void)state;
	textbuf_init(&t, 64);
	textbuf_json_string(&t, "a\"b\\c\n\x01");
	textbuf_printf(&t, " ");
	textbuf_label_value(&t, "x\"y\\z\n");
	assert_false(t.failed);
	assert_string_equal(t.data, "\"a\\\"b\\\\c\\n\\u0001\" x\\\"y\\\\z\\n");
	textbuf_free(&t);
	textbuf_init(&t, 8);
	textbuf_printf(&t, "1234567");
	assert_false(t.failed);
	textbuf_printf(&t, "8");
	assert_true(t.failed); /* 8 bytes and the NUL do not fit in 8 */
	textbuf_free(&t);
}

static void test_status_document(void **state)
{
	struct world *w = *state;
	struct textbuf t;

	textbuf_init(&t, 1 << 20);
	admin_status_json(&w->view, &t);
	assert_false(t.failed);
	assert_non_null(strstr(t.data, "\"version\":\"9.9\",\"pid\":42,\"uptime_seconds\":120,"));
	assert_non_null(strstr(t.data, "\"config\":{\"file\":\"/etc/sluice.ini\",\"generation\":3,"
				       "\"loaded_at\":\"1970-01-02T00:00:00Z\"}"));
	assert_non_null(strstr(t.data, "\"reloads\":{\"ok\":2,\"failed\":1,\"last\":{\"result\":\"failed\","
				       "\"at\":\"1970-01-01T00:00:00Z\",\"generation\":3,"
				       "\"error\":\"/etc/sluice.ini:5: [maintenance] mode: bad\"}}"));
	/* T was 60 s before now. */
	assert_non_null(
		strstr(t.data,
		       "\"maintenance\":{\"state\":\"draining\",\"mode\":\"drain\","
		       "\"since\":\"1970-01-12T13:45:40Z\",\"categories\":[\"backup\",\"backup-copy\"],"
		       "\"message\":\"Back \\\"soon\\\"\\u001b[2J\",\"retry_after_seconds\":120,"
		       "\"drain_timeout_seconds\":600,\"drain_time_left_seconds\":540,"));
	assert_non_null(
		strstr(t.data,
		       "\"draining\":{\"tasks\":2,\"agent_jobs\":1,\"tenants\":["
		       "{\"tenant\":\"acme\",\"tasks\":2,\"agent_jobs\":0,\"jobs\":[{\"category\":\"backup\","
		       "\"job\":\"nightly\",\"origin\":\"vbr\",\"agent\":false,\"tasks\":[\"vm-1\",\"vm-2\"]}]},"
		       "{\"tenant\":\"beta\",\"tasks\":0,\"agent_jobs\":1,\"jobs\":[{\"category\":\"backup\","
		       "\"job\":\"laptop\",\"origin\":\"agent\",\"agent\":true,\"tasks\":[]}]}]}}"));
	assert_non_null(strstr(t.data,
			       "\"connections\":{\"current\":4,\"max\":500},\"jobs_open\":{\"backup\":2,"
			       "\"backup-copy\":0,\"replication\":0,\"restore\":0}"));
	assert_non_null(strstr(t.data, "\"backup\":{\"forwarded\":0,\"refused_maintenance\":7,"));
	assert_string_equal(t.data + t.len - 3, "}}\n");
	textbuf_free(&t);
}

static void test_status_over_its_bound_fails(void **state)
{
	struct world *w = *state;
	struct textbuf t;

	textbuf_init(&t, 256);
	admin_status_json(&w->view, &t);
	assert_true(t.failed);
	textbuf_free(&t);
}

/* Every sample line's family has its HELP and TYPE above it. */
static void assert_families_declared(const char *text)
{
	for (const char *line = text; *line != '\0'; line = strchr(line, '\n') + 1) {
		char name[128], type_line[160];
		size_t n = strcspn(line, "{ ");

		if (line[0] == '#')
			continue;
		assert_true(n < sizeof name);
		memcpy(name, line, n);
		name[n] = '\0';
		snprintf(type_line, sizeof type_line, "# TYPE %s ", name);
		assert_non_null(strstr(text, type_line));
		assert_true(strstr(text, type_line) < line);
	}
}

static void test_metrics_exposition(void **state)
{
	struct world *w = *state;
	struct textbuf t;

	textbuf_init(&t, 1 << 20);
	metrics_text(&w->view, &t);
	assert_false(t.failed);
	assert_non_null(
		strstr(t.data, "\n# TYPE sluice_maintenance_state gauge\nsluice_maintenance_state 1\n"));
	assert_non_null(strstr(t.data, "\nsluice_draining_tasks 2\n"));
	assert_non_null(strstr(t.data, "\nsluice_draining_agent_jobs 1\n"));
	assert_non_null(strstr(t.data, "\nsluice_drain_seconds 60\n"));
	assert_non_null(
		strstr(t.data,
		       "\nsluice_messages_total{category=\"backup\",decision=\"refused_maintenance\"} 7\n"));
	assert_non_null(strstr(t.data, "\nsluice_bytes_total{direction=\"in\"} 12345\n"));
	assert_non_null(strstr(t.data, "\nsluice_tls_handshakes_total 9\n"));
	assert_non_null(strstr(t.data, "\nsluice_proxy_header_rejected_total 4\n"));
	assert_non_null(strstr(t.data, "\nsluice_reloads_total{result=\"failed\"} 1\n"));
	assert_non_null(strstr(t.data, "\nsluice_config_generation 3\n"));
	assert_non_null(strstr(t.data, "\nsluice_jobs_open{category=\"backup\"} 2\n"));
	assert_non_null(strstr(t.data, "\nsluice_connections_max 500\n"));
	assert_families_declared(t.data);
	textbuf_free(&t);
}

/* The served certificate's time left, from the view's wall clock; no gauge
 * without one. */
static void test_metrics_certificate_expiry(void **state)
{
	struct world *w = *state;
	struct textbuf t;

	textbuf_init(&t, 1 << 20);
	metrics_text(&w->view, &t);
	assert_null(strstr(t.data, "sluice_tls_certificate_expiry_seconds"));
	textbuf_free(&t);
	w->view.certificate = true;
	w->view.certificate_not_after = 1000000 + 2 * 86400; /* the view's wall clock is at 1000000 */
	textbuf_init(&t, 1 << 20);
	metrics_text(&w->view, &t);
	w->view.certificate = false;
	assert_non_null(strstr(t.data, "\n# TYPE sluice_tls_certificate_expiry_seconds gauge\n"
				       "sluice_tls_certificate_expiry_seconds 172800\n"));
	assert_families_declared(t.data);
	textbuf_free(&t);
}

static void test_state_words(void **state)
{
	(void)state;
	assert_string_equal(admin_state_word(POLICY_OFF), "active");
	assert_string_equal(admin_state_word(POLICY_DRAINING), "draining");
	assert_string_equal(admin_state_word(POLICY_BLOCKING), "draining");
	assert_string_equal(admin_state_word(POLICY_DRAINED), "maintenance");
	assert_string_equal(admin_state_word(POLICY_BLOCKED), "maintenance");
	assert_int_equal(admin_state_number(POLICY_OFF), 0);
	assert_int_equal(admin_state_number(POLICY_BLOCKING), 1);
	assert_int_equal(admin_state_number(POLICY_DRAINED), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_textbuf_escapes_and_bound),   cmocka_unit_test(test_status_document),
		cmocka_unit_test(test_status_over_its_bound_fails), cmocka_unit_test(test_metrics_exposition),
		cmocka_unit_test(test_metrics_certificate_expiry),  cmocka_unit_test(test_state_words),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
