#!/usr/bin/env bash
# tests/e2e/rules_refuse.sh: what maintenance refuses, and how, through sluice
# over TLS (TAP).
#
#   R3  backup, backup-copy and agent jobs that start during maintenance fail
#       at once: 503, the JSON error body, Tsp-Maintenance, Retry-After when
#       configured (seen with curl -i and in the tenant's statistics); the
#       repository never hears of them. The hello says so too (10.4).
#   R4  the default notification, then the SP's own (quotes and UTF-8 kept),
#       in curl's answer and in the tenant's statistics, job and task level.
#   R8  block mode cuts running tasks (a server-managed one, a standalone
#       agent's; from off, by switching a drain to block, and when
#       [maintenance] drain_timeout passes): they fail, the job still closes,
#       the repository marks the task incomplete, never corrupt, and nothing
#       later is stored.
#   R6  maintenance off: a new backup succeeds at once.
#   R7  a bad INI on SIGHUP (a bad value, an unknown key, a line that is no
#       INI) changes nothing: maintenance stays as it was, traffic is still
#       served, and the log names the file and line.
#   R11 sluice-repo --verify: nothing corrupt.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
stack_tenant_add acme acme-secret
stack_start
work=$STACK_OUT
size=(--blocks 4 --block-size 16k)
default_msg=$STACK_DEFAULT_MESSAGE
custom_msg='Storage upgrade until 18:00 UTC ("phase 2"), restores keep working – merci'
n=0

# refusal OUT MODE MESSAGE RETRY_AFTER: OUT (from stack_curl) is sluice's 503
# maintenance refusal; RETRY_AFTER "" means no such header.
refusal() {
	local f=$1
	same "status" "$(head -n 1 "$f.head" | tr -d '\r')" "HTTP/1.1 503 Service Unavailable" &&
		same "Content-Type" "$(stack_header "$f" Content-Type)" application/json &&
		same "Tsp-Maintenance" "$(stack_header "$f" Tsp-Maintenance)" "$2" &&
		same "Retry-After" "$(stack_header "$f" Retry-After)" "$4" &&
		json_is "$f.body" '. == {error: "maintenance", message: $m}' true --arg m "$3"
}

# curl_job_open OUT CATEGORY [ORIGIN WORKLOAD]: a job open with curl -i.
curl_job_open() {
	n=$((n + 1))
	stack_curl "$1" acme POST "/tsp/1/$2/jobs/curl-$2-$n" -H "Tsp-Origin: ${3:-vbr}" \
		-H "Tsp-Workload: ${4:-vsphere}" > /dev/null
}

# tenant_refused OUT MESSAGE STATUS: a job refused at its open, as the tenant
# sees it (the hello's notice included), and unknown to the repository.
tenant_refused() {
	local f=$1 job
	job=$(jq -r .job "$f")
	json_is "$f" '"\(.status) exit '"$3"' \(.tasks | length) \(.error.http_status) \(.error.code) \(.error.message)"' \
		"Failed exit 1 0 503 maintenance $2" &&
		json_is "$f" '.maintenance.message' "$2" &&
		! grep -q -F "/jobs/$job" "$STACK_REPO_LOG" &&
		[[ ! -e $STACK_DATA/acme/$(jq -r .category "$f")/$job ]]
}

# ---- R3, R4: the default notification, no Retry-After ----------------------------

stack_maintenance on drain
stack_curl "$work/hello-drain" acme GET /tsp/1/session > /dev/null
tap_check "R3 the hello is answered by sluice: Tsp-Maintenance: drain, the notice, no Retry-After" \
	eval 'same Tsp-Maintenance "$(stack_header "$work/hello-drain" Tsp-Maintenance)" drain &&
		same Retry-After "$(stack_header "$work/hello-drain" Retry-After)" "" &&
		json_is "$work/hello-drain.body" "\"\(.server) \(.tenant) \(.maintenance.mode) \(.maintenance.message)\"" \
			"sluice acme drain $default_msg"'
