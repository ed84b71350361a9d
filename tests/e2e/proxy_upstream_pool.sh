#!/bin/bash
# tests/e2e/proxy_upstream_pool.sh: idle repository connections kept for
# reuse ([limits] upstream_idle_connections, [timeouts] upstream_idle) (TAP).
#
# The real stack: sluice-repo -v (it logs every connection it accepts and
# closes, and the peer of every request) behind sluice over TLS with its
# admin socket. Each case is proven by what the repository saw, by the
# sockets (ss) and by the /metrics counters:
#   1. sequential tenant connections share one repository connection;
#   2. a repository restart: the dead idle connection is dropped, the next
#      request is answered by the new process, no 502;
#   3. a tenant's Connection: close is hop-by-hop: it ends the tenant
#      connection (its answer says so) but is not forwarded, and the
#      repository connection is parked again; a request cut short leaves
#      nothing parked;
#   4. a reload to another repository closes the old idle connection;
#   5. upstream_idle_connections = 0: one connect per tenant connection;
#   6. [timeouts] upstream_idle closes an idle connection;
#   7. upstream_tls: the TLS session moves with the connection; a
#      repository that would close after a request with Connection: close
#      never sees the tenant's, so its connection is parked again;
#   8. the reuse race (a repository closing a kept-alive connection as a
#      request arrives): the request is sent again on a fresh connection,
#      once, and the tenant gets its answer, never a 502.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

stack_init
command -v ss > /dev/null 2>&1 || skip_all "ss (iproute2) not installed"
stack_tenant_add acme acme-secret
stack_ini_set log.level debug
stack_ini_set limits.upstream_idle_connections 64 # off by default
e2e_make_ca
e2e_make_cert server 127.0.0.1
stack_repo_start -v
stack_proxy_start
tap_plan 28
work=$STACK_OUT
repo_log=$STACK_REPO_LOG

# ---- helpers ----------------------------------------------------------------

# metric SERIES: its value in a fresh GET /metrics ("name" or 'name{a="b"}').
metric() {
	curl -sS --max-time "$STACK_TIMEOUT" --unix-socket "$STACK_ADMIN_SOCKET" http://sluice/metrics |
		awk -v k="$1" '$1 == k { print $2 }'
}
metric_is() { [[ $(metric "$1") == "$2" ]]; }
# delta WHAT SERIES BEFORE WANT: the series moved by WANT since BEFORE.
delta() {
	local now
	now=$(metric "$2")
	same "$1 (${2}: $3 -> $now)" "$((now - $3))" "$4"
}
# up_sockets ADDR: the local ports of sluice's established connections to
# the repository at ADDR (host:port), sorted.
up_sockets() {
	ss -Htn state established "( dport = :${1##*:} )" |
		awk '{ n = split($3, a, ":"); print a[n] }' | sort
}
up_count() { up_sockets "$1" | grep -c .; }
up_count_is() { [[ $(up_count "$1") == "$2" ]]; }
# sockets_to_are ADDR N: (within the stack's bound) N connections to ADDR.
sockets_to_are() {
	wait_until "$STACK_TIMEOUT" up_count_is "$1" "$2" && return
	echo "$(up_count "$1") connections to $1, wanted $2"
	return 1
}
# From a repository's log: connections it accepted, and the peers (sluice's
# side) of the last N requests for "METHOD PATH" (distinct ones counted).
accepted() { grep -c ': connected$' "$1"; }
peers_of_last() {
	grep -F " acme $3 " "$1" | tail -n "$2" | sed 's/^sluice-repo: \([^ ]*\) .*/\1/' | sort -u | grep -c .
}

# all CHECK...: every check (a command line) holds; each says what it found
# when it does not.
all() {
	local check status=0
	for check in "$@"; do
		eval "$check" || status=1
	done
	return $status
}

hello() { stack_curl "$work/$1" acme GET /tsp/1/session "${@:2}"; }
# hello_from OUT SERVER: a hello through sluice, answered 200 by SERVER.
hello_from() {
	local code
	code=$(hello "$1") || { echo "curl failed: $(cat "$work/$1.err")"; return 1; }
	same "status" "$code" 200 && json_is "$work/$1.body" .server "$2"
}
job_open() {
	stack_curl "$1" acme POST "/tsp/1/backup/jobs/$2" -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere'
}

