#!/bin/bash
# tests/e2e/fleet_haproxy.sh: a fleet of three sluice instances behind a real
# HAProxy (TCP mode, balance source, send-proxy-v2, health checks on each
# instance's [admin] health_listen), one sluice-repo behind them, all on
# 127.0.0.1 (TAP).
#
# The HAProxy configuration is the one doc/scale-out.md shows, read from the
# document (its addresses replaced by the ports of this run), so the document
# cannot drift from what is tested. With balance source every connection
# from 127.0.0.1 reaches one instance; to put a task on every instance the
# test adds one pinned listener per instance (same options, one server each)
# after the document's configuration, and opens the jobs through those.
#
# One sluicectl --fleet toggle writes one [maintenance] since into the three
# INI files; every instance refuses a new backup job and reports that since;
# wait-drained --fleet waits, naming the instances not drained, until the
# last task ends; maintenance off lets every instance accept again.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

command -v haproxy > /dev/null 2>&1 || skip_all "haproxy not installed"
stack_init
stack_tenant_add acme acme-secret
e2e_make_ca
e2e_make_cert server 127.0.0.1
stack_repo_start
work=$STACK_OUT
ctl=$SLUICE_BUILDDIR/sluicectl
doc=$SLUICE_SRCDIR/doc/scale-out.md
[[ -x $ctl ]] || hard_error "$ctl is not built"
[[ -r $doc ]] || hard_error "no $doc"

# PROXY protocol v2 from HAProxy, when this sluice has the keys.
proxy_v2=0
"$SLUICE" --list-keys 2> /dev/null | grep -q '^proxy\.proxy_protocol' && proxy_v2=1

# free_port: a port nothing listens on now (HAProxy's binds need numbers).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- three instances ----
declare -a port=() health=() pid=() ini=() sock=()
for n in 1 2 3; do
	ini[n]=$E2E_TMP/sluice-$n.ini
	sock[n]=$E2E_TMP/admin-$n.sock
	cat > "${ini[n]}" << EOF
; instance $n of the fleet
[proxy]
listen = 127.0.0.1:0
upstream = $STACK_REPO_ADDR
pidfile = $E2E_TMP/sluice-$n.pid
max_connections = 1000
[tls]
certificate = $E2E_TMP/server.crt
private_key = $E2E_TMP/server.key
[maintenance]
; the fleet's switch: sluicectl --fleet edits these lines
enabled = off
[log]
requests = on
[timeouts]
shutdown = 5s
[admin]
socket = ${sock[n]}
health_listen = 127.0.0.1:0
EOF
	if ((proxy_v2)); then
		ini_set "${ini[n]}" proxy proxy_protocol v2
		ini_set "${ini[n]}" proxy proxy_from 127.0.0.1
	fi
	e2e_start_sluice "${ini[n]}" "sluice-$n"
	port[n]=$SLUICE_PORT
	pid[n]=$SLUICE_PID
	wait_log "$SLUICE_LOG" 'health endpoint on 127.0.0.1:' || hard_error "instance $n: no health listener"
	health[n]=$(sed -n 's/.*health endpoint on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$SLUICE_LOG" | head -n 1)
done
printf '# the fleet\n%s\n%s\n%s\n' "${ini[1]}" "${ini[2]}" "${ini[3]}" > "$E2E_TMP/fleet"

health_is() { # N CODE BODY: GET /health of instance N on its health listener
	[[ $(curl -sS --max-time 5 -o "$work/health.body" -w '%{http_code}' "http://127.0.0.1:${health[$1]}/health") == "$2" ]] &&
		[[ $(cat "$work/health.body") == "$3" ]]
}
tap_check "health_listen: GET /health 200 active on each instance" \
	eval 'health_is 1 200 active && health_is 2 200 active && health_is 3 200 active'
tap_check "health_listen: GET /status there is 404" \
	test "$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:${health[1]}/status")" = 404
tap_check "health_listen: POST /reload there is 404 (and nothing reloads)" \
	eval '[[ $(curl -sS -X POST -o /dev/null -w "%{http_code}" "http://127.0.0.1:${health[1]}/reload") == 404 ]] &&
		! grep -q "reloaded " "$E2E_TMP/sluice-1.log"'