for cat in backup backup-copy; do
	curl_job_open "$work/open-$cat" "$cat"
	tap_check "R3 curl -i: a $cat job open is 503 with the body, Tsp-Maintenance: drain, no Retry-After" \
		refusal "$work/open-$cat" drain "$default_msg" ""
done
curl_job_open "$work/open-agent" backup agent windows
tap_check "R3 curl -i: a standalone agent's job open is refused the same way" \
	refusal "$work/open-agent" drain "$default_msg" ""
stack_curl "$work/unknown-task" acme POST /tsp/1/backup/jobs/never-opened/tasks/vm-1 > /dev/null
tap_check "R3 a task of a job sluice never saw open is refused (fail closed)" \
	refusal "$work/unknown-task" drain "$default_msg" ""

for kind in "backup vbr vsphere" "backup-copy vbr vcd" "backup agent linux"; do
	read -r k origin workload <<< "$kind"
	f=$work/refused-$k-$origin
	stack_tenant "$f" acme "$k" --job "$(stack_job "refused-$k")" --origin "$origin" --workload "$workload" \
		--tasks 2 "${size[@]}"
	tap_check "R3 R4 tenant: a new $k job ($origin/$workload) Failed at its open with the default notification" \
		tenant_refused "$f" "$default_msg" $?
done

# ---- R4: the SP's own notification, with Retry-After (a reload while on) -------

stack_ini_set maintenance.retry_after 30m
stack_maintenance on drain "$custom_msg"
curl_job_open "$work/open-custom" backup
tap_check "R4 curl -i: the SP's notification, byte for byte, and Retry-After: 1800" \
	refusal "$work/open-custom" drain "$custom_msg" 1800
stack_curl "$work/hello-custom" acme GET /tsp/1/session > /dev/null
tap_check "R4 the hello carries the SP's notification and Retry-After: 1800" \
	eval 'same Retry-After "$(stack_header "$work/hello-custom" Retry-After)" 1800 &&
		json_is "$work/hello-custom.body" .maintenance.message "$custom_msg"'
f=$work/refused-custom
stack_tenant "$f" acme backup --job "$(stack_job refused-custom)" --tasks 2 "${size[@]}"
tap_check "R4 tenant: the job's statistics show the SP's notification" tenant_refused "$f" "$custom_msg" $?

# ---- R6, then R4 at task level: a running job, the notification on later tasks ----

stack_maintenance off
f=$work/after-off
stack_tenant "$f" acme backup --job "$(stack_job after-off)" --tasks 2 "${size[@]}"
tap_check "R6 maintenance off: a new backup Success at once" \
	json_is "$f" '"\(.status) exit '"$?"' \([.tasks[].status] | join(","))"' "Success exit 0 Success,Success"

second_msg="Disk replacement in progress, back at 06:00 UTC."
f=$work/task-msg
stack_tenant_bg "$f" acme backup --job "$(stack_job task-msg)" --tasks 3 "${size[@]}" \
	--pause-at 1:1 --pause-file "$f.pause"
p=$STACK_PID
stack_pause_wait "$f.pause" "$p"
stack_maintenance on drain "$second_msg"
stack_pause_go "$f.pause"
wait "$p"
tap_check "R4 tenant: the running task Success, later tasks Failed with the SP's notification" \
	json_is "$f" '[.tasks[] | "\(.status) \(.error.message)"] | join(",")' \
	"Success null,Failed $second_msg,Failed $second_msg"

# ---- R8: block mode cuts running tasks ----------------------------------------------

stack_maintenance off
stack_ini_unset maintenance.retry_after
vbr=$work/block-vbr agent=$work/block-agent
stack_tenant_bg "$vbr" acme backup --job "$(stack_job block-vbr)" --tasks 3 "${size[@]}" \
	--pause-at 2:2 --pause-file "$vbr.pause"
