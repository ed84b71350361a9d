#!/usr/bin/env bash
# tests/e2e/workers_load.sh: [proxy] workers = 2 under load while maintenance
# is toggled, through sluice over TLS (TAP).
#
# Two tenants run 16 backup jobs at once (6 tasks of 4 blocks of 64 KiB, 2
# tasks in parallel, one TLS connection each), so that both worker threads
# carry tenant connections. 6 of them are paused in a task when maintenance
# goes on (drain); 2 of those run one task at a time, so their later tasks
# certainly start during maintenance. Jobs started while maintenance is on
# (drain, then block) are refused at their open; jobs started after each
# "off" are accepted.
#
#   R11 every task ends either complete and byte-exact in the repository
#       (sluice-repo --verify: blocks, bytes, digests) or refused at its start
#       (503 maintenance, no block, never seen by the repository); --verify
#       holds exactly the tasks the tenants saw succeed; nothing corrupt or
#       incomplete. A job reported Success has all its tasks stored.
#   R1  the tasks paused at T complete; the later tasks of the one-at-a-time
#       jobs are refused.
#   R3  jobs started during maintenance (drain and block) are refused at their
#       open and leave nothing in the repository.
#   R6  after each "off", new jobs succeed whole.
#   R9  the maintenance log lines come in order (on, drained only once the
#       paused tasks ended, off, on (block), off).
#   The load was spread: GET /status lists 2 workers and each accepted
#   connections; counters.connections_accepted is their sum, and /metrics
#   agrees (sluice_workers, sluice_worker_connections_accepted_total).
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
tenants=(acme bravo)
for t in "${tenants[@]}"; do stack_tenant_add "$t" "$t-secret"; done
stack_ini_set proxy.workers 2
stack_start
work=$STACK_OUT
shape=(--blocks 4 --block-size 64k)
task_bytes=$((4 * 65536))

declare -A pid=() rc=() tenant_of=() tasks_of=()
all=() paused=() serial=() refused_jobs=() accepted_jobs=()

# start JOB TENANT TASKS [ARGS...]: a backup job of TASKS tasks in the background.
start() {
	local job=$1 tenant=$2 tasks=$3
	shift 3
	stack_tenant_bg "$work/$job" "$tenant" backup --job "$job" --origin vbr --workload vsphere \
		--tasks "$tasks" "${shape[@]}" "$@"
	pid[$job]=$STACK_PID tenant_of[$job]=$tenant tasks_of[$job]=$tasks
	all+=("$job")
}
# finish JOB...: wait for each job's tenant, keep its exit status.
finish() {
	local job
	for job in "$@"; do
		[[ -v "rc[$job]" ]] && continue
		wait "${pid[$job]}"
		rc[$job]=$?
	done
}
tenant_i() { echo "${tenants[$1 % 2]}"; }

# ---- the load: 16 jobs at once, 6 of them paused in a task at T ----------------------
for i in $(seq 1 16); do
	job=load-$i
	if ((i <= 4)); then # 2 at a time, paused in task 2 (task 1 or 3 runs beside it)
		start "$job" "$(tenant_i "$i")" 6 --parallel 2 --pause-at 2:2 --pause-file "$work/$job.pause"
		paused+=("$job")
	elif ((i <= 6)); then # one at a time, paused in task 1: tasks 2 and 3 open after T
		start "$job" "$(tenant_i "$i")" 3 --parallel 1 --pause-at 1:2 --pause-file "$work/$job.pause"
		paused+=("$job") serial+=("$job")
	else
		start "$job" "$(tenant_i "$i")" 6 --parallel 2
	fi
done
for job in "${paused[@]}"; do
	stack_pause_wait "$work/$job.pause" "${pid[$job]}"
done

stack_log_mark
stack_maintenance on drain
tap_check "R9 maintenance on (drain) logged" stack_log_wait 'maintenance on (drain) policy_change='

# Jobs started during the drain: refused at their open.
for i in 1 2 3 4; do
	job=drain-new-$i
	start "$job" "$(tenant_i "$i")" 2 --parallel 2
	refused_jobs+=("$job")
done
finish "${refused_jobs[@]}"
not_drained_yet() {
	! stack_log_has 'maintenance drained' || { echo "drained while tasks are paused:"; stack_log_since_mark | grep drained; }
}
tap_check "R9 no 'maintenance drained' while the paused tasks still run" not_drained_yet

