#!/usr/bin/env bash
# The [tls] certificate and key are checked as the daemon uses them, by
# `sluice -t`, `sluicectl check` and sluicectl's edits alike: an expired or
# not yet valid certificate, a key of another certificate and a certificate
# file that is not PEM are refused, naming the file, the line and the key.
# The daemon refuses to start with an expired certificate; a running one
# given it on SIGHUP keeps serving the certificate it has and logs why. A
# certificate that expires within [tls] expiry_warning starts, is served,
# is warned about at start and on every reload, and /metrics counts the
# seconds it has left (sluice_tls_certificate_expiry_seconds; absent
# without TLS).
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
SLUICECTL=$SLUICE_BUILDDIR/sluicectl
[ -x "$SLUICECTL" ] || hard_error "no sluicectl binary at $SLUICECTL"
tap_plan 19

stamp() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
e2e_make_ca
e2e_make_cert good good.example
e2e_make_cert other other.example
e2e_make_cert_dated expired expired.example "$(stamp '-30 days')" "$(stamp '-1 day')"
e2e_make_cert_dated future future.example "$(stamp '+1 day')" "$(stamp '+30 days')"
e2e_make_cert_dated soon soon.example "$(stamp '-1 day')" "$(stamp '+2 days')"
openssl x509 -in "$E2E_TMP/good.crt" -outform DER -out "$E2E_TMP/good.der" ||
	hard_error "openssl cannot write DER"
e2e_start_upstream up

