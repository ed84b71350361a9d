#!/usr/bin/env bash
# Pipelined requests on one TLS connection are answered in order, the proxy's
# own refusals included; a refused request's body is read and dropped and never
# reaches the repository; a body over [limits] discard_bytes, or one behind
# Expect: 100-continue, is not read: the refusal goes at once and the
# connection closes.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
tap_plan 10

e2e_make_ca
e2e_make_cert server 127.0.0.1
e2e_start_upstream up
e2e_write_ini "$E2E_TMP/s.ini" "$PEER_ADDR"
ini_set "$E2E_TMP/s.ini" maintenance enabled on
ini_set "$E2E_TMP/s.ini" maintenance retry_after 15m
ini_set "$E2E_TMP/s.ini" limits discard_bytes 256k
e2e_start_sluice "$E2E_TMP/s.ini"
UPLOG=$E2E_TMP/up.log

# A 200 KiB body made of a marker, larger than the 64 KiB buffer, so the
# drop spans several reads.
body=$E2E_TMP/body
yes 'REFUSED-BODY-MARKER' | head -c $((200 * 1024)) >"$body"
digest=$(sha256sum "$body" | cut -d' ' -f1)

block_write() { # JOB TASK BYTES [EXTRA HEADER]
	printf 'PUT /tsp/1/backup/jobs/%s/tasks/%s/blocks/0 HTTP/1.1\r\nHost: t\r\n%s\r\nTsp-Digest: sha256=%s\r\nContent-Length: %s\r\n%s\r\n' \
		"$1" "$2" "$AUTH" "$digest" "$3" "${4:+$4$'\r\n'}"
}
simple() { # METHOD PATH [EXTRA HEADER]
	printf '%s %s HTTP/1.1\r\nHost: t\r\n%s\r\n%s\r\n' "$1" "$2" "$AUTH" "${3:+$3$'\r\n'}"
}

# ---- five requests in one write: forwarded, refused with a body, refused,
# forwarded, forwarded (the last asks to close) ----
{
	tsp_job_open restore r1 vbr vsphere nightly
	block_write b1 t1 $((200 * 1024))
	cat "$body"
	tsp_job_open backup b2
	simple GET /tsp/1/restore/jobs/r1/tasks/t9/blocks/0
	simple POST /tsp/1/restore/jobs/r1/close 'Tsp-Result: success'$'\r\n''Connection: close'
} >"$E2E_TMP/pipeline.req"
e2e_raw "$E2E_TMP/pipeline.req" >"$E2E_TMP/pipeline.out"

tap_check "five pipelined answers come back in request order (201 503 503 404 200)" \
	test "$(e2e_statuses "$E2E_TMP/pipeline.out")" = "201 503 503 404 200"
refusal_shape() {
	grep -a -q '^Tsp-Maintenance: drain' "$E2E_TMP/pipeline.out" &&
		grep -a -q '^Retry-After: 900' "$E2E_TMP/pipeline.out" &&
		grep -a -q '^Content-Type: application/json' "$E2E_TMP/pipeline.out" &&
		grep -a -q '{"error":"maintenance","message":"Service provider is currently undergoing scheduled maintenance."}' \
			"$E2E_TMP/pipeline.out"
}
tap_check "the refusal carries the notification, Retry-After and Tsp-Maintenance" refusal_shape
forwarded_only() {
	[ "$(cut -d' ' -f1,2 "$UPLOG")" = "POST /tsp/1/restore/jobs/r1
GET /tsp/1/restore/jobs/r1/tasks/t9/blocks/0
POST /tsp/1/restore/jobs/r1/close" ]
}
tap_check "the repository received exactly the three forwarded requests" forwarded_only
tap_check "no byte of the refused body reached the repository" file_lacks "$UPLOG" "$digest"

# ---- a refused body over discard_bytes: answered, then the connection closes
# without reading it; what follows is never forwarded ----
: >"$UPLOG"
big=$((512 * 1024))
{
	tsp_job_open restore r2 vbr vsphere nightly
	block_write b3 t1 $big
	head -c $big /dev/zero
	tsp_job_open restore r3 vbr vsphere nightly
} >"$E2E_TMP/discard.req"
e2e_raw "$E2E_TMP/discard.req" >"$E2E_TMP/discard.out"
tap_check "a body over discard_bytes: 201 then 503, and nothing more" \
	test "$(e2e_statuses "$E2E_TMP/discard.out")" = "201 503"
tap_check "... the 503 says Connection: close" grep -a -q '^Connection: close' "$E2E_TMP/discard.out"
tap_check "... and only the first request reached the repository" \
	test "$(cut -d' ' -f1,2 "$UPLOG")" = "POST /tsp/1/restore/jobs/r2"

# ---- Expect: 100-continue on a refused block write: the 503 at once ----
: >"$UPLOG"
expect_refused() {
	local out
	out=$(e2e_curl /tsp/1/backup/jobs/b4/tasks/t1/blocks/0 -X PUT -H 'Expect: 100-continue' \
		-H "Tsp-Digest: sha256=$digest" --expect100-timeout 30 --data-binary "@$body" \
		-D - -o /dev/null -w 'time=%{time_total}')
	echo "$out"
	echo "$out" | grep -q '^HTTP/1.1 503' && echo "$out" | grep -q '^Connection: close' &&
		[ "$(echo "$out" | sed -n 's/.*time=\([0-9]*\)\..*/\1/p')" -lt 10 ]
}
tap_check "Expect: 100-continue on a refused request gets 503 and close without waiting" expect_refused
tap_check "... and its body never reached the repository" test ! -s "$UPLOG"

# ---- forwarded again once maintenance is off: the same block write ----
ini_set "$E2E_TMP/s.ini" maintenance enabled off
e2e_reload || hard_error "reload failed"
tap_check "with maintenance off the same block write is forwarded, body whole" \
	sh -c "curl -sS --cacert '$E2E_TMP/ca.crt' -H '$AUTH' -H 'Tsp-Digest: sha256=$digest' \
		-X PUT --data-binary '@$body' -o /dev/null -w '%{http_code}' \
		https://127.0.0.1:$SLUICE_PORT/tsp/1/backup/jobs/b4/tasks/t1/blocks/0 | grep -qx 201 &&
		grep -q 'PUT /tsp/1/backup/jobs/b4/tasks/t1/blocks/0 204800 $digest' '$UPLOG'"

e2e_finish
