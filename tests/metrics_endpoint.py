#!/usr/bin/env python3
"""`flowpool run --metrics`, scraped with curl while the run goes on and parsed by
python3-prometheus-client's text parser.

    metrics_endpoint.py FLOWPOOL SOURCE_DIR grows WORKERS   counters only grow, final = --stats-json,
                                                             in-flight gauges within the workers
    metrics_endpoint.py FLOWPOOL SOURCE_DIR health           /health 200, then 503 once a job failed
    metrics_endpoint.py FLOWPOOL SOURCE_DIR errors           bad addresses: exit 2, one clear line
    metrics_endpoint.py FLOWPOOL SOURCE_DIR labels           a node named with " \\ and a newline
    metrics_endpoint.py FLOWPOOL SOURCE_DIR exit             the endpoint does not delay the exit,
                                                             at the end or after SIGTERM
    metrics_endpoint.py FLOWPOOL SOURCE_DIR ending           scrapes as a run ends get the whole
                                                             page or no answer, never a part
    metrics_endpoint.py FLOWPOOL SOURCE_DIR redis SERVER     a Redis worker (graphs/redis) serves
                                                             them while it works and while it waits
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

FLOWPOOL, SOURCE = sys.argv[1], sys.argv[2]
JOBS = 100000
COUNTERS = {  # metric (sample name) -> --stats-json field of the node
    "flowpool_node_jobs_in_total": "messages_in",
    "flowpool_node_jobs_out_total": "messages_out",
    "flowpool_node_jobs_filtered_total": "filtered",
    "flowpool_node_jobs_skipped_total": "skipped",
    "flowpool_node_jobs_failed_total": "failed",
    "flowpool_node_jobs_dead_lettered_total": "dead_lettered",
    "flowpool_node_jobs_redelivered_total": "redelivered",
    "flowpool_node_retries_total": "retries",
    "flowpool_node_batches_total": "batches",
}


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def curl(url):
    """(HTTP status, body) of a GET, or (0, '') if nothing answers."""
    done = subprocess.run(["curl", "-s", "-m", "5", "-w", "\n%{http_code}", url],
                          capture_output=True, text=True)
    body, _, status = done.stdout.rpartition("\n")
    return int(status or 0), body


def start(args):
    """Starts `flowpool run ARGS --metrics 127.0.0.1:0`; returns the process and its base URL."""
    err = tempfile.NamedTemporaryFile("w+", suffix=".err", delete=False)
    proc = subprocess.Popen([FLOWPOOL, "run", *args, "--metrics", "127.0.0.1:0", "--no-progress"],
                            cwd=SOURCE, stdout=subprocess.DEVNULL, stderr=err, text=True)
    deadline = time.time() + 20
    while time.time() < deadline:
        with open(err.name) as f:
            m = re.search(r"metrics: (http://[^/\s]+)/metrics", f.read())
        if m:
            return proc, m.group(1), err.name
        if proc.poll() is not None:
            fail("flowpool ended before serving: " + open(err.name).read())
        time.sleep(0.02)
    fail("no 'metrics: http://...' line on stderr")


def final_samples(base):
    """The /metrics page once it shows the run over: the report (--stats-json) is written just
    before the final figures are published, so a scrape right after the report may still see the
    last figures of the run. Asked again for up to 30 s: a loaded machine may take that long."""
    deadline = time.time() + 30
    while True:
        status, body = curl(base + "/metrics")
        page = samples(body) if status == 200 else {}
        if any(page.get(("flowpool_run_state", None, None, state)) == 1
               for state in ("finished", "failed")):
            return page
        if time.time() > deadline:
            fail(f"/metrics never showed the run over (status {status})")
        time.sleep(0.05)


def samples(text):
    """{(sample name, node): value} of a /metrics page, through the Prometheus parser."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            key = (s.name, s.labels.get("node"), s.labels.get("le"), s.labels.get("state"))
            out[key] = s.value
    return out


