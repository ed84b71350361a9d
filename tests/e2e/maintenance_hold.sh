#!/usr/bin/env bash
# tests/e2e/maintenance_hold.sh: hold instead of fail ([maintenance] mode =
# hold), through sluice over TLS to sluice-repo (TAP).
#
#   - the hello notice says Tsp-Maintenance: hold;
#   - a backup job open sent while maintenance is on gets no answer: the
#     request is still waiting after 1.5 s, the repository never saw it,
#     GET /status and /metrics count it held;
#   - maintenance off by SIGHUP: that same request completes with 201;
#   - two held job opens are decided again first held first, both 201;
#   - [limits] held_requests = 2: a tenant's second held request is refused
#     at once;
#   - with hold_timeout = 2s a held job open is answered 503 maintenance with
#     Tsp-Maintenance: hold after about 2 s, and the counters show it.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
stack_tenant_add acme acme-secret
stack_ini_set maintenance.hold_timeout 30s
stack_ini_set log.level info # the order held requests go on in
# Two workers: the first held is the first released across workers too.
stack_ini_set proxy.workers 2
stack_start
work=$STACK_OUT

tap_plan 14

job_open() { # NAME JOB: prints the status
	stack_curl "$work/$1" acme POST "/tsp/1/backup/jobs/$2" -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere'
}
status() {
	curl -sS --max-time "$STACK_TIMEOUT" --unix-socket "$STACK_ADMIN_SOCKET" -o "$work/status.json" \
		http://sluice/status
}
status_is() { status && json_is "$work/status.json" "$@"; }
metric() { # NAME: its value
	curl -sS --max-time "$STACK_TIMEOUT" --unix-socket "$STACK_ADMIN_SOCKET" http://sluice/metrics |
		awk -v n="$1" '$1 == n { print $2 }'
}
repo_saw_job() { grep -q -F "/jobs/$1 " "$STACK_REPO_LOG"; }

# ---- held, then released by SIGHUP ----------------------------------------------------
stack_maintenance on hold
tap_check "mode = hold: the hello notice says Tsp-Maintenance: hold" \
	same "Tsp-Maintenance" "$(stack_header "$STACK_OUT/probe-hello" Tsp-Maintenance)" hold

job_open held1 j1 > "$work/held1.code" &
held_pid=$!
wait_until "$STACK_TIMEOUT" status_is .maintenance.held 1
sleep 1.5
tap_check "a job open while on is held: no answer after 1.5 s" kill -0 "$held_pid"
tap_check "the held job open never reached the repository" eval '! repo_saw_job j1'
tap_check "GET /status: maintenance.held 1, held_total 1" \
	status_is '"\(.maintenance.held) \(.maintenance.held_total)"' "1 1"
tap_check "GET /metrics: sluice_requests_held 1" same gauge "$(metric sluice_requests_held)" 1

stack_maintenance off
wait "$held_pid"
tap_check "maintenance off (SIGHUP): that same job open completes with 201" \
	eval 'same status "$(cat "$work/held1.code")" 201 && repo_saw_job j1'

# ---- two held, released first held first ----------------------------------------------
stack_maintenance on hold
job_open held3 j3 > "$work/held3.code" &
pid3=$!
wait_until "$STACK_TIMEOUT" status_is .maintenance.held 1
job_open held4 j4 > "$work/held4.code" &
pid4=$!
wait_until "$STACK_TIMEOUT" status_is .maintenance.held 2
stack_maintenance off
wait "$pid3" "$pid4"
tap_check "two held job opens: both complete with 201 after maintenance off" \
	eval 'same j3 "$(cat "$work/held3.code")" 201 && same j4 "$(cat "$work/held4.code")" 201'
decided_order() {
	grep -o -e ' j[34]: released after [0-9.]* s held: forwarded' "$SLUICE_LOG" | cut -d: -f1 | tr '\n' ' '
}
tap_check "they were decided again in the order they were held (j3, then j4)" \
	same order "$(decided_order)" " j3  j4 "

# ---- [limits] held_requests = 2: one tenant holds at most 1 ---------------------------
stack_ini_set limits.held_requests 2
stack_maintenance on hold
job_open held5 j5 > "$work/held5.code" &
pid5=$!
wait_until "$STACK_TIMEOUT" status_is .maintenance.held 1
start=$(date +%s.%N)
code=$(job_open over j6)
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
tap_check "beyond the tenant's half of held_requests: 503 at once (took $elapsed s), Tsp-Maintenance: hold" \
	eval 'same status "$code" 503 && awk -v e="$elapsed" "BEGIN { exit !(e < 1.5) }" &&
		same mode "$(stack_header "$work/over" Tsp-Maintenance)" hold'
stack_ini_set limits.held_requests 1000
stack_maintenance off
wait "$pid5"
tap_check "the one held meanwhile completes with 201" same status "$(cat "$work/held5.code")" 201

# ---- held past hold_timeout -----------------------------------------------------------
stack_ini_set maintenance.hold_timeout 2s
stack_maintenance on hold
start=$(date +%s.%N)
code=$(job_open held2 j2)
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
tap_check "hold_timeout = 2s: 503 maintenance after about 2 s (took $elapsed s)" \
	eval 'same status "$code" 503 && awk -v e="$elapsed" "BEGIN { exit !(e >= 1.8 && e < 10) }" &&
		json_is "$work/held2.body" .error maintenance'
tap_check "the refusal after hold_timeout carries Tsp-Maintenance: hold" \
	same "Tsp-Maintenance" "$(stack_header "$work/held2" Tsp-Maintenance)" hold
tap_check "GET /status: nothing held now; held_total 5, hold_timeouts 1" \
	status_is '"\(.maintenance.held) \(.maintenance.held_total) \(.maintenance.hold_timeouts)"' "0 5 1"
tap_check "GET /metrics: sluice_requests_held_total 5, sluice_hold_timeouts_total 1" \
	eval 'same total "$(metric sluice_requests_held_total)" 5 &&
		same timeouts "$(metric sluice_hold_timeouts_total)" 1'

e2e_finish
