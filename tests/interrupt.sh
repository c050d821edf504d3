#!/usr/bin/env bash
# SIGINT and SIGTERM stop a long run: exit 130 / 143 within a second (times
# FLOWPOOL_TEST_SLOWDOWN, 3 in sanitized builds: the jobs in flight still run to the end), stdout
# holds whole lines only, and stderr says what happened. Usage: interrupt.sh FLOWPOOL SOURCE_DIR
set -euo pipefail
flowpool=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for signal in INT TERM; do
    "$flowpool" run "$src/graphs/worker_pool.yaml" --set jobs.count=1000000000 \
        --set workers.concurrency=2 >"$work/out" 2>"$work/err" &
    pid=$!
    # Signal once jobs come out (the handlers are installed before the run starts): a fixed wait
    # loses that race under a sanitizer on a loaded machine, and the signal then kills flowpool.
    for _ in $(seq 300); do [[ -s $work/out ]] && break; sleep 0.1; done
    sleep 0.2
    start=$(date +%s%N)
    kill -s "$signal" "$pid"
    code=0
    wait "$pid" || code=$?
    elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
    want=$([[ $signal == INT ]] && echo 130 || echo 143)
    [[ $code == "$want" ]] || { echo "FAIL: SIG$signal gave exit $code, want $want" >&2; cat "$work/err" >&2; exit 1; }
    (( elapsed_ms < 1000 * ${FLOWPOOL_TEST_SLOWDOWN:-1} )) || { echo "FAIL: SIG$signal took ${elapsed_ms} ms to stop" >&2; exit 1; }
    grep -q "interrupted by SIG$signal" "$work/err" || { echo "FAIL: stderr: $(cat "$work/err")" >&2; exit 1; }
    lines=$(wc -l <"$work/out")
    (( lines > 0 )) || { echo "FAIL: no output before SIG$signal" >&2; exit 1; }
    # Whole lines only: every line is one of the two shapes, and the file ends with a newline.
    if grep -vqE '^(Job [0-9]+ processed by worker [01]|Result: Job [0-9]+ Value [0-9]+)$' "$work/out"; then
        echo "FAIL: a torn line after SIG$signal" >&2; exit 1
    fi
    [[ $(tail -c1 "$work/out" | od -An -c | tr -d ' ') == '\n' ]] || { echo "FAIL: last line cut" >&2; exit 1; }
    echo "SIG$signal: exit $code after ${elapsed_ms} ms, $lines whole lines"
done

# A job backing off before its next try (`retry_backoff_ms`) stops waiting at the signal and is
# not tried again: exit 143 at once, not after the back-off or the drain timeout.
cat >"$work/retry.yaml" <<GRAPH
graph: retry
version: 1
nodes:
  jobs: { kind: source, op: range, count: 1 }
  try:  { kind: function, op: exec, command: [sh, -c, 'echo >>"\$0"; exit 1', "$work/tries"],
          retries: 3, retry_backoff_ms: 20000 }
  out:  { kind: sink, op: print }
edges:
  - jobs -> try -> out
GRAPH
"$flowpool" run "$work/retry.yaml" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 300); do [[ -s $work/tries ]] && break; sleep 0.1; done
sleep 0.2
start=$(date +%s%N)
kill -s TERM "$pid"
code=0
wait "$pid" || code=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[[ $code == 143 ]] || { echo "FAIL: back-off: exit $code, want 143" >&2; cat "$work/err" >&2; exit 1; }
(( elapsed_ms < 1000 * ${FLOWPOOL_TEST_SLOWDOWN:-1} )) || { echo "FAIL: back-off: SIGTERM took ${elapsed_ms} ms to stop" >&2; exit 1; }
grep -q "interrupted by SIGTERM" "$work/err" || { echo "FAIL: back-off: stderr: $(cat "$work/err")" >&2; exit 1; }
(( $(wc -l <"$work/tries") == 1 )) || { echo "FAIL: back-off: tried again after SIGTERM" >&2; exit 1; }
echo "SIGTERM in a retry back-off: exit $code after ${elapsed_ms} ms"
