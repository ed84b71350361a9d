#!/usr/bin/env bash
# tests/e2e/admin_limits.sh: slow admin clients cannot lock anybody out (TAP).
#
# Each transport has its own [admin] max_clients: 70 slow clients on the TCP
# address (each sends a byte now and then, never a whole head) fill the TCP
# cap of 64, and sluicectl status still works over the UNIX socket; the same
# the other way round. [admin] header_timeout counts from a head's first
# byte and later bytes do not restart it: a client sending one byte per
# second is closed after it, unanswered. Between requests only the idle
# timeout applies: a kept-alive client silent for longer than
# header_timeout is still answered. Both keys apply on reload.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
SLUICECTL=${SLUICECTL:-$SLUICE_BUILDDIR/sluicectl}
[ -x "$SLUICECTL" ] || hard_error "no sluicectl at $SLUICECTL (run make first)"
CLIENTS=$E2E_SRC/admin_clients.py

e2e_make_ca
e2e_make_cert server 127.0.0.1
e2e_start_upstream up
INI=$E2E_TMP/s.ini
SOCK=$E2E_TMP/admin.sock
e2e_write_ini "$INI" "$PEER_ADDR"
ini_set "$INI" proxy pidfile "$E2E_TMP/sluice.pid"
ini_set "$INI" admin socket "$SOCK"
ini_set "$INI" admin listen 127.0.0.1:0
# Long enough for the slow clients to stay while the checks run.
ini_set "$INI" admin header_timeout 30s
e2e_start_sluice "$INI"
tcp=$(sed -n 's/.*admin endpoint on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$SLUICE_LOG" | head -n 1)
[[ -n $tcp ]] || hard_error "sluice did not log its admin TCP address"

is() { [[ $2 == "$3" ]] || { printf '%s: %s, wanted %s\n' "$1" "$2" "$3"; return 1; }; }
tcp_health() { curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://$tcp/health"; }
tcp_ok() { [[ $(tcp_health) == 200 ]]; }
sock_health() { curl -sS --max-time 5 --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' http://sluice/health; }
reload() {
	curl -sS --max-time 10 --unix-socket "$SOCK" -X POST -o "$E2E_TMP/reload" -w '%{http_code}' \
		http://sluice/reload | grep -q '^200$' || hard_error "reload failed: $(cat "$E2E_TMP/reload")"
}

# slow_start ADDRESS NAME [N]: N (70) slow clients in the background; waits
# until they are all connected (and the ones over the cap closed).
slow_start() {
	python3 "$CLIENTS" slow "$1" "${3:-70}" "$E2E_TMP/$2.ready" --every 2 2> "$E2E_TMP/$2.err" &
	SLOW_PID=$!
	E2E_PIDS+=("$SLOW_PID")
	wait_until 20 test -s "$E2E_TMP/$2.ready" || hard_error "the slow clients did not start: $(cat "$E2E_TMP/$2.err")"
}
slow_stop() {
	kill "$SLOW_PID" 2> /dev/null
	e2e_wait_exit "$SLOW_PID" 10
}
# cap_full FILE [OPEN CLOSED]: the slow clients report 64 open ([admin]
# max_clients) and the other 6 closed by sluice.
cap_full() {
	local want="open ${2:-64} closed ${3:-6}"
	[[ $(cat "$1") == "$want" ]] || { echo "$(cat "$1"), wanted $want"; return 1; }
}

# ---- 70 slow clients on TCP ----
slow_start "tcp:$tcp" tcp
tap_check "70 slow TCP clients: 64 ([admin] max_clients) stay, 6 are closed" \
	cap_full "$E2E_TMP/tcp.ready"
tap_check "sluicectl status still works over the UNIX socket" \
	"$SLUICECTL" -c "$INI" status
tap_check "GET /health over the UNIX socket: 200" is health "$(sock_health)" 200
tap_check "a 71st TCP client is turned away" sh -c "! curl -sS --max-time 5 -o /dev/null http://$tcp/health"
slow_stop
tap_check "once they are gone, TCP answers again" wait_until 10 tcp_ok

# ---- 70 slow clients on the UNIX socket ----
slow_start "unix:$SOCK" unix
tap_check "70 slow UNIX socket clients: 64 stay, 6 are closed" cap_full "$E2E_TMP/unix.ready"
tap_check "GET /health over TCP still 200" is health "$(tcp_health)" 200
slow_stop
tap_check "... and sluicectl status works again once they are gone" wait_until 10 "$SLUICECTL" -c "$INI" status

# ---- max_clients, applied on reload ----
ini_set "$INI" admin max_clients 8
reload
slow_start "tcp:$tcp" few 10
tap_check "[admin] max_clients = 8 after a reload: 8 of 10 slow TCP clients stay" \
	cap_full "$E2E_TMP/few.ready" 8 2
tap_check "... and the UNIX socket still answers" is health "$(sock_health)" 200
slow_stop

# ---- header_timeout ----
ini_set "$INI" admin header_timeout 2s
reload
python3 "$CLIENTS" trickle "tcp:$tcp" 10 > "$E2E_TMP/trickle" 2>&1
# "closed T SENT GOT": closed after T seconds, no answer.
closed_in_time() {
	read -r what t sent got < "$E2E_TMP/trickle"
	[[ $what == closed && $got == 0 ]] &&
		awk -v t="$t" 'BEGIN { exit !(t >= 1.5 && t <= 4.5) }' || { cat "$E2E_TMP/trickle"; return 1; }
}
tap_check "a client sending one byte per second is closed after header_timeout (2s), unanswered" closed_in_time
python3 "$CLIENTS" trickle "unix:$SOCK" 10 > "$E2E_TMP/trickle" 2>&1
tap_check "the same on the UNIX socket" closed_in_time
tap_check "the log says why" file_has "$SLUICE_LOG" "longer than \[admin\] header_timeout"
tap_check "a kept-alive client silent for 3s between two requests is answered twice" \
	is pause "$(python3 "$CLIENTS" pause "tcp:$tcp" 3 2>&1)" "200 200"
tap_plan "$TAP_N"
e2e_finish
