#!/usr/bin/env bash
# tests/e2e/rules_unaffected.sh: what maintenance must never touch, and the
# per-tenant switch, through sluice over TLS (TAP).
#
#   R5  during a drain (a backup task still draining meanwhile) and again in
#       block mode: restores (full VM, from a backup copy, an agent's),
#       replication (new replicas and a refresh), partial and full-site
#       failover, failback and undo all run to Success, every restored byte
#       compared, every replica in the state the operation gives.
#   R10 a disabled tenant is refused everything (403 tenant-disabled, the
#       hello and restores included), with maintenance on or off, while other
#       tenants restore; enabled again, it restores its own data. Tenants
#       cannot touch each other's jobs: the same job id is two jobs, a restore
#       from another tenant's job finds nothing, a block written into another
#       tenant's job never lands there (while maintenance is on, sluice refuses
#       it itself), and a close of another tenant's job does not end its drain.
#   R11 sluice-repo --verify: nothing corrupt, nothing incomplete.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
stack_tenant_add acme acme-secret
stack_tenant_add beta beta-secret
stack_start
work=$STACK_OUT
size=(--blocks 4 --block-size 16k)

# run OUT TENANT KIND ARGS...: one job, its id the name of OUT (fresh).
run() {
	local job=$1 tenant=$2
	shift 2
	stack_tenant "$work/$job" "$tenant" "$@" --job "$job" "${size[@]}"
}
# succeeded OUT REPLICA: Success, and every task's replica state REPLICA ("" none).
succeeded() {
	json_is "$work/$1" '"\(.status) \([.tasks[].replica] | unique | join(","))"' "Success $2"
}

# ---- what exists before maintenance ----------------------------------------------------

base=$(stack_job base) copy=$(stack_job copy) laptop=$(stack_job laptop)
run "$base" acme backup --tasks 2
run "$copy" acme backup-copy --workload vcd --tasks 2
run "$laptop" acme backup --origin agent --workload linux --tasks 2
run "$(stack_job repl-web)" acme replicate --task-prefix web --tasks 2
run "$(stack_job repl-db)" acme replicate --workload hyperv --task-prefix db --tasks 1
run "$(stack_job repl-app)" acme replicate --workload vcd --task-prefix app --tasks 3
# beta's own job under the same id as acme's (ids are per tenant)
stack_tenant "$work/beta-base" beta backup --job "$base" --tasks 2 "${size[@]}"
ready_ok() { json_is <(cat "$work"/repl-*-[0-9]* | jq -s '[.[].status] | unique') . '[
  "Success"
]'; }
tap_check "set-up: backups, a backup copy, an agent backup and 6 replicas Success" \
	eval 'ready_ok && succeeded "$base" "" && succeeded "$copy" "" && succeeded "$laptop" "" && succeeded beta-base ""'

# r5 PHASE LABEL REPLICA KIND ARGS...: one operation that maintenance must
# leave alone, checked at once.
r5() {
	local phase=$1 label=$2 replica=$3 job
	shift 3
	job=$(stack_job "r5-$1")
	run "$job" acme "$@"
	tap_check "R5 $phase: $label Success${replica:+, replicas $replica}" succeeded "$job" "$replica"
}

# ---- R5 during a drain -------------------------------------------------------------------

draining=$work/draining
stack_tenant_bg "$draining" acme backup --job "$(stack_job draining)" --tasks 1 "${size[@]}" \
	--pause-at 1:1 --pause-file "$draining.pause"
draining_pid=$STACK_PID
stack_pause_wait "$draining.pause" "$draining_pid"
stack_log_mark
stack_maintenance on drain
tap_check "R5 drain: a backup task is draining meanwhile" stack_log_has 'draining: 1 task, 0 agent jobs'

