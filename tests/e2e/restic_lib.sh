# tests/e2e/restic_lib.sh: real restic against a real REST server through
# sluice's restic profile. Sourced by tests/e2e/restic_*.sh; built on
# tests/e2e/lib.sh (scratch directory and cleanup, certificates, TAP, polls).
#
# What it starts, all on 127.0.0.1 with ports the kernel picks:
#   - `rclone serve restic` (plain HTTP, --addr 127.0.0.1:0; its port is read
#     from the line it logs once it listens) on a data directory, with an
#     htpasswd file (openssl passwd -apr1) of the tenants added;
#   - sluice in the foreground in the restic profile in front of it, TLS with
#     a throw-away CA, its admin socket in the scratch directory.
# restic talks to sluice with rest:https://TENANT:SECRET@127.0.0.1:PORT/REPO
# and --cacert; every run is bounded (timeout -s QUIT: restic 0.14 can hang
# after a refusal, and SIGQUIT makes Go print where it hung).
#
# Maintenance and the other reloadable keys are switched as an operator does:
# the INI is edited and sluice gets SIGHUP (lib.sh's e2e_reload waits for the
# outcome line). Nothing sleeps for a fixed time.
#
# RS_DIRECT=1 leaves sluice out (restic talks plain HTTP to rclone): to check
# a script's own logic against the server alone; what needs sluice fails.
# E2E_KEEP=1 keeps the scratch directory.

: "${SLUICE_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
. "$SLUICE_SRCDIR/tests/e2e/lib.sh"

: "${RS_DIRECT:=0}"
: "${RS_TIMEOUT:=30}"   # bound of every wait for a daemon
: "${RESTIC:=restic}"
: "${RCLONE:=rclone}"

# The notification of these tests: VCHAR and SP only, as a reason phrase must be.
RS_MSG='Storage maintenance until 22:00 UTC, backups resume after; restores work.'
RS_DISABLED_MSG='the service provider has disabled this tenant'

declare -gA RS_SECRETS=()

# ---- set-up -----------------------------------------------------------------

# rs_init: check the tools, make the scratch directory, arm the cleanup.
rs_init() {
	command -v "$RESTIC" > /dev/null 2>&1 || skip_all "restic not installed"
	command -v "$RCLONE" > /dev/null 2>&1 || skip_all "rclone not installed"
	command -v jq > /dev/null 2>&1 || skip_all "jq not installed"
	command -v timeout > /dev/null 2>&1 || skip_all "timeout (coreutils) not installed"
	e2e_setup
	trap 'exit 130' INT
	trap 'exit 143' TERM
	RS_OUT=$E2E_TMP/out
	RS_DATA=$E2E_TMP/rest
	RS_CA=$E2E_TMP/ca.crt
	RS_INI=$E2E_TMP/sluice.ini
	RS_ADMIN=$E2E_TMP/admin.sock
	RS_SAVED=$E2E_TMP/saved
	mkdir "$RS_OUT" "$RS_DATA" "$E2E_TMP/src" "$E2E_TMP/frozen" "$E2E_TMP/cache" ||
		hard_error "cannot populate $E2E_TMP"
	: > "$RS_SAVED"
	# restic's environment: one password for every repository, a cache in the
	# scratch directory, nothing inherited that would change its behaviour.
	unset RESTIC_REPOSITORY RESTIC_REPOSITORY_FILE RESTIC_PASSWORD_FILE RESTIC_PASSWORD_COMMAND \
		RESTIC_KEY_HINT RESTIC_CACERT RESTIC_TLS_CLIENT_CERT RESTIC_COMPRESSION RESTIC_PACK_SIZE \
		RESTIC_FROM_REPOSITORY RESTIC_FROM_PASSWORD_FILE RESTIC_FROM_PASSWORD_COMMAND
	export RESTIC_PASSWORD=e2e-repository-password
	export RESTIC_CACHE_DIR=$E2E_TMP/cache
	echo "$RESTIC_PASSWORD" > "$E2E_TMP/password"
	# No proxy between restic or curl and 127.0.0.1.
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
	rs_tenant_add acme acme-secret-1
}

# rs_tenant_add NAME SECRET: a tenant the REST server knows (before rs_start).
rs_tenant_add() {
	RS_SECRETS[$1]=$2
}

