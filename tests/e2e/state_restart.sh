#!/usr/bin/env bash
# tests/e2e/state_restart.sh: a restart in the middle of a drain loses nothing
# ([proxy] state_file), through sluice over TLS in front of sluice-repo (TAP).
#
#   - a task open at T, kill -TERM, start again with the same INI: the task's
#     next block is forwarded (201) and lands in the repository byte for
#     byte; a new job is refused 503; /status still says draining since the
#     same T, with the task in the draining count; sluicectl wait-drained
#     waits; the task's close ends the drain.
#   - a corrupt state file: sluice starts, says why, renames it to
#     PATH.rejected, and starts with an empty table.
#   - a state file older than [limits] job_idle_expiry: ignored, left as is.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
stack_tenant_add acme acme-secret
state=$E2E_TMP/state/sluice.state
mkdir -p "$E2E_TMP/state" || hard_error "cannot make the state directory"
stack_ini_set proxy.state_file "$state"
stack_ini_set proxy.state_interval 1s
stack_ini_set limits.job_idle_expiry 1h
stack_start
work=$STACK_OUT
ctl=$SLUICE_BUILDDIR/sluicectl
[[ -x $ctl ]] || hard_error "$ctl is not built"

tap_plan 18

block_bytes=65536
head -c "$block_bytes" /dev/urandom > "$work/block"
digest=$(sha256sum "$work/block" | cut -d' ' -f1)

# tsp WANT METHOD PATH [CURL ARGS...]: acme's request through sluice; the
# stack fails unless it is answered WANT (these are the set-up).
tsp() {
	local want=$1 code
	shift
	code=$(stack_curl "$work/req" acme "$@")
	[[ $code == "$want" ]] || stack_fail "$1 $2: $code, want $want: $(cat "$work/req.body" "$work/req.err" 2> /dev/null)"
}
put_block() { # JOB_PATH TASK N: prints the status
	stack_curl "$work/put" acme PUT "$1/tasks/$2/blocks/$3" -H "Tsp-Digest: sha256=$digest" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$work/block"
}
admin_status() {
	curl -sS --max-time "$STACK_TIMEOUT" --unix-socket "$STACK_ADMIN_SOCKET" -o "$work/status.json" \
		http://sluice/status
}
status_is() { admin_status && json_is "$work/status.json" "$@"; }
wait_drained() { # TIMEOUT WANT_STATUS
	"$ctl" -c "$STACK_INI_FILE" wait-drained --timeout "$1" > "$work/wait-drained" 2>&1
	same "sluicectl wait-drained --timeout $1 exit status" "$?" "$2" || { cat "$work/wait-drained"; return 1; }
}
# restart: SIGTERM, then the same INI again (the hello is not polled: with
# maintenance on it is sluice's own notice).
restart() {
	stack_proxy_stop || stack_fail "sluice did not stop cleanly"
	start_again
}
start_again() {
	stack_log_mark
	e2e_start_sluice "$STACK_INI_FILE"
	STACK_PROXY_ADDR=127.0.0.1:$SLUICE_PORT
}
# logged_since_start REGEX: a line sluice logged since it started again.
logged_since_start() { stack_log_since_mark | grep -q -e "$1"; }

# ---- a drain across a restart ------------------------------------------------------
job=$(stack_job restart)
path=/tsp/1/backup/jobs/$job
tsp 201 POST "$path" -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere'
tsp 201 POST "$path/tasks/t1"
[[ $(put_block "$path" t1 0) == 201 ]] || stack_fail "block 0: $(cat "$work/put.body")"
stack_maintenance on drain
tap_check "before the restart: /status says draining, 1 task" \
	status_is '"\(.maintenance.state) \(.maintenance.draining.tasks)"' "draining 1"
since=$(jq -r .maintenance.since "$work/status.json")

restart
tap_check "the state file was written at stop (sluice-state 1, profile tsp)" \
	eval 'head -n 1 "$state" | grep -q "^sluice-state 1 tsp [0-9.]*$"'
tap_check "sluice says what it restored" \
	stack_log_wait "state file $state: restored"
