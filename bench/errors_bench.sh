#!/usr/bin/env bash
# The errors-by-host benchmark (bench/README.md, "Expressions and aggregates"): server errors
# (status >= 500) counted per host with their mean latency, by
#   baseline   bench/errors_baseline, one thread, simdjson On-Demand
#   floor      bench/errors_floor, the baseline's work shared by 2 threads (a range of the file
#              each): the best a hand-written program does on this machine's 2 CPUs
#   flowpool   flowpool run graphs/errors_by_host.yaml (jsonl source, `where` at concurrency 2,
#              `aggregate` at its default concurrency: the CPUs, 2 here)
#   jq         Debian's jq 1.6, a reduce over `inputs`
#   flowpool-fields  the same graph with `--set events.fields=host,status,latency_ms`: the jsonl
#              source builds records of those three fields only (not the issue's graph; shown to
#              tell what building whole records costs)
# alternating (a round runs each contender once, in the order of `names` below) so that a slow
# spell of a shared machine hits each alike. The baseline and flowpool read the whole file (the
# timing and peak-RSS point); jq, slow, reads a prefix of whole lines (PREFIX bytes: 300 MiB),
# and so do the baseline and flowpool a second time (baseline-prefix, flowpool-prefix), so that
# jq can be set beside them on the same input as well as per MB. One line per run: the wall time
# in milliseconds (date(1) before and after), wall, user and sys seconds and peak RSS from
# /usr/bin/time, and the 1-minute load average before the run; then a line per round with the
# goals' ratios, from the millisecond wall times.
# Then the outputs are checked against the baseline's on the same input: the same hosts with the
# same counts, means equal to 1e-9 relative (compared as sorted sets: jq prints its hosts in
# another order), and flowpool's p99 (a sketch, within 1%) against the baseline's exact one on
# the prefix.
#
# Usage: bench/errors_bench.sh [DIR]    (BUILD=build, BYTES=1G, SEED=1, RUNS=3, PREFIX=300M)
#   DIR keeps events.jsonl (made with make_events only if missing) and prefix.jsonl between runs;
#   without it, a temporary directory is made and removed. Outputs are written beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
runs=${RUNS:-3}
prefix_size=${PREFIX:-300M}
dir=${1:-}
if [[ -z $dir ]]; then
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir"
rm -f "$dir"/out.*.txt
events=$dir/events.jsonl
prefix=$dir/prefix.jsonl
timing=$dir/time.txt
fmt='%e s wall %U user %S sys %M KB'

if [[ ! -s $events ]]; then
    echo "writing $events (${BYTES:-1G}, seed ${SEED:-1})"
    "$build/bench/make_events" --bytes "${BYTES:-1G}" --seed "${SEED:-1}" -o "$events"
fi
# The first PREFIX bytes, cut back to the last whole line.
head -c "$prefix_size" "$events" | sed '$d' >"$prefix"
cat "$events" "$prefix" >/dev/null  # in the page cache before the first run
echo "events: $(stat -c %s "$events") bytes, $(wc -l <"$events") lines;" \
    "prefix: $(stat -c %s "$prefix") bytes, $(wc -l <"$prefix") lines"

# Per host (in the order of its first error): count n and latency sum s; then `host n mean`.
jq_program='reduce (inputs | select(.status >= 500)) as $e ({};
      .[$e.host] |= {n: (.n + 1), s: (.s + $e.latency_ms)})
    | to_entries[] | "\(.key) \(.value.n) \(.value.s / .value.n)"'

# The command of contender NAME, in the array `cmd`.
command_of() {
    case $1 in
        baseline) cmd=("$build/bench/errors_baseline" "$events") ;;
        floor) cmd=("$build/bench/errors_floor" "$events" --threads 2) ;;
        flowpool) cmd=(env "INPUT=$events" "$build/flowpool" run graphs/errors_by_host.yaml) ;;
        flowpool-fields) cmd=(env "INPUT=$events" "$build/flowpool" run graphs/errors_by_host.yaml
                              --set events.fields=host,status,latency_ms) ;;
        jq) cmd=(jq -n -r "$jq_program" "$prefix") ;;
        baseline-prefix) cmd=("$build/bench/errors_baseline" "$prefix") ;;
        flowpool-prefix)
            cmd=(env "INPUT=$prefix" "$build/flowpool" run graphs/errors_by_host.yaml) ;;
    esac
}

