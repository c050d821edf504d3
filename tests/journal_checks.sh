#!/usr/bin/env bash
# The journal's edges and the failure limit: a torn last journal line, a journal of another
# graph, sources without stable ids, `max_failures:` and `--max-failures`, and validate's warning
# for a program not on PATH. Usage: journal_checks.sh FLOWPOOL
set -euo pipefail
flowpool=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $work/err ]] && cat "$work/err" >&2; exit 1; }
expect_code() {  # WANT COMMAND...
    local want=$1 code=0
    shift
    "$@" >"$work/out" 2>"$work/err" || code=$?
    (( code == want )) || fail "'$*' exited $code, want $want"
}

# A torn last line (SIGKILL during its write) is ignored and cut off before appending.
cat >"$work/range.yaml" <<YAML
graph: numbers
nodes:
  input: {kind: source, op: range, count: 10}
  out: {kind: sink, op: print, format: "{value}"}
edges: [input -> out]
YAML
expect_code 0 "$flowpool" run -q --journal "$work/j" "$work/range.yaml"
[[ $(head -1 "$work/j") == flowpool-journal* ]] || fail "no journal header: $(head -1 "$work/j")"
(( $(grep -c $'^ok\tinput\t' "$work/j") == 10 )) || fail "not 10 ok lines: $(cat "$work/j")"
grep -v -P '^ok\tinput\t[7-9]$' "$work/j" >"$work/j2"
printf 'ok\tinput\t8' >>"$work/j2"  # job 8's line, cut short
mv "$work/j2" "$work/j"
expect_code 0 "$flowpool" run -q --journal "$work/j" --resume "$work/range.yaml"
[[ $(cat "$work/out") == "$(printf '7\n8\n9')" ]] || fail "resume after a torn line ran: $(cat "$work/out" | tr '\n' ' ')"
(( $(grep -c $'^ok\tinput\t' "$work/j") == 10 )) || fail "journal after the torn line: $(cat "$work/j")"
grep -q -P '^ok\tinput\t8ok' "$work/j" && fail "the torn line was glued to the next"
expect_code 0 "$flowpool" run --journal "$work/j" --resume "$work/range.yaml"
[[ ! -s $work/out ]] || fail "a finished journal ran jobs again"
grep -q "10 jobs left out" "$work/err" || fail "no word of the jobs left out"
# The failure that stops a run (on_error: fail) is journaled: --resume does not run it again.
seq 8 >"$work/eight"
cat >"$work/stops.yaml" <<YAML
graph: stops
nodes:
  input: {kind: source, op: lines, path: "$work/eight"}
  check: {kind: function, op: exec, command: [sh, -c, '[ \$1 != 5 ]', sh, "{value}"]}
  out: {kind: sink, op: print, format: "{id}"}
edges: [input -> check -> out]
YAML
rm -f "$work/js"
expect_code 1 "$flowpool" run -q --journal "$work/js" "$work/stops.yaml"
grep -q -P '^failed\tinput\t4\tcheck: sh exited with code 1' "$work/js" ||
    fail "the failure that stopped the run is not journaled: $(cat "$work/js")"
expect_code 0 "$flowpool" run -q --journal "$work/js" --resume "$work/stops.yaml"
grep -q '^4$' "$work/out" && fail "--resume ran the journaled failure again"
# A graph refused at validation leaves the journal (and a --stats-json file) as it was.
cp "$work/js" "$work/js.before"
echo kept >"$work/stats.json"
expect_code 2 "$flowpool" run -q --journal "$work/js" --stats-json "$work/stats.json" \
    --set check.concurrency=0 "$work/stops.yaml"
cmp -s "$work/js" "$work/js.before" || fail "a refused graph changed the journal: $(cat "$work/js")"
[[ $(cat "$work/stats.json") == kept ]] || fail "a refused graph emptied --stats-json"
# So does one refused after validation, as its sinks are made (a `path:` in a directory that is
# gone): the journal is started only when the run is, with or without --resume, and a missing
# one is not made. (It was emptied, or its torn last line cut off, before the sink was refused.)
mkdir "$work/gone"
sed "s|print, format: \"{id}\"|file, path: \"$work/gone/out.txt\"|" "$work/stops.yaml" >"$work/gone.yaml"
expect_code 1 "$flowpool" run -q --journal "$work/jg" "$work/gone.yaml"
rm -r "$work/gone"
printf 'ok\tinput\t7' >>"$work/jg"  # a torn last line, which --resume would cut off
cp "$work/jg" "$work/jg.before"
for resume in "" --resume --resume-failed; do
    # shellcheck disable=SC2086  # no word when empty
    expect_code 2 "$flowpool" run -q $resume --journal "$work/jg" "$work/gone.yaml"
    grep -q "gone/out.txt' for writing" "$work/err" || fail "refused sink ($resume): $(cat "$work/err")"
    cmp -s "$work/jg" "$work/jg.before" ||
        fail "a run refused at its sink ($resume) changed the journal: $(cat "$work/jg")"