def check_grows(workers):
    stats = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    # A long linger, cut short by SIGTERM once the final figures are read: a loaded machine may
    # take seconds between two scrapes. 20,000 iterations a job: a run of a second or more, so
    # that the busy node is seen running (2,000 made runs of three scrapes, which under ASan
    # once all fell between its batches).
    proc, base, err = start(["graphs/spin_summary.yaml", "--set", f"jobs.count={JOBS}",
                             "--set", "work.iterations=20000", "--set", f"work.concurrency={workers}",
                             "--stats-json", stats, "--metrics-linger", "60"])
    scrapes, healthy, ready = [], 0, 0
    while proc.poll() is None:
        status, body = curl(base + "/metrics")
        if status != 200:
            break  # the run ended between poll() and the scrape: the linger serves it below
        scrapes.append(samples(body))
        phase = scrapes[-1].get(("flowpool_run_state", None, None, "running"))
        if phase == 1 and (healthy == 0 or ready == 0):
            healthy += curl(base + "/health")[0] == 200
            ready += curl(base + "/ready")[0] == 200
        if os.path.getsize(stats) > 0:
            break  # the run is over and lingers
        time.sleep(0.05)
    while proc.poll() is None and os.path.getsize(stats) == 0:
        time.sleep(0.05)
    final = final_samples(base)
    if curl(base + "/ready")[0] != 503:
        fail("/ready is not 503 once the run is over")
    proc.send_signal(signal.SIGTERM)  # ends the linger; the exit code stays the run's
    if proc.wait(timeout=30) != 0:
        fail("the run failed: " + open(err).read())
    if len(scrapes) < 3:
        fail(f"only {len(scrapes)} scrapes during the run: too short to tell anything")
    if healthy == 0 or ready == 0:
        fail(f"/health 200 {healthy} times, /ready 200 {ready} times while running")
    if final[("flowpool_run_state", None, None, "finished")] != 1:
        fail("the final state is not 'finished'")
    if curl(base + "/health")[0] != 0:
        fail("still serving after the linger ended")
    for earlier, later in zip(scrapes + [final], scrapes[1:] + [final]):
        for key, value in earlier.items():
            if key[0].endswith(("_total", "_count", "_bucket", "_sum")) and later.get(key, -1) < value:
                fail(f"{key} went down: {value} then {later.get(key)}")
    check_in_flight(scrapes, final, workers)
    figures = json.load(open(stats))
    for node in figures["nodes"]:
        name = node["name"]
        for metric, field in COUNTERS.items():
            if final[(metric, name, None, None)] != node[field]:
                fail(f"{metric}{{node={name}}} = {final[(metric, name, None, None)]}, "
                     f"--stats-json {field} = {node[field]}")
        busy = final[("flowpool_node_busy_seconds_total", name, None, None)]
        if abs(busy - node["busy_ns"] / 1e9) > 1e-6:
            fail(f"busy seconds of {name}: {busy} against {node['busy_ns']} ns")
        count = final[("flowpool_node_job_duration_seconds_count", name, None, None)]
        if count != node["messages_in"]:
            fail(f"{name}: {count} jobs timed, {node['messages_in']} in")
        buckets = sorted((float(k[2]), v) for k, v in final.items()
                         if k[0] == "flowpool_node_job_duration_seconds_bucket" and k[1] == name)
        if buckets[-1] != (float("inf"), count) or any(
                a[1] > b[1] for a, b in zip(buckets, buckets[1:])):
            fail(f"{name}: buckets not cumulative up to the count: {buckets}")
    if final[("flowpool_node_jobs_in_total", "jobs", None, None)] != JOBS:
        fail(f"the source did not make its {JOBS} jobs")
    print(f"ok: {len(scrapes)} scrapes at {workers} workers, counters grew, final = --stats-json")


