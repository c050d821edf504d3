#pragma once
// A DDSketch-style quantile sketch (Masson, Rim and Lee, VLDB 2019) for the p50/p90/p99
// aggregates: values go into logarithmic buckets, bucket i holding the magnitudes in
// (γ^(i-1), γ^i] with γ = (1+α)/(1-α), so that a bucket's representative 2γ^i/(γ+1) is within a
// relative error α of every value in it.
//
// The guarantee (tested in tests/test_quantile_sketch.cpp): quantile(q) returns a value within
// α·|x| of x, the exact element of rank floor(q·(n-1)) (0-based) of the sorted values, as long as
// no bucket was collapsed. Each sign keeps at most max_buckets buckets (2048 by default: at
// α = 1%, magnitudes spanning a ratio of 6·10^17); past that the buckets of the smallest
// magnitudes fold into the smallest kept one, so only quantiles landing there lose the bound.
// Magnitudes below 2.2·10^-308 (DBL_MIN) count as zero.
//
// Merging is exact: a sketch of any split of the values, merged in any order, has the same
// buckets (collapsing included) as one sketch of them all, so results do not depend on workers.
// Memory: 8 bytes per bucket between the smallest and largest magnitude seen (a latency from
// 1 ms to 10 s: 461 buckets); an add allocates only when it widens that range past the vector's
// capacity, which grows geometrically, so a sketch in steady state does not allocate.

#include <cstdint>
#include <vector>

namespace flowpool::detail {

/// Bucket counts over the window of bucket indexes from the lowest counted to the highest, at
/// most max_buckets wide: an index more than max_buckets - 1 below the highest is counted in the
/// lowest bucket. The window depends only on what was counted, not on the order of the adds.
class BucketStore {
public:
    explicit BucketStore(std::int32_t max_buckets) : max_buckets_(max_buckets) {}

    /// Counts @p n > 0 values in bucket @p index.
    void add(std::int32_t index, std::uint64_t n);
    /// Adds every count of @p other.
    void merge(const BucketStore& other);
    /// True if nothing was counted.
    [[nodiscard]] bool empty() const noexcept { return total_ == 0; }
    /// How many values were counted.
    [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
    /// Lowest index of the window (meaningless when empty).
    [[nodiscard]] std::int32_t lowest() const noexcept { return offset_; }
    /// Highest index of the window (meaningless when empty).
    [[nodiscard]] std::int32_t highest() const noexcept {
        return offset_ + static_cast<std::int32_t>(counts_.size()) - 1;
    }
    /// The count of bucket @p index, which lies in [lowest(), highest()].
    [[nodiscard]] std::uint64_t count(std::int32_t index) const noexcept {
        return counts_[static_cast<std::size_t>(index - offset_)];
    }
    /// The widest the window gets.
    [[nodiscard]] std::int32_t max_buckets() const noexcept { return max_buckets_; }
    /// Buckets held (allocated), for tests of the memory bound.
    [[nodiscard]] std::size_t buckets() const noexcept { return counts_.size(); }

    friend bool operator==(const BucketStore&, const BucketStore&) = default;

private:
    /// Makes the window cover [low, high], as far as max_buckets allows.
    void cover(std::int32_t low, std::int32_t high);

    std::int32_t max_buckets_;
    std::int32_t offset_ = 0;  // bucket index of counts_[0]
    std::vector<std::uint64_t> counts_;
    std::uint64_t total_ = 0;
};

/// A mergeable quantile sketch of finite doubles with relative error α (see the file comment).
class QuantileSketch {
public:
    /// The relative error of the p50/p90/p99 aggregates.
    static constexpr double default_alpha = 0.01;
    /// Buckets per sign at most.
    static constexpr std::int32_t default_max_buckets = 2048;

    /// A sketch with the default relative error and bucket bound.
    QuantileSketch() : QuantileSketch(default_alpha) {}
    /// A sketch with relative error @p alpha (0 < alpha < 1) and @p max_buckets buckets per sign.
    explicit QuantileSketch(double alpha, std::int32_t max_buckets = default_max_buckets);

    /// Adds @p x, which must be finite.
    void add(double x);
    /// Adds every value of @p other, which must have the same alpha and max_buckets.
    void merge(const QuantileSketch& other);
    /// How many values were added.
    [[nodiscard]] std::uint64_t count() const noexcept {
        return negative_.total() + zeros_ + positive_.total();
    }
    /// The estimate of the element of rank floor(q·(count-1)) for q in [0, 1]; the exact minimum
    /// for q = 0 and maximum for q = 1. Requires count() > 0.
    [[nodiscard]] double quantile(double q) const;
    /// The relative error it was made with.
    [[nodiscard]] double alpha() const noexcept { return alpha_; }
    /// Buckets allocated, both signs.
    [[nodiscard]] std::size_t buckets() const noexcept {
        return negative_.buckets() + positive_.buckets();
    }

    /// Equal when made alike and holding the same counts (so giving the same quantiles).
    friend bool operator==(const QuantileSketch& a, const QuantileSketch& b) {
        return a.alpha_ == b.alpha_ && a.zeros_ == b.zeros_ && a.min_ == b.min_ &&
               a.max_ == b.max_ && a.negative_ == b.negative_ && a.positive_ == b.positive_;
    }

private:
    /// The bucket of magnitude @p m ≥ DBL_MIN.
    [[nodiscard]] std::int32_t index_of(double m) const noexcept;
    /// The representative magnitude of bucket @p index.
    [[nodiscard]] double magnitude_of(std::int32_t index) const noexcept;

    double alpha_;
    double gamma_;
    double inv_log_gamma_;  // 1 / ln γ: an index is ceil(ln m / ln γ)
    BucketStore negative_;  // magnitudes of the negative values
    BucketStore positive_;
    std::uint64_t zeros_ = 0;
    double min_ = 0;  // exact, so that q = 0 and q = 1 are exact and estimates stay in range
    double max_ = 0;
};

}  // namespace flowpool::detail
