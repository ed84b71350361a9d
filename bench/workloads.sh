# shellcheck shell=bash disable=SC2034,SC2153  # W_* are read by systems.sh; PROFILE is profile.sh's
# bench/workloads.sh: the workloads of bench/run and one measured run of a
# workload against a system (sourced after lib.sh and systems.sh).
#
#   upload-1m    PUT of a 1 MiB block (valid TSP block write, Tsp-Digest), 8 connections
#   upload-8m    the same with an 8 MiB block
#   upload-pipe  1 MiB block PUTs from 32 connections, 4 in flight on each
#                (HTTP/1.1 pipelining: h2load -m 4; wrk: 4 requests per write),
#                the shape of a provider's backup traffic
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
# The load generator (bench/run --generator): h2load (the default: -n
# requests, every one counted) or wrk (-d seconds; bench/conf/wrk.lua sends
# the same method, URL, headers and body and prints the count; the answers it
# counts are those completed in the duration, and a request in flight at the
# end is left unanswered and not counted). The upstream of the byte workloads
# (bench/run --upstream): repo (sluice-repo, the default) or nginx (plain
# HTTP: block writes read whole and dropped with a 204, restore reads served
# from the www/ tree; bench/conf/nginx-upstream.conf.in).
#
# Block writes repeat one block number: the repository (--discard) answers an
# identical rewrite 204, which PROTOCOL.md 4.4 makes valid (an idempotent retry).

ALL_WORKLOADS="upload-1m upload-8m upload-pipe download-1m small hs-tls13 hs-tls12 idle refuse"
# Asked for by name only (--workloads restic): they need restic and rclone and
# take minutes.
EXTRA_WORKLOADS="restic"
KNOWN_WORKLOADS="$ALL_WORKLOADS $EXTRA_WORKLOADS"

# workload_set NAME: the W_* variables of one workload. Counts: W_N requests
# per run (quick, full); for idle W_N is the number of connections.
workload_set() {
	W_NAME=$1 W_BODY="" W_SIZE=0 W_RESUME=on W_REFUSE=0 W_EXPECT=2 W_CLIENT_CONF=""
	W_UPSTREAM=$REPO_STORE W_METHOD="" W_HEADERS=() W_CONNECTION="" W_PROFILE=tsp W_PIPELINE=1
	W_SYSTEMS="direct sluice sluice-b haproxy haproxy64k nginx nginx-b hitch"
	W_SECONDS=$(pick "${BENCH_WRK_QUICK_SECONDS:-3}" "${BENCH_WRK_SECONDS:-8}")
	case $1 in
	upload-1m | upload-8m | upload-pipe)
		W_KIND=bytes W_CONNS=8 W_UPSTREAM=$(upstream_of write) W_METHOD=PUT
		if [[ $1 == upload-1m ]]; then
			W_BODY=$BENCH_TMP/block-1m W_N=$(pick 512 2048) W_URL=$UPLOAD_TASK/blocks/0
		elif [[ $1 == upload-pipe ]]; then
			W_BODY=$BENCH_TMP/block-1m W_N=$(pick 1024 4096) W_URL=$UPLOAD_TASK/blocks/0 W_CONNS=32 W_PIPELINE=4
			W_SYSTEMS="sluice sluice-b haproxy haproxy64k nginx nginx-b hitch"
		else
			W_BODY=$BENCH_TMP/block-8m W_N=$(pick 64 256) W_URL=$UPLOAD_TASK/blocks/1
		fi
		W_SIZE=$(stat -c %s "$W_BODY")
		W_HEADERS=("Tsp-Digest: sha256=$(sha256sum "$W_BODY" | cut -d' ' -f1)")
		;;
	download-1m)
		W_KIND=bytes W_CONNS=8 W_N=$(pick 768 3072) W_URL=$RESTORE_TASK/blocks/0 W_SIZE=1048576
		W_UPSTREAM=$(upstream_of read)
		W_SYSTEMS="direct sluice sluice-b sluice-maint haproxy haproxy64k nginx nginx-b hitch"
		;;
	small)
		W_KIND=requests W_CONNS=64 W_N=$(pick 40000 120000) W_URL=$RESTORE_TASK/blocks/1
		W_SYSTEMS="direct sluice sluice-b sluice-maint haproxy haproxy64k nginx nginx-b hitch"
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
		W_METHOD=POST W_REFUSE=1 W_EXPECT=5 W_SYSTEMS="sluice-maint haproxy haproxy64k nginx nginx-b"
		;; # not hitch: a TCP relay cannot answer a request itself
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