vbr_pid=$STACK_PID
stack_tenant_bg "$agent" acme backup --job "$(stack_job block-agent)" --origin agent --workload windows \
	--tasks 3 "${size[@]}" --pause-at 2:2 --pause-file "$agent.pause"
agent_pid=$STACK_PID
stack_pause_wait "$vbr.pause" "$vbr_pid"
stack_pause_wait "$agent.pause" "$agent_pid"
stack_maintenance on block ""
curl_job_open "$work/open-block" backup-copy
tap_check "R8 curl -i: block mode refuses with Tsp-Maintenance: block and the default notification" \
	refusal "$work/open-block" block "$default_msg" ""
stack_pause_go "$vbr.pause"
stack_pause_go "$agent.pause"
wait "$vbr_pid"
vbr_status=$?
wait "$agent_pid"
agent_status=$?

# Switching a drain to block cuts what was still draining, at once.
switched=$work/block-switch
stack_maintenance off
stack_tenant_bg "$switched" acme backup-copy --job "$(stack_job block-switch)" --workload hyperv --tasks 3 \
	"${size[@]}" --pause-at 2:2 --pause-file "$switched.pause"
p=$STACK_PID
stack_pause_wait "$switched.pause" "$p"
stack_maintenance on drain
stack_maintenance on block
stack_pause_go "$switched.pause"
wait "$p"
switched_status=$?

# [maintenance] drain_timeout: a drain that takes too long turns to block for
# what still drains. (The INI is written by hand: by the time a hello could
# show "drain", the timeout may have passed.)
timed=$work/block-timeout
stack_maintenance off
stack_tenant_bg "$timed" acme backup --job "$(stack_job block-timeout)" --workload vcd --tasks 3 \
	"${size[@]}" --pause-at 2:2 --pause-file "$timed.pause"
p=$STACK_PID
stack_pause_wait "$timed.pause" "$p"
stack_log_mark
stack_ini_set maintenance.enabled on
stack_ini_set maintenance.mode drain
stack_ini_set maintenance.drain_timeout 300ms
stack_ini_write
kill -HUP "$SLUICE_PID"
tap_check "R8 drain_timeout: the log says when a drain that took too long turns to block" \
	stack_log_wait 'maintenance drain_timeout passed'
stack_pause_go "$timed.pause"
wait "$p"
timed_status=$?
stack_ini_unset maintenance.drain_timeout
stack_maintenance on block
stack_verify "$work/verify-block.json"

# was_cut F STATUS CATEGORY: task 1 Success and complete; task 2 cut mid-transfer
# (Failed 503, incomplete with its first 2 blocks: the job close marked it);
# task 3 refused at its open, nothing stored; the job Failed but closed.
was_cut() {
	local f=$1 cat=$3 job t1 t2 t3
	job=$(jq -r .job "$f") t1=$(jq -r '.tasks[0].task' "$f") t2=$(jq -r '.tasks[1].task' "$f")
	t3=$(jq -r '.tasks[2].task' "$f")
	json_is "$f" '"\(.status) \(.result) exit '"$2"'"' "Failed failed exit 1" &&
		json_is "$f" '[.tasks[] | "\(.status) \(.error.http_status) \(.error.code)"] | join(",")' \
			"Success null null,Failed 503 maintenance,Failed 503 maintenance" &&
		same "verify rows" "$(verify_rows "$work/verify-block.json" acme "$cat" "$job")" \
			"$t1 complete complete 4 65536,$t2 incomplete incomplete 2 32768" &&
		! repo_saw "$job" "$t3" &&
		grep -q -F "POST /tsp/1/$cat/jobs/$job/close 200" "$STACK_REPO_LOG"
}
tap_check "R8 a server-managed task running when block mode began is cut: incomplete, never corrupt" \
	was_cut "$vbr" "$vbr_status" backup
tap_check "R8 a standalone agent's job is cut too: its running volume incomplete, the next never stored" \
	was_cut "$agent" "$agent_status" backup
tap_check "R8 drain switched to block: the task still draining is cut at once" \
	was_cut "$switched" "$switched_status" backup-copy
