#!/bin/bash
# tests/e2e/ctl_completion.sh: contrib/bash-completion/sluicectl offers what
# sluicectl accepts (TAP): the commands, each command's options, on|off,
# drain|block|hold; and every command and option it offers is one `sluicectl
# --help` lists, so the two cannot drift apart.
set -u -o pipefail
. "${SLUICE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

completion=$SLUICE_SRCDIR/contrib/bash-completion/sluicectl
ctl=$SLUICE_BUILDDIR/sluicectl
[[ -x $ctl ]] || hard_error "no sluicectl at $ctl (run make first)"
tap_plan 10

# complete WORDS...: what the completion offers for the last word.
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _sluicectl
		echo "${COMPREPLY[*]}"' complete "$completion" "$@"
}

tap_check "it loads and registers for sluicectl" \
	bash -c '. "$1" && complete -p sluicectl | grep -q _sluicectl' x "$completion"
tap_check "the commands" same commands "$(complete_words sluicectl '')" \
	"status maintenance wait-drained reload check -c --config --fleet -V --version -h --help"
tap_check "a prefix" same prefix "$(complete_words sluicectl wa)" "wait-drained"
tap_check "maintenance: on, off or plan first" same maintenance "$(complete_words sluicectl -c x.ini maintenance '')" "on off plan"
tap_check "maintenance plan: its options" same plan "$(complete_words sluicectl maintenance plan --)" \
	"--mode --tenants --json"
tap_check "maintenance on: its options" same options "$(complete_words sluicectl maintenance on --)" \
	"--mode --message --retry-after --timeout"
tap_check "--mode: drain, block or hold" same mode "$(complete_words sluicectl maintenance on --mode '')" "drain block hold"
tap_check "status --json, wait-drained --timeout" same others \
	"$(complete_words sluicectl status -) $(complete_words sluicectl wait-drained -)" "--json --timeout"

help=$("$ctl" --help)
missing=""
for word in status maintenance wait-drained reload check --config --fleet --version --help --json --mode --message \
	--retry-after --timeout plan --tenants; do
	grep -q -e "$word" <<<"$help" || missing="$missing $word"
done
tap_check "every word it offers is in sluicectl --help" same missing "$missing" ""
for word in $(grep -o '^  [a-z-]*' <<<"$help" | tr -d ' '); do
	grep -q -- "$word" "$completion" || missing="$missing $word"
done
tap_check "every command sluicectl --help lists is offered" same missing "$missing" ""
