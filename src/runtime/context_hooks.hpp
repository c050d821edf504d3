#pragma once
// The runtime's side of a BatchContext: where a batch's failures are reported for its source
// (OriginFailures, one per source batch, kept by its in-flight ticket), the jobs that failed
// more than once the same way (RepeatedEndings), and the context's private parts the runtime
// alone uses (ContextHooks).

#include <flowpool/body.hpp>
#include <flowpool/journal.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace flowpool::detail {

/// How a job that did not end well ended, as a bit of a mask.
enum class Ending : std::uint8_t { failed = 1, skipped = 2, dead_lettered = 4 };

/// Per way a job can end badly, the times a job ended that way again: in another branch of a
/// fan-out (both branches fail their copies of it), or again at one node (a body that reported
/// a job failed, then threw). The nodes' figures count every time, the run's totals each job
/// once: they are the nodes' sums less these.
struct RepeatedEndings {
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::uint64_t> skipped{0};
    std::atomic<std::uint64_t> dead_lettered{0};
};

/// The failures of one source batch and of every batch made from it, reported from any thread.
class OriginFailures {
public:
    /// @p redelivers: the source delivers a job again when it is handed back. @p keeps_dropped:
    /// the jobs skipped or dead-lettered are listed too (for a RunJournal).
    /// @p repeats: where a job that ends the same way twice is counted (null: nowhere).
    explicit OriginFailures(bool redelivers, bool keeps_dropped = false,
                            RepeatedEndings* repeats = nullptr) noexcept
        : redelivers_(redelivers), keeps_dropped_(keeps_dropped), repeats_(repeats) {}

    /// Makes left_out() consult @p journal, for source @p source: set for the failures a source
    /// reports as it reads, of jobs in no batch yet.
    void leave_out(const RunJournal& journal, std::string_view source) noexcept {
        journal_ = &journal;
        source_ = source;
    }
    /// True if job @p id is one the journal says an earlier run finished: a failure reported
    /// for it is not this run's (the source node leaves such jobs of its batches out).
    [[nodiscard]] bool left_out(std::uint64_t id) const noexcept {
        return journal_ != nullptr && journal_->skips(source_, id);
    }
    /// True if the batch's source delivers handed-back jobs again (SourceBody::redelivers).
    [[nodiscard]] bool redelivers() const noexcept { return redelivers_; }
    /// Records a failed job. Never throws (out of memory: the job is not listed).
    void add(std::uint64_t id, std::string_view node, std::string_view message,
             bool run_went_on) noexcept;
    /// Records a job that failed and was skipped or dead-lettered, if such jobs are kept. Never
    /// throws (out of memory: the job is not listed).
    void add_dropped(std::uint64_t id, std::string_view node, std::string_view message) noexcept;
    /// Notes that job @p id ended @p how; returns false, having counted it in the
    /// RepeatedEndings, if it ended so already (the batch's jobs and every job made from them
    /// have ids of their own: an id seen twice is one job). Never throws (out of memory: true).
    bool ended(std::uint64_t id, Ending how) noexcept;
    /// Notes that a job of the batch failed while the run was stopping (its program killed by
    /// the stop, or never started): it may not have had its chance.
    void failed_while_stopping() noexcept { stopping_.store(true, std::memory_order_relaxed); }
    /// True if a job of the batch failed while the run was stopping.
    [[nodiscard]] bool any_while_stopping() const noexcept {
        return stopping_.load(std::memory_order_relaxed);
    }
    /// Notes that a body lost jobs of the batch (StageBody's contract broken): which of its
    /// jobs ended, and how, is unknown.
    void jobs_lost() noexcept { lost_.store(true, std::memory_order_relaxed); }
    /// True if a body lost jobs of the batch.
    [[nodiscard]] bool any_lost() const noexcept { return lost_.load(std::memory_order_relaxed); }
    /// The failures recorded so far, in the order they were reported.
    [[nodiscard]] std::vector<FailedJob> take() noexcept;
    /// The jobs add_dropped() recorded so far.
    [[nodiscard]] std::vector<FailedJob> take_dropped() noexcept;

private:
    bool redelivers_;
    bool keeps_dropped_;
    RepeatedEndings* repeats_;
    const RunJournal* journal_ = nullptr;  // null: no job is left out
    std::string_view source_;
    std::unordered_map<std::uint64_t, std::uint8_t> endings_;  // per job id: an Ending mask
    std::vector<FailedJob> dropped_;
    std::atomic<bool> any_{false};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> lost_{false};
    std::mutex mutex_;
    std::vector<FailedJob> jobs_;
};

/// What only the runtime does with a BatchContext.
struct ContextHooks {
    /// Makes job_failed() report to @p origin, the failures of the batch's source batch.
    static void track_origin(BatchContext& ctx, OriginFailures* origin) noexcept {
        ctx.origin_ = origin;
    }
    /// The dead letters collected so far, or nullptr; the runtime sends them on.
    [[nodiscard]] static BatchPtr take_dead_letters(BatchContext& ctx) noexcept {
        return std::move(ctx.dead_letters_);
    }
    /// Records that the body lost @p n jobs of its batch (returned fewer than it took and
    /// reported no end for the rest): they fail the run whatever the node's policy, as job
    /// @p id with @p message, since which jobs they were is unknown.
    static void lost_jobs(BatchContext& ctx, std::uint64_t id, std::size_t n,
                          std::string_view message) noexcept {
        ctx.failed_ += n;
        // Not knowing which jobs ended, neither the journal nor the source may take the batch
        // as finished: a resumed run does all of it again, a message queue delivers it again.
        if (ctx.origin_ != nullptr) ctx.origin_->jobs_lost();
        ctx.run_.job_failed(ctx.node_, id, message, n);
    }
    /// Adds dead letters made elsewhere for this batch (a job run apart, under a timeout).
    static void add_dead_letters(BatchContext& ctx, BatchPtr letters) {
        if (!letters || letters->size() == 0) return;
        ctx.dead_lettered_ += letters->size();
        if (ctx.dead_letters_) {
            ctx.dead_letters_->append(*letters);
        } else {
            ctx.dead_letters_ = std::move(letters);
        }
    }
};

}  // namespace flowpool::detail
