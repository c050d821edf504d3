#!/usr/bin/env bash
# How many jobs a second one redis-server serves to 1, 2, 4, 8, 16 and 32 worker processes, at
# batch sizes 1, 16 and 256, with jobs that sleep (bench/redis_sleep_worker.yaml: rate_limit lets
# one job through every T and sleeps meanwhile), so that many processes on a small machine stand
# in for as many machines: their cores stay free for Redis, and what is measured is Redis's cost
# per job, not the workers' CPU.
#
# Starts a private redis-server (appendonly, as the README's scale-out runs it) on a free port of
# 127.0.0.1. For each batch size B and worker count W: enqueues W x JOBS_PER_WORKER jobs (not
# timed), starts W workers with `--set jobs.batch=B`, and, polling XLEN results every 5 ms, times
# the middle of the run: from 10 % to 90 % of the results (process start-up and the tail, where
# workers run out of jobs, are left out). Over the same window it reads the server's INFO:
#   redis CPU    used_cpu_user + used_cpu_sys of redis-server (its own getrusage), per job
#   round trips  total_reads_processed (reads of a client socket: one per round trip, as a
#                pipeline's commands arrive in one read unless it outgrows the read buffer),
#                less this script's own polls, per batch of B jobs
#   in commands  time inside commands, per job, in all and per command (commandstats usec: wall
#                time, so a server short of a core can show more than its CPU; outside commands
#                it reads and writes sockets and the append-only file)
#   workers CPU  user + system time of the W worker processes (/proc/PID/stat), per job
#   commands     calls per job of XREADGROUP, XADD, XACK and XAUTOCLAIM (INFO commandstats)
# First, redis-benchmark's XADD alone and pipelined by 16 gives the server's CPU per command:
# what one round trip costs on this machine against what one entry costs.
# offered = W / T is what the workers would do if Redis cost nothing; jobs/s below it means the
# workers wait for Redis (or, on a loaded machine, for a core).
# Usage: [T_MS=1] [JOBS_PER_WORKER=3000] [WORKERS="1 2 4 8 16 32"] [BATCHES="1 16 256"]
#        bench/redis_ceiling.sh [FLOWPOOL]
set -euo pipefail
cd "$(dirname "$0")/.."
flowpool=${1:-build/flowpool}
t_ms=${T_MS:-1}
per_worker=${JOBS_PER_WORKER:-3000}
workers=${WORKERS:-1 2 4 8 16 32}
batches=${BATCHES:-1 16 256}
per_second=$(python3 -c "print(round(1000 / $t_ms))")
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --appendonly yes --save "" \
    --daemonize no --logfile "$work/redis.log" &
