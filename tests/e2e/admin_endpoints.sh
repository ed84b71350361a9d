#!/bin/bash
# tests/e2e/admin_endpoints.sh: the admin endpoint of a running sluice (TAP).
#
# Over the UNIX socket (curl --unix-socket) and the loopback TCP address:
# GET /status (fields, pid, absolute config file, generation, counts),
# GET /metrics (parsed by promtool when installed, else by
# admin_metrics_check.py; counters move with traffic and refusals),
# GET /health (200 active -> 503 maintenance -> 200 active), POST /reload
# and SIGHUP giving the same result (ok and failed, the same FILE:LINE
# error), 404/405/413 in the proxy's error shape, HEAD, keep-alive; the
# socket's mode, its removal at exit, a stale socket replaced, a live one
# refused.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
stack_tenant_add acme acme-secret
stack_ini_set admin.listen 127.0.0.1:0
stack_ini_set admin.socket_mode 0640
stack_start
work=$STACK_OUT
sock=$STACK_ADMIN_SOCKET
checker=$SLUICE_SRCDIR/tests/e2e/admin_metrics_check.py
tcp=$(sed -n 's/.*admin endpoint on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$SLUICE_LOG" | head -n 1)
[[ -n $tcp ]] || stack_fail "sluice did not log its admin TCP address"

# admin METHOD PATH OUT [CURL ARGS...]: over the UNIX socket; head in OUT.head,
# body in OUT, prints the status code.
admin() {
	local method=$1 path=$2 out=$3
	shift 3
	curl -sS --max-time "$STACK_TIMEOUT" --unix-socket "$sock" -X "$method" -D "$out.head" -o "$out" \
		-w '%{http_code}' "$@" "http://sluice$path"
}
# is WHAT GOT WANT: quiet when equal.
is() { [[ $2 == "$3" ]] || { printf '%s: %s, wanted %s\n' "$1" "$2" "$3"; return 1; }; }
# metric FILE SERIES: the value of one series ("name{a=\"b\"}") in a checked file.
metric() { python3 "$checker" --samples "$1" | awk -v k="$2" '$1 == k { print $2 }'; }

# ---- the socket and GET /status ----
tap_check "the admin socket has [admin] socket_mode (0640)" is mode "$(stat -c %a "$sock")" 640
code=$(admin GET /status "$work/status")
tap_check "GET /status over the UNIX socket: 200 application/json" \
	is "status" "$code $(stack_header "$work/status" Content-Type)" "200 application/json"
tap_check "status: version, pid, absolute config file, generation 1" \
	json_is "$work/status" '"\(.version) \(.pid) \(.config.file) \(.config.generation)"' \
	"$("$SLUICE" -V | awk '{ print $2 }') $SLUICE_PID $STACK_INI_FILE 1"
tap_check "status: times are RFC 3339 UTC, uptime a count of seconds" \
	json_is "$work/status" '[(.config.loaded_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")),
		(.uptime_seconds | type)] | map(tostring) | join(" ")' "true number"
tap_check "status: maintenance active, nothing draining, no reload yet" \
	json_is "$work/status" '"\(.maintenance.state) \(.maintenance.mode) \(.maintenance.since) \(.maintenance.categories | join(",")) \(.maintenance.draining.tasks) \(.maintenance.draining.agent_jobs) \(.maintenance.draining.tenants | length) \(.reloads.ok) \(.reloads.failed) \(.reloads.last)"' \
	"active drain null backup,backup-copy 0 0 0 0 0 null"
tap_check "status: connections.max is [proxy] max_connections, jobs_open per category" \
	json_is "$work/status" '"\(.connections.max) \(.jobs_open | keys | join(","))"' \
	"1000 backup,backup-copy,replication,restore"

# ---- /health, /metrics, and counters that move ----
code=$(admin GET /health "$work/health")
tap_check "GET /health: 200 active" is health "$code $(cat "$work/health")" "200 active"
curl -sS --max-time "$STACK_TIMEOUT" -o "$work/metrics0" -D "$work/metrics0.head" "http://$tcp/metrics"
tap_check "GET /metrics over [admin] listen: text format 0.0.4" \
	is type "$(stack_header "$work/metrics0" Content-Type)" "text/plain; version=0.0.4; charset=utf-8"
if command -v promtool > /dev/null 2>&1; then
	tap_check "promtool check metrics accepts /metrics" promtool check metrics < "$work/metrics0"
else
	tap_check "/metrics parses (admin_metrics_check.py; promtool not installed)" python3 "$checker" "$work/metrics0"
