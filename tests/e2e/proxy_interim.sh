#!/usr/bin/env bash
# Interim (1xx) answers from the repository are bounded: one more than
# [limits] interim_responses, or interim answers for longer than [timeouts]
# upstream_response, is answered 502 upstream-unavailable with Connection:
# close, after the interim answers already relayed. A request under the
# bound gets its final answer whole, and an Expect: 100-continue upload whose
# body takes longer than upstream_response after its 100 Continue is not cut.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
tap_plan 15

e2e_make_ca
e2e_make_cert server 127.0.0.1

# fetch NAME PATH [CURL ARGS...]: a request through the sluice started last;
# head (with the interim answers) in NAME.head, body in NAME.body, "status
# seconds" in NAME.w. A hang ends at --max-time.
fetch() {
	local name=$1 path=$2
	shift 2
	e2e_curl "$path" --max-time 6 -D "$E2E_TMP/$name.head" -o "$E2E_TMP/$name.body" \
		-w '%{http_code} %{time_total}' "$@" >"$E2E_TMP/$name.w" 2>/dev/null
}
status_of() { cut -d' ' -f1 "$E2E_TMP/$1.w"; }
seconds_of() { cut -d' ' -f2 "$E2E_TMP/$1.w"; }
interims_in() { grep -a -c '^HTTP/1.1 100 Continue' "$E2E_TMP/$1.head"; }
# between LOW HIGH VALUE: LOW <= VALUE < HIGH (decimals).
between() { awk -v lo="$1" -v hi="$2" -v v="$3" 'BEGIN { exit !(v != "" && v >= lo && v < hi) }' ||
	{ echo "$3 is not in [$1, $2)"; return 1; }; }
# answered_502 NAME: 502, the one JSON error shape, Connection: close.
answered_502() {
	same "status" "$(status_of "$1")" 502 &&
	grep -qx '{"error":"upstream-unavailable","message":"the backup repository is unavailable"}' \
		"$E2E_TMP/$1.body" && grep -a -q '^HTTP/1.1 502' "$E2E_TMP/$1.head" &&
	grep -a -qi '^Connection: close' "$E2E_TMP/$1.head"
}

# A repository that answers every request with "100 Continue" for ever,
# one every 50 ms, and never a final answer.
e2e_start_upstream flood --mode continue-flood --interim-gap 0.05
flood_addr=$PEER_ADDR

# 1. The count: the sixth interim answer, with interim_responses = 5.
e2e_write_ini "$E2E_TMP/count.ini" "$flood_addr"
ini_set "$E2E_TMP/count.ini" limits interim_responses 5
ini_set "$E2E_TMP/count.ini" timeouts upstream_response 10s
e2e_start_sluice "$E2E_TMP/count.ini" sluice-count
fetch count /tsp/1/session
tap_check "interim answers past [limits] interim_responses: 502 upstream-unavailable, Connection: close" \
	answered_502 count
tap_check "... after the 5 interim answers allowed, relayed as they came" \
	same "interim answers" "$(interims_in count)" 5
tap_check "... well within a second and a half" between 0 1.5 "$(seconds_of count)"
tap_check "... and the log says why, with the count" \
	wait_log "$SLUICE_LOG" "sent 6 interim (1xx) answers to one request, more than \[limits\] interim_responses (5)"
# The stand-in says on stderr how many it had sent when the connection closed.
flood_closed_promptly() {
	wait_log "$E2E_TMP/flood.err" "the peer closed the connection after" || return 1
	between 6 12 "$(sed -n '1s/.* after \([0-9]*\) interim answers/\1/p' "$E2E_TMP/flood.err")"
}
tap_check "... and the repository connection is closed at once" flood_closed_promptly

# 2. The time: interim_responses = 1000 is never reached in upstream_response = 1s.
e2e_write_ini "$E2E_TMP/time.ini" "$flood_addr"
ini_set "$E2E_TMP/time.ini" limits interim_responses 1000
ini_set "$E2E_TMP/time.ini" timeouts upstream_response 1s
e2e_start_sluice "$E2E_TMP/time.ini" sluice-time
fetch time /tsp/1/session
tap_check "interim answers for longer than [timeouts] upstream_response: 502, Connection: close" \
	answered_502 time
tap_check "... after about upstream_response (1 s)" between 0.9 2.5 "$(seconds_of time)"
tap_check "... after the interim answers of that second" between 10 21 "$(interims_in time)"
tap_check "... and the log says why" \
	wait_log "$SLUICE_LOG" "interim (1xx) answers in 1\.[0-9] s and no final answer within \[timeouts\] upstream_response"