names=(baseline floor flowpool jq baseline-prefix flowpool-prefix flowpool-fields)
declare -A wall_ms  # [NAME,RUN]: the wall time in milliseconds (time's %e has 10 ms steps)
printf 'run\tname\twall\ttime\tload\n'
for ((run = 1; run <= runs; run++)); do
    for name in "${names[@]}"; do
        command_of "$name"
        load=$(cut -d' ' -f1 /proc/loadavg)
        start=$(date +%s%N)
        /usr/bin/time -f "$fmt" -o "$timing" "${cmd[@]}" \
            >"$dir/out.$name.txt" 2>"$dir/err.$name.txt"
        wall_ms[$name,$run]=$((($(date +%s%N) - start) / 1000000))
        printf '%d\t%s\t%d ms\t%s\t%s\n' "$run" "$name" "${wall_ms[$name,$run]}" "$(cat "$timing")" \
            "$load"
    done
done
# The goals' ratios, per round, from the millisecond wall times.
for ((run = 1; run <= runs; run++)); do
    awk -v run="$run" -v base="${wall_ms[baseline,$run]}" -v fp="${wall_ms[flowpool,$run]}" \
        -v floor="${wall_ms[floor,$run]}" -v jq="${wall_ms[jq,$run]}" \
        -v fpp="${wall_ms[flowpool-prefix,$run]}" \
        'BEGIN { printf "round %d: flowpool %.2fx faster than the baseline (floor %.2fx), %.1fx faster than jq\n", run, base / fp, base / floor, jq / fpp }'
done
echo "baseline: $(cat "$dir/err.baseline.txt")"
echo "baseline-prefix: $(cat "$dir/err.baseline-prefix.txt")"

# Checks that OUT has the reference's hosts and counts, and its means to 1e-9 relative.
same_results() {
    local reference=$1 out=$2
    if awk 'NR == FNR { count[$1] = $2; mean[$1] = $3; hosts++; next }
            !($1 in count) || count[$1] != $2 { bad++; next }
            { d = mean[$1] - $3; if (d < 0) d = -d;
              m = mean[$1] < 0 ? -mean[$1] : mean[$1];
              if (d > 1e-9 * m) bad++; seen++ }
            END { exit !(bad == 0 && seen == hosts) }' "$reference" "$out"; then
        echo "same hosts, counts and means (1e-9): $out ($(wc -l <"$out") hosts)"
    else
        echo "DIFFERENT from $reference: $out"
        return 1
    fi
}

status=0
if cmp -s "$dir/out.baseline.txt" "$dir/out.floor.txt"; then
    echo "the baseline's bytes: $dir/out.floor.txt"
else
    echo "DIFFERENT from $dir/out.baseline.txt: $dir/out.floor.txt"
    status=1
fi
same_results "$dir/out.baseline.txt" "$dir/out.flowpool.txt" || status=1
same_results "$dir/out.baseline.txt" "$dir/out.flowpool-fields.txt" || status=1
same_results "$dir/out.baseline-prefix.txt" "$dir/out.flowpool-prefix.txt" || status=1
same_results "$dir/out.baseline-prefix.txt" "$dir/out.jq.txt" || status=1

# The p99s, on the prefix: flowpool's sketch is within 1% of the exact quantile.
"$build/bench/errors_baseline" --p99 "$prefix" >"$dir/p99.baseline.txt" 2>/dev/null
INPUT=$prefix "$build/flowpool" run graphs/errors_by_host.yaml \
    --set 'out.format={value.key} {value.p99_ms}' >"$dir/p99.flowpool.txt"
if awk 'NR == FNR { p99[$1] = $4; next }
        { d = p99[$1] - $2; if (d < 0) d = -d; if (d > 0.01 * p99[$1]) bad++; seen++ }
        END { exit !(bad == 0 && seen > 0) }' "$dir/p99.baseline.txt" "$dir/p99.flowpool.txt"; then
    echo "p99 within 1% of the exact one for every host: $dir/p99.flowpool.txt"
else
    echo "p99 DIFFERENT by more than 1%: $dir/p99.flowpool.txt"
    status=1
fi
exit "$status"
