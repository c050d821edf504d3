#!/usr/bin/env bash
# Checks the JSON-records benchmark's tools (run by CTest; or by hand: bench/test_json_bench.sh
# build/bench): make_events writes the same bytes for the same arguments, to a file or to stdout,
# and the bytes pinned below on every machine; --bytes stops at the first line past the size;
# json_baseline (if built) writes what Python's json module picks from the same events, and
# errors_baseline (if built) prints the per-host counts, means and exact p99s Python computes.
set -euo pipefail
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$bin/make_events" --events 20000 --seed 3 -o "$dir/a.jsonl"
"$bin/make_events" --events 20000 --seed 3 >"$dir/b.jsonl"
cmp -s "$dir/a.jsonl" "$dir/b.jsonl" || fail "same arguments, different bytes"
"$bin/make_events" --events 20000 --seed 4 | cmp -s - "$dir/a.jsonl" && fail "the seed does nothing"
[[ $(wc -l <"$dir/a.jsonl") == 20000 ]] || fail "--events 20000 did not write 20000 lines"
sum=$("$bin/make_events" --events 1000 --seed 1 | md5sum | cut -d' ' -f1)
[[ $sum == 20d514bddd1c69f83f9c6b98c4f6cfd7 ]] || fail "--events 1000 --seed 1 gave md5 $sum"

"$bin/make_events" --bytes 100K -o "$dir/c.jsonl"
size=$(stat -c %s "$dir/c.jsonl")
last=$(tail -n 1 "$dir/c.jsonl" | wc -c)
((size >= 100000 && size - last < 100000)) || fail "--bytes 100K wrote $size bytes"

python3 - "$dir/a.jsonl" >"$dir/expected.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    event = json.loads(line)  # also checks that every line is valid JSON
    print(json.dumps({"host": event["host"], "status": event["status"]},
                     separators=(",", ":"), ensure_ascii=False))
PY
if [[ -x $bin/json_baseline ]]; then
    for reader in stream lines; do
        "$bin/json_baseline" "$dir/a.jsonl" "$dir/out.jsonl" --reader "$reader" >/dev/null
        cmp -s "$dir/expected.jsonl" "$dir/out.jsonl" || fail "json_baseline --reader $reader"
    done
fi
if [[ -x $bin/errors_baseline ]]; then
    "$bin/errors_baseline" --p99 "$dir/a.jsonl" >"$dir/errors.txt" 2>/dev/null
    python3 - "$dir/a.jsonl" "$dir/errors.txt" <<'PY' || fail "errors_baseline"
import json, math, sys
hosts = {}  # in the order of each host's first error
for line in open(sys.argv[1], encoding="utf-8"):
    event = json.loads(line)
    if event["status"] >= 500:
        hosts.setdefault(event["host"], []).append(event["latency_ms"])
got = [line.split() for line in open(sys.argv[2])]
assert [g[0] for g in got] == list(hosts), "hosts or their order"
for (host, count, mean, p99), latencies in zip(got, hosts.values()):
    assert int(count) == len(latencies), host
    assert math.isclose(float(mean), sum(latencies) / len(latencies), rel_tol=1e-12), host
    assert float(p99) == sorted(latencies)[int(0.99 * (len(latencies) - 1))], host
PY
fi
echo ok
