#!/bin/bash
# bench/slowhttp.sh: slow-client attacks (slowhttptest) against sluice and
# HAProxy side by side, and what a well-behaved tenant sees meanwhile.
#
#   bench/slowhttp.sh [--connections N] [--probes N] [--modes "H B X"] [--systems "sluice haproxy"] [--keep]
#
# Needs a built tree: SLOWHTTP_BUILD=DIR (default bench/build, which bench/run
# makes) holding sluice, sluice-repo and sluice-tenant; and slowhttptest,
# haproxy, curl, openssl, python3, ss. It never runs under `make check`.
#
# One invocation runs every mode against every system, interleaved (mode by
# mode: sluice, then HAProxy), each system started fresh for each mode, both
# in front of the same sluice-repo, with the same certificate (bench/systems.sh
# certificates_make), TLS settings and maxconn (4096, above the attack):
#
#   sluice   bench/conf/sluice.ini.in, maintenance off, everything else
#            sluice's defaults, plus an admin socket (for /status) and log level
#            notice
#   haproxy  bench/conf/haproxy.cfg.in as bench/run starts it (HAProxy 2.6,
#            mode http, nbthread 1, timeout http-request 30s, client 5m)
#   haproxy64k  the same with tune.bufsize 65536 (sluice's buffer_bytes),
#            only when named in --systems
#
# The attacks (slowhttptest, N connections, default 2000, opened at 400/s):
#
#   H  slowloris: GET /tsp/1/session whose head never ends (a random header
#      line every 10 s)
#   B  slow body: an authenticated TSP block write (PUT .../blocks/0,
#      Tsp-Digest, Content-Length 1 MiB) to an open task, its body sent a few
#      bytes every 10 s: it passes classification and is forwarded
#   X  slow read: 10 pipelined authenticated reads of a 1 MiB restore block
#      on each connection, read 32 bytes a second through a 512-1024 byte
#      window
#
# slowhttptest cannot add headers, but the value of its Cookie header (-j) is
# copied as is, so "x=y\r\nAuthorization: ...\r\nTsp-Digest: ..." adds them.
#
# For each mode and system: a baseline of P (default 200) sequential curl hellos
# (GET /tsp/1/session, Basic credentials, a new TLS connection each, at most
# 3 s each) before the attack, then, once the attack holds its connections, the
# same P hellos during it. Reported: hellos answered 200, p50 and p99 of
# curl's time_total (ms) of those, the attack's connections, the system's open
# descriptors and RSS, the repository's descriptors, and the lines sluice logged.
# The probe phase is bounded (PROBE_BUDGET seconds, default 120); probes not
# sent in time are reported as such. PROBE_GAP=SECONDS spaces the probes (default
# 0: back to back), so that they can span the systems' own timeouts (sluice:
# [timeouts] header 30s, [limits] min_body_rate over [timeouts] body 1m).
# Once the attack is stopped, the system's descriptors must fall back to
# what they were before it (polled for 30 s): "released" or what is left.
#
# Memory, per attacker connection held: the difference between a snapshot
# taken before the attack (after the baseline probes) and one taken once it
# has held its connections for MEM_SETTLE seconds (default 15) and the probes
# are done, divided by the attacker's connections at that moment:
#   user space  the system's RSS (VmRSS)
#   kernel      TCP memory, all sockets of the machine (/proc/net/sockstat
#               "TCP: ... mem N", N pages)
#   queues      `ss -tm` skmem of the sockets of each side, receive queue (r)
#               and send queue (w; f, memory reserved but not used yet, is in
#               the kernel figure only): the system's tenant side, the
#               system's repository side, the repository's own sockets and
#               the attacker's.
# The repository is told to take CONNECTIONS + 1024 connections
# (sluice-repo --max-connections).
#
# Another sluice binary can run as the system "sluice-b"
# (SLOWHTTP_SLUICE_B=PATH), for a before/after comparison in one invocation.
# SLOWHTTP_SLUICE_INI="[section]\nkey = value..." is appended to sluice's
# configuration (a later section overrides the template's keys), and
# SLOWHTTP_SLUICE_B_INI to sluice-b's.
set -uo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_CONF=$SRCDIR/bench/conf
# shellcheck source=bench/lib.sh
. "$SRCDIR/bench/lib.sh"
# shellcheck source=bench/systems.sh
. "$SRCDIR/bench/systems.sh"