done
expect_code 2 "$flowpool" run -q --journal "$work/jnew" "$work/gone.yaml"
[[ ! -e $work/jnew ]] || fail "a run refused at its sink made its journal"
expect_code 2 "$flowpool" run -q --journal "$work/no/such/dir/j" "$work/stops.yaml"
grep -q "cannot open journal '$work/no/such/dir/j'" "$work/err" ||
    fail "a journal in no directory: $(cat "$work/err")"
# --resume and --resume-failed say opposite things of a failed job: not both.
for command in "run -q --journal $work/j $work/range.yaml" "exec --journal $work/j -- echo"; do
    # shellcheck disable=SC2086  # the words of the command
    expect_code 2 "$flowpool" ${command/--journal/--resume --resume-failed --journal} </dev/null
    grep -q "excludes" "$work/err" || fail "$command: no word of the two flags: $(cat "$work/err")"
done

# Sources that parse on the workers (jsonl, csv) leave out journaled jobs before parsing: the
# texts left keep their own values, and a malformed one still fails as itself.
for i in $(seq 0 11); do if (( i == 5 )); then echo '{"n": 5,'; else echo "{\"n\": $i}"; fi; done >"$work/records.jsonl"
{ echo "n,sq"; for i in $(seq 0 11); do if (( i == 5 )); then echo '5,25,extra'; else echo "$i,$(( i * i ))"; fi; done; } >"$work/records.csv"
for format in jsonl csv; do
    cat >"$work/records.yaml" <<YAML
graph: records
nodes:
  input: {kind: source, op: $format, path: "$work/records.$format", on_error: skip}
  out: {kind: sink, op: print, format: "{id}={value.n}"}
edges: [input -> out]
YAML
    rm -f "$work/jr"
    expect_code 0 "$flowpool" run -q --journal "$work/jr" "$work/records.yaml"
    grep -q -P '^failed\tinput\t5\t' "$work/jr" || fail "$format: record 5 not journaled as failed: $(cat "$work/jr")"
    grep -v -P '^(ok|failed)\tinput\t(2|5|9|11)(\t|$)' "$work/jr" >"$work/jr2"
    mv "$work/jr2" "$work/jr"
    expect_code 0 "$flowpool" run -q --journal "$work/jr" --resume "$work/records.yaml"
    [[ $(sort "$work/out" | tr '\n' ' ') == "11=11 2=2 9=9 " ]] || fail "$format resume printed: $(cat "$work/out" | tr '\n' ' ')"
    grep -q -P '^failed\tinput\t5\t' "$work/jr" || fail "$format: record 5 not failed again"
done

# A journal of another graph, or not a journal at all, is refused.
sed 's/count: 10/count: 11/' "$work/range.yaml" >"$work/other.yaml"
expect_code 2 "$flowpool" run -q --journal "$work/j" --resume "$work/other.yaml"
grep -q "written by another run" "$work/err" || fail "other graph: $(cat "$work/err")"
echo "not a journal" >"$work/notj"
expect_code 2 "$flowpool" run -q --journal "$work/notj" --resume "$work/range.yaml"
# (Lines from a file: exec refuses before reading them, and `seq | exec` then let seq die of
# SIGPIPE now and then, failing the script under pipefail.)
seq 3 >"$work/three"
expect_code 2 "$flowpool" exec --journal "$work/j" --resume -- echo <"$work/three"
expect_code 2 "$flowpool" run -q --resume "$work/range.yaml"
grep -q "need --journal" "$work/err" || fail "--resume without --journal: $(cat "$work/err")"

# Sources whose ids are not stable are refused.
cat >"$work/stream.yaml" <<YAML
graph: stream
nodes:
  input: {kind: source, op: redis_stream, stream: s, group: g}
  out: {kind: sink, op: print}
edges: [input -> out]
YAML
expect_code 2 "$flowpool" run -q --journal "$work/js" "$work/stream.yaml"
grep -q "does not give a job the same id each run" "$work/err" || fail "stream source: $(cat "$work/err")"

# A run whose node holds jobs to the end cannot be resumed.
cat >"$work/agg.yaml" <<YAML
graph: agg
nodes:
  input: {kind: source, op: range, count: 10}
  sum: {kind: function, op: aggregate, fields: {n: "count()"}}
  out: {kind: sink, op: print}
edges: [input -> sum -> out]
YAML
expect_code 2 "$flowpool" run -q --journal "$work/ja" "$work/agg.yaml"
grep -q "holds jobs back" "$work/err" || fail "aggregate: $(cat "$work/err")"

