#!/usr/bin/env bash
# Connection limits and slow peers: a connection over [proxy] max_connections
# or [limits] connections_per_address is answered 503 busy and closed; an idle
# connection is closed after [timeouts] idle; an upload slower than
# [limits] min_body_rate over [timeouts] body is answered 408 and closed.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
tap_plan 7

e2e_make_ca
e2e_make_cert server 127.0.0.1
e2e_start_upstream up
INI=$E2E_TMP/s.ini
e2e_write_ini "$INI" "$PEER_ADDR"
ini_set "$INI" proxy max_connections 1
ini_set "$INI" timeouts idle 1s
ini_set "$INI" timeouts body 1s
ini_set "$INI" limits min_body_rate 64k
e2e_start_sluice "$INI"

# hold NAME: a TLS connection kept open (its stdin is a FIFO this shell holds
# on descriptor 3); sets HELD_PID. Bytes written to fd 3 go to sluice.
hold() {
	mkfifo "$E2E_TMP/$1.fifo"
	exec 3<>"$E2E_TMP/$1.fifo"
	openssl s_client -quiet -ign_eof -connect "127.0.0.1:$SLUICE_PORT" -CAfile "$E2E_TMP/ca.crt" \
		<"$E2E_TMP/$1.fifo" >"$E2E_TMP/$1.out" 2>/dev/null &
	HELD_PID=$!
	E2E_PIDS+=($HELD_PID)
}
established() { [ "$(grep -c 'TLS established' "$SLUICE_LOG")" -ge "$1" ]; }

hold first
wait_until 10 established 1 || hard_error "the first connection did not come up"
e2e_curl /tsp/1/session -D "$E2E_TMP/busy.head" -o "$E2E_TMP/busy.body" >/dev/null
tap_check "a connection over max_connections is answered 503 busy" \
	sh -c "grep -q '^HTTP/1.1 503' '$E2E_TMP/busy.head' && grep -qi '^Connection: close' '$E2E_TMP/busy.head' &&
		grep -q '\"error\":\"busy\"' '$E2E_TMP/busy.body'"
tap_check "the idle connection is closed after [timeouts] idle" e2e_wait_exit "$HELD_PID" 10
exec 3>&-
tap_check "then a new connection is served" wait_until 10 e2e_curl_status 200 /tsp/1/session

# The same through the per-address cap, with room overall.
ini_set "$INI" proxy max_connections 100
ini_set "$INI" limits connections_per_address 1
e2e_reload || hard_error "reload failed"
before=$(grep -c 'TLS established' "$SLUICE_LOG")
hold second
wait_until 10 established $((before + 1)) || hard_error "the second held connection did not come up"
tap_check "a second connection from the same address is answered 503 busy" \
	e2e_curl_status 503 /tsp/1/session
exec 3>&-
e2e_wait_exit "$HELD_PID" 10

# An upload that trickles: 10 bytes of a 100000-byte block, then nothing.
ini_set "$INI" limits connections_per_address 0
e2e_reload || hard_error "reload failed"
hold slow
printf 'PUT /tsp/1/backup/jobs/j/tasks/t/blocks/0 HTTP/1.1\r\nHost: t\r\n%s\r\nTsp-Digest: sha256=%064d\r\nContent-Length: 100000\r\n\r\n0123456789' \
	"$AUTH" 0 >&3
tap_check "a body slower than min_body_rate is answered 408 and the connection closed" \
	sh -c "$(declare -f wait_until process_gone); POLL_STEP=$POLL_STEP; wait_until 10 process_gone $HELD_PID &&
		grep -a -q '^HTTP/1.1 408' '$E2E_TMP/slow.out'"
exec 3>&-
tap_check "... the repository saw the head and part of the body, never a whole request" \
	sh -c "! grep -q 'blocks/0 100000' '$E2E_TMP/up.log'"
tap_check "... and the log says why" file_has "$SLUICE_LOG" "slower than \[limits\] min_body_rate"

e2e_finish