def check_in_flight(scrapes, final, workers):
    """flowpool_node_in_flight_batches: never more than a node's workers, seen running on the
    busy node while the run went on, and 0 everywhere once it is over."""
    name = "flowpool_node_in_flight_batches"
    most = {"jobs": 0, "work": workers, "total": 1}  # the source is not counted: 0
    seen = []
    for scrape in scrapes:
        if (name, "work", None, None) not in scrape:
            continue  # scraped while starting: no nodes yet
        for node, limit in most.items():
            value = scrape.get((name, node, None, None))
            if value is None or not 0 <= value <= limit:
                fail(f"{name}{{node={node}}} = {value} during the run, not within 0..{limit}")
        seen.append(scrape[(name, "work", None, None)])
    if not seen or max(seen) < 1:
        fail(f"{name}{{node=work}} never above 0 in {len(seen)} scrapes: {seen}")
    for node in most:
        if final.get((name, node, None, None)) != 0:
            fail(f"{name}{{node={node}}} = {final.get((name, node, None, None))} after the run")


def check_health():
    # A job fails in 'check' (on_error: fail) after a second or so of work: healthy before,
    # 503 after, and 503 while lingering.
    stats = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    proc, base, err = start(["tests/data/metrics_failing.yaml", "--metrics-linger", "60",
                             "--stats-json", stats])
    seen, deadline = [], None
    while proc.poll() is None:
        over = os.path.getsize(stats) > 0  # the report is written: the run is over, it lingers
        status = curl(base + "/health")[0]
        if not seen or seen[-1] != status:
            seen.append(status)
        if over:
            # The report is written just before the final state is published: a scrape in
            # between may still see the run's last state. Asked again for up to 30 s.
            deadline = deadline or time.time() + 30
            if status == 503 or time.time() > deadline:
                break
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)  # ends the linger; the exit code stays the run's
    code = proc.wait(timeout=30)
    if code != 1:
        fail(f"exit code {code}, not 1: " + open(err).read())
    if seen[0] != 200 or seen[-1] != 503:
        fail(f"/health answered {seen} (last not 503)")
    print(f"ok: /health answered {seen} and the run exited 1")


def check_errors():
    for address, expect in [("nonsense", "expected HOST:PORT or PORT"),
                            ("127.0.0.1:70000", "expected HOST:PORT or PORT"),
                            ("203.0.113.9:0", "cannot listen on")]:
        done = subprocess.run([FLOWPOOL, "run", "graphs/worker_pool.yaml", "--metrics", address],
                              cwd=SOURCE, capture_output=True, text=True)
        if done.returncode != 2 or expect not in done.stderr or done.stdout:
            fail(f"--metrics {address}: exit {done.returncode}, stderr {done.stderr!r}")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([FLOWPOOL, "run", "graphs/worker_pool.yaml", "--metrics", str(port)],
                              cwd=SOURCE, capture_output=True, text=True)
        if done.returncode != 2 or "cannot listen on" not in done.stderr:
            fail(f"--metrics on a port in use: exit {done.returncode}, stderr {done.stderr!r}")
    print("ok: bad and busy addresses exit 2 with a clear line")


def check_labels():
    # A node name with a quote, a backslash and a newline (YAML escapes) comes back whole through
    # the Prometheus parser.
    name = 'we"ird\\na\nme'
    graph = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    graph.write('graph: weird\nnodes:\n'
                '  jobs: { kind: source, op: range, count: 1000 }\n'
                '  "we\\"ird\\\\na\\nme": { kind: function, op: multiply, factor: 2 }\n'
                '  out: { kind: sink, op: summary }\n'
                'edges:\n  - "jobs -> we\\"ird\\\\na\\nme -> out"\n')
    graph.close()
    stats = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    proc, base, err = start([graph.name, "--metrics-linger", "60", "--stats-json", stats])
    final = final_samples(base)
    proc.send_signal(signal.SIGTERM)
    if proc.wait(timeout=30) != 0:
        fail("the run failed: " + open(err).read())
    if final.get(("flowpool_node_jobs_in_total", name, None, None)) != 1000:
        nodes = sorted({k[1] for k in final if k[1]})
        fail(f"no 1000 jobs in for node {name!r}; nodes seen: {nodes!r}")
    print(f"ok: node {name!r} read back through the parser")