for job in "${paused[@]}"; do stack_pause_go "$work/$job.pause"; done
finish "${all[@]}"
tap_check "R9 'maintenance drained' once the tasks open at T ended" stack_log_wait 'maintenance drained policy_change='

# Off: new jobs are accepted; they run to their end before block mode.
stack_maintenance off
for i in 1 2 3 4; do
	start "after-drain-$i" "$(tenant_i "$i")" 4 --parallel 2
	accepted_jobs+=("after-drain-$i")
done
finish "${all[@]}"

# On in block mode: a new job is refused at its open; then off and more jobs.
stack_maintenance on block
for i in 1 2; do
	start "block-new-$i" "$(tenant_i "$i")" 2 --parallel 2
	refused_jobs+=("block-new-$i")
done
finish "${all[@]}"
stack_maintenance off
for i in 1 2 3 4; do
	start "after-block-$i" "$(tenant_i "$i")" 4 --parallel 2
	accepted_jobs+=("after-block-$i")
done
finish "${all[@]}"
stack_verify "$work/verify.json"
verify_status=$?

# ---- the checks ------------------------------------------------------------------------

tap_check "every tenant run ended with a job status, none cut short by a connection error" \
	stack_exits_ok "$work" "${all[@]}"

# What the tenants saw, read in one jq pass over their statistics:
# tasks.view "tenant category job task verdict ..." (one line a task) and
# jobs.view "job status exit http_status code tasks task-statuses".
tenant_views() {
	local job map="{" files=()
	for job in "${all[@]}"; do
		map+="\"$job\":[\"${tenant_of[$job]}\",${rc[$job]}],"
		files+=("$work/$job")
	done
	map="${map%,}}"
	jq -r --argjson of "$map" '(input_filename | split("/") | last) as $name | $of[$name] as [$t, $rc]
		| .category as $c | .job as $j
		| (.tasks[] | if .status == "Success" then "task \($t) \($c) \($j) \(.task) complete \(.blocks) \(.bytes)"
			else "task \($t) \($c) \($j) \(.task) refused \(.blocks) \(.error.http_status) \(.error.code)" end),
		"job \($name) \(.status) exit \($rc) \(.error.http_status) \(.error.code) \(.tasks | length)"
			+ " \([.tasks[] | "\(.status)/\(.error.code)"] | join(","))"' "${files[@]}" > "$work/views" ||
		stack_fail "cannot read the tenants' statistics"
	sed -n 's/^task //p' "$work/views" | sort > "$work/tenant.view"
	sed -n 's/^job //p' "$work/views" | sort > "$work/jobs.view"
}
repository_view() {
	jq -r '.tasks[] | select(.tenant != "probe")
		| "\(.tenant) \(.category) \(.job) \(.task) \(.verdict) \(.blocks) \(.bytes)"' "$work/verify.json" | sort
}
tenant_views
repository_view > "$work/repository.view"
# job_is JOB WANT: the job's line in jobs.view, without its name, is WANT.
job_is() {
	local got
	got=$(awk -v j="$1" '$1 == j { $1 = ""; sub(/^ /, ""); print }' "$work/jobs.view")
	[[ $got == "$2" ]] && return
	printf '%s: %s\n  want %s\n' "$1" "$got" "$2"
	return 1
}

tap_check "R11 every task is Success with its 4 blocks, or refused at its start (503 maintenance, no block)" \
	stack_whole_or_refused "$work/tenant.view" 4 "$task_bytes"
tap_check "R11 --verify holds exactly the tasks the tenants saw succeed, each complete, 4 blocks, $task_bytes bytes" \
	stack_views_agree "$work/tenant.view" "$work/repository.view"
tap_check "R11 no refused task ever reached the repository" stack_refused_never_reached "$work/tenant.view"
verify_whole() {
	same "verify exit status" "$verify_status" 0 &&
		json_is "$work/verify.json" '"\(.summary.corrupt) \(.summary.incomplete)"' "0 0"
}
tap_check "R11 sluice-repo --verify: nothing corrupt, nothing incomplete" verify_whole
success_jobs_whole() {
	local job status n bad=""
	while read -r job status _; do
		[[ $status == Success ]] || continue
		n=$(grep -c -E "^${tenant_of[$job]} backup $job [^ ]+ complete 4 $task_bytes\$" "$work/repository.view")
		[[ $n == "${tasks_of[$job]}" ]] || bad+=" $job:$n/${tasks_of[$job]}"
	done < "$work/jobs.view"
	[[ -z $bad ]] || { echo "jobs reported Success without all their tasks complete in --verify:$bad"; return 1; }
}
tap_check "R11 every job reported Success has all its tasks complete in --verify" success_jobs_whole

