#!/bin/bash
# tests/e2e/proxy_user.sh: started as root with [proxy] user (TAP).
# sluice creates the missing directory of its pidfile and admin socket
# (/run/sluice outside systemd) for that user, gives it the files it goes on
# using after dropping root (the admin socket for the user's group, the log
# file it reopens on USR1, the pidfile), and removes them at exit.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

[[ $(id -u) == 0 ]] || skip_all "starts sluice as root: needs root"
getent passwd nobody > /dev/null || skip_all "no user nobody"
e2e_setup
tap_plan 10

user=nobody
group=$(id -gn "$user")
chmod 0755 "$E2E_TMP"
mkdir -m 0755 "$E2E_TMP/logs" && chown "$user" "$E2E_TMP/logs"
e2e_make_ca
e2e_make_cert server 127.0.0.1
e2e_start_upstream repo
ini=$E2E_TMP/user.ini
run=$E2E_TMP/run
e2e_write_ini "$ini" "$PEER_ADDR"
ini_set "$ini" proxy user "$user"
ini_set "$ini" proxy pidfile "$run/sluice.pid"
ini_set "$ini" admin socket "$run/admin.sock"
ini_set "$ini" log target file
ini_set "$ini" log file "$E2E_TMP/logs/sluice.log"
e2e_start_sluice "$ini"
log=$E2E_TMP/logs/sluice.log

tap_check "the process runs as $user" \
	same value "$(awk '/^Uid:/ { print $2 }' "/proc/$SLUICE_PID/status")" "$(id -u "$user")"
tap_check "the missing directory of the pidfile and admin socket was created for $user, mode 750" \
	same value "$(stat -c '%U %a' "$run")" "$user 750"
tap_check "the admin socket belongs to $user:$group, mode 660 (the group may use sluicectl)" \
	same value "$(stat -c '%U:%G %a' "$run/admin.sock")" "$user:$group 660"
tap_check "the log file and the pidfile belong to $user" \
	same value "$(stat -c '%U' "$log" "$run/sluice.pid" | tr '\n' ' ')" "$user $user "
tap_check "the admin endpoint answers" \
	same value "$(curl -sS -o /dev/null -w '%{http_code}' --unix-socket "$run/admin.sock" http://sluice/status)" 200
tap_check "tenants are served" e2e_curl_status 200 /tsp/1/session

mv "$log" "$log.1"
kill -USR1 "$SLUICE_PID"
tap_check "USR1 after rotation: $user reopens a new log file" wait_log "$log" "log file reopened"
tap_check "... and the old file got nothing after it" file_lacks "$log.1" "log file reopened"

kill -TERM "$SLUICE_PID"
e2e_wait_exit "$SLUICE_PID" 10
tap_check "TERM: sluice exits" process_gone "$SLUICE_PID"
tap_check "... removing its pidfile and admin socket" test ! -e "$run/sluice.pid" -a ! -e "$run/admin.sock"