# upstream_of write|read: the upstream of block writes or restore reads for
# the byte workloads (--upstream repo or nginx).
upstream_of() {
	if [[ $UPSTREAM_KIND == nginx ]]; then
		echo "$NGINX_UPSTREAM"
	elif [[ $1 == write ]]; then
		echo "$REPO_DISCARD"
	else
		echo "$REPO_STORE"
	fi
}

# pick QUICK FULL
pick() {
	if [[ $QUICK == 1 ]]; then echo "$1"; else echo "$2"; fi
}

# h2load_run N CONNS LOG [IN-FLIGHT]: the workload's h2load invocation (the same for every
# system) against SYS_ADDR; its output in $LOG.out, per-request times in $LOG.
h2load_run() {
	local args=(--h1 -n "$1" -c "$2" -m "${4:-$W_PIPELINE}" -H "Authorization: Basic $AUTH" --log-file "$3") h
	[[ -n $W_BODY ]] && args+=(-d "$W_BODY")
	[[ -n $W_METHOD ]] && args+=(-H ":method: $W_METHOD")
	[[ -n $W_CONNECTION ]] && args+=(-H "Connection: $W_CONNECTION")
	for h in "${W_HEADERS[@]}"; do
		args+=(-H "$h")
	done
	OPENSSL_CONF=${W_CLIENT_CONF:-${OPENSSL_CONF:-}} "${CLIENT_WRAP[@]}" h2load "${args[@]}" "https://$SYS_ADDR$W_URL" > "$3.out" 2>&1
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

# wrk_run SECONDS CONNS LOG: the workload's requests from wrk for SECONDS
# (bench/conf/wrk.lua: the same method, URL, headers and body as h2load; W_PIPELINE
# requests per write) against SYS_ADDR; its output in $LOG.out.
wrk_run() {
	local headers="Authorization: Basic $AUTH" h
	[[ -n $W_CONNECTION ]] && headers+=$'\n'"Connection: $W_CONNECTION"
	for h in "${W_HEADERS[@]}"; do
		headers+=$'\n'"$h"
	done
	OPENSSL_CONF=${W_CLIENT_CONF:-${OPENSSL_CONF:-}} WRK_METHOD=${W_METHOD:-GET} WRK_BODY=$W_BODY \
		WRK_HEADERS=$headers WRK_EXPECT=$W_EXPECT WRK_PIPELINE=$W_PIPELINE \
		"${CLIENT_WRAP[@]}" wrk -t 1 -c "$2" -d "$1s" --timeout 30s -s "$BENCH_CONF/wrk.lua" "https://$SYS_ADDR$W_URL" > "$3.out" 2>&1
}

# wrk_field OUT NAME: one count of wrk.lua's result line.
wrk_field() {
	sed -n "s/^wrk-result.* $2=\([0-9]*\).*/\1/p" "$1"
}

# wrk_check OUT: wrk answered, no answer had another status class than the
# workload's, and wrk saw no socket error. Two counts: wrk's own (a status
# above 399 is an error: every answer of refuse, none of the others) and
# response()'s (bad; wrk calls it only for an answer with at least one
# header: sluice-repo's 204 has none, so "answered" may be below requests).
wrk_check() {
	local f n
	grep -q '^wrk-result ' "$1" || return 1
	n=$(wrk_field "$1" requests)
	((n > 0)) || return 1
	[[ $(wrk_field "$1" bad) == 0 ]] || return 1
	# BENCH_WRK_ALLOW_ERRORS=1: socket errors are said but do not fail the run
	# (what a harness that reads only wrk's request count measures).
	for f in connect read write timeout; do
		[[ $(wrk_field "$1" $f) == 0 || ${BENCH_WRK_ALLOW_ERRORS:-0} == 1 ]] || return 1
	done
	if [[ ${BENCH_WRK_ALLOW_ERRORS:-0} == 1 ]]; then
		echo "bench/run: $W_NAME: wrk socket errors allowed: $(grep -o 'connect=.*timeout=[0-9]*' "$1")" >&2
	fi
	if [[ $W_EXPECT == 5 ]]; then
		[[ $(wrk_field "$1" status) == "$n" ]]
	else
		[[ $(wrk_field "$1" status) == 0 ]]
	fi
}

# upstream_whole_bodies FROM N [count]: the nginx upstream's access log, past
# its first FROM lines, has N block writes answered 204 after a body of
# W_SIZE bytes at least (count: print how many it has).
upstream_whole_bodies() {
	local got
	got=$(tail -n +$(($1 + 1)) "$NGINX_UPSTREAM_LOG" | awk -v size="$W_SIZE" '$1 == "PUT" && $2 == 204 && $3 >= size' | wc -l)
	if [[ ${3:-} == count ]]; then echo "$got"; else ((got >= $2)); fi
}

# listener_pid HOST:PORT: the process listening there (nginx: its worker's
# parent or the worker; what ss names).
listener_pid() {
	ss -ltnpH "sport = :${1##*:}" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1
}

# trace_begin SYSTEM LOG / trace_end: BENCH_TRACE=strace or perfstat, for
# looking into one run (the CPU figures of a traced run are not the
# proxy's alone: read them as nothing). strace: the client's writes (its
# command is prefixed, CLIENT_WRAP), the proxy's and the upstream's reads
# and writes, one file each ($LOG.client, .proxy, .upstream: strace -f -o);
# perfstat: context switches and CPU migrations of the proxy and of the
# upstream ($LOG.proxy.perfstat, .upstream.perfstat).
CLIENT_WRAP=() TRACE_PIDS=()
trace_begin() {
	local pids upstream pid
	CLIENT_WRAP=() TRACE_PIDS=()
	[[ -n ${BENCH_TRACE:-} ]] || return 0
	pids=$(pid_tree "$SYS_PID" | paste -sd,)
	upstream=$(pid_tree "$(listener_pid "$W_UPSTREAM")" | paste -sd,)
	case $BENCH_TRACE in
	strace)
		# shellcheck disable=SC2054 # strace's list of calls, one word
		CLIENT_WRAP=(strace -f -qq -e trace=write,writev,sendto,sendmsg -o "$2.client")
		strace -f -qq -e trace=read,readv,recvfrom,recvmsg,write,writev,sendto,sendmsg,epoll_wait -p "$pids" -o "$2.proxy" 2> /dev/null &
		TRACE_PIDS+=("$!")
		strace -f -qq -e trace=read,readv,recvfrom,recvmsg,epoll_wait -p "$upstream" -o "$2.upstream" 2> /dev/null &
		TRACE_PIDS+=("$!")
		;;
	perfstat)
		perf stat -x, -e context-switches,cpu-migrations,task-clock -p "$pids" -o "$2.proxy.perfstat" &
		TRACE_PIDS+=("$!")
		perf stat -x, -e context-switches,cpu-migrations,task-clock -p "$upstream" -o "$2.upstream.perfstat" &
		TRACE_PIDS+=("$!")
		;;
	*) die "BENCH_TRACE takes strace or perfstat" ;;
	esac
	for pid in "${TRACE_PIDS[@]}"; do bench_track "$pid"; done
	sleep 0.5 # attached
}

