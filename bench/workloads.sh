# shellcheck shell=bash disable=SC2034,SC2153  # W_* are read by systems.sh; PROFILE is profile.sh's
# bench/workloads.sh: the workloads of bench/run and one measured run of a
# workload against a system (sourced after lib.sh and systems.sh).
#
#   upload-1m    PUT of a 1 MiB block (valid TSP block write, Tsp-Digest), 8 connections
#   upload-8m    the same with an 8 MiB block
#   download-1m  GET of a 1 MiB block of a restore (repository's restore read), 8 connections
#   small        GET of a 48-byte block of the same restore: a task-open-sized
#                request and answer, 64 keep-alive connections
#   hs-tls13     the small GET on a new TLS 1.3 connection each time (Connection:
#                close; tickets and session caches off: full handshakes), 16 connections
#   hs-tls12     the same with the client capped at TLS 1.2
#   idle         memory per idle TLS connection: RSS with IDLE_CONNS connections
#                that each did one small GET, minus RSS at rest. Its upstream is
#                nginx serving the same bytes (sluice-repo takes 4096 connections
#                at most, and sluice keeps one repository connection per tenant)
#   refuse       task opens of a backup job with maintenance on (drain): sluice
#                refuses each with 503 and never asks the repository; the peers
#                are set to answer the same 503 themselves, 64 connections
#   restic       (not in the default set) a real `restic backup` of RESTIC_MIB of
#                random data and a `restic restore` of it, upstream `rclone serve
#                restic`, sluice with [proxy] profile = restic; two rows per run,
#                restic-backup and restic-restore (systems.sh: restic_*, rclone_*)
#
# Block writes repeat one block number: the repository (--discard) answers an
# identical rewrite 204, which PROTOCOL.md 4.4 makes valid (an idempotent retry).

ALL_WORKLOADS="upload-1m upload-8m download-1m small hs-tls13 hs-tls12 idle refuse"
# Asked for by name only (--workloads restic): they need restic and rclone and
# take minutes.
EXTRA_WORKLOADS="restic"
KNOWN_WORKLOADS="$ALL_WORKLOADS $EXTRA_WORKLOADS"

# workload_set NAME: the W_* variables of one workload. Counts: W_N requests
# per run (quick, full); for idle W_N is the number of connections.
workload_set() {
	W_NAME=$1 W_BODY="" W_SIZE=0 W_RESUME=on W_REFUSE=0 W_EXPECT=2 W_CLIENT_CONF=""
	W_UPSTREAM=$REPO_STORE W_METHOD="" W_HEADERS=() W_CONNECTION="" W_PROFILE=tsp
	W_SYSTEMS="direct sluice sluice-b haproxy haproxy64k nginx"
	case $1 in
	upload-1m | upload-8m)
		W_KIND=bytes W_CONNS=8 W_UPSTREAM=$REPO_DISCARD W_METHOD=PUT
		if [[ $1 == upload-1m ]]; then
			W_BODY=$BENCH_TMP/block-1m W_N=$(pick 512 2048) W_URL=$UPLOAD_TASK/blocks/0
		else
			W_BODY=$BENCH_TMP/block-8m W_N=$(pick 64 256) W_URL=$UPLOAD_TASK/blocks/1
		fi
		W_SIZE=$(stat -c %s "$W_BODY")
		W_HEADERS=("Tsp-Digest: sha256=$(sha256sum "$W_BODY" | cut -d' ' -f1)")
		;;
	download-1m)
		W_KIND=bytes W_CONNS=8 W_N=$(pick 768 3072) W_URL=$RESTORE_TASK/blocks/0 W_SIZE=1048576
		W_SYSTEMS="direct sluice sluice-b sluice-maint haproxy haproxy64k nginx"
		;;
	small)
		W_KIND=requests W_CONNS=64 W_N=$(pick 40000 120000) W_URL=$RESTORE_TASK/blocks/1
		W_SYSTEMS="direct sluice sluice-b sluice-maint haproxy haproxy64k nginx"
		;;
	hs-tls13 | hs-tls12)
		W_KIND=requests W_CONNS=16 W_N=$(pick 2000 6000) W_URL=$RESTORE_TASK/blocks/1
		W_RESUME=off W_CONNECTION=close
		if [[ $1 == hs-tls12 ]]; then W_CLIENT_CONF=$BENCH_TMP/client-tls12.cnf; fi
		;;
	idle)
		W_KIND=idle W_N=$(pick 1000 "$IDLE_CONNS") W_URL=$RESTORE_TASK/blocks/1 W_UPSTREAM=$STATIC_ADDR
		;;
	refuse)
		W_KIND=requests W_CONNS=64 W_N=$(pick 40000 120000) W_URL=/tsp/1/backup/jobs/bench-refused/tasks/t1
		W_METHOD=POST W_REFUSE=1 W_EXPECT=5 W_SYSTEMS="sluice-maint haproxy haproxy64k nginx"
		;;
	restic)
		# W_N: bytes backed up and restored (restic_data_make; divided for
		# callgrind there); W_CONNS: restic's rest.connections. The upstream
		# is the run's own rclone (measure_restic).
		W_KIND=restic W_PROFILE=restic W_N=$RESTIC_BYTES W_CONNS=$RESTIC_CONNECTIONS W_UPSTREAM=""
		W_SYSTEMS="sluice sluice-b haproxy haproxy64k nginx"
		return 0
		;;
	*) die "unknown workload $1 (known: $KNOWN_WORKLOADS)" ;;
	esac
	if [[ $PROFILE == callgrind && $W_KIND != idle ]]; then
		W_N=$((W_N / PROFILE_CALLGRIND_DIVISOR))
		((W_N >= W_CONNS)) || W_N=$W_CONNS
	fi
	return 0
}

