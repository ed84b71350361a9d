# shellcheck shell=bash disable=SC2034  # SYS_ADDR, REPO_ADDR are read by the caller
# bench/systems.sh: the systems under test and the repositories behind them,
# for bench/run (sourced after lib.sh).
#
#   direct      nginx as the TLS origin itself: no proxy hop (nginx-origin.conf.in)
#   sluice      sluice, maintenance off
#   sluice-maint  sluice with maintenance on (drain): refusals, and the cost of
#               maintenance on the traffic it still forwards (restores)
#   sluice-b    another sluice binary (BENCH_SLUICE_B=PATH), maintenance off:
#               a before/after comparison of two builds in one invocation
#   sluice-wN   sluice with [proxy] workers = N (N from 1 to 64), maintenance
#               off: `--systems sluice-w1,sluice-w2` compares worker counts in
#               one invocation (sluice itself runs workers = 1)
#   haproxy     HAProxy, one thread, tune.bufsize at its default (16 KiB)
#   haproxy64k  the same with tune.bufsize 65536
#   nginx       nginx proxy_pass, one worker, proxy_request_buffering off
#   nginx-b     nginx with BENCH_NGINX_B's directives added to its location
#               (not in the default set): `--systems nginx,nginx-b` weighs a
#               tuning in one invocation
#   hitch       hitch, TLS termination only (a TCP relay, no HTTP parsing), one
#               worker; one upstream connection per client connection (no pool)
#
# All terminate TLS with the same ECDSA P-256 certificate, TLS 1.2 and 1.3,
# the same cipher lists (Mozilla intermediate, sluice's defaults).
# system_start NAME sets SYS_PID (the process whose tree is measured) and
# SYS_ADDR (host:port); it reads the workload's W_UPSTREAM, W_RESUME,
# W_REFUSE and W_PROFILE (sluice's [proxy] profile). system_stop stops it.
#
# The restic workload's upstream is `rclone serve restic` (plain HTTP on
# 127.0.0.1), one fresh process and repository directory per run
# (rclone_start), so every backup uploads all its data: restic deduplicates
# against what a repository already holds.

CIPHERS=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305
CIPHERSUITES=TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
ECHO_MODULE=/usr/lib/nginx/modules/ngx_http_echo_module.so

# The answer the peers give in the refusal workload: sluice's own refusal.
REFUSAL_MESSAGE='Service provider is currently undergoing scheduled maintenance.'
REFUSAL_BODY="{\"error\":\"maintenance\",\"message\":\"$REFUSAL_MESSAGE\"}"

ALL_SYSTEMS="direct sluice sluice-maint haproxy haproxy64k nginx hitch"
KNOWN_SYSTEMS="$ALL_SYSTEMS sluice-b nginx-b"
PROFILE_WRAP=()

# certificates_make DIR: one self-signed ECDSA P-256 pair for 127.0.0.1;
# sets CERT, KEY and PEM (both in one file, for HAProxy).
certificates_make() {
	CERT=$1/cert.pem KEY=$1/key.pem PEM=$1/haproxy.pem
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
		-keyout "$KEY" -out "$CERT" 2> "$1/openssl.log" || die "openssl req failed: $(tail -n 2 "$1/openssl.log")"
	cat "$CERT" "$KEY" > "$PEM"
}

# static_upstream_start: nginx serving the www/ tree over plain HTTP, the
# upstream of the idle workload; sets STATIC_ADDR. It stays up for the run.
static_upstream_start() {
	local W_RESUME=on W_REFUSE=0 W_UPSTREAM=none
	SYS_DIR=$BENCH_TMP/static-upstream
	mkdir -p "$SYS_DIR"
	nginx_start nginx-origin.conf.in plain
	STATIC_ADDR=$SYS_ADDR
}

# nginx_upstream_start: the --upstream nginx of the byte workloads: plain
# HTTP, block writes read whole and dropped (204), restore reads from the
# www/ tree; it logs each request's length and status (nginx-upstream.log) so
# that bench/run can check it read every byte. Sets NGINX_UPSTREAM,
# NGINX_UPSTREAM_LOG. It stays up for the run.
nginx_upstream_start() {
	local W_RESUME=on W_REFUSE=0 W_UPSTREAM=none
	SYS_DIR=$BENCH_TMP/nginx-upstream
	mkdir -p "$SYS_DIR"
	local action="client_body_buffer_size 16m; echo_read_request_body; echo_status 204;"
	# BENCH_UPSTREAM_EARLY_204=1: answer before reading the body (return 204;
	# nginx then discards the body), to see what that does to the proxies.
	[[ ${BENCH_UPSTREAM_EARLY_204:-0} == 1 ]] && action="return 204;"
	nginx_start nginx-upstream.conf.in plain "" "$action"
	NGINX_UPSTREAM=$SYS_ADDR NGINX_UPSTREAM_LOG=$SYS_DIR/access.log NGINX_UPSTREAM_PID=$SYS_PID
}

