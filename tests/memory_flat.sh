#!/usr/bin/env bash
# Peak RSS must not grow with the number of jobs: the median of 5 runs at 10M jobs is within 10%
# of the median at 1M (range -> spin 0 -> summary, 2 workers). Usage: memory_flat.sh FLOWPOOL SRC_DIR
set -euo pipefail
flowpool=$1
graph=$2/graphs/spin_summary.yaml

median_rss() {
    for _ in 1 2 3 4 5; do
        /usr/bin/time -f "%M" "$flowpool" run "$graph" --set jobs.count="$1" \
            --set work.iterations=0 --set work.concurrency=2 2>&1 >/dev/null | tail -1
    done | sort -n | sed -n 3p
}

small=$(median_rss 1000000)
large=$(median_rss 10000000)
echo "peak RSS: ${small} KB at 1M jobs, ${large} KB at 10M jobs"
if (( large * 100 > small * 110 )); then
    echo "FAIL: peak RSS grew by more than 10% from 1M to 10M jobs" >&2
    exit 1
fi
