# tests/e2e/lib.sh: a toolkit for sluice's end-to-end tests (bash). Source it:
#
#   . "$SLUICE_SRCDIR/tests/e2e/lib.sh"
#   e2e_setup                       temp dir $E2E_TMP, cleanup on exit, tools checked
#   tap_plan 5
#   e2e_make_ca; e2e_make_cert server 127.0.0.1
#   e2e_start_upstream up           tests/e2e/upstream.py (or e2e_start_repo: sluice-repo);
#                                   its address is in $PEER_ADDR
#   e2e_write_ini "$E2E_TMP/s.ini" "$PEER_ADDR"; e2e_start_sluice "$E2E_TMP/s.ini"
#   tap_check "hello answered" e2e_curl_status 200 /tsp/1/session
#
# Everything runs on 127.0.0.1 with ports the kernel picks (--ready-file), in a
# mktemp -d directory removed on exit (kept when E2E_KEEP=1), and waits for
# observable effects with bounded polls, never a fixed sleep. TAP output.
# A whole-script skip is the TAP plan "1..0 # SKIP why" and exit 0 (automake's TAP
# driver counts it as SKIP; it would call exit 77 an error); 99 is a hard error.

set -u

SLUICE_BUILDDIR=${SLUICE_BUILDDIR:-$(pwd)}
SLUICE_SRCDIR=${SLUICE_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SLUICE=${SLUICE:-$SLUICE_BUILDDIR/sluice}
SLUICE_REPO=${SLUICE_REPO:-$SLUICE_BUILDDIR/sluice-repo}
E2E_SRC=$SLUICE_SRCDIR/tests/e2e
E2E_TMP=
E2E_PIDS=()
TAP_N=0
TAP_FAILED=0

# A tenant "acme" with secret "s3cret", as in PROTOCOL.md's examples.
AUTH="Authorization: Basic YWNtZTpzM2NyZXQ="
POLL_STEP=0.05

# ---- TAP ----

tap_plan() { echo "1..$1"; }

tap_ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }

tap_not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	shift
	for line in "$@"; do echo "# $line"; done
}

# tap_check NAME CMD...: one test, passing when CMD succeeds.
tap_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		tap_ok "$name"
	else
		tap_not_ok "$name" "command: $*" "${out:0:2000}"
	fi
}

# same WHAT GOT WANT: two strings are equal.
same() {
	[[ $2 == "$3" ]] && return
	printf '%s\n  is   %s\n  want %s\n' "$1" "$2" "$3"
	return 1
}

# tap_status NAME STATUS [DIAGNOSTICS_FILE]: one test from a status computed
# in this shell (tap_check runs its command in a subshell, which cannot wait
# for this shell's children).
tap_status() {
	if [[ $2 == 0 ]]; then
		tap_ok "$1"
	else
		tap_not_ok "$1" "status $2" "$(head -c 2000 "${3:-/dev/null}")"
	fi
}

skip_all() { echo "1..0 # SKIP $1"; exit 0; }

hard_error() { echo "Bail out! $1"; exit 99; }

# ---- set-up and clean-up ----

e2e_cleanup() {
	local pid
	for pid in "${E2E_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${E2E_PIDS[@]}"; do
		e2e_wait_exit "$pid" 5 || kill -KILL "$pid" 2>/dev/null
	done
	if [ -n "$E2E_TMP" ] && [ "${E2E_KEEP:-0}" != 1 ]; then
		rm -rf "$E2E_TMP"
	elif [ -n "$E2E_TMP" ]; then
		echo "# kept $E2E_TMP"
	fi
}

e2e_setup() {
	local tool
	for tool in openssl curl python3; do
		command -v "$tool" >/dev/null 2>&1 || skip_all "$tool not installed"
	done
	[ -x "$SLUICE" ] || hard_error "no sluice binary at $SLUICE (run make first)"
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-e2e.XXXXXX") || hard_error "mktemp failed"
	trap e2e_cleanup EXIT
}

