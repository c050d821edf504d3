#pragma once
// Problems a reader of a graph or test file has collected, reported together.

#include <flowpool/error.hpp>

#include <algorithm>
#include <utility>
#include <vector>

namespace flowpool::detail {

/// Throws one ConfigError carrying every problem in @p problems, in file order (problems at one
/// place keep the order they were found in); returns when there is none.
inline void throw_problems(std::vector<ConfigError::Problem>& problems) {
    if (problems.empty()) return;
    std::stable_sort(problems.begin(), problems.end(), [](const auto& a, const auto& b) {
        return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
    });
    throw ConfigError(std::move(problems));
}

}  // namespace flowpool::detail
