#pragma once
/// @file body.hpp
/// What an op implements: the body of a source, function, filter or sink node, and the context a
/// body gets with each batch. Built-in ops, an application's own ops and plugins all implement
/// these; the runtime (a Plan) calls them. Most ops are written with the helpers of
/// flowpool/custom_op.hpp, which turn a per-job function into a body.
///
/// @code
/// class Doubler final : public flowpool::StageBody {
///     flowpool::BatchPtr process(const flowpool::BatchPtr& in, flowpool::BatchContext&) override {
///         auto& jobs = static_cast<flowpool::Items<std::int64_t>&>(*in);
///         for (std::int64_t& v : jobs.values) v *= 2;
///         return in;  // a batch sent to one node is that node's to reuse
///     }
/// };
/// @endcode

#include <flowpool/detail/batch.hpp>
#include <flowpool/error.hpp>
#include <flowpool/on_error.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

namespace flowpool {

namespace detail {
class OriginFailures;
struct ContextHooks;
}  // namespace detail

/// A batch of jobs as bodies see it: ids, and for Items<T> the values (detail/batch.hpp).
using Batch = detail::Batch;
/// Batches move between nodes by shared pointer (see detail/batch.hpp on sharing and reuse).
using BatchPtr = detail::BatchPtr;
/// A batch of jobs of type @p T: `values[i]` is the payload of job `ids[i]`.
template <class T>
using Items = detail::Items<T>;

/// A job that failed for good, as its source hears of it when the job's batch retires.
struct FailedJob {
    std::uint64_t id = 0;      ///< the job
    std::string node;          ///< where it failed
    std::string message;       ///< why
    bool run_went_on = false;  ///< handed back under OnError::redeliver; else it failed the run
};

/// What the bodies of one run share: the first failure, the number of failures, and the stop
/// flag. The runtime makes one per run; a program that runs bodies itself (a benchmark's own
/// thread pool) makes its own.
class RunState {
public:
    /// Records that @p jobs jobs failed, as job @p id with @p message (0 jobs: a job counted
    /// already, failed again in another branch of a fan-out); the first failure recorded is the
    /// one reported. Never throws.
    void job_failed(std::string_view node, std::uint64_t id, std::string_view message,
                    std::uint64_t jobs = 1) noexcept;

    /// Stops the sources when @p flag becomes true (RunOptions::cancel); null for never.
    void cancel_on(const std::atomic<bool>* flag) noexcept { cancel_ = flag; }
    /// True once the sources should stop making jobs: a job failed, or the run was cancelled.
    [[nodiscard]] bool stop_requested() const noexcept {
        return stop_.load(std::memory_order_relaxed) ||
               (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed));
    }
    /// Jobs that failed so far.
    [[nodiscard]] std::uint64_t failed() const noexcept {
        return failed_.load(std::memory_order_relaxed);
    }
    /// The first failure, with the count of all failures, if any job failed.
    [[nodiscard]] std::optional<JobError> error() const;
    /// True if a job failed before the run was cancelled (or in a run never cancelled): the
    /// failure, not the cancel, stopped it. A failure after the cancel does not count, whatever
    /// its cause: most are jobs the stop failed unrun (those `exec` or `rate_limit` had not
    /// started).
    [[nodiscard]] bool failed_first() const noexcept {
        return failed_first_.load(std::memory_order_relaxed);
    }

private:
    std::atomic<bool> stop_{false};
    std::atomic<bool> failed_first_{false};
    const std::atomic<bool>* cancel_ = nullptr;
    std::atomic<std::uint64_t> failed_{0};
    mutable std::mutex mutex_;
    bool have_first_ = false;
    std::string first_node_;
    std::uint64_t first_id_ = 0;
    std::string first_message_;
};

/// What a body may do while it runs one batch on one worker: know where it is, report failed
/// jobs (the node's OnError policy decides what that means), count jobs it dropped on purpose,
/// and read this batch's figures so far.
class BatchContext {
public:
    /// A context for one batch of node @p node on worker slot @p worker, reporting to @p run
    /// under @p policy (null: OnError::fail()).
    BatchContext(RunState& run, std::string_view node, int worker,
                 const OnError* policy = nullptr) noexcept
        : run_(run), node_(node), worker_(worker), policy_(policy) {}