redis_pid=$!
pids=()
cleanup() {
    [[ ${#pids[@]} -gt 0 ]] && kill -TERM "${pids[@]}" 2>/dev/null
    kill "$redis_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
url=redis://127.0.0.1:$port
cli() { redis-cli -p "$port" "$@"; }
until cli ping >/dev/null 2>&1; do sleep 0.05; done

# Waits for N results; prints the figures of the 10 %..90 % window as one table row's cells.
measure() {
    python3 - "$port" "$@" <<'EOF'
import os, socket, sys, time
port, n, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
workers = sys.argv[4:]
tick = os.sysconf("SC_CLK_TCK")
def workers_cpu():
    total = 0
    for pid in workers:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / tick
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")
own_calls = 0
def call(*words):
    global own_calls
    own_calls += 1
    s.sendall(b"".join([b"*%d\r\n" % len(words)] +
                       [b"$%d\r\n%s\r\n" % (len(w), w.encode()) for w in words]))
    line = f.readline()
    if line[:1] == b":": return int(line[1:])
    if line[:1] == b"$": data = f.read(int(line[1:]) + 2); return data[:-2].decode()
    raise RuntimeError(line)
def info():
    fields = {}
    for section in ("cpu", "stats", "commandstats"):
        for line in call("INFO", section).splitlines():
            if ":" in line and not line.startswith("#"):
                key, value = line.split(":", 1)
                fields[key] = value
    calls = lambda c: int(fields.get("cmdstat_" + c, "calls=0").split(",")[0].split("=")[1])
    usec = lambda c: int(fields.get("cmdstat_" + c, "usec=0,").split("usec=")[1].split(",")[0])
    in_commands = sum(usec(k[8:]) for k in fields if k.startswith("cmdstat_"))
    return {"t": time.monotonic(), "workers_cpu": workers_cpu(),
            "cpu": float(fields["used_cpu_user"]) + float(fields["used_cpu_sys"]),
            "reads": int(fields["total_reads_processed"]),
            "xreadgroup": calls("xreadgroup"), "xadd": calls("xadd"), "xack": calls("xack"),
            "xautoclaim": calls("xautoclaim"), "own": own_calls,
            "in_commands": in_commands * 1e-6,
            **{c + "_us": usec(c) * 1e-6 for c in ("xreadgroup", "xadd", "xack", "xautoclaim")}}
marks, deadline = [], time.monotonic() + 600
for fraction in (0.1, 0.9):
    while call("XLEN", "results") < fraction * n:
        if time.monotonic() > deadline: sys.exit("timed out")
        time.sleep(0.005)
    marks.append((call("XLEN", "results"), info()))
while call("XLEN", "results") < n:
    if time.monotonic() > deadline: sys.exit("timed out")
    time.sleep(0.01)
(n0, a), (n1, b) = marks
jobs = n1 - n0
per = lambda k: (b[k] - a[k]) / jobs
split = " / ".join(f"{per(c + '_us') * 1e6:.1f}" for c in ("xreadgroup", "xadd", "xack", "xautoclaim"))
# The reads of this script's own commands are not the workers' round trips.
reads = (b["reads"] - a["reads"] - (b["own"] - a["own"])) / jobs
print(f"{jobs / (b['t'] - a['t']):,.0f} | {per('cpu') * 1e6:.1f} | {per('in_commands') * 1e6:.1f} ({split}) | "
      f"{per('workers_cpu') * 1e6:.0f} | "
      f"{(b['cpu'] - a['cpu']) / (b['t'] - a['t']) * 100:.0f} % | {reads * batch:.1f} | "
      f"{per('xreadgroup'):.3f} / {per('xadd'):.2f} / {per('xack'):.3f} / {per('xautoclaim'):.3f}")
EOF
}

# Redis CPU time in seconds (user + system) so far.
redis_cpu() { cli info cpu | awk -F: '/^used_cpu_(user|sys):/ { t += $2 } END { print t }'; }
# What one XADD costs this server here, alone (one client, one command a round trip) and
# pipelined by 16 (4 clients): the cost of a round trip against the cost of an entry.
calibrate() {
    local before
    before=$(redis_cpu)
    redis-benchmark -p "$port" -q -n "$1" -c "$2" -P "$3" XADD calibrate '*' id 1 int 2 >/dev/null
    python3 -c "print(f'{($(redis_cpu) - $before) / $1 * 1e6:.1f}')"
}

echo "Machine: $(nproc) cores, $(uname -srm); redis $(redis-server --version | cut -d' ' -f3)"
echo "Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "redis CPU µs per XADD from redis-benchmark: $(calibrate 20000 1 1) alone," \
    "$(calibrate 100000 4 16) pipelined by 16"
echo "Jobs sleep T = $t_ms ms ($per_second a second per worker), $per_worker jobs per worker"
echo
echo "| batch | workers | offered W/T | jobs/s | redis CPU µs/job | in commands (XREADGROUP / XADD / XACK / XAUTOCLAIM) | workers CPU µs/job | redis CPU | round trips/batch | XREADGROUP / XADD / XACK / XAUTOCLAIM per job | load before, after |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
for b in $batches; do
    for w in $workers; do
        n=$((w * per_worker))
        cli flushall >/dev/null
        "$flowpool" run -q graphs/redis/enqueue.yaml --set queue.url="$url" --set jobs.count=$n
        cli config resetstat >/dev/null
        load_before=$(cut -d' ' -f1 /proc/loadavg)
        pids=()
        for ((i = 0; i < w; i++)); do
            "$flowpool" run -q bench/redis_sleep_worker.yaml --set jobs.url="$url" \
                --set results.url="$url" --set jobs.batch="$b" \
                --set pace.per_second="$per_second" 2>>"$work/workers.err" &
            pids+=($!)
        done
        figures=$(measure "$n" "$b" "${pids[@]}")
        kill -TERM "${pids[@]}"
        wait "${pids[@]}" 2>/dev/null || true
        pids=()
        (($(cli xpending jobs flowpool | head -1) == 0)) || { echo "entries left pending" >&2; exit 1; }
        offered=$(python3 -c "print(f'{$w * $per_second:,}')")
        echo "| $b | $w | $offered | $figures | $load_before, $(cut -d' ' -f1 /proc/loadavg) |"
    done
done
if [[ -s $work/workers.err ]]; then
    echo >&2 "worker stderr:"
    sort "$work/workers.err" | uniq -c | sort -rn | head -5 >&2
fi
