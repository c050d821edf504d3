#pragma once
// A failure threshold, as GNU parallel's `--halt soon,fail=N`: `N` failed jobs, or `P%` of the
// jobs started, may fail; one more stops the sources. `flowpool exec --max-failures`,
// `flowpool run --max-failures` and a graph file's `max_failures:` read it the same way.

#include <cstdint>
#include <string>

namespace flowpool::detail {

/// `N` or `P%`: when the failures so far are too many to go on.
class FailureLimit {
public:
    /// No limit.
    FailureLimit() = default;
    /// Reads @p text: a whole number N, or a percentage P% (0 to 100); empty: no limit. Throws
    /// std::invalid_argument saying what it takes.
    explicit FailureLimit(const std::string& text);

    /// True once @p failed of @p jobs exceeds the limit.
    [[nodiscard]] bool exceeded(std::uint64_t failed, std::uint64_t jobs) const noexcept {
        if (limit_ < 0 || failed == 0) return false;
        if (!percent_) return static_cast<double>(failed) > limit_;
        return 100.0 * static_cast<double>(failed) > limit_ * static_cast<double>(jobs);
    }
    /// True if @p jobs are enough to judge the failures among them by while the run goes on:
    /// one failure among them is within a percentage (one bad line in the first two is not 5%
    /// of a run). Always for `N` and for 0%.
    [[nodiscard]] bool can_judge(std::uint64_t jobs) const noexcept {
        return !percent_ || limit_ == 0 || limit_ * static_cast<double>(jobs) >= 100.0;
    }
    /// True if there is a limit.
    [[nodiscard]] bool set() const noexcept { return limit_ >= 0; }

private:
    double limit_ = -1;  // none
    bool percent_ = false;
};

}  // namespace flowpool::detail
