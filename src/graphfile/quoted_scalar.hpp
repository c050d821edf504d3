#pragma once
// Where each byte of a quoted YAML scalar's value is written: the scalar read again from the
// file's text, through its escapes (`\t`, `\u00e9`, `''`) and folded lines, so that an error
// inside the value (an expression's, a format's) can name its line and column.

#include <flowpool/graph.hpp>

#include <cstddef>
#include <string_view>
#include <vector>

namespace flowpool::detail {

/// Where each byte of @p value is written in @p source, then where the closing quote is. @p value
/// is what the YAML parser read from the quoted scalar whose opening quote is byte @p quote of
/// @p source, at @p quote_place. Each byte an escape stands for is at the escape's first byte;
/// the space or line break a line fold stands for is at the end of the line folded. Empty if
/// @p quote is not a quote, or if reading the scalar again gives other text than @p value: the
/// places are then unknown, never wrong.
std::vector<TextPlace> quoted_scalar_places(std::string_view source, std::size_t quote,
                                            TextPlace quote_place, std::string_view value);

}  // namespace flowpool::detail
