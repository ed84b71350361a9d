#!/bin/bash
# tests/package/deb.sh: the Debian packages, built and used as an operator
# would (TAP). Needs root and a Debian 12 system it may install packages on
# (CI's; `tools/install-deps --package` installs the tools):
#   build both packages with dpkg-buildpackage -us -uc -b from a clean export
#   of the tree; lintian reports no error; dpkg -i installs them: files,
#   the sluice user, /etc/sluice/sluice.ini as a conffile, `sluice -t` that
#   names the missing certificate and passes once one is set, `man
#   sluice.ini`; an upgrade keeps the operator's edited conffile; remove
#   keeps it, purge removes it, the logs and the directory.
# usage: tests/package/deb.sh [WORKDIR]     (run from the source tree)
set -u -o pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"

[[ $(id -u) == 0 ]] || skip_all "installs packages: needs root"
for tool in dpkg-buildpackage lintian git; do
	command -v "$tool" > /dev/null || skip_all "$tool not installed (tools/install-deps --package)"
done
work=${1:-$(mktemp -d /tmp/sluice-deb.XXXXXX)}
tap_plan 22

# ---- build from a clean export (only what git tracks, plus the work tree's edits) ----
src=$work/sluice-src
rm -rf "$src" && mkdir -p "$src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - 2>/dev/null) |
	tar -xf - -C "$src"
(cd "$src" && dpkg-buildpackage -us -uc -b > "$work/build.log" 2>&1)
tap_status "dpkg-buildpackage -us -uc -b builds" $?
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
deb=$work/sluice_${version}_${arch}.deb
testdeb=$work/sluice-testtools_${version}_${arch}.deb
tap_check "both packages are there: sluice and sluice-testtools" test -s "$deb" -a -s "$testdeb"
lintian --fail-on error "$work"/*.changes > "$work/lintian.log" 2>&1
tap_status "lintian: no error" $?
tap_check "the daemon package holds no test tool; the test tools package holds both" \
	same value "$(dpkg-deb -c "$deb" | grep -c 'sluice-repo\|sluice-tenant') $(dpkg-deb -c "$testdeb" | grep -c 'bin/sluice-repo$\|bin/sluice-tenant$')" "0 2"

# ---- install ----
dpkg --purge sluice-testtools sluice > /dev/null 2>&1
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" "$testdeb" > "$work/install.log" 2>&1
tap_status "dpkg -i installs both" $?
tap_check "the user and group sluice exist, a system account" \
	same value "$(getent passwd sluice | awk -F: '$3 < 1000 { print $1 }')" sluice
tap_check "/etc/sluice/sluice.ini is a conffile" grep -qx ' */etc/sluice/sluice.ini [0-9a-f]*' \
	<(dpkg-query -W -f='${Conffiles}\n' sluice)
tap_check "its group is sluice and others cannot read it" \
	same value "$(stat -c '%G %a' /etc/sluice/sluice.ini /etc/sluice | tr '\n' ' ')" "sluice 640 sluice 750 "
unit=/lib/systemd/system/sluice.service
tap_check "the unit is Type=notify and reloads without procps" \
	same value "$(grep -c -x -e 'Type=notify' -e 'ExecReload=/usr/sbin/sluicectl -c /etc/sluice/sluice.ini reload' "$unit")" 2
tap_check "tmpfiles.d creates /run/sluice for sluice" \
	grep -q '^d /run/sluice 0750 sluice sluice' /usr/lib/tmpfiles.d/sluice.conf
tap_check "logrotate rotates /var/log/sluice and reopens with USR1" \
	grep -q 'USR1' /etc/logrotate.d/sluice
tap_check "bash completion for sluicectl" test -s /usr/share/bash-completion/completions/sluicectl
# -a: a `make install` under /usr/local may list its own copy first.
tap_check "man sluice.ini finds the page" grep -qx /usr/share/man/man5/sluice.ini.5.gz <(man -aw sluice.ini)
tap_check "the service is neither enabled nor started by the package" \
	test ! -e /etc/systemd/system/multi-user.target.wants/sluice.service

# ---- the installed configuration ----
/usr/sbin/sluice -t -c /etc/sluice/sluice.ini > "$work/t1.out" 2>&1
rc=$?
tap_check "sluice -t on the installed file fails, naming [tls] certificate" \
	same status "$rc $(grep -c '\[tls\] certificate' "$work/t1.out")" "1 1"
E2E_TMP=$work e2e_make_ca > /dev/null
E2E_TMP=$work e2e_make_cert server localhost > /dev/null
install -m 0640 -g sluice "$work/server.crt" "$work/server.key" /etc/sluice/
sed -i -e 's|^certificate =.*|certificate = /etc/sluice/server.crt|' \
	-e 's|^private_key =.*|private_key = /etc/sluice/server.key|' /etc/sluice/sluice.ini
tap_check "... and passes once a certificate and key are set" /usr/sbin/sluice -t -c /etc/sluice/sluice.ini
tap_check "sluice-repo from the test tools runs" /usr/sbin/sluice-repo --help

# ---- upgrade, remove, purge ----
DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold "$deb" > "$work/upgrade.log" 2>&1
tap_status "reinstalling (an upgrade) works" $?
tap_check "... and keeps the operator's edited configuration" \
	grep -qx 'certificate = /etc/sluice/server.crt' /etc/sluice/sluice.ini
dpkg -r sluice-testtools sluice > "$work/remove.log" 2>&1
tap_check "dpkg -r keeps the configuration" test -f /etc/sluice/sluice.ini
mkdir -p /var/log/sluice && echo line > /var/log/sluice/sluice.log
rm -f /etc/sluice/server.crt /etc/sluice/server.key
dpkg -P sluice sluice-testtools > "$work/purge.log" 2>&1
tap_status "dpkg -P purges" $?
tap_check "... removing /etc/sluice and /var/log/sluice" test ! -e /etc/sluice -a ! -e /var/log/sluice