CONNECTIONS=2000 PROBES=200 MODES="H B X" SYSTEMS="sluice haproxy" BENCH_KEEP=0
: "${PROBE_BUDGET:=120}" "${ATTACK_RATE:=400}" "${PROBE_GAP:=0}" "${MEM_SETTLE:=15}"
BUILD=${SLOWHTTP_BUILD:-$SRCDIR/bench/build}
TENANT=bench SECRET=bench-secret
MAXCONN=4096

while (($#)); do
	case $1 in
	--connections) CONNECTIONS=${2:?}; shift ;;
	--probes) PROBES=${2:?}; shift ;;
	--modes) MODES=${2:?}; shift ;;
	--systems) SYSTEMS=${2:?}; shift ;;
	--keep) BENCH_KEEP=1 ;;
	-h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done

for tool in slowhttptest haproxy curl openssl python3 ss; do
	command -v "$tool" > /dev/null || die "$tool is missing (apt-get install slowhttptest haproxy curl openssl iproute2)"
done
for bin in sluice sluice-repo sluice-tenant; do
	[[ -x $BUILD/$bin ]] || die "$BUILD/$bin is missing: build first (bench/run builds bench/build) or set SLOWHTTP_BUILD"
done
ulimit -n "$(ulimit -Hn)" 2> /dev/null || true
NOFILE=$(ulimit -n)
[[ $NOFILE == unlimited ]] || ((NOFILE >= 3 * CONNECTIONS + 200)) ||
	die "the open-file limit ($NOFILE) is too low for $CONNECTIONS connections: raise ulimit -n"

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-slowhttp.XXXXXX") || die "mktemp failed"
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
W_RESUME=on W_REFUSE=0 W_PROFILE=tsp
AUTH_B64=$(printf '%s:%s' "$TENANT" "$SECRET" | base64 -w0)

# ---- the repository and its data ----------------------------------------------

certificates_make "$BENCH_TMP"
printf '%s:%s\n' "$TENANT" "$SECRET" > "$BENCH_TMP/users"
repo_start repo --max-connections $((CONNECTIONS + 1024))
W_UPSTREAM=$REPO_ADDR
REPO_PID=${BENCH_PIDS[-1]}

repo_curl() { # METHOD PATH [CURL ARGS...]: plain HTTP to the repository; prints the status
	local method=$1 path=$2
	shift 2
	curl -sS -o /dev/null -w '%{http_code}' -u "$TENANT:$SECRET" -X "$method" "$@" "http://$REPO_ADDR$path"
}
# A stored task with one 1 MiB block (restore source), a restore task open on it.
SLOW_SRC=slow-src
SLOW_RESTORE=slow-restore
SLOW_BACKUP=slow-body
SLOW_TASK=vm-1
"$BUILD/sluice-tenant" --plain --connect "$REPO_ADDR" --tenant "$TENANT:$SECRET" backup --job "$SLOW_SRC" \
	--tasks 1 --blocks 1 --block-size 1m --json > "$BENCH_TMP/src.json" 2> "$BENCH_TMP/src.err" ||
	die "the restore source could not be stored: $(tail -n 3 "$BENCH_TMP/src.err")"
src_task=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["tasks"][0]["task"])' "$BENCH_TMP/src.json") ||
	die "no task in $BENCH_TMP/src.json"