def check_exit():
    """civetweb 1.15's mg_stop() waits for its listening thread's poll, which times out every
    2 s: every run with --metrics ended up to 2 s late (2.04 s against 0.02 s), and SIGTERM
    during --metrics-linger took up to 2 s to end it. Now a run ends within 1 s of the same run
    without the endpoint (the fastest of three each, as the machine may be loaded), and SIGTERM
    ends a linger within 1 s."""
    def fastest(extra):
        times = []
        for _ in range(3):
            started = time.monotonic()
            done = subprocess.run([FLOWPOOL, "run", "graphs/worker_pool.yaml", "-q", *extra],
                                  cwd=SOURCE, capture_output=True, text=True)
            times.append(time.monotonic() - started)
            if done.returncode != 0:
                fail(f"flowpool run {' '.join(extra)}: exit {done.returncode}: {done.stderr}")
        return min(times)

    plain, served = fastest([]), fastest(["--metrics", "127.0.0.1:0"])
    if served - plain > 1.0:
        fail(f"with --metrics the run took {served:.3f} s, without {plain:.3f} s")
    stats = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    proc, base, err = start(["graphs/worker_pool.yaml", "--metrics-linger", "60",
                             "--stats-json", stats])
    deadline = time.monotonic() + 20
    while proc.poll() is None and os.path.getsize(stats) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)  # the report is written: the run is over, it lingers
    if proc.poll() is not None or curl(base + "/health")[0] != 200:
        fail("not lingering: " + open(err).read())
    signalled = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    took = time.monotonic() - signalled
    if code != 0 or took > 1.0:
        fail(f"SIGTERM while lingering: exit {code} after {took:.3f} s")
    print(f"ok: {served:.3f} s with --metrics, {plain:.3f} s without; a linger ended "
          f"{took:.3f} s after SIGTERM")


def check_ending():
    """civetweb stops writing once mg_stop() sets its stop flag: a scrape answered as a run ended
    got its headers and then the connection closed, 0 of its 9958 bytes of body sent (CI saw it
    once in metrics.redis_worker; 17 of 300 short runs hammered as below showed it). Now each
    scrape gets the whole page (as long as its Content-Length says), or no answer at all (the
    connection refused, or closed before a byte of the answer). Anything else is a cut."""
    rounds = 200 // int(os.environ.get("FLOWPOOL_TEST_SLOWDOWN", "1"))
    whole, unanswered, cut = 0, 0, []
    for _ in range(rounds):
        # The run takes 20 ms: it serves its final figures for 50 ms more, scraped all along.
        proc, base, err = start(["graphs/worker_pool.yaml", "--metrics-linger", "0.05"])

        def scrape():
            nonlocal whole, unanswered
            while proc.poll() is None:
                try:
                    answer = urllib.request.urlopen(base + "/metrics", timeout=5)
                except (urllib.error.URLError, ConnectionError):
                    unanswered += 1  # refused, or closed or reset before the status line
                    continue
                except Exception as e:  # a status line or headers cut short, ...
                    cut.append(repr(e))
                    continue
                try:
                    with answer:
                        body = answer.read()
                    length = answer.headers.get("Content-Length")
                    if length is None or int(length) != len(body):
                        cut.append(f"Content-Length {length}, {len(body)} bytes")
                    else:
                        whole += 1
                except Exception as e:  # IncompleteRead, a reset, ...
                    cut.append(repr(e))

        scrapers = [threading.Thread(target=scrape) for _ in range(3)]
        for scraper in scrapers:
            scraper.start()
        for scraper in scrapers:
            scraper.join()
        if proc.wait(timeout=30) != 0:
            fail("the run failed: " + open(err).read())
        os.unlink(err)
        if cut:
            fail(f"a scrape as the run ended got part of an answer: {cut[0]}")
    if whole < rounds:
        fail(f"only {whole} whole pages in {rounds} runs: the runs were not scraped")
    print(f"ok: {rounds} runs scraped as they ended: {whole} whole pages, {unanswered} scrapes "
          "unanswered, none cut")


