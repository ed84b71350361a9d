#!/usr/bin/env bash
# When the repository cannot be reached the tenant gets 502
# upstream-unavailable; when it does not answer within
# [timeouts] upstream_response, 504 upstream-timeout; both in the one JSON
# error shape, with Connection: close. With upstream_tls the repository's
# certificate is verified against upstream_ca and its name, and a block of
# many TLS records passes both ways unchanged.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
tap_plan 13

e2e_make_ca
e2e_make_cert server 127.0.0.1

# An address where nothing listens: a stand-in upstream that has stopped.
e2e_start_upstream gone
gone_addr=$PEER_ADDR
kill -TERM "$PEER_PID"
e2e_wait_exit "$PEER_PID" 10 || hard_error "the stand-in upstream did not stop"

e2e_write_ini "$E2E_TMP/down.ini" "$gone_addr"
e2e_start_sluice "$E2E_TMP/down.ini" sluice-down
e2e_curl /tsp/1/session -D "$E2E_TMP/502.head" -o "$E2E_TMP/502.body" >/dev/null
tap_check "a repository that is down: 502" grep -q '^HTTP/1.1 502' "$E2E_TMP/502.head"
tap_check "... with the error body upstream-unavailable" \
	grep -qx '{"error":"upstream-unavailable","message":"the backup repository is unavailable"}' \
	"$E2E_TMP/502.body"
tap_check "... and Connection: close" grep -qi '^Connection: close' "$E2E_TMP/502.head"
tap_check "... and the log says why" wait_log "$SLUICE_LOG" "cannot connect to the repository at $gone_addr"

# A repository that reads requests and never answers.
e2e_start_upstream silent --mode silent
e2e_write_ini "$E2E_TMP/silent.ini" "$PEER_ADDR"
ini_set "$E2E_TMP/silent.ini" timeouts upstream_response 1s
e2e_start_sluice "$E2E_TMP/silent.ini" sluice-silent
e2e_curl /tsp/1/session -D "$E2E_TMP/504.head" -o "$E2E_TMP/504.body" -w '%{time_total}' \
	>"$E2E_TMP/504.time"
tap_check "a repository that does not answer: 504 after [timeouts] upstream_response" \
	grep -q '^HTTP/1.1 504' "$E2E_TMP/504.head"
tap_check "... with the error body upstream-timeout" \
	grep -q '{"error":"upstream-timeout",' "$E2E_TMP/504.body"

# A repository that answers a block write before its body and closes: the
# answer reaches the tenant, the connection ends, nothing hangs.
e2e_start_upstream early
e2e_write_ini "$E2E_TMP/early.ini" "$PEER_ADDR"
e2e_start_sluice "$E2E_TMP/early.ini" sluice-early
head -c $((1024 * 1024)) /dev/zero >"$E2E_TMP/zeros"
early_answer() {
	e2e_curl /tsp/1/backup/jobs/early-close/tasks/t/blocks/0 -X PUT -H 'Expect:' \
		-H "Tsp-Digest: sha256=$(sha256sum <"$E2E_TMP/zeros" | cut -d' ' -f1)" \
		--data-binary "@$E2E_TMP/zeros" --max-time 20 -o /dev/null -w '%{http_code}'
}
tap_check "an answer sent before the body (413, Connection: close) reaches the tenant" \
	sh -c "$(declare -f early_answer e2e_curl); E2E_TMP='$E2E_TMP' AUTH='$AUTH' SLUICE_PORT=$SLUICE_PORT; early_answer | grep -qx 413"
tap_check "... and the exchange is logged with it" \
	wait_log "$SLUICE_LOG" "job=early-close task=t decision=forwarded status=413"

# A repository speaking TLS: verified against upstream_ca and its address or
# upstream_name.
e2e_make_cert repo 127.0.0.1
e2e_start_upstream tlsup --tls-cert "$E2E_TMP/repo.crt" --tls-key "$E2E_TMP/repo.key"
e2e_write_ini "$E2E_TMP/tls.ini" "$PEER_ADDR"
ini_set "$E2E_TMP/tls.ini" proxy upstream_tls on
ini_set "$E2E_TMP/tls.ini" proxy upstream_ca "$E2E_TMP/ca.crt"
e2e_start_sluice "$E2E_TMP/tls.ini" sluice-tls
tap_check "upstream_tls: the repository's certificate verified for its IP address" \
	sh -c "curl -sS --cacert '$E2E_TMP/ca.crt' -H '$AUTH' https://127.0.0.1:$SLUICE_PORT/tsp/1/session |
		grep -q '\"server\":\"test-upstream\"'"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$E2E_TMP/random"
random_sha=$(sha256sum <"$E2E_TMP/random" | cut -d' ' -f1)
big_write() {
	e2e_curl /tsp/1/backup/jobs/j/tasks/big/blocks/0 -X PUT -H 'Expect:' \
		-H "Tsp-Digest: sha256=$random_sha" --data-binary "@$E2E_TMP/random" -o /dev/null &&
		grep -q "^PUT /tsp/1/backup/jobs/j/tasks/big/blocks/0 4194304 $random_sha\$" "$E2E_TMP/tlsup.log"
}
tap_check "upstream_tls: a 4 MiB block write reaches the repository whole" big_write
big_read() {
	[ "$(e2e_curl /tsp/1/restore/jobs/r/tasks/big/blocks/0 --max-time 20 | sha256sum |
		cut -d' ' -f1)" = "$random_sha" ]
}
tap_check "... and read back with the same SHA-256" big_read
ini_set "$E2E_TMP/tls.ini" proxy upstream_name wrong.example
e2e_reload || hard_error "reload with upstream_name failed"
tap_check "... a certificate for another name is refused: 502" e2e_curl_status 502 /tsp/1/session
tap_check "... and the log says why" \
	file_has "$SLUICE_LOG" "certificate not accepted: .*check \[proxy\] upstream_ca and upstream_name"

e2e_finish
