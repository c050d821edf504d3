#!/usr/bin/env python3
"""Turns flowpool_bench's JSON output into the Markdown tables of bench/README.md.

    bench/summarize.py bench/results.json [more.json ...] [--workers 1,2,4] [--spin 0,1000]

One table per worker count W: a row per spin cost K, a column per implementation with its jobs/s
and, in parentheses, its ratio to the hand-rolled pool. With --benchmark_repetitions the median
of the repetitions is used; several files (say, one run per K) are read as one. "ideal" is
min(W, CPUs) times the serial loop's rate.
"""

import argparse
import json
import statistics
import sys
from collections import defaultdict

COLUMNS = [
    ("serial_loop", "serial loop (1 thread)"),
    ("hand_rolled_pool", "hand-rolled pool"),
    ("tbb_flow_per_job", "TBB flow, 1 job/msg"),
    ("tbb_flow_batched", "TBB flow, 256 jobs/msg"),
    ("flowpool_typed", "flowpool typed API"),
]
BASELINE = "hand_rolled_pool"


def parse_name(run_name):
    """'hand_rolled_pool/K:0/W:2/N:2000000/...' -> ('hand_rolled_pool', {'K': 0, 'W': 2, ...})"""
    impl, *parts = run_name.split("/")
    args = {}
    for part in parts:
        key, sep, value = part.partition(":")
        if sep and key in ("K", "W", "N"):
            args[key] = int(value)
    return impl, args


def human(rate):
    for scale, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if rate >= scale:
            return f"{rate / scale:.3g}{suffix}"
    return f"{rate:.3g}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="JSON from --benchmark_out_format=json")
    parser.add_argument("--workers", default="1,2,4", help="worker counts W, comma-separated")
    parser.add_argument("--spin", default=None, help="spin costs K, comma-separated (default all)")
    options = parser.parse_args()

    runs = []
    for path in options.results:
        with open(path, encoding="utf-8") as f:
            runs.append(json.load(f))
    cpus = runs[0]["context"].get("num_cpus", 1)

    samples = defaultdict(list)  # (impl, K, W) -> items/s of each repetition
    jobs = {}  # K -> N
    failed = []
    for bench in (b for run in runs for b in run["benchmarks"]):
        if bench.get("run_type") == "aggregate":
            continue
        impl, args = parse_name(bench["run_name"])
        if bench.get("error_occurred"):
            failed.append(f"{bench['name']}: {bench.get('error_message', '')}")
            continue
        samples[(impl, args["K"], args["W"])].append(bench["items_per_second"])
        jobs[args["K"]] = args["N"]
    rate = {key: statistics.median(values) for key, values in samples.items()}

    spins = sorted(jobs) if options.spin is None else [int(k) for k in options.spin.split(",")]
    for workers in (int(w) for w in options.workers.split(",")):
        header = ["K", "N"] + [title for _, title in COLUMNS] + [f"ideal ({min(workers, cpus)} x serial)"]
        print(f"\nW = {workers} (jobs/s; ratio to the hand-rolled pool)\n")
        print("| " + " | ".join(header) + " |")
        print("| " + " | ".join(["---:"] * len(header)) + " |")
        for k in spins:
            base = rate.get((BASELINE, k, workers))
            cells = [str(k), human(jobs.get(k, 0))]
            for impl, _ in COLUMNS:
                r = rate.get((impl, k, 1 if impl == "serial_loop" else workers))
                if r is None:
                    cells.append("-")
                elif impl == "serial_loop" or base is None:
                    cells.append(human(r))
                else:
                    cells.append(f"{human(r)} ({r / base:.2f}x)")
            serial = rate.get(("serial_loop", k, 1))
            if serial is not None and base is not None:
                ideal = min(workers, cpus) * serial
                cells.append(f"{human(ideal)} ({ideal / base:.2f}x)")
            else:
                cells.append("-")
            print("| " + " | ".join(cells) + " |")

    if failed:
        print("\nFAILED (wrong sum):\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
