#!/usr/bin/env bash
# tests/e2e/tenant_isolation.sh: what one tenant can do to another through
# sluice (TAP). Two tenants: acme, well-behaved, and globex, hostile (or
# anyone sending acme's name with a wrong secret: the proxy never knows
# secrets, only the repository does). Each case asserts what acme sees --
# status codes, bytes, GET /status on the admin socket -- against what acme
# sees alone, doing the same thing without the hostile party.
#
#   a  A hostile job open and task open naming acme's job, with a wrong
#      secret, are pipelined behind slow requests (globex's own restore reads
#      of a 32 MiB block, which globex does not read) so that the proxy has
#      recorded them before acme opens the same job and task for real, and
#      their 401 comes back last, after maintenance went on. acme's task is
#      still draining and its next block write is forwarded (201), not 503.
#   b  Table flooding: [limits] tenant_jobs = 8, tenant_tasks = 16 and
#      job_table_size = 64. globex's job opens beyond 8 and task opens
#      beyond 16 get 503 busy; acme's job and task opens still get 201.
#      acme's name with a wrong secret, sent one by one, holds nothing; sent
#      pipelined behind slow requests, it must not hold acme's quota either.
#   d  [maintenance] drain_timeout = 1s with a running task: afterwards the
#      state is "maintenance" (drained), /status counts maintenance.cut.tasks
#      = 1, sluicectl wait-drained returns, and the cut task's next block
#      write is refused 503.
#   e  [limits] tenant_connections = 2: acme's third connection's request is
#      answered 503 busy and the connection closed; globex's connections are
#      unaffected; a slot comes back when one of acme's connections closes.
#      Connections naming acme with a wrong secret must not take acme's slots.
#   c  [limits] job_idle_expiry = 1m (its minimum): block writes with acme's
#      name and a wrong secret every 3 s do not keep acme's abandoned task
#      draining past the expiry: it expires in the same tick as acme's other
#      abandoned task, which nobody touches, and sluicectl wait-drained
#      returns. Last, because it waits out the minute (bounded at 90 s).

set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
command -v sha256sum > /dev/null 2>&1 || skip_all "sha256sum not installed"
command -v base64 > /dev/null 2>&1 || skip_all "base64 not installed"
stack_tenant_add acme acme-secret
stack_tenant_add globex globex-secret
stack_ini_set limits.job_table_size 64
stack_ini_set limits.tenant_jobs 8
stack_ini_set limits.tenant_tasks 16
stack_ini_set log.level info
stack_start
work=$STACK_OUT
ctl=$SLUICE_BUILDDIR/sluicectl
[[ -x $ctl ]] || hard_error "$ctl is not built"
[[ -S $STACK_ADMIN_SOCKET ]] || hard_error "sluice has no admin socket at $STACK_ADMIN_SOCKET"

WRONG=acme:not-acme-secret
b64() { printf '%s' "$1" | base64 -w0; }
AUTH_GLOBEX="Authorization: Basic $(b64 globex:globex-secret)"
AUTH_WRONG="Authorization: Basic $(b64 "$WRONG")"
AUTH_ACME="Authorization: Basic $(b64 acme:acme-secret)"

# ---- a raw TLS client that sends first and reads later -----------------------
# tsp_conn.py --send FILE: sends FILE's bytes on one connection, creates
# --ready, waits for --go (if given), then reads --read N answers, writing
# "STATUS BODY" per answer (bodies over 200 bytes as "<N bytes>") to --out as
# they arrive. With --hold FILE it then keeps the connection until FILE
# exists, writing "eof" if the proxy closes it first. Every wait is bounded
# by --timeout.
CONN=$E2E_TMP/tsp_conn.py
cat > "$CONN" << 'EOF'
import argparse, os, select, socket, ssl, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--ca", required=True)
ap.add_argument("--send", required=True)
ap.add_argument("--read", type=int, default=1)
ap.add_argument("--out", required=True)
ap.add_argument("--ready")
ap.add_argument("--go")
ap.add_argument("--hold")
ap.add_argument("--timeout", type=float, default=60.0)
a = ap.parse_args()
deadline = time.monotonic() + a.timeout
out = open(a.out, "w", buffering=1)

