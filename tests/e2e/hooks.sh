#!/bin/bash
# tests/e2e/hooks.sh: the [hooks] commands against a running stack (TAP).
#
# A recording hook (a small program that writes its argv, environment and
# descriptors to a file per run) is set as on_enter, on_drained and on_leave.
# Maintenance goes on by SIGHUP while a backup task is open, the task
# closes, maintenance goes off: each hook ran exactly once, with its event,
# the policy_change number the log shows, the draining counts, T, the argv
# split as documented, /dev/null as stdin, no socket of sluice, and nothing
# of sluice's environment. A repeated SIGHUP runs nothing more. A hook that
# sleeps past [hooks] timeout is killed with its children, while the proxy
# answers at once. A bad hook is refused by sluice -t with file and line, and
# by a reload, which keeps the running configuration.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
stack_tenant_add acme acme-secret
work=$STACK_OUT
hooks=$E2E_TMP/hooks
runs=$E2E_TMP/runs
mkdir "$hooks" "$runs" || hard_error "cannot populate $E2E_TMP"
# The interpreter itself, not a wrapper script that would add to the environment.
python=$(python3 -c 'import sys; print(sys.executable)') || skip_all "python3 not installed"

# record RUNS NAME [ARGS...]: RUNS/NAME.N for the Nth run, as JSON.
cat > "$hooks/record" <<EOF
#!$python
import json, os, sys
runs, name = sys.argv[1], sys.argv[2]
# The environment as execve(2) gave it (Python may add LC_CTYPE to os.environ).
with open("/proc/self/environ", "rb") as f:
    env = dict(e.decode().split("=", 1) for e in f.read().split(b"\0") if e)
fds = {}
for fd in os.listdir("/proc/self/fd"):
    try:
        fds[fd] = os.readlink("/proc/self/fd/" + fd)
    except OSError:
        pass  # the descriptor listdir used, closed by now
n = 1
while os.path.exists("%s/%s.%d" % (runs, name, n)):
    n += 1
with open("%s/%s.%d.tmp" % (runs, name, n), "w") as f:
    json.dump({"argv": sys.argv[3:], "env": env, "stdin": sys.stdin.read(),
               "fds": sorted(fds.values())}, f)
os.rename("%s/%s.%d.tmp" % (runs, name, n), "%s/%s.%d" % (runs, name, n))
print("recorded %s run %d" % (name, n))
EOF
# sleeper PIDS: a shell and its child, both holding on past any timeout.
cat > "$hooks/sleeper" <<'EOF'
#!/bin/sh
sleep 60 &
echo "$$ $!" > "$1.tmp" && mv "$1.tmp" "$1"
echo "sleeping"
wait
EOF
# chatty: 100 lines of 99 x's (10000 bytes, more than is logged), exit 3.
cat > "$hooks/chatty" <<'EOF'
#!/bin/sh
i=0
while [ $i -lt 100 ]; do
	echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
	i=$((i + 1))
done
exit 3
EOF
chmod 755 "$hooks/record" "$hooks/sleeper" "$hooks/chatty"
printf 'not executable\n' > "$hooks/plain"
chmod 644 "$hooks/plain"

# The argv rule: spaces split, double quotes group, \" and \\ inside quotes,
# a backslash elsewhere is a byte.
stack_ini_set hooks.on_enter "$hooks/record $runs enter \"two words\" \"say \\\"hi\\\"\" back\\slash"
stack_ini_set hooks.on_drained "$hooks/record $runs drained"
stack_ini_set hooks.on_leave "$hooks/record $runs leave"
stack_ini_set hooks.timeout 10s
stack_start

count_runs() { local n; n=$(find "$runs" -name "$1.*" ! -name '*.tmp' | wc -l); same "runs of $1" "$n" "$2"; }
# policy_change N of the latest maintenance log line WHAT (on, drained, off).
generation_of() { grep -o "maintenance $1[^=]*policy_change=[0-9]*" "$SLUICE_LOG" | tail -n 1 | sed 's/.*=//'; }
epoch() { date -u -d "$1" +%s; }

# A backup task held open (paused) while maintenance goes on.
job=$(stack_job nightly)
stack_tenant_bg "$work/acme" acme backup --job "$job" --tasks 3 --blocks 3 --block-size 16k \
	--pause-at 2:2 --pause-file "$work/acme.pause"
tenant=$STACK_PID
stack_pause_wait "$work/acme.pause" "$tenant"

before=$(date -u +%s)
stack_maintenance on drain
after=$(date -u +%s)
wait_until "$STACK_TIMEOUT" test -e "$runs/enter.1"
tap_check "on_enter ran once when maintenance went on" count_runs enter 1
gen_on=$(generation_of on)
enter=$runs/enter.1
tap_check "on_enter: SLUICE_EVENT=enter, SLUICE_GENERATION = the log's policy_change ($gen_on)" \
	json_is "$enter" '"\(.env.SLUICE_EVENT) \(.env.SLUICE_GENERATION)"' "enter $gen_on"