fi
families="sluice_maintenance_state sluice_draining_tasks sluice_draining_agent_jobs sluice_messages_total
	sluice_bytes_total sluice_connections sluice_connections_max sluice_tls_handshakes_total
	sluice_reloads_total sluice_drain_seconds sluice_config_generation sluice_jobs_open
	sluice_tls_certificate_expiry_seconds"
has_families() {
	local f
	for f in $families; do grep -q "^# TYPE $f " "$1" || { echo "no $f"; return 1; }; done
}
tap_check "/metrics has every family of the contract" has_families "$work/metrics0"
# The stack's certificate is valid for 30 days (tests/e2e/lib.sh).
expiry=$(metric "$work/metrics0" "sluice_tls_certificate_expiry_seconds{}")
tap_check "sluice_tls_certificate_expiry_seconds: the served certificate's 30 days, less a little" \
	awk -v v="$expiry" 'BEGIN { exit !(v != "" && v > 30 * 86400 - 600 && v <= 30 * 86400) }'

stack_tenant "$work/job1" acme backup --job "$(stack_job m)" --tasks 2 --blocks 2 --block-size 16k
tap_check "a backup job through sluice: exit 0" is "exit" "$?" 0
admin GET /metrics "$work/metrics1" > /dev/null
fwd='sluice_messages_total{category="backup",decision="forwarded"}'
grown() { # NAME SERIES: the series grew between metrics0 and metrics1
	local a b
	a=$(metric "$work/metrics0" "$2") b=$(metric "$work/metrics1" "$2")
	awk -v a="${a:-x}" -v b="${b:-x}" 'BEGIN { exit !(a != "x" && b != "x" && b + 0 > a + 0) }' ||
		{ echo "$2: $a -> $b"; return 1; }
}
# job open, 2 task opens, 4 block writes, 2 task closes, job close
tap_check "forwarded backup messages counted: +10" \
	is "$fwd" "$(( $(metric "$work/metrics1" "$fwd") - $(metric "$work/metrics0" "$fwd") ))" 10
tap_check "bytes from tenants grew (more than the 32 KiB of blocks)" \
	awk -v a="$(metric "$work/metrics0" 'sluice_bytes_total{direction="in"}')" \
	-v b="$(metric "$work/metrics1" 'sluice_bytes_total{direction="in"}')" 'BEGIN { exit !(b - a > 32768) }'
tap_check "TLS handshakes counted" grown tls 'sluice_tls_handshakes_total{}'

stack_maintenance on drain "Back at 10:00 UTC."
code=$(admin GET /health "$work/health")
tap_check "GET /health with maintenance on and nothing to drain: 503 maintenance" \
	is health "$code $(cat "$work/health")" "503 maintenance"
stack_tenant "$work/job2" acme backup --job "$(stack_job m)" --tasks 1 --blocks 1 --block-size 16k
admin GET /metrics "$work/metrics2" > /dev/null
ref='sluice_messages_total{category="backup",decision="refused_maintenance"}'
tap_check "the refused job open counted: refused_maintenance +1" \
	is "$ref" "$(( $(metric "$work/metrics2" "$ref") - $(metric "$work/metrics1" "$ref") ))" 1
tap_check "sluice_maintenance_state 2, sluice_drain_seconds set" \
	is state "$(metric "$work/metrics2" 'sluice_maintenance_state{}') $(metric "$work/metrics2" 'sluice_drain_seconds{}' | awk '{ print ($1 >= 0) }')" "2 1"
admin GET /status "$work/status2" > /dev/null
tap_check "status: maintenance, since, message" \
	json_is "$work/status2" '"\(.maintenance.state) \(.maintenance.since != null) \(.maintenance.message)"' \
	"maintenance true Back at 10:00 UTC."
stack_maintenance off
code=$(admin GET /health "$work/health")
tap_check "GET /health after maintenance off: 200 active" is health "$code $(cat "$work/health")" "200 active"

# ---- reload: POST /reload and SIGHUP agree ----
gen() { admin GET /status "$work/gen" > /dev/null && jq -r .config.generation "$work/gen"; }
gen_is() { [[ $(gen) == "$1" ]]; }
g0=$(gen)
code=$(admin POST /reload "$work/reload-ok")
tap_check "POST /reload: 200 ok with the next generation" \
	json_is "$work/reload-ok" '"'"$code"' \(.result) \(.generation)"' "200 ok $((g0 + 1))"
stack_log_mark
kill -HUP "$SLUICE_PID"
# (A reload starts no sooner than 0.2 s after the previous one: poll.)
tap_check "SIGHUP after it: the generation after that" wait_until "$STACK_TIMEOUT" gen_is $((g0 + 2))
good_ini=$(cat "$STACK_INI_FILE")
printf '[maintenance]\nmode = sideways\n' >> "$STACK_INI_FILE"
bad_line=$(wc -l < "$STACK_INI_FILE")
code=$(admin POST /reload "$work/reload-bad")
tap_check "POST /reload of a bad file: 422 failed, FILE:LINE in the error" \
	json_is "$work/reload-bad" '"'"$code"' \(.result) \(.generation) \(.error | startswith("'"$STACK_INI_FILE:$bad_line"':"))"' \
	"422 failed $((g0 + 2)) true"