# max_failures: 10 of 200 jobs fail (parse_int of "x"), under skip.
for i in $(seq 200); do if (( i % 20 == 0 )); then echo x; else echo "$i"; fi; done >"$work/numbers"
limited() {  # MAX_FAILURES_LINE
    cat >"$work/limited.yaml" <<YAML
graph: limited
$1
nodes:
  input: {kind: source, op: lines, path: "$work/numbers"}
  parse: {kind: function, op: parse_int, on_error: skip}
  out: {kind: sink, op: print}
edges: [input -> parse -> out]
YAML
}
limited "max_failures: 3"
expect_code 1 "$flowpool" run -q "$work/limited.yaml"
# Stopped as the 4th failure's batch ended: the batches already made still ran.
grep -q -E "more than max_failures 3 jobs failed \(([4-9]|10) of [0-9]+\)" "$work/err" ||
    fail "max_failures 3: $(cat "$work/err")"
limited "max_failures: 10"
expect_code 0 "$flowpool" run -q "$work/limited.yaml"
limited "max_failures: 6%"
expect_code 0 "$flowpool" run -q "$work/limited.yaml"
expect_code 1 "$flowpool" run -q --max-failures 4% "$work/limited.yaml"
grep -q "more than max_failures 4% jobs failed" "$work/err" || fail "--max-failures 4%: $(cat "$work/err")"
limited ""
expect_code 0 "$flowpool" run -q "$work/limited.yaml"
expect_code 1 "$flowpool" run -q --max-failures 9 "$work/limited.yaml"
expect_code 2 "$flowpool" run -q --max-failures nine "$work/limited.yaml"
limited "max_failures: lots"
expect_code 2 "$flowpool" run -q "$work/limited.yaml"
grep -q "limited.yaml:2:15: error: max_failures takes a whole number N or a percentage P%" "$work/err" ||
    fail "bad max_failures: $(cat "$work/err")"
expect_code 2 "$flowpool" validate "$work/limited.yaml"

# A journal is never written over a file that is not one: the input (`seq 5 > f; exec
# --journal f < f` emptied it), the graph file, a sink's output (even one not written yet).
seq 5 >"$work/lines.txt"
expect_code 2 "$flowpool" exec --journal "$work/lines.txt" -- echo <"$work/lines.txt"
grep -q "'$work/lines.txt' holds something other than a flowpool journal" "$work/err" ||
    fail "a journal over the input: $(cat "$work/err")"
[[ $(cat "$work/lines.txt") == $(seq 5) ]] || fail "the input was written over: $(cat "$work/lines.txt")"
cp "$work/range.yaml" "$work/range.before"
expect_code 2 "$flowpool" run -q --journal "$work/range.yaml" "$work/range.yaml"
grep -q "is the graph file" "$work/err" || fail "a journal over the graph: $(cat "$work/err")"
cmp -s "$work/range.yaml" "$work/range.before" || fail "the graph file was written over"
cat >"$work/to_file.yaml" <<YAML
graph: to-file
nodes:
  input: {kind: source, op: range, count: 3}
  out: {kind: sink, op: file, path: "$work/numbers.txt"}
edges: [input -> out]
YAML
expect_code 2 "$flowpool" run -q --journal "$work/numbers.txt" "$work/to_file.yaml"
grep -q "is the file node 'out' writes" "$work/err" || fail "a journal over a sink: $(cat "$work/err")"

# validate warns (exit 0) when an exec node's program is not on PATH.
cat >"$work/exec.yaml" <<YAML
graph: programs
nodes:
  input: {kind: source, op: range, count: 3}
  a: {kind: function, op: exec, command: [no-such-program-flowpool, "{value}"]}
  b: {kind: function, op: exec, command: [/no/such/dir/prog]}
  c: {kind: function, op: exec, command: [sh, -c, "echo {value}"]}
  d: {kind: function, op: exec, command: ["{value}"]}
  out: {kind: sink, op: print}
edges: [input -> a -> b -> c -> d -> out]
YAML
expect_code 0 "$flowpool" validate "$work/exec.yaml"
grep -q "exec.yaml:4:43: warning: node 'a': program 'no-such-program-flowpool' is not on PATH" "$work/err" ||
    fail "no PATH warning for a: $(cat "$work/err")"
grep -q "exec.yaml:5:43: warning: node 'b': program '/no/such/dir/prog' does not exist" "$work/err" ||
    fail "no warning for b: $(cat "$work/err")"
(( $(grep -c warning "$work/err") == 2 )) || fail "warnings for programs that are there: $(cat "$work/err")"
echo "journal checks: torn line, other graph, unstable ids, held-back nodes, max_failures, files not journals, PATH warning: ok"
