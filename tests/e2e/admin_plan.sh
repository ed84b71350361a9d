#!/bin/bash
# tests/e2e/admin_plan.sh: the dry run of maintenance (GET /plan, sluicectl
# maintenance plan) against a running sluice and sluice-repo (TAP).
#
# acme's server-managed job has completed one task (4 blocks: the job's
# history) and holds two more open, with 2 and 1 blocks written; beta's
# standalone agent job holds a task with one block. The plan lists both of
# acme's tasks with what they wrote, an estimate for the one that writes
# (from the completed task's size), beta's job as an agent job that would
# finish as a whole, and acme's job as one whose later tasks would be
# refused; block mode cuts all of it; --tenants filters; a bad query is 400.
# And nothing changed: maintenance is still off, the generations are the
# same, a new job and a block of an open task are still forwarded.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
stack_tenant_add acme acme-secret
stack_tenant_add beta beta-secret
stack_start
work=$STACK_OUT
ctl=$SLUICE_BUILDDIR/sluicectl
[[ -x $ctl ]] || hard_error "$ctl is not built"

block_bytes=65536
head -c "$block_bytes" /dev/zero | tr '\0' 'p' > "$work/block"
digest=$(sha256sum "$work/block" | cut -d' ' -f1)

# tsp WANT TENANT METHOD PATH [CURL ARGS...]: one request through sluice that
# must be answered WANT; the stack fails otherwise (these are the setup).
tsp() {
	local want=$1 code
	shift
	code=$(stack_curl "$work/req" "$@")
	[[ $code == "$want" ]] || stack_fail "$3 $4: $code, want $want: $(cat "$work/req.body" "$work/req.err" 2>/dev/null)"
}
put_block() { # TENANT JOB_PATH TASK N
	tsp 201 "$1" PUT "$2/tasks/$3/blocks/$4" -H "Tsp-Digest: sha256=$digest" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$work/block"
}

job=$(stack_job plan)
acme=/tsp/1/backup/jobs/$job
tsp 201 acme POST "$acme" -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere'
tsp 201 acme POST "$acme/tasks/t0"
for n in 0 1 2 3; do put_block acme "$acme" t0 "$n"; done
tsp 200 acme POST "$acme/tasks/t0/close" -H 'Tsp-Result: success'
tsp 201 acme POST "$acme/tasks/t1"
tsp 201 acme POST "$acme/tasks/t2"
put_block acme "$acme" t1 0
put_block acme "$acme" t1 1
put_block acme "$acme" t2 0
agent=$(stack_job laptop)
beta=/tsp/1/backup/jobs/$agent
tsp 201 beta POST "$beta" -H 'Tsp-Origin: agent' -H 'Tsp-Workload: linux'
tsp 201 beta POST "$beta/tasks/vol-1"
put_block beta "$beta" vol-1 0

admin() { # OUT TARGET: GET TARGET on the admin socket; prints the status code
	curl -sS --max-time "$STACK_TIMEOUT" --unix-socket "$STACK_ADMIN_SOCKET" -o "$1" -w '%{http_code}' \
		"http://sluice$2"
}
admin "$work/status-before.json" /status > /dev/null
admin "$work/plan-before.json" /plan > /dev/null

"$ctl" -c "$STACK_INI_FILE" maintenance plan > "$work/plan.txt" 2> "$work/plan.err"
tap_check "sluicectl maintenance plan: exit 0" test $? -eq 0
sed 's/^/# /' "$work/plan.txt"
# row TENANT JOB TASK: the table's row (columns are two or more spaces apart).
row() { grep -E "^$1 +$2 +$3 " "$work/plan.txt"; }
written_nonzero() { local r; r=$(row "$@") && [[ -n $r ]] && ! grep -qE '  0 B  ' <<< "$r"; }
tap_check "the table lists acme's two open tasks with bytes written" \
	eval 'written_nonzero acme "backup/$job" t1 && written_nonzero acme "backup/$job" t2'
tap_check "the table lists beta's agent job as a whole, not the completed task t0" \
	eval 'row beta "backup/$agent" "\\(agent job, 1 open\\)" > /dev/null && ! row acme "backup/$job" t0'
tap_check "the summary line counts 2 tasks and 1 agent job of 2 tenants, 1 job refused" \
	grep -q "^plan (drain mode): would drain 2 tasks and 1 agent job of 2 tenants; later tasks of 1 job refused" \
	"$work/plan.txt"
tap_check "the table says whose later tasks would be refused, and that nothing changed" \
	eval 'grep -q "^later tasks refused in: acme backup/$job\$" "$work/plan.txt" &&
	      grep -q "^now: active; next window: none; nothing was changed\$" "$work/plan.txt"'

"$ctl" -c "$STACK_INI_FILE" maintenance plan --json > "$work/plan.json" 2> "$work/plan.err"
tap_check "sluicectl maintenance plan --json: exit 0, a JSON object" \
	eval '[[ $? -eq 0 ]] && jq -e "type == \"object\"" "$work/plan.json" > /dev/null'