    /// The node running the batch.
    [[nodiscard]] std::string_view node() const noexcept { return node_; }
    /// The worker slot running the batch.
    [[nodiscard]] int worker() const noexcept { return worker_; }

    /// Records that job @p id failed here for good with @p message: skipped, handed back to its
    /// source or failed (the run stops), as the node's policy says. Never throws.
    void job_failed(std::uint64_t id, std::string_view message) noexcept;
    /// Records that @p n jobs were dropped on purpose (a filter said no).
    void jobs_filtered(std::size_t n) noexcept { filtered_ += n; }
    /// Records that @p n jobs were taken in and folded into jobs the node makes (an aggregate's
    /// groups): they end here, as filtered jobs do, and what they became counts as made.
    void jobs_merged(std::size_t n) noexcept { merged_ += n; }
    /// Records that the body made @p n jobs it was not given (an aggregate's results).
    void jobs_made(std::size_t n) noexcept { made_ += n; }

    /// Tries per job under the node's policy (1: no retry).
    [[nodiscard]] int attempts() const noexcept { return policy_ ? policy_->attempts : 1; }
    /// Waits before try number @p next_try (2, 3, ...) and counts the retry; false, at once,
    /// if the run is stopping or starts to while it waits: then the job is not tried again,
    /// and fails with the failure of its last try.
    [[nodiscard]] bool before_retry(int next_try) noexcept;
    /// True if failed jobs go to a dead-letter sink: then bodies keep a failing job's value.
    [[nodiscard]] bool keeps_dead_letters() const noexcept {
        return policy_ && policy_->action == OnError::Action::dead_letter;
    }
    /// Sends job @p id, which failed with @p message, to the node's dead-letter sink.
    template <class T>
    void dead_letter(std::uint64_t id, T&& value, std::string message);
    /// True once the run is stopping (a job failed, or RunOptions::cancel was set): a source
    /// that waits for input should return what it has, or nullptr, soon after.
    [[nodiscard]] bool stop_requested() const noexcept { return run_.stop_requested(); }

    /// Jobs that failed (and failed the run) in this batch so far.
    [[nodiscard]] std::size_t failed() const noexcept { return failed_; }
    /// Jobs filtered in this batch so far.
    [[nodiscard]] std::size_t filtered() const noexcept { return filtered_; }
    /// Jobs merged into others, in this batch so far.
    [[nodiscard]] std::size_t merged() const noexcept { return merged_; }
    /// Jobs made, in this batch so far.
    [[nodiscard]] std::size_t made() const noexcept { return made_; }
    /// Jobs skipped after failing, in this batch so far.
    [[nodiscard]] std::size_t skipped() const noexcept { return skipped_; }
    /// Jobs sent to the dead-letter sink, in this batch so far.
    [[nodiscard]] std::size_t dead_lettered() const noexcept { return dead_lettered_; }
    /// Tries repeated after a failure, in this batch so far.
    [[nodiscard]] std::size_t retries() const noexcept { return retries_; }
    /// Jobs handed back to their source after failing (OnError::redeliver), in this batch so far.
    [[nodiscard]] std::size_t redelivered() const noexcept { return redelivered_; }

private:
    friend struct detail::ContextHooks;  // the runtime's: dead letters on, failures to the origin

    RunState& run_;
    std::string_view node_;
    int worker_;
    const OnError* policy_;
    std::size_t failed_ = 0;
    std::size_t filtered_ = 0;
    std::size_t skipped_ = 0;
    std::size_t dead_lettered_ = 0;
    std::size_t retries_ = 0;
    std::size_t redelivered_ = 0;
    std::size_t merged_ = 0;
    std::size_t made_ = 0;
    BatchPtr dead_letters_;
    detail::OriginFailures* origin_ = nullptr;  // the failures of the batch's origin
};

template <class T>
void BatchContext::dead_letter(std::uint64_t id, T&& value, std::string message) {
    using Job = std::decay_t<T>;
    if (!dead_letters_) {
        auto letters = std::make_shared<Items<Job>>();
        letters->failed_node = node_;
        dead_letters_ = std::move(letters);
    }
    auto& letters = static_cast<Items<Job>&>(*dead_letters_);
    letters.ids.push_back(id);
    letters.values.push_back(std::forward<T>(value));
    letters.errors.push_back(std::move(message));
    ++dead_lettered_;
}

