#pragma once
/// @file detail/plan.hpp
/// The runtime's contract: a graph of type-erased bodies that it turns into a oneTBB flow graph.
/// Both fronts (the typed API and graph files) build a Plan; batching, backpressure, worker slots
/// and failure handling live once, behind it.

#include <flowpool/detail/batch.hpp>
#include <flowpool/error.hpp>
#include <flowpool/stats.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace flowpool::detail {

class RunState;

/// What a body may do while it runs one batch on one worker: know where it is, report failed
/// jobs, and count jobs it dropped on purpose.
class BatchContext {
public:
    BatchContext(RunState& run, std::string_view node, int worker) noexcept
        : run_(run), node_(node), worker_(worker) {}

    /// The node running the batch.
    [[nodiscard]] std::string_view node() const noexcept { return node_; }
    /// The worker slot running the batch.
    [[nodiscard]] int worker() const noexcept { return worker_; }
    /// Records that job @p id failed here with @p message; the job is dropped. Never throws.
    void job_failed(std::uint64_t id, std::string_view message) noexcept;
    /// True once the run is stopping (a job failed, or RunOptions::cancel was set): a source
    /// that waits for input should return what it has, or nullptr, soon after.
    [[nodiscard]] bool stop_requested() const noexcept;
    /// Records that @p n jobs were dropped on purpose (a filter said no).
    void jobs_filtered(std::size_t n) noexcept { filtered_ += n; }

    /// The flag job_failed() sets for the source batch this batch was made from (the runtime's).
    void track_origin(std::atomic<bool>* failed_flag) noexcept { origin_failed_ = failed_flag; }

    /// Jobs that failed in this batch so far.
    [[nodiscard]] std::size_t failed() const noexcept { return failed_; }
    /// Jobs filtered in this batch so far.
    [[nodiscard]] std::size_t filtered() const noexcept { return filtered_; }

private:
    RunState& run_;
    std::string_view node_;
    int worker_;
    std::size_t failed_ = 0;
    std::size_t filtered_ = 0;
    std::atomic<bool>* origin_failed_ = nullptr;  // set when a job of the batch's origin failed
};

/// Makes batches of jobs; called by one thread at a time.
class SourceBody {
public:
    virtual ~SourceBody() = default;
    /// The next batch of at most @p max_jobs jobs, or nullptr when the source is exhausted.
    /// A job that cannot be made is reported to @p ctx under the id it would have had.
    virtual BatchPtr next(std::size_t max_jobs, BatchContext& ctx) = 0;
    /// Called, from any thread, once batch @p seq and every batch made from it were consumed by
    /// the sinks or dropped on purpose. @p clean is false if any of its jobs failed. A source
    /// that must acknowledge its input (a message queue) does it here.
    virtual void retired(std::uint64_t seq, bool clean) noexcept {
        static_cast<void>(seq);
        static_cast<void>(clean);
    }
};

/// Turns a batch into another; called concurrently up to the node's concurrency.
class StageBody {
public:
    virtual ~StageBody() = default;
    /// The batch to pass on; failed or filtered jobs are left out of it and reported to @p ctx.
    virtual BatchPtr process(const BatchPtr& in, BatchContext& ctx) = 0;
};

/// Consumes batches; called by one thread at a time.
class SinkBody {
public:
    virtual ~SinkBody() = default;
    /// Consumes every job of @p in.
    virtual void consume(const BatchPtr& in, BatchContext& ctx) = 0;
    /// Called once after the run, whatever its outcome (flush, print a summary, ...).
    virtual void finish() {}
};

/// Index of a node in a Plan.
using NodeId = std::size_t;

/// A directed acyclic graph of bodies; run() executes it once on a oneTBB flow graph.
class Plan {
public:
    Plan();
    ~Plan();
    Plan(const Plan&) = delete;
    Plan& operator=(const Plan&) = delete;

    /// Adds a source; its jobs get ids 0, 1, 2, ... @p batch_size 0 means automatic.
    NodeId add_source(std::string name, std::unique_ptr<SourceBody> body,
                      std::size_t batch_size = 0);
    /// Adds a function (or filter) node running at most @p concurrency bodies at once
    /// (`flowpool::unlimited` for no bound; 0 is a UsageError).
    NodeId add_stage(std::string name, NodeKind kind, std::size_t concurrency,
                     std::unique_ptr<StageBody> body);
    /// Adds a serial sink.
    NodeId add_sink(std::string name, std::unique_ptr<SinkBody> body);
    /// Sends every batch @p from makes to @p to as well.
    void connect(NodeId from, NodeId to);

    /// Runs to completion: every job is consumed, dropped, or failed. Call at most once.
    RunResult run(const RunOptions& options = {});

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flowpool::detail
