#!/usr/bin/env bash
# Checks the JSON-records benchmark's tools (run by CTest; or by hand: bench/test_json_bench.sh
# build/bench): make_events writes the same bytes for the same arguments, to a file or to stdout,
# and the bytes pinned below on every machine; --bytes stops at the first line past the size;
# json_baseline (if built) writes what Python's json module picks from the same events.
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
echo ok