/// Makes batches of jobs; called by one thread at a time.
class SourceBody {
public:
    virtual ~SourceBody() = default;
    /// The next batch of at most @p max_jobs jobs, or nullptr when the source is exhausted.
    /// A job that cannot be made is reported to @p ctx under the id it would have had. Ids go
    /// up to 2^64 - 2: 2^64 - 1 is JobError::no_job, the id of a failure that is no job's.
    virtual BatchPtr next(std::size_t max_jobs, BatchContext& ctx) = 0;
    /// The bytes one job takes in a batch (its id and its value), if known; 0 if not. The
    /// runtime caps a batch's size in bytes with it (see BatchSizer::max_bytes).
    [[nodiscard]] virtual std::size_t job_bytes() const noexcept { return 0; }
    /// How many jobs it will make in all, if it knows (a range does); 0 if not. For progress.
    [[nodiscard]] virtual std::uint64_t expected_jobs() const noexcept { return 0; }
    /// The size in bytes of what it reads, if known (a `lines` file); 0 if not. For progress.
    [[nodiscard]] virtual std::uint64_t input_bytes() const noexcept { return 0; }
    /// The bytes of its input made into jobs so far; called from any thread. For progress.
    [[nodiscard]] virtual std::uint64_t input_bytes_done() const noexcept { return 0; }
    /// Called, from any thread, once batch @p seq and every batch made from it were consumed by
    /// the sinks, dropped on purpose, skipped or dead-lettered, except the jobs in @p failed.
    /// A source that must acknowledge its input (a message queue) does it here, job by job:
    /// a failed job is not acknowledged, the others are. Not called for a batch a stage body
    /// lost jobs of (passed on fewer than it took and reported no end for the others): which
    /// of its jobs ended is unknown, and none may be acknowledged.
    virtual void retired(std::uint64_t seq, const std::vector<FailedJob>& failed) noexcept {
        static_cast<void>(seq);
        static_cast<void>(failed);
    }
    /// True if a job handed back under OnError::redeliver is delivered again later (a message
    /// queue); false makes such a job fail the run as under OnError::fail.
    [[nodiscard]] virtual bool redelivers() const noexcept { return false; }
    /// True if the batches next() makes hold only the text it read, and decode() makes the
    /// jobs' values from it on the workers (a `jsonl` source parses its lines there), so that the
    /// source's one thread only reads.
    [[nodiscard]] virtual bool decodes() const noexcept { return false; }
    /// Called when decodes() is true, on a worker and concurrently, with each batch next() made,
    /// before any node gets it: returns the batch of the jobs' values. A job that cannot be made
    /// is reported to @p ctx (the source node's OnError policy applies) and left out.
    virtual BatchPtr decode(const BatchPtr& batch, BatchContext& ctx) {
        static_cast<void>(ctx);
        return batch;
    }
    /// Called once after the run, whatever its outcome, when next() will not be called again:
    /// gives back what it took from its input and never made into jobs.
    virtual void finish() noexcept {}
    /// True if next() may wait for its input (a pipe, a socket, a message queue): the run keeps
    /// a thread for the source beside its workers, so that batches already read go on while it
    /// waits. False for a source that only computes or reads regular files: a run whose workers
    /// need fewer threads than the cores then runs on that many, and leaves the other cores idle.
    [[nodiscard]] virtual bool waits() const noexcept { return true; }
};