[[ $(repo_curl POST "/tsp/1/restore/jobs/$SLOW_RESTORE" -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere' \
	-H "Tsp-Source: $SLOW_SRC") == 201 ]] || die "restore job open failed"
[[ $(repo_curl POST "/tsp/1/restore/jobs/$SLOW_RESTORE/tasks/$src_task" -H "Tsp-Source: $src_task") == 201 ]] ||
	die "restore task open failed (source task $src_task)"
[[ $(repo_curl POST "/tsp/1/backup/jobs/$SLOW_BACKUP" -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere') == 201 ]] ||
	die "backup job open failed"
[[ $(repo_curl POST "/tsp/1/backup/jobs/$SLOW_BACKUP/tasks/$SLOW_TASK") == 201 ]] || die "backup task open failed"
READ_PATH=/tsp/1/restore/jobs/$SLOW_RESTORE/tasks/$src_task/blocks/0
WRITE_PATH=/tsp/1/backup/jobs/$SLOW_BACKUP/tasks/$SLOW_TASK/blocks/0
[[ $(curl -sS -o /dev/null -w '%{http_code} %{size_download}' -u "$TENANT:$SECRET" "http://$REPO_ADDR$READ_PATH") == "200 1048576" ]] ||
	die "the 1 MiB restore block cannot be read from the repository"

# ---- the systems ---------------------------------------------------------------

slow_sluice_start() { # BINARY EXTRA_INI
	{
		fill_template "$BENCH_CONF/sluice.ini.in" PROFILE=tsp UPSTREAM="$W_UPSTREAM" MAXCONN="$MAXCONN" \
			CERT="$CERT" KEY="$KEY" CIPHERS="$CIPHERS" CIPHERSUITES="$CIPHERSUITES" \
			TICKETS=on SESSION_CACHE=20480 MAINTENANCE=off |
			sed -e 's/^level = warning$/level = notice/' -e "s|^socket =\$|socket = $SYS_DIR/admin.sock|"
		[[ -z $2 ]] || printf '%b\n' "$2"
	} > "$SYS_DIR/sluice.ini"
	"$1" -c "$SYS_DIR/sluice.ini" -f --ready-file "$SYS_DIR/ready" 2> "$SYS_DIR/log" &
	SYS_PID=$!
	bench_track "$SYS_PID"
	poll "$BENCH_WAIT" test -s "$SYS_DIR/ready" || die "sluice did not start: $(tail -n 3 "$SYS_DIR/log")"
	SYS_ADDR=$(head -n 1 "$SYS_DIR/ready")
}

start_system() { # NAME MODE
	SYS_DIR=$BENCH_TMP/sys/$2-$1
	mkdir -p "$SYS_DIR"
	case $1 in
	sluice) slow_sluice_start "$BUILD/sluice" "${SLOWHTTP_SLUICE_INI:-}" ;;
	sluice-b) slow_sluice_start "${SLOWHTTP_SLUICE_B:?sluice-b needs SLOWHTTP_SLUICE_B=/path/to/sluice}" \
		"${SLOWHTTP_SLUICE_B_INI:-}" ;;
	haproxy) haproxy_start "" ;;
	haproxy64k) haproxy_start "tune.bufsize 65536" ;;
	*) die "unknown system $1 (sluice, sluice-b, haproxy, haproxy64k)" ;;
	esac
}

fds_of() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2> /dev/null | wc -l; }

# ---- memory --------------------------------------------------------------------

PAGE_BYTES=$(getconf PAGESIZE)

# tcp_mem_bytes: the kernel's TCP memory, every socket of the machine.
tcp_mem_bytes() {
	awk -v page="$PAGE_BYTES" '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1) * page }' \
		/proc/net/sockstat
}

# skmem FILTER: "RECEIVE SEND" bytes, the sums of skmem r and w over the
# connected TCP sockets ss selects.
skmem() {
	ss -Htmn state connected "$1" 2> /dev/null | awk '
		/skmem:/ {
			sub(/.*skmem:\(/, ""); sub(/\).*/, "")
			n = split($0, f, ",")
			for (i = 1; i <= n; i++) {
				if (f[i] ~ /^r[0-9]/) r += substr(f[i], 2)
				else if (f[i] ~ /^w[0-9]/) w += substr(f[i], 2)
			}
		}
		END { printf "%d %d\n", r, w }'
}

# mem_snapshot: "RSS_KIB TCP_BYTES" and the receive and send queues of the
# system's tenant side, its repository side, the repository's sockets and
# the attacker's (10 numbers).
mem_snapshot() {
	local sys_port=${SYS_ADDR##*:} repo_port=${REPO_ADDR##*:}
	echo "$(rss_kib "$SYS_PID") $(tcp_mem_bytes) $(skmem "( sport = :$sys_port )")" \
		"$(skmem "( dport = :$repo_port )") $(skmem "( sport = :$repo_port )") $(skmem "( dport = :$sys_port )")"
}

# mem_report BEFORE AFTER CONNECTIONS: the differences per connection, in KiB,
# and the machine's TCP memory against its limits (net.ipv4.tcp_mem): near the
# limit, the kernel figures are what the limit leaves, not what a system asks.
mem_report() {
	local tcp_mem
	read -ra tcp_mem < /proc/sys/net/ipv4/tcp_mem
	awk -v before="$1" -v after="$2" -v n="$3" -v pressure=$((tcp_mem[1] * PAGE_BYTES)) \
		-v limit=$((tcp_mem[2] * PAGE_BYTES)) 'BEGIN {
		split(before, b, " "); split(after, a, " ")
		if (n < 1) n = 1
		for (i = 1; i <= 10; i++) d[i] = (a[i] - b[i]) / n / (i == 1 ? 1 : 1024)
		printf "           memory per attacker connection (%d held): user space (RSS) %+.1f KiB, kernel TCP (sockstat) %+.1f KiB; TCP memory then %d MiB (tcp_mem: pressure from %d MiB, limit %d MiB)\n", n, d[1], d[2], a[2] / 1048576, pressure / 1048576, limit / 1048576
		printf "           socket queues per connection, KiB receive/send (ss -tm): tenant side %.1f/%.1f, repository side %.1f/%.1f; the repository %.1f/%.1f, the attacker %.1f/%.1f", d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10]
	}'
}

