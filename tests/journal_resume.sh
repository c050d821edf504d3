#!/usr/bin/env bash
# SIGKILL of flowpool mid-run, then --resume: every job's output is there, each at most twice,
# and only jobs in flight at the kill repeat. Then --resume-failed retries exactly the jobs that
# failed. Usage: journal_resume.sh FLOWPOOL WORKERS run|exec
set -euo pipefail
flowpool=$1 workers=$2 mode=$3
work=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null; rm -rf "$work"' EXIT
jobs=240
fail() { echo "FAIL ($mode, $workers workers): $*" >&2; for f in "$work"/err*; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }

# Each program marks that it ran (its side effect), sleeps a little and prints its line.
program='echo "$2" >>"$1/marks"; sleep 0.01; [ "$(( $2 % 7 ))" != 0 ] || [ -e "$1/fixed" ] || exit 3; echo "job $2"'

cat >"$work/graph.yaml" <<YAML
graph: resume
nodes:
  input: {kind: source, op: lines, path: "$work/input"}
  work:
    kind: function
    op: exec
    command: [sh, -c, '$program', sh, "$work", "{value}"]
    concurrency: $workers
    on_error: skip
  out: {kind: sink, op: print, format: "{value}"}
edges: [input -> work -> out]
YAML
seq "$jobs" >"$work/input"

# In flight at once: run pins batches of one job and $workers batches; exec lets its default be,
# 2 x (-j + 1) + 2 batches of (for programs this slow) one job.
if [[ $mode == run ]]; then bound=$workers; else bound=$(( 2 * (workers + 1) + 2 )); fi

start() {  # EXTRA_FLAGS...: starts flowpool in the background, output appended to $work/out
    if [[ $mode == run ]]; then
        "$flowpool" run -q --batch 1 --max-in-flight "$workers" --journal "$work/journal" "$@" \
            "$work/graph.yaml" >>"$work/out" 2>>"$work/err" &
    else
        "$flowpool" exec -j "$workers" --journal "$work/journal" "$@" \
            -- sh -c "$program" sh "$work" {} <"$work/input" >>"$work/out" 2>>"$work/err" &
    fi
    pid=$!
}

kill_after_marks() {  # N: SIGKILL once N programs ran
    for _ in $(seq 600); do
        (( $(wc -l <"$work/marks" 2>/dev/null || echo 0) >= $1 )) && break
        sleep 0.01
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
}

: >"$work/marks"
start
kill_after_marks $(( 20 + RANDOM % 60 ))
[[ -s $work/journal ]] || fail "no journal written before the kill"
first=$(sort -u "$work/marks" | wc -l)
start --resume
kill_after_marks $(( first + 20 + RANDOM % 60 ))
start --resume
code=0
wait "$pid" || code=$?
pid=
(( code <= 1 )) || fail "the last resumed run exited $code, want 0 or 1"

failing=$(seq "$jobs" | awk '$1 % 7 == 0' | wc -l)
want=$(seq "$jobs" | awk '$1 % 7 != 0 {print "job " $1}' | sort)
got=$(sort -u "$work/out")
[[ $got == "$want" ]] || fail "the output after resuming is not every job's: $(diff <(echo "$want") <(echo "$got") | head -5)"
# Each job ran at least once; a job ran twice only if it was in flight at one of the two kills.
[[ $(sort -un "$work/marks") == "$(seq "$jobs")" ]] || fail "not every job ran"
repeats=$(sort -n "$work/marks" | uniq -d | wc -l)
(( repeats <= 2 * bound )) || fail "$repeats jobs ran twice; at most $bound in flight at each of 2 kills"
printed_twice=$(sort "$work/out" | uniq -d | wc -l)
(( printed_twice <= 2 * bound )) || fail "$printed_twice jobs printed twice"
# Every job is in the journal, the failed ones as failed with why.
(( $(grep -c $'^ok\t' "$work/journal") >= jobs - failing )) || fail "journal lacks ok lines"
grep -q $'^failed\t[a-z]*\t[0-9]*\t.*exit' "$work/journal" || fail "journal lacks why a job failed: $(grep failed "$work/journal" | head -2)"

# --resume again: every job is journaled (ok or failed): nothing runs, exit 0.
: >"$work/marks"
: >"$work/out"
start --resume
code=0; wait "$pid" || code=$?; pid=
(( code == 0 )) || fail "--resume of a finished journal exited $code"
[[ ! -s $work/marks ]] || fail "--resume ran $(wc -l <"$work/marks") programs of a finished run"

# --resume-failed: exactly the failed jobs run again, and now succeed.
touch "$work/fixed"
start --resume-failed
code=0; wait "$pid" || code=$?; pid=
(( code == 0 )) || fail "--resume-failed exited $code"
[[ $(sort -n "$work/marks") == "$(seq "$jobs" | awk '$1 % 7 == 0')" ]] || fail "--resume-failed ran $(sort -n "$work/marks" | tr '\n' ' '), want the multiples of 7"
[[ $(sort "$work/out") == "$(seq "$jobs" | awk '$1 % 7 == 0 {print "job " $1}' | sort)" ]] || fail "--resume-failed printed the wrong jobs"
echo "$mode at $workers workers: $repeats jobs repeated over 2 kills (bound $bound each); $failing failed jobs retried"