# ---- HAProxy, configured from the document ----
front=$(free_port)
awk '/^```haproxy$/ { inside = 1; next } /^```$/ { inside = 0 } inside' "$doc" > "$work/doc-haproxy.cfg"
[[ -s $work/doc-haproxy.cfg ]] || hard_error "no haproxy block in $doc"
sed_args=(-e "s/bind \*:443/bind 127.0.0.1:$front/")
for n in 1 2 3; do
	sed_args+=(-e "s/192\.0\.2\.1$n:443 \(.*\) port 8081\$/127.0.0.1:${port[n]} \1 port ${health[n]}/")
done
((proxy_v2)) || sed_args+=(-e 's/ send-proxy-v2//')
haproxy_cfg=$E2E_TMP/haproxy.cfg
{
	sed "${sed_args[@]}" "$work/doc-haproxy.cfg"
	# Test only: a stats socket and one pinned listener per
	# instance with the document's server options.
	printf '\nglobal\n    stats socket %s mode 600 level admin\n' "$E2E_TMP/haproxy.sock"
	for n in 1 2 3; do
		pin[n]=$(free_port)
		printf '\nlisten pin%s\n    bind 127.0.0.1:%s\n    server sluice%s 127.0.0.1:%s%s\n' \
			"$n" "${pin[n]}" "$n" "${port[n]}" "$( ((proxy_v2)) && echo ' send-proxy-v2')"
	done
} > "$haproxy_cfg"
((proxy_v2)) && echo "# PROXY protocol v2: on (send-proxy-v2, proxy_protocol = v2)" ||
	echo "# PROXY protocol v2: off (this sluice has no [proxy] proxy_protocol)"
haproxy -c -q -f "$haproxy_cfg" > "$work/haproxy-check" 2>&1 ||
	hard_error "haproxy refuses the configuration: $(head -n 3 "$work/haproxy-check")"
