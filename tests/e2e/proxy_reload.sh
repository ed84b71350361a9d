#!/usr/bin/env bash
# SIGHUP reloads: a bad file changes nothing (and the log names file and
# line); a new certificate is served to new connections; maintenance turned
# on by editing the INI refuses a new backup job with the notification while a
# restore passes, the hello carries the notice, and a repeated HUP keeps T;
# keys that need a restart say so.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
[ -x "$SLUICE_REPO" ] || skip_all "sluice-repo not built"
tap_plan 14

e2e_make_ca
e2e_make_cert first first.example
e2e_make_cert second second.example
e2e_start_repo repo
INI=$E2E_TMP/s.ini
e2e_write_ini "$INI" "$PEER_ADDR" first
e2e_start_sluice "$INI"

job_open() { # CAT JOB [CURL ARGS]: prints the status
	local cat=$1 job=$2
	shift 2
	e2e_curl "/tsp/1/$cat/jobs/$job" -X POST -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere' "$@" \
		-o /dev/null -w '%{http_code}'
}

# ---- a file that does not load changes nothing ----
cp "$INI" "$INI.good"
ini_set "$INI" maintenance enabled on
ini_set "$INI" maintenance mode sideways
bad_line=$(grep -n '^mode = sideways' "$INI" | cut -d: -f1)
if e2e_reload; then tap_not_ok "a reload of a bad file fails"; else tap_ok "a reload of a bad file fails"; fi
tap_check "... and the log names the file, the line and the key" \
	file_has "$SLUICE_LOG" "reload failed: $INI:$bad_line: \[maintenance\] mode"
tap_check "... and the old configuration still serves (maintenance stays off)" \
	test "$(job_open backup before-1)" = 201
cp "$INI.good" "$INI"

# ---- a new certificate for new connections ----
tap_check "the first certificate is served" test "$(e2e_served_cn "$SLUICE_PORT")" = first.example
ini_set "$INI" tls certificate "$E2E_TMP/second.crt"
ini_set "$INI" tls private_key "$E2E_TMP/second.key"
e2e_reload || hard_error "reload with the second certificate failed"
tap_check "after HUP new connections get the second certificate" \
	test "$(e2e_served_cn "$SLUICE_PORT")" = second.example

# ---- maintenance on by editing the INI ----
# A task open before maintenance goes on may finish (R1).
e2e_curl_status 201 /tsp/1/backup/jobs/before-1/tasks/vm-1 -X POST || hard_error "task open failed"
ini_set "$INI" maintenance enabled on
ini_set "$INI" maintenance retry_after 30m
e2e_reload || hard_error "reload turning maintenance on failed"
tap_check "the log shows the change and the state" \
	sh -c "grep -q 'maintenance.enabled: off -> on' '$SLUICE_LOG' &&
		grep -q 'maintenance on (drain) policy_change=1 draining: 1 task, 0 agent jobs' '$SLUICE_LOG'"

e2e_curl /tsp/1/backup/jobs/refused-1 -X POST -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere' \
	-D "$E2E_TMP/503.head" -o "$E2E_TMP/503.body" >/dev/null
refused_with_notification() {
	grep -q '^HTTP/1.1 503' "$E2E_TMP/503.head" && grep -q '^Retry-After: 1800' "$E2E_TMP/503.head" &&
		grep -q '^Tsp-Maintenance: drain' "$E2E_TMP/503.head" &&
		grep -qx '{"error":"maintenance","message":"Service provider is currently undergoing scheduled maintenance."}' \
			"$E2E_TMP/503.body"
}
tap_check "a new backup job is refused: 503, notification, Retry-After, Tsp-Maintenance" \
	refused_with_notification
restore_passes() {
	[ "$(job_open restore restore-1 -H 'Tsp-Source: before-1')" = 201 ]
}
tap_check "a restore job opens while maintenance is on (R5)" restore_passes
write_block() {
	printf 'block' >"$E2E_TMP/small"
	e2e_curl_status 201 /tsp/1/backup/jobs/before-1/tasks/vm-1/blocks/0 -X PUT \
		-H "Tsp-Digest: sha256=$(sha256sum <"$E2E_TMP/small" | cut -d' ' -f1)" \
		--data-binary "@$E2E_TMP/small"
}
tap_check "the task open before maintenance still writes (R1)" write_block
tap_check "a later task of that job is refused (R1)" \
	e2e_curl_status 503 /tsp/1/backup/jobs/before-1/tasks/vm-2 -X POST

e2e_curl /tsp/1/session -o "$E2E_TMP/hello1"
e2e_reload || hard_error "repeated reload failed"
e2e_curl /tsp/1/session -o "$E2E_TMP/hello2"
hello_notice() {
	grep -q '"server":"sluice"' "$E2E_TMP/hello1" &&
		grep -q '"maintenance":{"mode":"drain","since":"20[0-9-]*T[0-9:]*Z","message":"Service provider' \
			"$E2E_TMP/hello1"
}
tap_check "the hello is answered by sluice with the maintenance notice" hello_notice
tap_check "a repeated HUP with the same state keeps T (the same since)" cmp "$E2E_TMP/hello1" "$E2E_TMP/hello2"

# ---- off again, and a key that needs a restart ----
ini_set "$INI" maintenance enabled off
ini_set "$INI" proxy listen 127.0.0.1:1
e2e_reload || hard_error "reload turning maintenance off failed"
tap_check "maintenance off: new backup jobs open again (R6)" test "$(job_open backup after-1)" = 201
tap_check "a changed listen address is reported as needing a restart" \
	file_has "$SLUICE_LOG" "proxy.listen: 127.0.0.1:0 -> 127.0.0.1:1: restart needed"

e2e_finish
