#pragma once
/// @file value.hpp
/// What a job of a graph file carries: a 64-bit integer or a string.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace flowpool {

/// A job's payload in a graph file.
using Value = std::variant<std::int64_t, std::string>;

/// The type of the values an op takes or gives; `any` takes both (or passes on what it got).
enum class ValueType { integer, string, any };

/// `integer`, `string` or `any`.
[[nodiscard]] std::string_view to_string(ValueType type) noexcept;

}  // namespace flowpool
