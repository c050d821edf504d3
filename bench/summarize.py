#!/usr/bin/env python3
"""Turns flowpool_bench's JSON output into the Markdown tables of bench/README.md.

    bench/summarize.py bench/results.json [more.json ...] [--workers 1,2,4] [--spin 0,1000]

One table per worker count W: a row per spin cost K, a column per implementation with its jobs/s
and, in parentheses, its ratio to the hand-rolled pool. With --benchmark_repetitions the median
of the repetitions is used; several files (say, one run per K) are read as one. "ideal" is
min(W, CPUs) times the serial loop's rate. For each W below the CPUs' count, the CPU time
(user + system, every thread) and wall time of a run as ratios to the serial loop's. Then the
spread of the repetitions (coefficient of variation per case) and issues 4's and 19's targets,
each marked met or missed.
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
    ("flowpool_graph", "flowpool graph file"),
]
BASELINE = "hand_rolled_pool"
TARGET_WORKERS = 2


class Results:
    """Every repetition of every case in some benchmark JSON files."""

    def __init__(self, paths):
        runs = []
        for path in paths:
            with open(path, encoding="utf-8") as f:
                runs.append(json.load(f))
        self.context = runs[0]["context"]
        self.cpus = self.context.get("num_cpus", 1)
        self.samples = defaultdict(list)  # (impl, K, W) -> items/s of each repetition
        self.cpu = defaultdict(list)  # (impl, K, W) -> CPU time per job of each repetition
        self.jobs = {}  # K -> N
        self.failed = []
        for bench in (b for run in runs for b in run["benchmarks"]):
            if bench.get("run_type") == "aggregate":
                continue
            impl, args = parse_name(bench["run_name"])
            if bench.get("error_occurred"):
                self.failed.append(f"{bench['name']}: {bench.get('error_message', '')}")
                continue
            self.samples[(impl, args["K"], args["W"])].append(bench["items_per_second"])
            # Process CPU time (user + system) per job, when the run measured it (harness.hpp).
            cpu_per_job = bench["cpu_time"] / args["N"]
            self.cpu[(impl, args["K"], args["W"])].append(cpu_per_job)
            self.jobs[args["K"]] = args["N"]

    def rate(self, impl, k, workers):
        """Median jobs/s of a case, or None; the serial loop is looked up at W = 1."""
        values = self.samples.get((impl, k, 1 if impl == "serial_loop" else workers))
        return statistics.median(values) if values else None

    def cpu_time(self, impl, k, workers):
        """Median CPU time per job of a case (the benchmark's time unit), or None."""
        values = self.cpu.get((impl, k, 1 if impl == "serial_loop" else workers))
        return statistics.median(values) if values else None

    def slowest(self, impl, k, workers):
        """The slowest repetition's time ÷ the median's (median rate ÷ lowest rate), or None."""
        values = self.samples.get((impl, k, workers))
        return None if not values else statistics.median(values) / min(values)

    def cv(self, impl, k, workers):
        """Coefficient of variation of a case's repetitions, or None with fewer than two."""
        values = self.samples.get((impl, k, workers))
        if not values or len(values) < 2:
            return None
        return statistics.stdev(values) / statistics.mean(values)

    def ideal(self, k, workers):
        """min(W, CPUs) times the serial loop's rate, or None."""
        serial = self.rate("serial_loop", k, 1)
        return None if serial is None else min(workers, self.cpus) * serial

    def spins(self):
        return sorted(self.jobs)

    def implementations(self):
        return [impl for impl, _ in COLUMNS if any(key[0] == impl for key in self.samples)]


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


def print_rates(results, spins, workers):
    header = ["K", "N"] + [title for _, title in COLUMNS] + [f"ideal ({min(workers, results.cpus)} x serial)"]
    print(f"\nW = {workers} (jobs/s; ratio to the hand-rolled pool)\n")
    print("| " + " | ".join(header) + " |")
    print("| " + " | ".join(["---:"] * len(header)) + " |")
    for k in spins:
        base = results.rate(BASELINE, k, workers)
        cells = [str(k), human(results.jobs.get(k, 0))]
        for impl, _ in COLUMNS:
            r = results.rate(impl, k, workers)
            if r is None:
                cells.append("-")
            elif impl == "serial_loop" or base is None:
                cells.append(human(r))
            else:
                cells.append(f"{human(r)} ({r / base:.2f}x)")
        ideal = results.ideal(k, workers)
        cells.append("-" if ideal is None or base is None else f"{human(ideal)} ({ideal / base:.2f}x)")
        print("| " + " | ".join(cells) + " |")


def print_cpu(results, spins, workers):
    """CPU time (user + system, all threads) per run beside wall time, as ratios to the serial
    loop's: a thread that spins while a core has no work shows here, not in jobs/s."""
    impls = [impl for impl in results.implementations() if impl != "serial_loop"]
    if results.cpu_time("serial_loop", spins[0], 1) is None:
        return
    print(f"\nW = {workers}: CPU time and wall time per run, each ÷ the serial loop's\n")
    print("| K | " + " | ".join(f"{impl} CPU | {impl} wall" for impl in impls) + " |")
    print("| " + " | ".join(["---:"] * (2 * len(impls) + 1)) + " |")
    for k in spins:
        serial_cpu = results.cpu_time("serial_loop", k, 1)
        serial_rate = results.rate("serial_loop", k, 1)
        cells = [str(k)]
        for impl in impls:
            cpu = results.cpu_time(impl, k, workers)
            rate = results.rate(impl, k, workers)
            cells.append("-" if cpu is None or not serial_cpu else f"{cpu / serial_cpu:.2f}")
            cells.append("-" if rate is None or serial_rate is None else f"{serial_rate / rate:.2f}")
        print("| " + " | ".join(cells) + " |")


def print_spread(results, spins, worker_counts):
    """The coefficient of variation of every case with repetitions, worst first per W."""
    impls = results.implementations()
    rows = []
    for workers in worker_counts:
        for k in spins:
            cvs = [results.cv(impl, k, 1 if impl == "serial_loop" else workers) for impl in impls]
            if any(cv is not None for cv in cvs):
                rows.append([str(workers), str(k)] + ["-" if cv is None else f"{100 * cv:.0f} %" for cv in cvs])
    if not rows:
        return
    print("\nCoefficient of variation of the repetitions (standard deviation / mean of jobs/s)\n")
    print("| W | K | " + " | ".join(impls) + " |")
    print("| " + " | ".join(["---:"] * (len(impls) + 2)) + " |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def print_targets(results, spins):
    """Issue 4's targets at W = 2, each with the measured figure and met or missed."""
    w = TARGET_WORKERS
    rows = []

    def check(name, value, goal, ok, shown):
        if value is not None:
            rows.append((name, shown(value), goal, "met" if ok(value) else "missed"))

    def ratio(a, b):
        return None if a is None or b is None else a / b

    base = results.rate(BASELINE, 0, w)
    for impl, goal in (("flowpool_typed", 50), ("flowpool_graph", 10)):
        check(f"{impl} at K = 0, vs hand-rolled", ratio(results.rate(impl, 0, w), base),
              f">= {goal}x", lambda v, g=goal: v >= g, lambda v: f"{v:.1f}x")
    for k, share in ((1000, 0.97), (100000, 0.98)):
        for impl in ("flowpool_typed", "flowpool_graph"):
            check(f"{impl} at K = {k}, share of ideal", ratio(results.rate(impl, k, w), results.ideal(k, w)),
                  f">= {share:.0%}", lambda v, s=share: v >= s, lambda v: f"{v:.1%}")
    for k in spins:
        check(f"graph file's time / typed API's at K = {k}",
              ratio(results.rate("flowpool_typed", k, w), results.rate("flowpool_graph", k, w)),
              "<= 1.3", lambda v: v <= 1.3, lambda v: f"{v:.2f}")
    # Issue 19's.
    check("graph file's time / typed API's at K = 0",
          ratio(results.rate("flowpool_typed", 0, w), results.rate("flowpool_graph", 0, w)),
          "<= 2.0", lambda v: v <= 2.0, lambda v: f"{v:.2f}")
    check("graph file's slowest repetition / its median at K = 0",
          results.slowest("flowpool_graph", 0, w), "<= 1.5", lambda v: v <= 1.5,
          lambda v: f"{v:.2f}")
    for k in (100, 1000, 100000):
        for impl in ("flowpool_typed", "flowpool_graph"):
            serial = results.cpu_time("serial_loop", k, 1)
            check(f"{impl} CPU time at K = {k}, W = 1, / the serial loop's",
                  ratio(results.cpu_time(impl, k, 1), serial), "<= 1.15", lambda v: v <= 1.15,
                  lambda v: f"{v:.2f}")
    if not rows:
        return
    print(f"\nIssue 4 and 19 targets at W = {w} (medians)\n")
    print("| target | measured | goal | |")
    print("| --- | ---: | ---: | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="JSON from --benchmark_out_format=json")
    parser.add_argument("--workers", default="1,2,4", help="worker counts W, comma-separated")
    parser.add_argument("--spin", default=None, help="spin costs K, comma-separated (default all)")
    options = parser.parse_args()

    results = Results(options.results)
    spins = results.spins() if options.spin is None else [int(k) for k in options.spin.split(",")]
    worker_counts = [int(w) for w in options.workers.split(",")]
    for workers in worker_counts:
        print_rates(results, spins, workers)
    for workers in worker_counts:
        if workers < results.cpus:
            print_cpu(results, spins, workers)
    print_spread(results, spins, worker_counts)
    print_targets(results, spins)

    if results.failed:
        print("\nFAILED (wrong sum):\n  " + "\n  ".join(results.failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
