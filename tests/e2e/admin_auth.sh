#!/usr/bin/env bash
# tests/e2e/admin_auth.sh: who may ask the admin endpoint what (TAP).
#
# [admin] token_file: sluice -t refuses a token file the daemon would refuse
# (too short, too long, two lines, a space or control byte, missing), naming
# the file. Over [admin] listen (TCP) everything but GET /metrics and GET
# /health needs "Authorization: Bearer TOKEN": without it or with another
# token 401 with WWW-Authenticate: Bearer (POST /reload reloads nothing); the
# UNIX socket never asks. The token is read again on reload (a new one
# replaces the old; one that cannot be read fails the reload and the running
# token stays), and without a token_file TCP answers 403 but for /metrics and
# /health.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
command -v jq > /dev/null 2>&1 || skip_all "jq not installed"

e2e_make_ca
e2e_make_cert server 127.0.0.1
e2e_start_upstream up
INI=$E2E_TMP/s.ini
SOCK=$E2E_TMP/admin.sock
TOKEN=$E2E_TMP/token
e2e_write_ini "$INI" "$PEER_ADDR"
ini_set "$INI" admin socket "$SOCK"
ini_set "$INI" admin listen 127.0.0.1:0
ini_set "$INI" admin token_file "$TOKEN"
first=first-token-0123456789
printf '%s\n' "$first" > "$TOKEN"

# ---- sluice -t reads the token file as the daemon does ----
# t_fails WHAT: sluice -t exits 1 and names the token file.
t_fails() {
	local out
	out=$("$SLUICE" -t -c "$INI" 2>&1) && { echo "sluice -t passed: $out"; return 1; }
	grep -q -F "[admin] token_file: " <<< "$out" && grep -q -F "$TOKEN" <<< "$out" ||
		{ echo "$out"; return 1; }
}
printf 'short-token\n' > "$TOKEN"
tap_check "sluice -t: a token of 11 bytes is refused, naming the file" t_fails
printf '%0257d\n' 0 > "$TOKEN"
tap_check "sluice -t: a token of 257 bytes is refused" t_fails
printf '%s\nsecond-line-0123456789\n' "$first" > "$TOKEN"
tap_check "sluice -t: a file of two lines is refused" t_fails
printf 'first token 0123456789\n' > "$TOKEN"
tap_check "sluice -t: a token with a space is refused" t_fails
printf 'first-token\t0123456789\n' > "$TOKEN"
tap_check "sluice -t: a token with a control byte is refused" t_fails
: > "$TOKEN"
tap_check "sluice -t: an empty file is refused" t_fails
rm -f "$TOKEN"
tap_check "sluice -t: a missing file is refused" t_fails
printf '%s\r\n' "$first" > "$TOKEN"
tap_check "sluice -t: one line ending in CRLF passes" "$SLUICE" -t -c "$INI"
printf '%0256d' 0 > "$TOKEN"
tap_check "sluice -t: 256 bytes without a newline pass" "$SLUICE" -t -c "$INI"
printf '%s\n' "$first" > "$TOKEN"
tap_check "sluice -t: the token file passes" "$SLUICE" -t -c "$INI"

