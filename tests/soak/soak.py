#!/usr/bin/env python3
"""Soak test of flowpool's Redis Streams scale-out (issue 13).

For DURATION seconds (default 600): a producer appends jobs to the stream `jobs` at a steady
rate, every 10,000th job a poison entry (int -1); three `flowpool run tests/soak/worker.yaml`
workers take them through the consumer group `flowpool` and write results to `results`.
Worker 0 lives the whole time; workers 1 and 2 are SIGKILLed in turn every 20 s and started
again; redis-server (append-only file on) is stopped with SIGTERM and started again on the same
port and directory every 2 minutes. Then the producer stops and the script waits (bounded) for
the workers to catch up, stops them with SIGTERM, and checks:

  * the stream `jobs` holds job ids 1..N, each once (the producer lost and repeated nothing);
  * every job that is not poison has a result, and every result has the correct value
    (spin(value, iterations), computed here); repeats are allowed (at-least-once) and counted;
  * every poison entry is in `jobs:dead` exactly once, with error "value -1 fails by request"
    and node "poison", and has no result; nothing else is dead-lettered;
  * nothing is pending in the group;
  * worker 0's peak RSS (VmHWM) at the end is less than 1.10 x its peak RSS after the first
    minute (after DURATION/4 when DURATION is under 4 minutes);
  * no worker exited by itself, and every worker stopped by SIGTERM exits 143 (as documented).

Exit status 0 if every check passes, 1 if one fails, 2 if the test could not run, 128 + the
signal if interrupted (130 on Ctrl-C). The script stops by itself within DURATION + 3 minutes
and stops every process it started on every way out. Python standard library only; Redis is
spoken to over a socket (RESP).

  tests/soak/soak.py                          # 10 minutes, ./build/flowpool
  tests/soak/soak.py --duration 60            # the CI version
  FLOWPOOL=/path/to/flowpool tests/soak/soak.py --duration 60
"""

import argparse
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MASK64 = (1 << 64) - 1
POISON = -1
POISON_ERROR = "value -1 fails by request"
POISON_NODE = "poison"
GROUP = "flowpool"


def log(message):
    print(message, flush=True)


class Interrupted(Exception):
    pass


class Overtime(Exception):
    pass


# --------------------------------------------------------------------------------------------
# The expected result: a port of detail::spin (src/ops/spin.hpp). The xorshift rounds are linear
# over GF(2)^64, so `iterations` rounds are one 64x64 bit matrix, computed once by squaring: the
# check of 200,000 results then takes a second however many iterations a job spins.