def timed_get(url):
    """(HTTP status, body, seconds) of a GET from this process: the time is the endpoint's, not
    that of starting a curl."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            body, status = answer.read().decode(), answer.status
    except urllib.error.HTTPError as e:
        body, status = "", e.code
    except OSError:
        body, status = "", 0
    return status, body, time.monotonic() - started


def check_redis(server_binary):
    """`flowpool run graphs/redis/worker.yaml --metrics`: the worker's counters grow while it
    takes jobs from a stream, /metrics and /health answer at once while it waits in XREADGROUP
    BLOCK for more, and what it serves then is its --stats-json figures, every job counted once."""
    sys.path.insert(0, os.path.join(SOURCE, "tests", "soak"))
    from soak import RedisServer  # a free port, tried again if taken, PINGed until it answers

    jobs = 20000
    data = tempfile.mkdtemp(prefix="flowpool-redis-metrics-")
    server = RedisServer(data, server_binary)
    try:
        server.start()
        url = f"redis://127.0.0.1:{server.port}"
        enqueue = subprocess.run([FLOWPOOL, "run", "graphs/redis/enqueue.yaml", "--set",
                                  f"jobs.count={jobs}", "--set", f"queue.url={url}"],
                                 cwd=SOURCE, capture_output=True, text=True)
        if enqueue.returncode != 0:
            fail("enqueue failed: " + enqueue.stderr)
        stats = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
        # It ends by itself 4 s after the stream runs dry; it is watched waiting for 1.5 s of
        # that, blocked in XREADGROUP for 500 ms at a time (block_ms).
        proc, base, err = start(["graphs/redis/worker.yaml", "--set", f"jobs.url={url}",
                                 "--set", f"results.url={url}", "--set", "work.iterations=50000",
                                 "--set", "jobs.idle_exit_ms=4000", "--stats-json", stats])
        counts, waiting, dry_since, last = [], [], None, None
        while proc.poll() is None:
            status, body, took = timed_get(base + "/metrics")
            if status != 200:
                break  # the run ended between poll() and the scrape
            page = samples(body)
            n = page.get(("flowpool_node_jobs_in_total", "work", None, None))
            if n is not None:
                counts.append(n)
            if n == jobs:  # every job done: the worker waits for more
                dry_since = dry_since or time.monotonic()
                if time.monotonic() - dry_since < 1.5:
                    waiting.append((round(took, 3), timed_get(base + "/health")[0]))
                    last = page
            time.sleep(0.05)
        if proc.wait(timeout=30) != 0:
            fail("the worker failed: " + open(err).read())
        if len(counts) < 3 or counts != sorted(counts) or not any(n < jobs for n in counts):
            fail(f"work's jobs_in_total was not seen growing while the worker ran: {counts}")
        if len(waiting) < 3:
            fail(f"only {len(waiting)} scrapes while the worker waited for more jobs")
        times = sorted(w[0] for w in waiting)
        if times[len(times) // 2] > 0.2 or times[-1] > 2 or any(w[1] != 200 for w in waiting):
            fail(f"while waiting in XREADGROUP BLOCK: (seconds, /health) {waiting}")
        figures = json.load(open(stats))["nodes"]
        for node in figures:
            for metric, field in COUNTERS.items():
                if last.get((metric, node["name"], None, None)) != node[field]:
                    fail(f"{metric}{{node={node['name']}}} = "
                         f"{last.get((metric, node['name'], None, None))} while waiting, "
                         f"--stats-json {field} = {node[field]}")
        work = next(node for node in figures if node["name"] == "work")
        if work["messages_in"] != jobs:
            fail(f"work took {work['messages_in']} jobs, not {jobs}")
        print(f"ok: {len(counts)} scrapes of a Redis worker, {len(waiting)} of them while it "
              f"waited (slowest {times[-1]:.3f} s), equal to --stats-json; {jobs} jobs counted "
              "once")
    finally:
        server.stop(kill=True)
        shutil.rmtree(data, ignore_errors=True)

if __name__ == "__main__":
    mode = sys.argv[3]
    if mode == "grows":
        check_grows(int(sys.argv[4]))
    elif mode == "health":
        check_health()
    elif mode == "labels":
        check_labels()
    elif mode == "exit":
        check_exit()
    elif mode == "ending":
        check_ending()
    elif mode == "redis":
        check_redis(sys.argv[4])
    else:
        check_errors()
