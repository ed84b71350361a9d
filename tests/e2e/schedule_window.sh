#!/bin/bash
# tests/e2e/schedule_window.sh: a [schedule] window turns maintenance on at
# its start and off at its end by itself, with no signal (TAP).
#
# A running sluice is given an absolute window starting 5 s ahead and lasting
# 4 s (one reload installs it; nothing is sent after that). Before it: GET
# /status and /metrics show the window, the hello, forwarded to the
# repository, carries Tsp-Maintenance-Planned (within [schedule] notice),
# and a backup job open is forwarded (201). Inside it: a job open is refused
# 503 maintenance with the notification, and maintenance began at the
# window's start to the second. After it: a job open is forwarded again.
# A check whose requests did not all fall on their side of a boundary (a
# machine too loaded to ask in time) is skipped, never passed or failed.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
stack_tenant_add acme acme-secret
stack_start
work=$STACK_OUT

tap_plan 14

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
status() { curl -sS --max-time "$STACK_TIMEOUT" --unix-socket "$STACK_ADMIN_SOCKET" -o "$work/status.json" http://sluice/status; }
metrics() { curl -sS --max-time "$STACK_TIMEOUT" --unix-socket "$STACK_ADMIN_SOCKET" -o "$work/metrics.txt" http://sluice/metrics; }
job_open() { # OUT: a backup job open of acme; prints the status code
	stack_curl "$1" acme POST "/tsp/1/backup/jobs/$(stack_job sched)" -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere'
}
hello_is() { _stack_hello_is "$1"; }
# timed_checks BEFORE AFTER LIMIT N: true when the requests made from BEFORE to
# AFTER (whole seconds) all fell before LIMIT; otherwise the N checks that
# rest on them are reported skipped.
timed_checks() {
	(( $2 < $3 )) && return 0
	for (( i = 0; i < $4; i++ )); do tap_ok "# SKIP requests made at $1..$2 s, not all before $3"; done
	return 1
}

start=$(( $(date +%s) + 5 ))
end=$(( start + 4 ))
window="$(iso "$start")/$(iso "$end")"
# An offset form of the same start, to prove it is read as the same instant.
{
	echo
	echo "[schedule]"
	echo "window = $(date -u -d "@$start" +%Y-%m-%dT%H:%M:%S)+00:00/$(iso "$end")"
	echo "notice = 1h"
} >> "$STACK_INI_FILE"
reloads=$(grep -c -e 'reloaded \|reload failed' "$SLUICE_LOG")
kill -HUP "$SLUICE_PID"
wait_until "$STACK_TIMEOUT" reload_logged_after "$reloads" || stack_fail "the reload was not logged"
tap_check "the reload with [schedule] succeeds" eval '! grep -q "reload failed" "$SLUICE_LOG"'

status
tap_check "GET /status before the window: schedule.next_start/next_end, not in the window" \
	json_is "$work/status.json" '"\(.schedule.next_start)/\(.schedule.next_end) \(.schedule.in_window) \(.schedule.timezone)"' \
	"$window false UTC"
metrics
tap_check "GET /metrics: sluice_maintenance_next_window_start_seconds is the start" \
	grep -qx "sluice_maintenance_next_window_start_seconds $start" "$work/metrics.txt"

code=$(stack_curl "$work/hello-before" acme GET /tsp/1/session)
tap_check "the hello within notice: the repository's answer (200), with Tsp-Maintenance-Planned" \
	eval '[[ $code == 200 && $(stack_header "$work/hello-before" Tsp-Maintenance-Planned) == "$window" ]] &&
		jq -e ".server == \"sluice-repo\"" "$work/hello-before.body" > /dev/null'
code=$(job_open "$work/before")
timed_checks 0 "$(date +%s)" "$start" 1 &&
	tap_check "a job open before the window: forwarded (201)" test "$code" = 201

# No signal from here on: the window's start turns maintenance on.
wait_until $(( end - $(date +%s) + 2 )) hello_is drain
tap_check "at the window's start maintenance is on by itself: the hello is sluice's, drain" \
	eval '[[ $(date +%s) -ge $start ]] && hello_is drain'
asked=$(date +%s)
code=$(job_open "$work/inside")
status
if timed_checks "$asked" "$(date +%s)" "$end" 3; then
	tap_check "a job open inside the window: 503 maintenance with the notification" \
		json_is "$work/inside.body" '"'"$code"' \(.error) \(.message)"' "503 maintenance $STACK_DEFAULT_MESSAGE"
	tap_check "the refusal carries Tsp-Maintenance: drain and the window in Tsp-Maintenance-Planned" \
		eval '[[ $(stack_header "$work/inside" Tsp-Maintenance) == drain &&
			$(stack_header "$work/inside" Tsp-Maintenance-Planned) == "$window" ]]'
	tap_check "GET /status inside: in_window, the current window, maintenance since its start to the second" \
		json_is "$work/status.json" '"\(.schedule.in_window) \(.schedule.current_start)/\(.schedule.current_end) \(.maintenance.since)"' \
		"true $window $(iso "$start")"
fi
tap_check "the hello answered by sluice says since = the window's start" \
	jq -e --arg s "$(iso "$start")" '.maintenance.since == $s' "$STACK_OUT/probe-hello.body"

wait_until $(( end - $(date +%s) + 5 )) hello_is off
tap_check "at the window's end maintenance is off by itself (R6): the hello is forwarded again" \
	eval '[[ $(date +%s) -ge $end ]] && hello_is off'
code=$(job_open "$work/after")
tap_check "a job open after the window: forwarded (201)" test "$code" = 201
status
tap_check "GET /status after: no window left (past windows are ignored)" \
	json_is "$work/status.json" '"\(.schedule.in_window) \(.schedule.next_start) \(.maintenance.state)"' "false null active"
tap_check "the log says maintenance went on and off" \
	eval 'grep -q "maintenance on (drain)" "$SLUICE_LOG" && grep -q "maintenance off" "$SLUICE_LOG"'
