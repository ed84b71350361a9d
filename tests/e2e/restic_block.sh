#!/usr/bin/env bash
# tests/e2e/restic_block.sh: maintenance in block mode with real restic 0.14
# through sluice's restic profile, against rclone serve restic (TAP).
#
# acme/main holds a first snapshot; a second backup, slowed with
# --limit-upload, is uploading when maintenance goes on in block mode (T):
#   - it fails with "503 <message>" in its output (restic 0.14 may hang after
#     the refusal: it runs under a bound, a failure or the bound is
#     accepted), and leaves no snapshot;
#   - sluice answers a write itself (503, the message, Tsp-Maintenance:
#     block) and still forwards reads and locks: unlock and check rc 0;
#   - after maintenance off a new backup succeeds, check is clean, and every
#     snapshot restic reported saved restores byte-exact.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/restic_lib.sh"

rs_init
rs_start
work=$RS_OUT
rate=160 # KiB/s: the 1.5 MiB of the cut backup would take about 10 s

src_first=$E2E_TMP/src/first src_cut=$E2E_TMP/src/cut src_after=$E2E_TMP/src/after
{ rs_make_data "$src_first" 512 && rs_make_data "$src_cut" 1536 1 && rs_make_data "$src_after" 512; } ||
	hard_error "cannot make test data"

before_t() {
	rs_restic "$work/init" 60 acme acme/main init || { rs_expect_ok "$work/init" $?; return 1; }
	rs_backup "$work/backup-first" 60 acme acme/main "$src_first"
}
tap_check "before T: acme/main initialised, a first backup saved" before_t

rs_upload_mark
rs_restic_bg "$work/cut" 80 acme acme/main backup --limit-upload "$rate" "$src_cut"
cut_pid=$RS_PID
wait_until 60 rs_uploading acme/main 128 ||
	rs_fail "the slow backup did not start uploading: $(tail -n 5 "$work/cut")"

# ---- T -----------------------------------------------------------------------

rs_maintenance on block
tap_check "at T the backup is running" kill -0 "$cut_pid"
cut_session_open() {
	same "/status: draining of the session of /acme/main" "$(rs_session_field /acme/main draining)" true
}
tap_check "/status: its session is open at T (and tracked as draining)" cut_session_open

printf 'x' > "$work/one-byte"
# (to a path no repository uses: should it get through, no repository suffers)
rs_curl "$work/curl-write" acme POST "/acme/probe/snapshots/$(printf 'b%.0s' {1..64})" \
	--data-binary @"$work/one-byte" > /dev/null
tap_check "a write during block: 503 from sluice, the message as reason phrase and text body" \
	rs_refusal_is "$work/curl-write" 503 "$RS_MSG"
tap_check "that refusal carries Tsp-Maintenance: block" \
	same Tsp-Maintenance "$(rs_header "$work/curl-write" Tsp-Maintenance)" block
code=$(rs_curl "$work/curl-read" acme GET /acme/main/config)
tap_check "a read during block is forwarded: GET config 200" same "GET /acme/main/config" "$code" 200

wait "$cut_pid"
rc=$?
echo "# the backup cut by block ended with status $rc (124: stopped by its bound after the known 0.14 hang)"
tap_check "the backup running at T fails: non-zero or stopped, '503 <message>' in its output" \
	rs_expect_refused "$work/cut" "$rc"
tap_check "it reported no snapshot saved" same "snapshot saved" "$(rs_snapshot_id "$work/cut")" ""
tap_check "the REST server received no snapshot after T" \
	same "POST snapshots/ the server received" "$(grep -c -F ': POST /acme/main/snapshots/' "$E2E_TMP/rclone.log")" 1

rs_restic "$work/unlock" 60 acme acme/main unlock
tap_check "unlock during block: rc 0" rs_expect_ok "$work/unlock" $?
rs_restic "$work/check-during" 120 acme acme/main check
tap_check "check during block: rc 0" rs_expect_ok "$work/check-during" $?

# ---- maintenance off ---------------------------------------------------------

rs_maintenance off
tap_check "maintenance off: a new backup: rc 0, snapshot saved" \
	rs_backup "$work/backup-after" 60 acme acme/main "$src_after"
rs_restic "$work/check-after" 120 acme acme/main check
tap_check "check after maintenance: rc 0" rs_expect_ok "$work/check-after" $?
tap_check "nothing lost: every snapshot saved restores byte-exact; the cut backup left none" rs_verify_saved
sessions_closed() {
	rs_metrics && same "open sessions" "$(rs_metric sluice_restic_sessions)" 0
}
tap_check "/metrics: no session left open" sessions_closed

rs_stop_sluice > "$work/stop" 2>&1
tap_status "sluice stops cleanly on SIGTERM" $? "$work/stop"
tap_plan "$TAP_N"
e2e_finish
