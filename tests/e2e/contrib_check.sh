#!/bin/bash
# tests/e2e/contrib_check.sh: contrib/ against the real tools and a running
# sluice (TAP). promtool checks the example scrape configuration and the
# alert rules, and proves with sluice-alerts.test.yml that each alert fires
# on the series it watches and stays quiet on a healthy gateway; the
# Grafana dashboard is well-formed JSON whose panels all query Prometheus;
# and every sluice_ metric the rules and the dashboard name is one a running
# sluice exports (with [admin] tenant_metrics on and some traffic), in an
# exposition promtool accepts: the histogram moves, a tenant gets its own
# series once the repository accepted its request, a refusal is counted.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

command -v promtool > /dev/null 2>&1 || skip_all "promtool not installed (tools/install-deps --test)"
contrib=$SLUICE_SRCDIR/contrib
stack_init
tap_plan 12

tap_check "promtool check config prometheus.yml" promtool check config "$contrib/prometheus/prometheus.yml"
tap_check "promtool check rules sluice-alerts.yml" promtool check rules "$contrib/prometheus/sluice-alerts.yml"
tap_check "promtool test rules: every alert fires when it should, and only then" \
	bash -c 'cd "$1" && promtool test rules sluice-alerts.test.yml' x "$contrib/prometheus"
tap_check "the dashboard is JSON whose every panel queries Prometheus" python3 - "$contrib/grafana/sluice-dashboard.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["panels"], "no panels"
for p in d["panels"]:
    assert p["datasource"]["type"] == "prometheus", p["title"]
    assert p["targets"] and all(t["expr"] for t in p["targets"]), p["title"]
ids = [p["id"] for p in d["panels"]]
assert len(ids) == len(set(ids)), "duplicate panel ids"
PY

stack_tenant_add acme acme-secret
stack_tenant_add beta beta-secret
stack_ini_set admin.tenant_metrics 5
stack_start
work=$STACK_OUT
metrics() { curl -sS --max-time "$STACK_TIMEOUT" --unix-socket "$STACK_ADMIN_SOCKET" http://sluice/metrics > "$1"; }
# value FILE SERIES: the value of one series, exactly as written.
value() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# acme: an accepted request; beta: refused for maintenance only (never accepted).
status=$(stack_curl "$work/acme" acme POST "/tsp/1/backup/jobs/$(stack_job nightly)" \
	-H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere')
tap_check "acme's job open is accepted" same status "$status" 201
stack_maintenance on drain
status=$(stack_curl "$work/beta" beta POST "/tsp/1/backup/jobs/$(stack_job weekly)" \
	-H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere')
tap_check "beta's job open is refused for maintenance" same status "$status" 503
metrics "$work/metrics"
tap_check "promtool check metrics accepts the exposition" promtool check metrics < "$work/metrics"

names=$(cat "$contrib/prometheus/sluice-alerts.yml" "$contrib/grafana/sluice-dashboard.json" |
	grep -o 'sluice_[a-z_]*' | sed 's/_\(bucket\|sum\|count\)$//' | sort -u)
missing=""
for name in $names; do
	grep -q "^# TYPE $name " "$work/metrics" || missing="$missing $name"
done
tap_check "every metric the rules and the dashboard use is exported" same missing "$missing" ""
tap_check "the request duration histogram counted the requests" \
	test "$(value "$work/metrics" sluice_request_duration_seconds_count)" -ge 2
tap_check "acme (accepted) has series of its own, with its bytes" \
	test "$(value "$work/metrics" 'sluice_tenant_bytes_total{tenant="acme",direction="in"}')" -gt 0
tap_check "beta (never accepted) has none: its refusal is under _other" \
	same beta "$(grep -c 'tenant="beta"' "$work/metrics") $(value "$work/metrics" 'sluice_tenant_refused_total{tenant="_other",reason="maintenance"}')" "0 1"
tap_check "sluice_uptime_seconds is a whole number" \
	grep -qE '^sluice_uptime_seconds [0-9]+$' "$work/metrics"