# cut_block_write JOB GO: over TLS, the head of a 1000-byte block write and
# 10 bytes of its body; prints "sent", then closes once the file GO exists.
cut_block_write() {
	python3 - "$SLUICE_PORT" "$STACK_CA" "$1" "${STACK_SECRETS[acme]}" "$2" "$STACK_TIMEOUT" <<'PY'
import base64, os, socket, ssl, sys, time
port, ca, job, secret, go, limit = sys.argv[1:]
ctx = ssl.create_default_context(cafile=ca)
auth = base64.b64encode(("acme:" + secret).encode()).decode()
head = ("PUT /tsp/1/backup/jobs/%s/tasks/t1/blocks/0 HTTP/1.1\r\nHost: t\r\n"
        "Authorization: Basic %s\r\nTsp-Digest: sha256=%s\r\nContent-Length: 1000\r\n\r\n"
        % (job, auth, "0" * 64))
with socket.create_connection(("127.0.0.1", int(port))) as raw:
    with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
        s.sendall(head.encode() + b"x" * 10)
        print("sent", flush=True)
        deadline = time.monotonic() + float(limit)
        while not os.path.exists(go) and time.monotonic() < deadline:
            time.sleep(0.05)  # a bounded poll for the test's signal
PY
}

# settled: every tenant connection has ended (and its repository connection
# was parked or closed).
settled() { wait_until "$STACK_TIMEOUT" metric_is sluice_connections 0 || stack_fail "a tenant connection did not end"; }

# reload_with KEY=VALUE...: set keys in the INI, SIGHUP, wait for "reloaded".
reload_with() {
	local kv
	for kv in "$@"; do
		stack_ini_set "${kv%%=*}" "${kv#*=}"
	done
	stack_ini_write
	e2e_reload || stack_fail "the reload with $* failed"
}

# ---- 1. sequential tenant connections, one repository connection ----------
# The stack's start-up probes went through sluice already: one idle connection.
settled
wait_until "$STACK_TIMEOUT" metric_is sluice_upstream_idle_connections 1 ||
	stack_fail "no idle repository connection after start-up"
c0=$(metric sluice_upstream_connects_total) r0=$(metric sluice_upstream_reused_total)
a0=$(accepted "$repo_log")
before=$(up_sockets "$STACK_REPO_ADDR")
tap_check "two sequential tenant TLS connections are answered by the repository" \
	all 'hello_from one sluice-repo' 'hello_from two sluice-repo'
tap_check "... with no new connect and two reuses" \
	all "delta connects sluice_upstream_connects_total $c0 0" "delta reuses sluice_upstream_reused_total $r0 2"
tap_check "... the repository accepted no connection; both requests came on the one it had" \
	all "same accepted \$(accepted '$repo_log') $a0" \
	    "same peers \$(peers_of_last '$repo_log' 2 'GET /tsp/1/session') 1"
tap_check "... which is still the one established connection" \
	same "connections" "$(up_sockets "$STACK_REPO_ADDR")" "$before"

# ---- 2. the repository restarts: the idle connection dies ------------------
closed0=$(metric 'sluice_upstream_idle_closed_total{reason="repository"}')
c0=$(metric sluice_upstream_connects_total)
repo_pid=${E2E_PIDS[0]}
kill -TERM "$repo_pid"
e2e_wait_exit "$repo_pid" "$STACK_TIMEOUT" || stack_fail "sluice-repo did not stop"
"$SLUICE_REPO" --listen "$STACK_REPO_ADDR" --data "$STACK_DATA" --users "$E2E_TMP/users" \
	--ready-file "$E2E_TMP/repo-again.ready" -v 2>> "$E2E_TMP/repo-again.log" &
E2E_PIDS+=("$!")
wait_until "$STACK_TIMEOUT" test -s "$E2E_TMP/repo-again.ready" ||
	stack_fail "sluice-repo did not start again on $STACK_REPO_ADDR: $(tail -n 3 "$E2E_TMP/repo-again.log")"
repo_log=$E2E_TMP/repo-again.log
job=$(stack_job restart)
code=$(job_open "$work/open" "$job")
tap_check "after a repository restart the next request is answered: 201, the job open" \
	all "same status '$code' 201" "json_is '$work/open.body' '\"\\(.job) \\(.state)\"' '$job open'"
tap_check "... by the new process, on a new connection" \
	all "file_has '$repo_log' ' acme POST /tsp/1/backup/jobs/$job 201'" "same accepted \$(accepted '$repo_log') 1"
tap_check "... the dead idle connection was dropped and counted, and a connect made" \
	all "delta closed 'sluice_upstream_idle_closed_total{reason=\"repository\"}' $closed0 1" \
	    "delta connects sluice_upstream_connects_total $c0 1"
tap_check "... and no 502 went out" file_lacks "$SLUICE_LOG" 'status=502'

# ---- 3. Connection: close is hop-by-hop; a cut request is not parked -------
wait_until "$STACK_TIMEOUT" metric_is sluice_upstream_idle_connections 1 ||
	stack_fail "the job open's repository connection was not parked"
