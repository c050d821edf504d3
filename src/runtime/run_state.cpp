// RunState and BatchContext: how a failed job is counted, reported and acted on.

#include <flowpool/body.hpp>

#include "common/log.hpp"
#include "context_hooks.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>

namespace flowpool {

void RunState::job_failed(std::string_view node, std::uint64_t id, std::string_view message,
                          std::uint64_t jobs) noexcept {
    failed_.fetch_add(jobs, std::memory_order_relaxed);
    if (cancel_ == nullptr || !cancel_->load(std::memory_order_relaxed))
        failed_first_.store(true, std::memory_order_relaxed);
    stop_.store(true, std::memory_order_relaxed);
    const std::lock_guard lock(mutex_);
    if (have_first_) return;
    try {
        first_node_ = node;
        first_message_ = message;
        first_id_ = id;
        have_first_ = true;
    } catch (...) {
        // Out of memory while recording: the count above still reports the failure.
    }
}

std::optional<JobError> RunState::error() const {
    const std::lock_guard lock(mutex_);
    const std::uint64_t count = failed();
    if (count == 0) return std::nullopt;
    if (!have_first_) return JobError("?", 0, "out of memory while recording a failure", count);
    return JobError(first_node_, first_id_, first_message_, count);
}

void BatchContext::job_failed(std::uint64_t id, std::string_view message) noexcept {
    if (origin_ != nullptr && origin_->left_out(id)) return;  // an earlier run's, journaled
    // Before this failure stops the run (under OnError::fail): it had its chance.
    if (origin_ != nullptr && run_.stop_requested()) origin_->failed_while_stopping();
    if (policy_ != nullptr && policy_->action == OnError::Action::skip) {
        ++skipped_;
        if (origin_ != nullptr) {
            static_cast<void>(origin_->ended(id, detail::Ending::skipped));
            origin_->add_dropped(id, node_, message);
        }
        return;
    }
    if (policy_ != nullptr && policy_->action == OnError::Action::redeliver && origin_ != nullptr &&
        origin_->redelivers()) {
        ++redelivered_;
        origin_->add(id, node_, message, true);
        detail::log_job(
            spdlog::level::warn, node_, id,
            std::string(message) + " (handed back to its source, to be delivered again)");
        return;
    }
    // OnError::fail, a dead-letter node that could not keep the job's value, or a job to
    // redeliver from a source that cannot. The run counts a job once, however many branches
    // failed it.
    ++failed_;
    const bool first = origin_ == nullptr || origin_->ended(id, detail::Ending::failed);
    if (origin_ != nullptr) origin_->add(id, node_, message, false);
    run_.job_failed(node_, id, message, first ? 1 : 0);
}

bool detail::OriginFailures::ended(std::uint64_t id, Ending how) noexcept {
    const auto bit = static_cast<std::uint8_t>(how);
    try {
        const std::lock_guard lock(mutex_);
        std::uint8_t& mask = endings_[id];
        const bool first = (mask & bit) == 0;
        mask |= bit;
        if (first || repeats_ == nullptr) return first;
    } catch (...) {
        return true;  // out of memory: counted as if it were the first
    }
    std::atomic<std::uint64_t>& repeats = how == Ending::failed    ? repeats_->failed
                                          : how == Ending::skipped ? repeats_->skipped
                                                                   : repeats_->dead_lettered;
    repeats.fetch_add(1, std::memory_order_relaxed);
    return false;
}

void detail::OriginFailures::add(std::uint64_t id, std::string_view node, std::string_view message,
                                 bool run_went_on) noexcept {
    try {
        const std::lock_guard lock(mutex_);
        jobs_.push_back({id, std::string(node), std::string(message), run_went_on});
        any_.store(true, std::memory_order_release);
    } catch (...) {
        // Out of memory: the job goes unlisted, and is acknowledged as if it had not failed.
    }
}

void detail::OriginFailures::add_dropped(std::uint64_t id, std::string_view node,
                                         std::string_view message) noexcept {
    if (!keeps_dropped_) return;
    try {
        const std::lock_guard lock(mutex_);
        dropped_.push_back({id, std::string(node), std::string(message), true});
    } catch (...) {
        // Out of memory: the job goes unlisted, and is journaled as if it had not failed.
    }
}

std::vector<FailedJob> detail::OriginFailures::take_dropped() noexcept {
    if (!keeps_dropped_) return {};
    const std::lock_guard lock(mutex_);
    return std::move(dropped_);
}

std::vector<FailedJob> detail::OriginFailures::take() noexcept {
    if (!any_.load(std::memory_order_acquire)) return {};
    const std::lock_guard lock(mutex_);
    return std::move(jobs_);
}

bool BatchContext::before_retry(int next_try) noexcept {
    using Clock = std::chrono::steady_clock;
    if (policy_ != nullptr && policy_->backoff.count() > 0) {
        const int doublings = std::min(next_try - 2, 20);
        // Doubled, but no further than the clock can count: a huge back-off times 2^20 wrapped
        // round to the past, and the retry came at once.
        constexpr std::int64_t most_ms = std::numeric_limits<std::int64_t>::max() / 4'000'000;
        const std::int64_t ms = policy_->backoff.count();
        const std::int64_t factor = std::int64_t{1} << doublings;
        const Clock::time_point until =
            Clock::now() + std::chrono::milliseconds(ms > most_ms / factor ? most_ms : ms * factor);
        // Polled, not waited on: RunOptions::cancel is a bare flag, set by a signal handler as
        // often as not, so nothing can wake a wait when it changes.
        for (Clock::time_point now = Clock::now(); now < until; now = Clock::now()) {
            if (run_.stop_requested()) return false;
            std::this_thread::sleep_until(std::min(until, now + std::chrono::milliseconds(50)));
        }
    }
    if (run_.stop_requested()) return false;
    ++retries_;
    return true;
}

}  // namespace flowpool
