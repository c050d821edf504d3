#pragma once
/// @file graph_file_target.hpp
/// What the graph-file fuzzer does with one input, shared with the regression test that replays
/// every input the fuzzer ever crashed on (tests/data/fuzz_regressions/).

#include <flowpool/error.hpp>
#include <flowpool/graph.hpp>
#include <flowpool/ops.hpp>

#include <string>
#include <string_view>

namespace flowpool::fuzz {

/// Loads @p text as a graph file, validates it against the built-in ops and, if it is valid, draws
/// it as DOT and Mermaid. ConfigError and UsageError are the expected answers to bad text and are
/// swallowed; anything else (another exception, a crash, a sanitizer report) is a bug and escapes.
inline void load_and_validate(std::string_view text) {
    static const OpRegistry ops;
    try {
        const GraphSpec graph = parse_graph(text, "fuzz.yaml");
        validate(graph, ops);
        static_cast<void>(to_dot(graph, ops));
        static_cast<void>(to_mermaid(graph, ops));
    } catch (const ConfigError&) {
    } catch (const UsageError&) {
    }
}

}  // namespace flowpool::fuzz
