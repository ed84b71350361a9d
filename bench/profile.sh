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
# The restic workload: perf profiles the backup and the restore apart
# (restic-backup, restic-restore), callgrind the whole run (restic); both
# reports end with the share of sluice's time in the restic classifier and
# the policy (perf: of all samples, kernel included; callgrind: of all
# user-space instructions).

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
	if [[ $3 == restic* ]]; then perf_restic_share "$1"; fi
}

# The functions of the restic profile's per-request work: the classifier
# (protocol/restic.c, and request.c's profile_classify and client_address,
# inlined) and the policy (proxy/policy*.c: decide, record, settle, the
# session table in proxy/policy/jobs.c they use, and the once-a-second tick).
RESTIC_CLASSIFIER_RE='^(restic_|profile_classify$|client_address$)'
RESTIC_POLICY_RE='^(policy_|jobs_)'

# perf_restic_share DATA: the samples with a classifier or policy function
# anywhere on the stack (inlined frames included), over all of sluice's
# samples (kernel, libcrypto, libc included): their share of sluice's time.
perf_restic_share() {
	echo "# 4. restic profile cost: samples with a classifier or policy function on the stack"
	perf script -i "$1" -F comm,tid,period,event,ip,sym,dso 2> /dev/null |
		awk -v cre="$RESTIC_CLASSIFIER_RE" -v pre="$RESTIC_POLICY_RE" '
			function flush() {
				if (!open) return
				n++; nc += c; np += p; nu += (c || p)
				if (c || p) where[leaf " in " (c ? inner_c : inner_p)]++
				c = p = 0; leaf = ""
			}
			/^[^ \t]/ { flush(); open = 1; next }
			/^[ \t]+[0-9a-f]+ / {
				if (leaf == "") leaf = $2
				if (!c && $2 ~ cre) { c = 1; inner_c = $2 }
				if (!p && $2 ~ pre) { p = 1; inner_p = $2 }
			}
			END {
				flush()
				if (n == 0) { print "no samples"; exit }
				printf "samples %d\nclassifier (restic_classify, profile_classify, client_address) %d = %.2f %%\n", n, nc, 100 * nc / n
				printf "policy (policy_*, jobs_*) %d = %.2f %%\n", np, 100 * np / n
				printf "classifier + policy %d = %.2f %% of sluice'"'"'s samples\n", nu, 100 * nu / n
				print "where (the sampled function, in the innermost classifier or policy function):"
				for (w in where) printf "%6d  %s\n", where[w], w
			}'
}

# callgrind_restic_share FILE: the inclusive instruction counts of the entry
# points of that work (the functions exchange.c, request.c and server.c call;
# client_address is inlined into request_pump: left out), over the total.
callgrind_restic_share() {
	echo "# restic profile cost: inclusive instructions of the entry points over the program total"
	callgrind_annotate --inclusive=yes --threshold=100 "$1" 2> /dev/null |
		awk 'function num(s) { gsub(/,/, "", s); return s + 0 }
			/PROGRAM TOTALS/ { total = num($1) }
			{ fn = $NF; if (fn ~ /^\[/) fn = $(NF - 1); sub(/^.*:/, "", fn) }
			fn ~ /^(restic_classify|policy_decide|policy_record|policy_settle|policy_tick|jobs_expire)$/ && !seen[fn]++ {
				part[fn] = num($1); sum += num($1)
			}
			fn == "restic_session_key" && !seen[fn]++ { key = num($1) }
			END {
				if (total == 0) { print "no totals"; exit }
				for (fn in part) printf "%-16s %14d = %.3f %%\n", fn, part[fn], 100 * part[fn] / total
				printf "%-16s %14d = %.3f %% of %d instructions\n", "sum", sum, 100 * sum / total, total
				printf "of which restic_session_key (in restic_classify) %d = %.3f %%\n", key, 100 * key / total
			}'
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
				# head closes the pipe early: callgrind_annotate's SIGPIPE is no failure
				callgrind_annotate --inclusive=no "$data" 2> /dev/null | head -n 60 || true
				callgrind_annotate --inclusive=yes "$data" 2> /dev/null | head -n 60 || true
				if [[ $workload == restic* ]]; then callgrind_restic_share "$data"; fi
			} > "$out"
		fi
		echo "bench/run: profile of $system on $workload: $out" >&2
	done
}
