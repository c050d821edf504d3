#!/usr/bin/env bash
# Jobs per second through Redis Streams with 1, 2 and 4 worker processes on this machine.
# Starts a private redis-server on a free port of 127.0.0.1, then for each spin size K and worker
# count W: enqueues N jobs (graphs/redis/enqueue.yaml), starts W processes of
# graphs/redis/worker.yaml (one spin thread each), and times from their start until all N results
# are in the stream `results`. The enqueue is not timed. For comparison, "in-process" is the same
# spin in one flowpool process without Redis (range -> spin -> summary, 1 thread).
# Each cell is the best of REPEAT runs (default 3): a shared machine makes single runs noisy.
# Usage: [REPEAT=3] bench/redis_scale.sh [FLOWPOOL] [BATCH]   (BATCH: pin jobs.batch; default automatic)
set -euo pipefail
cd "$(dirname "$0")/.."
flowpool=${1:-build/flowpool}
batch=${2:-}
repeat=${REPEAT:-3}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --appendonly yes --save "" \
    --daemonize no --logfile "$work/redis.log" &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; rm -rf "$work"' EXIT
url=redis://127.0.0.1:$port
cli() { redis-cli -p "$port" "$@"; }
until cli ping >/dev/null 2>&1; do sleep 0.05; done

now() { date +%s.%N; }
rate() { python3 -c "print(f'{$1 / ($3 - $2):.0f}')"; }
best() { python3 -c "import sys; print(f'{max(int(x) for x in sys.argv[1:]):,}')" "$@"; }

echo "| spin K | jobs | in-process, 1 thread | 1 worker | 2 workers | 4 workers |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
for k in 0 10000 100000 1000000; do
    case $k in 0) n=100000 ;; 10000) n=50000 ;; 100000) n=10000 ;; *) n=1000 ;; esac
    rates=()
    for ((r = 0; r < repeat; r++)); do
        start=$(now)
        "$flowpool" run graphs/spin_summary.yaml --set jobs.count=$n --set work.iterations=$k \
            --set work.concurrency=1 >/dev/null
        rates+=("$(rate $n "$start" "$(now)")")
    done
    row="| $k | $n | $(best "${rates[@]}")"
    for w in 1 2 4; do
        rates=()
        for ((r = 0; r < repeat; r++)); do
            cli flushall >/dev/null
            "$flowpool" run graphs/redis/enqueue.yaml --set queue.url="$url" --set jobs.count=$n
            sets=(--set jobs.url="$url" --set results.url="$url" --set work.iterations=$k
                  --set work.concurrency=1)
            [[ -n $batch ]] && sets+=(--set jobs.batch="$batch")
            pids=()
            start=$(now)
            for ((i = 0; i < w; i++)); do
                "$flowpool" run graphs/redis/worker.yaml "${sets[@]}" 2>>"$work/workers.err" &
                pids+=($!)
            done
            # One redis-cli asking every 10 ms (a new process per poll would load the machine).
            cli -r -1 -i 0.01 xlen results | while read -r done_jobs; do
                (( done_jobs >= n )) && break
            done || true
            end=$(now)
            kill -TERM "${pids[@]}"
            wait "${pids[@]}" 2>/dev/null || true
            (( $(cli xpending jobs flowpool | head -1) == 0 )) || { echo "entries left pending" >&2; exit 1; }
            rates+=("$(rate $n "$start" "$end")")
        done
        row+=" | $(best "${rates[@]}")"
    done
    echo "$row |"
done