def spin_direct(v, iterations):
    """detail::spin, line by line (slow: for cross-checking)."""
    if iterations <= 0:
        return v
    u = v & MASK64
    s = (u * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & MASK64
    for _ in range(iterations):
        s ^= (s << 13) & MASK64
        s ^= s >> 7
        s ^= (s << 17) & MASK64
    r = (u + (s >> 48)) & MASK64
    return r - (1 << 64) if r >> 63 else r


def _apply(columns, x):
    y = 0
    i = 0
    while x:
        if x & 1:
            y ^= columns[i]
        x >>= 1
        i += 1
    return y


def _compose(a, b):
    """Columns of a∘b (b first)."""
    return [_apply(a, col) for col in b]


class Spin:
    def __init__(self, iterations):
        self.iterations = iterations
        one = []
        for i in range(64):
            s = 1 << i
            s ^= (s << 13) & MASK64
            s ^= s >> 7
            s ^= (s << 17) & MASK64
            one.append(s)
        power = [1 << i for i in range(64)]  # identity
        base, n = one, max(iterations, 0)
        while n:
            if n & 1:
                power = _compose(base, power)
            base = _compose(base, base)
            n >>= 1
        self.matrix = power
        # By bytes: 8 tables of 256 XORs of columns, 8 lookups a value.
        self.tables = []
        for b in range(8):
            cols = power[8 * b:8 * b + 8]
            table = [0] * 256
            for x in range(1, 256):
                low = x & -x
                table[x] = table[x ^ low] ^ cols[low.bit_length() - 1]
            self.tables.append(table)
        # The fast form must agree with the line-by-line port (on a few rounds: the same code).
        for k in (0, 1, 2, 3, 77):
            fast = Spin._fast(self._matrix_for(one, k), 0x1234567, k)
            if fast != spin_direct(0x1234567, k):
                raise AssertionError("spin port: fast and direct forms differ at %d rounds" % k)

    @staticmethod
    def _matrix_for(one, k):
        m = [1 << i for i in range(64)]
        for _ in range(k):
            m = _compose(one, m)
        return m

    @staticmethod
    def _fast(matrix, v, iterations):
        if iterations <= 0:
            return v
        u = v & MASK64
        s = (u * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & MASK64
        s = _apply(matrix, s)
        r = (u + (s >> 48)) & MASK64
        return r - (1 << 64) if r >> 63 else r

    def __call__(self, v):
        if self.iterations <= 0:
            return v
        u = v & MASK64
        s = (u * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & MASK64
        t = self.tables
        s = (t[0][s & 255] ^ t[1][(s >> 8) & 255] ^ t[2][(s >> 16) & 255] ^ t[3][(s >> 24) & 255]
             ^ t[4][(s >> 32) & 255] ^ t[5][(s >> 40) & 255] ^ t[6][(s >> 48) & 255]
             ^ t[7][s >> 56])
        r = (u + (s >> 48)) & MASK64
        return r - (1 << 64) if r >> 63 else r


def job_value(job_id, poison_every):
    """The value of job `job_id` (ids from 1): -1 for every poison_every-th, else a spread."""
    if job_id % poison_every == 0:
        return POISON
    return (job_id * 2654435761) % 1000000007


# --------------------------------------------------------------------------------------------
# A minimal Redis client (RESP2) over a socket.


class RedisError(Exception):
    pass


class Redis:
    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def close(self):
        try:
            self.reader.close()
            self.sock.close()
        except OSError:
            pass

    @staticmethod
    def _encode(words):
        out = [b"*%d\r\n" % len(words)]
        for w in words:
            if not isinstance(w, bytes):
                w = str(w).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(w), w))
        return b"".join(out)

    def _read(self):
        line = self.reader.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.reader.read(n + 2)
            if len(data) != n + 2:
                raise ConnectionError("connection closed")
            return data[:-2].decode("utf-8", "replace")
        if kind == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self._read() for _ in range(n)]
        raise ConnectionError("bad reply %r" % line)

    def pipeline(self, commands):
        """Replies to `commands`, errors as RedisError values (not raised)."""
        self.sock.sendall(b"".join(Redis._encode(c) for c in commands))
        return [self._read() for _ in commands]

    def call(self, *words):
        reply = self.pipeline([words])[0]
        if isinstance(reply, RedisError):
            raise reply
        return reply

    def entries(self, stream, start="-"):
        """Every entry of `stream` after `start` (exclusive unless "-"): [(entry id, {fields})]."""
        out = []
        frm = start if start == "-" else "(" + start
        while True:
            chunk = self.call("XRANGE", stream, frm, "+", "COUNT", 10000)
            if not chunk:
                return out
            for entry_id, fields in chunk:
                fields = fields or []
                out.append((entry_id, dict(zip(fields[0::2], fields[1::2]))))
            frm = "(" + chunk[-1][0]

    def pending(self, stream, group):
        try:
            reply = self.call("XPENDING", stream, group)
        except RedisError as e:
            if "NOGROUP" in str(e):
                return 0
            raise
        return reply[0] if reply else 0


# --------------------------------------------------------------------------------------------
# Processes.

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Should this script itself be SIGKILLed, its children go too (the parent is the thread that
    # forks: always the main thread here).
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def spawn(argv, out_path, err_path):
    with open(out_path, "ab") as out, open(err_path, "ab") as err:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True, preexec_fn=_die_with_parent)


def wait_exit(proc, seconds):
    try:
        return proc.wait(timeout=max(seconds, 0.01))
    except subprocess.TimeoutExpired:
        return None


def exit_text(code):
    if code is None:
        return "still running"
    if code < 0:
        return "killed by %s" % signal.Signals(-code).name
    return "exit %d" % code


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=15):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(f.tell() - 8192, 0))
            text = f.read().decode("utf-8", "replace")
        return "\n".join("    | " + l for l in text.splitlines()[-lines:])
    except OSError as e:
        return "    | (%s)" % e


