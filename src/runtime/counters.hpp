#pragma once
// What a node counts while it runs, from any of its workers: relaxed atomics, read by collect()
// for RunStats (and by the observer while the run goes on).

#include <flowpool/detail/plan.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "histogram.hpp"

namespace flowpool::detail {

/// Counts a batch as running on a node for as long as it lives (Counters::running).
class RunningBatch {
public:
    explicit RunningBatch(std::atomic<std::size_t>& running) noexcept : running_(running) {
        running_.fetch_add(1, std::memory_order_relaxed);
    }
    ~RunningBatch() { running_.fetch_sub(1, std::memory_order_relaxed); }
    RunningBatch(const RunningBatch&) = delete;
    RunningBatch& operator=(const RunningBatch&) = delete;

private:
    std::atomic<std::size_t>& running_;
};

/// One node's counts; the fields are NodeStats' (see flowpool/stats.hpp).
struct Counters {
    std::atomic<std::uint64_t> in{0};
    std::atomic<std::uint64_t> out{0};
    std::atomic<std::uint64_t> filtered{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::uint64_t> skipped{0};
    std::atomic<std::uint64_t> dead_lettered{0};
    std::atomic<std::uint64_t> retries{0};
    std::atomic<std::uint64_t> redelivered{0};
    std::atomic<std::uint64_t> merged{0};
    std::atomic<std::uint64_t> made{0};
    std::atomic<std::int64_t> busy_ns{0};
    std::atomic<std::uint64_t> batches{0};
    std::atomic<std::size_t> waiting{0};     // batches sent to the node and not yet started
    std::atomic<std::size_t> high_water{0};  // the most `waiting` reached
    std::atomic<std::size_t> running{0};     // batches in the node's body now
    std::atomic<std::uint64_t> traced{0};    // batches seen by the trace sampler
    std::atomic<std::uint64_t> retired{0};   // a source's jobs that ended, all made from them too
    DurationHistogram job_time;
    /// Called after a batch with jobs that did not end well (RunOptions::on_failures); null:
    /// nothing to tell.
    const std::function<void()>* on_not_ok = nullptr;

    /// A batch was sent to the node.
    void queued() noexcept {
        const std::size_t now = waiting.fetch_add(1, std::memory_order_relaxed) + 1;
        std::size_t seen = high_water.load(std::memory_order_relaxed);
        while (now > seen &&
               !high_water.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
        }
    }
    /// The node started a batch it was sent: it runs until the returned guard goes.
    [[nodiscard]] RunningBatch started() noexcept {
        waiting.fetch_sub(1, std::memory_order_relaxed);
        return RunningBatch(running);
    }

    /// The node ran a batch: @p jobs_in jobs in, @p jobs_out out, what @p ctx counted, in @p busy.
    void add(std::uint64_t jobs_in, std::uint64_t jobs_out, const BatchContext& ctx,
             std::chrono::nanoseconds busy) noexcept {
        constexpr auto relaxed = std::memory_order_relaxed;
        if (jobs_in != 0) {  // a source's last call makes nothing
            batches.fetch_add(1, relaxed);
            job_time.add(static_cast<double>(busy.count()) / static_cast<double>(jobs_in), jobs_in);
        }
        in.fetch_add(jobs_in, relaxed);
        out.fetch_add(jobs_out, relaxed);
        filtered.fetch_add(ctx.filtered(), relaxed);
        failed.fetch_add(ctx.failed(), relaxed);
        if (ctx.skipped() != 0) skipped.fetch_add(ctx.skipped(), relaxed);
        if (ctx.dead_lettered() != 0) dead_lettered.fetch_add(ctx.dead_lettered(), relaxed);
        if (ctx.retries() != 0) retries.fetch_add(ctx.retries(), relaxed);
        if (ctx.redelivered() != 0) redelivered.fetch_add(ctx.redelivered(), relaxed);
        if (ctx.merged() != 0) merged.fetch_add(ctx.merged(), relaxed);
        if (ctx.made() != 0) made.fetch_add(ctx.made(), relaxed);
        busy_ns.fetch_add(busy.count(), relaxed);
        if (on_not_ok != nullptr && ctx.failed() + ctx.skipped() + ctx.dead_lettered() != 0)
            (*on_not_ok)();
    }
};

}  // namespace flowpool::detail
