#pragma once
// JSON text for job values: integers as numbers, strings escaped, always valid JSON (and UTF-8)
// whatever bytes a string holds.

#include <flowpool/value.hpp>

#include <string>
#include <string_view>

namespace flowpool::detail {

/// Appends @p text as a JSON string, quotes included: `"` and `\` escaped, \n \r \t as such,
/// other control characters as \u00XX, and each maximal invalid UTF-8 subpart as U+FFFD (as
/// Unicode's "substitution of maximal subparts" and Python's `errors="replace"` do).
void append_json_string(std::string& out, std::string_view text);

/// Appends @p value as JSON: an integer as a number, a string as by append_json_string.
void append_json_value(std::string& out, const Value& value);

}  // namespace flowpool::detail
