#!/usr/bin/env python3
"""What `flowpool run --metrics` costs on trivial jobs (bench/README.md, "The metrics endpoint").

A/B in one run: the same graph, one run without the endpoint (A) and one with it (B), alternating
PAIRS times (A first in even pairs, B first in odd ones), each reading the run's own throughput
from --stats-json. During every B run a scraper in this process (urllib, not a curl per scrape, so
that starting a process does not count as the endpoint's cost) fetches /metrics every SCRAPE_MS
(default 1000 ms: 15 times Prometheus' default of one scrape in 15 s) and counts the answers. Besides throughput, each run's CPU time (user + system, from the kernel's
accounting of the child) is printed: on a loaded machine it varies less than throughput does. Prints every
run, then the medians, their ratio, and the median of the per-pair ratios.

Usage: bench/metrics_bench.py [FLOWPOOL]   (PAIRS=10, JOBS=100000000, SCRAPE_MS=1000)
The graph: graphs/spin_summary.yaml with 0 spin rounds and 2 workers: range -> spin -> summary.
"""
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLOWPOOL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "flowpool")
PAIRS = int(os.environ.get("PAIRS", 10))
JOBS = int(os.environ.get("JOBS", 100_000_000))
SCRAPE = int(os.environ.get("SCRAPE_MS", 1000)) / 1000
GRAPH = ["graphs/spin_summary.yaml", "--set", f"jobs.count={JOBS}", "--set",
         "work.iterations=0", "--set", "work.concurrency=2", "--no-progress"]


def scrape(url, stop, counts):
    while not stop.wait(SCRAPE):
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                answer.read()
                status = str(answer.status)
        except OSError:
            status = "none"
        counts[status] = counts.get(status, 0) + 1


def one_run(metrics):
    stats = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    args = [FLOWPOOL, "run", *GRAPH, "--stats-json", stats]
    if metrics:
        args += ["--metrics", "127.0.0.1:0"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    stop, counts, scraper = threading.Event(), {}, None
    if metrics:
        line = proc.stderr.readline()
        url = re.search(r"(http://\S+/metrics)", line).group(1)
        scraper = threading.Thread(target=scrape, args=(url, stop, counts))
        scraper.start()
    proc.communicate()
    stop.set()
    if scraper:
        scraper.join()
    if proc.returncode != 0:
        sys.exit(f"flowpool exited {proc.returncode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    rate = json.load(open(stats))["jobs_per_second"]
    os.unlink(stats)
    return rate, cpu, counts.get("200", 0)


def main():
    a, b, ratios, cpu_ratios = [], [], [], []
    for pair in range(PAIRS):
        order = [False, True] if pair % 2 == 0 else [True, False]
        rates, cpus = {}, {}
        for metrics in order:
            load = os.getloadavg()[0]
            rate, cpu, scrapes = one_run(metrics)
            rates[metrics], cpus[metrics] = rate, cpu
            print(f"pair {pair} {'B (--metrics)' if metrics else 'A           '} "
                  f"{rate / 1e6:8.2f} M jobs/s  CPU {cpu:6.3f} s  scrapes answered {scrapes:4d}  load {load:.2f}",
                  flush=True)
        a.append(rates[False])
        b.append(rates[True])
        ratios.append(rates[True] / rates[False])
        cpu_ratios.append(cpus[True] / cpus[False])
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"median A {ma / 1e6:.2f} M jobs/s, median B {mb / 1e6:.2f} M jobs/s, "
          f"B/A {mb / ma:.4f}; median of per-pair B/A {statistics.median(ratios):.4f}; "
          f"median of per-pair CPU time B/A {statistics.median(cpu_ratios):.4f}")


main()
