#!/usr/bin/env bash
# Peak resident memory of a whole run, from /usr/bin/time -v, at N = 1M, 10M and 100M jobs
# (K = 0, W = 1 and 2): flowpool's typed API, then the hand-rolled pool for comparison.
# Each run's sum is checked against N(N-1)/2.
#
#   bench/memory.sh [build-dir] [impl...]    defaults: build, flowpool hand_rolled
set -euo pipefail

build_dir=${1:-build}
shift || true
impls=("$@")
[[ ${#impls[@]} -gt 0 ]] || impls=(flowpool hand_rolled)

probe=$build_dir/bench/flowpool_memory_probe
if [[ ! -x $probe ]]; then
    echo "memory.sh: $probe not found; build it with:" >&2
    echo "  cmake --build $build_dir --target flowpool_memory_probe" >&2
    exit 2
fi

k=0
echo "| implementation | N | K | W | peak RSS (MiB) | wall (s) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for impl in "${impls[@]}"; do
    for n in 1000000 10000000 100000000; do
        for w in 1 2; do
            report=$(mktemp)
            sum=$(/usr/bin/time -v -o "$report" "$probe" "$n" "$k" "$w" "$impl")
            if [[ $sum != $((n * (n - 1) / 2)) ]]; then
                echo "memory.sh: $impl N=$n W=$w summed to $sum, expected $((n * (n - 1) / 2))" >&2
                exit 1
            fi
            rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$report")
            # "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:01.23" -> seconds
            wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
                       n = split($2, t, ":"); s = 0
                       for (i = 1; i <= n; i++) s = s * 60 + t[i]
                       printf "%.2f", s }' "$report")
            rm -f "$report"
            printf "| %s | %d | %d | %d | %.1f | %s |\n" \
                "$impl" "$n" "$k" "$w" "$(awk -v kib="$rss_kib" 'BEGIN {print kib / 1024}')" "$wall"
        done
    done
done
