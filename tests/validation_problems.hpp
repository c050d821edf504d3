#pragma once
// What validating a graph reports, for the tests that check graph-file errors by their text.

#include <flowpool/flowpool.hpp>

#include <string>

namespace flowpool::test {

/// What validating @p graph against @p ops reports (ConfigError::what(): a problem a line), or
/// @p valid if it passes.
inline std::string validation_problems(const flowpool::GraphSpec& graph,
                                       const flowpool::OpRegistry& ops, const std::string& valid) {
    try {
        flowpool::validate(graph, ops);
        return valid;
    } catch (const flowpool::ConfigError& e) {
        return e.what();
    }
}

}  // namespace flowpool::test
