#!/bin/bash
# tests/e2e/admin_drain.sh: the drain seen through the admin endpoint and
# sluicectl against a running sluice (TAP).
#
# Three backup jobs of two tenants hold a task each when maintenance goes on
# (sluicectl maintenance on --message, which edits the INI in place and
# reloads): GET /status lists them per tenant with job and task ids, and the
# counts go 3 -> 2 -> 1 -> 0 as they are released; sluicectl wait-drained
# times out (exit 1) while one is left and returns 0 right after the last
# closes; every comment of the INI stays byte for byte; the new message is
# what a refused job open carries; a value the loader rejects leaves the file
# untouched.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
stack_tenant_add acme acme-secret
stack_tenant_add beta beta-secret
stack_start
work=$STACK_OUT
ctl=$SLUICE_BUILDDIR/sluicectl
[[ -x $ctl ]] || hard_error "$ctl is not built"

# The INI as an operator keeps it: comments above, beside and between keys.
{
	echo "# sluice on the backup gateway -- edited by hand, keep these notes"
	sed -e 's/^\[maintenance\]$/[maintenance]\n; the maintenance switch: sluicectl edits the two lines below/' \
		-e 's/^\(enabled = off\)$/\1   ; off outside the window/' "$STACK_INI_FILE"
	echo "# end of file"
} > "$work/commented.ini"
cp "$work/commented.ini" "$STACK_INI_FILE"

status() { curl -sS --max-time "$STACK_TIMEOUT" --unix-socket "$STACK_ADMIN_SOCKET" -o "$work/status.json" http://sluice/status; }
status_json_is() { status && json_is "$work/status.json" "$@"; }
# drain_is "TASKS AGENT_JOBS STATE": the status document's drain summary.
drain_is() {
	status && json_is "$work/status.json" '"\(.maintenance.draining.tasks) \(.maintenance.draining.agent_jobs) \(.maintenance.state)"' "$1"
}

declare -A pid=() job=()
for name in acme-1 acme-2 beta-1; do
	job[$name]=$(stack_job "$name")
	stack_tenant_bg "$work/$name" "${name%-*}" backup --job "${job[$name]}" --tasks 3 --blocks 3 --block-size 16k \
		--pause-at 2:2 --pause-file "$work/$name.pause"
	pid[$name]=$STACK_PID
done
for name in "${!pid[@]}"; do
	stack_pause_wait "$work/$name.pause" "${pid[$name]}"
done

"$ctl" -c "$STACK_INI_FILE" maintenance on --message "Upgrade until 22:00 UTC; \"quoted\"" > "$work/on" 2>&1
tap_check "sluicectl maintenance on --message against the running sluice: exit 0" test $? -eq 0
diff "$work/commented.ini" "$STACK_INI_FILE" | grep '^[<>]' |
	sed 's/^> since = 20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]*Z$/> since = NOW/' | sort > "$work/diff"
printf '%s\n' '< enabled = off   ; off outside the window' '> enabled = on   ; off outside the window' \
	'> message = Upgrade until 22:00 UTC; "quoted"' '> since = NOW' | sort > "$work/diff.want"
tap_check "only enabled changed, message and since added; every comment byte for byte" \
	diff "$work/diff.want" "$work/diff"
tap_check "GET /status: draining 3 tasks, no agent job" drain_is "3 0 draining"
tap_check "status: the message as set, JSON-escaped" \
	json_is "$work/status.json" .maintenance.message 'Upgrade until 22:00 UTC; "quoted"'
tap_check "status: tenants acme (2 tasks) and beta (1 task)" \
	json_is "$work/status.json" '[.maintenance.draining.tenants[] | "\(.tenant):\(.tasks):\(.agent_jobs)"] | sort | join(" ")' \
	"acme:2:0 beta:1:0"
tap_check "status: each draining job listed with its category, origin and the task it holds" \
	json_is "$work/status.json" '[.maintenance.draining.tenants[].jobs[] | "\(.category) \(.job) \(.origin) \(.tasks | length)"] | sort | join(",")' \
	"$(for n in acme-1 acme-2 beta-1; do echo "backup ${job[$n]} vbr 1"; done | sort | paste -sd,)"
tap_check "status: no time limit without [maintenance] drain_timeout" \
	json_is "$work/status.json" '"\(.maintenance.drain_timeout_seconds) \(.maintenance.drain_time_left_seconds)"' "0 null"

# A new job open is refused with the new message.
code=$(stack_curl "$work/refused" acme POST "/tsp/1/backup/jobs/$(stack_job new)" -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere')
tap_check "a new job open: 503 with the message sluicectl set" \
	json_is "$work/refused.body" '"'"$code"' \(.error) \(.message)"' '503 maintenance Upgrade until 22:00 UTC; "quoted"'

cp "$STACK_INI_FILE" "$work/before-reject.ini"
"$ctl" -c "$STACK_INI_FILE" maintenance on --mode sideways > "$work/reject" 2>&1
rc=$?
tap_check "a rejected value: sluicectl exits non-zero and the file is untouched" \
	eval '[[ $rc -ne 0 ]] && cmp -s "$work/before-reject.ini" "$STACK_INI_FILE"'

stack_pause_go "$work/acme-1.pause"
wait "${pid[acme-1]}"
tap_check "acme-1 released: 2 tasks draining" wait_until "$STACK_TIMEOUT" drain_is "2 0 draining"
stack_pause_go "$work/beta-1.pause"
wait "${pid[beta-1]}"
tap_check "beta-1 released: 1 task draining, only acme listed" \
	wait_until "$STACK_TIMEOUT" status_json_is '[.maintenance.draining.tasks, (.maintenance.draining.tenants | map(.tenant) | join(","))] | map(tostring) | join(" ")' "1 acme"
"$ctl" -c "$STACK_INI_FILE" wait-drained --timeout 300ms > "$work/wait1" 2>&1
tap_check "sluicectl wait-drained --timeout 300ms while one task drains: exit 1" test $? -eq 1
stack_pause_go "$work/acme-2.pause"
"$ctl" -c "$STACK_INI_FILE" wait-drained --timeout 30s > "$work/wait0" 2>&1
rc=$?
wait "${pid[acme-2]}"
tap_check "sluicectl wait-drained --timeout 30s returns 0 once the last task closes" test $rc -eq 0
tap_check "status: 0 draining, state maintenance, no tenant listed" \
	eval 'drain_is "0 0 maintenance" && json_is "$work/status.json" ".maintenance.draining.tenants | length" 0'
# R1: the tasks open at T (1 and 2) complete; task 3 was refused.
held_tasks_done() {
	local n
	for n in acme-1 acme-2 beta-1; do
		json_is "$work/$n" '[.tasks[0:2][].status] | join(",")' "Success,Success" || return 1
	done
}
tap_check "the tasks held at T completed (R1)" held_tasks_done

"$ctl" -c "$STACK_INI_FILE" maintenance off > "$work/off" 2>&1
tap_check "sluicectl maintenance off: exit 0, state active" eval '[[ $? -eq 0 ]] && drain_is "0 0 active"'
tap_plan "$TAP_N"
e2e_finish
