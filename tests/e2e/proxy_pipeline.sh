#!/usr/bin/env bash
# Pipelined requests on one TLS connection are answered in order, the proxy's
# own refusals included; a refused request's body is read and dropped and never
# reaches the repository; a body over [limits] discard_bytes, or one behind
# Expect: 100-continue, is not read: the refusal goes at once and the
# connection closes. Body-less requests answered by the proxy behind a
# forwarded one at connection start get their answers, not 408 (no body is
# read, so [limits] min_body_rate does not apply). A tab around a
# Content-Length value is optional whitespace; two Authorization headers are
# a 401 that keeps the connection.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
tap_plan 15

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

# ---- the first write of a connection: a forwarded request, then body-less
# requests the proxy answers itself (404, 405, 401, 503, the hello notice).
# They wait behind the forwarded bytes while the repository connection is
# opened; no body is being read, so [limits] min_body_rate must not apply. ----
: >"$UPLOG"
{
	tsp_job_open restore r5 vbr vsphere nightly
	simple GET /tsp/1/nowhere
	simple PUT /tsp/1/session
	printf 'GET /tsp/1/session HTTP/1.1\r\nHost: t\r\n\r\n'
	tsp_job_open backup b9
	simple GET /tsp/1/session
	simple POST /tsp/1/restore/jobs/r5/close 'Tsp-Result: success'$'\r\n''Connection: close'
} >"$E2E_TMP/bodyless.req"
e2e_raw "$E2E_TMP/bodyless.req" >"$E2E_TMP/bodyless.out"
tap_check "at connection start, a forwarded request then body-less local answers: no 408 (201 404 405 401 503 200 200)" \
	test "$(e2e_statuses "$E2E_TMP/bodyless.out")" = "201 404 405 401 503 200 200"
tap_check "... the hello notice is the proxy's and both forwarded requests reached the repository" \
	sh -c "grep -a -q '\"maintenance\":{\"mode\":\"drain\"' '$E2E_TMP/bodyless.out' &&
		[ \"\$(cut -d' ' -f1,2 '$UPLOG')\" = 'POST /tsp/1/restore/jobs/r5
POST /tsp/1/restore/jobs/r5/close' ]"

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

# ---- pipelined in one write: a block write whose Content-Length has tabs
# around it (optional whitespace: forwarded, its body whole), a hello with two
# Authorization headers (the classifier's 401, which keeps the connection),
# then a forwarded job close ----
: >"$UPLOG"
{
	printf 'PUT /tsp/1/backup/jobs/b6/tasks/t1/blocks/0 HTTP/1.1\r\nHost: t\r\n%s\r\nTsp-Digest: sha256=%s\r\nContent-Length:\t5\t\r\n\r\nhello' \
		"$AUTH" "$(printf hello | sha256sum | cut -d' ' -f1)"
	printf 'GET /tsp/1/session HTTP/1.1\r\nHost: t\r\n%s\r\n%s\r\n\r\n' "$AUTH" "$AUTH"
	simple POST /tsp/1/backup/jobs/b6/close 'Tsp-Result: success'$'\r\n''Connection: close'
} >"$E2E_TMP/ows.req"
e2e_raw "$E2E_TMP/ows.req" >"$E2E_TMP/ows.out"
tap_check "Content-Length with tabs, two Authorization headers, a close: 201 401 200" \
	test "$(e2e_statuses "$E2E_TMP/ows.out")" = "201 401 200"
tap_check "... the 401 names the repeated credentials and asks for Basic" \
	sh -c "grep -a -q 'Authorization appears more than once' '$E2E_TMP/ows.out' &&
		grep -a -q '^WWW-Authenticate: Basic realm=\"tsp\"' '$E2E_TMP/ows.out'"
tap_check "... the repository got the block (5 bytes) and the close, not the hello" \
	test "$(cut -d' ' -f1-3 "$UPLOG")" = "PUT /tsp/1/backup/jobs/b6/tasks/t1/blocks/0 5
POST /tsp/1/backup/jobs/b6/close 0"

e2e_finish
