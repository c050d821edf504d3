#pragma once
// What all nodes of one run share: the first failure, the failure count, and the stop flag.

#include <flowpool/error.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace flowpool::detail {

class RunState {
public:
    /// Records that @p jobs jobs failed, as job @p id with @p message; the first failure recorded
    /// is the one reported. Never throws.
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

private:
    std::atomic<bool> stop_{false};
    const std::atomic<bool>* cancel_ = nullptr;
    std::atomic<std::uint64_t> failed_{0};
    mutable std::mutex mutex_;
    bool have_first_ = false;
    std::string first_node_;
    std::uint64_t first_id_ = 0;
    std::string first_message_;
};

}  // namespace flowpool::detail
