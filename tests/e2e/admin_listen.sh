#!/usr/bin/env bash
# tests/e2e/admin_listen.sh: sluice -t and the daemon agree on [admin] listen
# (TAP). Every form the configuration accepts (127.0.0.0/8, [::1], localhost,
# port 0 included) passes sluice -t and is served by the daemon, localhost
# being 127.0.0.1; every other address is refused by both, with the same
# message.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup

e2e_make_ca
e2e_make_cert server 127.0.0.1
e2e_start_upstream up
INI=$E2E_TMP/s.ini
e2e_write_ini "$INI" "$PEER_ADDR"

# serves ADDRESS WANT_HOST: sluice -t passes with [admin] listen = ADDRESS,
# the daemon starts with it, logs "admin endpoint on WANT_HOST:PORT" and
# answers GET /health there; then it is stopped.
serves() {
	local address=$1 want=$2 log=$E2E_TMP/serve.log ready=$E2E_TMP/serve.ready pid bound code
	ini_set "$INI" admin listen "$address"
	"$SLUICE" -t -c "$INI" > /dev/null 2>&1 || { echo "sluice -t refused $address: $("$SLUICE" -t -c "$INI" 2>&1)"; return 1; }
	rm -f "$ready"
	: > "$log"
	"$SLUICE" -c "$INI" -f --ready-file "$ready" > /dev/null 2>> "$log" &
	pid=$!
	if ! wait_until 10 test -s "$ready"; then
		kill "$pid" 2> /dev/null
		wait "$pid"
		echo "sluice -t passed $address but the daemon did not start: $(tail -n 3 "$log")"
		return 1
	fi
	bound=$(sed -n 's/.*admin endpoint on \([^ ]*\).*/\1/p' "$log" | head -n 1)
	code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -g "http://$bound/health")
	kill -TERM "$pid"
	wait "$pid"
	[[ $bound == "$want":* && ${bound##*:} != 0 && $code == 200 ]] ||
		{ echo "bound $bound (wanted $want:PORT), GET /health $code"; return 1; }
}
# refused ADDRESS: sluice -t and the daemon both exit 1 with the same message.
refused() {
	local address=$1 t start
	ini_set "$INI" admin listen "$address"
	t=$("$SLUICE" -t -c "$INI" 2>&1) && { echo "sluice -t passed $address"; return 1; }
	start=$(timeout 20 "$SLUICE" -c "$INI" -f 2>&1) && { echo "the daemon ran with $address"; return 1; }
	[[ $(head -n 1 <<< "$t") == "$(head -n 1 <<< "$start")" ]] ||
		{ printf 'sluice -t: %s\nstart:     %s\n' "$t" "$start"; return 1; }
}

tap_check "localhost:0: sluice -t passes and the daemon serves it on 127.0.0.1" serves localhost:0 127.0.0.1
tap_check "127.0.0.1:0: both" serves 127.0.0.1:0 127.0.0.1
tap_check "127.0.0.2:0 (all of 127.0.0.0/8 is loopback): both" serves 127.0.0.2:0 127.0.0.2
if python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2> /dev/null; then
	tap_check "[::1]:0: both" serves '[::1]:0' '[::1]'
else
	tap_ok "[::1]:0: both # SKIP no IPv6 loopback here"
fi
tap_check "10.1.2.3:0: refused by both, with the same message" refused 10.1.2.3:0
tap_check "*:0: refused by both" refused '*:0'
tap_check "example.com:9443: refused by both" refused example.com:9443
tap_plan "$TAP_N"
e2e_finish