/// Turns a batch into another; called concurrently up to the node's concurrency.
class StageBody {
public:
    virtual ~StageBody() = default;
    /// The batch to pass on; failed or filtered jobs are left out of it and reported to @p ctx.
    /// Jobs neither passed on nor reported (a null batch for jobs it did not filter) fail the
    /// run, naming the node.
    virtual BatchPtr process(const BatchPtr& in, BatchContext& ctx) = 0;
    /// The type of the jobs it takes, if known (typeid(void) if not): a dead-letter sink must
    /// take what the failing node takes.
    [[nodiscard]] virtual std::type_index takes() const noexcept { return typeid(void); }
    /// False if the jobs it takes cannot be copied (a std::unique_ptr): it then can have no
    /// retries and no dead letters, which each keep a copy of a job while it is tried.
    [[nodiscard]] virtual bool copies_jobs() const noexcept { return true; }
    /// A routing body's targets (OpInfo::routes_to): the nodes it sends jobs to, by name; empty
    /// for a body whose batches go to every out-edge.
    [[nodiscard]] virtual std::vector<std::string> targets() const { return {}; }
    /// Called instead of process() when targets() is not empty: the jobs of @p in for each
    /// target, in targets() order (null: none); jobs it sends nowhere are reported to @p ctx.
    virtual std::vector<BatchPtr> route(const BatchPtr& in, BatchContext& ctx) {
        static_cast<void>(in);
        static_cast<void>(ctx);
        return {};
    }
    /// True if its jobs spend their time waiting rather than computing (a program it runs, a
    /// reply from the network): the runtime then gives each of the node's `concurrency` workers
    /// a thread of its own, so that N workers really wait on N jobs at once even on fewer cores.
    [[nodiscard]] virtual bool waits() const noexcept { return false; }
    /// The most jobs a batch that reaches it should hold, or 0 for any number: the sources
    /// upstream cut their batches no larger (a node that passes jobs at a pace passes a batch at
    /// once, and a large one would go on as a burst). Jobs made on the way (`explode`) are not
    /// counted.
    [[nodiscard]] virtual std::size_t most_jobs_a_batch() const noexcept { return 0; }
    /// True if it must take its batches one at a time, in the order their source made them
    /// (a window that counts jobs or follows event time): the runtime then runs it as a node
    /// keyed by one key, whatever its concurrency, so that batches workers finished out of
    /// order upstream reach it in order.
    [[nodiscard]] virtual bool in_source_order() const noexcept { return false; }
    /// True if it holds jobs back until every job that can reach it did (an aggregate whose
    /// window is the whole run): then the runtime calls flush() once, at the end.
    [[nodiscard]] virtual bool holds_back() const noexcept { return false; }
    /// Called once, on one thread, when holds_back() is true and every job that can reach the
    /// node has been processed (the nodes before it flushed first): the batch of the jobs it
    /// made from what it held, with ids of its own (reported with BatchContext::jobs_made), or
    /// nullptr. Not called when the run failed, unless it was cancelled first (an interrupt):
    /// an interrupted run's jobs reach the sinks, those held here too. If it throws, the run
    /// fails and the jobs it made (one if none) count as failed at the node.
    virtual BatchPtr flush(BatchContext& ctx) {
        static_cast<void>(ctx);
        return nullptr;
    }
};

/// Splits the batches of a keyed node (`key:` in graph files, Plan::set_key) so that every job
/// with one key goes to one lane (a worker of the node's own that runs its jobs one at a time, in
/// order), and joins what the lanes made of one batch back into one batch.
class KeyBody {
public:
    virtual ~KeyBody() = default;
    /// The jobs of @p in for each of @p lanes lanes, in the order they came (null: none); all
    /// jobs whose keys are equal go to the same lane, whatever the batch. A job whose key cannot
    /// be computed is reported to @p ctx and left out. Copies the jobs of a batch marked
    /// `shared` instead of moving them. Called by one thread at a time.
    virtual std::vector<BatchPtr> split(const BatchPtr& in, std::size_t lanes,
                                        BatchContext& ctx) = 0;
    /// One batch of every job of @p parts (at least two, not empty, each with ascending ids),
    /// with ascending ids; it may move the jobs out of @p parts. Called from any thread.
    virtual BatchPtr join(std::vector<BatchPtr>& parts) = 0;
};

/// Consumes batches; called by one thread at a time.
class SinkBody {
public:
    virtual ~SinkBody() = default;
    /// Consumes every job of @p in.
    virtual void consume(const BatchPtr& in, BatchContext& ctx) = 0;
    /// Called once after the run, whatever its outcome (flush, print a summary, ...). If it
    /// throws, the run fails and the jobs the sink took (one if none) count as failed, not as
    /// results: what it writes here is what it held back for them. A sink that writes as it goes
    /// keeps nothing back.
    virtual void finish() {}
    /// The type of the jobs it takes, if known (typeid(void) if not).
    [[nodiscard]] virtual std::type_index takes() const noexcept { return typeid(void); }
    /// True if what it writes for its jobs comes out only at the end of the run (a summary of
    /// them all): a run with a journal cannot resume it, as a job is journaled when consumed.
    [[nodiscard]] virtual bool holds_back() const noexcept { return false; }
};

}  // namespace flowpool
