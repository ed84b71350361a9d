#!/usr/bin/env bash
# tests/e2e/admin_reload.sh: POST /reload requests are coalesced (TAP).
#
# At most one reload runs and at most one more waits; requests that arrive
# while one waits share its result. 20 POST /reload sent at once make at most
# 2 reloads (counted in GET /status and in the log), and every one of them is
# answered with the contract's body (200 ok with the generation, or 422 with
# the same FILE:LINE error for a bad file). Four clients posting /reload in a
# loop for 3 s make at most one reload per RELOAD_GAP_SECONDS (0.2 s) plus
# one, not one per request. SIGHUP takes the same path.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
command -v jq > /dev/null 2>&1 || skip_all "jq not installed"
CLIENTS=$E2E_SRC/admin_clients.py

e2e_make_ca
e2e_make_cert server 127.0.0.1
e2e_start_upstream up
INI=$E2E_TMP/s.ini
SOCK=$E2E_TMP/admin.sock
e2e_write_ini "$INI" "$PEER_ADDR"
ini_set "$INI" admin socket "$SOCK"
e2e_start_sluice "$INI"

is() { [[ $2 == "$3" ]] || { printf '%s: %s, wanted %s\n' "$1" "$2" "$3"; return 1; }; }
status() { curl -sS --max-time 10 --unix-socket "$SOCK" -o "$E2E_TMP/status" http://sluice/status; }
# reloads: "ok failed generation" from GET /status.
reloads() { status && jq -r '"\(.reloads.ok) \(.reloads.failed) \(.config.generation)"' "$E2E_TMP/status"; }
# between LOW HIGH N: LOW <= N <= HIGH.
between() { [[ $3 -ge $1 && $3 -le $2 ]] || { echo "$3 is not in $1..$2"; return 1; }; }
log_lines() { grep -c 'reloading ' "$SLUICE_LOG"; }

# ---- 20 at once, a good file ----
read -r ok0 failed0 g0 <<< "$(reloads)"
lines0=$(log_lines)
python3 "$CLIENTS" burst "unix:$SOCK" 20 > "$E2E_TMP/burst" 2> "$E2E_TMP/burst.err"
read -r ok1 failed1 g1 <<< "$(reloads)"
tap_check "20 POST /reload at once: 20 answers, all 200 ok" \
	is answers "$(grep -c '^200 {"result":"ok","generation":[0-9]*}$' "$E2E_TMP/burst")" 20
tap_check "... made 1 or 2 reloads (GET /status reloads.ok)" between 1 2 $((ok1 - ok0))
tap_check "... and 1 or 2 in the log" between 1 2 $(($(log_lines) - lines0))
tap_check "... each answer has a generation the reloads made, the last one the one in force" \
	is generations "$(sed 's/.*"generation":\([0-9]*\).*/\1/' "$E2E_TMP/burst" | sort -n -u |
		awk -v lo=$((g0 + 1)) -v hi="$g1" '$1 < lo || $1 > hi { bad = 1 } { last = $1 } END { print bad ? "bad" : last }')" "$g1"

# ---- 10 at once, a bad file ----
cp "$INI" "$INI.good"
printf '[maintenance]\nmode = sideways\n' >> "$INI"
bad_line=$(wc -l < "$INI")
python3 "$CLIENTS" burst "unix:$SOCK" 10 > "$E2E_TMP/bad" 2> "$E2E_TMP/bad.err"
read -r ok2 failed2 g2 <<< "$(reloads)"
tap_check "10 POST /reload of a bad file at once: all 422 with the same FILE:LINE error" \
	is answers "$(sed 's/^\([0-9]*\) .*"error":"\([^:]*:[0-9]*\):.*/\1 \2/' "$E2E_TMP/bad" | sort | uniq -c |
		awk '{ print $1, $2, $3 }')" "10 422 $INI:$bad_line"
tap_check "... made 1 or 2 failed reloads" between 1 2 $((failed2 - failed1))
tap_check "... and the generation is kept" is generation "$g2" "$g1"
cp "$INI.good" "$INI"

# ---- four clients in a loop ----
read -r ok3 _ _ <<< "$(reloads)"
python3 "$CLIENTS" loop "unix:$SOCK" 4 3 > "$E2E_TMP/loop" 2> "$E2E_TMP/loop.err"
read -r ok4 _ _ <<< "$(reloads)"
read -r _ requests _ statuses < "$E2E_TMP/loop"
tap_check "4 clients looping POST /reload for 3 s: every answer 200" is statuses "$statuses" 200
tap_check "... at most 17 reloads (one per 0.2 s, and the first), however many requests" \
	between 1 17 $((ok4 - ok3))
tap_check "... fewer reloads than requests ($requests)" test $((ok4 - ok3)) -lt "$requests"

# ---- SIGHUP takes the same path ----
reloaded_after() { [[ $(reloads | awk '{ print $1 }') -gt $1 ]]; }
kill -HUP "$SLUICE_PID"
tap_check "SIGHUP still reloads (reloads.ok counted)" wait_until 10 reloaded_after "$ok4"
tap_plan "$TAP_N"
e2e_finish