# nginx_upstream_check: every block write the nginx upstream answered was
# answered 204 and every read 200 (its access log). That it read each body
# whole is checked per run (measure_requests: the bytes it read).
nginx_upstream_check() {
	local other
	other=$(awk '!(($1 == "PUT" && $2 == 204) || ($1 == "GET" && $2 == 200))' "$NGINX_UPSTREAM_LOG" | wc -l)
	echo "bench/run: nginx upstream: $(awk '$1 == "PUT" { n++ } END { printf "%d block writes", n }' "$NGINX_UPSTREAM_LOG")," \
		"$(awk '$1 == "GET" { n++; b += $4 } END { printf "%d reads (%.0f bytes sent)", n, b }' "$NGINX_UPSTREAM_LOG")," \
		"$other answers neither 204 to a PUT nor 200 to a GET" >&2
	# wrk stops with requests in flight: their bodies are cut short (400, 499)
	[[ $other == 0 || $GENERATOR == wrk ]]
}

# repo_start NAME [ARGS...]: sluice-repo on a free port; sets REPO_ADDR.
repo_start() {
	local name=$1 dir=$BENCH_TMP/$1
	shift
	mkdir -p "$dir"
	"$BUILD/sluice-repo" --listen 127.0.0.1:0 --data "$dir/data" --users "$BENCH_TMP/users" \
		--ready-file "$dir/ready" "$@" 2> "$dir/log" &
	bench_track "$!"
	poll "$BENCH_WAIT" test -s "$dir/ready" || die "sluice-repo ($name) did not start: $(tail -n 3 "$dir/log")"
	REPO_ADDR=$(head -n 1 "$dir/ready")
}

system_start() {
	local name=$1
	SYS_DIR=$BENCH_TMP/sys/$name
	rm -rf "$SYS_DIR"
	mkdir -p "$SYS_DIR"
	case $name in
	direct) nginx_start nginx-origin.conf.in ssl ;;
	sluice) sluice_start off ;;
	sluice-maint) sluice_start on ;;
	sluice-b) sluice_start off "${BENCH_SLUICE_B:?sluice-b needs BENCH_SLUICE_B=/path/to/sluice}" ;;
	sluice-w*) sluice_start off "" "${name#sluice-w}" ;;
	haproxy) haproxy_start "" ;;
	haproxy64k) haproxy_start "tune.bufsize 65536" ;;
	nginx) nginx_start nginx-proxy.conf.in ssl ;;
	nginx-b) nginx_start nginx-proxy.conf.in ssl "${BENCH_NGINX_B:?nginx-b needs BENCH_NGINX_B='directive value; ...'}" ;;
	hitch) hitch_start ;;
	*) die "unknown system $name (known: $ALL_SYSTEMS)" ;;
	esac
}

system_stop() {
	bench_stop "$SYS_PID"
}

# is_workers_system NAME: NAME is sluice-wN, sluice with [proxy] workers = N.
is_workers_system() {
	[[ $1 =~ ^sluice-w([1-9]|[1-5][0-9]|6[0-4])$ ]]
}

# sluice_start on|off [BINARY [WORKERS]]: maintenance on or off; WORKERS
# threads (1 unless given).
sluice_start() {
	local tickets=on cache=20480 binary=${2:-$BUILD/sluice} workers=${3:-1}
	[[ $W_RESUME == off ]] && tickets=off cache=0
	fill_template "$BENCH_CONF/sluice.ini.in" PROFILE="$W_PROFILE" UPSTREAM="$W_UPSTREAM" MAXCONN="$MAXCONN" \
		CERT="$CERT" KEY="$KEY" CIPHERS="$CIPHERS" CIPHERSUITES="$CIPHERSUITES" \
		TICKETS=$tickets SESSION_CACHE=$cache MAINTENANCE="$1" WORKERS="$workers" > "$SYS_DIR/sluice.ini"
	# --profile callgrind runs sluice under valgrind (PROFILE_WRAP, from bench/profile.sh).
	"${PROFILE_WRAP[@]}" "$binary" -c "$SYS_DIR/sluice.ini" -f --ready-file "$SYS_DIR/ready" \
		2> "$SYS_DIR/log" &
	SYS_PID=$!
	bench_track "$SYS_PID"
	poll "$BENCH_WAIT" test -s "$SYS_DIR/ready" || die "sluice did not start: $(tail -n 3 "$SYS_DIR/log")"
	SYS_ADDR=$(head -n 1 "$SYS_DIR/ready")
}

