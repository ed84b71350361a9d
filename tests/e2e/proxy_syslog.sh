#!/bin/bash
# tests/e2e/proxy_syslog.sh: [log] target = syslog with no syslog daemon
# listening on /dev/log (a container, a chroot) (TAP). syslog(3) would drop
# every line without a word; sluice -t warns, and the daemon says so once on
# stderr and logs there instead. Where /dev/log exists, the test hides it in
# a mount namespace of its own (root and unshare needed).
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

run=()
if [[ -S /dev/log ]]; then
	[[ $(id -u) == 0 ]] && command -v unshare > /dev/null ||
		skip_all "/dev/log exists; hiding it needs root and unshare"
	run=(unshare --mount sh -c 'mount --bind /dev/null /dev/log && exec "$0" "$@"')
fi
e2e_setup
tap_plan 4
e2e_make_ca
e2e_make_cert server 127.0.0.1
e2e_start_upstream repo
ini=$E2E_TMP/syslog.ini
e2e_write_ini "$ini" "$PEER_ADDR"
ini_set "$ini" log target syslog

"${run[@]}" "$SLUICE" -t -c "$ini" > "$E2E_TMP/t.out" 2>&1
tap_status "sluice -t passes" $? "$E2E_TMP/t.out"
tap_check "... and warns that the daemon would log to stderr" \
	grep -q 'target = syslog, but no syslog daemon listens (/dev/log: .*); the daemon would log to stderr' \
	"$E2E_TMP/t.out"

SLUICE_LOG=$E2E_TMP/sluice.log
"${run[@]}" "$SLUICE" -c "$ini" -f --ready-file "$E2E_TMP/ready" > /dev/null 2>> "$SLUICE_LOG" &
SLUICE_PID=$!
E2E_PIDS+=($SLUICE_PID)
wait_until 10 test -s "$E2E_TMP/ready" || hard_error "sluice did not start: $(tail -n 5 "$SLUICE_LOG")"
SLUICE_PORT=$(head -n 1 "$E2E_TMP/ready" | sed 's/.*://')
tap_check "the daemon says once that it logs to stderr instead" \
	same count "$(grep -c 'no syslog daemon listens.*logging to stderr instead' "$SLUICE_LOG")" 1
e2e_curl_status 200 /tsp/1/session > /dev/null
tap_check "... and its lines (the access log of a request) reach stderr" \
	wait_log "$SLUICE_LOG" 'access: peer=127.0.0.1'