trace_end() {
	local pid
	for pid in "${TRACE_PIDS[@]}"; do
		kill -INT "$pid" 2> /dev/null || true
		poll "$BENCH_WAIT" eval "! kill -0 $pid 2> /dev/null" || true
		bench_stop "$pid"
	done
	TRACE_PIDS=()
}

# measure_requests SYSTEM REP: one run (h2load or wrk) of a bytes or requests workload.
measure_requests() {
	local log=$BENCH_TMP/run/$W_NAME.$1.$2 t0 t1 secs lat units n r0=0 r1=0
	CLIENT_WRAP=()
	h2load_run "$W_CONNS" "$W_CONNS" "$log.warm" 1 || true # warm-up: one request per connection
	profile_begin "$1"
	trace_begin "$1" "$log"
	[[ $UPSTREAM_KIND == nginx ]] && r0=$(wc -l < "$NGINX_UPSTREAM_LOG")
	t0=$(cpu_ticks "$SYS_PID")
	if [[ $GENERATOR == wrk ]]; then
		wrk_run "$W_SECONDS" "$W_CONNS" "$log" || true
	else
		h2load_run "$W_N" "$W_CONNS" "$log" || true
	fi
	t1=$(cpu_ticks "$SYS_PID")
	trace_end
	profile_end
	if [[ $GENERATOR == wrk ]]; then
		if ! wrk_check "$log.out"; then
			echo "bench/run: $W_NAME on $1 failed (wrk): $(grep -E '^(wrk-result|Non-2xx|  Socket errors)' "$log.out" | tr '\n' ' ')" >&2
			row "$W_NAME" "$1" "$2" error 0 0 0 "$W_CONNS" - - - - "wrk: $(grep -E '^wrk-result' "$log.out")"
			return
		fi
		n=$(wrk_field "$log.out" requests)
		secs=$(awk -v us="$(wrk_field "$log.out" duration_us)" 'BEGIN { print us / 1e6 }')
		lat=$(awk -v a="$(wrk_field "$log.out" p50_us)" -v b="$(wrk_field "$log.out" p99_us)" \
			'BEGIN { printf "%.3f %.3f\n", a / 1000, b / 1000 }')
	else
		if ! h2load_check "$log.out" "$W_N"; then
			echo "bench/run: $W_NAME on $1 failed: $(grep -E '^(requests|status codes):' "$log.out" | tr '\n' ' ')" >&2
			row "$W_NAME" "$1" "$2" error 0 0 0 "$W_CONNS" - - - - "h2load: $(grep -E '^requests:' "$log.out")"
			return
		fi
		n=$W_N
		secs=$(h2load_seconds "$log.out")
		lat=$(latency_ms "$log")
	fi
	units=$n
	[[ $W_KIND == bytes ]] && units=$((n * W_SIZE))
	# The nginx upstream reads each block write's whole body (and drops it)
	# before its 204, and logs the request's length: as many whole bodies as
	# answers counted, in the lines it logged during the run.
	if [[ $UPSTREAM_KIND == nginx && $W_METHOD == PUT && $W_UPSTREAM == "$NGINX_UPSTREAM" &&
		${BENCH_UPSTREAM_EARLY_204:-0} != 1 ]]; then
		poll 2 upstream_whole_bodies "$r0" "$n" || true
		r1=$(upstream_whole_bodies "$r0" "$n" count)
		note "$W_NAME on $1: the nginx upstream read $r1 whole bodies for $n answers"
		if ((r1 < n)); then
			echo "bench/run: $W_NAME on $1: the nginx upstream read $r1 whole bodies for $n answers" >&2
			row "$W_NAME" "$1" "$2" error 0 0 0 "$W_CONNS" - - - - "upstream: $r1 whole bodies for $n answers"
			return
		fi
	fi
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
