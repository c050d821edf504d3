#pragma once
// The sum behind sum(E) and mean(E), exact whatever the order of the adds, so that partial sums
// kept per worker merge to the same result however the jobs were split:
// - integers add into a 128-bit integer (2^64 adds of the largest int64 cannot overflow it);
// - floats add into a list of non-overlapping partials (Shewchuk's expansion, as Python's
//   math.fsum), exact; the list stays short (rarely past 3, at most ~40 doubles).
// The result is the exact sum, rounded once: an integer if only integers were added and the sum
// fits in int64, else the float nearest the exact sum of all.

#include <cstdint>
#include <string_view>
#include <vector>

namespace flowpool::detail {

/// A 128-bit integer: a GCC and Clang extension, named so that -Wpedantic accepts it.
__extension__ using Int128 = __int128;

/// An exact sum of integers and finite floats (see the file comment).
class ExactSum {
public:
    /// Adds an integer.
    void add(std::int64_t n) noexcept { integers_ += n; }
    /// Adds a finite float; throws AggregateError, naming @p what, if the partial sums overflow.
    void add(double x, std::string_view what);
    /// Adds everything @p other holds.
    void merge(const ExactSum& other, std::string_view what);

    /// True if a float was added (the sum is then a float).
    [[nodiscard]] bool has_float() const noexcept { return has_float_; }
    /// The integer sum, if only integers were added and it fits in int64.
    [[nodiscard]] bool fits_int64() const noexcept;
    /// The integer sum (meaningful when fits_int64()).
    [[nodiscard]] std::int64_t as_int64() const noexcept {
        return static_cast<std::int64_t>(integers_);
    }
    /// The float nearest the exact sum of everything added.
    [[nodiscard]] double as_double(std::string_view what) const;

private:
    Int128 integers_ = 0;
    std::vector<double> partials_;  // non-overlapping, by increasing magnitude
    bool has_float_ = false;
};

}  // namespace flowpool::detail
