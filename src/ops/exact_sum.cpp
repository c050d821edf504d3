#include "ops/exact_sum.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "ops/value_order.hpp"

namespace flowpool::detail {

namespace {

/// Adds @p x to the expansion @p partials, exactly (Shewchuk's grow-expansion).
void add_to(std::vector<double>& partials, double x, std::string_view what) {
    std::size_t kept = 0;
    for (double y : partials) {
        if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
        const double high = x + y;
        const double low = y - (high - x);  // exact: what high rounded off
        if (low != 0) partials[kept++] = low;
        x = high;
    }
    if (!std::isfinite(x)) throw AggregateError(std::string(what) + ": float sum overflows");
    partials.resize(kept);
    partials.push_back(x);
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

void ExactSum::add(double x, std::string_view what) {
    has_float_ = true;
    add_to(partials_, x, what);
}

void ExactSum::merge(const ExactSum& other, std::string_view what) {
    integers_ += other.integers_;
    has_float_ = has_float_ || other.has_float_;
    for (const double x : other.partials_) add_to(partials_, x, what);
}

bool ExactSum::fits_int64() const noexcept {
    return !has_float_ && integers_ >= std::numeric_limits<std::int64_t>::min() &&
           integers_ <= std::numeric_limits<std::int64_t>::max();
}

double ExactSum::as_double(std::string_view what) const {
    // The integer part goes in as doubles that are each exact: every step takes off the top 53
    // bits, so at most three steps for 128 bits.
    std::vector<double> all = partials_;
    for (Int128 rest = integers_; rest != 0;) {
        const auto top = static_cast<double>(rest);
        add_to(all, top, what);
        rest -= static_cast<Int128>(top);
    }
    return round_expansion(all);
}

}  // namespace flowpool::detail
