#include "ops/quantile_sketch.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace flowpool::detail {

namespace {

/// Magnitudes below this count as zero: below it ln() loses the precision the buckets need.
constexpr double smallest_magnitude = std::numeric_limits<double>::min();

}  // namespace

void BucketStore::add(std::int32_t index, std::uint64_t n) {
    if (counts_.empty()) {
        offset_ = index;
        counts_.assign(1, n);
        total_ = n;
        return;
    }
    if (index > highest()) {
        cover(offset_, index);
    } else if (index < offset_) {
        // Below the window's reach: counted in its lowest bucket (the collapse).
        index = std::max(index, highest() - max_buckets_ + 1);
        cover(index, highest());
    }
    counts_[static_cast<std::size_t>(index - offset_)] += n;
    total_ += n;
}

void BucketStore::cover(std::int32_t low, std::int32_t high) {
    const std::int32_t floor = high - max_buckets_ + 1;
    if (floor > offset_) {
        // The window moves up: the buckets below floor fold into floor.
        const auto folded = static_cast<std::size_t>(std::min(floor, highest() + 1) - offset_);
        const std::uint64_t sum = std::accumulate(
            counts_.begin(), counts_.begin() + static_cast<std::ptrdiff_t>(folded), 0ULL);
        counts_.erase(counts_.begin(), counts_.begin() + static_cast<std::ptrdiff_t>(folded));
        if (counts_.empty()) counts_.push_back(0);
        counts_.front() += sum;
        offset_ = floor;
        low = floor;
    }
    if (low < offset_) {
        counts_.insert(counts_.begin(), static_cast<std::size_t>(offset_ - low), 0);
        offset_ = low;
    }
    counts_.resize(static_cast<std::size_t>(high - offset_ + 1), 0);
}

void BucketStore::merge(const BucketStore& other) {
    if (other.empty()) return;
    // The highest first: it sets the window's top, so the rest widen it downwards only, once.
    add(other.highest(), other.count(other.highest()));
    for (std::int32_t i = other.lowest(); i < other.highest(); ++i) {
        if (const std::uint64_t n = other.count(i)) add(i, n);
    }
}

QuantileSketch::QuantileSketch(double alpha, std::int32_t max_buckets)
    : alpha_(alpha),
      gamma_((1 + alpha) / (1 - alpha)),
      inv_log_gamma_(1 / std::log(gamma_)),
      negative_(max_buckets),
      positive_(max_buckets) {
    if (!(alpha > 0 && alpha < 1))
        throw std::invalid_argument("quantile sketch: alpha not in (0, 1)");
    if (max_buckets < 1) throw std::invalid_argument("quantile sketch: max_buckets < 1");
}

std::int32_t QuantileSketch::index_of(double m) const noexcept {
    return static_cast<std::int32_t>(std::ceil(std::log(m) * inv_log_gamma_));
}

double QuantileSketch::magnitude_of(std::int32_t index) const noexcept {
    // The point of (γ^(i-1), γ^i] whose relative distance to both ends is α.
    return 2 * std::pow(gamma_, index) / (gamma_ + 1);
}

void QuantileSketch::add(double x) {
    if (count() == 0) {
        min_ = max_ = x;
    } else {
        min_ = std::min(min_, x);
        max_ = std::max(max_, x);
    }
    if (x >= smallest_magnitude) {
        positive_.add(index_of(x), 1);
    } else if (x <= -smallest_magnitude) {
        negative_.add(index_of(-x), 1);
    } else {
        ++zeros_;
    }
}

void QuantileSketch::merge(const QuantileSketch& other) {
    if (other.alpha_ != alpha_ || other.negative_.max_buckets() != negative_.max_buckets()) {
        throw std::invalid_argument("quantile sketch: merging sketches made differently");
    }
    if (other.count() == 0) return;
    if (count() == 0) {
        min_ = other.min_;
        max_ = other.max_;
    } else {
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
    }
    negative_.merge(other.negative_);
    positive_.merge(other.positive_);
    zeros_ += other.zeros_;
}

double QuantileSketch::quantile(double q) const {
    if (count() == 0) throw std::logic_error("quantile sketch: quantile of nothing");
    if (q <= 0) return min_;
    if (q >= 1) return max_;
    // The element of 0-based rank floor(rank) lies in the first bucket whose running count
    // exceeds rank; values in ascending order: negatives by falling magnitude, zeros, positives.
    const double rank = q * static_cast<double>(count() - 1);
    const auto in_range = [this](double x) { return std::clamp(x, min_, max_); };
    std::uint64_t seen = 0;
    if (!negative_.empty()) {
        for (std::int32_t i = negative_.highest(); i >= negative_.lowest(); --i) {
            seen += negative_.count(i);
            if (static_cast<double>(seen) > rank) return in_range(-magnitude_of(i));
        }
    }
    seen += zeros_;
    if (static_cast<double>(seen) > rank) return in_range(0);
    if (!positive_.empty()) {
        for (std::int32_t i = positive_.lowest(); i <= positive_.highest(); ++i) {
            seen += positive_.count(i);
            if (static_cast<double>(seen) > rank) return in_range(magnitude_of(i));
        }
    }
    return max_;
}

}  // namespace flowpool::detail