# peer_wait PORT NAME: the peer listens, or the run ends with its log.
peer_wait() {
	poll "$BENCH_WAIT" can_connect "$1" && return 0
	die "$2 did not start: $(tail -n 5 "$SYS_DIR/log" "$SYS_DIR/error.log" 2> /dev/null)"
}

haproxy_start() {
	local port action="default_backend repository" bind_options="" ssl_cache=""
	port=$(free_port)
	[[ $W_RESUME == off ]] && bind_options=no-tls-tickets ssl_cache="tune.ssl.cachesize 0"
	[[ $W_REFUSE == 1 ]] && action="http-request return status 503 content-type application/json string '$REFUSAL_BODY' hdr Tsp-Maintenance drain"
	fill_template "$BENCH_CONF/haproxy.cfg.in" PORT="$port" UPSTREAM="$W_UPSTREAM" MAXCONN="$MAXCONN" \
		DIR="$SYS_DIR" PEM="$PEM" CIPHERS="$CIPHERS" CIPHERSUITES="$CIPHERSUITES" BUFSIZE="$1" \
		SSL_CACHE="$ssl_cache" BIND_OPTIONS="$bind_options" ACTION="$action" > "$SYS_DIR/haproxy.cfg"
	haproxy -db -f "$SYS_DIR/haproxy.cfg" > "$SYS_DIR/log" 2>&1 &
	SYS_PID=$!
	bench_track "$SYS_PID"
	peer_wait "$port" haproxy
	SYS_ADDR=127.0.0.1:$port
}

# hitch_start: hitch in front of W_UPSTREAM, one worker, in the foreground.
# Started as root it insists on dropping to an unprivileged user after it
# has read the key and bound its socket (the Debian package's _hitch).
hitch_start() {
	local port user_line=""
	port=$(free_port)
	[[ $(id -u) == 0 ]] && user_line='user = "_hitch"'
	fill_template "$BENCH_CONF/hitch.conf.in" PORT="$port" UPSTREAM_HOST="${W_UPSTREAM%:*}" \
		UPSTREAM_PORT="${W_UPSTREAM##*:}" PEM="$PEM" CIPHERS="$CIPHERS" CIPHERSUITES="$CIPHERSUITES" \
		DIR="$SYS_DIR" USER_LINE="$user_line" > "$SYS_DIR/hitch.conf"
	hitch --config="$SYS_DIR/hitch.conf" > "$SYS_DIR/log" 2>&1 &
	SYS_PID=$!
	bench_track "$SYS_PID"
	peer_wait "$port" hitch
	SYS_ADDR=127.0.0.1:$port
}

# nginx_start TEMPLATE ssl|plain [DIRECTIVES [BACKUP_ACTION]]: DIRECTIVES for
# nginx-b, BACKUP_ACTION for the nginx upstream's block writes.
nginx_start() {
	local port user_line="" tickets=on cache=none action="proxy_pass http://repository;" tls=""
	port=$(free_port)
	[[ $(id -u) == 0 ]] && user_line="user root;" # workers must read the scratch directory
	[[ $W_RESUME == off ]] && tickets=off cache=off
	[[ $W_REFUSE == 1 ]] && action="default_type application/json; add_header Tsp-Maintenance drain always; return 503 '$REFUSAL_BODY';"
	[[ $2 == ssl ]] && tls=ssl
	fill_template "$BENCH_CONF/$1" PORT="$port" UPSTREAM="$W_UPSTREAM" DIR="$SYS_DIR" WWW="$BENCH_TMP/www" \
		CERT="$CERT" KEY="$KEY" CIPHERS="$CIPHERS" CIPHERSUITES="$CIPHERSUITES" TICKETS=$tickets \
		SESSION_CACHE=$cache USER_LINE="$user_line" NOFILE="$NOFILE" WORKER_CONNECTIONS=$((2 * MAXCONN + 64)) \
		ECHO_MODULE="$ECHO_MODULE" ACTION="$action" LISTEN_TLS="$tls" EXTRA="${3:-}" \
		BACKUP_ACTION="${4:-}" > "$SYS_DIR/nginx.conf"
	nginx -c "$SYS_DIR/nginx.conf" -e "$SYS_DIR/error.log" > "$SYS_DIR/log" 2>&1 &
	SYS_PID=$!
	bench_track "$SYS_PID"
	peer_wait "$port" nginx
	SYS_ADDR=127.0.0.1:$port
}

