#!/usr/bin/python3
"""Draws a Chrome Trace Event file written by `flowpool run --trace FILE` as a trace viewer shows
it: one row per thread with a bar per span, coloured by node, and the counter track of batches in
flight beneath; time in milliseconds from the first event. Spans shorter than 1/400 of the run
are drawn 1/400 wide, so that they show (a viewer shows them once zoomed in).

    /usr/bin/python3 scripts/trace_picture.py TRACE.json OUT.svg [--title TEXT]

Needs Debian's matplotlib (apt-get install -y python3-matplotlib), for documentation only: the
build does not use it. Reads only the trace format flowpool writes ("X" complete events with
tid, ts and dur in microseconds, and "C" counter events), and fails with a message on anything
else that a viewer could not show either.
"""

import argparse
import json
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
from matplotlib.patches import Patch  # noqa: E402

# "NODE job 7" or "NODE jobs 0-36": the node is what comes before.
SPAN_NAME = re.compile(r"^(?P<node>.*) jobs? \d+(-\d+)?$")


def read_trace(path):
    """The spans [(tid, node, start_us, dur_us)] and counter points [(ts_us, value)] of PATH."""
    with open(path, encoding="utf-8") as f:
        trace = json.load(f)
    events = trace.get("traceEvents", []) if isinstance(trace, dict) else trace
    spans, counter = [], []
    for event in events:
        if event.get("ph") == "X":
            match = SPAN_NAME.match(event["name"])
            node = match.group("node") if match else event["name"]
            spans.append((int(event["tid"]), node, float(event["ts"]), float(event["dur"])))
        elif event.get("ph") == "C":
            value = next(iter(event.get("args", {}).values()), 0)
            counter.append((float(event["ts"]), float(value)))
    if not spans:
        sys.exit(f"{path}: no complete (\"X\") events: is it a flowpool trace?")
    return spans, sorted(counter)


def draw(spans, counter, out, title):
    """Saves the picture of SPANS and COUNTER to OUT (the format from its extension)."""
    origin = min(start for _, _, start, _ in spans)
    if counter:
        origin = min(origin, counter[0][0])
    threads = sorted({tid for tid, _, _, _ in spans})
    nodes = list(dict.fromkeys(node for _, node, _, _ in spans))  # in order of first span
    end = max(start + dur for _, _, start, dur in spans)
    thinnest = (end - origin) / 1000 / 400  # a span narrower than this would not show
    palette = plt.get_cmap("tab10")
    colour = {node: palette(i % 10) for i, node in enumerate(nodes)}

    figure, (lanes, track) = plt.subplots(
        2, 1, sharex=True, figsize=(10, 1.2 + 0.55 * len(threads) + 1.4),
        gridspec_kw={"height_ratios": [max(1.5, 0.55 * len(threads)), 1.2]})
    for row, tid in enumerate(threads):
        for node in nodes:
            bars = [((start - origin) / 1000, max(dur / 1000, thinnest))
                    for t, n, start, dur in spans if t == tid and n == node]
            if bars:
                lanes.broken_barh(bars, (row - 0.4, 0.8), facecolors=colour[node],
                                  edgecolor="white", linewidth=0.3)
    lanes.set_yticks(range(len(threads)), [f"thread {tid}" for tid in threads])
    lanes.set_ylim(len(threads) - 0.5, -0.5)  # thread 0 on top, as viewers show it
    lanes.legend(handles=[Patch(color=colour[n], label=n) for n in nodes], loc="upper left",
                 bbox_to_anchor=(1.0, 1.0), frameon=False, title="node")
    lanes.set_title(title, loc="left", fontsize=10)
    lanes.grid(axis="x", alpha=0.3)

    if counter:
        times = [(ts - origin) / 1000 for ts, _ in counter]
        values = [v for _, v in counter]
        track.fill_between(times, values, step="post", alpha=0.4, color="tab:gray")
        track.step(times, values, where="post", color="tab:gray", linewidth=0.8)
    track.set_ylabel("batches\nin flight")
    track.set_xlabel("time (ms)")
    track.set_ylim(bottom=0)
    track.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(out, metadata={"Date": None} if out.endswith(".svg") else None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trace", help="a trace written by flowpool run --trace")
    parser.add_argument("out", help="the picture to write (.svg or .png)")
    parser.add_argument("--title", default="", help="a line above the threads")
    args = parser.parse_args()
    spans, counter = read_trace(args.trace)
    draw(spans, counter, args.out, args.title or args.trace)
    print(f"{args.out}: {len(spans)} spans on "
          f"{len({tid for tid, _, _, _ in spans})} threads, {len(counter)} counter points")


if __name__ == "__main__":
    main()
