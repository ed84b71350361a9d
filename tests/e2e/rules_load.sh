#!/usr/bin/env bash
# tests/e2e/rules_load.sh: many tenants and jobs at once while maintenance is
# toggled on and off five times, through sluice over TLS (TAP).
#
# 4 tenants run 20 backup-category jobs of 8 tasks, 4 in parallel (one TLS
# connection each), in five waves; each wave's jobs have stored data when
# maintenance goes on, and maintenance goes off again while they run, so
# tasks and jobs straddle every toggle. Each wave also has an anchor job
# (one task at a time, paused in task 1 at T) whose later tasks certainly
# start during maintenance, and a job that starts while maintenance is on.
# Restores and replications run throughout.
#
#   R11 every task ends either complete and byte-exact in the repository
#       (sluice-repo --verify, digests checked) or refused at its start (503
#       maintenance, no block sent, never seen by the repository), and the
#       tenants' statistics and --verify agree task by task; nothing is
#       incomplete, nothing corrupt.
#   R1  a task running when maintenance went on always completes.
#   R2  standalone agents' jobs, running at every toggle, complete whole.
#   R3  a job that starts while maintenance is on is refused at its open.
#   R5  restores and replications running across the toggles succeed.
#   R6  after each "off", jobs start again (later waves store data).
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
tenants=(t1 t2 t3 t4)
for t in "${tenants[@]}"; do stack_tenant_add "$t" "$t-secret"; done
stack_start
work=$STACK_OUT
shape=(--tasks 8 --parallel 4 --blocks 8 --block-size 32k)
task_bytes=$((8 * 32768))
kinds=("backup vbr vsphere" "backup vbr hyperv" "backup-copy vbr vcd" "backup agent linux" "backup vbr windows")

declare -A pid=() rc=() tenant_of=()
all=()