p0=$(metric sluice_upstream_parked_total) r0=$(metric sluice_upstream_reused_total)
before=$(up_sockets "$STACK_REPO_ADDR")
code=$(hello close -H 'Connection: close')
settled
tap_check "a request with Connection: close is answered (200) on the idle connection, with Connection: close" \
	all "same status '$code' 200" "delta reuses sluice_upstream_reused_total $r0 1" \
	    "same 'Connection header' \"\$(stack_header '$work/close' Connection)\" close"
tap_check "... the tenant connection ended; the repository's, which never saw the close, is parked again" \
	all "delta parked sluice_upstream_parked_total $p0 1" "metric_is sluice_upstream_idle_connections 1" \
	    "same connections \"\$(up_sockets '$STACK_REPO_ADDR')\" '$before'"

p0=$(metric sluice_upstream_parked_total) r0=$(metric sluice_upstream_reused_total)
p0=$(metric sluice_upstream_parked_total) r0=$(metric sluice_upstream_reused_total)
job=$(stack_job cut)
cut_block_write "$job" "$work/cut.go" > "$work/cut.out" 2>&1 &
cut_pid=$!
tap_check "a block write cut after 10 of its 1000 body bytes goes out on the idle connection" \
	all "wait_until $STACK_TIMEOUT file_has '$work/cut.out' '^sent\$'" \
	    "wait_until $STACK_TIMEOUT metric_is sluice_upstream_reused_total $((r0 + 1))"
: > "$work/cut.go"
wait "$cut_pid"
settled
tap_check "... which is closed, not parked, when the tenant goes" \
	all "delta parked sluice_upstream_parked_total $p0 0" "metric_is sluice_upstream_idle_connections 0" \
	    "sockets_to_are $STACK_REPO_ADDR 0"

# ---- 4. a reload to another repository -------------------------------------
hello_from warm2 sluice-repo > /dev/null || stack_fail "no hello before the reload"
old_addr=$STACK_REPO_ADDR
"$SLUICE_REPO" --listen 127.0.0.1:0 --data "$E2E_TMP/data2" --users "$E2E_TMP/users" \
	--ready-file "$E2E_TMP/repo2.ready" -v 2>> "$E2E_TMP/repo2.log" &
E2E_PIDS+=("$!")
wait_until "$STACK_TIMEOUT" test -s "$E2E_TMP/repo2.ready" || stack_fail "the second sluice-repo did not start"
repo2=$(head -n 1 "$E2E_TMP/repo2.ready")
reload0=$(metric 'sluice_upstream_idle_closed_total{reason="reload"}')
reload_with proxy.upstream="$repo2"
tap_check "a reload to another repository closes the idle connection to the old one" \
	all "delta closed 'sluice_upstream_idle_closed_total{reason=\"reload\"}' $reload0 1" \
	    "metric_is sluice_upstream_idle_connections 0" "sockets_to_are $old_addr 0"
job=$(stack_job moved)
code=$(job_open "$work/open2" "$job")
tap_check "... and the next request reaches the new one (201)" \
	all "same status '$code' 201" "file_has '$E2E_TMP/repo2.log' ' acme POST /tsp/1/backup/jobs/$job 201'" \
	    "file_lacks '$repo_log' '/jobs/$job '"
repo_log=$E2E_TMP/repo2.log

# ---- 5. upstream_idle_connections = 0: one connect per tenant connection ---
reload_with limits.upstream_idle_connections=0
c0=$(metric sluice_upstream_connects_total) r0=$(metric sluice_upstream_reused_total)
p0=$(metric sluice_upstream_parked_total) a0=$(accepted "$repo_log")
tap_check "upstream_idle_connections = 0: nothing stays idle" \
	all "metric_is sluice_upstream_idle_connections 0" "sockets_to_are $repo2 0"
tap_check "... two sequential tenant connections are answered" \
	all 'hello_from off1 sluice-repo' 'hello_from off2 sluice-repo'
settled
tap_check "... with two connects, no reuse, nothing parked" \
	all "delta connects sluice_upstream_connects_total $c0 2" "delta reuses sluice_upstream_reused_total $r0 0" \
	    "delta parked sluice_upstream_parked_total $p0 0"
tap_check "... the repository accepted two connections, one request on each, both closed" \
	all "same accepted \$(accepted '$repo_log') $((a0 + 2))" \
	    "same peers \$(peers_of_last '$repo_log' 2 'GET /tsp/1/session') 2" "sockets_to_are $repo2 0"

# ---- 6. [timeouts] upstream_idle -------------------------------------------
reload_with limits.upstream_idle_connections=64 timeouts.upstream_idle=300ms
expired0=$(metric 'sluice_upstream_idle_closed_total{reason="expired"}')
p0=$(metric sluice_upstream_parked_total) closes0=$(grep -c ': closed$' "$repo_log")
hello_from idle sluice-repo > /dev/null || stack_fail "no hello for the idle timeout"
settled
tap_check "[timeouts] upstream_idle: the parked connection is closed when it expires" \
	all "delta parked sluice_upstream_parked_total $p0 1" \
	    "wait_until $STACK_TIMEOUT metric_is 'sluice_upstream_idle_closed_total{reason=\"expired\"}' $((expired0 + 1))" \
	    "metric_is sluice_upstream_idle_connections 0"