tap_check "on_enter: draining 1 task and no agent job" \
	json_is "$enter" '"\(.env.SLUICE_DRAINING_TASKS) \(.env.SLUICE_DRAINING_JOBS)"' "1 0"
since=$(jq -r .env.SLUICE_SINCE "$enter")
since_in_window() {
	[[ $since =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] || { echo "SLUICE_SINCE=$since"; return 1; }
	local t
	t=$(epoch "$since")
	(( t >= before - 1 && t <= after + 1 )) || { echo "SLUICE_SINCE=$since not within $before..$after"; return 1; }
}
tap_check "on_enter: SLUICE_SINCE is T, ISO 8601 UTC with seconds" since_in_window
tap_check "on_enter: argv split as documented (quotes group, \\\" and \\\\ escaped, \\ plain outside)" \
	json_is "$enter" '.argv | join("|")' 'two words|say "hi"|back\slash'
tap_check "the environment holds the five SLUICE_ variables and PATH, nothing of sluice's" \
	json_is "$enter" '.env | keys | join(" ")' \
	'PATH SLUICE_DRAINING_JOBS SLUICE_DRAINING_TASKS SLUICE_EVENT SLUICE_GENERATION SLUICE_SINCE'
tap_check "stdin is /dev/null (read empty), no socket of sluice is open in the hook" \
	eval 'json_is "$enter" ".stdin" "" && json_is "$enter" "[.fds[] | select(startswith(\"socket:\"))] | length" 0 &&
	      json_is "$enter" ".fds | index(\"/dev/null\") != null" true'
tap_check "the hook's output and exit are logged" \
	wait_log "$SLUICE_LOG" "hook on_enter: exited 0 after [0-9.]* s" "$STACK_TIMEOUT"
tap_check "... its output line by line under its name" file_has "$SLUICE_LOG" "hook on_enter: recorded enter run 1"
tap_check "on_drained has not run while the task drains" count_runs drained 0

stack_pause_go "$work/acme.pause"
wait "$tenant"
tap_check "the task closed: on_drained ran once" wait_until "$STACK_TIMEOUT" count_runs drained 1
gen_drained=$(generation_of drained)
tap_check "on_drained: event drained, its policy_change ($gen_drained), nothing draining, the same T" \
	json_is "$runs/drained.1" '"\(.env.SLUICE_EVENT) \(.env.SLUICE_GENERATION) \(.env.SLUICE_DRAINING_TASKS) \(.env.SLUICE_DRAINING_JOBS) \(.env.SLUICE_SINCE)"' \
	"drained $gen_drained 0 0 $since"
tap_check "on_drained: only the program's own arguments" json_is "$runs/drained.1" '.argv | length' 0

# A SIGHUP that changes nothing runs nothing.
e2e_reload
e2e_reload
tap_check "two SIGHUPs that change nothing: no hook started again" \
	eval 'count_runs enter 1 && count_runs drained 1 && same "started lines" "$(grep -c "hook on_[a-z]*: started" "$SLUICE_LOG")" 2'

stack_maintenance off
tap_check "maintenance off: on_leave ran once" wait_until "$STACK_TIMEOUT" count_runs leave 1
gen_off=$(generation_of off)
tap_check "on_leave: event leave, its policy_change ($gen_off), the same T" \
	json_is "$runs/leave.1" '"\(.env.SLUICE_EVENT) \(.env.SLUICE_GENERATION) \(.env.SLUICE_DRAINING_TASKS) \(.env.SLUICE_SINCE)"' \
	"leave $gen_off 0 $since"
tap_check "the three generations differ and grow" eval '(( gen_on < gen_drained && gen_drained < gen_off ))'
e2e_reload
tap_check "each hook ran exactly once over the whole maintenance" \
	eval 'count_runs enter 1 && count_runs drained 1 && count_runs leave 1'

# A hook that sleeps past [hooks] timeout (2s): killed with its child, while
# the proxy answers at once. With nothing open the drain is complete at once:
# on_drained waits for on_enter to end, then runs.
stack_ini_set hooks.on_enter "$hooks/sleeper $work/sleeper.pids"
stack_ini_set hooks.on_drained "$hooks/chatty"
stack_ini_set hooks.on_leave ""
stack_ini_set hooks.timeout 2s
stack_maintenance on drain
wait_until "$STACK_TIMEOUT" test -s "$work/sleeper.pids"
read -r shell_pid sleep_pid < "$work/sleeper.pids"
tap_check "the sleeping hook and its child run" eval 'kill -0 "$shell_pid" && kill -0 "$sleep_pid"'
answered_quickly() {
	local t0 t1 status
	t0=$(date +%s%N)
	status=$(stack_curl "$work/probe" "$STACK_PROBE" GET /tsp/1/session)
	t1=$(date +%s%N)
	[[ $status == 200 ]] || { echo "status $status"; return 1; }
	(( (t1 - t0) / 1000000 < 1500 )) || { echo "answered after $(((t1 - t0) / 1000000)) ms"; return 1; }
	kill -0 "$shell_pid" || { echo "the hook ended before the request was answered"; return 1; }
}
tap_check "a request during the hook's sleep is answered while the hook still runs, within 1.5 s (the loop is not blocked)" answered_quickly
tap_check "after the timeout the log says so" \
	wait_log "$SLUICE_LOG" "hook on_enter: killed after timeout 2 s" "$STACK_TIMEOUT"
# Dead: gone, or a zombie its new parent has yet to reap (the sleep outlived
# its shell by a moment, and belongs to init then).
dead() { [[ ! -e /proc/$1/stat ]] || [[ $(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null) == Z ]]; }
tap_check "the hook and its child are gone (TERM to its process group)" \
	wait_until 3 eval 'dead "$shell_pid" && dead "$sleep_pid"'
tap_check "the proxy still serves after the kill" \
	eval '[[ $(stack_curl "$work/probe2" "$STACK_PROBE" GET /tsp/1/session) == 200 ]]'
tap_check "on_drained waited for on_enter, and ran after it was killed" \
	eval 'wait_log "$SLUICE_LOG" "hook on_drained: exited 3 after" "$STACK_TIMEOUT" &&
	      file_has "$SLUICE_LOG" "hook on_drained: waits for hook on_enter" &&
	      (( $(grep -n "hook on_enter: killed" "$SLUICE_LOG" | cut -d: -f1) <
		 $(grep -n "hook on_drained: started .*/chatty" "$SLUICE_LOG" | cut -d: -f1) ))'
tap_check "its output: 4096 bytes logged in 41 lines, the cut said with the bytes left" \
	eval 'same lines "$(grep -c "hook on_drained: xxxx" "$SLUICE_LOG")" 41 &&
	      file_has "$SLUICE_LOG" "hook on_drained: output cut after 4096 bytes (5904 more not logged)"'
stack_maintenance off

# A bad hook: sluice -t names the file and line; a reload refuses it and
# keeps the running configuration (maintenance stays off, hooks as they were).
check_refused() { # KEY VALUE WANT: sluice -t of the INI with [hooks] KEY = VALUE
	local line out
	stack_ini_set "hooks.$1" "$2"
	stack_ini_write
	line=$(stack_ini_line "$1" "$2")
	[[ -n $line ]] || { echo "no line sets $1 = $2"; return 1; }
	out=$("$SLUICE" -t -c "$STACK_INI_FILE" 2>&1) && { echo "sluice -t accepted it: $out"; return 1; }
	[[ $out == *"$STACK_INI_FILE:$line: [hooks] $1: "*"$3"* ]] || { echo "sluice -t said: $out (line $line)"; return 1; }
}
tap_check "sluice -t: a program that does not exist, with file and line" \
	check_refused on_leave "/nonexistent/hook arg" "No such file"
tap_check "sluice -t: a relative program" check_refused on_leave "bin/hook" "not an absolute path"
tap_check "sluice -t: a file that is not executable" check_refused on_leave "$hooks/plain" "not executable"
tap_check "sluice -t: an unclosed quote" check_refused on_leave "$hooks/record \"open" "not closed"
stack_ini_set hooks.on_leave "/nonexistent/hook arg"
stack_ini_set maintenance.enabled on
stack_ini_write
kill -HUP "$SLUICE_PID"
tap_check "the reload fails, naming the hook's line" \
	wait_log "$SLUICE_LOG" "reload failed: .*sluice.ini:[0-9]*: \[hooks\] on_leave" "$STACK_TIMEOUT"
tap_check "the running configuration stays: maintenance still off" _stack_hello_is off
stack_ini_set maintenance.enabled off
stack_ini_set hooks.on_leave "$hooks/record $runs leave"
stack_ini_write
tap_check "a good file reloads again" e2e_reload
tap_check "no hook ran for the refused reload" \
	eval 'count_runs enter 1 && count_runs drained 1 && count_runs leave 1 &&
	      same "sleeper runs" "$(grep -c "hook on_enter: started .*/sleeper" "$SLUICE_LOG")" 1'
stack_proxy_stop > "$work/stop" 2>&1
tap_status "sluice stops cleanly, exit 0" $? "$work/stop"
tap_plan "$TAP_N"
e2e_finish