# start NAME TENANT KIND ARGS...: a job in the background, its id NAME.
start() {
	local job=$1 tenant=$2
	shift 2
	stack_tenant_bg "$work/$job" "$tenant" "$@" --job "$job"
	pid[$job]=$STACK_PID tenant_of[$job]=$tenant
	all+=("$job")
}
# running_or_gone JOB CATEGORY: each of the job's 4 workers has stored a
# block of its first task (so tasks 1-4 are open), or the tenant ended.
running_or_gone() {
	local first=("$STACK_DATA/${tenant_of[$1]}/$2/$1"/*/0)
	[[ ${#first[@]} -ge 4 && -e ${first[0]} ]] || ! kill -0 "${pid[$1]}" 2> /dev/null
}

# What runs across all the toggles: restores of a backup made first, and
# replications.
for t in t1 t2; do
	stack_tenant "$work/seed-$t" "$t" backup --job "seed-$t" "${shape[@]}" ||
		stack_fail "the seed backup of $t failed: $(head -c 300 "$work/seed-$t")"
done
unaffected=()
for t in t1 t2; do
	start "restore-$t" "$t" restore --source "seed-$t" "${shape[@]}"
	start "replica-$t" "$t" replicate --task-prefix "vm-$t" --tasks 8 --parallel 4 --blocks 24 --block-size 32k
	unaffected+=("restore-$t" "replica-$t")
done

backups=() anchors=() extras=() wave_kind=()
for wave in 1 2 3 4 5; do
	wave_jobs=()
	for i in 1 2 3 4; do
		n=$(( (wave - 1) * 4 + i ))
		read -r kind origin workload <<< "${kinds[n % 5]}"
		job=load-$n
		start "$job" "${tenants[i - 1]}" "$kind" --origin "$origin" --workload "$workload" "${shape[@]}"
		wave_kind[n]=$kind
		wave_jobs+=("$job")
		backups+=("$job")
	done
	for job in "${wave_jobs[@]}"; do
		wait_until "$STACK_TIMEOUT" running_or_gone "$job" "${wave_kind[${job#load-}]}" ||
			stack_fail "$job stored nothing within ${STACK_TIMEOUT}s"
	done
	# The anchor: one task at a time, paused inside task 1, so that this
	# wave certainly has tasks that start after T.
	anchor=anchor-$wave
	start "$anchor" "${tenants[wave % 4]}" backup --workload vcd --tasks 4 --blocks 8 --block-size 32k \
		--pause-at 1:4 --pause-file "$work/$anchor.pause"
	stack_pause_wait "$work/$anchor.pause" "${pid[$anchor]}"
	stack_maintenance on drain
	stack_pause_go "$work/$anchor.pause"
	extra=extra-$wave
	start "$extra" "${tenants[wave % 4]}" backup-copy --workload hyperv "${shape[@]}"
	for job in "$anchor" "$extra"; do
		wait "${pid[$job]}"
		rc[$job]=$?
	done
	anchors+=("$anchor")
	extras+=("$extra")
	stack_maintenance off
done
for job in "${all[@]}"; do
	[[ -v "rc[$job]" ]] && continue
	wait "${pid[$job]}"
	rc[$job]=$?
done
stack_verify "$work/verify.json"
verify_status=$?

# ---- the checks ------------------------------------------------------------------------

tap_check "every tenant run ended with a job status, none cut short by a connection error" \
	stack_exits_ok "$work" "${all[@]}"

# Each task of each backup-category job as the tenants saw it and as the
# repository holds it: "tenant category job task verdict".
tenant_view() {
	local job
	for job in "${backups[@]}" "${anchors[@]}" "${extras[@]}"; do
		jq -r --arg t "${tenant_of[$job]}" '.category as $c | .job as $j | .tasks[] |
			if .status == "Success" then "\($t) \($c) \($j) \(.task) complete \(.blocks) \(.bytes)"
			else "\($t) \($c) \($j) \(.task) refused \(.blocks) \(.error.http_status) \(.error.code)" end' "$work/$job"
	done | sort
}
repository_view() {
	jq -r '.tasks[] | select(.category != "replication") | select(.job | test("^(load|anchor|extra)-"))
		| "\(.tenant) \(.category) \(.job) \(.task) \(.verdict) \(.blocks) \(.bytes)"' "$work/verify.json" | sort
}
tenant_view > "$work/tenant.view"
repository_view > "$work/repository.view"

tap_check "R11 every task is Success with all its blocks, or refused at its start (503 maintenance, no block)" \
	stack_whole_or_refused "$work/tenant.view" 8 "$task_bytes"
tap_check "R11 --verify holds exactly the tasks the tenants saw succeed, each complete and byte-exact" \
	stack_views_agree "$work/tenant.view" "$work/repository.view"
tap_check "R11 no refused task ever reached the repository" stack_refused_never_reached "$work/tenant.view"
tap_check "R11 sluice-repo --verify: nothing corrupt, nothing incomplete" \
	eval 'same "verify exit status" "$verify_status" 0 &&
		json_is "$work/verify.json" "\"\(.summary.corrupt) \(.summary.incomplete)\"" "0 0"'

first_tasks_done() { # every wave job's first 4 tasks were running at T: Success
	local job bad=""
	for job in "${backups[@]}"; do
		json_is "$work/$job" '[.tasks[0:4][].status] | unique | join(",")' Success > /dev/null || bad+=" $job"
	done
	[[ -z $bad ]] || { echo "jobs whose task running at T did not complete:$bad"; return 1; }
}
tap_check "R1 the tasks running when maintenance went on all completed (20 jobs x 4 tasks)" first_tasks_done
agents_whole() {
	local job bad=""
	for job in "${backups[@]}"; do
		[[ ${wave_kind[${job#load-}]} == backup ]] || continue
		jq -e '.origin == "agent"' "$work/$job" > /dev/null || continue
		json_is "$work/$job" .status Success > /dev/null || bad+=" $job"
	done
	[[ -z $bad ]] || { echo "agent jobs that did not complete whole:$bad"; return 1; }
}
tap_check "R2 the standalone agents' jobs completed whole across the toggles" agents_whole
extras_refused() {
	local job
	for job in "${extras[@]}"; do
		json_is "$work/$job" '"\(.status) \(.error.http_status) \(.error.code) \(.tasks | length) exit '"${rc[$job]}"'"' \
			"Failed 503 maintenance 0 exit 1" || return 1
	done
}
tap_check "R3 the 5 jobs started while maintenance was on were refused at their open" extras_refused
unaffected_ok() {
	local job
	for job in "${unaffected[@]}"; do
		json_is "$work/$job" '"\(.status) \(.tasks | length)"' "Success 8" || return 1
	done
}
tap_check "R5 restores and replications across the toggles: Success, every byte compared" unaffected_ok
later_waves_stored() {
	local n
	for n in $(seq 5 20); do
		grep -q " load-$n " "$work/repository.view" || { echo "load-$n (started after an off) stored nothing"; return 1; }
	done
}
tap_check "R6 after each off, the next wave's jobs were accepted and stored data" later_waves_stored

anchors_cut() {
	local job
	for job in "${anchors[@]}"; do
		json_is "$work/$job" '[.tasks[] | "\(.status) \(.error.code)"] | join(",")' \
			"Success null,Failed maintenance,Failed maintenance,Failed maintenance" || return 1
	done
}
tap_check "R1 one job a wave, paused in task 1 at T: task 1 Success, tasks 2-4 refused" anchors_cut
echo "# tasks: $(grep -c ' complete ' "$work/tenant.view") complete, $(grep -c ' refused ' "$work/tenant.view") refused at their start"
stack_proxy_stop > "$work/stop" 2>&1
tap_status "sluice stops cleanly on SIGTERM" $? "$work/stop"
tap_plan "$TAP_N"
e2e_finish
