#!/usr/bin/env bash
# PROXY protocol on the tenant listener ([proxy] proxy_protocol, proxy_from):
# v1 from curl --haproxy-protocol and v2 from a real HAProxy in TCP mode,
# over real TLS to sluice-repo, answer bytes checked; a header from an
# address not in proxy_from, a missing, a malformed and a late header each
# close the connection without an answer and are counted in
# sluice_proxy_header_rejected_total; with a plain TCP listener a header
# written by hand names the tenant 192.0.2.7, which the access log shows
# and [limits] connections_per_address counts, instead of 127.0.0.1.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
tap_plan 19

e2e_make_ca
e2e_make_cert server 127.0.0.1
e2e_start_repo repo
REPO=$PEER_ADDR
INI=$E2E_TMP/s.ini
e2e_write_ini "$INI" "$REPO"
ini_set "$INI" admin socket "$E2E_TMP/admin.sock"
ini_set "$INI" timeouts handshake 1s

# ---- the rule: no PROXY header without proxy_from ----
ini_set "$INI" proxy proxy_protocol v1
"$SLUICE" -t -c "$INI" >"$E2E_TMP/t.out" 2>&1
line=$(grep -n '^proxy_protocol' "$INI" | cut -d: -f1)
tap_check "proxy_protocol = v1 with proxy_from empty is refused at its FILE:LINE" \
	grep -q "s.ini:$line: \[proxy\] proxy_protocol: set while proxy_from is empty" "$E2E_TMP/t.out"
ini_set "$INI" proxy proxy_from "192.0.2.0/24, 127.0.0.1"
e2e_start_sluice "$INI"

# metric NAME: its value in a fresh GET /metrics.
metric() {
	curl -sS --max-time 5 --unix-socket "$E2E_TMP/admin.sock" http://sluice/metrics |
		awk -v n="$1" '$1 == n { print $2 }'
}
rejected_is() { [ "$(metric sluice_proxy_header_rejected_total)" = "$1" ]; }
direct=$E2E_TMP/direct.body
curl -sS -H "$AUTH" -o "$direct" "http://$REPO/tsp/1/session" || hard_error "sluice-repo does not answer"
[ -s "$direct" ] || hard_error "sluice-repo's hello is empty"

# ---- v1: curl writes "PROXY TCP4 127.0.0.1 127.0.0.1 PORT PORT" ----
code=$(e2e_curl /tsp/1/session --haproxy-protocol -o "$E2E_TMP/v1.body" -w '%{http_code}')
tap_check "v1 (curl --haproxy-protocol): 200 through TLS" same status "$code" 200
tap_check "v1: the answer's bytes are the repository's" cmp "$E2E_TMP/v1.body" "$direct"
tap_check "nothing rejected yet" rejected_is 0

# ---- a missing header (curl's TLS ClientHello first), a malformed one, a late one ----
e2e_curl /tsp/1/session -o /dev/null 2>/dev/null
tap_check "no header: the connection is closed without an answer (curl fails)" same "curl exit" "$?" 35
tap_check "... and counted" rejected_is 1
# raw BYTES: write BYTES (printf %b escapes) on a new connection and print
# what comes back until sluice closes it; fails when it is still open after
# 5 s. A close with bytes unread is a reset, which is a close too (and may
# cut the write short: SIGPIPE is ignored).
raw() (
	trap '' PIPE
	exec 5<>"/dev/tcp/127.0.0.1/$SLUICE_PORT"
	printf '%b' "$1" >&5 2>/dev/null
	timeout 5 cat <&5 2>/dev/null
	[ "$?" != 124 ]
)
# closed_silently BYTES: raw BYTES gets nothing back, and the connection ends.
closed_silently() {
	local out
	out=$(raw "$1") || { echo "still open after 5 s"; return 1; }
	[ -z "$out" ] || { echo "answered: ${out:0:200}"; return 1; }
}
tap_check "a malformed v1 header is closed without an answer" closed_silently 'PROXY TCP4 1.2.3.4 x\r\n'
tap_check "... and counted" rejected_is 2
tap_check "a header that stops half-way is closed after [timeouts] handshake" \
	closed_silently 'PROXY TCP4 192.0.2.7 '
tap_check "... and counted" rejected_is 3

# ---- a sender not in proxy_from ----
ini_set "$INI" proxy proxy_from "192.0.2.1"
e2e_reload || hard_error "reload failed"
e2e_curl /tsp/1/session --haproxy-protocol -o /dev/null 2>/dev/null
tap_check "a header from 127.0.0.1, not in proxy_from, is closed without an answer" same "curl exit" "$?" 35
tap_check "... and counted" rejected_is 4
ini_set "$INI" proxy proxy_from "127.0.0.1"
ini_set "$INI" proxy proxy_protocol any
e2e_reload || hard_error "reload failed"

