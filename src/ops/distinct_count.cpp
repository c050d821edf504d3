#include "ops/distinct_count.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace flowpool::detail {

namespace {

/// σ(x) = x + Σ_k x^(2^k)·2^(k-1), k ≥ 1: the correction for empty registers (Ertl, eq. 20).
double sigma(double x) {
    if (x == 1) return INFINITY;
    double y = 1;
    double z = x;
    for (double previous = -1; z != previous;) {
        x *= x;
        previous = z;
        z += x * y;
        y += y;
    }
    return z;
}

/// τ(x) = (1 - x - Σ_k (1 - x^(2^-k))²·2^-k) / 3, k ≥ 1: the correction for saturated
/// registers (Ertl, eq. 21).
double tau(double x) {
    if (x == 0 || x == 1) return 0;
    double y = 1;
    double z = 1 - x;
    for (double previous = -1; z != previous;) {
        x = std::sqrt(x);
        previous = z;
        y *= 0.5;
        z -= (1 - x) * (1 - x) * y;
    }
    return z / 3;
}

}  // namespace

HyperLogLog::HyperLogLog(int precision)
    : precision_(precision), registers_(std::size_t{1} << precision, 0) {
    if (precision < 4 || precision > 18) {
        throw std::invalid_argument("HyperLogLog: precision not in [4, 18]");
    }
}

void HyperLogLog::add_hash(std::uint64_t hash) noexcept {
    // The top bits pick the register; the rest give a rank: 1 + its leading zeros, at most
    // 65 - precision (when they are all zero).
    const auto index = static_cast<std::size_t>(hash >> (64 - precision_));
    const std::uint64_t rest = hash << precision_;
    const int max_rank = 65 - precision_;
    const int rank = rest == 0 ? max_rank : std::min(std::countl_zero(rest) + 1, max_rank);
    auto& slot = registers_[index];
    if (rank > slot) slot = static_cast<std::uint8_t>(rank);
}

void HyperLogLog::merge(const HyperLogLog& other) {
    if (other.precision_ != precision_) {
        throw std::invalid_argument("HyperLogLog: merging sketches of different precisions");
    }
    for (std::size_t i = 0; i < registers_.size(); ++i) {
        registers_[i] = std::max(registers_[i], other.registers_[i]);
    }
}

double HyperLogLog::estimate() const {
    // Ertl's improved raw estimator (Algorithm 6): from the histogram of register values.
    const int q = 64 - precision_;
    std::array<double, 66> histogram{};
    for (const std::uint8_t r : registers_) histogram[r] += 1;
    const auto m = static_cast<double>(registers_.size());
    if (histogram[0] == m) return 0;
    double z = m * tau(1 - histogram[static_cast<std::size_t>(q + 1)] / m);
    for (int k = q; k >= 1; --k) z = 0.5 * (z + histogram[static_cast<std::size_t>(k)]);
    z += m * sigma(histogram[0] / m);
    const double alpha_infinity = 1 / (2 * std::log(2.0));
    return alpha_infinity * m * m / z;
}

double HyperLogLog::standard_error(int precision) {
    return 1.04 / std::sqrt(static_cast<double>(std::size_t{1} << precision));
}

DistinctCounter::DistinctCounter(std::size_t exact_limit, int precision)
    : exact_limit_(exact_limit), precision_(precision) {
    if (precision < 4 || precision > 18) {
        throw std::invalid_argument("HyperLogLog: precision not in [4, 18]");
    }
}

DistinctCounter::DistinctCounter(const DistinctCounter& other)
    : exact_limit_(other.exact_limit_),
      precision_(other.precision_),
      table_(other.table_),
      size_(other.size_),
      sketch_(other.sketch_ ? std::make_unique<HyperLogLog>(*other.sketch_) : nullptr) {}

DistinctCounter& DistinctCounter::operator=(const DistinctCounter& other) {
    if (this != &other) *this = DistinctCounter(other);
    return *this;
}

void DistinctCounter::add_hash(std::uint64_t hash) {
    // 0 marks a free slot of the table; both modes see 1 instead, so that a value hashing to 0
    // lands in the same register however the values were split.
    if (hash == 0) hash = 1;
    if (sketch_) {
        sketch_->add_hash(hash);
        return;
    }
    insert_exact(hash);
    if (size_ > exact_limit_) switch_to_sketch();
}

void DistinctCounter::insert_exact(std::uint64_t hash) {
    if (2 * (size_ + 1) > table_.size()) {
        std::vector<std::uint64_t> old(std::max<std::size_t>(16, 2 * table_.size()), 0);
        old.swap(table_);
        size_ = 0;
        for (const std::uint64_t h : old) {
            if (h != 0) insert_exact(h);
        }
    }
    const std::size_t mask = table_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
        if (table_[i] == hash) return;
        if (table_[i] == 0) {
            table_[i] = hash;
            ++size_;
            return;
        }
    }
}

void DistinctCounter::switch_to_sketch() {
    sketch_ = std::make_unique<HyperLogLog>(precision_);
    for (const std::uint64_t h : table_) {
        if (h != 0) sketch_->add_hash(h);
    }
    std::vector<std::uint64_t>().swap(table_);
    size_ = 0;
}

void DistinctCounter::merge(const DistinctCounter& other) {
    if (other.exact_limit_ != exact_limit_ || other.precision_ != precision_) {
        throw std::invalid_argument("count_distinct: merging counters made differently");
    }
    if (other.sketch_) {
        if (!sketch_) switch_to_sketch();
        sketch_->merge(*other.sketch_);
        return;
    }
    for (const std::uint64_t h : other.table_) {
        if (h != 0) add_hash(h);
    }
}

std::uint64_t DistinctCounter::count() const {
    if (!sketch_) return size_;
    return static_cast<std::uint64_t>(std::llround(sketch_->estimate()));
}

}  // namespace flowpool::detail