# wait_until SECONDS CMD...: poll CMD until it succeeds; false on timeout.
wait_until() {
	local limit=$1 tries
	shift
	tries=$(awk -v s="$limit" -v d="$POLL_STEP" 'BEGIN { printf "%d", s / d }')
	while [ "$tries" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep "$POLL_STEP"
		tries=$((tries - 1))
	done
	"$@" >/dev/null 2>&1
}

process_gone() { ! kill -0 "$1" 2>/dev/null; }

# e2e_wait_exit PID SECONDS: wait for a process to end; false if it did not.
e2e_wait_exit() { wait_until "$2" process_gone "$1"; }

# The exit status of a child once it ended (after e2e_wait_exit).
e2e_status_of() { wait "$1" 2>/dev/null; }

file_has() { grep -q -e "$2" "$1" 2>/dev/null; }
file_lacks() { ! grep -q -e "$2" "$1" 2>/dev/null; }

# wait_log FILE PATTERN [SECONDS]: a line matching PATTERN appears in FILE.
wait_log() { wait_until "${3:-10}" file_has "$1" "$2"; }

# ---- certificates ----

# A throw-away CA in $E2E_TMP/ca.{crt,key}. Certificates are valid for 30
# days, past [tls] expiry_warning's default (14d), so that sluice does not warn.
e2e_make_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/CN=sluice e2e CA" -keyout "$E2E_TMP/ca.key" -out "$E2E_TMP/ca.crt" \
		>/dev/null 2>&1 || hard_error "openssl cannot make a CA"
}

# e2e_make_cert NAME CN: $E2E_TMP/NAME.{crt,key}, signed by the CA, valid for
# 127.0.0.1 and localhost.
e2e_make_cert() {
	local name=$1 cn=$2 ext=$E2E_TMP/$1.ext
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$cn" \
		-keyout "$E2E_TMP/$name.key" -out "$E2E_TMP/$name.csr" >/dev/null 2>&1 &&
	openssl x509 -req -in "$E2E_TMP/$name.csr" -CA "$E2E_TMP/ca.crt" -CAkey "$E2E_TMP/ca.key" \
		-CAcreateserial -days 30 -extfile "$ext" -out "$E2E_TMP/$name.crt" >/dev/null 2>&1 ||
		hard_error "openssl cannot make the certificate $name"
}

# e2e_make_cert_dated NAME CN START END: as e2e_make_cert, valid from START to
# END (UTC, YYYYMMDDHHMMSSZ: "$(date -u -d '-3 days' +%Y%m%d%H%M%SZ)"). OpenSSL
# 3.0's `openssl ca` is what sets both dates; it keeps its records in
# $E2E_TMP/ca.db.
e2e_make_cert_dated() {
	local name=$1 cn=$2 db=$E2E_TMP/ca.db
	mkdir -p "$db" && touch "$db/index.txt" && [ -s "$db/serial" ] || openssl rand -hex 8 >"$db/serial"
	printf '[ca]\ndefault_ca = e2e\n[e2e]\ndatabase = %s/index.txt\nnew_certs_dir = %s\nserial = %s/serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n[server]\nsubjectAltName = IP:127.0.0.1,DNS:localhost\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n' \
		"$db" "$db" "$db" >"$db/ca.cnf"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$cn" \
		-keyout "$E2E_TMP/$name.key" -out "$E2E_TMP/$name.csr" >/dev/null 2>&1 &&
	openssl ca -batch -config "$db/ca.cnf" -cert "$E2E_TMP/ca.crt" -keyfile "$E2E_TMP/ca.key" \
		-in "$E2E_TMP/$name.csr" -out "$E2E_TMP/$name.crt" -startdate "$3" -enddate "$4" \
		-extensions server -notext >/dev/null 2>&1 ||
		hard_error "openssl cannot make the dated certificate $name"
}