# ---- v2 through HAProxy 2.6 in TCP mode ----
if command -v haproxy >/dev/null 2>&1; then
	front=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$E2E_TMP/haproxy.cfg" <<CFG
defaults
    mode tcp
    timeout connect 5s
    timeout client 10s
    timeout server 10s
listen tenants
    bind 127.0.0.1:$front
    server s1 127.0.0.1:$SLUICE_PORT send-proxy-v2
CFG
	haproxy -f "$E2E_TMP/haproxy.cfg" -db >"$E2E_TMP/haproxy.log" 2>&1 &
	E2E_PIDS+=($!)
	wait_until 10 bash -c "echo >/dev/tcp/127.0.0.1/$front" 2>/dev/null || hard_error "haproxy did not start"
	got=$(curl -sS --cacert "$E2E_TMP/ca.crt" -H "$AUTH" -o "$E2E_TMP/v2.body" \
		-w '%{http_code} %{local_port}' "https://127.0.0.1:$front/tsp/1/session")
	tap_check "v2 (HAProxy send-proxy-v2): 200 and the repository's bytes" \
		sh -c "[ '${got% *}' = 200 ] && cmp -s '$E2E_TMP/v2.body' '$direct'"
	# The peer is curl's own port (from the header), not HAProxy's.
	tap_check "v2: the access log's peer= is the tenant's address and port" \
		wait_log "$SLUICE_LOG" "peer=127.0.0.1:${got#* } .*status=200"
else
	tap_ok "# SKIP haproxy not installed"
	tap_ok "# SKIP haproxy not installed"
fi

# ---- plain TCP: the header names the tenant ----
PINI=$E2E_TMP/p.ini
e2e_write_ini "$PINI" "$REPO"
ini_set "$PINI" tls enabled off
ini_set "$PINI" proxy proxy_protocol v1
ini_set "$PINI" proxy proxy_from 127.0.0.1
ini_set "$PINI" limits connections_per_address 1
e2e_start_sluice "$PINI" plain
hello() { printf 'PROXY TCP4 %s 127.0.0.1 40000 443\\r\\nGET /tsp/1/session HTTP/1.1\\r\\nHost: t\\r\\n%s\\r\\n%s' "$1" "$AUTH" "$2"; }
raw "$(hello 192.0.2.7 'Connection: close\r\n\r\n')" >"$E2E_TMP/p1.out"
tap_check "plain TCP: a hand-written v1 header, then a request: 200" grep -q '^HTTP/1.1 200' "$E2E_TMP/p1.out"
tap_check "the access log's peer= is the header's 192.0.2.7:40000" \
	wait_log "$SLUICE_LOG" 'peer=192.0.2.7:40000 .*status=200'
# One connection of 192.0.2.7 held open: a second one of 192.0.2.7 is over
# connections_per_address = 1, one of 192.0.2.8 (also from 127.0.0.1) is not.
exec 6<>"/dev/tcp/127.0.0.1/$SLUICE_PORT"
printf '%b' "$(hello 192.0.2.7 '\r\n')" >&6
wait_until 5 bash -c "grep -c 'peer=192.0.2.7:40000' '$SLUICE_LOG' | grep -q 2" ||
	hard_error "the held connection was not served"
tap_check "a second connection of 192.0.2.7 is over connections_per_address: closed, no answer" \
	closed_silently "$(hello 192.0.2.7 'Connection: close\r\n\r\n')"
raw "$(hello 192.0.2.8 'Connection: close\r\n\r\n')" >"$E2E_TMP/p3.out"
tap_check "one of 192.0.2.8 meanwhile, from the same 127.0.0.1: 200" grep -q '^HTTP/1.1 200' "$E2E_TMP/p3.out"
# The balancer's own address is not capped: with a connection of it still
# waiting for its header, another one from it is admitted and served.
exec 7<>"/dev/tcp/127.0.0.1/$SLUICE_PORT"
raw "$(hello 192.0.2.9 'Connection: close\r\n\r\n')" >"$E2E_TMP/p4.out"
tap_check "connections_per_address counts header addresses, never the balancer's: 200 beside a pending one" \
	grep -q '^HTTP/1.1 200' "$E2E_TMP/p4.out"
exec 7>&-
exec 6>&-
e2e_finish
