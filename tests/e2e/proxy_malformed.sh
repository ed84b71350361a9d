#!/usr/bin/env bash
# Malformed or ambiguous HTTP is answered 400 by sluice and the connection
# closed; nothing after it is read or forwarded. A head over header_bytes is
# 431, a head that does not complete within [timeouts] header is 408; a path
# that is not TSP is 404 and the connection goes on.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
tap_plan 7

e2e_make_ca
e2e_make_cert server 127.0.0.1
e2e_start_upstream up
e2e_write_ini "$E2E_TMP/s.ini" "$PEER_ADDR"
ini_set "$E2E_TMP/s.ini" timeouts header 300ms
e2e_start_sluice "$E2E_TMP/s.ini"
UPLOG=$E2E_TMP/up.log

hello() { printf 'GET /tsp/1/session HTTP/1.1\r\nHost: t\r\n%s\r\n%s\r\n' "$AUTH" "${1:+$1$'\r\n'}"; }

# Content-Length with a space before the colon: http-parser alone would frame by it.
{
	printf 'PUT /tsp/1/backup/jobs/j/tasks/t/blocks/0 HTTP/1.1\r\nHost: t\r\n%s\r\n' "$AUTH"
	printf 'Tsp-Digest: sha256=%064d\r\nContent-Length : 5\r\n\r\nhello' 0
	hello
} >"$E2E_TMP/smuggle.req"
e2e_raw "$E2E_TMP/smuggle.req" >"$E2E_TMP/smuggle.out"
tap_check "a space before the colon: 400, and the request behind it gets no answer" \
	test "$(e2e_statuses "$E2E_TMP/smuggle.out")" = 400
tap_check "... in the error shape, with Connection: close" \
	sh -c "grep -a -q '^Connection: close' '$E2E_TMP/smuggle.out' &&
		grep -a -q '{\"error\":\"bad-request\",' '$E2E_TMP/smuggle.out'"
tap_check "... and nothing reached the repository" test ! -s "$UPLOG"

printf 'GET /tsp/1/session HTTP/1.0\r\nHost: t\r\n%s\r\n\r\n' "$AUTH" >"$E2E_TMP/http10.req"
e2e_raw "$E2E_TMP/http10.req" >"$E2E_TMP/http10.out"
tap_check "HTTP/1.0 is answered 400" test "$(e2e_statuses "$E2E_TMP/http10.out")" = 400

{
	printf 'GET /tsp/1/session HTTP/1.1\r\nHost: t\r\n%s\r\n' "$AUTH"
	for i in $(seq 40); do printf 'X-Padding-%d: %0500d\r\n' "$i" 0; done
	printf '\r\n'
} >"$E2E_TMP/big.req"
e2e_raw "$E2E_TMP/big.req" >"$E2E_TMP/big.out"
tap_check "a head over [limits] header_bytes: 431 header-too-large" \
	sh -c "test '$(e2e_statuses "$E2E_TMP/big.out")' = 431 &&
		grep -a -q '\"error\":\"header-too-large\"' '$E2E_TMP/big.out'"

# A head that never completes: stdin stays open (a FIFO held by this shell).
mkfifo "$E2E_TMP/slow.fifo"
exec 3<>"$E2E_TMP/slow.fifo"
openssl s_client -quiet -ign_eof -connect "127.0.0.1:$SLUICE_PORT" -CAfile "$E2E_TMP/ca.crt" \
	<"$E2E_TMP/slow.fifo" >"$E2E_TMP/slow.out" 2>/dev/null &
client=$!
printf 'GET /tsp/1/session HTTP/1.1\r\nHost: t\r\n' >&3
tap_check "an incomplete head is answered 408 after [timeouts] header, and closed" \
	sh -c "$(declare -f wait_until process_gone); POLL_STEP=$POLL_STEP; wait_until 10 process_gone $client &&
		grep -a -q '^HTTP/1.1 408' '$E2E_TMP/slow.out'"
exec 3>&-

{
	printf 'GET /tsp/1/nowhere HTTP/1.1\r\nHost: t\r\n%s\r\n\r\n' "$AUTH"
	hello 'Connection: close'
} >"$E2E_TMP/notfound.req"
e2e_raw "$E2E_TMP/notfound.req" >"$E2E_TMP/notfound.out"
tap_check "a path that is not TSP: 404, and the connection goes on to the next request" \
	test "$(e2e_statuses "$E2E_TMP/notfound.out")" = "404 200"

e2e_finish
