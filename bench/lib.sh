# shellcheck shell=bash
# bench/lib.sh: process bookkeeping and measurements for bench/run (sourced).
#
# Every process bench/run starts is recorded in BENCH_PIDS and stopped by
# bench_cleanup (the EXIT trap), by its own id only. Addresses are read from
# ready files or found with a free-port probe; every wait is a bounded poll of
# an observable effect.

declare -ga BENCH_PIDS=()
declare -ga BENCH_DIRS=() # removed on exit, even with --keep (the restic workload's data)
: "${BENCH_WAIT:=20}" # seconds any single wait may take
: "${IDLE_SETTLE:=2.5}" # idle: seconds without traffic before RSS is read (sluice trims spares each second)

die() {
	echo "bench/run: $*" >&2
	exit 1
}

note() {
	[[ ${BENCH_VERBOSE:-0} == 1 ]] && echo "bench/run: $*" >&2
	return 0
}

# bench_track PID: stop it on exit.
bench_track() {
	BENCH_PIDS+=("$1")
}

# bench_stop PID: TERM, then KILL after BENCH_WAIT seconds; reap it and
# forget it (a reaped id may soon name someone else's process).
bench_stop() {
	local pid=$1 i kept=()
	for i in "${BENCH_PIDS[@]}"; do
		[[ $i == "$pid" ]] || kept+=("$i")
	done
	BENCH_PIDS=("${kept[@]}")
	kill -0 "$pid" 2> /dev/null || { wait "$pid" 2> /dev/null || true; return 0; }
	kill -TERM "$pid" 2> /dev/null
	for ((i = 0; i < BENCH_WAIT * 50; i++)); do
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.02
	done
	kill -0 "$pid" 2> /dev/null && kill -KILL "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null || true
	return 0
}

bench_cleanup() {
	local pid dir
	for pid in "${BENCH_PIDS[@]}"; do
		bench_stop "$pid"
	done
	for dir in "${BENCH_DIRS[@]}"; do
		rm -rf "$dir"
	done
	if [[ -n ${BENCH_TMP:-} && -d $BENCH_TMP ]]; then
		if [[ ${BENCH_KEEP:-0} == 1 ]]; then
			echo "bench/run: scratch directory kept: $BENCH_TMP" >&2
		else
			rm -rf "$BENCH_TMP"
		fi
	fi
}

# poll SECONDS COMMAND...: run COMMAND every 20 ms until it succeeds.
poll() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 50; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	return 1
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# can_connect PORT: something accepts TCP connections on 127.0.0.1:PORT.
can_connect() {
	(exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null
}

# pid_tree PID: PID and its children (nginx's master and worker).
pid_tree() {
	echo "$1"
	pgrep -P "$1" || true
}

# cpu_ticks PID: utime + stime of PID and its children, in clock ticks
# (/proc/PID/stat fields 14 and 15; the comm field has no spaces here).
cpu_ticks() {
	local pid sum=0 fields
	for pid in $(pid_tree "$1"); do
		read -ra fields < "/proc/$pid/stat" 2> /dev/null || continue
		((sum += fields[13] + fields[14]))
	done
	echo "$sum"
}

# rss_kib PID: resident memory of PID and its children, in KiB.
rss_kib() {
	local pid sum=0 kib
	for pid in $(pid_tree "$1"); do
		kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2> /dev/null)
		((sum += ${kib:-0}))
	done
	echo "$sum"
}

# fill_template FILE NAME=VALUE...: FILE with every @NAME@ replaced by VALUE
# (any characters; a VALUE may be empty).
fill_template() {
	local file=$1 text pair name value
	text=$(< "$file") || die "cannot read template $file"
	shift
	shopt -u patsub_replacement 2> /dev/null || true
	for pair in "$@"; do
		name=${pair%%=*}
		value=${pair#*=}
		text=${text//@"$name"@/$value}
	done
	[[ $text =~ @[A-Z_]+@ ]] && die "template $file: ${BASH_REMATCH[0]} was not filled in"
	printf '%s\n' "$text"
}
