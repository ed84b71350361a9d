#!/usr/bin/env bash
# tests/e2e/maintenance_scope.sh: maintenance for some tenants only
# ([maintenance] tenants and exempt) and the message template, through sluice
# over TLS (TAP).
#
#   - tenants = acme: acme's new job is refused with the rendered message
#     ({tenant}, {start} as the hello's since, {retry_after}, an empty {end},
#     literal braces), byte for byte; globex's is forwarded (201) and its
#     task running at T never holds the drain.
#   - a SIGHUP adding globex while on: its running task joins the draining
#     set (GET /status), its new job is refused with its own name.
#   - a SIGHUP to exempt = globex (tenants empty = all): globex is forwarded,
#     acme still refused, the drain complete without globex.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
stack_tenant_add acme acme-secret
stack_tenant_add globex globex-secret
template='Down for {tenant} since {start} until [{end}]; retry in {retry_after} s {{ok}}'
stack_ini_set maintenance.message "$template"
stack_ini_set maintenance.retry_after 90s
stack_start
work=$STACK_OUT

tap_plan 14

job_open() { # NAME TENANT JOB: prints the status
	stack_curl "$work/$1" "$2" POST "/tsp/1/backup/jobs/$3" -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere'
}
task_open() { # NAME TENANT JOB TASK
	stack_curl "$work/$1" "$2" POST "/tsp/1/backup/jobs/$3/tasks/$4"
}
status() {
	curl -sS --max-time "$STACK_TIMEOUT" --unix-socket "$STACK_ADMIN_SOCKET" -o "$work/status.json" \
		http://sluice/status
}
status_is() { status && json_is "$work/status.json" "$@"; }

# scope TENANTS EXEMPT: maintenance on for those, by SIGHUP.
scope() {
	stack_ini_set maintenance.enabled on
	stack_ini_set maintenance.tenants "$1"
	stack_ini_set maintenance.exempt "$2"
	stack_ini_write
	e2e_reload || stack_fail "reload failed: $(grep 'reload failed' "$SLUICE_LOG" | tail -n 1)"
}

# rendered TENANT: the message sluice must send to TENANT now.
rendered() {
	printf 'Down for %s since %s until []; retry in 90 s {ok}' "$1" "$since"
}

# refused NAME TENANT: NAME is the 503 maintenance refusal for TENANT, its
# body byte for byte.
refused() {
	local want
	want=$(printf '{"error":"maintenance","message":"%s"}' "$(rendered "$2")")
	same "status" "$(head -n 1 "$work/$1.head" | tr -d '\r')" "HTTP/1.1 503 Service Unavailable" &&
		same "Retry-After" "$(stack_header "$work/$1" Retry-After)" 90 &&
		same "body" "$(cat "$work/$1.body")" "$want"
}

# globex has a task running before maintenance.
job_open g-open globex g1 > /dev/null
task_open g-task globex g1 t1 > /dev/null

# ---- tenants = acme ----------------------------------------------------------------
scope acme ""
stack_curl "$work/hello-acme" acme GET /tsp/1/session > /dev/null
since=$(jq -r .maintenance.since "$work/hello-acme.body")
tap_check "tenants = acme: acme's hello is sluice's notice, the message rendered with its since" \
	eval '[[ $since =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] &&
		json_is "$work/hello-acme.body" .maintenance.message "$(rendered acme)"'
job_open a1 acme a1 > /dev/null
tap_check "tenants = acme: acme's job open is 503, the rendered message byte for byte" refused a1 acme
tap_check "tenants = acme: globex's job open is forwarded (201)" same status "$(job_open g2 globex g2)" 201
stack_curl "$work/hello-globex" globex GET /tsp/1/session > /dev/null
tap_check "tenants = acme: globex's hello is the repository's" \
	json_is "$work/hello-globex.body" '"\(.server) \(.maintenance)"' "sluice-repo null"
tap_check "tenants = acme: /status shows the scope; globex's running task does not hold the drain" \
	status_is '"\(.maintenance.tenants) \(.maintenance.exempt) \(.maintenance.state) \(.maintenance.draining.tasks)"' \
	'["acme"] [] maintenance 0' -c
tap_check "tenants = acme: globex's running task still works (task open forwarded)" \
	same status "$(task_open g-task2 globex g1 t2)" 201

# ---- SIGHUP: tenants = acme, globex --------------------------------------------------
scope "acme, globex" ""
tap_check "tenants += globex: its running tasks join the draining set, T unchanged" \
	status_is '"\(.maintenance.state) \(.maintenance.draining.tasks) \([.maintenance.draining.tenants[].tenant])"' \
	'draining 2 ["globex"]' -c
stack_curl "$work/hello-acme2" acme GET /tsp/1/session > /dev/null
tap_check "tenants += globex: the hello's since has not moved" \
	json_is "$work/hello-acme2.body" .maintenance.since "$since"
job_open g3 globex g3 > /dev/null
tap_check "tenants += globex: globex's new job is refused with its own name" refused g3 globex

# ---- SIGHUP: tenants empty (all), exempt = globex -------------------------------------
scope "" globex
tap_check "exempt = globex: globex's job open is forwarded (201)" same status "$(job_open g4 globex g4)" 201
job_open a4 acme a4 > /dev/null
tap_check "exempt = globex: acme's job open is still refused" refused a4 acme
tap_check "exempt = globex: /status shows it; the drain is complete without globex" \
	status_is '"\(.maintenance.tenants) \(.maintenance.exempt) \(.maintenance.state) \(.maintenance.draining.tasks)"' \
	'[] ["globex"] maintenance 0' -c

# ---- a tenant in both lists: the reload is refused at the line ------------------------
stack_ini_set maintenance.tenants "acme, globex"
stack_ini_write
kill -HUP "$SLUICE_PID"
tap_check "globex in tenants and exempt: the reload fails, naming the file and line" \
	wait_log "$SLUICE_LOG" "reload failed.*sluice.ini:$(stack_ini_line exempt globex): \[maintenance\] exempt: globex is also in tenants"
tap_check "after the failed reload globex is still exempt (201)" same status "$(job_open g5 globex g5)" 201

e2e_finish
