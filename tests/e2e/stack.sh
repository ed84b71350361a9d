# tests/e2e/stack.sh: start the whole sluice stack in a scratch directory and
# drive it from bash. Sourced by tests/e2e/rules_*.sh and tools/demo; built on
# tests/e2e/lib.sh (scratch directory and cleanup, certificates, TAP, polls).
#
# What it starts, all on 127.0.0.1 with ports the kernel picks (every address
# is read from a --ready-file, none is guessed):
#   - a throw-away CA and a server certificate for 127.0.0.1 and localhost;
#   - sluice-repo (the reference repository) on a users file of several
#     tenants and a data directory;
#   - sluice in the foreground on a generated INI whose pidfile, admin socket
#     and log live in the scratch directory, with [log] requests = on.
# Maintenance is switched the way an operator does it: the INI is rewritten
# and sluice gets SIGHUP; then the hello is polled until the proxy's answer
# shows the new state (PROTOCOL.md 10.4: while maintenance is on, sluice
# answers the hello itself, with Tsp-Maintenance). Nothing sleeps for a fixed
# time: every wait is a bounded poll of an observable effect.
#
# STACK_DIRECT=1 leaves sluice out: tenants and curl talk plain HTTP to
# sluice-repo (to check a script's own logic against the repository alone).
# E2E_KEEP=1 keeps the scratch directory; STACK_TIMEOUT bounds every wait.

: "${SLUICE_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
. "$SLUICE_SRCDIR/tests/e2e/lib.sh"

: "${STACK_TIMEOUT:=30}"
: "${STACK_DIRECT:=0}"

STACK_DEFAULT_MESSAGE='Service provider is currently undergoing scheduled maintenance.'
STACK_PROBE=probe # the tenant whose hello shows the maintenance state; never disabled

declare -gA STACK_SECRETS=()
declare -gA STACK_INI=()
declare -ga STACK_INI_KEYS=()
STACK_LOG_MARK=0

# ---- set-up ---------------------------------------------------------------

# stack_init: check the tools, make the scratch directory and arm lib.sh's
# cleanup, which stops every process in E2E_PIDS (tenants included).
stack_init() {
	local tool
	e2e_setup
	command -v jq > /dev/null 2>&1 || skip_all "jq not installed"
	STACK_TENANT=$SLUICE_BUILDDIR/sluice-tenant
	for tool in "$SLUICE" "$SLUICE_REPO" "$STACK_TENANT"; do
		[[ -x $tool ]] || hard_error "$tool is not built (run make first)"
	done
	# A signal ends the script through its EXIT trap, so the cleanup runs.
	trap 'exit 130' INT
	trap 'exit 143' TERM
	STACK_OUT=$E2E_TMP/out
	STACK_CA=$E2E_TMP/ca.crt
	STACK_INI_FILE=$E2E_TMP/sluice.ini
	STACK_REPO_LOG=$E2E_TMP/repo.log
	STACK_DATA=$E2E_TMP/data
	STACK_ADMIN_SOCKET=$E2E_TMP/admin.sock
	mkdir "$STACK_OUT" || hard_error "cannot populate $E2E_TMP"
	stack_tenant_add "$STACK_PROBE" probe-secret
}

# stack_fail MESSAGE: the stack itself failed (Bail out!); the end of each
# daemon's log goes with it, as TAP comments.
stack_fail() {
	local log
	for log in "$STACK_REPO_LOG" "${SLUICE_LOG:-}"; do
		[[ -s $log ]] || continue
		echo "# the end of ${log##*/}:"
		tail -n 12 "$log" | sed 's/^/#   /'
	done
	if [[ -n ${SLUICE_PID:-} ]] && ! kill -0 "$SLUICE_PID" 2> /dev/null; then
		wait "$SLUICE_PID"
		echo "# sluice has exited, status $?"
	fi
	hard_error "$1"
}

# stack_tenant_add NAME SECRET: a tenant the repository knows (before start).
stack_tenant_add() {
	STACK_SECRETS[$1]=$2
}

