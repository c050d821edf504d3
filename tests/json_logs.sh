#!/usr/bin/env bash
# `--log-format json`: every line flowpool writes on stderr is one JSON object that
# `python3 -m json.tool` reads, with time, level and message; the failed job's line names its node
# and job id. Usage: json_logs.sh FLOWPOOL SOURCE_DIR
set -euo pipefail
flowpool=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$src"

code=0
"$flowpool" run tests/data/failing_job.yaml --quiet --log-format json --log-level info \
    >"$work/out" 2>"$work/err" || code=$?
[[ $code == 1 ]] || { echo "FAIL: exit $code, want 1" >&2; cat "$work/err" >&2; exit 1; }

lines=0
while IFS= read -r line; do
    printf '%s\n' "$line" | python3 -m json.tool >/dev/null ||
        { echo "FAIL: not one JSON object: $line" >&2; exit 1; }
    lines=$((lines + 1))
done <"$work/err"
(( lines >= 3 )) || { echo "FAIL: $lines log lines, want the run's info lines and its error" >&2; exit 1; }

python3 - "$work/err" <<'PY'
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
for l in lines:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", l["time"]), l
    assert l["level"] in ("info", "warning", "error"), l
    assert isinstance(l["message"], str) and l["message"], l
errors = [l for l in lines if l["level"] == "error"]
assert len(errors) == 1, errors
e = errors[0]
assert e["node"] == "check" and e["job"] == 4242, e
assert e["message"].startswith("value 4242 fails by request"), e
assert any(l["message"] == "run started" and "node" not in l for l in lines), lines
PY
echo "ok: $lines JSON log lines"
