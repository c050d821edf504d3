#!/usr/bin/env python3
"""Draws flowpool_bench's JSON output as bench/results.svg: jobs/s against job size.

    bench/chart.py bench/results.json [more.json ...] [-o bench/results.svg] [--workers 1,2,4]

One column per worker count W, one line per implementation (the median of the repetitions, the
bar from the slowest to the fastest), and the ideal rate (min(W, CPUs) x the serial loop)
dashed; below, each median as a share of the ideal rate. Log axes (the job-size axis is linear between 0 and 100 spin rounds so that K = 0, pure
overhead, has a place). Needs matplotlib: on Debian `apt-get install -y python3-matplotlib`,
then run it with /usr/bin/python3 if another python3 comes first on PATH.
"""

import argparse
import os
import sys

import matplotlib

matplotlib.use("agg")  # no display; writes SVG (or PNG, by the output's extension)
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import COLUMNS, Results  # noqa: E402

STYLE = {
    "hand_rolled_pool": dict(color="#d62728", marker="s"),
    "tbb_flow_per_job": dict(color="#ff7f0e", marker="v"),
    "tbb_flow_batched": dict(color="#7f7f7f", marker="^"),
    "flowpool_typed": dict(color="#1f77b4", marker="o", linewidth=2.2),
    "flowpool_graph": dict(color="#2ca02c", marker="D", linewidth=2.2),
}
NS_PER_ROUND_NOTE = "spin rounds per job, K (1,000 rounds: about 1.8 µs here)"


def draw(results, worker_counts, output):
    # Stable SVG output: no date, fixed element ids, so an unchanged chart leaves git quiet.
    plt.rcParams["svg.hashsalt"] = "flowpool-bench"
    plt.rcParams["svg.fonttype"] = "none"
    fig, axes = plt.subplots(2, len(worker_counts), figsize=(5.2 * len(worker_counts), 8.4),
                             sharey="row", sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": [3, 2]})
    tops = [draw_panel(results, workers, axes[0][column], axes[1][column])
            for column, workers in enumerate(worker_counts)]
    axes[1][0].set_ylim(0, max(tops))  # the row shares its y axis
    axes[0][0].set_ylabel("jobs per second (median; bar: min to max)")
    axes[1][0].set_ylabel("share of the ideal rate (median)")
    axes[0][0].legend(fontsize=8, loc="lower left")
    context = results.context
    load = context.get("load_avg", [None])[0]
    when = context.get("date", "")[:16].replace("T", " ")
    fig.suptitle(f"flowpool_bench on {results.cpus} CPUs, {when}"
                 + (f", load average {load:.1f} at the start" if load is not None else "")
                 + ": throughput against job size", fontsize=11)
    fig.tight_layout()
    if output.endswith(".svg"):
        fig.savefig(output, format="svg", metadata={"Date": None})
    else:
        fig.savefig(output, dpi=80)


def draw_panel(results, workers, rate_ax, share_ax):
    """Jobs/s (top) and the share of the ideal rate (bottom) of every implementation at W;
    returns the top the share axis needs."""
    spins = results.spins()
    titles = dict(COLUMNS)
    top = 1.08  # of the share axis; above 1 when the serial loop measured slow (a loaded machine)
    for impl, style in STYLE.items():
        points = [(k, results.samples.get((impl, k, workers))) for k in spins]
        points = [(k, values) for k, values in points if values]
        if not points:
            continue
        ks = [k for k, _ in points]
        medians = [results.rate(impl, k, workers) for k in ks]
        low = [m - min(values) for m, (_, values) in zip(medians, points)]
        high = [max(values) - m for m, (_, values) in zip(medians, points)]
        rate_ax.errorbar(ks, medians, yerr=[low, high], label=titles[impl], capsize=2,
                         markersize=4, **style)
        shares = [(k, m / results.ideal(k, workers)) for k, m in zip(ks, medians)
                  if results.ideal(k, workers)]
        share_ax.plot([k for k, _ in shares], [v for _, v in shares], markersize=4, **style)
        top = max([top] + [1.05 * v for _, v in shares])
    ideal = [(k, results.ideal(k, workers)) for k in spins]
    ideal = [(k, r) for k, r in ideal if r is not None]
    if ideal:
        rate_ax.plot([k for k, _ in ideal], [r for _, r in ideal], "k--", linewidth=1,
                     label=f"ideal ({min(workers, results.cpus)} x serial loop)")
    share_ax.axhline(1.0, color="k", linestyle="--", linewidth=1)
    rate_ax.set_yscale("log")
    for ax in (rate_ax, share_ax):
        ax.set_xscale("symlog", linthresh=100, linscale=0.4)
        ax.set_xticks(spins)
        ax.set_xticklabels([f"{k:,}" for k in spins])
        ax.grid(True, which="major", alpha=0.3)
    rate_ax.set_title(f"W = {workers} worker{'s' if workers > 1 else ''}")
    share_ax.set_xlabel(NS_PER_ROUND_NOTE)
    return top


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="JSON from --benchmark_out_format=json")
    parser.add_argument("-o", "--output", default=os.path.join(os.path.dirname(__file__), "results.svg"))
    parser.add_argument("--workers", default="1,2,4", help="one panel per worker count W")
    options = parser.parse_args()
    results = Results(options.results)
    if results.failed:
        print("chart.py: some runs failed (wrong sum):\n  " + "\n  ".join(results.failed), file=sys.stderr)
        return 1
    draw(results, [int(w) for w in options.workers.split(",")], options.output)
    print(f"wrote {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