# rs_fail MESSAGE: the stack itself failed (Bail out!), with the end of each log.
rs_fail() {
	local log
	for log in "$E2E_TMP/rclone.log" "${SLUICE_LOG:-}"; do
		[[ -s $log ]] || continue
		echo "# the end of ${log##*/}:"
		tail -n 12 "$log" | sed 's/^/#   /'
	done
	hard_error "$1"
}

# rs_start_rclone [ARGS...]: rclone serve restic on a free port; sets
# RS_UPSTREAM. -vv makes it log each POST and DELETE when it starts (the
# tests read that log to see what reached the repository).
rs_start_rclone() {
	local name users=$E2E_TMP/htpasswd port
	: > "$users"
	for name in "${!RS_SECRETS[@]}"; do
		printf '%s:%s\n' "$name" "$(openssl passwd -apr1 "${RS_SECRETS[$name]}")" >> "$users" ||
			hard_error "openssl passwd -apr1 failed"
	done
	: > "$E2E_TMP/rclone.conf"
	"$RCLONE" serve restic --config "$E2E_TMP/rclone.conf" --addr 127.0.0.1:0 --htpasswd "$users" -vv \
		"$@" "$RS_DATA" 2> "$E2E_TMP/rclone.log" &
	RS_RCLONE_PID=$!
	E2E_PIDS+=("$RS_RCLONE_PID")
	wait_until "$RS_TIMEOUT" _rs_rclone_port || rs_fail "rclone serve restic did not start"
	port=$(_rs_rclone_port)
	RS_UPSTREAM=127.0.0.1:$port
}
_rs_rclone_port() {
	sed -n 's|.*Serving restic REST API on http://127\.0\.0\.1:\([0-9][0-9]*\)/.*|\1|p' \
		"$E2E_TMP/rclone.log" | grep .
}

# rs_write_ini: the INI of these tests ($RS_INI): lib.sh's test settings,
# profile restic, the test notification, the admin socket. rs_start_sluice:
# sluice on it (SLUICE_PID, SLUICE_PORT, SLUICE_LOG). rs_start calls both;
# a script that needs other keys at start calls them itself, with ini_set
# "$RS_INI" in between.
rs_write_ini() {
	e2e_write_ini "$RS_INI" "$RS_UPSTREAM"
	ini_set "$RS_INI" proxy profile restic
	ini_set "$RS_INI" maintenance message "$RS_MSG"
	ini_set "$RS_INI" restic private_repos off
	ini_set "$RS_INI" timeouts shutdown 5s
	ini_set "$RS_INI" admin socket "$RS_ADMIN"
}
rs_start_sluice() {
	e2e_start_sluice "$RS_INI"
	kill -0 "$SLUICE_PID" 2> /dev/null || rs_fail "sluice exited at start"
}

# rs_start: certificates, rclone, sluice (tenants added before).
rs_start() {
	e2e_make_ca
	e2e_make_cert server 127.0.0.1
	rs_start_rclone
	[[ $RS_DIRECT == 1 ]] && return
	"$SLUICE" --list-keys 2> /dev/null | grep -q '^restic\.' ||
		hard_error "$SLUICE has no restic profile (no restic.* key in --list-keys)"
	rs_write_ini
	rs_start_sluice
}

# rs_set SECTION KEY VALUE: set a key in the INI and reload; fails (saying
# why) when the reload failed. (RS_DIRECT=1: does nothing.)
rs_set() {
	[[ $RS_DIRECT == 1 ]] && return 0
	ini_set "$RS_INI" "$1" "$2" "$3"
	e2e_reload || { echo "reload after $1.$2 = $3 failed:"; grep -e 'reload' "$SLUICE_LOG" | tail -n 3; return 1; }
}

# rs_maintenance on drain|block | off: switch maintenance (INI + SIGHUP); a
# failed reload ends the script. (RS_DIRECT=1: nothing to switch, so the
# checks of refusals fail; that mode only runs a script's flow.)
rs_maintenance() {
	local out
	[[ $RS_DIRECT == 1 ]] && return 0
	if [[ $1 == on ]]; then
		ini_set "$RS_INI" maintenance mode "$2"
		out=$(rs_set maintenance enabled on) || rs_fail "maintenance on $2: $out"
	else
		out=$(rs_set maintenance enabled off) || rs_fail "maintenance off: $out"
	fi
}

# ---- restic -------------------------------------------------------------------