post_error=$(jq -r .error "$work/reload-bad")
stack_log_mark
kill -HUP "$SLUICE_PID"
stack_log_wait "reload failed" || true
tap_check "SIGHUP of the same file: the same error in the log" stack_log_has "reload failed: $post_error;"
admin GET /status "$work/status3" > /dev/null
tap_check "status: reloads counted, the last one failed with the same error, generation kept" \
	json_is "$work/status3" '"\(.reloads.ok) \(.reloads.failed) \(.reloads.last.result) \(.reloads.last.error == $e) \(.config.generation)"' \
	"$((g0 + 1)) 2 failed true $((g0 + 2))" --arg e "$post_error"
printf '%s\n' "$good_ini" > "$STACK_INI_FILE"
admin GET /metrics "$work/metrics3" > /dev/null
tap_check "sluice_reloads_total and sluice_config_generation agree" \
	is reloads "$(metric "$work/metrics3" 'sluice_reloads_total{result="ok"}') $(metric "$work/metrics3" 'sluice_reloads_total{result="failed"}') $(metric "$work/metrics3" 'sluice_config_generation{}')" \
	"$((g0 + 1)) 2 $((g0 + 2))"

# ---- the rest of HTTP ----
code=$(admin GET /nowhere "$work/404")
tap_check "GET /nowhere: 404 in the proxy's error shape" json_is "$work/404" '"'"$code"' \(.error)"' "404 not-found"
code=$(admin GET /reload "$work/405")
tap_check "GET /reload: 405, Allow: POST" is 405 "$code $(stack_header "$work/405" Allow)" "405 POST"
code=$(admin POST /reload "$work/413" -d 'x=1')
tap_check "POST /reload with a body: 413, no reload" \
	is 413 "$code $(gen)" "413 $((g0 + 2))"
# raw REQUEST: send it over the UNIX socket, print everything until the close.
raw() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode())
while True:
    b = s.recv(65536)
    if not b: break
    sys.stdout.buffer.write(b)' "$sock" "$1"
}
raw $'HEAD /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' > "$work/head"
head_only() {
	local length
	length=$(tr -d '\r' < "$work/head" | sed -n 's/^Content-Length: //p')
	grep -q '^HTTP/1.1 200 OK' "$work/head" && [[ $length -gt 100 ]] &&
		[[ $(tail -c 4 "$work/head" | od -An -c | tr -d ' ') == '\r\n\r\n' ]] || { cat "$work/head"; return 1; }
}
tap_check "HEAD /status: 200, the length of the document, no body" head_only
raw $'GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' > "$work/pipelined"
tap_check "two pipelined requests answered in order, the second closing" \
	is pipelined "$(grep -c '^HTTP/1.1 200' "$work/pipelined") $(grep -c '^Connection: close' "$work/pipelined")" "2 1"
curl -sS --max-time "$STACK_TIMEOUT" --unix-socket "$sock" -o /dev/null -o /dev/null \
	-w '%{num_connects} ' http://sluice/health http://sluice/status > "$work/keepalive"
tap_check "two requests on one kept-alive connection" is connects "$(cat "$work/keepalive")" "1 0 "

# ---- the socket's life ----
cp "$STACK_INI_FILE" "$work/second.ini"
ini_set "$work/second.ini" proxy pidfile "$work/second.pid"
ini_set "$work/second.ini" admin listen ""
# Bounded: a second sluice that wrongly kept running must fail the test, not hang it.
timeout 30 "$SLUICE" -c "$work/second.ini" -f > /dev/null 2> "$E2E_TMP/second.log"
tap_check "a second sluice on the same admin socket exits 1, naming it" \
	is second "$? $(grep -c "admin\] socket: $sock is in use" "$E2E_TMP/second.log")" "1 1"
tap_check "... and the first still answers" is health "$(admin GET /health "$work/health")" 200
stack_proxy_stop > "$work/stop" 2>&1
tap_check "sluice stops cleanly; the socket is removed" test ! -e "$sock"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock"
e2e_start_sluice "$STACK_INI_FILE" sluice2
tap_check "a stale socket file is replaced at start" \
	is restart "$(admin GET /health "$work/health") $(grep -c 'removed the stale socket' "$SLUICE_LOG")" "200 1"
tap_plan "$TAP_N"
e2e_finish