def wait_file(path):
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            out.write("timeout\n")
            sys.exit(3)
        time.sleep(0.02)

ctx = ssl.create_default_context(cafile=a.ca)
if hasattr(ssl, "OP_IGNORE_UNEXPECTED_EOF"):
    ctx.options |= ssl.OP_IGNORE_UNEXPECTED_EOF
raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
raw.settimeout(a.timeout)
raw.connect(("127.0.0.1", a.port))
s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
with open(a.send, "rb") as f:
    s.sendall(f.read())
if a.ready:
    open(a.ready, "w").close()
if a.go:
    wait_file(a.go)

buf = b""
eof = False
def fill():
    global buf, eof
    try:
        chunk = s.recv(1 << 20)
    except (ssl.SSLEOFError, ConnectionResetError):
        chunk = b""
    if not chunk:
        eof = True
    buf += chunk

for _ in range(a.read):
    while b"\r\n\r\n" not in buf and not eof:
        fill()
    if b"\r\n\r\n" not in buf:
        break
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if status in (204, 304) or status < 200:
        length = 0
    if length <= 200:
        while len(buf) < length and not eof:
            fill()
        body, buf = buf[:length], buf[length:]
        text = body.decode("latin-1")
    else:
        # Large bodies are counted, not kept.
        got = min(len(buf), length)
        buf = buf[got:]
        while got < length and not eof:
            fill()
            take = min(len(buf), length - got)
            got += take
            buf = buf[take:]
        text = "<%d bytes>" % got
    out.write("%d %s\n" % (status, text))
if eof and not buf:
    out.write("eof\n")
elif a.hold:
    s.setblocking(False)
    while not os.path.exists(a.hold) and time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], 0.05)
        if r:
            try:
                chunk = s.recv(4096)
            except ssl.SSLWantReadError:
                continue
            except (ssl.SSLEOFError, ConnectionResetError):
                chunk = b""
            if not chunk:
                out.write("eof\n")
                break
s.close()
EOF

# conn_bg NAME [ARGS...]: tsp_conn.py in the background, output in
# $work/NAME.out; its pid in CONN_PID (also stopped by the cleanup).
conn_bg() {
	local name=$1
	shift
	python3 "$CONN" --port "$SLUICE_PORT" --ca "$STACK_CA" --out "$work/$name.out" "$@" \
		2> "$work/$name.err" &
	CONN_PID=$!
	E2E_PIDS+=("$CONN_PID")
}

# Raw request heads.
req() { # METHOD PATH AUTH_LINE [EXTRA_HEADER...]
	local method=$1 path=$2 auth=$3 h
	shift 3
	printf '%s %s HTTP/1.1\r\nHost: t\r\n%s\r\n' "$method" "$path" "$auth"
	for h in "$@"; do printf '%s\r\n' "$h"; done
	printf '\r\n'
}

# ---- the admin endpoint ------------------------------------------------------

status_get() {
	curl -sS --max-time 5 --unix-socket "$STACK_ADMIN_SOCKET" -o "$work/status.json" http://sluice/status
}
status_is() { status_get && json_is "$work/status.json" "$@"; }
# The drain in one line: "STATE draining=N cut=N acme=[tasks] globex=[tasks]".
DRAIN_VIEW='(["\(.maintenance.state)", "draining=\(.maintenance.draining.tasks)", "cut=\(.maintenance.cut.tasks)"] +
	[.maintenance.draining.tenants[] | "\(.tenant)=\([.jobs[].tasks[]] | join(","))"]) | join(" ")'
drain_view() { status_get && jq -r "$DRAIN_VIEW" "$work/status.json"; }
drain_is() { status_is "$DRAIN_VIEW" "$1"; }

# wait_drained TIMEOUT WANT_STATUS: sluicectl wait-drained.
wait_drained() {
	"$ctl" -c "$STACK_INI_FILE" wait-drained --timeout "$1" > "$work/wait-drained" 2>&1
	same "sluicectl wait-drained --timeout $1 exit status" "$?" "$2" || { cat "$work/wait-drained"; return 1; }
}