# rs_url TENANT REPO: the repository URL restic is given (REPO without a
# leading slash, e.g. acme/main).
rs_url() {
	if [[ $RS_DIRECT == 1 ]]; then
		printf 'rest:http://%s:%s@%s/%s' "$1" "${RS_SECRETS[$1]}" "$RS_UPSTREAM" "$2"
	else
		printf 'rest:https://%s:%s@127.0.0.1:%s/%s' "$1" "${RS_SECRETS[$1]}" "$SLUICE_PORT" "$2"
	fi
}

# _rs_cmd LIMIT TENANT REPO ARGS...: the command line of one bounded restic
# run, in RS_CMD.
_rs_cmd() {
	local limit=$1 tenant=$2 repo=$3
	shift 3
	RS_CMD=(timeout -k 5 -s QUIT "$limit" "$RESTIC" -r "$(rs_url "$tenant" "$repo")")
	[[ $RS_DIRECT == 1 ]] || RS_CMD+=(--cacert "$RS_CA")
	RS_CMD+=("$@")
}

# rs_restic OUT LIMIT TENANT REPO ARGS...: run restic for at most LIMIT
# seconds (then SIGQUIT: timeout's status 124); its output (both streams) in
# OUT; returns restic's exit status.
rs_restic() {
	local out=$1
	shift
	_rs_cmd "$@"
	"${RS_CMD[@]}" > "$out" 2>&1 < /dev/null
}

# rs_restic_bg OUT LIMIT TENANT REPO ARGS...: the same in the background;
# its pid (timeout's, which passes a TERM on) in RS_PID; collect its status
# with wait in this shell.
rs_restic_bg() {
	local out=$1
	shift
	_rs_cmd "$@"
	"${RS_CMD[@]}" > "$out" 2>&1 < /dev/null &
	RS_PID=$!
	E2E_PIDS+=("$RS_PID")
}

# rs_make_data DIR KIB [FILES]: FILES (default 3) files of random bytes,
# KIB KiB in all, and a small text file.
rs_make_data() {
	local dir=$1 kib=$2 files=${3:-3} i
	mkdir -p "$dir/sub" || return 1
	for ((i = 1; i <= files; i++)); do
		head -c $((kib * 1024 / files)) /dev/urandom > "$dir/sub/blob-$i" || return 1
	done
	printf 'made for %s\n' "${dir##*/}" > "$dir/notes.txt"
}

# rs_snapshot_id OUT: the id of the snapshot restic said it saved.
rs_snapshot_id() {
	sed -n 's/^snapshot \([0-9a-f]\{8,\}\) saved$/\1/p' "$1" | tail -n 1
}

# rs_record_saved OUT TENANT REPO DIR: note the snapshot OUT reports (of DIR
# in TENANT's REPO) for rs_verify_saved, with a frozen copy of DIR as it is
# now (the source may change later). False when OUT reports none.
rs_record_saved() {
	local id
	id=$(rs_snapshot_id "$1")
	[[ -n $id ]] || return 1
	cp -a "$4" "$E2E_TMP/frozen/$id" || return 1
	printf '%s %s %s %s\n' "$id" "$2" "$3" "$4" >> "$RS_SAVED"
}

# rs_backup OUT LIMIT TENANT REPO DIR [ARGS...]: a backup that must succeed
# (rc 0 and "snapshot ... saved"), recorded for rs_verify_saved.
rs_backup() {
	local out=$1 limit=$2 tenant=$3 repo=$4 dir=$5 rc
	shift 5
	rs_restic "$out" "$limit" "$tenant" "$repo" backup "$@" "$dir"
	rc=$?
	rs_expect_ok "$out" "$rc" || return 1
	rs_record_saved "$out" "$tenant" "$repo" "$dir" || { echo "no 'snapshot ... saved' in $out"; return 1; }
}

# rs_forgotten ID: drop ID from the list of saved snapshots (a forget removed it).
rs_forgotten() {
	grep -v "^$1 " "$RS_SAVED" > "$RS_SAVED.new"
	mv "$RS_SAVED.new" "$RS_SAVED"
}

# rs_restore_exact OUT TENANT REPO ID DIR: restore snapshot ID into a fresh
# directory; it must be byte for byte the frozen copy of DIR taken when it
# was saved (diff -r).
rs_restore_exact() {
	local out=$1 tenant=$2 repo=$3 id=$4 dir=$5 target rc
	target=$E2E_TMP/restore-$id-$RANDOM
	rs_restic "$out" 120 "$tenant" "$repo" restore "$id" --target "$target"
	rc=$?
	rs_expect_ok "$out" "$rc" || return 1
	diff -r "$E2E_TMP/frozen/$id" "$target$dir" > "$out.diff" 2>&1 ||
		{ echo "restore of $id differs from $dir as saved:"; head -n 20 "$out.diff"; return 1; }
	rm -rf "$target"
}