# pick QUICK FULL
pick() {
	if [[ $QUICK == 1 ]]; then echo "$1"; else echo "$2"; fi
}

# h2load_run N CONNS LOG: the workload's h2load invocation (the same for every
# system) against SYS_ADDR; its output in $LOG.out, per-request times in $LOG.
h2load_run() {
	local args=(--h1 -n "$1" -c "$2" -m 1 -H "Authorization: Basic $AUTH" --log-file "$3") h
	[[ -n $W_BODY ]] && args+=(-d "$W_BODY")
	[[ -n $W_METHOD ]] && args+=(-H ":method: $W_METHOD")
	[[ -n $W_CONNECTION ]] && args+=(-H "Connection: $W_CONNECTION")
	for h in "${W_HEADERS[@]}"; do
		args+=(-H "$h")
	done
	OPENSSL_CONF=${W_CLIENT_CONF:-${OPENSSL_CONF:-}} h2load "${args[@]}" "https://$SYS_ADDR$W_URL" > "$3.out" 2>&1
}

# h2load_check OUT N: every request done (h2load counts a 5xx as done but
# failed) and answered with the workload's status class.
h2load_check() {
	local completed codes
	completed=$(sed -n 's/^requests: .* \([0-9]*\) done,.*/\1/p' "$1")
	codes=$(grep '^status codes: ' "$1")
	[[ $completed == "$2" ]] || return 1
	case $W_EXPECT in
	2) [[ $codes == "status codes: $2 2xx, 0 3xx, 0 4xx, 0 5xx" ]] ;;
	5) [[ $codes == "status codes: 0 2xx, 0 3xx, 0 4xx, $2 5xx" ]] ;;
	esac
}

# h2load_seconds OUT: the run's duration ("finished in 1.98s," or "29.38ms,").
h2load_seconds() {
	sed -n 's/^finished in \([0-9.]*\)\(m\?s\),.*/\1 \2/p' "$1" |
		awk '{ print ($2 == "ms") ? $1 / 1000 : $1 }'
}

# latency_ms LOG: p50 and p99 of the per-request times, in milliseconds.
latency_ms() {
	cut -f 3 "$1" | sort -n | awk '{ v[NR] = $1 }
		END { if (NR == 0) { print "- -"; exit }
		      i50 = int(NR * 0.50); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
		      printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000 }'
}

# row FIELDS...: one raw result line (report.py reads them).
row() {
	local IFS=$'\t'
	echo "$*" >> "$RAW"
}

