#!/usr/bin/env bash
# tests/e2e/restic_parity.sh: with maintenance off, real restic works through
# sluice's restic profile exactly as it does against the REST server alone
# (TAP).
#
#   init, two backups, restore compared with diff -r, check --read-data, copy
#   to a second repository, forget --keep-last 1 --prune: all rc 0 through
#   sluice; every snapshot restic reported saved restores byte-exact; the
#   repositories check clean at the end; sluice counts the sessions with the
#   right verdicts and stops cleanly.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/restic_lib.sh"

rs_init
rs_start
work=$RS_OUT
src=$E2E_TMP/src/main

rs_make_data "$src" 1536 || hard_error "cannot make test data"

rs_restic "$work/init" 60 acme acme/main init
tap_check "init through sluice: rc 0" rs_expect_ok "$work/init" $?

tap_check "backup 1 (1.5 MiB): rc 0, snapshot saved" rs_backup "$work/backup-1" 120 acme acme/main "$src"
id1=$(rs_snapshot_id "$work/backup-1")

# Change the source: a new file, a changed file, a removed file.
head -c 300000 /dev/urandom > "$src/sub/blob-new"
head -c 4096 /dev/urandom >> "$src/sub/blob-1"
rm "$src/sub/blob-2"
echo "second run" >> "$src/notes.txt"
tap_check "backup 2 (changed files): rc 0, snapshot saved" rs_backup "$work/backup-2" 120 acme acme/main "$src"
id2=$(rs_snapshot_id "$work/backup-2")
tap_check "backup 2 found backup 1 as its parent" grep -q "^using parent snapshot $id1" "$work/backup-2"

tap_check "restore latest: rc 0, diff -r against the source finds nothing" \
	rs_restore_exact "$work/restore-latest" acme acme/main "$id2" "$src"
tap_check "restore of backup 1 (the older snapshot): byte-exact" \
	rs_restore_exact "$work/restore-1" acme acme/main "$id1" "$src"

rs_restic "$work/check-read-data" 120 acme acme/main check --read-data
tap_check "check --read-data: rc 0" rs_expect_ok "$work/check-read-data" $?

# copy: one process, two repositories (a read-only session and a writing one).
copy_to_offsite() {
	rs_restic "$work/init-offsite" 60 acme acme/offsite init || { rs_expect_ok "$work/init-offsite" $?; return 1; }
	# (--cacert is global: it serves both repositories)
	rs_restic "$work/copy" 120 acme acme/offsite copy --from-repo "$(rs_url acme acme/main)" \
		--from-password-file "$E2E_TMP/password"
	rs_expect_ok "$work/copy" $? || return 1
	rs_restic "$work/offsite-list" 60 acme acme/offsite snapshots --json || { tail "$work/offsite-list"; return 1; }
	local short original n=0
	while read -r short original; do
		# A copy restores to what its original saved.
		cp -a "$E2E_TMP/frozen/${original:0:8}" "$E2E_TMP/frozen/$short" || return 1
		echo "$short acme acme/offsite $src" >> "$RS_SAVED"
		n=$((n + 1))
	done < <(jq -r '.[] | "\(.short_id) \(.original)"' "$work/offsite-list")
	same "snapshots copied" "$n" 2
}
tap_check "copy of both snapshots to acme/offsite: rc 0" copy_to_offsite

tap_check "nothing lost: every snapshot saved (and copied) restores byte-exact, each repository lists exactly those" \
	rs_verify_saved

rs_restic "$work/forget" 120 acme acme/main forget --keep-last 1 --prune
tap_check "forget --keep-last 1 --prune: rc 0" rs_expect_ok "$work/forget" $?
rs_forgotten "$id1"
tap_check "after forget: acme/main lists only backup 2, which restores byte-exact" rs_verify_saved
rs_restic "$work/check-end" 120 acme acme/main check
tap_check "check after the prune: rc 0" rs_expect_ok "$work/check-end" $?
tap_check "the REST server saw the prune's deletes (the writes went through)" \
	rs_server_saw DELETE /acme/main/snapshots/

if [[ $RS_DIRECT == 1 ]]; then
	tap_plan "$TAP_N"
	e2e_finish
	exit
fi

# sluice's view of what ran: sessions by verdict (/metrics) and the roles of
# the access log.
metrics_are() {
	rs_metrics || return 1
	same "sessions closed complete (backup 1, backup 2, the copy's target)" \
		"$(rs_metric 'sluice_restic_sessions_closed_total{verdict="complete"}')" 3 &&
		same "open sessions" "$(rs_metric sluice_restic_sessions)" 0 &&
		same "sessions closed with writes but no snapshot (forget --prune) >= 1" \
			"$(( $(rs_metric 'sluice_restic_sessions_closed_total{verdict="writes-without-snapshot"}') >= 1 ))" 1 &&
		same "sessions closed read-only (restores, check, copy source) >= 4" \
			"$(( $(rs_metric 'sluice_restic_sessions_closed_total{verdict="read-only"}') >= 4 ))" 1
}
tap_check "/metrics: sessions by verdict" metrics_are
roles_logged() {
	local role
	for role in read write lock-create lock-delete; do
		grep -q "role=$role job=/acme/main" "$SLUICE_LOG" || { echo "no access line role=$role job=/acme/main"; return 1; }
	done
	! grep -q 'decision=refused\|status=50[0-9] ' "$SLUICE_LOG" ||
		{ echo "refusals or 50x with maintenance off:"; grep 'decision=refused\|status=50[0-9] ' "$SLUICE_LOG" | head -n 5; return 1; }
}
tap_check "access log: read, write, lock-create, lock-delete on job /acme/main; nothing refused" roles_logged

rs_stop_sluice > "$work/stop" 2>&1
tap_status "sluice stops cleanly on SIGTERM" $? "$work/stop"
tap_plan "$TAP_N"
e2e_finish