class RedisServer:
    def __init__(self, directory, redis_server):
        self.dir = directory
        self.binary = redis_server
        self.port = None
        self.proc = None

    def start(self, timeout=30.0):
        """Starts redis-server (on a new free port the first time) and waits until it answers as
        this process: a free port is free only until someone binds it, and under ctest -j another
        test's server may take it first and answer PING in ours' place (INFO's process_id tells
        them apart)."""
        attempts = 3 if self.port is None else 1
        for attempt in range(attempts):
            if self.port is None or attempt > 0:
                self.port = free_port()
            self.proc = spawn([self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                               "--dir", self.dir, "--appendonly", "yes",
                               "--appendfsync", "everysec", "--save", "",
                               "--daemonize", "no", "--logfile", os.path.join(self.dir, "redis.log")],
                              os.path.join(self.dir, "redis.stdout"),
                              os.path.join(self.dir, "redis.stderr"))
            until = time.monotonic() + timeout
            while time.monotonic() < until:
                if self.proc.poll() is not None:
                    break
                try:
                    c = Redis(self.port, timeout=2)
                    try:
                        if c.call("PING") == "PONG":
                            if self.answering_pid(c) == self.proc.pid:
                                return
                            break  # another's server: ours cannot bind the port
                    finally:
                        c.close()
                except (OSError, RedisError):
                    pass
                time.sleep(0.05)
            self.stop(kill=True)
        raise RuntimeError("redis-server did not start; see %s/redis.log:\n%s"
                           % (self.dir, tail(os.path.join(self.dir, "redis.log"))))

    @staticmethod
    def answering_pid(connection):
        """The process id of the redis-server that `connection` speaks to."""
        for line in connection.call("INFO", "server").splitlines():
            if line.startswith("process_id:"):
                return int(line.split(":", 1)[1])
        return None

    def stop(self, timeout=30.0, kill=False):
        """SIGTERM (it writes and syncs its append-only file), bounded; the exit code or None."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        code = wait_exit(proc, timeout)
        if code is None:
            proc.kill()
            wait_exit(proc, 5)
        return code

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port


class Worker:
    def __init__(self, slot, generation, proc, out, err):
        self.slot, self.generation, self.proc, self.out, self.err = slot, generation, proc, out, err
        self.started = time.monotonic()

    @property
    def name(self):
        return "worker %d.%d (pid %d)" % (self.slot, self.generation, self.proc.pid)


def memory_kib(pid):
    """(VmHWM, VmRSS) of `pid` in KiB, from /proc/PID/status."""
    hwm = rss = None
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
                elif line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return hwm, rss


def mib(kib):
    return "?" if kib is None else "%.1f MiB" % (kib / 1024.0)


# --------------------------------------------------------------------------------------------
# The producer: a thread with its own connection. Each batch is one MULTI/EXEC, sent only on a
# connection that answered PING (not LOADING), so it is in the stream whole or not at all; after
# any error it reconnects and goes on after the last job id in the stream. Jobs are numbered
# from 1; every poison_every-th is poison.


class Producer(threading.Thread):
    def __init__(self, server, rate, poison_every):
        super().__init__(name="producer", daemon=True)
        self.server, self.rate, self.poison_every = server, rate, poison_every
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.produced = 0          # the last job id known to be in the stream
        self.reconnects = 0
        self.anomalies = []        # the stream lost entries it had acknowledged
        self.t0 = None

    def _connect(self):
        conn = Redis(self.server.port, timeout=5)
        try:
            while True:
                try:
                    if conn.call("PING") == "PONG":
                        break
                except RedisError as e:  # LOADING: not yet
                    if "LOADING" not in str(e):
                        raise
                if self.stop_event.wait(0.05):
                    raise ConnectionError("stopping")
            last = conn.call("XREVRANGE", "jobs", "+", "-", "COUNT", 1)
            in_stream = int(dict(zip(last[0][1][0::2], last[0][1][1::2]))["id"]) if last else 0
        except BaseException:
            conn.close()
            raise
        with self.lock:
            if in_stream < self.produced:
                self.anomalies.append("the stream's last job id is %d, but %d were acknowledged"
                                      % (in_stream, self.produced))
            self.produced = in_stream
        return conn

    def run(self):
        conn = None
        self.t0 = time.monotonic()
        while not self.stop_event.is_set():
            try:
                if conn is None:
                    conn = self._connect()
                target = int(self.rate * (time.monotonic() - self.t0))
                first = self.produced + 1
                last = min(target, first + max(int(self.rate), 100))  # at most ~1 s of jobs at once
                if last >= first:
                    commands = [("MULTI",)]
                    for i in range(first, last + 1):
                        commands.append(("XADD", "jobs", "*", "id", i,
                                         "int", job_value(i, self.poison_every)))
                    commands.append(("EXEC",))
                    replies = conn.pipeline(commands)
                    bad = [r for r in replies if isinstance(r, RedisError)]
                    if bad or not isinstance(replies[-1], list):
                        raise ConnectionError("XADD batch: %s" % (bad[0] if bad else replies[-1]))
                    with self.lock:
                        self.produced = last
            except (OSError, ConnectionError, RedisError, ValueError, IndexError, KeyError):
                if conn is not None:
                    conn.close()
                    conn = None
                    self.reconnects += 1
                self.stop_event.wait(0.1)
                continue
            self.stop_event.wait(0.05)
        if conn is not None:
            conn.close()

    def stop(self, timeout):
        self.stop_event.set()
        self.join(timeout)
        return not self.is_alive()


# --------------------------------------------------------------------------------------------


class Soak:
    def __init__(self, args):
        self.args = args
        self.failures = []
        self.notes = []
        self.workers = {}       # slot -> Worker
        self.generations = {0: 0, 1: 0, 2: 0}
        self.kills = 0
        self.unexpected_exits = 0
        self.redis_restarts = 0
        self.downtimes = []
        self.rss_baseline = None
        self.rss_end = None
        self.rss_samples = []   # (t, hwm, rss) of worker 0
        self.producer = None
        self.server = None
        self.dir = None
        self.t0 = None

    # -- processes --

    def start_worker(self, slot):
        gen = self.generations[slot]
        self.generations[slot] += 1
        out = os.path.join(self.dir, "worker%d.%d.out" % (slot, gen))
        err = os.path.join(self.dir, "worker%d.%d.err" % (slot, gen))
        argv = [self.args.flowpool, "run", self.args.graph,
                "--set", "jobs.url=" + self.server.url,
                "--set", "results.url=" + self.server.url,
                "--set", "work.iterations=%d" % self.args.iterations]
        self.workers[slot] = Worker(slot, gen, spawn(argv, out, err), out, err)

    def check_workers(self, now):
        for slot, w in list(self.workers.items()):
            code = w.proc.poll()
            if code is None:
                continue
            self.unexpected_exits += 1
            self.failures.append("%s exited by itself at %.0f s (%s); its log ends:\n%s"
                                 % (w.name, now, exit_text(code), tail(w.err)))
            log("[%5.0f s] %s exited by itself (%s): starting it again"
                % (now, w.name, exit_text(code)))
            self.start_worker(slot)

    def kill_worker(self, slot, now):
        w = self.workers[slot]
        if w.proc.poll() is None:
            w.proc.send_signal(signal.SIGKILL)
        code = wait_exit(w.proc, 15)
        if code != -signal.SIGKILL:
            self.failures.append("%s: SIGKILL gave %s" % (w.name, exit_text(code)))
        self.kills += 1
        self.start_worker(slot)
        log("[%5.0f s] SIGKILL %s; started %s" % (now, w.name, self.workers[slot].name))

    def restart_redis(self, now):
        down = time.monotonic()
        code = self.server.stop(timeout=30)
        if code != 0:
            self.failures.append("redis-server stopped with %s at %.0f s" % (exit_text(code), now))
        time.sleep(self.args.redis_down)
        self.server.start(timeout=60)
        self.redis_restarts += 1
        self.downtimes.append(time.monotonic() - down)
        log("[%5.0f s] redis-server restarted (down %.1f s)" % (now, self.downtimes[-1]))

    def sample_rss(self, now):
        w = self.workers.get(0)
        if w is None or w.generation != 0 or w.proc.poll() is not None:
            return None
        hwm, rss = memory_kib(w.proc.pid)
        if hwm is not None:
            self.rss_samples.append((now, hwm, rss))
        return hwm

    def cleanup(self):
        if self.producer is not None:
            self.producer.stop(10)
        for w in self.workers.values():
            if w.proc.poll() is None:
                w.proc.kill()
        for w in self.workers.values():
            wait_exit(w.proc, 5)
        if self.server is not None:
            self.server.stop(timeout=10)

    # -- the run --

    def progress(self, client, now, phase):
        try:
            results = client.call("XLEN", "results")
            dead = client.call("XLEN", "jobs:dead")
            pending = client.pending("jobs", GROUP)
        except (OSError, ConnectionError, RedisError) as e:
            log("[%5.0f s] %s: (redis: %s)" % (now, phase, e))
            return
        hwm, rss = (memory_kib(self.workers[0].proc.pid) if 0 in self.workers else (None, None))
        log("[%5.0f s] %s: %d jobs, %d results, %d dead, %d pending; worker 0 RSS %s, peak %s"
            % (now, phase, self.producer.produced, results, dead, pending, mib(rss), mib(hwm)))

    def run(self):
        a = self.args
        self.dir = tempfile.mkdtemp(prefix="flowpool_soak_")
        log("soak: %d s, %d jobs/s, spin %d iterations, poison every %d jobs, kill every %d s, "
            "redis restart every %d s, RSS baseline at %d s; files in %s"
            % (a.duration, a.rate, a.iterations, a.poison_every, a.kill_every, a.redis_every,
               a.rss_baseline, self.dir))
        self.server = RedisServer(self.dir, a.redis_server)
        self.server.start()
        client = Redis(self.server.port)
        client.call("XGROUP", "CREATE", "jobs", GROUP, "0", "MKSTREAM")
        client.close()
        for slot in (0, 1, 2):
            self.start_worker(slot)
        self.producer = Producer(self.server, a.rate, a.poison_every)
        self.t0 = time.monotonic()
        self.producer.start()

        next_kill, kill_slot = a.kill_every / 2.0, 1
        next_restart = float(a.redis_every)
        next_progress = 10.0
        client = None
        while True:
            now = time.monotonic() - self.t0
            if now >= a.duration:
                break
            self.check_workers(now)
            if now >= next_kill:
                self.kill_worker(kill_slot, now)
                kill_slot = 3 - kill_slot
                next_kill += a.kill_every
            if now >= next_restart:
                if client is not None:
                    client.close()
                    client = None
                self.restart_redis(now)
                next_restart += a.redis_every
            if self.rss_baseline is None and now >= a.rss_baseline:
                self.rss_baseline = self.sample_rss(now)
                log("[%5.0f s] worker 0 peak RSS after %d s: %s"
                    % (now, a.rss_baseline, mib(self.rss_baseline)))
                if self.rss_baseline is None:
                    self.failures.append("no RSS baseline: worker 0 is not running")
            if now >= next_progress:
                self.sample_rss(now)
                try:
                    if client is None:
                        client = Redis(self.server.port, timeout=5)
                    self.progress(client, now, "run")
                except OSError as e:
                    client = None
                    log("[%5.0f s] (redis: %s)" % (now, e))
                next_progress += 10
            time.sleep(0.1)
        if client is not None:
            client.close()

        # Stop producing; then wait for the workers to finish everything.
        if not self.producer.stop(30):
            raise RuntimeError("the producer did not stop")
        ran = time.monotonic() - self.t0
        client = Redis(self.server.port, timeout=30)
        jobs = client.entries("jobs")
        last_id = max((int(f.get("id", 0)) for _, f in jobs), default=0)
        log("[%5.0f s] producer stopped at job %d (%.1f jobs/s, %d reconnects); draining"
            % (ran, last_id, last_id / ran, self.producer.reconnects))
        poison_ids = {i for i in range(1, last_id + 1) if i % a.poison_every == 0}
        need = set(range(1, last_id + 1)) - poison_ids
        dead_needed = set(poison_ids)
        results_from, dead_from = "-", "-"
        drain_start = time.monotonic()
        drained = False
        next_progress = time.monotonic() + 10
        while True:
            new = client.entries("results", results_from)
            if new:
                results_from = new[-1][0]
                for _, f in new:
                    need.discard(int(f.get("id", -1)))
            new = client.entries("jobs:dead", dead_from)
            if new:
                dead_from = new[-1][0]
                for _, f in new:
                    dead_needed.discard(int(f.get("id", -1)))
            pending = client.pending("jobs", GROUP)
            if not need and not dead_needed and pending == 0:
                drained = True
                break
            if time.monotonic() - drain_start > a.drain_limit:
                break
            self.check_workers(time.monotonic() - self.t0)
            if time.monotonic() >= next_progress:
                log("[%5.0f s] drain: %d jobs without a result, %d poison entries not yet "
                    "dead-lettered, %d pending" % (time.monotonic() - self.t0, len(need),
                                                   len(dead_needed), pending))
                next_progress += 10
            time.sleep(0.5)
        drain = time.monotonic() - drain_start
        log("[%5.0f s] %s after %.1f s" % (time.monotonic() - self.t0,
                                           "drained" if drained else "NOT drained", drain))
        if not drained:
            self.failures.append(
                "not drained within %d s: %d jobs without a result (first %s), %d poison "
                "entries not dead-lettered, %d pending"
                % (a.drain_limit, len(need), sorted(need)[:10], len(dead_needed), pending))

        # Worker 0's memory at the end, then stop every worker with SIGTERM.
        w0 = self.workers[0]
        if w0.generation == 0 and w0.proc.poll() is None:
            self.rss_end = memory_kib(w0.proc.pid)[0]
        for w in self.workers.values():
            if w.proc.poll() is None:
                w.proc.send_signal(signal.SIGTERM)
        until = time.monotonic() + 20
        for w in self.workers.values():
            code = wait_exit(w.proc, until - time.monotonic())
            if code != 128 + signal.SIGTERM:  # 143: interrupted by SIGTERM, as documented
                self.failures.append("%s: SIGTERM at the end gave %s; its log ends:\n%s"
                                     % (w.name, exit_text(code), tail(w.err)))
                if code is None:
                    w.proc.kill()
        self.check(client, ran, drain)
        client.close()

    # -- the checks --

    def check(self, client, ran, drain):
        a = self.args
        spin = Spin(a.iterations)
        jobs = client.entries("jobs")
        results = client.entries("results")
        dead = client.entries("jobs:dead")
        pending = client.pending("jobs", GROUP)
        fail = self.failures.append

        # The jobs: ids 1..N, each once, with their values.
        counts = {}
        bad_jobs = 0
        for _, f in jobs:
            i = int(f.get("id", -1))
            counts[i] = counts.get(i, 0) + 1
            if f.get("int") != str(job_value(i, a.poison_every)):
                bad_jobs += 1
        last_id = max(counts, default=0)
        gaps = [i for i in range(1, last_id + 1) if i not in counts]
        twice = [i for i, n in counts.items() if n > 1]
        if gaps or twice or bad_jobs or 0 in counts or -1 in counts:
            fail("the stream `jobs` is not ids 1..%d each once: %d missing (first %s), %d twice "
                 "(first %s), %d with a wrong value" % (last_id, len(gaps), gaps[:10], len(twice),
                                                       sorted(twice)[:10], bad_jobs))
        for anomaly in self.producer.anomalies:
            fail("producer: " + anomaly)
        poison_ids = {i for i in counts if i % a.poison_every == 0}
        if not poison_ids:
            fail("no poison entry was produced (%d jobs, one every %d): raise --rate or "
                 "--duration" % (last_id, a.poison_every))

        # The results: every job but the poison ones, with the right value; repeats counted.
        seen = {}
        wrong = []
        strangers = []
        for _, f in results:
            i = int(f.get("id", -1))
            seen[i] = seen.get(i, 0) + 1
            if i not in counts or i in poison_ids:
                strangers.append(i)
                continue
            want = spin(job_value(i, a.poison_every))
            if f.get("int") != str(want):
                wrong.append((i, f.get("int"), want))
        missing = [i for i in counts if i not in poison_ids and i not in seen]
        repeats = len(results) - len(seen)
        repeated_jobs = sum(1 for n in seen.values() if n > 1)
        if missing:
            fail("%d jobs have no result (first %s)" % (len(missing), sorted(missing)[:10]))
        if wrong:
            fail("%d results are wrong, e.g. job %d: %s, expected %d" % ((len(wrong),) + wrong[0]))
        if strangers:
            fail("%d results for poison or unknown job ids (first %s)"
                 % (len(strangers), strangers[:10]))

        # The dead letters: each poison entry once, with its error and node; nothing else.
        dead_count = {}
        dead_bad = []
        for entry_id, f in dead:
            i = int(f.get("id", -1))
            dead_count[i] = dead_count.get(i, 0) + 1
            if i not in poison_ids:
                dead_bad.append("job %d is not poison: error %r, node %r, deliveries %s"
                                % (i, f.get("error"), f.get("node"), f.get("deliveries")))
            elif (f.get("error") != POISON_ERROR or f.get("node") != POISON_NODE
                  or f.get("int") != str(POISON) or not f.get("entry") or not f.get("consumer")):
                dead_bad.append("job %d: error %r, node %r, int %r, entry %r, consumer %r"
                                % (i, f.get("error"), f.get("node"), f.get("int"),
                                   f.get("entry"), f.get("consumer")))
        not_dead = sorted(i for i in poison_ids if i not in dead_count)
        dead_twice = sorted(i for i, n in dead_count.items() if n > 1)
        if not_dead:
            fail("poison entries not dead-lettered: %s" % not_dead)
        if dead_twice:
            fail("poison entries dead-lettered more than once: %s"
                 % ["%d x%d" % (i, dead_count[i]) for i in dead_twice])
        for text in dead_bad[:10]:
            fail("dead letter: " + text)
        if pending != 0:
            fail("%d entries still pending in group %s" % (pending, GROUP))

        # Worker 0's peak RSS.
        growth = None
        if self.rss_baseline is None or self.rss_end is None:
            fail("worker 0's peak RSS not measured (baseline %s, end %s)"
                 % (mib(self.rss_baseline), mib(self.rss_end)))
        else:
            growth = self.rss_end / float(self.rss_baseline) - 1
            if growth >= a.rss_limit:
                fail("worker 0's peak RSS grew by %.1f %% (%s after %d s, %s at the end), "
                     "limit %.0f %%" % (100 * growth, mib(self.rss_baseline), a.rss_baseline,
                                        mib(self.rss_end), 100 * a.rss_limit))

        down = self.downtimes
        log("")
        log("soak figures")
        log("  duration          %.0f s of jobs (asked %d s), then %.1f s to drain; %.0f s in all"
            % (ran, a.duration, drain, time.monotonic() - self.t0))
        log("  jobs              %d (%.1f/s; asked %d/s), spin %d iterations each; producer "
            "reconnects %d" % (last_id, last_id / ran, a.rate, a.iterations,
                               self.producer.reconnects))
        log("  poison entries    %d (every %d jobs): %d dead-lettered, %d more than once"
            % (len(poison_ids), a.poison_every, len(set(dead_count) & poison_ids),
               len(dead_twice)))
        log("  dead letters      %d in all (%d not poison)" % (len(dead), len(dead_bad)))
        log("  results           %d entries for %d jobs: %d missing, %d wrong, %d repeats "
            "(%d jobs ran more than once)" % (len(results), len(seen), len(missing), len(wrong),
                                             repeats, repeated_jobs))
        log("  worker kills      %d (SIGKILL every %d s, workers 1 and 2 in turn); exits "
            "without a kill: %d" % (self.kills, a.kill_every, self.unexpected_exits))
        log("  redis restarts    %d (SIGTERM every %d s, append-only file); down %s"
            % (self.redis_restarts, a.redis_every,
               "%.1f s on average, at most %.1f s" % (sum(down) / len(down), max(down))
               if down else "never"))
        log("  pending at end    %d" % pending)
        log("  worker 0 peak RSS %s after %d s, %s at the end: %s (limit +%.0f %%)"
            % (mib(self.rss_baseline), a.rss_baseline, mib(self.rss_end),
               "?" if growth is None else "%+.1f %%" % (100 * growth), 100 * a.rss_limit))
        if self.rss_samples:
            log("  worker 0 RSS      %s" % ", ".join(
                "%.0f s %s" % (t, mib(r)) for t, _, r in self.rss_samples[::max(
                    1, len(self.rss_samples) // 10)]))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=int, default=600, help="seconds of jobs (default 600)")
    p.add_argument("--flowpool", default=os.environ.get("FLOWPOOL",
                                                        os.path.join(REPO, "build", "flowpool")),
                   help="the flowpool executable (default $FLOWPOOL, else REPO/build/flowpool)")
    p.add_argument("--graph", default=os.path.join(HERE, "worker.yaml"), help="the worker graph")
    p.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    p.add_argument("--rate", type=int, default=250, help="jobs per second (default 250)")
    p.add_argument("--iterations", type=int, default=500000,
                   help="spin iterations per job (default 500000, about 1 ms)")
    p.add_argument("--poison-every", type=int, default=10000)
    p.add_argument("--kill-every", type=int, default=20, help="seconds between SIGKILLs")
    p.add_argument("--redis-every", type=int, default=None,
                   help="seconds between redis-server restarts (default 120; a third of the "
                        "duration if under 6 minutes)")
    p.add_argument("--redis-down", type=float, default=1.0,
                   help="seconds redis-server stays down at each restart (default 1)")
    p.add_argument("--rss-baseline", type=int, default=None,
                   help="when worker 0's first peak RSS is taken (default 60 s; a quarter of "
                        "the duration if under 4 minutes)")
    p.add_argument("--rss-limit", type=float, default=0.10, help="allowed growth (default 0.10)")
    p.add_argument("--drain-limit", type=int, default=90,
                   help="longest wait for the workers to finish after the producer stops")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = p.parse_args()
    if a.redis_every is None:
        a.redis_every = 120 if a.duration >= 360 else max(a.duration // 3, 5)
    if a.rss_baseline is None:
        a.rss_baseline = 60 if a.duration >= 240 else a.duration // 4
    a.flowpool = os.path.abspath(a.flowpool)
    for what, path in (("flowpool", a.flowpool), ("redis-server", a.redis_server)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            log("soak: no %s executable at %s" % (what, path))
            return 2

    # The whole run is bounded: past duration + 150 s, it stops where it is (the cleanup then
    # takes at most about 25 s).
    def on_alarm(*_):
        raise Overtime()

    def on_signal(signum, _):
        raise Interrupted(signum)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_signal)
    for signum in (signal.SIGINT, signal.SIGHUP):  # unless ignored (nohup, a background job)
        if signal.getsignal(signum) != signal.SIG_IGN:
            signal.signal(signum, on_signal)
    signal.alarm(a.duration + 150)

    soak = Soak(a)
    status = 2
    try:
        soak.run()
        status = 1 if soak.failures else 0
    except KeyboardInterrupt:
        log("soak: interrupted (SIGINT)")
        status = 130
    except Interrupted as e:
        log("soak: interrupted (%s)" % signal.Signals(e.args[0]).name)
        status = 128 + e.args[0]
    except Overtime:
        soak.failures.append("the run took longer than duration + 150 s and was stopped")
        status = 1
    except Exception as e:  # noqa: BLE001 - any other failure is reported, after the cleanup
        import traceback
        traceback.print_exc()
        soak.failures.append("the soak test could not run: %s: %s" % (type(e).__name__, e))
        status = 2
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        soak.cleanup()
    if soak.failures:
        log("")
        for f in soak.failures:
            log("FAIL: " + f)
    if status == 0:
        log("soak: PASS")
    elif status == 1:
        log("soak: FAIL")
    if soak.dir:
        if status == 0 and not a.keep:
            shutil.rmtree(soak.dir, ignore_errors=True)
        else:
            log("soak: files kept in %s" % soak.dir)
    return status


if __name__ == "__main__":
    sys.exit(main())
