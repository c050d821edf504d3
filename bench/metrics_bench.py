#!/usr/bin/env python3
"""What `flowpool run --metrics` costs on trivial jobs (bench/README.md, "The metrics endpoint").

A/B in one run: the same graph, one run without the endpoint (A) and one with it (B), alternating
PAIRS times (A first in even pairs, B first in odd ones), each reading the run's own throughput
from --stats-json. During every B run a scraper fetches /metrics every SCRAPE_MS (default 100 ms:
150 times Prometheus' default rate of one scrape in 15 s) and checks it answered. Prints every
run, then the medians, their ratio, and the median of the per-pair ratios.

Usage: bench/metrics_bench.py [FLOWPOOL]   (PAIRS=10, JOBS=20000000, SCRAPE_MS=100)
The graph: graphs/spin_summary.yaml with 0 spin rounds and 2 workers: range -> spin -> summary.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLOWPOOL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "flowpool")
PAIRS = int(os.environ.get("PAIRS", 10))
JOBS = int(os.environ.get("JOBS", 20_000_000))
SCRAPE = int(os.environ.get("SCRAPE_MS", 100)) / 1000
GRAPH = ["graphs/spin_summary.yaml", "--set", f"jobs.count={JOBS}", "--set",
         "work.iterations=0", "--set", "work.concurrency=2", "--no-progress"]


def scrape(url, stop, counts):
    while not stop.is_set():
        done = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url],
                              capture_output=True, text=True)
        counts[done.stdout] = counts.get(done.stdout, 0) + 1
        stop.wait(SCRAPE)


def one_run(metrics):
    stats = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    args = [FLOWPOOL, "run", *GRAPH, "--stats-json", stats]
    if metrics:
        args += ["--metrics", "127.0.0.1:0"]
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
    rate = json.load(open(stats))["jobs_per_second"]
    os.unlink(stats)
    return rate, counts.get("200", 0)


def main():
    a, b, ratios = [], [], []
    for pair in range(PAIRS):
        order = [False, True] if pair % 2 == 0 else [True, False]
        rates = {}
        for metrics in order:
            load = os.getloadavg()[0]
            rate, scrapes = one_run(metrics)
            rates[metrics] = rate
            print(f"pair {pair} {'B (--metrics)' if metrics else 'A           '} "
                  f"{rate / 1e6:8.2f} M jobs/s  scrapes answered {scrapes:4d}  load {load:.2f}",
                  flush=True)
        a.append(rates[False])
        b.append(rates[True])
        ratios.append(rates[True] / rates[False])
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"median A {ma / 1e6:.2f} M jobs/s, median B {mb / 1e6:.2f} M jobs/s, "
          f"B/A {mb / ma:.4f}; median of per-pair B/A {statistics.median(ratios):.4f}")


main()
