#!/usr/bin/env bash
# tests/e2e/rules_drain.sh: maintenance in drain mode through sluice over TLS,
# every backup row of the job matrix (HACKING.md) at once (TAP).
#
#   R1  a server-managed job running at T, for each workload of backup (vsphere,
#       hyperv, vcd, and windows, linux, mac agents managed by the server) and
#       of backup-copy (vsphere, hyperv, vcd, agent backups): task 2, paused
#       mid-transfer (2 of 4 blocks sent) when maintenance goes on, finishes:
#       Success, complete in the repository, restored byte for byte; tasks 3
#       and 4 fail with the notification and the repository never hears of
#       them (no request, no file); the job is Failed.
#   R2  standalone agents (windows, linux, mac) running at T: every task,
#       those opened after T included, completes.
#   R9  the drain is visible: the log counts what drains at T (10 tasks, 3
#       agent jobs), says "maintenance drained" only once the last of them
#       ended, and the status endpoint and sluicectl wait-drained agree (once
#       sluice has its admin endpoint; skipped until then).
#   R5  restores of what drained run during maintenance (every byte compared).
#   R6  maintenance off: new jobs of each kind succeed.
#   R11 sluice-repo --verify: nothing corrupt, nothing incomplete.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
stack_tenant_add acme acme-secret
stack_start
work=$STACK_OUT
size=(--blocks 4 --block-size 16k)
task_bytes=65536
msg=$STACK_DEFAULT_MESSAGE

# name -> "kind origin workload"; R1 jobs pause inside task 2 (block 2 of 4),
# R2 jobs inside task 2 of 3 (block 1).
declare -A spec=(
	[backup-vsphere]="backup vbr vsphere" [backup-hyperv]="backup vbr hyperv" [backup-vcd]="backup vbr vcd"
	[backup-vbr-windows]="backup vbr windows" [backup-vbr-linux]="backup vbr linux"
	[backup-vbr-mac]="backup vbr mac"
	[copy-vsphere]="backup-copy vbr vsphere" [copy-hyperv]="backup-copy vbr hyperv"
	[copy-vcd]="backup-copy vbr vcd" [copy-agent]="backup-copy vbr windows"
	[agent-windows]="backup agent windows" [agent-linux]="backup agent linux" [agent-mac]="backup agent mac"
)
r1=(backup-vsphere backup-hyperv backup-vcd backup-vbr-windows backup-vbr-linux backup-vbr-mac
	copy-vsphere copy-hyperv copy-vcd copy-agent)
r2=(agent-windows agent-linux agent-mac)
last=agent-mac # released last: the drain must not complete before it ends
declare -A job=() pid=() status=()

for name in "${r1[@]}" "${r2[@]}"; do
	read -r kind origin workload <<< "${spec[$name]}"
	job[$name]=$(stack_job "$name")
	if [[ $origin == agent ]]; then pause=(--tasks 3 --pause-at 2:1); else pause=(--tasks 4 --pause-at 2:2); fi
	stack_tenant_bg "$work/$name" acme "$kind" --job "${job[$name]}" --origin "$origin" --workload "$workload" \
		"${size[@]}" "${pause[@]}" --pause-file "$work/$name.pause"
	pid[$name]=$STACK_PID
done
for name in "${!pid[@]}"; do
	stack_pause_wait "$work/$name.pause" "${pid[$name]}"
done

stack_log_mark
stack_maintenance on drain
tap_check "R9 the log counts what drains at T: 10 tasks, 3 agent jobs" \
	stack_log_wait 'maintenance on (drain) policy_change=1 draining: 10 tasks, 3 agent jobs'

# The admin endpoint's view: GET /status, whose maintenance.state sluicectl
# wait-drained reads too ("draining", then "maintenance" once drained).
admin_state_is() {
	curl -sS --max-time 5 --unix-socket "$STACK_ADMIN_SOCKET" -o "$work/status.json" http://sluice/status &&
		json_is "$work/status.json" .maintenance.state "$1"
}
# wait_drained TIMEOUT WANT_STATUS: sluicectl wait-drained --timeout TIMEOUT.
wait_drained() {
	"$SLUICE_BUILDDIR/sluicectl" -c "$STACK_INI_FILE" wait-drained --timeout "$1" > "$work/wait-drained" 2>&1
	same "sluicectl wait-drained --timeout $1 exit status" "$?" "$2" || { cat "$work/wait-drained"; return 1; }
}
no_admin="# SKIP sluice has no admin endpoint yet"

for name in "${r1[@]}" "${r2[@]}"; do
	[[ $name == "$last" ]] || stack_pause_go "$work/$name.pause"
done
for name in "${r1[@]}" "${r2[@]}"; do
	[[ $name == "$last" ]] && continue
	wait "${pid[$name]}"
	status[$name]=$?
done
not_drained_yet() {
	! stack_log_has 'maintenance drained' || { echo "logged while $last still runs:"; stack_log_since_mark | grep drained; }
}
tap_check "R9 no 'maintenance drained' while the $last job still drains" not_drained_yet
if [[ -S $STACK_ADMIN_SOCKET ]]; then
	tap_check "R9 the status endpoint says draining" admin_state_is draining
	tap_check "R9 sluicectl wait-drained times out meanwhile (exit 1)" wait_drained 300ms 1
else
	tap_ok "R9 the status endpoint says draining $no_admin"
	tap_ok "R9 sluicectl wait-drained times out meanwhile $no_admin"
