#!/bin/sh
# tests/check-layers.sh: the include rules between the source folders (TAP).
#
#   1. nothing under tools/ includes a proxy/ header, by a qualified name
#      ("proxy/conn.h") or by a bare name that is a file in proxy/ ("conn.h");
#   2. protocol/ and conf/ include nothing from proxy/ or tools/;
#   3. protocol/ and conf/ do not include <ev.h>: the core has no event loop.
# The tools' targets are also compiled without -I proxy, so a bare proxy
# name does not even compile there; this script catches the qualified ones
# and keeps the core honest. A failing rule lists each FILE:LINE in a comment.
set -u

srcdir=${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$srcdir" || { echo "Bail out! no source tree at $srcdir"; exit 99; }
for d in protocol conf proxy tools; do
	[ -d "$d" ] || { echo "Bail out! $srcdir/$d is missing"; exit 99; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-layers.XXXXXX") || { echo "Bail out! mktemp failed"; exit 99; }
trap 'rm -rf "$tmp"' EXIT

# "FILE:LINE NAME" for every #include of the sources under the folders given.
includes() {
	find "$@" -type f \( -name '*.c' -o -name '*.h' -o -name '*.def' \) | sort |
	while read -r f; do
		awk -v f="$f" '
		/^[ \t]*#[ \t]*include[ \t]*["<]/ {
			s = $0
			sub(/^[ \t]*#[ \t]*include[ \t]*["<]/, "", s)
			sub(/[">].*$/, "", s)
			print f ":" FNR " " s
		}' "$f"
	done
}

# Bare file names of a folder tree, one per line.
names() {
	find "$@" -type f \( -name '*.c' -o -name '*.h' -o -name '*.def' \) | sed 's|.*/||' | sort -u
}

# Keeps the lines of "FILE:LINE NAME" whose NAME is under one of the folders
# given as a qualified path, or is bare and listed in the file $1.
reaching() {
	list=$1
	shift
	awk -v list="$list" -v dirs="$*" '
	BEGIN {
		while ((getline n < list) > 0) bare[n] = 1
		nd = split(dirs, d, " ")
	}
	{
		name = $2
		sub(/^(\.\.\/)+/, "", name)
		for (i = 1; i <= nd; i++)
			if (index(name, d[i] "/") == 1) { print; next }
		if (index($2, "/") == 0 && ($2 in bare)) print
	}'
}

report() {
	n=$1
	what=$2
	bad=$3
	if [ -s "$bad" ]; then
		echo "not ok $n - $what"
		sed 's/^/# /' "$bad"
	else
		echo "ok $n - $what"
	fi
}

echo "1..3"

names proxy > "$tmp/proxy-names"
includes tools | reaching "$tmp/proxy-names" proxy > "$tmp/bad1"
report 1 "tools/ include no proxy/ header" "$tmp/bad1"

names proxy tools > "$tmp/shell-names"
includes protocol conf > "$tmp/core"
# A bare name that is a file of the includer's own folder is that file.
reaching "$tmp/shell-names" proxy tools < "$tmp/core" |
while read -r where name; do
	dir=${where%/*}
	if [ "${name#*/}" = "$name" ] && [ -f "$dir/$name" ]; then
		continue
	fi
	echo "$where $name"
done > "$tmp/bad2"
report 2 "protocol/ and conf/ include nothing from proxy/ or tools/" "$tmp/bad2"

awk '$2 ~ /(^|\/)ev\.h$/' "$tmp/core" > "$tmp/bad3"
report 3 "protocol/ and conf/ do not include <ev.h>" "$tmp/bad3"
