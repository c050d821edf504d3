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
    /// Adds a finite float. A running sum that passes the float range is kept as such: as_double()
    /// then throws (a later add cannot bring it back).
    void add(double x) noexcept;
    /// Adds everything @p other holds.
    void merge(const ExactSum& other) noexcept;

    /// True if a float was added (the sum is then a float).
    [[nodiscard]] bool has_float() const noexcept { return has_float_; }
    /// The integer sum, if only integers were added and it fits in int64.
    [[nodiscard]] bool fits_int64() const noexcept;
    /// The integer sum (meaningful when fits_int64()).
    [[nodiscard]] std::int64_t as_int64() const noexcept {
        return static_cast<std::int64_t>(integers_);
    }
    /// The float nearest the exact sum of everything added; throws AggregateError, naming
    /// @p what, if the running sum went past the float range.
    [[nodiscard]] double as_double(std::string_view what) const;

private:
    Int128 integers_ = 0;
    std::vector<double> partials_;  // non-overlapping, by increasing magnitude
    bool has_float_ = false;
    bool overflowed_ = false;  // the running sum went past the float range
};

}  // namespace flowpool::detail