r5 drain "full VM restore" "" restore --source "$base" --tasks 2
r5 drain "restore from a backup copy job" "" restore --source "backup-copy/$copy" --workload vcd --tasks 2
r5 drain "agent restore" "" restore --source "$laptop" --origin agent --workload linux --tasks 2
r5 drain "replication of new VMs" ready replicate --task-prefix new1 --tasks 2
r5 drain "full failover of web-1, web-2" failed-over failover --task-prefix web --tasks 2
r5 drain "failback of web-1, web-2" ready failback --task-prefix web --tasks 2
r5 drain "failover of db-1" failed-over failover --workload hyperv --task-prefix db --tasks 1
r5 drain "undo failover of db-1" ready undo --workload hyperv --task-prefix db --tasks 1
tap_check "R5 drain: all of it ran while the backup task was still draining" eval '! stack_log_has "maintenance drained"'
stack_pause_go "$draining.pause"
wait "$draining_pid"
tap_check "R5 drain: the draining backup task then finished" json_is "$draining" .status Success
tap_check "R5 drain: and the drain completed" stack_log_wait 'maintenance drained'

# ---- R5 in block mode ---------------------------------------------------------------------

stack_maintenance on block
r5 block "full VM restore" "" restore --source "$base" --tasks 2
r5 block "restore from a backup copy job" "" restore --source "backup-copy/$copy" --workload vcd --tasks 2
r5 block "agent restore" "" restore --source "$laptop" --origin agent --workload linux --tasks 2
r5 block "replication of new VMs" ready replicate --task-prefix new2 --tasks 2
r5 block "replication refreshing web-1, web-2" ready replicate --task-prefix web --tasks 2
r5 block "partial failover of app-1" failed-over failover --workload vcd --task-prefix app --tasks 1
r5 block "undo failover of app-1" ready undo --workload vcd --task-prefix app --tasks 1
r5 block "full-site failover of app-1..3" failed-over failover --workload vcd --task-prefix app --tasks 3
r5 block "failback of app-1..3" ready failback --workload vcd --task-prefix app --tasks 3

# ---- R10: the tenant switch -----------------------------------------------------------------

# disable TENANTS: set [tenants] disabled, reload, wait until beta's hello
# shows it (403) or, with "", that it is gone.
beta_hello_status() {
	same "beta's hello" "$(stack_curl "$work/beta-hello" beta GET /tsp/1/session)" "$1"
}
disable() {
	stack_ini_set tenants.disabled "$1"
	stack_ini_write
	kill -HUP "$SLUICE_PID"
	wait_until "$STACK_TIMEOUT" beta_hello_status "$([[ -n $1 ]] && echo 403 || echo 200)" ||
		stack_fail "[tenants] disabled = $1 was not applied"
}
disabled_refusal() { # OUT: 403 tenant-disabled at the job open
	json_is "$work/$1" '"\(.status) \(.error.http_status) \(.error.code) \(.tasks | length)"' "Failed 403 tenant-disabled 0"
}

disable beta
tap_check "R10 curl -i: a disabled tenant's hello is 403 with the tenant-disabled body" \
	json_is "$work/beta-hello.body" .error tenant-disabled
job=$(stack_job r10-beta-restore)
run "$job" beta restore --source "$base" --tasks 2
tap_check "R10 maintenance on: the disabled tenant cannot restore (403 tenant-disabled)" disabled_refusal "$job"
job=$(stack_job r10-beta-failover)
run "$job" beta failover --task-prefix web --tasks 1
tap_check "R10 maintenance on: nor fail over" disabled_refusal "$job"
job=$(stack_job r10-acme-restore)
run "$job" acme restore --source "$base" --tasks 2
tap_check "R10 maintenance on: another tenant restores meanwhile" succeeded "$job" ""

stack_maintenance off
job=$(stack_job r10-beta-backup)
run "$job" beta backup --tasks 1
tap_check "R10 maintenance off: the disabled tenant is still refused (403), it is its own switch" disabled_refusal "$job"
job=$(stack_job r10-acme-backup)
run "$job" acme backup --tasks 1
tap_check "R10 maintenance off: another tenant backs up meanwhile" succeeded "$job" ""

