#!/bin/sh
# tests/e2e/ctl_edit.sh: sluicectl against a copy of the example sluice.ini
# with no daemon running (TAP).
#
# `maintenance on|off` edits the file in place: only the edited lines change,
# every comment stays byte for byte, CRLF stays CRLF, the mode stays, a
# symlink stays a link; a value the loader would refuse leaves the file
# byte-identical and exits 1; a missing daemon is reported (exit 1, file
# written). reload without an admin socket signals the pidfile's process
# only when it is sluice. Linux-only parts (process names) are skipped
# elsewhere.
set -u

srcdir=${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${SLUICE_BUILDDIR:-.}
ctl=$builddir/sluicectl
[ -x "$ctl" ] || { echo "Bail out! $ctl is not built"; exit 99; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctl-edit.XXXXXX") || { echo "Bail out! mktemp failed"; exit 99; }
started=""
cleanup() {
	for pid in $started; do kill "$pid" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; sed 's/^/# /' "$tmp/out" "$tmp/err" 2>/dev/null; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# run sluicectl ARGS...: stdout in out, stderr in err, exit status in $rc.
run() { "$ctl" "$@" > "$tmp/out" 2> "$tmp/err"; rc=$?; }
# The lines that differ between two files, without diff's line numbers.
changed() { diff "$1" "$2" | grep '^[<>]'; }

# The example, with the daemon's files pointing into the scratch directory.
mkdir "$tmp/etc" "$tmp/run" "$tmp/bin"
cp -R "$srcdir/conf/tls" "$tmp/etc/tls"
ini=$tmp/etc/sluice.ini
sed -e "s|^pidfile = .*|pidfile = $tmp/run/sluice.pid|" -e "s|^socket = .*|socket = $tmp/run/admin.sock|" \
	"$srcdir/conf/sluice.ini" > "$ini"
chmod 640 "$ini"
cp "$ini" "$tmp/original"

run -c "$ini" check
check "check accepts the copy of the example" '[ $rc -eq 0 ] && grep -q "test is successful" "$tmp/out"'

run -c "$ini" maintenance on --message "Back at 10:00 UTC."
check "maintenance on without a daemon exits 1" '[ $rc -eq 1 ]'
check "the missing daemon is reported, the file said to be written" \
	'grep -q "sluice is not running" "$tmp/err" && grep -q "is written and takes effect when sluice starts" "$tmp/err"'
printf '%s\n' '< enabled = off' \
	'< message = Service provider is currently undergoing scheduled maintenance.' \
	'> enabled = on' '> message = Back at 10:00 UTC.' '< since =' '> since = NOW' > "$tmp/expected"
changed "$tmp/original" "$ini" | sed 's/^> since = 20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]*Z$/> since = NOW/' |
	sort > "$tmp/diff"
sort "$tmp/expected" > "$tmp/expected.sorted"
check "only [maintenance] enabled and message changed, since = now written" 'cmp -s "$tmp/diff" "$tmp/expected.sorted"'
check "as many lines as before" '[ "$(wc -l < "$ini")" -eq "$(wc -l < "$tmp/original")" ]'
grep '^[;#]' "$tmp/original" > "$tmp/comments.before"
grep '^[;#]' "$ini" > "$tmp/comments.after"
check "every comment byte-identical" 'cmp -s "$tmp/comments.before" "$tmp/comments.after"'
check "the file keeps its mode" '[ "$(stat -c %a "$ini")" = 640 ]'
run -c "$ini" check
check "the edited file loads" '[ $rc -eq 0 ]'
if [ -x "$builddir/sluice" ]; then
	"$builddir/sluice" -t -c "$ini" > "$tmp/out" 2> "$tmp/err"
	check "sluice -t accepts the edited file" '[ $? -eq 0 ]'
else
	skip "sluice -t accepts the edited file" "sluice is not built"
fi
check "no temporary file left beside it" '[ "$(ls -A "$tmp/etc" | grep -c "^\.")" -eq 0 ]'

cp "$ini" "$tmp/before"
run -c "$ini" maintenance on --message "$(printf 'Back\001soon')"
check "a message with a control character is refused: exit 1, file untouched" \
	'[ $rc -eq 1 ] && cmp -s "$ini" "$tmp/before" && grep -q "control character" "$tmp/err"'
run -c "$ini" maintenance on --message "$(printf 'two\nlines')"
check "a message over two lines is refused: exit 1, file untouched" \
	'[ $rc -eq 1 ] && cmp -s "$ini" "$tmp/before"'
run -c "$ini" maintenance on --mode bogus
check "--mode bogus is refused with the loader's words: exit 1, file untouched" \
	'[ $rc -eq 1 ] && cmp -s "$ini" "$tmp/before" && grep -q "drain, block or hold" "$tmp/err"'
run -c "$ini" maintenance on --retry-after 8d
check "--retry-after over its bound is refused: exit 1, file untouched" \
	'[ $rc -eq 1 ] && cmp -s "$ini" "$tmp/before"'
run -c "$ini" maintenance on --message "Back ; soon"
check "a message the loader would cut at ' ;' is refused: exit 1, file untouched" \
	'[ $rc -eq 1 ] && cmp -s "$ini" "$tmp/before"'

# A key whose other keys make the file fail: the loader's error, file untouched.
sed 's|^certificate = .*|certificate = tls/missing.crt|' "$tmp/before" > "$ini"
cp "$ini" "$tmp/broken"
run -c "$ini" maintenance off
check "a file the loader refuses after the edit is not written, the loader's error names it" \
	'[ $rc -eq 1 ] && cmp -s "$ini" "$tmp/broken" && grep -q "sluice.ini (edited):[0-9]*: \[tls\] certificate" "$tmp/err"'
cp "$tmp/before" "$ini"

run -c "$ini" maintenance off --mode block --retry-after 90
printf '%s\n' '< message = Service provider is currently undergoing scheduled maintenance.' \
	'< mode = drain' '< retry_after = 0s' \
	'> message = Back at 10:00 UTC.' '> mode = block' '> retry_after = 90' '< since =' | sort > "$tmp/expected"
changed "$tmp/original" "$ini" | sort > "$tmp/diff"
check "maintenance off --mode block --retry-after 90: enabled back to off, mode and retry_after set, since removed" \
	'[ $rc -eq 1 ] && cmp -s "$tmp/diff" "$tmp/expected"'
inode=$(ls -i "$ini")
run -c "$ini" maintenance off
check "setting what the file says already does not rewrite it" \
	'grep -q "already so, file not rewritten" "$tmp/out" && [ "$(ls -i "$ini")" = "$inode" ]'

# CRLF stays CRLF.
cr=$(printf '\r')
sed "s/\$/$cr/" "$tmp/original" > "$tmp/etc/crlf.ini"
run -c "$tmp/etc/crlf.ini" maintenance on
check "a CRLF file stays CRLF" \
	'[ "$(grep -c "$cr\$" "$tmp/etc/crlf.ini")" -eq "$(wc -l < "$tmp/etc/crlf.ini")" ] &&
	 grep -q "^enabled = on$cr\$" "$tmp/etc/crlf.ini"'

# A symlink from another directory: checked there (its relative paths), the target replaced.
mkdir "$tmp/other"
ln -s ../etc/sluice.ini "$tmp/other/sluice.ini"
cp "$ini" "$tmp/before"
run -c "$tmp/other/sluice.ini" maintenance on
check "through a symlink whose directory lacks tls/: refused as the daemon would" \
	'[ $rc -eq 1 ] && cmp -s "$ini" "$tmp/before" && grep -q "other/tls/example.crt" "$tmp/err"'
cp -R "$srcdir/conf/tls" "$tmp/other/tls"
run -c "$tmp/other/sluice.ini" maintenance off
check "through a symlink: the target is edited and the link stays a link" \
	'[ -L "$tmp/other/sluice.ini" ] && grep -q "^enabled = off$" "$ini"'

# Talking to a daemon that is not there.
run -c "$ini" status
check "status without a daemon: exit 1, says so" '[ $rc -eq 1 ] && grep -q "not running" "$tmp/err"'
run -c "$ini" wait-drained --timeout 1s
check "wait-drained without a daemon: exit 1" '[ $rc -eq 1 ]'
run -c "$ini" reload
check "reload without a daemon: exit 1, names the socket and the pidfile" \
	'[ $rc -eq 1 ] && grep -q "admin.sock" "$tmp/err" && grep -q "sluice.pid" "$tmp/err"'

# Usage errors.
run -c "$ini" maintenance
check "maintenance without on|off: exit 2" '[ $rc -eq 2 ]'
run -c "$ini" status --mode drain
check "an option of another command: exit 2" '[ $rc -eq 2 ] && grep -q -- "--mode does not apply to status" "$tmp/err"'
run -c "$ini" frobnicate
check "an unknown command: exit 2" '[ $rc -eq 2 ]'
run -c "$ini" wait-drained --timeout soon
check "a duration the config module does not read: exit 2" '[ $rc -eq 2 ]'

# reload through the pidfile: only a process called sluice is signalled.
sleep_bin=$(command -v sleep)
if [ -r /proc/self/comm ] && [ -n "$sleep_bin" ]; then
	ln -s "$sleep_bin" "$tmp/bin/sluice"
	"$tmp/bin/sluice" 60 &
	fake=$!
	started="$started $fake"
	# Wait for the exec (its name), bounded by a count, not a clock.
	i=0
	while [ "$(cat "/proc/$fake/comm" 2>/dev/null)" != sluice ] && [ $i -lt 10000 ]; do i=$((i + 1)); done
	echo "$fake" > "$tmp/run/sluice.pid"
	run -c "$ini" reload
	check "reload without admin socket: SIGHUP sent, exit 0, says it cannot confirm" \
		'[ $rc -eq 0 ] && grep -q "cannot be confirmed" "$tmp/out"'
	wait "$fake"
	check "the pidfile's process got SIGHUP" '[ $? -eq 129 ]'

	"$sleep_bin" 60 &
	other=$!
	started="$started $other"
	i=0
	while [ "$(cat "/proc/$other/comm" 2>/dev/null)" != sleep ] && [ $i -lt 10000 ]; do i=$((i + 1)); done
	echo "$other" > "$tmp/run/sluice.pid"
	run -c "$ini" reload
	check "a pidfile naming another program: not signalled, exit 1" \
		'[ $rc -eq 1 ] && grep -q "not sluice" "$tmp/err" && kill -0 "$other"'
else
	skip "reload without admin socket: SIGHUP sent" "no /proc"
	skip "the pidfile's process got SIGHUP" "no /proc"
	skip "a pidfile naming another program: not signalled" "no /proc"
fi

echo "1..$n"
exit $failed