e2e_start_sluice "$INI"
tcp=$(sed -n 's/.*admin endpoint on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$SLUICE_LOG" | head -n 1)
[[ -n $tcp ]] || hard_error "sluice did not log its admin TCP address"

# tcp METHOD PATH OUT [CURL ARGS...], sock METHOD PATH OUT [CURL ARGS...]:
# prints the status; head in OUT.head, body in OUT.
tcp() {
	local method=$1 path=$2 out=$3
	shift 3
	curl -sS --max-time 10 -X "$method" -D "$out.head" -o "$out" -w '%{http_code}' "$@" "http://$tcp$path"
}
sock() {
	local method=$1 path=$2 out=$3
	shift 3
	curl -sS --max-time 10 --unix-socket "$SOCK" -X "$method" -D "$out.head" -o "$out" -w '%{http_code}' \
		"$@" "http://sluice$path"
}
# header OUT NAME: the value of a header of the answer.
header() { tr -d '\r' < "$1.head" | sed -n "s/^$2: //Ip" | tail -n 1; }
is() { [[ $2 == "$3" ]] || { printf '%s: %s, wanted %s\n' "$1" "$2" "$3"; return 1; }; }
gen() { sock GET /status "$E2E_TMP/gen" > /dev/null && jq -r .config.generation "$E2E_TMP/gen"; }
bearer() { printf 'Authorization: Bearer %s' "$1"; }
O=$E2E_TMP/answer

# ---- TCP ----
code=$(tcp GET /status "$O")
tap_check "TCP GET /status without a token: 401, WWW-Authenticate: Bearer" \
	is status "$code $(header "$O" WWW-Authenticate) $(jq -r .error "$O")" "401 Bearer unauthorized"
code=$(tcp GET /status "$O" -H "$(bearer wrong-token-0123456789)")
tap_check "TCP GET /status with another token: 401" is status "$code" 401
code=$(tcp GET /status "$O" -H "$(bearer "${first}x")")
tap_check "TCP GET /status with the token and one byte more: 401" is status "$code" 401
code=$(tcp GET /status "$O" -H "Authorization: Basic $(printf 'x:%s' "$first" | base64)")
tap_check "TCP GET /status with Basic credentials: 401" is status "$code" 401
code=$(tcp GET /status "$O" -H "$(bearer "$first")")
tap_check "TCP GET /status with the token: 200 and the status document" \
	is status "$code $(jq -r .config.generation "$O")" "200 1"
code=$(tcp GET /status "$O" -H "authorization: bearer $first")
tap_check "the scheme and the header name in any case" is status "$code" 200
code=$(tcp GET /metrics "$O")
tap_check "TCP GET /metrics without a token: 200" \
	is metrics "$code $(grep -c '^# TYPE sluice_config_generation ' "$O")" "200 1"
code=$(tcp GET /health "$O")
tap_check "TCP GET /health without a token: 200" is health "$code $(cat "$O")" "200 active"
code=$(curl -sS --max-time 10 -I -o /dev/null -w '%{http_code}' "http://$tcp/metrics")
tap_check "TCP HEAD /metrics without a token: 200" is head "$code" 200
code=$(tcp POST /metrics "$O")
tap_check "TCP POST /metrics without a token: 401 (only GET and HEAD are open)" is post "$code" 401
code=$(tcp GET /nowhere "$O")
tap_check "TCP GET /nowhere without a token: 401, not 404" is nowhere "$code" 401
g0=$(gen)
code=$(tcp POST /reload "$O")
tap_check "TCP POST /reload without a token: 401, nothing reloaded" is reload "$code $(gen)" "401 $g0"
code=$(tcp POST /reload "$O" -H "$(bearer "$first")")
tap_check "TCP POST /reload with the token: 200 ok" \
	is reload "$code $(jq -r .result "$O") $(gen)" "200 ok $((g0 + 1))"

# ---- the UNIX socket ----
code=$(sock GET /status "$O")
tap_check "UNIX socket GET /status without a token: 200" is status "$code" 200
code=$(sock POST /reload "$O")
tap_check "UNIX socket POST /reload without a token: 200 ok" \
	is reload "$code $(jq -r .result "$O")" "200 ok"

# ---- the token on reload ----
second=second-token-9876543210
printf '%s\n' "$second" > "$TOKEN"
sock POST /reload "$O" > /dev/null
code=$(tcp GET /status "$O" -H "$(bearer "$second")")
old=$(tcp GET /status "$O.old" -H "$(bearer "$first")")
tap_check "after a reload the new token is required, the old one refused" is tokens "$code $old" "200 401"
g1=$(gen)
rm -f "$TOKEN"
code=$(sock POST /reload "$O")
tap_check "a reload that cannot read the token file fails: 422 naming the file, generation kept" \
	is reload "$code $(jq -r '.error | contains("[admin] token_file")' "$O") $(jq -r '.error | contains("'"$TOKEN"'")' "$O") $(jq -r .generation "$O")" \
	"422 true true $g1"
printf 'too-short\n' > "$TOKEN"
code=$(sock POST /reload "$O")
tap_check "a reload of a token too short fails: 422" \
	is reload "$code $(jq -r '.error | contains("the token is 9 bytes")' "$O")" "422 true"
code=$(tcp GET /status "$O" -H "$(bearer "$second")")
tap_check "... and the running token still works" is status "$code" 200

# ---- no token_file: TCP serves /metrics and /health only ----
ini_set "$INI" admin token_file ""
code=$(sock POST /reload "$O")
[[ $code == 200 ]] || hard_error "the reload without token_file failed: $(cat "$O")"
code=$(tcp GET /status "$O" -H "$(bearer "$second")")
tap_check "without token_file: TCP GET /status is 403, the body naming token_file" \
	is status "$code $(jq -r '.error' "$O") $(jq -r '.message | contains("token_file")' "$O")" "403 forbidden true"
m=$(tcp GET /metrics "$O")
h=$(tcp GET /health "$O.h")
tap_check "without token_file: TCP /metrics and /health still 200" is open "$m $h" "200 200"
tap_plan "$TAP_N"
e2e_finish
