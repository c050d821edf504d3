#pragma once
// What the operators do to values (values.cpp): arithmetic, equality, ordering. Each throws
// std::invalid_argument with the reason for values it refuses; the evaluator names the
// sub-expression.

#include <flowpool/value.hpp>

#include <cstdint>
#include <string_view>

#include "tree.hpp"

namespace flowpool::expr {

/// `an integer`, `a string`, `null`, ...: for messages.
[[nodiscard]] std::string_view article(const Value& value) noexcept;

/// Equality as `==` sees it: numbers by value, exactly (1 == 1.0; 2^53 + 1 != 2^53 as a float),
/// everything else as Value's ==.
[[nodiscard]] bool equal(const Value& a, const Value& b) noexcept;

/// Keys (aggregate groups, dedupe) are the same when `==` says so: with std::hash<Value>, which
/// hashes a float equal to an integer as the integer, the equality of an unordered container.
struct KeyEqual {
    bool operator()(const Value& a, const Value& b) const noexcept { return equal(a, b); }
};

/// The hash of @p value that `hash()` gives, before its top bit is dropped: the same from run to
/// run, equal values alike, spread in every bit (so that `% N` splits evenly).
[[nodiscard]] std::uint64_t stable_hash(const Value& value) noexcept;

/// @p out = a OP b for the arithmetic and ordering operators (`+ - * / %`, `< <= > >=`,
/// `== !=`). Null in arithmetic or ordering gives null.
void arithmetic(Op op, const Value& a, const Value& b, Value& out);

/// @p out = -a.
void negate(const Value& a, Value& out);

/// The string @p value holds; throws std::invalid_argument naming @p what if it holds none.
[[nodiscard]] const std::string& string_of(const Value& value, std::string_view what);

/// The number @p value holds, as a double; throws std::invalid_argument naming @p what if it holds
/// no number.
[[nodiscard]] double to_double(const Value& value, std::string_view what);

}  // namespace flowpool::expr