haproxy -f "$haproxy_cfg" -db > "$E2E_TMP/haproxy.log" 2>&1 &
haproxy_pid=$!
E2E_PIDS+=("$haproxy_pid")
listening() { python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" 2> /dev/null; }
wait_until 10 eval 'kill -0 $haproxy_pid 2> /dev/null && listening $front && listening ${pin[3]}' ||
	hard_error "haproxy did not start: $(tail -n 3 "$E2E_TMP/haproxy.log")"

# servers_checked CODE: HAProxy's own view: the three servers of
# sluice_fleet UP, their last health check passed (L7OK) on HTTP status CODE.
servers_checked() {
	python3 - "$E2E_TMP/haproxy.sock" "$1" << 'EOF'
import csv, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
rows = list(csv.reader(data.decode().lstrip("# ").splitlines()))
head = rows[0]
col = {name: head.index(name) for name in ("pxname", "svname", "status", "check_status", "check_code")}
ok = [r for r in rows[1:] if len(r) == len(head) and r[col["pxname"]] == "sluice_fleet"
      and r[col["svname"]].startswith("sluice") and r[col["status"]] == "UP"
      and r[col["check_status"]] == "L7OK" and r[col["check_code"]] == sys.argv[2]]
sys.exit(0 if len(ok) == 3 else 1)
EOF
}
tap_check "HAProxy: the three instances UP by their /health checks (200)" wait_until 15 servers_checked 200

# via ADDR OUT METHOD PATH [CURL ARGS]: a request as tenant acme through ADDR.
via() {
	local addr=$1
	shift
	STACK_PROXY_ADDR=$addr stack_curl "$1" acme "${@:2}"
}
tap_check "through the balanced frontend: the hello reaches the repository" \
	eval '[[ $(via 127.0.0.1:$front "$work/hello" GET /tsp/1/session) == 200 ]] &&
		json_is "$work/hello.body" .server sluice-repo'
if ((proxy_v2)); then
	tap_check "PROXY v2: a connection straight to an instance, without the header, is closed" \
		eval '! curl -sS --max-time 5 --cacert "$STACK_CA" -u acme:acme-secret -o /dev/null \
			"https://127.0.0.1:${port[1]}/tsp/1/session" 2> /dev/null'
fi

# ---- one task open on every instance ----
declare -a tenant=() job=()
for n in 1 2 3; do
	job[n]=$(stack_job "fleet-$n")
	STACK_PROXY_ADDR=127.0.0.1:${pin[n]} stack_tenant_bg "$work/task-$n" acme backup --job "${job[n]}" \
		--tasks 3 --blocks 3 --block-size 16k --pause-at 2:2 --pause-file "$work/task-$n.pause"
	tenant[n]=$STACK_PID
done
for n in 1 2 3; do
	stack_pause_wait "$work/task-$n.pause" "${tenant[n]}"
done
status_of() { # N: GET /status of instance N into $work/status-N.json
	curl -sS --max-time 5 --unix-socket "${sock[$1]}" -o "$work/status-$1.json" http://sluice/status
}
open_everywhere() {
	for n in 1 2 3; do
		status_of "$n" && json_is "$work/status-$n.json" '.jobs_open.backup' 1 || return 1
	done
}
tap_check "each instance holds its own backup job (pinned through HAProxy)" open_everywhere

# ---- one toggle ----
"$ctl" --fleet "$E2E_TMP/fleet" maintenance on > "$work/on" 2>&1
rc=$?
tap_check "sluicectl --fleet maintenance on: exit 0" test $rc -eq 0
since=$(sed -n 's/^since = //p' "${ini[1]}")
one_since() {
	[[ -n $since ]] && for n in 1 2 3; do
		[[ $(grep -c '^since = ' "${ini[n]}") == 1 && $(sed -n 's/^since = //p' "${ini[n]}") == "$since" ]] || return 1
	done
}
tap_check "one since, the same in the three INI files ($since)" one_since
tap_check "... an ISO 8601 instant of now, in UTC" \
	eval '(( $(date -u +%s) - $(date -u -d "$since" +%s) < 60 ))'
same_since_everywhere() {
	for n in 1 2 3; do
		status_of "$n" && json_is "$work/status-$n.json" \
			'"\(.maintenance.state) \(.maintenance.since) \(.maintenance.draining.tasks)"' "draining $since 1" ||
			return 1
	done
}
tap_check "GET /status of each instance: draining 1 task since that same instant" same_since_everywhere
refused_everywhere() {
	local code
	for n in 1 2 3; do
		code=$(via "127.0.0.1:${pin[n]}" "$work/refused-$n" POST "/tsp/1/backup/jobs/$(stack_job new)" \
			-H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere')
		json_is "$work/refused-$n.body" '"'"$code"' \(.error)"' '503 maintenance' || return 1
	done
}
tap_check "every instance refuses a new backup job: 503 maintenance" refused_everywhere
tap_check "/health answers 503 draining on the health listeners" \
	eval 'health_is 1 503 draining && health_is 2 503 draining && health_is 3 503 draining'
tap_check "HAProxy keeps the instances in: their checks pass on 503" wait_until 15 servers_checked 503
tap_check "... and the balanced hello gets the maintenance notice" \
	eval '[[ $(via 127.0.0.1:$front "$work/hello-on" GET /tsp/1/session) == 200 ]] &&
		[[ $(stack_header "$work/hello-on" Tsp-Maintenance) == drain ]]'

"$ctl" --fleet "$E2E_TMP/fleet" status > "$work/status" 2>&1
rc=$?
tap_check "sluicectl --fleet status: exit 0, one line per instance and the total" \
	eval '[[ $rc -eq 0 ]] && [[ $(grep -c "draining, draining 1 task, 0 agent jobs, generation 2, since $since" "$work/status") == 3 ]] &&
		grep -qx "total: 3 instances, 3 draining, 0 unreachable; draining 3 tasks, 0 agent jobs" "$work/status"'

# ---- the barrier ----
# waits_for NAME...: wait-drained --timeout 300ms exits 1 and names exactly NAME...
waits_for() {
	local out=$work/wait rc names
	"$ctl" --fleet "$E2E_TMP/fleet" wait-drained --timeout 300ms > "$out" 2>&1
	rc=$?
	names=$(tail -n 1 "$out" | grep -o 'sluice-[0-9]\.ini' | tr '\n' ' ')
	[[ $rc -eq 1 && $names == "$* " ]] || { echo "exit $rc, named '$names', wanted '$*'"; cat "$out"; return 1; }
}
tap_check "wait-drained --fleet: exit 1 at the timeout, naming the three instances" \
	waits_for sluice-1.ini sluice-2.ini sluice-3.ini
drained_on() { status_of "$1" && json_is "$work/status-$1.json" .maintenance.state maintenance; }
stack_pause_go "$work/task-1.pause"
wait "${tenant[1]}"
wait_until "$STACK_TIMEOUT" drained_on 1
tap_check "instance 1 drained: wait-drained still waits, naming 2 and 3 only" \
	waits_for sluice-2.ini sluice-3.ini
stack_pause_go "$work/task-2.pause"
wait "${tenant[2]}"
wait_until "$STACK_TIMEOUT" drained_on 2
tap_check "instance 2 drained: wait-drained still waits, naming 3 only" waits_for sluice-3.ini
"$ctl" --fleet "$E2E_TMP/fleet" wait-drained --timeout 30s > "$work/wait-last" 2>&1 &
waiter=$!
wait_until "$STACK_TIMEOUT" grep -q "^waiting for 1 of 3: .*sluice-3\.ini (1 task" "$work/wait-last" ||
	stack_fail "wait-drained --fleet did not report instance 3 as draining"
stack_pause_go "$work/task-3.pause"
wait "${tenant[3]}"
wait "$waiter"
rc=$?
tap_check "wait-drained --fleet, waiting while instance 3's task ran, returns 0 once it ends" \
	eval '[[ $rc -eq 0 ]] && tail -n 1 "$work/wait-last" | grep -q "^drained: all 3 instances" && drained_on 3'
held_done() {
	for n in 1 2 3; do
		json_is "$work/task-$n" '[.tasks[0:2][].status] | join(",")' "Success,Success" || return 1
	done
}
tap_check "the tasks running at T completed on every instance (R1)" held_done

printf 'unix:%s\n' "$E2E_TMP/nobody.sock" >> "$E2E_TMP/fleet"
"$ctl" --fleet "$E2E_TMP/fleet" status > "$work/status-gone" 2>&1
rc=$?
tap_check "an unreachable instance: status exits 1 and names it" \
	eval '[[ $rc -eq 1 ]] && grep -q "^unix:$E2E_TMP/nobody.sock: unreachable" "$work/status-gone"'
"$ctl" --fleet "$E2E_TMP/fleet" wait-drained --timeout 300ms > "$work/wait-gone" 2>&1
rc=$?
tap_check "... and wait-drained does not count it as drained" \
	eval '[[ $rc -eq 1 ]] && tail -n 1 "$work/wait-gone" | grep -q "1 of 4: unix:$E2E_TMP/nobody.sock (unreachable"'
sed -i '$d' "$E2E_TMP/fleet"

# ---- off ----
"$ctl" --fleet "$E2E_TMP/fleet" maintenance off > "$work/off" 2>&1
rc=$?
tap_check "sluicectl --fleet maintenance off: exit 0, since removed from every file" \
	eval '[[ $rc -eq 0 ]] && ! grep -q "^since" "${ini[1]}" "${ini[2]}" "${ini[3]}"'
accepted_everywhere() {
	local code
	for n in 1 2 3; do
		code=$(via "127.0.0.1:${pin[n]}" "$work/accepted-$n" POST "/tsp/1/backup/jobs/$(stack_job after)" \
			-H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere')
		[[ $code == 2?? ]] || { echo "instance $n: $code"; return 1; }
	done
}
tap_check "every instance accepts a new backup job again" accepted_everywhere
tap_check "/health 200 active again, HAProxy has the three UP" \
	eval 'health_is 1 200 active && health_is 2 200 active && health_is 3 200 active &&
		wait_until 15 servers_checked 200'
tap_plan "$TAP_N"
e2e_finish