# stack_repo_start [ARGS...]: sluice-repo on a free port, knowing every
# tenant added; sets STACK_REPO_ADDR.
stack_repo_start() {
	local name users=$E2E_TMP/users
	: > "$users"
	for name in "${!STACK_SECRETS[@]}"; do
		printf '%s:%s\n' "$name" "${STACK_SECRETS[$name]}" >> "$users"
	done
	"$SLUICE_REPO" --listen 127.0.0.1:0 --data "$STACK_DATA" --users "$users" \
		--ready-file "$E2E_TMP/repo.ready" --log-requests "$@" 2> "$STACK_REPO_LOG" &
	E2E_PIDS+=("$!")
	wait_until "$STACK_TIMEOUT" test -s "$E2E_TMP/repo.ready" ||
		hard_error "sluice-repo did not start: $(tail -n 3 "$STACK_REPO_LOG")"
	STACK_REPO_ADDR=$(head -n 1 "$E2E_TMP/repo.ready")
}

# ---- the INI --------------------------------------------------------------

# stack_ini_set SECTION.KEY VALUE, stack_ini_unset SECTION.KEY: change the INI
# kept in memory; stack_ini_write puts it on disk.
stack_ini_set() {
	[[ -v "STACK_INI[$1]" ]] || STACK_INI_KEYS+=("$1")
	STACK_INI[$1]=$2
}
stack_ini_unset() {
	unset "STACK_INI[$1]"
}

# Write the INI, atomically (sluice never reads half a file). Sections in a
# fixed order, keys in the order they were first set.
stack_ini_write() {
	local section key tmp=$STACK_INI_FILE.tmp
	{
		echo "; written by tests/e2e/stack.sh"
		for section in proxy tls maintenance schedule hooks tenants limits timeouts log admin; do
			printf '\n[%s]\n' "$section"
			for key in "${STACK_INI_KEYS[@]}"; do
				[[ $key == "$section".* && -v "STACK_INI[$key]" ]] || continue
				printf '%s = %s\n' "${key#*.}" "${STACK_INI[$key]}"
			done
		done
	} > "$tmp" && mv "$tmp" "$STACK_INI_FILE" || hard_error "cannot write $STACK_INI_FILE"
}

# stack_ini_line KEY VALUE: the line number of "KEY = VALUE" in the INI on disk.
stack_ini_line() {
	grep -n -x -F -- "$1 = $2" "$STACK_INI_FILE" | head -n 1 | cut -d: -f1
}

# ---- sluice ---------------------------------------------------------------