tap_check "--json: acme's tasks t1 and t2 with their writes and bytes" \
	json_is "$work/plan.json" '[.tenants[] | select(.tenant == "acme") | .tasks[] | "\(.task):\(.writes):\(.bytes)"] | join(",")' \
	"t1:2:$((2 * block_bytes)),t2:1:$block_bytes"
task_keys='["action","bytes","category","estimate","estimated_seconds_left","expected_bytes","job","last_write_seconds_ago","open_seconds","opened_at","rate_bytes_per_second","task","writes"]'
tap_check "--json: every task has the progress fields" \
	json_is "$work/plan.json" "[.tenants[].tasks[] | keys == $task_keys] | all" true
tap_check "--json: the top level has mode, totals, skipped and next_window (null: no [schedule])" \
	json_is "$work/plan.json" '"\(.mode) \(.totals.counts.tasks) \(.totals.counts.agent_jobs) \(.totals.counts.refused_jobs) \(.skipped.disabled) \(.next_window) \(.truncated)"' \
	"drain 2 1 1 0 null false"
tap_check "--json: t1 is estimated from its rate and the size of t0, the job's completed task" \
	json_is "$work/plan.json" '.tenants[] | select(.tenant == "acme") | .tasks[0] | "\(.expected_bytes) \(.estimate) \(.rate_bytes_per_second > 0) \(.estimated_seconds_left >= 0)"' \
	"$((4 * block_bytes)) job-history true true"
tap_check "--json: beta's agent job drains as a whole; its later tasks are not refused (R2)" \
	json_is "$work/plan.json" '.tenants[] | select(.tenant == "beta") | "\(.agent_jobs[0].kind) \(.agent_jobs[0].bytes) \(.agent_jobs[0].estimate) \(.refused_jobs | length)"' \
	"agent $block_bytes unknown 0"

"$ctl" -c "$STACK_INI_FILE" maintenance plan --mode block --tenants beta --json > "$work/block.json" 2>&1
tap_check "--mode block --tenants beta: only beta, its job cut at once and its later tasks refused (R8)" \
	json_is "$work/block.json" '"\(.mode) \([.tenants[].tenant] | join(",")) \(.tenants[0].agent_jobs[0].action) \(.tenants[0].refused_jobs | length) \(.tenants_filter | join(","))"' \
	"block beta cut 1 beta"
code=$(admin "$work/bad.json" '/plan?mode=sideways')
tap_check "GET /plan?mode=sideways: 400 bad-request" \
	json_is "$work/bad.json" '"'"$code"' \(.error)"' "400 bad-request"
"$ctl" -c "$STACK_INI_FILE" maintenance plan --mode sideways > /dev/null 2>&1
tap_check "sluicectl maintenance plan --mode sideways: exit 2" test $? -eq 2

# Nothing changed.
admin "$work/status-after.json" /status > /dev/null
admin "$work/plan-after.json" /plan > /dev/null
tap_check "maintenance still off, the configuration's generation unchanged" \
	json_is "$work/status-after.json" '"\(.maintenance.state) \(.config.generation)"' \
	"$(jq -r '"active \(.config.generation)"' "$work/status-before.json")"
tap_check "the policy's generation unchanged" \
	json_is "$work/plan-after.json" .maintenance.generation "$(jq -r .maintenance.generation "$work/plan-before.json")"
code=$(stack_curl "$work/new" acme POST "/tsp/1/backup/jobs/$(stack_job new)" -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere')
tap_check "a new job open is still forwarded: 201" test "$code" = 201
code=$(stack_curl "$work/more" acme PUT "$acme/tasks/t2/blocks/1" -H "Tsp-Digest: sha256=$digest" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$work/block")
tap_check "a block of an open task is still forwarded: 201" test "$code" = 201

# A [schedule] window a day ahead: the plan names it as the next window.
start=$(( $(date +%s) + 86400 ))
window="$(date -u -d "@$start" +%Y-%m-%dT%H:%M:%SZ)/$(date -u -d "@$(( start + 3600 ))" +%Y-%m-%dT%H:%M:%SZ)"
stack_ini_set schedule.window "$window"
stack_ini_write
e2e_reload || stack_fail "the reload with [schedule] window failed"
admin "$work/plan-window.json" /plan > /dev/null
tap_check "with a [schedule] window ahead: next_window has its start and end, not running" \
	json_is "$work/plan-window.json" '"\(.next_window.start)/\(.next_window.end) \(.next_window.running)"' \
	"$window false"
"$ctl" -c "$STACK_INI_FILE" maintenance plan > "$work/plan-window.txt" 2>&1
tap_check "sluicectl maintenance plan names the next window" \
	grep -q "next window: ${window%/*} to ${window#*/};" "$work/plan-window.txt"
tap_plan "$TAP_N"
e2e_finish
