# shellcheck shell=bash disable=SC2034  # W_* are read by systems.sh
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
#
# Block writes repeat one block number: the repository (--discard) answers an
# identical rewrite 204, which PROTOCOL.md 4.4 makes valid (an idempotent retry).

ALL_WORKLOADS="upload-1m upload-8m download-1m small hs-tls13 hs-tls12 idle refuse"

# workload_set NAME: the W_* variables of one workload. Counts: W_N requests
# per run (quick, full); for idle W_N is the number of connections.
workload_set() {
	W_NAME=$1 W_BODY="" W_SIZE=0 W_RESUME=on W_REFUSE=0 W_EXPECT=2 W_CLIENT_CONF=""
	W_UPSTREAM=$REPO_STORE W_METHOD="" W_HEADERS=() W_CONNECTION=""
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
	*) die "unknown workload $1 (known: $ALL_WORKLOADS)" ;;
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

# measure WORKLOAD SYSTEM REP: start the system, measure, stop it.
measure() {
	system_start "$2"
	if [[ $W_KIND == idle ]]; then
		measure_idle "$2" "$3"
	else
		measure_requests "$2" "$3"
	fi
	system_stop
	profile_system_stopped "$2"
}