disable ""
job=$(stack_job r10-beta-own)
run "$job" beta restore --source "$base" --tasks 2
tap_check "R10 enabled again: beta restores its own job of the same id as acme's, its own bytes" succeeded "$job" ""
job=$(stack_job r10-beta-foreign)
run "$job" beta restore --source "backup-copy/$copy" --workload vcd --tasks 2
tap_check "R10 a restore from another tenant's job finds nothing (404 unknown-source)" \
	json_is "$work/$job" '"\(.status) \(.error.http_status) \(.error.code)"' "Failed 404 unknown-source"

# Writing into another tenant's open job, with maintenance off and then on.
printf 'not acme data\n' > "$work/intruder.bin"
digest=sha256=$(sha256sum < "$work/intruder.bin" | cut -d' ' -f1)
intrude() { # OUT JOB TASK: beta PUTs block 0 of acme's task
	stack_curl "$work/$1" beta PUT "/tsp/1/backup/jobs/$2/tasks/$3/blocks/0" \
		-H "Tsp-Digest: $digest" --data-binary "@$work/intruder.bin"
}
victim=$work/victim
victim_job=$(stack_job victim)
stack_tenant_bg "$victim" acme backup --job "$victim_job" --tasks 2 "${size[@]}" \
	--pause-at 1:1 --pause-file "$victim.pause"
victim_pid=$STACK_PID
stack_pause_wait "$victim.pause" "$victim_pid"
tap_check "R10 maintenance off: beta's block write into acme's open job is 404 unknown-job (a job of beta's own)" \
	eval 'same status "$(intrude put-off "$victim_job" vm-1)" 404 && json_is "$work/put-off.body" .error unknown-job'

stack_log_mark
stack_maintenance on drain
lines_before=$(grep -c " beta " "$STACK_REPO_LOG")
tap_check "R10 maintenance on: sluice refuses beta's write into acme's draining task itself (fail closed)" \
	eval 'same status "$(intrude put-on "$victim_job" vm-1)" 503 && json_is "$work/put-on.body" .error maintenance &&
		same "beta requests the repository received" "$(grep -c " beta " "$STACK_REPO_LOG")" "$lines_before"'
close_status=$(stack_curl "$work/foreign-close" beta POST "/tsp/1/backup/jobs/$victim_job/close" \
	-H 'Tsp-Result: failed')
tap_check "R10 beta's close of acme's job id is forwarded and is beta's own unknown job (404)" \
	eval 'same status "$close_status" 404 && json_is "$work/foreign-close.body" .error unknown-job'
tap_check "R10 and it did not end acme's drain" eval '! stack_log_has "maintenance drained"'
stack_pause_go "$victim.pause"
wait "$victim_pid"
stack_verify "$work/verify-victim.json"
tap_check "R10 acme's draining task then completes, its own bytes only (--verify complete)" \
	eval 'json_is "$victim" "[.tasks[].status] | join(\",\")" "Success,Failed" &&
		same "verify rows" "$(verify_rows "$work/verify-victim.json" acme backup "$victim_job")" \
			"vm-1 complete complete 4 65536"'
tap_check "R10 acme's job close ended the drain" stack_log_wait 'maintenance drained'
r5 after "restore of acme's task that beta tried to write into, every byte compared" "" \
	restore --source "$victim_job" --tasks 1

tap_check "R11 sluice-repo --verify: nothing corrupt" verify_clean "$work/verify-end.json"
tap_check "R11 nothing incomplete" json_is "$work/verify-end.json" .summary.incomplete 0
stack_proxy_stop > "$work/stop" 2>&1
tap_status "sluice stops cleanly on SIGTERM" $? "$work/stop"
tap_plan "$TAP_N"
e2e_finish
