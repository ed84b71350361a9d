#!/usr/bin/env bash
# tests/e2e/restic_identity.sh: who may use which repository, with real
# restic 0.14 through sluice's restic profile (TAP). Tenants acme and beta,
# both known to rclone serve restic (which runs without --private-repos, so
# every 403 here is sluice's own).
#
#   - [restic] private_repos = off: acme reads beta's repository (forwarded);
#   - private_repos = on (reload): a Basic user other than the first path
#     segment gets 403 from sluice (status line and text body; its reason
#     phrase is sluice's choice): restic fails at once showing it; each
#     tenant keeps its own repository;
#   - [tenants] disabled = beta (reload): every request of beta is refused
#     403 with the disabled notice, restores included (snapshots, restore);
#     acme is unaffected; enabled again, beta restores byte-exact;
#   - nothing lost: every snapshot restic reported saved restores byte-exact.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/restic_lib.sh"

rs_init
rs_tenant_add beta beta-secret-2
rs_start
work=$RS_OUT
fast=15 # seconds: "at once" (restic 0.14 retries most refusals for ~45 s)

src_acme=$E2E_TMP/src/acme src_beta=$E2E_TMP/src/beta
{ rs_make_data "$src_acme" 256 && rs_make_data "$src_beta" 256; } || hard_error "cannot make test data"

set_up() {
	local t rc=0
	rs_restic_bg "$work/init-acme" 60 acme acme/main init
	t=$RS_PID
	rs_restic "$work/init-beta" 60 beta beta/main init || { rs_expect_ok "$work/init-beta" $?; rc=1; }
	wait "$t" || { rs_expect_ok "$work/init-acme" $?; rc=1; }
	[[ $rc == 0 ]] || return 1
	rs_backup "$work/backup-acme" 60 acme acme/main "$src_acme" &&
		rs_backup "$work/backup-beta" 60 beta beta/main "$src_beta"
}
set_up > "$work/setup" 2>&1
tap_status "acme/main and beta/main initialised, one backup each" $? "$work/setup"
id_beta=$(rs_snapshot_id "$work/backup-beta")

rs_restic "$work/cross-off" 60 acme beta/main snapshots
tap_check "private_repos off: acme lists beta/main's snapshots (forwarded): rc 0" rs_expect_ok "$work/cross-off" $?

# ---- private_repos = on ------------------------------------------------------

tap_check "reload with [restic] private_repos = on" rs_set restic private_repos on

# rs_refused_fast OUT RC START STATUS MESSAGE: restic failed, with
# "STATUS MESSAGE" in its output, within $fast seconds of START.
rs_refused_fast() {
	local took=$((SECONDS - $3))
	rs_expect_refused "$1" "$2" "$4" "$5" || return 1
	(( took <= fast )) || { echo "restic took ${took}s, not at once"; return 1; }
}
# The reason phrase of this 403 is sluice's to choose (only the maintenance
# message and the disabled-tenant notice are fixed): read it from curl, then
# expect restic to show it.
rs_curl "$work/curl-cross" acme GET /beta/main/config > /dev/null
phrase=$(rs_status_line "$work/curl-cross" | cut -d' ' -f3-)
private_refusal() {
	same "status code" "$(rs_status_line "$work/curl-cross" | cut -d' ' -f2)" 403 || return 1
	[[ -n $phrase && $phrase != "$RS_DISABLED_MSG" ]] || { echo "reason phrase '$phrase'"; return 1; }
	rs_refusal_is "$work/curl-cross" 403 "$phrase"
}
echo "# the reason phrase of the private-repository 403: $phrase"
tap_check "curl GET /beta/main/config as acme: 403 from sluice, its reason phrase as text body" private_refusal
start=$SECONDS
rs_restic "$work/cross-on" 60 acme beta/main snapshots
tap_check "acme on beta/main: restic fails at once, showing '403 <that phrase>'" \
	rs_refused_fast "$work/cross-on" $? "$start" 403 "$phrase"
