#pragma once
// Runs one job of a node with `timeout_ms` on a thread of its own, so that a job that runs too
// long can be given up on. C++ cannot stop a thread: a job given up on keeps running, detached,
// until its function returns; its result is then thrown away. The thread shares ownership of
// the node's body and of its own copy of the job, so nothing it touches is freed under it.

#include <flowpool/body.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "context_hooks.hpp"

namespace flowpool::detail {

class TimedJob {
public:
    /// What the job's run reported, read once it finished in time.
    struct Outcome {
        BatchPtr out;                   ///< the results (at most one job), or nullptr
        std::size_t filtered = 0;       ///< 1 if the op dropped it
        std::size_t skipped = 0;        ///< 1 if it failed and the policy skips
        std::size_t merged = 0;         ///< jobs the op folded into others (an aggregate)
        std::size_t made = 0;           ///< jobs the op made (an aggregate's closed windows)
        BatchPtr dead_letters;          ///< the job, if it failed and the policy dead-letters
        std::optional<JobError> error;  ///< if it failed and fails the run
    };

    /// Starts @p body on @p job (one job) on a new thread, under @p policy.
    static std::shared_ptr<TimedJob> start(std::shared_ptr<StageBody> body, BatchPtr job,
                                           std::string node, int worker, OnError policy) {
        auto timed = std::shared_ptr<TimedJob>(new TimedJob(
            std::move(body), std::move(job), std::move(node), worker, std::move(policy)));
        std::thread([timed] { timed->run(); }).detach();
        return timed;
    }

    /// Waits up to @p timeout; the outcome if the job finished by then.
    std::optional<Outcome> wait_for(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        if (!done_.wait_for(lock, timeout, [this] { return finished_; })) return std::nullopt;
        return std::move(outcome_);
    }

private:
    TimedJob(std::shared_ptr<StageBody> body, BatchPtr job, std::string node, int worker,
             OnError policy)
        : body_(std::move(body)),
          job_(std::move(job)),
          node_(std::move(node)),
          worker_(worker),
          policy_(std::move(policy)) {}

    void run() noexcept {
        Outcome outcome;
        try {
            BatchContext ctx(state_, node_, worker_, &policy_);
            outcome.out = body_->process(job_, ctx);
            outcome.filtered = ctx.filtered();
            outcome.skipped = ctx.skipped();
            outcome.merged = ctx.merged();
            outcome.made = ctx.made();
            outcome.dead_letters = ContextHooks::take_dead_letters(ctx);
            outcome.error = state_.error();
        } catch (const std::exception& e) {
            outcome.error = JobError(node_, job_->ids.front(), e.what());
        } catch (...) {
            outcome.error = JobError(node_, job_->ids.front(), "unknown exception");
        }
        const std::lock_guard lock(mutex_);
        outcome_ = std::move(outcome);
        finished_ = true;
        done_.notify_all();
    }

    std::shared_ptr<StageBody> body_;
    BatchPtr job_;
    std::string node_;
    int worker_;
    OnError policy_;
    RunState state_;  // this job's own: the run may be over before it finishes
    std::mutex mutex_;
    std::condition_variable done_;
    bool finished_ = false;
    Outcome outcome_;
};

}  // namespace flowpool::detail