# measure_requests SYSTEM REP: one h2load run of a bytes or requests workload.
measure_requests() {
	local log=$BENCH_TMP/run/$W_NAME.$1.$2 t0 t1 secs lat units
	h2load_run "$W_CONNS" "$W_CONNS" "$log.warm" || true # warm-up: one request per connection
	profile_begin "$1"
	t0=$(cpu_ticks "$SYS_PID")
	h2load_run "$W_N" "$W_CONNS" "$log"
	t1=$(cpu_ticks "$SYS_PID")
	profile_end
	if ! h2load_check "$log.out" "$W_N"; then
		echo "bench/run: $W_NAME on $1 failed: $(grep -E '^(requests|status codes):' "$log.out" | tr '\n' ' ')" >&2
		row "$W_NAME" "$1" "$2" error 0 0 0 "$W_CONNS" - - - - "h2load: $(grep -E '^requests:' "$log.out")"
		return
	fi
	secs=$(h2load_seconds "$log.out")
	lat=$(latency_ms "$log")
	units=$W_N
	[[ $W_KIND == bytes ]] && units=$((W_N * W_SIZE))
	row "$W_NAME" "$1" "$2" ok "$secs" "$(awk -v t=$((t1 - t0)) -v hz="$HZ" 'BEGIN { print t / hz }')" \
		"$units" "$W_CONNS" "${lat% *}" "${lat#* }" - - ""
}

# measure_idle SYSTEM REP: RSS at rest, then with W_N idle connections. Both
# are read after IDLE_SETTLE seconds without traffic: memory of idle
# connections, not of the moment they were busy (sluice frees its spare
# buffers after a second unused; the peers keep theirs, which counts for them).
measure_idle() {
	local log=$BENCH_TMP/run/$W_NAME.$1.$2 rest loaded pid got
	h2load_run 1 1 "$log.warm" || true
	sleep "$IDLE_SETTLE"
	rest=$(rss_kib "$SYS_PID")
	rm -f "$log.fifo" "$log.ready"
	mkfifo -m 600 "$log.fifo"
	"$BUILD/bench/idle" --connect "$SYS_ADDR" --count "$W_N" --path "$W_URL" \
		--header "Authorization: Basic $AUTH" < "$log.fifo" > "$log.ready" 2> "$log.err" &
	pid=$!
	bench_track "$pid"
	exec {IDLE_FD}> "$log.fifo" # the holder runs until this closes
	poll $((BENCH_WAIT + W_N / 200)) grep -q '^ready' "$log.ready" || true
	sleep "$IDLE_SETTLE"
	loaded=$(rss_kib "$SYS_PID")
	got=$(sed -n 's/^ready //p' "$log.ready")
	exec {IDLE_FD}>&-
	bench_stop "$pid"
	if [[ $got != "$W_N" ]]; then
		echo "bench/run: idle on $1: ${got:-0} of $W_N connections held: $(head -c 300 "$log.err")" >&2
		row "$W_NAME" "$1" "$2" error 0 0 0 "$W_N" - - "$rest" "$loaded" "held ${got:-0}"
		return
	fi
	row "$W_NAME" "$1" "$2" ok 0 0 0 "$W_N" - - "$rest" "$loaded" ""
}

# restic_timed LOG TIMES ARGS...: restic ARGS against the run's repository
# through SYS_ADDR, its output in LOG; TIMES gets "wall user sys" seconds
# (bash's time: restic's own wall and CPU time).
restic_timed() {
	local log=$1 times=$2 TIMEFORMAT='%R %U %S' status=0
	shift 2
	{ time restic_cmd "$@" > "$log" 2>&1 || status=$?; } 2> "$times"
	return "$status"
}

# restic_cmd ARGS...: restic on the run's repository, no cache (--no-cache:
# every command reads what it needs through the proxy, and nothing a
# previous run left on this machine is used).
restic_cmd() {
	env -u RESTIC_REPOSITORY -u RESTIC_REPOSITORY_FILE -u RESTIC_PASSWORD_FILE -u RESTIC_PASSWORD_COMMAND \
		RESTIC_PASSWORD="$RESTIC_PASSWORD" \
		restic -r "rest:https://$TENANT:$SECRET@$SYS_ADDR$RESTIC_REPO_PATH" --cacert "$CERT" --no-cache \
		-o rest.connections="$RESTIC_CONNECTIONS" "$@"
}