# ini NAME CERT KEY: $E2E_TMP/NAME.ini serving CERT.crt (or CERT as a path)
# with KEY.key, an admin socket beside it; prints its path.
ini() {
	local file=$E2E_TMP/$1.ini crt=$2 key=$3
	[[ $crt == /* ]] || crt=$E2E_TMP/$crt.crt
	e2e_write_ini "$file" "$PEER_ADDR"
	ini_set "$file" tls certificate "$crt"
	ini_set "$file" tls private_key "$E2E_TMP/$key.key"
	ini_set "$file" admin socket "$E2E_TMP/$1.sock"
	echo "$file"
}
line_of() { grep -n "^$2 = " "$1" | cut -d: -f1; } # FILE KEY

# refused TOOL INI KEY WHAT: TOOL (sluice -t or sluicectl check) fails on INI,
# naming INI, the line of [tls] KEY, the key and WHAT.
refused() {
	local tool=$1 file=$2 key=$3 what=$4 out
	if [ "$tool" = sluice ]; then
		out=$("$SLUICE" -t -c "$file" 2>&1) && { echo "sluice -t passed: $out"; return 1; }
	else
		out=$("$SLUICECTL" -c "$file" check 2>&1) && { echo "sluicectl check passed: $out"; return 1; }
	fi
	grep -qF -- "$file:$(line_of "$file" "$key"): [tls] $key: $what" <<<"$out" &&
		grep -qF "configuration file $file test failed" <<<"$out" ||
		{ echo "the message does not name $file, the line of $key and \"$what\": $out"; return 1; }
}

EXPIRED=$(ini expired expired expired)
FUTURE=$(ini future future future)
MISMATCH=$(ini mismatch good other)
NOTPEM=$(ini notpem "$E2E_TMP/good.der" good)
for tool in sluice sluicectl; do
	tap_check "$tool: an expired certificate is refused (file, line, key)" \
		refused $tool "$EXPIRED" certificate "$E2E_TMP/expired.crt expired on "
	tap_check "$tool: a certificate not yet valid is refused" \
		refused $tool "$FUTURE" certificate "$E2E_TMP/future.crt is not valid before "
	tap_check "$tool: a key of another certificate is refused" \
		refused $tool "$MISMATCH" private_key "$E2E_TMP/other.key is not the key of the certificate $E2E_TMP/good.crt"
	tap_check "$tool: a certificate file that is not PEM is refused" \
		refused $tool "$NOTPEM" certificate "$E2E_TMP/good.der holds no PEM certificate"
done

# sluicectl writes no file the daemon would refuse on reload.
edit_refused() {
	local out
	cp "$EXPIRED" "$E2E_TMP/before.ini"
	out=$("$SLUICECTL" -c "$EXPIRED" maintenance on 2>&1) && { echo "maintenance on passed: $out"; return 1; }
	cmp -s "$EXPIRED" "$E2E_TMP/before.ini" || { echo "the file changed"; return 1; }
	grep -qF "$EXPIRED (edited):$(line_of "$EXPIRED" certificate): [tls] certificate: " <<<"$out" ||
		{ echo "no file, line and key: $out"; return 1; }
}
tap_check "sluicectl maintenance on leaves an INI with an expired certificate as it was" edit_refused

# ---- the daemon ----
no_start() {
	local status
	"$SLUICE" -c "$EXPIRED" -f --ready-file "$E2E_TMP/expired.ready" >/dev/null 2>"$E2E_TMP/expired.err" &
	local pid=$!
	e2e_wait_exit "$pid" 10 || { kill "$pid"; echo "it runs"; return 1; }
	wait "$pid"
	status=$?
	[ "$status" -ne 0 ] && [ ! -s "$E2E_TMP/expired.ready" ] &&
		grep -qF "$EXPIRED:$(line_of "$EXPIRED" certificate): [tls] certificate: $E2E_TMP/expired.crt expired on " \
			"$E2E_TMP/expired.err" ||
		{ echo "status $status: $(cat "$E2E_TMP/expired.err")"; return 1; }
}
tap_check "sluice refuses to start with an expired certificate, naming file, line and key" no_start

SOON=$(ini soon soon soon)
soon_test_warns() {
	local out
	out=$("$SLUICE" -t -c "$SOON" 2>&1) || { echo "sluice -t failed: $out"; return 1; }
	grep -qF "warning: $SOON: [tls] certificate: $E2E_TMP/soon.crt expires on " <<<"$out" ||
		{ echo "no warning: $out"; return 1; }
}
tap_check "sluice -t passes a certificate expiring in 2 days, with a warning" soon_test_warns

fingerprint() { openssl x509 -noout -fingerprint -sha256 -in "$1"; }
served_fingerprint() {
	openssl s_client -connect "127.0.0.1:$SLUICE_PORT" -CAfile "$E2E_TMP/ca.crt" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
# serves NAME: NAME.crt is what a handshake gets, and a tenant's request passes.
serves() {
	same "served certificate" "$(served_fingerprint)" "$(fingerprint "$E2E_TMP/$1.crt")" &&
		e2e_curl_status 200 /tsp/1/session
}
metrics() { curl -sS --unix-socket "$E2E_TMP/$1.sock" http://sluice/metrics; }
expiry_metric() { metrics "$1" | awk '$1 == "sluice_tls_certificate_expiry_seconds" { print $2 }'; }
# metric_in SOCKET LOW HIGH: the gauge is there, with its HELP and TYPE, in LOW..HIGH.
metric_in() {
	local text value
	text=$(metrics "$1")
	grep -q '^# HELP sluice_tls_certificate_expiry_seconds ' <<<"$text" &&
		grep -q '^# TYPE sluice_tls_certificate_expiry_seconds gauge$' <<<"$text" ||
		{ echo "no HELP/TYPE"; return 1; }
	value=$(awk '$1 == "sluice_tls_certificate_expiry_seconds" { print $2 }' <<<"$text")
	awk -v v="$value" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v + 0 >= lo && v + 0 <= hi) }' ||
		{ echo "sluice_tls_certificate_expiry_seconds is \"$value\", wanted $2..$3"; return 1; }
}
warnings() { grep -c "warning: $SOON: \[tls\] certificate: $E2E_TMP/soon.crt expires on .* (in [12] day[^)]*); renew it" "$SLUICE_LOG"; }

e2e_start_sluice "$SOON"
tap_check "a certificate expiring in 2 days is served" serves soon
tap_check "... the log warns at start, naming the file and the key" same warnings "$(warnings)" 1
tap_check "... /metrics: sluice_tls_certificate_expiry_seconds is about 2 days" \
	metric_in soon $((2 * 86400 - 600)) $((2 * 86400))

cp "$SOON" "$E2E_TMP/soon.good"
ini_set "$SOON" tls certificate "$E2E_TMP/expired.crt"
ini_set "$SOON" tls private_key "$E2E_TMP/expired.key"
reload_refused() {
	! e2e_reload &&
		file_has "$SLUICE_LOG" "reload failed: $SOON:$(line_of "$SOON" certificate): \[tls\] certificate: $E2E_TMP/expired.crt expired on .*; the running configuration stays"
}
tap_check "HUP with an expired certificate: the reload fails, naming file, line, key and why" reload_refused
tap_check "... and the running certificate is still served" serves soon

cp "$E2E_TMP/soon.good" "$SOON"
e2e_reload || hard_error "the reload back to the expiring certificate failed"
tap_check "a reload keeping the expiring certificate warns again" same warnings "$(warnings)" 2
ini_set "$SOON" tls certificate "$E2E_TMP/good.crt"
ini_set "$SOON" tls private_key "$E2E_TMP/good.key"
renewed() {
	e2e_reload && serves good && metric_in soon $((30 * 86400 - 600)) $((30 * 86400)) &&
		same warnings "$(warnings)" 2
}
tap_check "HUP with a renewed certificate: it is served, the gauge follows, no warning" renewed

PLAIN=$(ini plain good good)
ini_set "$PLAIN" tls enabled off
e2e_start_sluice "$PLAIN" plain
no_gauge() {
	local text
	text=$(metrics plain)
	grep -q '^sluice_uptime_seconds ' <<<"$text" && ! grep -q 'sluice_tls_certificate_expiry_seconds' <<<"$text"
}
tap_check "[tls] enabled = off: /metrics has no certificate gauge" no_gauge

e2e_finish