# The subject CN of the certificate served at 127.0.0.1:PORT.
e2e_served_cn() {
	openssl s_client -connect "127.0.0.1:$1" -CAfile "$E2E_TMP/ca.crt" </dev/null 2>/dev/null |
		openssl x509 -noout -subject -nameopt multiline 2>/dev/null |
		sed -n 's/^ *commonName *= *//p'
}

# ---- peers ----

# Peers are started in the test's own shell (never inside $(...), whose pipe
# they would hold open); each sets PEER_ADDR and PEER_PID.

# e2e_start_upstream NAME [ARGS...]: the test upstream (upstream.py). Its
# request log is $E2E_TMP/NAME.log.
e2e_start_upstream() {
	local name=$1
	shift
	python3 "$E2E_SRC/upstream.py" --ready-file "$E2E_TMP/$name.ready" --log "$E2E_TMP/$name.log" \
		"$@" >/dev/null 2>>"$E2E_TMP/$name.err" &
	PEER_PID=$!
	E2E_PIDS+=($PEER_PID)
	wait_until 10 test -s "$E2E_TMP/$name.ready" || hard_error "upstream $name did not start"
	PEER_ADDR=$(head -n 1 "$E2E_TMP/$name.ready")
}

# e2e_start_repo NAME [ARGS...]: sluice-repo with tenant acme.
e2e_start_repo() {
	local name=$1
	shift
	echo "acme:s3cret" >"$E2E_TMP/$name.users"
	"$SLUICE_REPO" --listen 127.0.0.1:0 --data "$E2E_TMP/$name.data" --users "$E2E_TMP/$name.users" \
		--ready-file "$E2E_TMP/$name.ready" "$@" >/dev/null 2>>"$E2E_TMP/$name.err" &
	PEER_PID=$!
	E2E_PIDS+=($PEER_PID)
	wait_until 10 test -s "$E2E_TMP/$name.ready" || hard_error "sluice-repo $name did not start"
	PEER_ADDR=$(head -n 1 "$E2E_TMP/$name.ready")
}

# ---- sluice ----

# e2e_write_ini FILE UPSTREAM [CERT_NAME]: a configuration for tests: TLS with
# $E2E_TMP/CERT_NAME.{crt,key} (default "server"), port 0, no pidfile, no
# admin socket, debug log, access log on.
e2e_write_ini() {
	local file=$1 upstream=$2 cert=${3:-server}
	cat >"$file" <<EOF
[proxy]
listen = 127.0.0.1:0
upstream = $upstream
pidfile =
max_connections = 1000
[tls]
certificate = $E2E_TMP/$cert.crt
private_key = $E2E_TMP/$cert.key
[maintenance]
enabled = off
[limits]
[timeouts]
[log]
level = debug
requests = on
[admin]
socket =
EOF
}