# ---- the well-behaved tenant ---------------------------------------------------

# probes OUT: PROBES sequential hellos, "CODE SECONDS" per line, within
# PROBE_BUDGET seconds.
probes() {
	local out=$1 i end=$((SECONDS + PROBE_BUDGET))
	: > "$out"
	for ((i = 0; i < PROBES && SECONDS < end; i++)); do
		curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 3 --cacert "$CERT" \
			-u "$TENANT:$SECRET" "https://$SYS_ADDR/tsp/1/session" >> "$out" 2>> "$out.err" || true
		[[ $PROBE_GAP == 0 ]] || sleep "$PROBE_GAP"
	done
}

# summary FILE: "ok/sent p50 p99" (ms, of the 200s), plus the failure codes.
summary() {
	awk '$1 == "200" { print $2 * 1000 }' "$1" | sort -n | awk -v want="$PROBES" -v sent="$(wc -l < "$1")" \
		-v fails="$(awk '$1 != "200" { print ($1 == "000" ? "no-answer" : $1) }' "$1" | sort | uniq -c |
			awk '{ printf "  [%s x%d]", $2, $1 }')" '
		{ t[NR] = $1 }
		END {
			n = NR
			p50 = n ? t[int((n * 50 + 99) / 100)] : 0
			p99 = n ? t[int((n * 99 + 99) / 100)] : 0
			printf "%d/%d ok (of %d)  p50 %.1f ms  p99 %.1f ms%s", n, sent, want, p50, p99, fails
		}'
}

# ---- the attacks ---------------------------------------------------------------

attack_start() { # MODE OUTPREFIX
	local -a args=(-c "$CONNECTIONS" -r "$ATTACK_RATE" -l 300 -i 10 -p 3 -g -o "$2")
	case $1 in
	H) args+=(-H -j "tenant=$TENANT" -u "https://$SYS_ADDR/tsp/1/session") ;;
	B) args+=(-B -t PUT -s 1048576 -x 8 -f application/octet-stream
		-j "tenant=$TENANT"$'\r\n'"Authorization: Basic $AUTH_B64"$'\r\n'"Tsp-Digest: sha256=$(printf '%064d' 0)"
		-u "https://$SYS_ADDR$WRITE_PATH") ;;
	X) args+=(-X -k 10 -n 1 -w 512 -y 1024 -z 32
		-j "tenant=$TENANT"$'\r\n'"Authorization: Basic $AUTH_B64"
		-u "https://$SYS_ADDR$READ_PATH") ;;
	esac
	slowhttptest "${args[@]}" > "$2.stdout" 2>&1 &
	ATTACK_PID=$!
	bench_track "$ATTACK_PID"
}

# The attacker's connections to the system, established now.
attack_conns() {
	ss -Htn state established "( dport = :${SYS_ADDR##*:} )" 2> /dev/null | wc -l
}
# attack_wait SECONDS: until it holds 95 % of its connections; false if not in time.
attack_wait() {
	local end=$((SECONDS + $1))
	while ((SECONDS < end)); do
		(($(attack_conns) >= CONNECTIONS * 95 / 100)) && return 0
		kill -0 "$ATTACK_PID" 2> /dev/null || return 1
		sleep 0.5
	done
	return 1
}

# ---- one mode against one system -----------------------------------------------

