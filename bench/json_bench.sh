#!/usr/bin/env bash
# The JSON-records benchmark (bench/README.md, "JSON records"): writes a 1 GB file of JSON events
# with make_events, then picks `host` and `status` out of it with the single-threaded simdjson
# baseline (json_baseline) and, once the jsonl ops exist, with flowpool on bench/json_pick.yaml,
# alternating (A B A B ...) so that a slow spell of a shared machine hits each alike. One line per
# run: wall, user and sys seconds and peak RSS from /usr/bin/time, the 1-minute load average
# before the run, and what the program printed; then every output's line count, and whether the
# outputs are byte-identical to the baseline's.
#
# Usage: bench/json_bench.sh [DIR]    (BUILD=build, BYTES=1G, SEED=1, RUNS=3)
#   DIR keeps events.jsonl between runs (made only if missing); without it, a temporary
#   directory is made and removed. The outputs are written next to events.jsonl.
#   READERS="stream lines" also times the baseline's line-by-line reader.
#   BEFORE=OTHER/build also times that build's flowpool (flowpool-before), alternating with the
#   rest: an A/B of two versions of flowpool in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
runs=${RUNS:-3}
readers=${READERS:-stream}
dir=${1:-}
if [[ -z $dir ]]; then
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir"
rm -f "$dir"/out.*.jsonl
events=$dir/events.jsonl
timing=$dir/time.txt
fmt='%e s wall %U user %S sys %M KB'

if [[ ! -s $events ]]; then
    echo "writing $events (${BYTES:-1G}, seed ${SEED:-1})"
    /usr/bin/time -f "make_events: $fmt" "$build/bench/make_events" --bytes "${BYTES:-1G}" \
        --seed "${SEED:-1}" -o "$events"
fi
cat "$events" >/dev/null  # in the page cache before the first run

# The command of contender NAME writing to OUT, in the array `cmd`.
command_of() {
    case $1 in
        baseline-*) cmd=("$build/bench/json_baseline" "$events" "$2" --reader "${1#baseline-}") ;;
        # W2: oneTBB's default pool, one thread per CPU, is the 2 workers of the goal on the
        # 2-CPU machine of bench/README.md (the graph has no node whose concurrency to set).
        flowpool-W2) cmd=("$build/flowpool" run bench/json_pick.yaml --set "events.path=$events"
                          --set "out.path=$2") ;;
        flowpool-before) cmd=("$BEFORE/flowpool" run bench/json_pick.yaml
                              --set "events.path=$events" --set "out.path=$2") ;;
    esac
}

names=()
for reader in $readers; do names+=("baseline-$reader"); done
command_of flowpool-W2 "$dir/probe.jsonl"
if [[ -x $build/flowpool ]] && "$build/flowpool" validate "${cmd[@]:2}" >/dev/null 2>&1; then
    names+=(flowpool-W2)
    if [[ -n ${BEFORE:-} ]]; then names+=(flowpool-before); fi
else
    echo "skipping flowpool: $build/flowpool validate bench/json_pick.yaml fails (no jsonl ops?)"
fi

printf 'run\tname\ttime\tload\toutput\n'
for ((run = 1; run <= runs; run++)); do
    for name in "${names[@]}"; do
        # A new file each run: rewriting a 170 MB file of the same name made each close() flush
        # it (ext4's auto_da_alloc on a truncated file), about 0.1 s of every contender's time
        # that no program controls. The sync writes back the outputs of the runs before (and a
        # new events.jsonl) before the timing starts, rather than during it.
        rm -f "$dir/out.$name.jsonl"
        sync -f "$dir"
        command_of "$name" "$dir/out.$name.jsonl"
        load=$(cut -d' ' -f1 /proc/loadavg)
        printed=$(/usr/bin/time -f "$fmt" -o "$timing" "${cmd[@]}" | tr '\n' ' ')
        printf '%d\t%s\t%s\t%s\t%s\n' "$run" "$name" "$(cat "$timing")" "$load" "$printed"
    done
done

echo "lines:"
wc -l "$events" "$dir"/out.*.jsonl
reference=$dir/out.${names[0]}.jsonl
for out in "$dir"/out.*.jsonl; do
    # flowpool's sink writes batches as they come: the same lines, maybe in another order.
    if cmp -s "$reference" "$out"; then
        echo "same bytes: $out"
    elif cmp -s <(sort "$reference") <(sort "$out"); then
        echo "same lines, another order: $out"
    else
        echo "DIFFERENT: $out"
    fi
done
