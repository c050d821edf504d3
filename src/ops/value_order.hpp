#pragma once
// The order min(E), max(E) and the `top` op rank values by: numbers by value (an integer and a
// float compared exactly, not through a rounding conversion), strings bytewise (lexicographic
// in UTF-8 code points). Anything else, a NaN, or a number beside a string is an AggregateError,
// which the op turns into the failure of the job that brought the value.

#include <flowpool/value.hpp>

#include <compare>
#include <stdexcept>
#include <string_view>

namespace flowpool::detail {

/// A value an aggregate (or `top`) cannot take: the message names the aggregate and the types,
/// such as "sum: expected a number, got string". The op fails the job with it.
class AggregateError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Throws AggregateError, prefixed with @p what ("max"), unless @p value is an integer, a float
/// that is not NaN, or a string.
void check_orderable(const Value& value, std::string_view what);

/// Compares two values that passed check_orderable(); a number and a string are an
/// AggregateError naming @p what. An integer and a float of the same value are equivalent.
[[nodiscard]] std::weak_ordering compare_ordered(const Value& a, const Value& b,
                                                 std::string_view what);

/// Compares an integer with a float that is not NaN, exactly.
[[nodiscard]] std::weak_ordering compare_numbers(std::int64_t a, double b) noexcept;

}  // namespace flowpool::detail
