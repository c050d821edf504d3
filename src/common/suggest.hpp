#pragma once
// "did you mean ...": the closest known name to a misspelt one.

#include <string>
#include <string_view>
#include <vector>

namespace flowpool::detail {

/// `; did you mean 'NAME'?` for the candidate closest to @p word, or "" if none is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace flowpool::detail