# stack_proxy_start: sluice in front of the repository (lib.sh's
# e2e_start_sluice: SLUICE_PID, SLUICE_PORT, SLUICE_LOG); sets
# STACK_PROXY_ADDR. Keys the caller set before keep their value.
stack_proxy_start() {
	local key value
	local -a defaults=(
		proxy.listen 127.0.0.1:0
		proxy.upstream "$STACK_REPO_ADDR"
		proxy.pidfile "$E2E_TMP/sluice.pid"
		proxy.max_connections 1000
		tls.certificate "$E2E_TMP/server.crt"
		tls.private_key "$E2E_TMP/server.key"
		maintenance.enabled off
		log.requests on
		timeouts.shutdown 5s
		admin.socket "$STACK_ADMIN_SOCKET"
	)
	while (( ${#defaults[@]} )); do
		key=${defaults[0]} value=${defaults[1]}
		defaults=("${defaults[@]:2}")
		[[ -v "STACK_INI[$key]" ]] || stack_ini_set "$key" "$value"
	done
	stack_ini_write
	e2e_start_sluice "$STACK_INI_FILE"
	STACK_PROXY_ADDR=127.0.0.1:$SLUICE_PORT
	wait_until "$STACK_TIMEOUT" _stack_hello_is off ||
		stack_fail "sluice at $STACK_PROXY_ADDR does not forward the hello to the repository"
}

# stack_start: certificates, repository and proxy (tenants added before).
stack_start() {
	e2e_make_ca
	e2e_make_cert server 127.0.0.1
	stack_repo_start
	[[ $STACK_DIRECT == 1 ]] || stack_proxy_start
}

# stack_proxy_stop: SIGTERM; sluice must end by itself, with exit status 0 and
# no sanitizer report in its log.
stack_proxy_stop() {
	local status
	kill -TERM "$SLUICE_PID" 2> /dev/null || { echo "sluice (pid $SLUICE_PID) was gone already"; return 1; }
	wait_until "$STACK_TIMEOUT" process_gone "$SLUICE_PID" ||
		{ echo "sluice still runs ${STACK_TIMEOUT}s after SIGTERM"; return 1; }
	wait "$SLUICE_PID"
	status=$?
	if grep -q -e 'Sanitizer' -e 'runtime error:' "$SLUICE_LOG"; then
		grep -m 20 -A 10 -e 'Sanitizer' -e 'runtime error:' "$SLUICE_LOG"
		return 1
	fi
	[[ $status == 0 ]] || { echo "sluice exited with status $status"; tail -n 5 "$SLUICE_LOG"; return 1; }
}

# stack_maintenance on|off [drain|block [MESSAGE]]: set [maintenance] in the
# INI, send SIGHUP, wait until the hello shows the new state. With on, a
# MESSAGE sets the notification and "" removes the key (so the default
# applies); no MESSAGE keeps what was set. retry_after and the rest stay.
stack_maintenance() {
	local state=$1 mode=${2:-drain}
	[[ $STACK_DIRECT == 1 ]] && hard_error "maintenance needs sluice (STACK_DIRECT=1)"
	if [[ $state == on ]]; then
		stack_ini_set maintenance.enabled on
		stack_ini_set maintenance.mode "$mode"
		if [[ -n ${3-} ]]; then
			stack_ini_set maintenance.message "$3"
		elif (( $# >= 3 )); then
			stack_ini_unset maintenance.message
		fi
	else
		stack_ini_set maintenance.enabled off
		mode=off
	fi
	stack_ini_write
	kill -HUP "$SLUICE_PID" 2> /dev/null || stack_fail "sluice (pid $SLUICE_PID) is gone"
	wait_until "$STACK_TIMEOUT" _stack_hello_is "$mode" ||
		stack_fail "maintenance $state${2:+ $2}: the hello did not show it within ${STACK_TIMEOUT}s"
}

# The notification the proxy should be giving now.
stack_message() {
	local m=${STACK_INI[maintenance.message]-}
	printf '%s' "${m:-$STACK_DEFAULT_MESSAGE}"
}

# _stack_hello_is WANT: the probe tenant's hello says WANT (off: forwarded to
# the repository; drain or block: answered by sluice with that mode and the
# configured notification). The answer stays in $STACK_OUT/probe-hello.*.
_stack_hello_is() {
	local want=$1 out=$STACK_OUT/probe-hello status mode
	status=$(stack_curl "$out" "$STACK_PROBE" GET /tsp/1/session) && [[ $status == 200 ]] || return 1
	mode=$(stack_header "$out" Tsp-Maintenance)
	if [[ $want == off ]]; then
		[[ -z $mode ]] && jq -e '.server == "sluice-repo" and .maintenance == null' "$out.body" > /dev/null 2>&1
		return
	fi
	[[ $mode == "$want" ]] &&
		jq -e --arg mode "$want" --arg msg "$(stack_message)" \
			'.maintenance.mode == $mode and .maintenance.message == $msg' "$out.body" > /dev/null 2>&1
}

# ---- talking to it ----------------------------------------------------------

# stack_curl OUT TENANT METHOD PATH [CURL ARGS...]: one request through the
# proxy (TLS, verified against the test CA) or, direct, to the repository.
# Head in OUT.head, body in OUT.body; prints the status code. TENANT "-"
# sends no credentials.
stack_curl() {
	local out=$1 tenant=$2 method=$3 path=$4 url
	shift 4
	local -a auth=()
	[[ $tenant == - ]] || auth=(-u "$tenant:${STACK_SECRETS[$tenant]}")
	if [[ $STACK_DIRECT == 1 ]]; then
		url=http://$STACK_REPO_ADDR$path
	else
		url=https://$STACK_PROXY_ADDR$path
		auth+=(--cacert "$STACK_CA")
	fi
	curl -sS --max-time "$STACK_TIMEOUT" "${auth[@]}" -X "$method" -D "$out.head" -o "$out.body" \
		-w '%{http_code}' "$@" "$url" 2> "$out.err"
}

# stack_header OUT NAME: the value of header NAME in OUT.head (of the last
# answer, name matched case-insensitively, CR stripped), empty when absent.
stack_header() {
	tr -d '\r' < "$1.head" | awk -v name="$2" '
		/^HTTP\// { value = ""; found = 0 }
		{
			i = index($0, ":")
			if (i > 1 && tolower(substr($0, 1, i - 1)) == tolower(name)) {
				value = substr($0, i + 1); sub(/^[ \t]+/, "", value); sub(/[ \t]+$/, "", value); found = 1
			}
		}
		END { if (found) print value }'
}

# stack_job PREFIX: a fresh job id, PREFIX-N (job ids are never reused). The
# counter is a file, so that $(stack_job ...) counts too.
stack_job() {
	local seq=0
	[[ -s $E2E_TMP/job-seq ]] && read -r seq < "$E2E_TMP/job-seq"
	seq=$((seq + 1))
	echo "$seq" > "$E2E_TMP/job-seq"
	printf '%s-%d' "$1" "$seq"
}

# stack_tenant OUT TENANT KIND [ARGS...]: run one sluice-tenant job to its
# end; statistics (--json) in OUT, standard error in OUT.err; returns its exit
# status. The secret goes through the environment, not the command line.
stack_tenant() {
	(_stack_tenant_exec "$@")
}

# stack_tenant_bg OUT TENANT KIND [ARGS...]: the same in the background; its
# pid (sluice-tenant's own, so that the cleanup can stop it) in STACK_PID;
# collect its exit status with wait.
stack_tenant_bg() {
	_stack_tenant_exec "$@" &
	STACK_PID=$!
	E2E_PIDS+=("$STACK_PID")
}

_stack_tenant_exec() {
	local out=$1 tenant=$2
	shift 2
	local -a connect=(--connect "$STACK_PROXY_ADDR" --ca "$STACK_CA")
	[[ $STACK_DIRECT == 1 ]] && connect=(--plain --connect "$STACK_REPO_ADDR")
	export SLUICE_TENANT="$tenant:${STACK_SECRETS[$tenant]}"
	exec "$STACK_TENANT" "${connect[@]}" "$@" --json > "$out" 2> "$out.err"
}

# stack_pause_wait FILE PID: wait until the tenant PID, started with
# --pause-file FILE, is at its pause point (it created FILE.reached).
stack_pause_wait() {
	wait_until "$STACK_TIMEOUT" _stack_reached_or_gone "$1" "$2" && [[ -e $1.reached ]] ||
		stack_fail "the tenant (pid $2) did not reach its pause point: $(tail -n 3 "${1%.pause}.err" 2>/dev/null)"
}
_stack_reached_or_gone() { [[ -e $1.reached ]] || ! kill -0 "$2" 2> /dev/null; }

# stack_pause_go FILE: let the tenant paused on FILE go on.
stack_pause_go() {
	: > "$1.go" || hard_error "cannot create $1.go"
}

# stack_verify OUT: sluice-repo --verify --json of the data directory into
# OUT; returns its exit status (1 when something is corrupt).
stack_verify() {
	"$SLUICE_REPO" --verify "$STACK_DATA" --json > "$1" 2> "$1.err"
}

# ---- the log ----------------------------------------------------------------

# stack_log_mark: remember where sluice's log ends now; the functions below
# look only at what was logged after the mark.
stack_log_mark() {
	STACK_LOG_MARK=$(stat -c %s "$SLUICE_LOG" 2> /dev/null || echo 0)
}
stack_log_since_mark() {
	tail -c +$((STACK_LOG_MARK + 1)) "$SLUICE_LOG"
}
stack_log_has() {
	stack_log_since_mark | grep -q -F -- "$1"
}
# stack_log_wait TEXT: wait until a line holding TEXT is logged after the mark.
stack_log_wait() {
	wait_until "$STACK_TIMEOUT" stack_log_has "$1"
}

# ---- checks: quiet when they hold, saying what they found when they do not
# (lib.sh's tap_check shows that output under the failed test) -----------------

# json_is FILE FILTER WANT [JQ ARGS...]: jq -r FILTER of FILE prints WANT.
json_is() {
	local file=$1 filter=$2 want=$3 got
	shift 3
	got=$(jq -r "$@" "$filter" "$file" 2>&1)
	[[ $got == "$want" ]] && return
	printf '%s: %s\n  is   %s\n  want %s\n' "${file##*/}" "$filter" "$got" "$want"
	return 1
}

# verify_rows VERIFY_JSON TENANT CATEGORY JOB: "task verdict state blocks bytes"
# for each task of the job that sluice-repo --verify lists, comma-separated.
verify_rows() {
	jq -r --arg t "$2" --arg c "$3" --arg j "$4" \
		'[.tasks[] | select(.tenant == $t and .category == $c and .job == $j)
		  | "\(.task) \(.verdict) \(.state) \(.blocks) \(.bytes)"] | sort | join(",")' "$1"
}

# verify_clean VERIFY_JSON: --verify exited 0 and found nothing corrupt (R11).
verify_clean() {
	local status
	stack_verify "$1"
	status=$?
	[[ $status == 0 ]] && json_is "$1" '.summary.corrupt' 0 && return
	echo "sluice-repo --verify exited $status"
	jq -c '.tasks[] | select(.verdict == "corrupt")' "$1" 2>&1 | head -n 20
	return 1
}

# repo_saw JOB TASK: the repository received some request naming the task.
repo_saw() {
	grep -q -F -e "/jobs/$1/tasks/$2 " -e "/jobs/$1/tasks/$2/" "$STACK_REPO_LOG"
}

# ---- load tests: views of every task, as "tenant category job task verdict ..."
# lines (tests/e2e/rules_load.sh, workers_load.sh) -----------------------------

# stack_exits_ok DIR JOB...: each job's sluice-tenant exit status (the
# caller's associative array rc) is 0 or 1, a job status, never 2, a
# connection or local error; else say which, with DIR/*.err.
stack_exits_ok() {
	local dir=$1 job bad=""
	shift
	for job in "$@"; do
		[[ ${rc[$job]} == 0 || ${rc[$job]} == 1 ]] || bad+=" $job:${rc[$job]}"
	done
	[[ -z $bad ]] && return
	echo "exit status 2 (connection or local error):$bad"
	grep -h . "$dir"/*.err | sort | uniq -c | head
	return 1
}

# stack_whole_or_refused VIEW BLOCKS BYTES: every task of the tenants' view is
# complete with BLOCKS blocks of BYTES in all, or refused at its start (503
# maintenance, no block).
stack_whole_or_refused() {
	local bad
	bad=$(grep -v -E " complete $2 $3\$| refused 0 503 maintenance\$" "$1")
	[[ -z $bad ]] || { echo "tasks neither complete nor refused at their start:"; head -n 20 <<< "$bad"; return 1; }
}

# stack_views_agree TENANT_VIEW REPOSITORY_VIEW: the tasks the tenants saw
# complete are exactly those sluice-repo --verify holds.
stack_views_agree() {
	diff <(grep ' complete ' "$1") "$2" > "$1.diff" && return
	echo "tenants (<) and sluice-repo --verify (>) disagree:"
	head -n 30 "$1.diff"
	return 1
}

# stack_refused_never_reached VIEW: no task refused in the tenants' view
# reached the repository, not a request and not a directory.
stack_refused_never_reached() {
	local t cat job task verdict rest
	while read -r t cat job task verdict rest; do
		[[ $verdict == refused ]] || continue
		repo_saw "$job" "$task" && { echo "the repository saw $t $cat $job $task"; return 1; }
		[[ -e $STACK_DATA/$t/$cat/$job/$task ]] && { echo "$STACK_DATA/$t/$cat/$job/$task exists"; return 1; }
	done < "$1"
	return 0
}