tap_check "R8 drain_timeout passed: the task still draining is cut" \
	was_cut "$timed" "$timed_status" backup
tap_check "R8 R11 sluice-repo --verify after block mode: nothing corrupt" verify_clean "$work/verify-block2.json"

# ---- R7: a bad INI on SIGHUP changes nothing -------------------------------------

# bad_reload WHAT: write the INI as set now, plus the caller's damage, send
# SIGHUP and wait for the failure in the log; then put the settings back.
reload_failed_at() { # LINE KEY_TEXT: the failure names file, line and key
	stack_log_wait 'reload failed' &&
		stack_log_has "reload failed: $STACK_INI_FILE:$1: $2" ||
		{ echo "no 'reload failed: $STACK_INI_FILE:$1: $2' in:"; stack_log_since_mark | grep -v access:; return 1; }
}
hello_says() { # MODE (off, drain or block)
	stack_curl "$work/hello-r7" acme GET /tsp/1/session > /dev/null
	same "Tsp-Maintenance" "$(stack_header "$work/hello-r7" Tsp-Maintenance)" "${1#off}"
}

# While on (block, from above): a file that says "off" but has a bad mode.
restore_job=$(jq -r .job "$work/after-off")
stack_log_mark
stack_ini_set maintenance.enabled off
stack_ini_set maintenance.mode sideways
stack_ini_write
kill -HUP "$SLUICE_PID"
tap_check "R7 a bad value: the log names the file, line and key" \
	reload_failed_at "$(stack_ini_line mode sideways)" '[maintenance] mode'
tap_check "R7 a bad value: maintenance stays on in block mode (the file's enabled = off is not applied)" \
	hello_says block
f=$work/r7-refused
stack_tenant "$f" acme backup --job "$(stack_job r7-refused)" --tasks 1 "${size[@]}"
tap_check "R7 a bad value: backups are still refused" \
	json_is "$f" '"\(.status) \(.error.http_status) \(.maintenance.mode)"' "Failed 503 block"
f=$work/r7-restore
stack_tenant "$f" acme restore --job "$(stack_job r7-restore)" --source "$restore_job" --tasks 2 "${size[@]}"
tap_check "R7 a bad value: traffic is still served (a restore Success)" json_is "$f" .status Success

# While off: a file that says "on" but has an unknown key.
stack_ini_set maintenance.mode drain
stack_maintenance off
stack_log_mark
stack_ini_set maintenance.enabled on
stack_ini_set maintenance.bogus 1
stack_ini_write
kill -HUP "$SLUICE_PID"
tap_check "R7 an unknown key: the log names the file, line and key" \
	reload_failed_at "$(stack_ini_line bogus 1)" '[maintenance] "bogus"'
tap_check "R7 an unknown key: maintenance stays off" hello_says off
f=$work/r7-backup
stack_tenant "$f" acme backup --job "$(stack_job r7-backup)" --tasks 2 "${size[@]}"
tap_check "R7 an unknown key: a new backup Success" json_is "$f" .status Success

# A line that is no INI at all.
stack_ini_unset maintenance.bogus
stack_ini_write
line=$(($(wc -l < "$STACK_INI_FILE") + 1))
echo "this line is not INI" >> "$STACK_INI_FILE"
stack_log_mark
kill -HUP "$SLUICE_PID"
tap_check "R7 a line that does not parse: the log names the file and line" reload_failed_at "$line" ''
tap_check "R7 a line that does not parse: maintenance stays off" hello_says off

# A good file again: applied.
stack_maintenance on drain
tap_check "R7 the next good file is applied (maintenance on)" hello_says drain

tap_check "R11 sluice-repo --verify: nothing corrupt" verify_clean "$work/verify-end.json"
stack_proxy_stop > "$work/stop" 2>&1
tap_status "sluice stops cleanly on SIGTERM" $? "$work/stop"
tap_plan "$TAP_N"
e2e_finish