# restic_data_make: the restic workload's source, RESTIC_MIB MiB of random
# data in 8 files (RESTIC_SRC), and where every run's repository and restore
# go (RESTIC_DATA): BENCH_RESTIC_DIR if set, else the tmpfs /dev/shm when it
# has room for the source, one repository and one restore at a time: the proxy is what
# is measured, not this VM's disk, whose writeback (rclone writing the
# repository, restic writing the restore) would add its noise to restic's
# wall time; and the source is read from memory on every run alike. The disk
# (the scratch directory) otherwise, said on stderr and in the TSV's head.
restic_data_make() {
	local mib=$((RESTIC_MIB)) need i
	RESTIC_PASSWORD=bench-restic-password # the repository's key (restic encrypts client-side)
	RESTIC_CONNECTIONS=${BENCH_RESTIC_CONNECTIONS:-5} # restic's default
	RESTIC_REPO_PATH=/$TENANT/
	if [[ $PROFILE == callgrind ]]; then # sluice runs 50 times slower under valgrind
		mib=$((mib / PROFILE_CALLGRIND_DIVISOR))
		((mib >= 16)) || mib=16
	fi
	RESTIC_BYTES=$((mib * 1048576))
	need=$((mib * 3 + 256)) # MiB: source, repository, restore, slack
	if [[ -n ${BENCH_RESTIC_DIR:-} ]]; then
		RESTIC_DATA=$(mktemp -d "$BENCH_RESTIC_DIR/sluice-bench-restic.XXXXXX") ||
			die "cannot make a directory in BENCH_RESTIC_DIR=$BENCH_RESTIC_DIR"
		RESTIC_STORAGE="$(stat -f -c %T "$BENCH_RESTIC_DIR") $BENCH_RESTIC_DIR"
	elif [[ $(stat -f -c %T /dev/shm 2> /dev/null) == tmpfs ]] &&
		(($(stat -f -c '%a * %S' /dev/shm) / 1048576 >= need)); then
		RESTIC_DATA=$(mktemp -d /dev/shm/sluice-bench-restic.XXXXXX) || die "cannot make a directory in /dev/shm"
		RESTIC_STORAGE="tmpfs /dev/shm"
	else
		RESTIC_DATA=$BENCH_TMP/restic RESTIC_STORAGE="disk $BENCH_TMP (no tmpfs with $need MiB free)"
		mkdir -p "$RESTIC_DATA"
		echo "bench/run: restic: /dev/shm has not $need MiB free: repositories and restores on the disk" >&2
	fi
	BENCH_DIRS+=("$RESTIC_DATA")
	RESTIC_SRC=$RESTIC_DATA/source
	mkdir -p "$RESTIC_SRC"
	for i in 1 2 3 4 5 6 7 8; do
		head -c $((RESTIC_BYTES / 8)) /dev/urandom > "$RESTIC_SRC/random-$i.bin" ||
			die "cannot write the restic source data in $RESTIC_SRC"
	done
	note "restic: $mib MiB of random data in $RESTIC_SRC ($RESTIC_STORAGE)"
}

# rclone_start NAME: `rclone serve restic` on a free port over a new, empty
# directory (RESTIC_RUN/repository); the tenant's user and secret (sluice
# and HAProxy forward the client's Authorization). Sets RCLONE_ADDR,
# RCLONE_PID, RESTIC_RUN. A port taken meanwhile by someone else: try again.
rclone_start() {
	local attempt port dir=$BENCH_TMP/rclone.$1
	RESTIC_RUN=$RESTIC_DATA/run.$1
	rm -rf "$RESTIC_RUN"
	mkdir -p "$RESTIC_RUN/repository" "$dir"
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		RCLONE_CONFIG=$dir/rclone.conf rclone serve restic --addr "127.0.0.1:$port" \
			--user "$TENANT" --pass "$SECRET" "$RESTIC_RUN/repository" > "$dir/log" 2>&1 &
		RCLONE_PID=$!
		bench_track "$RCLONE_PID"
		if poll "$BENCH_WAIT" rclone_answers "$port"; then
			RCLONE_ADDR=127.0.0.1:$port
			return 0
		fi
		bench_stop "$RCLONE_PID"
	done
	die "rclone serve restic did not start: $(tail -n 3 "$dir/log")"
}

# rclone_answers PORT: our rclone is up and knows the tenant (the repository
# does not exist yet: 404).
rclone_answers() {
	kill -0 "$RCLONE_PID" 2> /dev/null &&
		[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -u "$TENANT:$SECRET" \
			"http://127.0.0.1:$1$RESTIC_REPO_PATH""config") == 404 ]]
}

# rclone_stop: stop the run's rclone and remove its repository and restore.
rclone_stop() {
	bench_stop "$RCLONE_PID"
	rm -rf "$RESTIC_RUN"
}