# One interim answer, then silence: the repository's own slowness, the usual
# 504, which follows the 100 Continue already relayed.
e2e_start_upstream one --mode continue-slow --interims 1 --interim-gap 4
e2e_write_ini "$E2E_TMP/one.ini" "$PEER_ADDR"
ini_set "$E2E_TMP/one.ini" timeouts upstream_response 1s
e2e_start_sluice "$E2E_TMP/one.ini" sluice-one
fetch one /tsp/1/session
one_then_timeout() {
	same status "$(status_of one)" 504 && same "interim answers" "$(interims_in one)" 1 &&
	grep -q '{"error":"upstream-timeout",' "$E2E_TMP/one.body" && between 0.9 2.5 "$(seconds_of one)"
}
tap_check "one interim answer, then nothing for upstream_response: 504 upstream-timeout after it" \
	one_then_timeout

# 3. Under the bound: 5 interim answers (as many as allowed), then the answer.
e2e_start_upstream under --mode continue-slow --interims 5 --interim-gap 0.05
e2e_write_ini "$E2E_TMP/under.ini" "$PEER_ADDR"
ini_set "$E2E_TMP/under.ini" limits interim_responses 5
ini_set "$E2E_TMP/under.ini" timeouts upstream_response 1s
e2e_start_sluice "$E2E_TMP/under.ini" sluice-under
head -c 300000 /dev/urandom >"$E2E_TMP/block"
block_sha=$(sha256sum <"$E2E_TMP/block" | cut -d' ' -f1)
fetch under-put /tsp/1/backup/jobs/j/tasks/t/blocks/0 -X PUT -H 'Expect:' \
	-H "Tsp-Digest: sha256=$block_sha" --data-binary "@$E2E_TMP/block"
put_answered() {
	same status "$(status_of under-put)" 201 && same "interim answers" "$(interims_in under-put)" 5 &&
	file_has "$E2E_TMP/under.log" "^PUT /tsp/1/backup/jobs/j/tasks/t/blocks/0 300000 $block_sha\$"
}
tap_check "a block write answered after 5 interim answers (the bound): 201, all relayed" put_answered
fetch under-get /tsp/1/restore/jobs/r/tasks/t/blocks/0
get_answered() {
	same status "$(status_of under-get)" 200 && same "interim answers" "$(interims_in under-get)" 5 &&
	same digest "$(sha256sum <"$E2E_TMP/under-get.body" | cut -d' ' -f1)" "$block_sha"
}
tap_check "its read, after 5 interim answers: 200 and the block intact" get_answered

# 4. An Expect: 100-continue upload: the repository sends one 100 Continue
# and waits for the body, which the tenant sends in three parts 1.2 s apart
# (longer than upstream_response = 1s, faster than min_body_rate's minimum).
e2e_start_upstream expect
e2e_write_ini "$E2E_TMP/expect.ini" "$PEER_ADDR"
ini_set "$E2E_TMP/expect.ini" limits interim_responses 1
ini_set "$E2E_TMP/expect.ini" timeouts upstream_response 1s
e2e_start_sluice "$E2E_TMP/expect.ini" sluice-expect
head -c 3000 /dev/urandom >"$E2E_TMP/part"
part_sha=$(sha256sum <"$E2E_TMP/part" | cut -d' ' -f1)
slow_body() {
	head -c 1000 "$E2E_TMP/part"
	sleep 1.2
	tail -c +1001 "$E2E_TMP/part" | head -c 1000
	sleep 1.2
	tail -c +2001 "$E2E_TMP/part"
}
slow_body | fetch expect /tsp/1/backup/jobs/j/tasks/e/blocks/0 -T - -H 'Transfer-Encoding:' \
	-H 'Content-Length: 3000' -H 'Expect: 100-continue' -H "Tsp-Digest: sha256=$part_sha"
upload_answered() {
	same status "$(status_of expect)" 201 && same "interim answers" "$(interims_in expect)" 1
}
tap_check "a slow Expect: 100-continue upload after one 100 Continue gets its 201" upload_answered
tap_check "... its body took longer than upstream_response" between 2 6 "$(seconds_of expect)"
tap_check "... and reached the repository whole" \
	file_has "$E2E_TMP/expect.log" "^PUT /tsp/1/backup/jobs/j/tasks/e/blocks/0 3000 $part_sha\$"

e2e_finish
