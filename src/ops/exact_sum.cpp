#include "ops/exact_sum.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "ops/value_order.hpp"

namespace flowpool::detail {

namespace {

/// Adds @p x to the expansion @p partials, exactly (Shewchuk's grow-expansion); false, with
/// @p partials of no more use, if the sum passes the float range.
bool add_to(std::vector<double>& partials, double x) noexcept {
    // The sum in extended precision first: past the float range, nothing is changed (almost
    // always: a sum this close to the edge may still overflow below, and then false is all
    // that counts).
    long double total = x;
    for (const double y : partials) total += y;
    if (!std::isfinite(static_cast<double>(total))) return false;
    std::size_t kept = 0;
    for (double y : partials) {
        if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
        const double high = x + y;
        const double low = y - (high - x);  // exact: what high rounded off
        if (low != 0) partials[kept++] = low;
        x = high;
    }
    if (!std::isfinite(x)) return false;
    partials.resize(kept);
    partials.push_back(x);
    return true;
}

/// The float nearest the exact sum of @p partials (math.fsum's final rounding).
double round_expansion(const std::vector<double>& partials) {
    std::size_t n = partials.size();
    if (n == 0) return 0;
    double high = partials[--n];
    double low = 0;
    while (n > 0) {
        const double x = high;
        const double y = partials[--n];
        high = x + y;
        low = y - (high - x);
        if (low != 0) break;
    }
    // Half-way cases: the partials below decide whether to round the other way.
    if (n > 0 && ((low < 0 && partials[n - 1] < 0) || (low > 0 && partials[n - 1] > 0))) {
        const double y = low * 2;
        const double x = high + y;
        if (y == x - high) high = x;
    }
    return high;
}

}  // namespace

void ExactSum::add(double x) noexcept {
    has_float_ = true;
    if (!overflowed_) overflowed_ = !add_to(partials_, x);
}

void ExactSum::merge(const ExactSum& other) noexcept {
    integers_ += other.integers_;
    has_float_ = has_float_ || other.has_float_;
    overflowed_ = overflowed_ || other.overflowed_;
    for (const double x : other.partials_) {
        if (overflowed_) break;
        overflowed_ = !add_to(partials_, x);
    }
}

bool ExactSum::fits_int64() const noexcept {
    return !has_float_ && integers_ >= std::numeric_limits<std::int64_t>::min() &&
           integers_ <= std::numeric_limits<std::int64_t>::max();
}

double ExactSum::as_double(std::string_view what) const {
    // The integer part goes in as doubles that are each exact: every step takes off the top 53
    // bits, so at most three steps for 128 bits.
    std::vector<double> all = partials_;
    bool in_range = !overflowed_;
    for (Int128 rest = integers_; rest != 0 && in_range;) {
        const auto top = static_cast<double>(rest);
        in_range = add_to(all, top);
        rest -= static_cast<Int128>(top);
    }
    if (!in_range) {
        throw AggregateError(std::string(what) +
                             ": the sum went past the float range (1.8e308) and cannot be told");
    }
    return round_expansion(all);
}

}  // namespace flowpool::detail
