#include "collect.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <utility>

namespace flowpool::detail {
namespace {

/// The most of @p node's bodies that may run at once, however many threads there are.
std::size_t bodies_at_once(const PlanNode& node) {
    if (node.source) return node.source->decodes() ? unlimited : 1;  // decoded on the workers
    return node.kind == NodeKind::sink ? 1 : node.concurrency;
}

/// @p node's figures so far, in a run of @p threads threads.
NodeStats node_stats(const PlanNode& node, std::size_t threads) {
    NodeStats s;
    s.name = node.name;
    s.kind = node.kind;
    s.concurrency = node.concurrency;
    s.workers = std::min(bodies_at_once(node), threads);
    s.messages_in = node.counters.in.load();
    s.messages_out = node.counters.out.load();
    s.filtered = node.counters.filtered.load();
    s.failed = node.counters.failed.load();
    s.skipped = node.counters.skipped.load();
    s.dead_lettered = node.counters.dead_lettered.load();
    s.retries = node.counters.retries.load();
    s.redelivered = node.counters.redelivered.load();
    s.merged = node.counters.merged.load();
    s.made = node.counters.made.load();
    s.batches = node.counters.batches.load();
    s.queue_high_water = node.counters.high_water.load();
    s.job_time_p50 = node.counters.job_time.quantile(0.50);
    s.job_time_p90 = node.counters.job_time.quantile(0.90);
    s.job_time_p99 = node.counters.job_time.quantile(0.99);
    s.job_time_max = node.counters.job_time.max();
    for (std::size_t i = 0; i < job_time_buckets; ++i) {
        s.job_time_below[i] = node.counters.job_time.count_below_octave(job_time_bucket_octaves(i));
    }
    s.job_time_count = node.counters.job_time.count();
    s.job_time_sum = node.counters.job_time.sum();
    s.queued = node.counters.waiting.load();
    s.running = node.counters.running.load();
    if (node.source) s.expected_jobs = node.source->expected_jobs();
    if (node.source) s.input_bytes = node.source->input_bytes();
    if (node.source) s.input_bytes_done = node.source->input_bytes_done();
    s.busy = std::chrono::nanoseconds(node.counters.busy_ns.load());
    return s;
}

/// @p total less @p repeats, never below 0: a repeat is counted as the job is reported failed,
/// its node's figures when the node's batch ends, so for a moment there may be more.
std::uint64_t less(std::uint64_t total, const std::atomic<std::uint64_t>& repeats) {
    const std::uint64_t again = repeats.load(std::memory_order_relaxed);
    return total > again ? total - again : 0;
}

}  // namespace

RunStats collect(const PlanNodes& nodes, const RepeatedEndings& repeats,
                 std::chrono::nanoseconds wall, std::size_t threads) {
    RunStats stats;
    stats.wall = wall;
    // Read before the figures (jobs in, results out...), which count a job before it ends.
    for (const PlanNode& node : nodes) {
        stats.retired += node.counters.retired.load(std::memory_order_acquire);
    }
    for (const PlanNode& node : nodes) {
        NodeStats s = node_stats(node, threads);
        if (node.kind == NodeKind::source) stats.jobs_in += s.messages_in;
        if (node.kind == NodeKind::sink) stats.results_out += s.messages_out;
        stats.filtered += s.filtered;
        stats.failed += s.failed;
        stats.skipped += s.skipped;
        stats.dead_lettered += s.dead_lettered;
        stats.redelivered += s.redelivered;
        stats.merged += s.merged;
        stats.made += s.made;
        stats.nodes.push_back(std::move(s));
    }
    stats.failed = less(stats.failed, repeats.failed);
    stats.skipped = less(stats.skipped, repeats.skipped);
    stats.dead_lettered = less(stats.dead_lettered, repeats.dead_lettered);
    return stats;
}

FailureFigures failure_figures(const PlanNodes& nodes, const RepeatedEndings& repeats) {
    // The failures first: a job counted in after them has not failed yet, so the figures never
    // show more jobs failed than came in.
    std::uint64_t failed = 0;
    std::uint64_t skipped = 0;
    std::uint64_t dead_lettered = 0;
    for (const PlanNode& node : nodes) {
        failed += node.counters.failed.load();
        skipped += node.counters.skipped.load();
        dead_lettered += node.counters.dead_lettered.load();
    }
    FailureFigures figures;
    figures.not_ok = less(failed, repeats.failed) + less(skipped, repeats.skipped) +
                     less(dead_lettered, repeats.dead_lettered);
    for (const PlanNode& node : nodes) {
        if (node.kind == NodeKind::source) figures.jobs_in += node.counters.in.load();
    }
    return figures;
}

}  // namespace flowpool::detail
