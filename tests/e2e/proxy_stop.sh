#!/usr/bin/env bash
# SIGTERM stops gracefully: no new connections, an upload in flight finishes
# (every byte reaches the repository) and its answer goes out, then sluice
# exits 0; what cannot finish within [timeouts] shutdown is closed.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
tap_plan 7

e2e_make_ca
e2e_make_cert server 127.0.0.1
e2e_start_upstream up
UP=$PEER_ADDR
head -c $((4 * 1024 * 1024)) /dev/urandom >"$E2E_TMP/block"
digest=$(sha256sum "$E2E_TMP/block" | cut -d' ' -f1)

# upload RATE OUT: a throttled 4 MiB block write in the background (sets UPLOAD_PID).
upload() {
	curl -sS --cacert "$E2E_TMP/ca.crt" -H "$AUTH" -H "Tsp-Digest: sha256=$digest" -X PUT \
		--limit-rate "$1" --data-binary "@$E2E_TMP/block" -o /dev/null -w '%{http_code}' \
		"https://127.0.0.1:$SLUICE_PORT/tsp/1/backup/jobs/j1/tasks/t1/blocks/0" >"$2" 2>&1 &
	UPLOAD_PID=$!
}

# ---- an upload in flight finishes ----
e2e_write_ini "$E2E_TMP/s.ini" "$UP"
e2e_start_sluice "$E2E_TMP/s.ini"
upload 2M "$E2E_TMP/upload1.status"
wait_log "$SLUICE_LOG" "connected to the repository" || hard_error "the upload did not start"
kill -TERM "$SLUICE_PID"
wait_log "$SLUICE_LOG" "stopping: no new connections; 1 open" 5 || hard_error "no stop line"
tap_check "after TERM new connections are refused" \
	sh -c "! curl -sS --cacert '$E2E_TMP/ca.crt' -o /dev/null https://127.0.0.1:$SLUICE_PORT/tsp/1/session"
e2e_wait_exit "$UPLOAD_PID" 30
tap_check "the upload in flight was answered 201" test "$(cat "$E2E_TMP/upload1.status")" = 201
tap_check "... every byte of it reached the repository" \
	grep -q "PUT /tsp/1/backup/jobs/j1/tasks/t1/blocks/0 4194304 $digest" "$E2E_TMP/up.log"
tap_check "sluice exited once it was done" e2e_wait_exit "$SLUICE_PID" 10
e2e_status_of "$SLUICE_PID"
tap_check "... with status 0" test $? -eq 0

# ---- what cannot finish within [timeouts] shutdown is closed ----
ini_set "$E2E_TMP/s.ini" timeouts shutdown 1s
e2e_start_sluice "$E2E_TMP/s.ini" sluice-bounded
upload 64k "$E2E_TMP/upload2.status"
wait_log "$SLUICE_LOG" "connected to the repository" || hard_error "the slow upload did not start"
kill -TERM "$SLUICE_PID"
tap_check "a slow upload is cut at [timeouts] shutdown and sluice exits" e2e_wait_exit "$SLUICE_PID" 10
tap_check "... saying so in the log" \
	file_has "$SLUICE_LOG" "closing 1 connection still open after \[timeouts\] shutdown"
e2e_wait_exit "$UPLOAD_PID" 10

e2e_finish
