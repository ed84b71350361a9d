#!/bin/sh
# tests/check-layers.sh: the include rules between the source folders (TAP).
#
#   1. nothing under tools/ includes a proxy/ header, by a qualified name
#      ("proxy/conn/conn.h") or by a bare name that is a file in proxy/ ("conn.h");
#   2. protocol/ and conf/ include nothing from proxy/ or tools/;
#   3. protocol/ and conf/ do not include <ev.h>: the core has no event loop.
#   4. inside proxy/ the arrows point one way: policy/ < net/ < conn/ <
#      admin/ and the process files at the top. A file includes headers of
#      its own layer or of a lower one; proxy/policy/ (part of libsluice.a)
#      includes no proxy/ header outside policy/, and neither <ev.h> nor
#      an OpenSSL header.
#   5. (test 7) proxy/conn/, the connection engine, includes no header of admin/ or of
#      the process files (server.h, listener.h, reload.h, ...): what it needs
#      of the process comes through its context (conn/conn_context.h), so it
#      is unit-tested with a fake one.
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

echo "1..7"

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

# The layer of a proxy/ header, from the includer's folder and the name:
# "net/buffer.h" is net; a bare name is the includer's own folder when the
# file is there, the process layer when it is in proxy/ itself, else not
# proxy's (a core or system header).
proxy_layer_of() {
	awk -v srcdir="$srcdir" '
	function exists(p) { return (getline line < p) >= 0 ? (close(p) || 1) : 0 }
	{
		where = $1; name = $2
		file = where; sub(/:[0-9]+$/, "", file)
		dir = file; sub(/\/[^\/]*$/, "", dir)
		if (name ~ /^(policy|net|conn|admin)\//) {
			layer = name; sub(/\/.*$/, "", layer)
		} else if (index(name, "/") == 0 && exists(dir "/" name)) {
			layer = (dir == "proxy") ? "process" : dir; sub(/^proxy\//, "", layer)
		} else if (index(name, "/") == 0 && exists("proxy/" name)) {
			layer = "process"
		} else {
			next
		}
		print where, name, layer
	}'
}

rank() {
	case $1 in
	policy) echo 1 ;; net) echo 2 ;; conn) echo 3 ;; admin | process) echo 4 ;; *) echo 9 ;;
	esac
}

# Rule 4 for one folder: every proxy/ header it includes is of a layer at or
# below its own.
layer_rule() {
	n=$1
	folder=$2
	own=$(rank "$folder")
	includes "proxy/$folder" | proxy_layer_of |
	while read -r where name layer; do
		[ "$(rank "$layer")" -le "$own" ] || echo "$where $name (a $layer header)"
	done > "$tmp/bad$n"
	report "$n" "proxy/$folder/ includes no proxy/ header above its layer" "$tmp/bad$n"
}

layer_rule 4 policy
layer_rule 5 net

includes proxy/policy | awk '$2 ~ /(^|\/)ev\.h$/ || $2 ~ /^openssl\// || $2 ~ /^(sys\/socket|netinet\/|arpa\/)/' > "$tmp/bad6"
report 6 "proxy/policy/ includes neither <ev.h>, OpenSSL nor socket headers" "$tmp/bad6"

layer_rule 7 conn