tap_check "... its socket is gone, and the repository saw it close" \
	all "sockets_to_are $repo2 0" "same closes \$(grep -c ': closed\$' '$repo_log') $((closes0 + 1))"

# ---- 7. upstream_tls: the TLS session moves with the connection ------------
e2e_make_cert repo 127.0.0.1
e2e_start_upstream tlsup --tls-cert "$E2E_TMP/repo.crt" --tls-key "$E2E_TMP/repo.key"
reload_with proxy.upstream="$PEER_ADDR" proxy.upstream_tls=on proxy.upstream_ca="$STACK_CA" \
	timeouts.upstream_idle=30s
c0=$(metric sluice_upstream_connects_total) r0=$(metric sluice_upstream_reused_total)
tap_check "upstream_tls: three sequential tenant connections are answered" \
	all 'hello_from tls1 test-upstream' 'hello_from tls2 test-upstream' 'hello_from tls3 test-upstream'
settled
tap_check "... over one TLS connection: one connect, two reuses, one established connection" \
	all "delta connects sluice_upstream_connects_total $c0 1" "delta reuses sluice_upstream_reused_total $r0 2" \
	    "sockets_to_are $PEER_ADDR 1"
tap_check "... and the repository got the three requests" \
	same requests "$(grep -c '^GET /tsp/1/session ' "$E2E_TMP/tlsup.log")" 3
# This repository closes after a request with Connection: close: the
# tenant's stays with sluice, so the connection is parked again.
p0=$(metric sluice_upstream_parked_total)
code=$(hello tls-close -H 'Connection: close')
settled
tap_check "... the tenant's Connection: close is not forwarded: answered, and the connection parked again" \
	all "same status '$code' 200" "delta parked sluice_upstream_parked_total $p0 1" \
	    "metric_is sluice_upstream_idle_connections 1" "sockets_to_are $PEER_ADDR 1" \
	    "same 'Connection header' \"\$(stack_header '$work/tls-close' Connection)\" close"

# ---- 8. the reuse race: the repository closes as the request arrives -------
# This repository answers the first request of each connection and closes
# on the next one without answering: every reused connection is closed
# just after the request went out, the race no peek can see coming.
e2e_start_upstream race --mode close-reused
stack_ini_unset proxy.upstream_ca
reload_with proxy.upstream="$PEER_ADDR" proxy.upstream_tls=off
hello_from race-warm test-upstream > /dev/null || stack_fail "no hello through the racing repository"
settled
s0=$(metric sluice_upstream_resent_total) e0=$(metric 'sluice_upstream_errors_total{status="502"}')
r0=$(metric sluice_upstream_reused_total)
code=$(job_open "$work/race-open" race1)
tap_check "the repository closes a reused connection as a job open arrives: the tenant gets 201, no 502" \
	all "same status '$code' 201" "json_is '$work/race-open.body' .job race1" \
	    "delta reuses sluice_upstream_reused_total $r0 1" "delta resent sluice_upstream_resent_total $s0 1" \
	    "delta 502s 'sluice_upstream_errors_total{status=\"502\"}' $e0 0"
tap_check "... the repository read it twice: unanswered on the reused connection, then answered" \
	same "job open lines" "$(grep -c '^POST /tsp/1/backup/jobs/race1 0 ' "$E2E_TMP/race.log")/$(grep -c '^POST /tsp/1/backup/jobs/race1 0 .* unanswered$' "$E2E_TMP/race.log")" "2/1"
settled
head -c 3000 /dev/urandom > "$work/race.block"
sum=$(sha256sum "$work/race.block" | cut -d' ' -f1)
code=$(stack_curl "$work/race-put" acme PUT /tsp/1/backup/jobs/race1/tasks/t1/blocks/4 \
	-H "Tsp-Digest: sha256=$sum" --data-binary "@$work/race.block")
tap_check "a block write raced the same way is stored once, byte for byte, and answered 201" \
	all "same status '$code' 201" "delta resent sluice_upstream_resent_total $s0 2" \
	    "same 'PUT lines' \"\$(grep -c '^PUT /tsp/1/backup/jobs/race1/tasks/t1/blocks/4 3000 $sum' '$E2E_TMP/race.log')\" 2" \
	    "delta 502s 'sluice_upstream_errors_total{status=\"502\"}' $e0 0" \
	    "file_lacks '$SLUICE_LOG' 'status=502'"

stack_proxy_stop > "$work/stop" 2>&1
tap_status "sluice stops cleanly with an idle connection parked" $? "$work/stop"
e2e_finish
