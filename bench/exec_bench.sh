#!/usr/bin/env bash
# `flowpool exec` against GNU parallel and `xargs -P`: N jobs of a trivial program at 2 at once,
# jobs per second, one run each (issue 17's benchmark).
#
#   bench/exec_bench.sh [build-dir] [jobs]      defaults: build, 10000
#
# Installs Debian's `parallel` package if it is missing (needs root). Each command reads the
# numbers 1..N from a file and writes its output to a file; the output is checked: N lines, each
# number once. The commands are printed as run, and then the floor: bench/spawn_floor, two
# threads that do nothing but start /bin/true and wait for it.
set -euo pipefail

build_dir=${1:-build}
jobs=${2:-10000}
flowpool=$build_dir/flowpool
[[ -x $flowpool ]] || { echo "exec_bench.sh: $flowpool not found; build it first" >&2; exit 2; }
if ! command -v parallel >/dev/null; then
    echo "exec_bench.sh: installing GNU parallel (Debian package 'parallel')" >&2
    apt-get install -y parallel >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seq "$jobs" >"$work/in"

# run NAME PROGRAM COMMAND...: times COMMAND <in >out and prints a table row.
run() {
    local name=$1 program=$2
    shift 2
    local start end
    start=$(date +%s%N)
    "$@" <"$work/in" >"$work/out"
    end=$(date +%s%N)
    local seconds per_second
    seconds=$(awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e9 }')
    per_second=$(awk -v n="$jobs" -v ns=$((end - start)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
    if [[ $program == echo ]]; then  # every number once
        [[ $(sort -n "$work/out" | uniq | wc -l) == "$jobs" ]] || { echo "bad output: $name" >&2; exit 1; }
    fi
    printf '| %s | %s | `%s` | %s | %s |\n' "$name" "$program" "$*" "$seconds" "$per_second"
    rate[$name-$program]=$per_second
}
declare -A rate

echo "| tool | program | command (stdin: seq $jobs) | seconds | jobs/s |"
echo "| --- | --- | --- | --- | --- |"
for program in true echo; do
    bin=/bin/$program
    run flowpool "$program" "$flowpool" exec -j 2 -- "$bin" {}
    run parallel "$program" parallel --will-cite -j 2 "$bin" {}
    run xargs "$program" xargs -P 2 -n 1 "$bin"
done

# ratio A B: A / B to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo
for program in true echo; do
    echo "$program: flowpool / parallel $(ratio "${rate[flowpool-$program]}" "${rate[parallel-$program]}")x" \
         "(goal 10x), flowpool / xargs $(ratio "${rate[flowpool-$program]}" "${rate[xargs-$program]}")x (goal 1.5x)"
done

# The floor: 2 threads that only posix_spawn the program and wait, nothing read or written. No
# runner that starts a process per job beats it: if floor / xargs is under 1.5, neither can any.
if [[ -x $build_dir/bench/spawn_floor ]]; then
    floor=$("$build_dir/bench/spawn_floor" "$jobs" 2 /bin/true 1)
    echo "floor, \`$build_dir/bench/spawn_floor $jobs 2 /bin/true 1\`: $floor"
    floor_rate=${floor##*jobs_per_s=}
    echo "floor / xargs (true) $(ratio "$floor_rate" "${rate[xargs-true]}")x," \
         "flowpool / floor (true) $(ratio "${rate[flowpool-true]}" "$floor_rate")"
fi