start=$SECONDS
rs_restic "$work/cross-init" 60 acme beta/other init
tap_check "acme creating beta/other: restic fails at once, showing '403 <that phrase>'" \
	rs_refused_fast "$work/cross-init" $? "$start" 403 "$phrase"
tap_check "the REST server never received beta/other's creation" rs_server_never_saw POST /beta/other/

code=$(rs_curl "$work/curl-cross-list" acme GET /beta/main/snapshots/ -H 'Accept: application/vnd.x.restic.rest.v2')
tap_check "curl GET /beta/main/snapshots/ as acme: 403" same "status" "$code" 403
code=$(rs_curl "$work/curl-own" acme HEAD /acme/main/config)
tap_check "curl HEAD /acme/main/config as acme: 200 (forwarded)" same "status" "$code" 200

rs_restic "$work/own-acme" 60 acme acme/main snapshots
tap_check "private_repos on: acme on acme/main: rc 0" rs_expect_ok "$work/own-acme" $?
tap_check "private_repos on: beta restores from beta/main: rc 0, byte-exact" \
	rs_restore_exact "$work/own-beta" beta beta/main "$id_beta" "$src_beta"
echo "more" >> "$src_acme/notes.txt"
tap_check "private_repos on: acme backs up to acme/main: rc 0" \
	rs_backup "$work/backup-acme-2" 60 acme acme/main "$src_acme"

# ---- a disabled tenant ---------------------------------------------------------

tap_check "reload with [tenants] disabled = beta" rs_set tenants disabled beta

# The two refused restic runs at once (each fails at its first request).
start=$SECONDS
rs_restic_bg "$work/disabled-snapshots" 60 beta beta/main snapshots
p1=$RS_PID
rs_restic_bg "$work/disabled-restore" 60 beta beta/main restore latest --target "$E2E_TMP/restore-disabled"
p2=$RS_PID
wait "$p1"
rc1=$?
wait "$p2"
rc2=$?
tap_check "disabled beta: restic snapshots fails at once with '403 $RS_DISABLED_MSG'" \
	rs_refused_fast "$work/disabled-snapshots" "$rc1" "$start" 403 "$RS_DISABLED_MSG"
tap_check "disabled beta: restic restore fails at once with '403 $RS_DISABLED_MSG'" \
	rs_refused_fast "$work/disabled-restore" "$rc2" "$start" 403 "$RS_DISABLED_MSG"
tap_check "disabled beta: nothing restored" test ! -e "$E2E_TMP/restore-disabled$src_beta"
rs_curl "$work/curl-disabled" beta GET /beta/main/config > /dev/null
tap_check "curl GET /beta/main/config as beta: '403 $RS_DISABLED_MSG' from sluice, text body" \
	rs_refusal_is "$work/curl-disabled" 403 "$RS_DISABLED_MSG"
code=$(rs_curl "$work/curl-disabled-keys" beta GET /beta/main/keys/)
tap_check "curl GET /beta/main/keys/ as beta: 403" same "status" "$code" 403
rs_restic "$work/acme-while-beta-disabled" 60 acme acme/main snapshots
tap_check "acme is unaffected: snapshots rc 0" rs_expect_ok "$work/acme-while-beta-disabled" $?

tap_check "reload with [tenants] disabled empty" rs_set tenants disabled ""
tap_check "beta enabled again: restore rc 0, byte-exact" \
	rs_restore_exact "$work/beta-enabled" beta beta/main "$id_beta" "$src_beta"

tap_check "nothing lost: every snapshot saved restores byte-exact, each repository lists exactly those" \
	rs_verify_saved

rs_stop_sluice > "$work/stop" 2>&1
tap_status "sluice stops cleanly on SIGTERM" $? "$work/stop"
tap_plan "$TAP_N"
e2e_finish
