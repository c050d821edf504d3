#pragma once
// A lock-free histogram of durations in quarter-octave buckets (each bucket's bounds differ by
// 2^(1/4), about 19%, so a percentile read back is within about 10% of the truth).

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace flowpool::detail {

class DurationHistogram {
public:
    /// Counts @p weight samples of @p ns nanoseconds each. Safe from any thread.
    void add(double ns, std::uint64_t weight) noexcept {
        buckets_[bucket_of(ns)].fetch_add(weight, std::memory_order_relaxed);
        sum_ns_.fetch_add(static_cast<std::int64_t>(ns * static_cast<double>(weight)),
                          std::memory_order_relaxed);
        const auto whole = static_cast<std::int64_t>(ns);
        std::int64_t seen = max_.load(std::memory_order_relaxed);
        while (whole > seen &&
               !max_.compare_exchange_weak(seen, whole, std::memory_order_relaxed)) {
        }
    }

    /// The @p q quantile (0 < q <= 1): the middle of the bucket holding it; 0 if empty.
    [[nodiscard]] std::chrono::nanoseconds quantile(double q) const noexcept {
        std::uint64_t total = 0;
        for (const auto& b : buckets_) total += b.load(std::memory_order_relaxed);
        if (total == 0) return std::chrono::nanoseconds{0};
        const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            seen += buckets_[i].load(std::memory_order_relaxed);
            if (seen >= rank) {
                const double mid = std::exp2((static_cast<double>(i) + 0.5) / steps_per_octave);
                return std::chrono::nanoseconds(
                    std::min(static_cast<std::int64_t>(mid), max().count()));
            }
        }
        return max();
    }

    /// Samples below 2^@p octaves ns (a bucket edge, so the count is exact), @p octaves <= 64
    /// (64: every sample).
    [[nodiscard]] std::uint64_t count_below_octave(std::size_t octaves) const noexcept {
        std::uint64_t n = 0;
        const std::size_t end = std::min(bucket_count, octaves * steps);
        for (std::size_t i = 0; i < end; ++i) n += buckets_[i].load(std::memory_order_relaxed);
        return n;
    }

    /// Every sample counted.
    [[nodiscard]] std::uint64_t count() const noexcept { return count_below_octave(64); }

    /// The samples summed.
    [[nodiscard]] std::chrono::nanoseconds sum() const noexcept {
        return std::chrono::nanoseconds(sum_ns_.load(std::memory_order_relaxed));
    }

    /// The largest sample.
    [[nodiscard]] std::chrono::nanoseconds max() const noexcept {
        return std::chrono::nanoseconds(max_.load(std::memory_order_relaxed));
    }

private:
    static constexpr std::size_t steps = 4;  // buckets per octave
    static constexpr double steps_per_octave = steps;
    static constexpr std::size_t bucket_count = 64 * steps;  // up to 2^64 ns

    static std::size_t bucket_of(double ns) noexcept {
        if (!(ns >= 1)) return 0;
        const auto i = static_cast<std::size_t>(std::log2(ns) * steps_per_octave);
        return i < bucket_count ? i : bucket_count - 1;
    }

    std::array<std::atomic<std::uint64_t>, bucket_count> buckets_{};
    std::atomic<std::int64_t> max_{0};
    std::atomic<std::int64_t> sum_ns_{0};
};

}  // namespace flowpool::detail
