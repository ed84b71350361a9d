# shellcheck shell=bash disable=SC2034  # PROFILE_* are read by workloads.sh and systems.sh
# bench/profile.sh: `bench/run --profile perf|callgrind` (sourced after lib.sh).
#
# Profiles sluice (and sluice-maint) while a workload runs, one repetition:
#   perf       perf record (DWARF call graphs) on the running sluice during the measured h2load
#              run, sampling the cpu-clock software event (virtual machines often
#              have no hardware counters); kernel time included.
#   syscalls   perf trace -s on the running sluice during the run: every system
#              call counted, with its time (to divide by the request count).
#   callgrind  sluice runs under valgrind --tool=callgrind, the request counts
#              divided by PROFILE_CALLGRIND_DIVISOR; instruction counts of user
#              space only (AES-NI and the kernel are not weighed as time).
# Reports go to bench/results/DATE-profile-WORKLOAD-SYSTEM.txt (git ignores them).

PROFILE=""
PROFILE_CALLGRIND_DIVISOR=20
PROFILE_REPORTS=()

profile_check() {
	case $PROFILE in
	"") ;;
	perf | syscalls)
		command -v perf > /dev/null || die "perf is missing: run 'sudo tools/install-deps --bench'"
		perf record -q -e cpu-clock -o /dev/null true > /dev/null 2>&1 ||
			die "perf cannot sample here (kernel.perf_event_paranoid?): try --profile callgrind"
		;;
	callgrind)
		command -v valgrind > /dev/null || die "valgrind is missing: run 'sudo tools/install-deps --bench'"
		;;
	*) die "--profile takes perf, syscalls or callgrind" ;;
	esac
}

# profile_wrap: sluice under callgrind, one output file per process.
profile_wrap() {
	[[ $PROFILE == callgrind ]] &&
		PROFILE_WRAP=(valgrind --tool=callgrind --callgrind-out-file="$BENCH_TMP/run/callgrind.%p")
	return 0
}

# profile_begin SYSTEM: start perf on SYS_PID (sluice systems only).
profile_begin() {
	PERF_PID=""
	[[ ($PROFILE == perf || $PROFILE == syscalls) && $1 == sluice* ]] || return 0
	PERF_DATA=$BENCH_TMP/run/$W_NAME.$1.$PROFILE
	if [[ $PROFILE == perf ]]; then
		perf record -q -e cpu-clock -F 999 --call-graph dwarf,16384 -p "$SYS_PID" -o "$PERF_DATA" > "$PERF_DATA.log" 2>&1 &
	else
		perf trace -s -p "$SYS_PID" -o "$PERF_DATA" > "$PERF_DATA.log" 2>&1 &
	fi
	PERF_PID=$!
	bench_track "$PERF_PID"
	poll "$BENCH_WAIT" test -e "$PERF_DATA" || die "perf did not start: $(tail -n 2 "$PERF_DATA.log")"
	PROFILE_REPORTS+=("$W_NAME $1 $PERF_DATA $W_N")
}

profile_end() {
	[[ -n $PERF_PID ]] || return 0
	kill -INT "$PERF_PID" 2> /dev/null || true
	poll "$BENCH_WAIT" eval "! kill -0 $PERF_PID 2> /dev/null" || true
	bench_stop "$PERF_PID"
}

# profile_system_stopped SYSTEM: a callgrind output is complete once sluice exited.
profile_system_stopped() {
	local out
	[[ $PROFILE == callgrind && $1 == sluice* ]] || return 0
	for out in "$BENCH_TMP"/run/callgrind.*; do
		[[ -e $out && $out != *.done ]] || continue
		mv "$out" "$BENCH_TMP/run/$W_NAME.$1.callgrind.done"
		PROFILE_REPORTS+=("$W_NAME $1 $BENCH_TMP/run/$W_NAME.$1.callgrind.done")
	done
}

# perf_report DATA SYSTEM WORKLOAD: time by object, by symbol, and the
# inclusive time of sluice's own functions (what they cost with their calls).
perf_report() {
	local args=(-i "$1" --stdio --percent-limit 0.4)
	echo "# perf record -e cpu-clock -g on $2, workload $3"
	echo "# 1. self time by object"
	perf report "${args[@]}" --no-children --sort dso -g none 2> /dev/null | grep -v '^#' | grep .
	echo "# 2. self time by symbol"
	perf report "${args[@]}" --no-children --sort dso,symbol -g none 2> /dev/null | grep -v '^#' | grep .
	echo "# 3. inclusive time of sluice's functions (samples with the function on the stack)"
	perf report "${args[@]}" --children --sort dso,symbol -g none 2> /dev/null | grep -v '^#' |
		awk '$3 == "sluice"'
}

# profile_reports STAMP: write and list the reports.
profile_reports() {
	local item workload system data requests out
	for item in "${PROFILE_REPORTS[@]}"; do
		read -r workload system data requests <<< "$item"
		out=$RESULTS/$1-profile-$workload-$system.txt
		if [[ $PROFILE == perf ]]; then
			perf_report "$data" "$system" "$workload" > "$out"
		elif [[ $PROFILE == syscalls ]]; then
			{
				echo "# perf trace -s on $system, workload $workload: $requests requests"
				cat "$data"
			} > "$out"
		else
			{
				echo "# callgrind on $system, workload $workload: exclusive, then inclusive instruction counts"
				callgrind_annotate --inclusive=no "$data" 2> /dev/null | head -n 60
				callgrind_annotate --inclusive=yes "$data" 2> /dev/null | head -n 60
			} > "$out"
		fi
		echo "bench/run: profile of $system on $workload: $out" >&2
	done
}