tap_check "after the restart: /status says draining since the same T, 1 task" \
	status_is '"\(.maintenance.state) \(.maintenance.since) \(.maintenance.draining.tasks)"' "draining $since 1"
tap_check "the task open at T gets its next block forwarded (201)" same status "$(put_block "$path" t1 1)" 201
new=$(stack_job new)
tap_check "a new backup job is refused 503" \
	same status "$(stack_curl "$work/new" acme POST "/tsp/1/backup/jobs/$new" -H 'Tsp-Origin: vbr' \
		-H 'Tsp-Workload: vsphere')" 503
tap_check "the repository never heard of the new job" eval '! grep -q -F "/jobs/$new" "$STACK_REPO_LOG"'
tap_check "sluicectl wait-drained --timeout 1s does not return drained (exit 1)" wait_drained 1s 1
tap_check "the task's close is forwarded (200)" \
	same status "$(stack_curl "$work/close" acme POST "$path/tasks/t1/close" -H 'Tsp-Result: success')" 200
tap_check "then the drain is complete: sluicectl wait-drained exits 0" wait_drained 10s 0
tap_check "the job close is forwarded (200)" \
	same status "$(stack_curl "$work/jclose" acme POST "$path/close" -H 'Tsp-Result: success')" 200
stack_verify "$work/verify.json"
tap_check "the task is complete in the repository, both blocks, every byte (--verify)" \
	same "verify rows" "$(verify_rows "$work/verify.json" acme backup "$job")" \
	"t1 complete complete 2 $((2 * block_bytes))"

# ---- a corrupt file ---------------------------------------------------------------
stack_maintenance off
job2=$(stack_job corrupt)
tsp 201 POST "/tsp/1/backup/jobs/$job2" -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere'
tsp 201 POST "/tsp/1/backup/jobs/$job2/tasks/t1"
stack_proxy_stop || stack_fail "sluice did not stop cleanly"
grep -q "^job acme 1 $job2 " "$state" || stack_fail "the state file lacks $job2: $(cat "$state")"
sed -i "s/^job acme 1 $job2 /job acme 1 ${job2}x /" "$state"
cp "$state" "$work/corrupt.state"
start_again
tap_check "a corrupt file: sluice starts and says why (checksum)" \
	logged_since_start "state file $state: line .*checksum mismatch.*renamed to $state.rejected"
tap_check "a corrupt file is renamed to PATH.rejected, unchanged" cmp -s "$work/corrupt.state" "$state.rejected"
tap_check "a corrupt file: the table starts empty" status_is '.jobs_open.backup' 0

# ---- a file older than job_idle_expiry --------------------------------------------------
job3=$(stack_job old)
tsp 201 POST "/tsp/1/backup/jobs/$job3" -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere'
tsp 201 POST "/tsp/1/backup/jobs/$job3/tasks/t1"
stack_proxy_stop || stack_fail "sluice did not stop cleanly"
grep -q "^job acme 1 $job3 " "$state" || stack_fail "the state file lacks $job3: $(cat "$state")"
# the same file, written two hours ago (signed again, as sluice would)
python3 - "$state" << 'EOF' || hard_error "cannot age the state file"
import sys, time
path = sys.argv[1]
lines = open(path, "rb").read().split(b"\n")[:-1]
head = lines[0].split(b" ")
head[3] = b"%.6f" % (time.time() - 7200)
body = b" ".join(head) + b"\n" + b"".join(l + b"\n" for l in lines[1:-1])
h = 14695981039346656037
for c in body:
    h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
open(path, "wb").write(body + b"end %d %016x\n" % (len(lines) - 2, h))
EOF
start_again
tap_check "an old file: ignored, and sluice says it is older than the idle expiry" \
	logged_since_start "state file $state: written 720[0-9] s ago, longer than the idle expiry (3600 s"
tap_check "an old file is not rejected: the earlier PATH.rejected is untouched" \
	eval 'cmp -s "$work/corrupt.state" "$state.rejected" && ! logged_since_start rejected'
tap_check "an old file: the table starts empty" status_is '.jobs_open.backup' 0

e2e_finish