# maintenance_set on|off: rewrite the INI, SIGHUP, and wait (bounded) until
# /status shows it (not the hello: with drain_timeout the mode moves on).
state_is_not() { status_get && [[ $(jq -r .maintenance.state "$work/status.json") != "$1" ]]; }
maintenance_set() {
	if [[ $1 == on ]]; then
		stack_ini_set maintenance.enabled on
		stack_ini_set maintenance.mode drain
	else
		stack_ini_set maintenance.enabled off
	fi
	stack_ini_write
	kill -HUP "$SLUICE_PID" 2> /dev/null || stack_fail "sluice (pid $SLUICE_PID) is gone"
	if [[ $1 == on ]]; then
		wait_until "$STACK_TIMEOUT" state_is_not active || stack_fail "maintenance on: /status still says active"
	else
		wait_until "$STACK_TIMEOUT" status_is .maintenance.state active ||
			stack_fail "maintenance off: /status does not say active"
	fi
}
# limits_set KEY VALUE...: set [limits] keys and reload (lib.sh's e2e_reload).
limits_set() {
	while (($# >= 2)); do
		stack_ini_set "limits.$1" "$2"
		shift 2
	done
	stack_ini_write
	e2e_reload || stack_fail "reload of [limits] failed: $(grep 'reload failed' "$SLUICE_LOG" | tail -n 1)"
}

# ---- acme's (and globex's) requests, one connection each (curl) --------------

# Each prints "STATUS" (and keeps head and body in $work/NAME.{head,body}).
job_open() { # NAME TENANT JOB
	stack_curl "$work/$1" "$2" POST "/tsp/1/backup/jobs/$3" -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere'
}
task_open() { # NAME TENANT JOB TASK
	stack_curl "$work/$1" "$2" POST "/tsp/1/backup/jobs/$3/tasks/$4"
}
block_write() { # NAME TENANT JOB TASK N
	local body=$work/$1.block digest
	printf '%s %s block %s\n' "$3" "$4" "$5" > "$body"
	digest=$(sha256sum "$body" | cut -d' ' -f1)
	stack_curl "$work/$1" "$2" PUT "/tsp/1/backup/jobs/$3/tasks/$4/blocks/$5" \
		-H "Tsp-Digest: sha256=$digest" -H 'Content-Type: application/octet-stream' --data-binary "@$body"
}
task_close() { # NAME TENANT JOB TASK
	stack_curl "$work/$1" "$2" POST "/tsp/1/backup/jobs/$3/tasks/$4/close" -H 'Tsp-Result: success'
}
job_close() { # NAME TENANT JOB
	stack_curl "$work/$1" "$2" POST "/tsp/1/backup/jobs/$3/close" -H 'Tsp-Result: success'
}
# The same with acme's name and a wrong secret.
wrong_curl() { # NAME METHOD PATH [CURL ARGS...]
	local out=$work/$1 method=$2 path=$3
	shift 3
	curl -sS --max-time "$STACK_TIMEOUT" -u "$WRONG" --cacert "$STACK_CA" -X "$method" -D "$out.head" \
		-o "$out.body" -w '%{http_code}' "$@" "https://$STACK_PROXY_ADDR$path" 2> "$out.err"
}
body_of() { tr -d '\n' < "$work/$1.body"; }
error_of() { jq -r '.error // "-"' "$work/$1.body" 2> /dev/null || echo -; }

# log_line_of PATTERN [last]: the number of the first (or last) line of
# sluice's log holding PATTERN (fixed text); 0 if none.
log_line_of() {
	local n
	n=$(grep -n -F -e "$1" "$SLUICE_LOG" | if [[ ${2-} == last ]]; then tail -n 1; else head -n 1; fi | cut -d: -f1)
	echo "${n:-0}"
}

# ---- globex's slow requests: its own restore of a 32 MiB block ---------------
# Three pipelined reads of it (96 MiB) cannot all sit in socket buffers, so
# whatever is pipelined behind them on that connection is answered only once
# the reader reads (and the repository does not even parse it before).
gsrc=$(stack_job g-src)
stack_tenant "$work/g-src" globex backup --job "$gsrc" --tasks 1 --blocks 1 --block-size 32m ||
	stack_fail "globex's backup of a 32 MiB block failed: $(cat "$work/g-src.err")"
gtask=$(jq -r '.tasks[0].task' "$work/g-src")
grestore=$(stack_job g-restore)
code=$(stack_curl "$work/g-r-open" globex POST "/tsp/1/restore/jobs/$grestore" -H 'Tsp-Origin: vbr' \
	-H 'Tsp-Workload: vsphere' -H "Tsp-Source: $gsrc")
[[ $code == 201 ]] || stack_fail "globex's restore job open: $code $(body_of g-r-open)"
code=$(stack_curl "$work/g-r-task" globex POST "/tsp/1/restore/jobs/$grestore/tasks/$gtask" -H "Tsp-Source: $gtask")
[[ $code == 201 ]] || stack_fail "globex's restore task open: $code $(body_of g-r-task)"
slow_reads() { # COUNT: that many reads of the 32 MiB block
	local i
	for ((i = 0; i < $1; i++)); do
		req GET "/tsp/1/restore/jobs/$grestore/tasks/$gtask/blocks/0" "$AUTH_GLOBEX"
	done
}

# ============================================================================
# a. A hostile 401 that comes back last cannot take acme's job or task away.
# ============================================================================

# What acme sees of one task across a drain, in two halves so that the
# hostile party can act in between: story_before (job open, task open) and,
# once the caller turned maintenance on, story_after (the drain in /status,
# then the task's block write and its answer).
story_before() { # PREFIX JOB TASK
	local jo to
	jo=$(job_open "$1-jo" acme "$2")
	to=$(task_open "$1-to" acme "$2" "$3")
	echo "job-open $jo task-open $to"
}
story_after() { # PREFIX JOB TASK
	local view bw
	view=$(drain_view)
	bw=$(block_write "$1-bw" acme "$2" "$3" 0)
	echo "status: $view; block write $bw $(body_of "$1-bw")"
}

# Alone.
ja0=$(stack_job a-alone)
alone1=$(story_before a0 "$ja0" vm-1)
maintenance_set on
alone2=$(story_after a0 "$ja0" vm-1)
alone="$alone1; $alone2"
tap_check "a: acme alone: 201 201, its task draining, block write 201" \
	same "acme alone" "$alone" \
	"job-open 201 task-open 201; status: draining draining=1 cut=0 acme=vm-1; block write 201 {\"block\":0,\"bytes\":$(wc -c < "$work/a0-bw.block")}"
task_close a0-tc acme "$ja0" vm-1 > /dev/null
job_close a0-jc acme "$ja0" > /dev/null
maintenance_set off

# With the hostile party. The job id is the same length as the one alone, so
# that the block (and its byte count) are the same too.
ja1=$(stack_job a-alone)
jobs_before=$(status_get && jq -r .jobs_open.backup "$work/status.json")
{
	slow_reads 3
	req POST "/tsp/1/backup/jobs/$ja1" "$AUTH_WRONG" 'Tsp-Origin: vbr' 'Tsp-Workload: vsphere'
	req POST "/tsp/1/backup/jobs/$ja1/tasks/vm-1" "$AUTH_WRONG"
} > "$work/hostile-a.req"
conn_bg hostile-a --send "$work/hostile-a.req" --read 5 --ready "$work/hostile-a.ready" --go "$work/hostile-a.go" \
	--timeout 150
hostile_pid=$CONN_PID
wait_until "$STACK_TIMEOUT" test -e "$work/hostile-a.ready" || stack_fail "the hostile client did not connect"
hostile_recorded() { status_is .jobs_open.backup "$((jobs_before + 1))"; }
recorded_unanswered() {
	wait_until "$STACK_TIMEOUT" hostile_recorded || return 1
	! grep -q -F "/jobs/$ja1" "$STACK_REPO_LOG" || { echo "the repository already answered:"; grep -F "/jobs/$ja1" "$STACK_REPO_LOG"; return 1; }
}
tap_check "a: the hostile job open (acme's name, wrong secret) is in the job table, unanswered, before acme's" \
	recorded_unanswered
hostile1=$(story_before a1 "$ja1" vm-1)
tap_check "a: acme's job open and task open meanwhile: as alone" same "acme's opens" "$hostile1" "$alone1"
stack_log_mark
maintenance_set on
: > "$work/hostile-a.go"
e2e_wait_exit "$hostile_pid" 120 || stack_fail "the hostile client did not finish reading"
hostile_answers() {
	same "the hostile connection's answers" "$(cut -d' ' -f1 "$work/hostile-a.out" | paste -sd' ')" "200 200 200 401 401" &&
		same "its restore reads" "$(head -n 3 "$work/hostile-a.out" | cut -d' ' -f2- | sort -u)" "<33554432 bytes>"
}
tap_check "a: the hostile connection gets its 3 reads (32 MiB each), then 401 401" hostile_answers
# Its 401s are settled after maintenance went on and after acme's 201s.
last_401() {
	local on open401 task401 acme_open
	on=$(log_line_of 'maintenance on (drain)' last)
	acme_open=$(log_line_of "tenant=acme category=backup role=task-open job=$ja1 task=vm-1 decision=forwarded status=201")
	open401=$(log_line_of "tenant=acme category=backup role=job-open job=$ja1 task=- decision=forwarded status=401")
	task401=$(log_line_of "tenant=acme category=backup role=task-open job=$ja1 task=vm-1 decision=forwarded status=401")
	((acme_open > 0 && on > acme_open && open401 > on && task401 > open401)) && return
	echo "log lines: acme's task open 201 at $acme_open, maintenance on at $on, hostile 401s at $open401 and $task401"
	return 1
}
tap_check "a: the hostile 401s come back last: after acme's 201s and after maintenance on (access log order)" last_401
hostile2=$(story_after a1 "$ja1" vm-1)
tap_check "a: /status: acme's task is still draining (state draining, not drained)" \
	same "the drain" "${hostile2%%; block*}" "${alone2%%; block*}"
tap_check "a: acme's next block write is forwarded: 201, same bytes as alone (not 503)" \
	same "the block write" "${hostile2##*; }" "${alone2##*; }"
tap_check "a: acme sees exactly what it saw alone" same "acme's view" "$hostile1; $hostile2" "$alone"
a_close() {
	same "task close, job close" "$(task_close a1-tc acme "$ja1" vm-1) $(job_close a1-jc acme "$ja1")" "200 200" &&
		json_is "$work/a1-tc.body" '"\(.state) \(.blocks)"' "complete 1"
}
tap_check "a: acme's task closes complete with its block, then its job" a_close
tap_check "a: then drained: state maintenance, nothing draining" drain_is "maintenance draining=0 cut=0"
maintenance_set off

# ============================================================================
# b. Table flooding: the per-tenant bounds refuse globex, never acme.
# ============================================================================

# Alone, before the flood.
jb0=$(stack_job b-acme)
b_alone="$(job_open b0-jo acme "$jb0") $(task_open b0-to acme "$jb0" vm-1) $(block_write b0-bw acme "$jb0" vm-1 0)"
tap_check "b: acme alone: job open, task open, block write: 201 201 201" same "acme alone" "$b_alone" "201 201 201"
job_close b0-jc acme "$jb0" > /dev/null

declare -a gjobs=()
codes=()
for i in $(seq 1 12); do
	gjobs+=("$(stack_job g-flood)")
	codes+=("$(job_open "b-g$i" globex "${gjobs[-1]}")$([[ -s $work/b-g$i.body ]] && echo "/$(error_of "b-g$i")")")
done
tap_check "b: globex's 12 job opens: 8 x 201, then 503 busy (tenant_jobs = 8)" \
	same "globex's job opens" "${codes[*]}" "$(printf '201/- %.0s' 1 2 3 4 5 6 7 8)503/busy 503/busy 503/busy 503/busy"
codes=()
for i in $(seq 1 20); do
	codes+=("$(task_open "b-gt$i" globex "${gjobs[$((i % 8))]}" "vm-$i")")
done
tap_check "b: globex's 20 task opens in its 8 jobs: 16 x 201, then 503 busy (tenant_tasks = 16)" \
	same "globex's task opens" "${codes[*]}" "$(printf '201 %.0s' $(seq 1 16))503 503 503 503"
jb1=$(stack_job b-acme)
b_flood="$(job_open b1-jo acme "$jb1") $(task_open b1-to acme "$jb1" vm-1) $(block_write b1-bw acme "$jb1" vm-1 0)"
tap_check "b: acme meanwhile: job open, task open, block write: 201 201 201, as alone" \
	same "acme during the flood" "$b_flood" "$b_alone"
job_close b1-jc acme "$jb1" > /dev/null

# acme's name with a wrong secret, one request after the other.
codes=()
for i in $(seq 1 12); do
	codes+=("$(wrong_curl "b-w$i" POST "/tsp/1/backup/jobs/$(stack_job b-acme-wrong)" -H 'Tsp-Origin: vbr' \
		-H 'Tsp-Workload: vsphere')")
done
tap_check "b: 12 job opens with acme's name and a wrong secret: all 401 (none held, none 503)" \
	same "the wrong secret's job opens" "${codes[*]}" "$(printf '401 %.0s' $(seq 1 11))401"
jb2=$(stack_job b-acme)
b_wrong="$(job_open b2-jo acme "$jb2") $(task_open b2-to acme "$jb2" vm-1) $(block_write b2-bw acme "$jb2" vm-1 0)"
tap_check "b: acme afterwards: 201 201 201, as alone" same "acme after the wrong secret" "$b_wrong" "$b_alone"
job_close b2-jc acme "$jb2" > /dev/null

# acme's name with a wrong secret, 8 job opens held pending behind globex's
# slow reads: they must not count as acme's jobs.
{
	slow_reads 3
	for i in $(seq 1 8); do
		req POST "/tsp/1/backup/jobs/$(stack_job b-held)" "$AUTH_WRONG" 'Tsp-Origin: vbr' 'Tsp-Workload: vsphere'
	done
} > "$work/hostile-b.req"
status_get
jobs_before=$(jq -r .jobs_open.backup "$work/status.json")
conn_bg hostile-b --send "$work/hostile-b.req" --read 11 --ready "$work/hostile-b.ready" --go "$work/hostile-b.go" \
	--timeout 150
hostile_pid=$CONN_PID
held_recorded() { status_is .jobs_open.backup "$((jobs_before + 8))"; }
wait_until "$STACK_TIMEOUT" held_recorded || stack_fail "the 8 held job opens were not recorded: $(jq -c .jobs_open "$work/status.json")"
jb3=$(stack_job b-acme)
b_held="$(job_open b3-jo acme "$jb3")/$(error_of b3-jo)"
[[ ${b_held%%/*} == 201 ]] && b_held="$b_held $(task_open b3-to acme "$jb3" vm-1) $(block_write b3-bw acme "$jb3" vm-1 0)"
tap_check "b: acme while 8 job opens with its name and a wrong secret are pending: 201 201 201, as alone (only accepted entries use its share)" \
	same "acme while they are held" "${b_held/\/-/}" "$b_alone"
: > "$work/hostile-b.go"
e2e_wait_exit "$hostile_pid" 120 || stack_fail "the hostile client did not finish reading"
[[ ${b_held%%/*} == 201 ]] && job_close b3-jc acme "$jb3" > /dev/null
tap_check "b: the held job opens get 401 in the end, and leave nothing in the table" \
	eval 'same "answers" "$(cut -d" " -f1 "$work/hostile-b.out" | paste -sd" ")" "200 200 200 401 401 401 401 401 401 401 401" &&
		status_is .jobs_open.backup "$jobs_before"'
for j in "${gjobs[@]}"; do job_close "b-gc-$j" globex "$j" > /dev/null; done
tap_check "b: once globex closed its jobs, the table holds none" status_is .jobs_open.backup 0

# ============================================================================
# d. drain_timeout cuts what still drains.
# ============================================================================
jd=$(stack_job d-acme)
d_before="$(job_open d-jo acme "$jd") $(task_open d-to acme "$jd" vm-1) $(block_write d-bw0 acme "$jd" vm-1 0)"
tap_check "d: acme's job open, task open, block 0: 201 201 201" same "acme before" "$d_before" "201 201 201"
stack_ini_set maintenance.drain_timeout 1s
stack_log_mark
maintenance_set on
tap_check "d: after drain_timeout the state is maintenance (drained), maintenance.cut.tasks 1, nothing draining" \
	wait_until 10 drain_is "maintenance draining=0 cut=1"
tap_check "d: the log says the drain timeout cut 1 task" \
	stack_log_wait 'maintenance drain_timeout passed policy_change='
tap_check "d: sluicectl wait-drained returns (exit 0)" wait_drained 5s 0
d_refused() {
	local code
	code=$(block_write d-bw1 acme "$jd" vm-1 1)
	same "the cut task's block 1" "$code $(error_of d-bw1) $(stack_header "$work/d-bw1" Tsp-Maintenance)" "503 maintenance block"
}
tap_check "d: the cut task's next block write is refused 503 maintenance (Tsp-Maintenance: block)" d_refused
tap_check "d: the job close is still forwarded (200)" eval '[[ $(job_close d-jc acme "$jd") == 200 ]]'
stack_ini_unset maintenance.drain_timeout
maintenance_set off

# ============================================================================
# e. tenant_connections = 2.
# ============================================================================
limits_set tenant_connections 2
req GET /tsp/1/session "$AUTH_ACME" > "$work/hello-acme.req"
req GET /tsp/1/session "$AUTH_GLOBEX" > "$work/hello-globex.req"
req GET /tsp/1/session "$AUTH_WRONG" > "$work/hello-wrong.req"
out_is() { [[ $(cat "$work/$1.out" 2> /dev/null) == "$2" ]]; }
out_starts() { [[ $(head -n 1 "$work/$1.out" 2> /dev/null) == "$2"* ]]; }
# hold NAME REQ: a connection that sends REQ, reads the answer, stays open.
declare -A held=()
hold() {
	conn_bg "$1" --send "$work/$2.req" --read 1 --hold "$work/$1.release" --timeout 60
	held[$1]=$CONN_PID
}
release() {
	: > "$work/$1.release"
	e2e_wait_exit "${held[$1]}" 10
}
hold a1 hello-acme
hold a2 hello-acme
tap_check "e: acme's first two connections: hello 200" \
	eval 'wait_until 10 out_starts a1 200 && wait_until 10 out_starts a2 200'
hold a3 hello-acme
third_refused() {
	wait_until 10 eval '[[ $(tail -n 1 "$work/a3.out" 2>/dev/null) == eof ]]' || { echo "a3: $(cat "$work/a3.out")"; return 1; }
	same "acme's third connection" "$(head -n 1 "$work/a3.out" | cut -d' ' -f1) $(jq -r .error <<< "$(head -n 1 "$work/a3.out" | cut -d' ' -f2-)")" \
		"503 busy"
}
tap_check "e: acme's third connection: 503 busy, and closed" third_refused
hold g1 hello-globex
hold g2 hello-globex
tap_check "e: globex's two connections meanwhile: hello 200 (unaffected)" \
	eval 'wait_until 10 out_starts g1 200 && wait_until 10 out_starts g2 200 && ! grep -q eof "$work/g1.out" "$work/g2.out"'
tap_check "e: acme's first two connections are still open" eval '! grep -q eof "$work/a1.out" "$work/a2.out"'
release a1
new_acme_conn() {
	local code
	code=$(stack_curl "$work/e-a4" acme GET /tsp/1/session)
	[[ $code == 200 ]]
}
tap_check "e: once one of acme's connections closed, a new one gets 200" wait_until 10 new_acme_conn
release a2
release g1
release g2
# Connections with acme's name and a wrong secret, held open.
hold w1 hello-wrong
hold w2 hello-wrong
wait_until 10 out_starts w1 401 && wait_until 10 out_starts w2 401 ||
	stack_fail "the wrong-secret hellos: $(cat "$work/w1.out" "$work/w2.out")"
tap_check "e: acme while two connections with its name and a wrong secret are open: hello 200, as alone (only accepted connections count)" \
	eval '[[ $(stack_curl "$work/e-a5" acme GET /tsp/1/session) == 200 ]] || { echo "status $(cat "$work/e-a5.body")"; false; }'
release w1
release w2
limits_set tenant_connections 0

# ============================================================================
# c. A wrong secret keeps nothing alive (last: waits out job_idle_expiry).
# ============================================================================
limits_set job_idle_expiry 1m
jc1=$(stack_job c-alone)
jc2=$(stack_job c-target)
c_opens="$(job_open c1-jo acme "$jc1") $(task_open c1-to acme "$jc1" vm-1) $(job_open c2-jo acme "$jc2") $(task_open c2-to acme "$jc2" vm-1)"
t0=$(date +%s.%N)
tap_check "c: acme opens two jobs with a task each, then abandons them: 201 201 201 201" \
	same "acme's opens" "$c_opens" "201 201 201 201"
maintenance_set on
tap_check "c: both tasks drain" drain_is "draining draining=2 cut=0 acme=vm-1,vm-1"
# The hostile party: a block write naming acme's second task, every 3 s.
(
	n=0
	while [[ ! -e $work/c-stop ]] && ((n < 40)); do
		wrong_curl "c-w$n" PUT "/tsp/1/backup/jobs/$jc2/tasks/vm-1/blocks/$n" -H "Tsp-Digest: sha256=$(printf x | sha256sum | cut -d' ' -f1)" \
			--data-binary x >> "$work/c-hostile.codes"
		echo >> "$work/c-hostile.codes"
		n=$((n + 1))
		sleep 3
	done
) &
E2E_PIDS+=("$!")
"$ctl" -c "$STACK_INI_FILE" wait-drained --timeout 90s > "$work/c-wait" 2>&1 &
waiter=$!
E2E_PIDS+=("$waiter")
# Watch the draining set: when does each task leave it?
gone1= gone2=
watch_drain() {
	local now listed
	now=$(date +%s.%N)
	status_get || return 1
	listed=$(jq -r '[.maintenance.draining.tenants[].jobs[].job] | join(" ")' "$work/status.json")
	[[ -z $gone1 && " $listed " != *" $jc1 "* ]] && gone1=$now
	[[ -z $gone2 && " $listed " != *" $jc2 "* ]] && gone2=$now
	! kill -0 "$waiter" 2> /dev/null
}
deadline=$(($(date +%s) + 90))
while ! watch_drain && (($(date +%s) < deadline)); do sleep 0.2; done
# The drain may complete between a look at /status and the waiter's exit:
# one more look then records the tasks the last one still listed.
watch_drain || true
: > "$work/c-stop"
e2e_wait_exit "$waiter" 5
wait "$waiter"
waited=$?
tap_check "c: sluicectl wait-drained --timeout 90s returns 0 (the drain completed)" \
	eval 'same "wait-drained exit status" "$waited" 0 || cat "$work/c-wait"'
c_hostile_401() {
	grep -q '^401$' "$work/c-hostile.codes" && return
	echo "no 401 among the hostile writes: $(sort "$work/c-hostile.codes" | uniq -c | paste -sd' ')"
	return 1
}
tap_check "c: the hostile writes were forwarded while the task drained (401 from the repository)" c_hostile_401
c_same_tick() {
	[[ -n $gone1 && -n $gone2 ]] || { echo "not gone: alone at '${gone1}', target at '${gone2}'"; return 1; }
	awk -v a="$gone1" -v b="$gone2" -v t="$t0" 'BEGIN {
		d = a - b; if (d < 0) d = -d
		printf "alone gone after %.1f s, target after %.1f s\n", a - t, b - t
		exit !(d <= 2 && b - t <= 65)
	}'
}
tap_check "c: the targeted task expired with the untouched one (within 2 s), by expiry + 5 s" c_same_tick
tap_check "c: the log says both expired after [limits] job_idle_expiry" \
	eval 'grep -q -F "job table: backup job $jc1 of acme expired after [limits] job_idle_expiry" "$SLUICE_LOG" &&
		grep -q -F "job table: backup job $jc2 of acme expired after [limits] job_idle_expiry" "$SLUICE_LOG"'
tap_check "c: state maintenance (drained), nothing draining" drain_is "maintenance draining=0 cut=0"
maintenance_set off

stack_proxy_stop > "$work/stop" 2>&1
tap_status "sluice stops cleanly on SIGTERM" $? "$work/stop"
tap_plan "$TAP_N"
e2e_finish
