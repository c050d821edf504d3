#pragma once
// Integers written as text, read the same way everywhere: graph-file values, op parameters,
// Redis fields and URLs, and the parse_int op (which first trims spaces and a leading '+').

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flowpool::detail {

/// Why a text is not an integer of the type asked for.
enum class IntegerError {
    malformed,     ///< not an optional '-' (signed only) and decimal digits, or something after
    out_of_range,  ///< it starts with a number that the type cannot hold
};

/// All of @p text as a decimal 64-bit integer: an optional '-' then digits, nothing else (no
/// spaces, no '+'). Nothing if it is not one; then @p why, if given, says why.
[[nodiscard]] std::optional<std::int64_t> parse_integer(std::string_view text,
                                                        IntegerError* why = nullptr) noexcept;

/// All of @p text as a decimal unsigned 64-bit integer: digits, nothing else. Nothing if it is
/// not one; then @p why, if given, says why.
[[nodiscard]] std::optional<std::uint64_t> parse_unsigned(std::string_view text,
                                                          IntegerError* why = nullptr) noexcept;

/// The names in a comma-separated list (`host, status`), trimmed of spaces; empty ones dropped.
std::vector<std::string> split_names(const std::string& list);

}  // namespace flowpool::detail
