#!/usr/bin/env bash
# Peak resident memory of a whole run, from /usr/bin/time -v, at N = 1M, 10M and 100M jobs.
#
#   bench/memory.sh [build-dir] [section...]     defaults: build, every section
#
# Sections (each prints one Markdown table):
#   cli          the `flowpool` CLI on graphs/spin_summary.yaml (built-in `summary` sink), with
#                --set jobs.count=N --set work.iterations=0 --set work.concurrency=W, W = 1 and 8
#   probe        flowpool_memory_probe, K = 0, W = 1, 2 and 8: the typed API, a graph file run
#                by run_graph in-process, and the hand-rolled pool for comparison
#   slow_sink    the same three with a sink ten times slower than a worker: workers spin
#                K = 10 rounds a job, the sink SINK_K = 100 (the hand-rolled pool only to 10M:
#                its results queue grows by about 1.5 GiB per 100M jobs)
#
# Each run's sum is checked: the CLI's against N(N-1)/2, the probe's against a serial loop.
set -euo pipefail

build_dir=${1:-build}
shift || true
sections=("$@")
[[ ${#sections[@]} -gt 0 ]] || sections=(cli probe slow_sink)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cli=$build_dir/flowpool
probe=$build_dir/bench/flowpool_memory_probe
for tool in "$cli" "$probe"; do
    if [[ ! -x $tool ]]; then
        echo "memory.sh: $tool not found; build it with:" >&2
        echo "  cmake --build $build_dir --target flowpool_cli flowpool_memory_probe" >&2
        exit 2
    fi
done

# measure LABEL N K W SINK_K EXPECTED_STDOUT COMMAND...: runs COMMAND under /usr/bin/time -v,
# checks its stdout (unless EXPECTED_STDOUT is empty), prints a table row.
measure() {
    local label=$1 n=$2 k=$3 w=$4 sink_k=$5 expected=$6
    shift 6
    local report errors out rss_kib wall
    report=$(mktemp)
    errors=$(mktemp)
    if ! out=$(/usr/bin/time -v -o "$report" "$@" 2>"$errors"); then
        echo "memory.sh: $label N=$n W=$w failed: $*" >&2
        cat "$errors" >&2
        exit 1
    fi
    rm -f "$errors"
    if [[ -n $expected && $out != "$expected" ]]; then
        echo "memory.sh: $label N=$n W=$w printed '$out', expected '$expected'" >&2
        exit 1
    fi
    rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$report")
    # "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:01.23" -> seconds
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
               n = split($2, t, ":"); s = 0
               for (i = 1; i <= n; i++) s = s * 60 + t[i]
               printf "%.2f", s }' "$report")
    rm -f "$report"
    printf "| %s | %d | %d | %d | %d | %.1f | %s |\n" "$label" "$n" "$k" "$w" "$sink_k" \
        "$(awk -v kib="$rss_kib" 'BEGIN {print kib / 1024}')" "$wall"
}

header() {
    echo
    echo "$1"
    echo
    echo "| implementation | N | K | W | sink K | peak RSS (MiB) | wall (s) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
}

for section in "${sections[@]}"; do
    case $section in
        cli)
            header "flowpool CLI, graphs/spin_summary.yaml (summary sink):"
            for w in 1 8; do
                for n in 1000000 10000000 100000000; do
                    measure "flowpool run" "$n" 0 "$w" 0 "count=$n sum=$((n * (n - 1) / 2))" \
                        "$cli" run "$repo/graphs/spin_summary.yaml" --set "jobs.count=$n" \
                        --set work.iterations=0 --set "work.concurrency=$w"
                done
            done
            ;;
        probe)
            header "flowpool_memory_probe, K = 0:"
            for impl in typed graph hand_rolled; do
                for w in 1 2 8; do
                    for n in 1000000 10000000 100000000; do
                        measure "$impl" "$n" 0 "$w" 0 "$((n * (n - 1) / 2))" \
                            "$probe" "$n" 0 "$w" "$impl"
                    done
                done
            done
            ;;
        slow_sink)
            header "flowpool_memory_probe, a sink ten times slower than a worker (K = 10, sink K = 100):"
            for impl in typed graph hand_rolled; do
                for w in 1 8; do
                    for n in 1000000 10000000 100000000; do
                        [[ $impl == hand_rolled && $n -gt 10000000 ]] && continue
                        # The probe checks this sum itself, against a serial loop.
                        measure "$impl" "$n" 10 "$w" 100 "" "$probe" "$n" 10 "$w" "$impl" 100
                    done
                done
            done
            ;;
        *)
            echo "memory.sh: unknown section '$section' (cli, probe, slow_sink)" >&2
            exit 2
            ;;
    esac
done
