#!/usr/bin/env bash
# SIGINT, SIGTERM and SIGHUP to `flowpool exec`: the running programs' process groups get
# SIGTERM, those that ignore it get SIGKILL when the drain timeout runs out, flowpool exits
# 130 / 143 / 129, and no program or grandchild is left running. Usage: exec_signals.sh FLOWPOOL
set -euo pipefail
flowpool=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# True if process $1 still runs (a zombie waiting for its reaper does not count).
running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# Each program records its pid and its grandchild's (sleep), then waits: the first kind dies of
# SIGTERM with its grandchild; the second ignores it (so does its grandchild) until SIGKILL.
obedient='sleep 100 & echo "$$ $!" >>"$1/pids"; wait'
stubborn='trap "" TERM; sleep 100 & echo "$$ $!" >>"$1/pids"; wait; sleep 100'
# The third closes its standard output and error first: flowpool then waits for its exit alone,
# and a stop must still reach its group.
silent='exec >/dev/null 2>&1; sleep 100 & echo "$$ $!" >>"$1/pids"; wait'

check() {  # SIGNAL SCRIPT DRAIN MIN_MS MAX_MS
    local signal=$1 script=$2 drain=$3 min_ms=$4 max_ms=$5
    : >"$work/pids"
    seq 10 | "$flowpool" exec -j 4 --drain-timeout "$drain" -- sh -c "$script" sh "$work" {} \
        >"$work/out" 2>"$work/err" &
    local pid=$!
    for _ in $(seq 300); do (( $(wc -l <"$work/pids") >= 4 )) && break; sleep 0.05; done
    (( $(wc -l <"$work/pids") == 4 )) || { echo "FAIL: not 4 programs running" >&2; cat "$work/err" >&2; exit 1; }
    local start code=0
    start=$(date +%s%N)
    kill -s "$signal" "$pid"
    wait "$pid" || code=$?
    local elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
    local want=143
    [[ $signal == INT ]] && want=130
    [[ $signal == HUP ]] && want=129
    [[ $code == "$want" ]] || { echo "FAIL: SIG$signal gave $code, want $want" >&2; cat "$work/err" >&2; exit 1; }
    (( elapsed_ms >= min_ms && elapsed_ms < max_ms )) || {
        echo "FAIL: SIG$signal took ${elapsed_ms} ms, want $min_ms..$max_ms" >&2; exit 1; }
    grep -Eq "^flowpool exec: interrupted by SIG$signal after [0-9]+ lines read(;|$)" "$work/err" || { echo "FAIL: stderr: $(cat "$work/err")" >&2; exit 1; }
    # The programs it stopped, and the lines it read but did not start, are counted (unless the
    # drain timeout ended it at once).
    if (( drain > 1 )); then
        grep -Eq "^flowpool exec: [0-9]+ of [0-9]+ programs failed or were not started$" "$work/err" ||
            { echo "FAIL: no count of the programs: $(cat "$work/err")" >&2; exit 1; }
    fi
    # No program started after the signal, and none is left: 4 programs, 8 processes, all gone.
    # A process signalled dies when it next gets a CPU, which on a loaded machine may take a
    # while: each is given 10 s (they would otherwise sleep for 100).
    sleep 0.2
    for p in $(cat "$work/pids"); do
        for _ in $(seq 200); do running "$p" || break; sleep 0.05; done
        if running "$p"; then echo "FAIL: process $p still runs 10 s after SIG$signal" >&2; exit 1; fi
    done
    (( $(wc -l <"$work/pids") == 4 )) || { echo "FAIL: programs started after SIG$signal" >&2; exit 1; }
    local kind=stubborn
    [[ $script == "$obedient" ]] && kind=obedient
    [[ $script == "$silent" ]] && kind=silent
    echo "SIG$signal ($kind): exit $code after ${elapsed_ms} ms, 8 processes gone"
}

check INT "$obedient" 10 0 2000
check TERM "$obedient" 10 0 2000
check TERM "$stubborn" 1 900 4000
# The drain timeout gave up on them: said in exec's words, without `flowpool run`'s summary line.
grep -Eq "^flowpool exec: interrupted by SIGTERM after [0-9]+ lines read; [0-9]+ jobs in flight abandoned" \
    "$work/err" || { echo "FAIL: after the drain timeout: $(cat "$work/err")" >&2; exit 1; }
if grep -q "jobs in," "$work/err"; then echo "FAIL: a run's summary: $(cat "$work/err")" >&2; exit 1; fi
check TERM "$silent" 10 0 2000
# A hangup (a closed ssh session) as SIGTERM: it left every program running.
check HUP "$obedient" 10 0 2000
