#pragma once
// Chooses how many jobs a source puts in one message, from the time the nodes measured per job:
// big enough that the runtime's fixed cost per message (a task, a few locks) is lost in the work,
// small enough that the workers stay balanced and memory stays small.

#include <flowpool/detail/batch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flowpool::detail {

/// A node's measured cost per job, updated racily by its workers (a lost update is harmless).
class JobCost {
public:
    /// A batch was sent to the node. Until the node has run one, the sizer makes single-job
    /// batches: a slow node (a program to start) behind cheap ones already measured would else
    /// get its first jobs in one big batch, run one after another on one of its workers.
    void sent() noexcept { set(sent_); }
    /// The node ran a batch with no jobs (one from which every job was filtered).
    void ran_empty() noexcept { set(ran_); }
    /// True once the node was sent a batch and has not run one yet.
    [[nodiscard]] bool awaited() const noexcept {
        return sent_.load(std::memory_order_relaxed) && !ran_.load(std::memory_order_relaxed);
    }

    /// Folds in a batch of @p jobs that took @p elapsed.
    void add(std::chrono::nanoseconds elapsed, std::size_t jobs) noexcept {
        set(ran_);
        if (jobs == 0) return;
        const double sample = static_cast<double>(elapsed.count()) / static_cast<double>(jobs);
        const double old = ns_.load(std::memory_order_relaxed);
        ns_.store(old < 0 ? sample : 0.75 * old + 0.25 * sample, std::memory_order_relaxed);
    }
    /// Nanoseconds per job, or a negative number before the first measurement.
    [[nodiscard]] double ns_per_job() const noexcept { return ns_.load(std::memory_order_relaxed); }

private:
    /// Sets @p flag, writing only the first time: every batch passes here.
    static void set(std::atomic<bool>& flag) noexcept {
        if (!flag.load(std::memory_order_relaxed)) flag.store(true, std::memory_order_relaxed);
    }

    std::atomic<double> ns_{-1.0};
    std::atomic<bool> sent_{false};
    std::atomic<bool> ran_{false};
};

class BatchSizer {
public:
    /// Work one message should carry, for the fixed cost per message to stay near 1% of it.
    static constexpr double target_ns = static_cast<double>(batch_work.count());
    /// The most jobs in one message, whatever their size.
    static constexpr std::size_t max_jobs = 4096;
    /// The most bytes of jobs in one message (ids and values, as the source counts them), to keep
    /// memory in flight small and a batch in a core's L2 cache: 4096 jobs (max_jobs) of the typed
    /// API's integers and of a graph file's Values alike. Tiny jobs pay the fixed cost per message
    /// (~0.7 µs at each node) once per batch, so they want batches as large as this allows: 192
    /// KiB rather than 64 (1365 Values) ran a graph file's trivial jobs 1.4x faster at 2 workers
    /// (bench/README.md, issue 19).
    static constexpr std::size_t max_bytes = 192 * 1024;
    /// The bytes a job of unknown size is counted as: 512 jobs a message.
    static constexpr std::size_t unknown_job_bytes = 384;

    /// The most jobs in one message for jobs of @p job_bytes bytes each (0: unknown).
    static constexpr std::size_t jobs_cap(std::size_t job_bytes) noexcept {
        const std::size_t bytes = job_bytes != 0 ? job_bytes : unknown_job_bytes;
        return std::clamp<std::size_t>(max_bytes / bytes, 1, max_jobs);
    }

    /// A node the source's jobs run through: its cost per job, and how many jobs it received.
    struct Downstream {
        const JobCost* cost;
        const std::atomic<std::uint64_t>* received;
    };

    /// @p fixed non-zero pins the size; @p below are the nodes the source's jobs run through,
    /// and @p made counts the jobs the source made; no batch is larger than @p cap (an ordered
    /// sink's reorder window asks for that).
    BatchSizer(std::size_t fixed, std::vector<Downstream> below,
               const std::atomic<std::uint64_t>* made, std::size_t cap = max_jobs)
        : fixed_(fixed),
          below_(std::move(below)),
          made_(made),
          cap_(std::max<std::size_t>(cap, 1)) {}

    /// The size of the next batch.
    std::size_t next() const noexcept { return std::min(uncapped(), cap_); }

private:
    std::size_t uncapped() const noexcept {
        if (fixed_ != 0) return fixed_;
        // A node's cost per job of the source's: per job it ran, times the jobs it received for
        // each the source made. A node behind a filter that keeps 3 % of the jobs does 3 % of its
        // per-job work per batch. Sized by its cost per job alone (measured on batches of about
        // 5 jobs, so mostly its fixed cost per batch), graphs/errors_by_host.yaml got batches of
        // 170 jobs instead of 510 in slow spells; it takes 11-24 % less CPU in them now
        // (bench/README.md, "Errors by host, 2026-12-05 evening").
        const auto made = static_cast<double>(made_->load(std::memory_order_relaxed));
        double slowest = -1;
        for (const Downstream& node : below_) {
            if (node.cost->awaited()) return 1;  // a node's first batch is still on its way
            const double per_job = node.cost->ns_per_job();
            if (per_job < 0) continue;  // not measured yet
            const auto received =
                static_cast<double>(node.received->load(std::memory_order_relaxed));
            slowest = std::max(slowest, made > 0 ? per_job * received / made : per_job);
        }
        if (slowest < 0) return 1;  // nothing measured yet: probe with single jobs
        if (slowest < 1) return max_jobs;
        return std::clamp<std::size_t>(static_cast<std::size_t>(target_ns / slowest), 1, max_jobs);
    }

    std::size_t fixed_;
    std::vector<Downstream> below_;
    const std::atomic<std::uint64_t>* made_;  // the jobs the source made
    std::size_t cap_;
};

}  // namespace flowpool::detail
