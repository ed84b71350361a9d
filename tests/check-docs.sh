#!/bin/sh
# tests/check-docs.sh: the documentation keeps up with conf/keys.def (TAP).
#
# For every key `sluice --list-keys` prints (the key table itself):
#   - sluice.ini(5) has an entry `.It Cm KEY` under the section's `.Ss`
#     heading that gives the default (`.Ql DEFAULT`, or "default empty") and
#     says "applied on reload" or "needs a restart" as the table does;
#   - conf/sluice.ini sets the key under its [section].
# Then: sluice.ini(5) documents no key the table lacks; the example passes
# `sluice -t` from another directory; and every man/*.[1-8] is clean under
# `mandoc -Tlint` (skipped without mandoc) and `man --warnings` (groff, as
# operators read them; skipped without man-db). Lint messages that only say a
# referenced page is not installed yet are ignored: the project's own pages
# refer to each other before `make install`.
set -u

srcdir=${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${SLUICE_BUILDDIR:-.}
sluice=$builddir/sluice
man5=$srcdir/man/sluice.ini.5
example=$srcdir/conf/sluice.ini

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-docs.XXXXXX") || { echo "Bail out! mktemp failed"; exit 99; }
trap 'rm -rf "$tmp"' EXIT

if ! "$sluice" --list-keys > "$tmp/keys" || ! [ -s "$tmp/keys" ]; then
	echo "Bail out! $sluice --list-keys printed no keys"
	exit 99
fi

# sluice.ini(5) entries, one per line: "section.key<TAB>the entry's source, joined".
awk '
/^\.Ss / { section = ""; if (match($0, /\[[a-z_]+\]/)) section = substr($0, RSTART + 1, RLENGTH - 2) }
/^\.(It|El|Ss|Sh)([ \t]|$)/ { if (key != "") print key "\t" text; key = "" }
/^\.It Cm [a-z_]+$/ && section != "" { key = section "." $3; text = ""; next }
key != "" { text = text " " $0 }
END { if (key != "") print key "\t" text }
' "$man5" > "$tmp/man"

# Keys the example sets (comments skipped): "section.key".
awk '
/^[ \t]*\[/ { section = $0; gsub(/^[ \t]*\[|\].*$/, "", section); next }
/^[ \t]*([;#]|$)/ { next }
{ key = $0; sub(/[ \t]*[=:].*$/, "", key); sub(/^[ \t]+/, "", key); print section "." key }
' "$example" > "$tmp/example"

pages=$(ls "$srcdir"/man/*.[1-8] 2>/dev/null)
key_count=$(wc -l < "$tmp/keys")
page_count=$(echo "$pages" | grep -c .)
echo "1..$((key_count + 2 + 2 * page_count))"

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }

# A tab is white space to IFS, so empty defaults would shift the fields:
# split on the ASCII unit separator instead.
us=$(printf '\037')
tr '\t' "$us" < "$tmp/keys" > "$tmp/fields"
while IFS="$us" read -r key type default reload; do
	problems=""
	entry=$(awk -F '\t' -v k="$key" '$1 == k { print $2 }' "$tmp/man")
	if [ -z "$entry" ]; then
		problems="$problems; no '.It Cm ${key#*.}' under [${key%%.*}] in sluice.ini(5)"
	else
		if [ -z "$default" ]; then
			echo "$entry" | grep -q 'default empty' ||
				problems="$problems; sluice.ini(5) does not say 'default empty'"
		else
			# \: marks where a long default may break; it is not part of it.
			echo "$entry" | sed 's/\\://g' | grep -qF ".Ql $default" ||
				problems="$problems; sluice.ini(5) does not give the default as '.Ql $default'"
		fi
		if [ "$reload" = restart ]; then phrase="needs a restart"; else phrase="applied on reload"; fi
		echo "$entry" | grep -q "$phrase" || problems="$problems; sluice.ini(5) does not say '$phrase'"
	fi
	grep -qxF "$key" "$tmp/example" || problems="$problems; conf/sluice.ini does not set it"
	if [ -z "$problems" ]; then
		ok "$key ($type) documented in sluice.ini(5) and conf/sluice.ini"
	else
		not_ok "$key ($type) documented in sluice.ini(5) and conf/sluice.ini"
		echo "# ${problems#; }"
	fi
done < "$tmp/fields"

cut -f1 "$tmp/keys" > "$tmp/names"
stale=$(cut -f1 "$tmp/man" | grep -vxF -f "$tmp/names")
if [ -z "$stale" ]; then
	ok "sluice.ini(5) documents no key the table lacks"
else
	not_ok "sluice.ini(5) documents no key the table lacks"
	echo "$stale" | sed 's/^/# not in conf\/keys.def: /'
fi

if out=$(cd "$tmp" && "$sluice" -t -c "$example" 2>&1); then
	ok "conf/sluice.ini passes sluice -t from another directory"
else
	not_ok "conf/sluice.ini passes sluice -t from another directory"
	echo "$out" | sed 's/^/# /'
fi

for page in $pages; do
	name=man/${page##*/}
	if ! command -v mandoc > /dev/null 2>&1; then
		ok "mandoc -Tlint $name # SKIP mandoc is not installed"
		continue
	fi
	lint=$(mandoc -Tlint "$page" 2>&1 | grep -v -e 'referenced manual not found' -e 'outdated mandoc.db')
	if [ -z "$lint" ]; then
		ok "mandoc -Tlint $name"
	else
		not_ok "mandoc -Tlint $name"
		echo "$lint" | sed 's/^/# /'
	fi
done

# What `man` shows (groff, 80 columns) without a warning such as "can't
# break line".
for page in $pages; do
	name=man/${page##*/}
	if ! command -v man > /dev/null 2>&1; then
		ok "man --warnings $name # SKIP man is not installed"
		continue
	fi
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 > /dev/null)
	if [ -z "$warnings" ]; then
		ok "man --warnings $name: none"
	else
		not_ok "man --warnings $name: none"
		echo "$warnings" | sed 's/^/# /'
	fi
done

exit "$failed"
