#!/usr/bin/env bash
# SIGKILL of `flowpool run --journal` part way, then --resume: the file and csv sinks keep the
# first run's lines and the resumed run's are added (one CSV header); a graph whose sink writes
# only at the end (summary) is refused a journal. Usage: journal_append.sh FLOWPOOL SRC_DIR
set -euo pipefail
flowpool=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$work/err" >&2 2>/dev/null; exit 1; }
cat >"$work/graph.yaml" <<YAML
graph: append
nodes:
  jobs: { kind: source, op: range, count: 200 }
  run: { kind: function, op: exec, command: [sh, -c, 'sleep 0.03; echo "{{\"n\": \$0}}"', '{value}'],
         output: json, concurrency: 2 }
  text: { kind: sink, op: file, path: "$work/out.txt", format: "{value.n}" }
  rows: { kind: sink, op: csv, path: "$work/out.csv" }
edges: [ jobs -> run, run -> text, run -> rows ]
YAML
"$flowpool" run -q --journal "$work/journal" "$work/graph.yaml" 2>"$work/err" &
pid=$!
for _ in $(seq 300); do
    (( $(cat "$work/out.txt" 2>/dev/null | wc -l) >= 10 )) && break
    sleep 0.01
done
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
first=$(cat "$work/out.txt" 2>/dev/null | wc -l)
(( first < 200 )) || fail "the first run finished before the kill"
"$flowpool" run -q --journal "$work/journal" --resume "$work/graph.yaml" 2>>"$work/err" ||
    fail "the resumed run exited $?"
[[ $(sort -nu "$work/out.txt") == "$(seq 0 199)" ]] || fail "out.txt lacks lines (first run: $first)"
[[ $(grep -c '^n$' "$work/out.csv") == 1 ]] || fail "out.csv has $(grep -c '^n$' "$work/out.csv") headers"
[[ $(grep -v '^n$' "$work/out.csv" | sort -nu) == "$(seq 0 199)" ]] || fail "out.csv lacks rows"
code=0
"$flowpool" run -q --journal "$work/j2" "$src/graphs/spin_summary.yaml" 2>"$work/err" || code=$?
(( code == 2 )) && grep -q "cannot resume node 'total'" "$work/err" ||
    fail "a summary sink under --journal: exit $code"
echo "ok: $first lines before the kill, all 200 after --resume, one CSV header"