fi
stack_pause_go "$work/$last.pause"
wait "${pid[$last]}"
status[$last]=$?
tap_check "R9 'maintenance drained' logged once the last draining job ended" stack_log_wait 'maintenance drained policy_change=2'
if [[ -S $STACK_ADMIN_SOCKET ]]; then
	tap_check "R9 the status endpoint says drained (state maintenance)" admin_state_is maintenance
	tap_check "R9 sluicectl wait-drained returns at once (exit 0)" wait_drained 10s 0
else
	tap_ok "R9 the status endpoint says drained $no_admin"
	tap_ok "R9 sluicectl wait-drained returns $no_admin"
fi

stack_verify "$work/verify-drain.json"

# R1: task 2 finished whole, tasks 3 and 4 refused at their start.
r1_refused_never_reached() {
	local j=$1 cat=$2 t
	for t in $(jq -r '.tasks[2:][].task' "$work/$3"); do
		repo_saw "$j" "$t" && { echo "the repository received a request for $j/$t"; return 1; }
		[[ -e $STACK_DATA/acme/$cat/$j/$t ]] && { echo "$STACK_DATA/acme/$cat/$j/$t exists"; return 1; }
	done
	return 0
}
for name in "${r1[@]}"; do
	read -r kind origin workload <<< "${spec[$name]}"
	j=${job[$name]} f=$work/$name
	t1=$(jq -r '.tasks[0].task' "$f") t2=$(jq -r '.tasks[1].task' "$f")
	tap_check "R1 $name: job Failed, exit status 1" \
		json_is "$f" '"\(.status) \(.result) exit '"${status[$name]}"'"' "Failed failed exit 1"
	tap_check "R1 $name: task 2, mid-transfer at T, Success with its 4 blocks (task 1 too)" \
		json_is "$f" '[.tasks[0:2][] | "\(.status) \(.blocks)"] | join(",")' "Success 4,Success 4"
	tap_check "R1 $name: tasks 3 and 4 Failed with the notification (503 maintenance)" \
		json_is "$f" '[.tasks[2:][] | "\(.status) \(.error.http_status) \(.error.code) \(.error.message)"] | join(",")' \
		"Failed 503 maintenance $msg,Failed 503 maintenance $msg"
	tap_check "R1 $name: tasks 1 and 2 complete in the repository (--verify), every block" \
		same "verify rows" "$(verify_rows "$work/verify-drain.json" acme "$kind" "$j")" \
		"$t1 complete complete 4 $task_bytes,$t2 complete complete 4 $task_bytes"
	tap_check "R1 $name: nothing of tasks 3 and 4 reached the repository" r1_refused_never_reached "$j" "$kind" "$name"
done

# R2: the whole job, task 3 (opened after T) included.
for name in "${r2[@]}"; do
	read -r kind origin workload <<< "${spec[$name]}"
	j=${job[$name]} f=$work/$name
	tap_check "R2 $name: the whole job Success, task 3 (opened after T) included, exit 0" \
		json_is "$f" '"\(.status) \([.tasks[] | "\(.status) \(.blocks)"] | join(",")) exit '"${status[$name]}"'"' \
		"Success Success 4,Success 4,Success 4 exit 0"
	tap_check "R2 $name: its 3 tasks complete in the repository (--verify), every block" \
		same "verify rows" "$(verify_rows "$work/verify-drain.json" acme backup "$j" | tr ',' '\n' | cut -d' ' -f2- | uniq -c)" \
		"      3 complete complete 4 $task_bytes"
done

# R5 and byte-exactness: restore what drained, while maintenance is still on.
declare -A restore_pid=()
for name in "${r1[@]}" "${r2[@]}"; do
	read -r kind origin workload <<< "${spec[$name]}"
	source=${job[$name]} tasks=2
	[[ $kind == backup-copy ]] && source=backup-copy/$source
	[[ $origin == agent ]] && tasks=3
	stack_tenant_bg "$work/restore-$name" acme restore --job "$(stack_job "restore-$name")" --source "$source" \
		--origin "$origin" --workload "$workload" --tasks "$tasks" "${size[@]}"
	restore_pid[$name]=$STACK_PID
done
for name in "${r1[@]}" "${r2[@]}"; do
	wait "${restore_pid[$name]}"
	rc=$?
	tap_check "R5 $name: restore during maintenance, every byte compared: Success" \
		json_is "$work/restore-$name" '"\(.status) \(.blocks) exit '"$rc"'"' \
		"Success $(( $(jq '.tasks | length' "$work/restore-$name") * 4 )) exit 0"
done

# R6: off again, new jobs start and finish.
stack_maintenance off
for kind in "backup vbr vsphere" "backup-copy vbr hyperv" "backup agent mac"; do
	read -r k origin workload <<< "$kind"
	name=after-$k-$workload
	stack_tenant "$work/$name" acme "$k" --job "$(stack_job "$name")" --origin "$origin" --workload "$workload" \
		--tasks 2 "${size[@]}"
	rc=$?
	tap_check "R6 maintenance off: a new $k job ($origin/$workload) Success" \
		json_is "$work/$name" '"\(.status) \([.tasks[].status] | join(",")) exit '"$rc"'"' "Success Success,Success exit 0"
done

tap_check "R11 sluice-repo --verify: nothing corrupt" verify_clean "$work/verify-end.json"
tap_check "R11 nothing incomplete: every task is complete or was never stored" \
	json_is "$work/verify-end.json" '"\(.summary.incomplete) \(.summary.complete)"' "0 $((10 * 2 + 3 * 3 + 3 * 2))"
stack_proxy_stop > "$work/stop" 2>&1
tap_status "sluice stops cleanly on SIGTERM" $? "$work/stop"
tap_plan "$TAP_N"
e2e_finish
