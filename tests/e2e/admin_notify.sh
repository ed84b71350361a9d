#!/bin/bash
# tests/e2e/admin_notify.sh: sd_notify messages of a sluice built
# --with-systemd (TAP; skipped otherwise). A stand-in service manager reads
# NOTIFY_SOCKET: READY=1 once sluice serves, RELOADING=1 then READY=1 around
# a reload, STATUS= lines following the drain ("draining: 1 task, 0 agent
# jobs", "maintenance: drained", "active"), STOPPING=1 on SIGTERM.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/stack.sh"

grep -q '^#define HAVE_SYSTEMD 1' "$SLUICE_BUILDDIR/autoconfig.h" 2>/dev/null ||
	skip_all "sluice is built without --with-systemd"
stack_init
stack_tenant_add acme acme-secret
work=$STACK_OUT
notes=$E2E_TMP/notify.messages
# The stand-in: one line per datagram, its newlines shown as "|".
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
open(sys.argv[1] + ".bound", "w").close()
while True:
    m = s.recv(4096).decode().replace("\n", "|")
    with open(sys.argv[2], "a") as f:
        f.write(m + "\n")' "$E2E_TMP/notify.sock" "$notes" &
E2E_PIDS+=($!)
wait_until 10 test -e "$E2E_TMP/notify.sock.bound" || hard_error "the stand-in service manager did not start"
export NOTIFY_SOCKET=$E2E_TMP/notify.sock
stack_start
unset NOTIFY_SOCKET

said() { grep -q -x -F -e "$1" "$notes" 2>/dev/null; }
tap_check "READY=1 with STATUS=active once sluice serves" wait_until "$STACK_TIMEOUT" said "READY=1|STATUS=active"

name=held
stack_tenant_bg "$work/$name" acme backup --job "$(stack_job held)" --tasks 2 --blocks 2 --block-size 16k \
	--pause-at 1:1 --pause-file "$work/$name.pause"
held=$STACK_PID
stack_pause_wait "$work/$name.pause" "$held"
stack_maintenance on drain
tap_check "RELOADING=1 for the reload" said "RELOADING=1"
tap_check "READY=1 after it, STATUS showing the drain" \
	wait_until "$STACK_TIMEOUT" said "READY=1|STATUS=draining: 1 task, 0 agent jobs"
stack_pause_go "$work/$name.pause"
wait "$held"
tap_check "STATUS=maintenance: drained once the task closed" \
	wait_until "$STACK_TIMEOUT" said "STATUS=maintenance: drained"
stack_maintenance off
tap_check "STATUS=active after maintenance off" \
	wait_until "$STACK_TIMEOUT" eval '[[ $(tail -n 1 "$notes") == "READY=1|STATUS=active" ]]'
stack_proxy_stop > "$work/stop" 2>&1
tap_check "STOPPING=1 on SIGTERM" said "STOPPING=1"
tap_plan "$TAP_N"
e2e_finish