declare -a REPORT=()
run_one() { # MODE SYSTEM
	local mode=$1 sys=$2 dir held=ok c0 c1 f0 f1 r0 r1 rss0 rss1 t0 t1 fbase released mem0 mem1
	start_system "$sys" "$mode"
	dir=$SYS_DIR
	probes "$dir/baseline"
	fbase=$(fds_of "$SYS_PID")
	mem0=$(mem_snapshot)
	attack_start "$mode" "$dir/attack"
	t0=$SECONDS
	attack_wait 40 || held="only $(attack_conns) of $CONNECTIONS after $((SECONDS - t0)) s"
	t0=$SECONDS
	c0=$(attack_conns) f0=$(fds_of "$SYS_PID") r0=$(fds_of "$REPO_PID") rss0=$(rss_kib "$SYS_PID")
	probes "$dir/attack-probes"
	((SECONDS - t0 >= MEM_SETTLE)) || sleep $((MEM_SETTLE - (SECONDS - t0)))
	c1=$(attack_conns) f1=$(fds_of "$SYS_PID") r1=$(fds_of "$REPO_PID") rss1=$(rss_kib "$SYS_PID")
	mem1=$(mem_snapshot)
	t1=$SECONDS
	[[ $sys == sluice* ]] && curl -sS --max-time 3 --unix-socket "$dir/admin.sock" -o "$dir/status.json" http://sluice/status
	bench_stop "$ATTACK_PID"
	released="left: $(fds_of "$SYS_PID") fds 30 s after the attack stopped (before it: $fbase)"
	fds_back() { (($(fds_of "$SYS_PID") <= fbase)); }
	poll 30 fds_back && released="released (back to $fbase fds)"
	REPORT+=("$(printf '%s %-8s baseline: %s' "$mode" "$sys" "$(summary "$dir/baseline")")")
	REPORT+=("$(printf '%s %-8s attack:   %s' "$mode" "$sys" "$(summary "$dir/attack-probes")")")
	REPORT+=("$(printf '           attack held: %s; attacker connections %s -> %s over %ss of probes; %s fds %s -> %s, RSS %s -> %s MiB; repository fds %s -> %s' \
		"$held" "$c0" "$c1" "$((t1 - t0))" "$sys" "$f0" "$f1" "$((rss0 / 1024))" "$((rss1 / 1024))" "$r0" "$r1")")
	REPORT+=("           once the attack stopped: $released")
	REPORT+=("$(mem_report "$mem0" "$mem1" "$c1")")
	if [[ -s $dir/attack.csv ]]; then
		REPORT+=("$(awk -F, 'NR > 1 { if ($4 > m) m = $4; if ($5 ~ /^[0-9]+$/ && $5 == 0) down++ }
			END { printf "           slowhttptest: most connected %d; its own probe found the service unavailable in %d of %d seconds", m, down, NR - 1 }' \
			"$dir/attack.csv")")
	fi
	grep -a -q 'Error' "$dir/attack.stdout" 2> /dev/null &&
		REPORT+=("           slowhttptest said: $(sed 's/\x1b\[[0-9;]*m//g' "$dir/attack.stdout" | grep -a 'Error' | sort | uniq -c | head -n 3 | paste -sd';' -)")
	if [[ $sys == sluice* ]]; then
		REPORT+=("           sluice log (notice and above, start-up lines left out): $(grep -v -e ' access: ' -e ' serving on ' \
			-e 'admin endpoint on' "$dir/log" | sed -E 's/^[^ ]+ sluice\[[0-9]+\]: //; s/peer=[0-9.:]+ //; s/[0-9]+/N/g' |
			sort | uniq -c | sort -rn | head -n 6 | awk '{ $1 = $1 "x"; print }' | paste -sd';' -)")
		[[ -s $dir/status.json ]] && REPORT+=("           /status during: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["counters"]; print("connections %s, refused_busy %s, errors %s" % (d["connections"]["current"], c["refused_busy"], c["errors"]))' "$dir/status.json" 2> /dev/null)")
	else
		REPORT+=("           haproxy log: $(sed -E 's/[0-9]+/N/g' "$dir/log" | sort | uniq -c | sort -rn | head -n 4 | awk '{ $1 = $1 "x"; print }' | paste -sd';' -)")
	fi
	system_stop
}

echo "slowhttp: $CONNECTIONS connections, $PROBES probes per phase, modes $MODES, systems $SYSTEMS" >&2
echo "slowhttp: scratch $BENCH_TMP; repository $REPO_ADDR; slowhttptest $(slowhttptest -h 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -n 1), $(haproxy -v 2>&1 | head -n 1 | cut -d' ' -f1-3)" >&2
for mode in $MODES; do
	for sys in $SYSTEMS; do
		echo "slowhttp: mode $mode against $sys ..." >&2
		run_one "$mode" "$sys"
	done
done
printf '%s\n' "${REPORT[@]}"