# restic_phase NAME SYSTEM REP LOG ARGS...: one measured restic command (the
# proxy's CPU around it, perf around it for --profile perf); sets PHASE_CPU
# (proxy CPU-seconds), PHASE_WALL and PHASE_CLIENT (restic's CPU-seconds).
restic_phase() {
	local name=$1 system=$2 log=$4 t0 t1 times status=0
	shift 4
	W_NAME=$name
	profile_begin "$system"
	t0=$(cpu_ticks "$SYS_PID")
	restic_timed "$log" "$log.time" "$@" || status=$?
	t1=$(cpu_ticks "$SYS_PID")
	profile_end
	W_NAME=restic
	read -r PHASE_WALL times < <(tail -n 1 "$log.time")
	PHASE_CLIENT=$(awk '{ print $1 + $2 }' <<< "$times")
	PHASE_CPU=$(awk -v t=$((t1 - t0)) -v hz="$HZ" 'BEGIN { print t / hz }')
	return "$status"
}

# measure_restic SYSTEM REP: a repository created through the system (not
# measured), a backup of RESTIC_SRC (measured), a restore of its snapshot
# (measured), the restored files compared with the source (not measured).
# Rows restic-backup and restic-restore: wall = restic's wall time, units =
# bytes of the source, the last field restic's own CPU-seconds.
measure_restic() {
	local log=$BENCH_TMP/run/restic.$1.$2 target=$RESTIC_RUN/restore why="" phase
	local b_wall=0 b_cpu=0 b_client=0
	if ! restic_cmd init > "$log.init" 2>&1; then
		why="restic init: $(grep -m 1 -E 'Fatal|error' "$log.init")"
	elif ! restic_phase restic-backup "$1" "$2" "$log.backup" backup --host bench "$RESTIC_SRC"; then
		why="restic backup: $(grep -m 1 -E 'Fatal|error' "$log.backup")"
	else
		b_wall=$PHASE_WALL b_cpu=$PHASE_CPU b_client=$PHASE_CLIENT
		if ! restic_phase restic-restore "$1" "$2" "$log.restore" restore latest --target "$target"; then
			why="restic restore: $(grep -m 1 -E 'Fatal|error' "$log.restore")"
		elif ! diff -r -q "$RESTIC_SRC" "$target$RESTIC_SRC" > "$log.diff" 2>&1; then
			why="the restored files differ from the source: $(head -n 1 "$log.diff")"
		fi
	fi
	note "restic on $1: repository $(du -s -b "$RESTIC_RUN/repository" | cut -f1) bytes;" \
		"backup ${b_wall} s, proxy ${b_cpu} CPU-s; restore ${PHASE_WALL:-} s, proxy ${PHASE_CPU:-} CPU-s"
	if [[ -n $why ]]; then
		echo "bench/run: restic on $1 failed: $why" >&2
		for phase in restic-backup restic-restore; do
			row "$phase" "$1" "$2" error 0 0 0 "$W_CONNS" - - - - "$why" -
		done
		return
	fi
	row restic-backup "$1" "$2" ok "$b_wall" "$b_cpu" "$W_N" "$W_CONNS" - - - - "" "$b_client"
	row restic-restore "$1" "$2" ok "$PHASE_WALL" "$PHASE_CPU" "$W_N" "$W_CONNS" - - - - "" "$PHASE_CLIENT"
}

# measure WORKLOAD SYSTEM REP: start the system, measure, stop it. The
# restic workload starts its own upstream first (rclone_start: a fresh
# repository directory and rclone process per run) and removes it after.
measure() {
	if [[ $W_KIND == restic ]]; then
		rclone_start "$2.$3"
		W_UPSTREAM=$RCLONE_ADDR
	fi
	system_start "$2"
	if [[ $W_KIND == idle ]]; then
		measure_idle "$2" "$3"
	elif [[ $W_KIND == restic ]]; then
		PHASE_WALL="" PHASE_CPU=""
		measure_restic "$2" "$3"
	else
		measure_requests "$2" "$3"
	fi
	system_stop
	if [[ $W_KIND == restic ]]; then rclone_stop; fi
	profile_system_stopped "$2"
}