# rs_verify_saved: every snapshot restic reported saved (and no forget
# removed) restores byte-exact; also that each repository lists exactly
# those. Says what failed.
rs_verify_saved() {
	local id tenant repo dir bad=0 listed want
	while read -r id tenant repo dir; do
		rs_restore_exact "$RS_OUT/verify-$id" "$tenant" "$repo" "$id" "$dir" || bad=1
	done < "$RS_SAVED"
	while read -r tenant repo; do
		rs_restic "$RS_OUT/verify-list" 60 "$tenant" "$repo" snapshots --json ||
			{ echo "snapshots of $repo failed:"; tail -n 5 "$RS_OUT/verify-list"; bad=1; continue; }
		listed=$(jq -r '.[].short_id' "$RS_OUT/verify-list" | sort | paste -sd' ')
		want=$(awk -v t="$tenant" -v r="$repo" '$2 == t && $3 == r { print $1 }' "$RS_SAVED" | sort | paste -sd' ')
		[[ $listed == "$want" ]] || { echo "$repo lists snapshots [$listed], saved were [$want]"; bad=1; }
	done < <(awk '{ print $2, $3 }' "$RS_SAVED" | sort -u)
	[[ $(wc -l < "$RS_SAVED") -gt 0 ]] || { echo "no snapshot was recorded"; bad=1; }
	return "$bad"
}

# rs_snapshot_count TENANT REPO: how many snapshots the repository lists.
rs_snapshot_count() {
	rs_restic "$RS_OUT/count" 60 "$1" "$2" snapshots --json || { tail -n 5 "$RS_OUT/count" >&2; return 1; }
	jq 'length' "$RS_OUT/count"
}

# ---- checks: quiet when they hold, saying what they found when not ---------

# rs_expect_ok OUT RC: restic exited 0.
rs_expect_ok() {
	[[ $2 == 0 ]] && return
	echo "restic exited $2; the end of its output:"
	tail -n 15 "$1"
	return 1
}

# rs_expect_refused OUT RC [STATUS [MESSAGE]]: restic ended non-zero (or was
# stopped by its bound: 124) and its output shows "STATUS MESSAGE" (default
# 503 and the maintenance message) as its status line carries them.
rs_expect_refused() {
	local out=$1 rc=$2 want="${3:-503} ${4:-$RS_MSG}"
	if [[ $rc == 0 ]]; then
		echo "restic exited 0, wanted a failure; the end of its output:"
		tail -n 15 "$out"
		return 1
	fi
	grep -q -F -- "$want" "$out" && return
	echo "restic exited $rc, its output lacks '$want'; the first error lines:"
	grep -v '^goroutine \|^	\|^$' "$out" | head -n 15
	return 1
}

# ---- what reached the server; sluice's own view --------------------------------

# rs_server_saw METHOD PATH_PREFIX: rclone logged a METHOD request whose path
# starts with PATH_PREFIX (-vv logs each POST and DELETE as it starts).
rs_server_saw() {
	grep -q -F -- ": $1 $2" "$E2E_TMP/rclone.log"
}
rs_server_never_saw() {
	! rs_server_saw "$1" "$2" || { echo "the REST server received:"; grep -F -- ": $1 $2" "$E2E_TMP/rclone.log" | head -n 5; return 1; }
}

# rs_upload_mark: remember this moment for rs_uploading.
rs_upload_mark() {
	touch "$E2E_TMP/upload-mark"
}
# rs_uploading REPO MIN_KIB: a data file of REPO (e.g. acme/slow) written
# since rs_upload_mark holds at least MIN_KIB KiB already (rclone writes
# packs in place, so a file grows while its upload runs).
rs_uploading() {
	[[ -n $(find "$RS_DATA/$1/data" -type f -newer "$E2E_TMP/upload-mark" -size +"$2"k 2> /dev/null | head -n 1) ]]
}

