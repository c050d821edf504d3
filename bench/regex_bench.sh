#!/usr/bin/env bash
# Times flowpool binaries on bench/grep_log.yaml with one pattern, alternating between them
# (A B A B ...) so that a slow spell of a shared machine hits each alike. One line per run: wall
# seconds, user+sys seconds and peak RSS from /usr/bin/time -v, the 1-minute load average
# before the run, and what the graph printed (lines kept and their bytes: the same for every
# binary, or the engines disagree).
#
# Usage: bench/regex_bench.sh PATTERN NAME=BINARY...      (RUNS=3, LOG=/tmp/flowpool-bench.log)
#   bench/regex_bench.sh ' (ERROR|WARN) .* 5\d\d ' std::regex=/tmp/flowpool-stdregex RE2=build/flowpool
set -euo pipefail
cd "$(dirname "$0")/.."
pattern=$1; shift
runs=${RUNS:-3}
log=${LOG:-/tmp/flowpool-bench.log}
[[ -r $log ]] || { echo "no $log: make it with bench/make_log.py $log" >&2; exit 2; }
times=$(mktemp)
trap 'rm -f "$times"' EXIT
cat "$log" >/dev/null  # in the page cache before the first run

printf 'run\tbinary\twall_s\tcpu_s\tmax_rss_kib\tload\toutput\n'
for ((run = 1; run <= runs; run++)); do
    for spec in "$@"; do
        name=${spec%%=*} binary=${spec#*=}
        load=$(cut -d' ' -f1 /proc/loadavg)
        out=$(FLOWPOOL_BENCH_LOG=$log /usr/bin/time -v -o "$times" "$binary" run \
              bench/grep_log.yaml --set "errors.pattern=$pattern" 2>/dev/null)
        awk -v run="$run" -v name="$name" -v load="$load" -v out="$out" -F': ' '
            /Elapsed \(wall clock\)/ { n = split($2, t, ":"); wall = t[n] + 60 * t[n - 1] + (n > 2 ? 3600 * t[1] : 0) }
            /User time/ { cpu += $2 } /System time/ { cpu += $2 } /Maximum resident/ { rss = $2 }
            END { printf "%d\t%s\t%.2f\t%.2f\t%d\t%s\t%s\n", run, name, wall, cpu, rss, load, out }' "$times"
    done
done
