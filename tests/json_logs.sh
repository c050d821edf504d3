#!/usr/bin/env bash
# `--log-format json`: every line flowpool writes on stderr is one JSON object that
# `python3 -m json.tool` reads, with time, level and message; the failed job's line names its node
# and job id. Under --quiet that holds for every line, whatever the bytes of the data (invalid
# UTF-8 becomes U+FFFD) and however the run ends: a signal, a failure limit, a graph file or a
# --set refused, an exec node reporting its failures. Usage: json_logs.sh FLOWPOOL SOURCE_DIR
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

# check_json NAME CODE LEVEL PATTERN: the run NAME (its stderr in $work/NAME.err) exited CODE
# ($code), every line of its stderr is one JSON object (the bytes UTF-8), and one at LEVEL has a
# message that PATTERN (a Python regex) matches from its start.
check_json() {
    python3 - "$work/$1.err" "$@" "$code" <<'PY'
import json, re, sys
path, name, want, level, pattern, code = sys.argv[1:7]
raw = open(path, "rb").read()
try:
    text = raw.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit(f"FAIL: {name}: stderr is not UTF-8 ({e}): {raw!r}")
lines = []
for line in text.splitlines():
    try:
        lines.append(json.loads(line))
    except ValueError:
        sys.exit(f"FAIL: {name}: not one JSON object: {line!r}")
    if not isinstance(lines[-1], dict) or "message" not in lines[-1]:
        sys.exit(f"FAIL: {name}: not a log line: {line!r}")
if code != want:
    sys.exit(f"FAIL: {name}: exit {code}, want {want}: {text}")
if not any(l["level"] == level and re.match(pattern, l["message"]) for l in lines):
    sys.exit(f"FAIL: {name}: no {level} line matching {pattern!r}: {text}")
PY
}

# quiet NAME ARG...: `flowpool run ARG... -q --log-format json`, stderr in $work/NAME.err.
quiet() {
    local name=$1
    shift
    code=0
    "$flowpool" run "$@" -q --log-format json >/dev/null 2>"$work/$name.err" || code=$?
}

# A failure quoting a value with a quote, a backslash, control bytes, a byte 0xFF and a cut-off
# sequence (each one U+FFFD) around a well-formed é; then three more lines that fail (after it:
# `parse` is serial, so the first failure, which stops the run, is that one).
printf '12\nab"c\\d\001e\377\tz \303\251 \342\202\na\nb\nc\n' >"$work/bad.txt"
cat >"$work/bad.yaml" <<YAML
graph: bad-bytes
nodes:
  lines: { kind: source, op: lines, path: "$work/bad.txt" }
  parse: { kind: function, op: parse_int, concurrency: 1 }
  out:   { kind: sink, op: summary }
edges:
  - lines -> parse -> out
YAML
quiet bad_bytes "$work/bad.yaml"
check_json bad_bytes 1 error 'not an integer: .*e\ufffd.*z \u00e9 \ufffd'

# More failures than --max-failures allows.
quiet max_failures "$work/bad.yaml" --set parse.on_error=skip --max-failures 3
check_json max_failures 1 error 'stopped: more than max_failures 3 jobs failed \(4 of '

# A graph file and a --set refused.
: >"$work/empty.yaml"
quiet empty "$work/empty.yaml"
check_json empty 2 error '.*/empty\.yaml:1:1: the file is empty$'
quiet set tests/data/failing_job.yaml --set nonsense
check_json set 2 error 'tests/data/failing_job\.yaml: --set nonsense: expected NODE\.PARAM=VALUE$'

# An exec node that says on stderr which jobs failed.
cat >"$work/exec.yaml" <<YAML
graph: exec-failures
nodes:
  jobs: { kind: source, op: range, count: 2 }
  run:  { kind: function, op: exec, command: ["false"], report_failures: true, on_error: skip }
  out:  { kind: sink, op: summary }
edges:
  - jobs -> run -> out
YAML
quiet exec "$work/exec.yaml"
check_json exec 0 error 'false exited with code 1'

# signalled NAME SIGNAL ARG...: as quiet() (at --log-level info), with SIGNAL sent 0.5 s after
# the run has started (its handlers are installed before it logs that; the wait lets its first
# jobs start).
signalled() {
    local name=$1 signal=$2
    shift 2
    "$flowpool" run "$@" -q --log-format json --log-level info >/dev/null 2>"$work/$name.err" &
    local pid=$!
    for _ in $(seq 1000); do
        grep -q '"run started"' "$work/$name.err" && break
        sleep 0.02
    done
    sleep 0.5
    kill "-$signal" "$pid"
    code=0
    wait "$pid" || code=$?
}

# Interrupted: the jobs in flight finish, or are abandoned after the drain timeout.
signalled interrupted INT graphs/spin_summary.yaml --set jobs.count=1000000000 \
    --set work.iterations=2000
check_json interrupted 130 warning \
    'interrupted by SIGINT after [0-9]+ jobs; the jobs in flight ended$'
signalled abandoned TERM graphs/spin_summary.yaml --set jobs.count=100 \
    --set work.iterations=4000000000 --batch 1 --drain-timeout 0.2
check_json abandoned 143 warning \
    'interrupted by SIGTERM after [0-9]+ jobs; [0-9]+ jobs in flight abandoned'
echo "ok: $lines JSON log lines; 7 more runs wrote nothing but JSON lines under --quiet"
