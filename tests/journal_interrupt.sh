#!/usr/bin/env bash
# SIGINT or SIGTERM part way through `flowpool exec --journal`, then --resume: the programs the
# stop killed, and those it never started, are not journaled as failed, so the resumed run does
# them and every line is done; what a killed program wrote before the stop is not printed (the
# resumed run prints it). Usage: journal_interrupt.sh FLOWPOOL INT|TERM
set -euo pipefail
flowpool=$1 signal=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL (SIG$signal): $*" >&2; cat "$work/err" >&2; exit 1; }
seq 12 >"$work/input"
want=143
[[ $signal == INT ]] && want=130
run() {  # FLAGS...: the same command each time (a journal belongs to one command)
    "$flowpool" exec -j 2 --journal "$work/journal" "$@" -- \
        sh -c 'echo "start $1"; sleep 0.25; echo "job $1"' sh {} <"$work/input" >>"$work/out" \
        2>>"$work/err"
}
code=0
timeout --preserve-status -s "$signal" 0.6 "$flowpool" exec -j 2 --journal "$work/journal" -- \
    sh -c 'echo "start $1"; sleep 0.25; echo "job $1"' sh {} <"$work/input" >"$work/out" \
    2>"$work/err" || code=$?
(( code == want )) || fail "exit $code after the signal, want $want"
(( $(grep -c '^job' "$work/out") < 12 )) || fail "every line was done before the signal: nothing to resume"
[[ $(grep -c '^start' "$work/out") == $(grep -c '^job' "$work/out") ]] ||
    fail "a killed program's output was printed: $(tr '\n' ' ' <"$work/out")"
run --resume || fail "the resumed run exited $?"
got=$(grep '^job' "$work/out" | sort -u)
[[ $got == "$(seq 12 | sed 's/^/job /' | sort)" ]] ||
    fail "not every line was done: $(diff <(seq 12 | sed 's/^/job /' | sort) <(echo "$got") | head -5)"
echo "ok: SIG$signal, then --resume: all 12 lines"
