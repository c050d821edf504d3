#!/usr/bin/env bash
# FIFOs as a sink's file and as a source's input: a run waits for the other end without blocking
# in open(2), so a signal stops it at once (exit 130/143 within a second, times
# FLOWPOOL_TEST_SLOWDOWN) rather than after the drain timeout; and an other end that comes late
# gets or gives every line. Usage: fifo.sh FLOWPOOL
set -euo pipefail
flowpool=$1
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
slow=${FLOWPOOL_TEST_SLOWDOWN:-1}
fail() { echo "FAIL: $*" >&2; cat "$work/err" >&2 2>/dev/null; exit 1; }

mkfifo "$work/out.fifo" "$work/in.fifo"
cat >"$work/to_fifo.yaml" <<GRAPH
graph: to-fifo
version: 1
nodes:
  jobs: { kind: source, op: range, count: 1000 }
  out:  { kind: sink, op: file, path: "$work/out.fifo" }
edges:
  - jobs -> out
GRAPH
cat >"$work/from_fifo.yaml" <<GRAPH
graph: from-fifo
version: 1
nodes:
  jobs: { kind: source, op: lines, path: "$work/in.fifo" }
  out:  { kind: sink, op: file, path: "$work/lines.txt" }
edges:
  - jobs -> out
GRAPH

# Runs GRAPH in the background, signals it once the run has started (its handlers are installed
# then: a signal before would kill it, exit 128+N all the same) and half a second has passed,
# and checks that it left at once.
interrupt() {
    local graph=$1 signal=$2 want=$3
    "$flowpool" run --log-level info "$graph" >"$work/stdout" 2>"$work/err" &
    local pid=$!
    for _ in $(seq 300); do grep -q 'run started' "$work/err" && break; sleep 0.1; done
    sleep 0.5
    kill -0 "$pid" 2>/dev/null || fail "$graph: ended before the signal"
    local start code=0
    start=$(date +%s%N)
    kill -s "$signal" "$pid"
    wait "$pid" || code=$?
    local elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
    [[ $code == "$want" ]] || fail "$graph: SIG$signal gave exit $code, want $want"
    (( elapsed_ms < 1000 * slow )) || fail "$graph: SIG$signal took ${elapsed_ms} ms to stop"
    grep -q "interrupted by SIG$signal" "$work/err" || fail "$graph: stderr"
    ! grep -q abandoned "$work/err" || fail "$graph: jobs abandoned"
    echo "$(basename "$graph"), nobody at the other end: SIG$signal, exit $code after ${elapsed_ms} ms"
}

# Nobody reads the sink's FIFO, nobody writes the source's.
interrupt "$work/to_fifo.yaml" INT 130
interrupt "$work/from_fifo.yaml" TERM 143

# A reader that comes late gets every line, and its end of file.
"$flowpool" run "$work/to_fifo.yaml" >"$work/stdout" 2>"$work/err" &
pid=$!
sleep 0.5
timeout $((20 * slow)) cat "$work/out.fifo" >"$work/read.txt" || fail "late reader: no end of file"
wait "$pid" || fail "late reader: flowpool exit $?"
[[ $(wc -l <"$work/read.txt") == 1000 ]] || fail "late reader: $(wc -l <"$work/read.txt") lines"
[[ $(sort -n "$work/read.txt" | uniq | wc -l) == 1000 ]] || fail "late reader: lines repeated"
echo "a reader half a second late: 1000 lines"

# A writer that comes late gives every line.
"$flowpool" run "$work/from_fifo.yaml" >"$work/stdout" 2>"$work/err" &
pid=$!
sleep 0.5
printf 'a\nb\nc\n' >"$work/in.fifo"
code=0
timeout $((20 * slow)) tail --pid="$pid" -f /dev/null || fail "late writer: flowpool did not end"
wait "$pid" || code=$?
[[ $code == 0 ]] || fail "late writer: exit $code"
[[ $(sed 's/.* Value //' "$work/lines.txt" | sort | tr -d '\n') == abc ]] ||
    fail "late writer: $(cat "$work/lines.txt")"
echo "a writer half a second late: 3 lines"
