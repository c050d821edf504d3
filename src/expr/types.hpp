#pragma once
// What an expression may give, as known when it is parsed: a set of value kinds. A field's value
// may be anything; a literal, an operator or a function narrows it. Used to reject `"a" - 1` and
// `lower(5)` before the run, and to say what a function takes.

#include <flowpool/value.hpp>

#include <cstdint>
#include <string>

namespace flowpool::expr {

/// A set of value kinds, one bit each.
using TypeSet = std::uint16_t;

inline constexpr TypeSet null_type = 1U << 0;
inline constexpr TypeSet bool_type = 1U << 1;
inline constexpr TypeSet int_type = 1U << 2;
inline constexpr TypeSet float_type = 1U << 3;
inline constexpr TypeSet string_type = 1U << 4;
inline constexpr TypeSet list_type = 1U << 5;
inline constexpr TypeSet record_type = 1U << 6;
inline constexpr TypeSet custom_type = 1U << 7;
inline constexpr TypeSet number_type = int_type | float_type;
inline constexpr TypeSet any_type = 0xff;

/// The kind of @p value as a one-bit set.
[[nodiscard]] TypeSet type_of(const Value& value) noexcept;

/// `integer`, `string or list`, `number`, `any value`: for messages.
[[nodiscard]] std::string describe(TypeSet types);

}  // namespace flowpool::expr