# rs_status: GET /status from the admin socket into $RS_OUT/status.json.
rs_status() {
	curl -sS --max-time 5 --unix-socket "$RS_ADMIN" -o "$RS_OUT/status.json" http://sluice/status
}
# rs_metrics: GET /metrics into $RS_OUT/metrics.
rs_metrics() {
	curl -sS --max-time 5 --unix-socket "$RS_ADMIN" -o "$RS_OUT/metrics" http://sluice/metrics
}
# rs_metric NAME_WITH_LABELS: its value in $RS_OUT/metrics (0 when absent).
rs_metric() {
	awk -v m="$1" '$1 == m { v = $2 } END { print v + 0 }' "$RS_OUT/metrics"
}

# rs_status_state WANT: /status says maintenance.state WANT.
rs_status_state() {
	local got
	rs_status || return 1
	got=$(jq -r '.maintenance.state' "$RS_OUT/status.json" 2>&1)
	same "/status maintenance.state" "$got" "$1"
}

# rs_session_field REPO FIELD: FIELD of the open session of repository REPO
# (e.g. /acme/slow) in /status (searched anywhere in the document).
rs_session_field() {
	rs_status || return 1
	jq -r --arg r "$1" --arg f "$2" \
		'[.. | objects | select(has("repository") and has("draining") and ((.repository | tostring | rtrimstr("/")) == $r)) | .[$f]] | map(tostring) | join(",")' \
		"$RS_OUT/status.json"
}

# rs_curl OUT TENANT METHOD PATH [CURL ARGS...]: one request through sluice
# (TLS, verified against the test CA; RS_DIRECT=1: plain HTTP to rclone);
# head in OUT.head, body in OUT.body; prints the status code.
rs_curl() {
	local out=$1 tenant=$2 method=$3 path=$4 url
	shift 4
	local -a args=()
	if [[ $RS_DIRECT == 1 ]]; then
		url=http://$RS_UPSTREAM$path
	else
		url=https://127.0.0.1:$SLUICE_PORT$path
		args+=(--cacert "$RS_CA")
	fi
	[[ $tenant == - ]] || args+=(-u "$tenant:${RS_SECRETS[$tenant]}")
	[[ $method == HEAD ]] && args+=(-I) || args+=(-X "$method")
	curl -sS --max-time "$RS_TIMEOUT" "${args[@]}" -D "$out.head" -o "$out.body" -w '%{http_code}' "$@" "$url" \
		2> "$out.err"
}

# rs_status_line OUT: the status line of the answer in OUT.head, CR removed.
rs_status_line() {
	head -n 1 "$1.head" | tr -d '\r'
}

# rs_header OUT NAME: the value of header NAME in OUT.head (case-insensitive).
rs_header() {
	tr -d '\r' < "$1.head" | awk -v name="$2" '
		{
			i = index($0, ":")
			if (i > 1 && tolower(substr($0, 1, i - 1)) == tolower(name)) {
				value = substr($0, i + 1); sub(/^[ \t]+/, "", value); sub(/[ \t]+$/, "", value); found = 1
			}
		}
		END { if (found) print value }'
}

# rs_refusal_is OUT STATUS MESSAGE: the answer in OUT is sluice's refusal:
# "HTTP/1.1 STATUS MESSAGE", text/plain, body MESSAGE and a newline.
rs_refusal_is() {
	local out=$1 line ctype body
	line=$(rs_status_line "$out")
	ctype=$(rs_header "$out" Content-Type)
	body=$(head -c 2000 "$out.body" | tr -d '\0')
	same "status line" "$line" "HTTP/1.1 $2 $3" &&
		same "Content-Type" "$ctype" "text/plain; charset=utf-8" &&
		same "body" "$body" "$3" &&
		same "body ends with a newline" "$(tail -c 1 "$out.body" | od -An -c | tr -d ' ')" '\n'
}

# rs_stop_sluice: SIGTERM; sluice must end by itself with status 0 and no
# sanitizer report in its log.
rs_stop_sluice() {
	local status
	kill -TERM "$SLUICE_PID" 2> /dev/null || { echo "sluice (pid $SLUICE_PID) was gone already"; return 1; }
	wait_until "$RS_TIMEOUT" process_gone "$SLUICE_PID" ||
		{ echo "sluice still runs ${RS_TIMEOUT}s after SIGTERM"; return 1; }
	wait "$SLUICE_PID"
	status=$?
	if grep -q -e 'Sanitizer' -e 'runtime error:' "$SLUICE_LOG"; then
		grep -m 20 -A 10 -e 'Sanitizer' -e 'runtime error:' "$SLUICE_LOG"
		return 1
	fi
	[[ $status == 0 ]] || { echo "sluice exited with status $status"; tail -n 5 "$SLUICE_LOG"; return 1; }
}
