#!/usr/bin/env bash
# Peak RSS must not grow with the number of jobs: the median of 5 runs at 30M jobs is within
# 2 MiB of the median at 1M (range -> spin 0 -> summary, 2 workers). Runs of the same size differ
# by up to about 1 MiB (threads and batches in flight depend on timing: a 10% bound, 1 MiB here,
# failed a CI run on a busy machine); a leak of one byte in 14 jobs would add 2 MiB over the
# 29M more jobs. Usage: memory_flat.sh FLOWPOOL SRC_DIR
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
large=$(median_rss 30000000)
echo "peak RSS: ${small} KB at 1M jobs, ${large} KB at 30M jobs"
if (( large > small + 2048 )); then
    echo "FAIL: peak RSS grew by more than 2 MiB from 1M to 30M jobs" >&2
    exit 1
fi
