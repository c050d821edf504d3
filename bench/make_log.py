#!/usr/bin/env python3
"""Writes a deterministic file of web-server log lines, for the regular-expression benchmark.

    bench/make_log.py /tmp/flowpool-bench.log            # 200 MB
    bench/make_log.py /tmp/small.log --mb 1 --seed 7

Each line looks like

    2024-05-01T12:00:00.123 INFO  web-03 GET /api/v1/orders/7 200 12.5ms user=7

About 80 % of lines are INFO, 10 % DEBUG, 7 % WARN and 3 % ERROR; about 2 % of all lines are a
WARN or ERROR with a 5xx status. The same size and seed give the same bytes on every machine:
the numbers come from a 64-bit xorshift generator, not from Python's `random`.
"""

import argparse
import sys

LEVELS = [("INFO ", 80), ("DEBUG", 10), ("WARN ", 7), ("ERROR", 3)]
METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
RESOURCES = ["orders", "users", "items", "carts", "payments", "sessions"]
OK = [200, 200, 200, 200, 201, 204, 301, 304]
CLIENT_ERRORS = [400, 401, 403, 404, 404, 409, 429]
SERVER_ERRORS = [500, 502, 503, 504]


class XorShift64:
    """Marsaglia's xorshift64: small, fast enough, and the same everywhere."""

    def __init__(self, seed):
        self.state = (seed * 0x9E3779B97F4A7C15 + 1) & 0xFFFFFFFFFFFFFFFF

    def below(self, n):
        x = self.state
        x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 7
        x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
        self.state = x
        return x % n


def level(rng):
    roll = rng.below(100)
    for name, percent in LEVELS:
        if roll < percent:
            return name
        roll -= percent
    return LEVELS[0][0]


def status(rng, lvl):
    # Half the ERROR lines and a tenth of the WARN lines carry a 5xx (together about 2 % of
    # all lines), and 1 % of INFO lines: the level and the status both matter to the pattern.
    share_5xx = {"ERROR": 50, "WARN ": 10, "INFO ": 1}.get(lvl, 0)
    roll = rng.below(100)
    if roll < share_5xx:
        return SERVER_ERRORS[rng.below(len(SERVER_ERRORS))]
    if roll < 90:
        return OK[rng.below(len(OK))]
    return CLIENT_ERRORS[rng.below(len(CLIENT_ERRORS))]


def line(rng, n):
    ms = n * 7  # 7 ms apart
    seconds, millis = divmod(ms, 1000)
    minutes, sec = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    day, hour = divmod(hours, 24)
    lvl = level(rng)
    return "2024-05-%02dT%02d:%02d:%02d.%03d %s web-%02d %s /api/v1/%s/%d %d %d.%dms user=%d\n" % (
        1 + day % 28, hour, minute, sec, millis, lvl, rng.below(12),
        METHODS[rng.below(len(METHODS))], RESOURCES[rng.below(len(RESOURCES))],
        rng.below(100000), status(rng, lvl), rng.below(500), rng.below(10), rng.below(5000))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="the file to write")
    parser.add_argument("--mb", type=float, default=200, help="its size in MB (10^6 bytes)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    target = int(args.mb * 1_000_000)
    rng = XorShift64(args.seed)
    written = 0
    n = 0
    with open(args.path, "w", encoding="ascii", newline="\n") as out:
        chunk = []
        while written < target:
            text = line(rng, n)
            chunk.append(text)
            written += len(text)
            n += 1
            if len(chunk) == 10000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
    print(f"{args.path}: {n} lines, {written} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