# ini_set FILE SECTION KEY VALUE: set a key (adding it, or its section).
ini_set() {
	awk -v sec="[$2]" -v key="$3" -v val="$4" '
		/^\[/ { if (in_sec && !done) { print key " = " val; done = 1 } in_sec = ($0 == sec) }
		in_sec && !done && $0 ~ "^" key "[ \t]*=" { print key " = " val; done = 1; next }
		{ print }
		END { if (!done) { if (!in_sec) print sec; print key " = " val } }
	' "$1" >"$1.new" && mv "$1.new" "$1"
}

# e2e_start_sluice INI [NAME]: start sluice -f; sets SLUICE_PID, SLUICE_PORT,
# SLUICE_LOG ($E2E_TMP/NAME.log, default sluice). SLUICE_E2E_WORKERS=N sets
# [proxy] workers = N in INI first, unless the test set it itself (CI runs
# the suite with workers = 2 under ThreadSanitizer).
e2e_start_sluice() {
	local ini=$1 name=${2:-sluice}
	SLUICE_LOG=$E2E_TMP/$name.log
	if [ -n "${SLUICE_E2E_WORKERS:-}" ] && ! grep -q '^workers[ \t]*=' "$ini"; then
		ini_set "$ini" proxy workers "$SLUICE_E2E_WORKERS"
	fi
	rm -f "$E2E_TMP/$name.ready"
	"$SLUICE" -c "$ini" -f --ready-file "$E2E_TMP/$name.ready" >/dev/null 2>>"$SLUICE_LOG" &
	SLUICE_PID=$!
	E2E_PIDS+=($SLUICE_PID)
	wait_until 10 test -s "$E2E_TMP/$name.ready" ||
		hard_error "sluice did not start: $(tail -n 5 "$SLUICE_LOG")"
	SLUICE_PORT=$(head -n 1 "$E2E_TMP/$name.ready" | sed 's/.*://')
}

# e2e_reload: SIGHUP, then wait for the outcome line; false if it failed.
e2e_reload() {
	local before
	before=$(grep -c -e 'reloaded \|reload failed' "$SLUICE_LOG")
	kill -HUP "$SLUICE_PID"
	wait_until 10 reload_logged_after "$before" || return 1
	[ "$(grep -e 'reloaded \|reload failed' "$SLUICE_LOG" | tail -n 1 | grep -c 'reloaded ')" = 1 ]
}
reload_logged_after() { [ "$(grep -c -e 'reloaded \|reload failed' "$SLUICE_LOG")" -gt "$1" ]; }

# ---- tenants ----

# e2e_curl PATH [CURL ARGS...]: a TSP request through sluice over TLS.
e2e_curl() {
	local path=$1
	shift
	curl -sS --cacert "$E2E_TMP/ca.crt" -H "$AUTH" "$@" "https://127.0.0.1:$SLUICE_PORT$path"
}

# e2e_curl_status WANT PATH [CURL ARGS...]: the status is WANT.
e2e_curl_status() {
	local want=$1 got
	shift
	got=$(e2e_curl "$@" -o /dev/null -w '%{http_code}') || true
	[ "$got" = "$want" ] || { echo "status $got, wanted $want"; return 1; }
}

# e2e_raw FILE: send FILE's bytes over TLS as they are (pipelined requests)
# and print everything that comes back until sluice closes the connection.
e2e_raw() {
	openssl s_client -quiet -ign_eof -connect "127.0.0.1:$SLUICE_PORT" \
		-CAfile "$E2E_TMP/ca.crt" <"$1" 2>/dev/null
}

# Status codes of the responses in a raw transcript, in order.
# (A status line follows the previous body directly, so it is matched anywhere.)
e2e_statuses() { grep -a -o 'HTTP/1.1 [0-9][0-9][0-9] ' "$1" | awk '{ printf "%s ", $2 }' | sed 's/ $//'; }

# e2e_job_open CAT JOB [ORIGIN [WORKLOAD]]: the request line and headers of a job open.
tsp_job_open() {
	printf 'POST /tsp/1/%s/jobs/%s HTTP/1.1\r\nHost: t\r\n%s\r\nTsp-Origin: %s\r\nTsp-Workload: %s\r\n' \
		"$1" "$2" "$AUTH" "${3:-vbr}" "${4:-vsphere}"
	[ "$1" = restore ] && printf 'Tsp-Source: %s\r\n' "${5:-nightly}"
	[ "$1" = replication ] && printf 'Tsp-Operation: replicate\r\n'
	printf '\r\n'
}

# e2e_finish: the script's last command. Stops every process the test
# started (so that sanitizers write their exit reports) and fails the script
# when any test failed or any log holds a sanitizer report (shown as TAP
# comments; a non-zero exit is an error for automake's TAP driver).
e2e_finish() {
	local pid reports log
	for pid in "${E2E_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${E2E_PIDS[@]}"; do
		e2e_wait_exit "$pid" 10
	done
	reports=$(grep -l -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' \
		"$E2E_TMP"/*.log "$E2E_TMP"/*.err 2>/dev/null)
	for log in $reports; do
		echo "# sanitizer report in $log:"
		grep -A 20 -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$log" |
			head -n 40 | sed 's/^/#   /'
	done
	[ "$TAP_FAILED" -eq 0 ] && [ -z "$reports" ]
}