paused_tasks_done() {
	local job task bad=""
	for job in "${paused[@]}"; do
		task=2
		[[ " ${serial[*]} " == *" $job "* ]] && task=1
		awk -v j="$job" -v n="$task" '$1 == j { split($8, s, ","); exit s[n] != "Success/null" }' "$work/jobs.view" ||
			bad+=" $job:task$task"
	done
	[[ -z $bad ]] || { echo "tasks paused at T that did not complete:$bad"; return 1; }
}
tap_check "R1 the 6 tasks paused at T all completed" paused_tasks_done
serial_cut() {
	local job
	for job in "${serial[@]}"; do
		job_is "$job" "Failed exit 1 null null 3 Success/null,Failed/maintenance,Failed/maintenance" || return 1
	done
}
tap_check "R1 the one-at-a-time jobs: task 1 Success, tasks 2 and 3 refused (opened after T)" serial_cut
refused_at_open() {
	local job
	for job in "${refused_jobs[@]}"; do
		job_is "$job" "Failed exit 1 503 maintenance 0" || return 1
		grep -q -F "/jobs/$job" "$STACK_REPO_LOG" && { echo "the repository saw $job"; return 1; }
		[[ -e $STACK_DATA/${tenant_of[$job]}/backup/$job ]] && { echo "$job is in the repository"; return 1; }
		grep -q " $job " "$work/repository.view" && { echo "--verify lists $job"; return 1; }
	done
	return 0
}
tap_check "R3 the 6 jobs started during maintenance (4 drain, 2 block) refused at their open, absent from the repository" \
	refused_at_open
accepted_whole() {
	local job
	for job in "${accepted_jobs[@]}"; do
		job_is "$job" "Success exit 0 null null 4 Success/null,Success/null,Success/null,Success/null" || return 1
	done
}
tap_check "R6 the 8 jobs started after each off: Success, every task" accepted_whole

# The notice lines of maintenance, in the order they were logged.
maintenance_lines_in_order() {
	local got want
	got=$(stack_log_since_mark | grep -o -E 'maintenance (on \([a-z]+\)|off|drained)' | tr '\n' ';')
	want='maintenance on (drain);maintenance drained;maintenance off;maintenance on (block);'
	# Block mode has nothing to drain: its "drained" may follow at once.
	[[ $got == "$want"'maintenance off;' || $got == "$want"'maintenance drained;maintenance off;' ]] && return
	printf 'logged: %s\n' "$got"
	return 1
}
tap_check "R9 the maintenance lines came in order: on (drain), drained, off, on (block), off" maintenance_lines_in_order

# The workers: each took part, and the sums agree.
curl -sS --max-time 5 --unix-socket "$STACK_ADMIN_SOCKET" -o "$work/status.json" http://sluice/status
curl -sS --max-time 5 --unix-socket "$STACK_ADMIN_SOCKET" -o "$work/metrics" http://sluice/metrics
echo "# workers: $(jq -c .workers "$work/status.json" 2>&1), connections_accepted $(jq .counters.connections_accepted "$work/status.json" 2>&1)"
tap_check "GET /status lists 2 workers and each accepted tenant connections" \
	json_is "$work/status.json" '"\(.workers | length) \([.workers[] | .accepted > 0] | all)"' "2 true"
tap_check "counters.connections_accepted is the sum of workers[].accepted" \
	json_is "$work/status.json" '.counters.connections_accepted == ([.workers[].accepted] | add)' true
metrics_agree() {
	local i got want
	same "sluice_workers" "$(awk '$1 == "sluice_workers" { print $2 }' "$work/metrics")" 2 || return 1
	for i in 0 1; do
		got=$(awk -v m="sluice_worker_connections_accepted_total{worker=\"$i\"}" '$1 == m { print $2 }' "$work/metrics")
		want=$(jq ".workers[$i].accepted" "$work/status.json")
		same "worker $i accepted (/metrics vs /status)" "$got" "$want" || return 1
	done
}
tap_check "/metrics: sluice_workers 2, per-worker accepted as in /status" metrics_agree
echo "# tasks: $(grep -c ' complete ' "$work/tenant.view") complete, $(grep -c ' refused ' "$work/tenant.view") refused at their start"
stack_proxy_stop > "$work/stop" 2>&1
tap_status "sluice stops cleanly on SIGTERM" $? "$work/stop"
tap_plan "$TAP_N"
e2e_finish
