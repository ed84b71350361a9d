#!/usr/bin/env bash
# sluice forwards TSP/1 over real TLS to the reference repository: a backup of
# an 8 MiB block and its restore, bytes unchanged both ways (SHA-256), and one
# access-log line per message.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
[ -x "$SLUICE_REPO" ] || skip_all "sluice-repo not built"
tap_plan 8

e2e_make_ca
e2e_make_cert server 127.0.0.1
e2e_start_repo repo
e2e_write_ini "$E2E_TMP/s.ini" "$PEER_ADDR"
e2e_start_sluice "$E2E_TMP/s.ini"

head -c $((8 * 1024 * 1024)) /dev/urandom >"$E2E_TMP/block"
digest=$(sha256sum "$E2E_TMP/block" | cut -d' ' -f1)
job=/tsp/1/backup/jobs/nightly
task=$job/tasks/vm-web01

hello_from_repo() { e2e_curl /tsp/1/session | grep -q '"server":"sluice-repo"'; }
tap_check "the hello is answered by the repository" hello_from_repo

open_backup() {
	e2e_curl_status 201 "$job" -X POST -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere' &&
		e2e_curl_status 201 "$task" -X POST
}
tap_check "backup job and task open" open_backup

upload() {
	e2e_curl "$task/blocks/0" -X PUT -H "Tsp-Digest: sha256=$digest" --data-binary "@$E2E_TMP/block" \
		>"$E2E_TMP/put.out" && grep -q '"bytes":8388608' "$E2E_TMP/put.out"
}
tap_check "an 8 MiB block write reaches the repository whole (its digest checked there)" upload

close_backup() {
	e2e_curl_status 200 "$task/close" -X POST -H 'Tsp-Result: success' &&
		e2e_curl_status 200 "$job/close" -X POST -H 'Tsp-Result: success'
}
tap_check "task and job close" close_backup

restore() {
	local r=/tsp/1/restore/jobs/restore-1
	e2e_curl_status 201 "$r" -X POST -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere' \
		-H 'Tsp-Source: nightly' &&
		e2e_curl_status 201 "$r/tasks/vm-web01" -X POST -H 'Tsp-Source: vm-web01' &&
		e2e_curl "$r/tasks/vm-web01/blocks/0" -o "$E2E_TMP/restored" &&
		[ "$(sha256sum <"$E2E_TMP/restored" | cut -d' ' -f1)" = "$digest" ]
}
tap_check "the restored 8 MiB block has the same SHA-256" restore

reuse_connection() {
	local url="https://127.0.0.1:$SLUICE_PORT/tsp/1/session"
	curl -sS --cacert "$E2E_TMP/ca.crt" -H "$AUTH" -o /dev/null -o /dev/null \
		-w '%{http_code}/%{num_connects} ' "$url" "$url" | grep -qx '200/1 200/0 '
}
tap_check "a second request reuses the connection" reuse_connection

access_line() {
	grep 'access: ' "$SLUICE_LOG" | grep 'role=block-write' | grep 'job=nightly task=vm-web01' |
		grep 'decision=forwarded status=201' | grep -q 'in=8388[6-9][0-9][0-9] '
}
tap_check "the access log has the block write with its bytes and status" access_line

tap_check "no error or warning in the log" file_lacks "$SLUICE_LOG" ': \(error\|warning\): '

e2e_finish
