#pragma once
// Running a graph file's unit tests in-process: each case's sources named under `inputs` give
// the values written there instead of reading, and every sink writes its lines to memory instead
// of its file or standard output; what the sinks received is compared with what the case
// expects.

#include <flowpool/graph.hpp>
#include <flowpool/ops.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "test_file.hpp"

namespace flowpool::detail {

/// set_param() with every problem placed at @p where (a test case's `set:` entry) instead of
/// a `--set ASSIGNMENT` pseudo-file.
void set_param(GraphSpec& graph, std::string_view assignment, const SourceLocation& where);

/// What one case found.
struct CaseResult {
    bool passed = false;
    /// For a failure, what differs, a line each: `found: expected 1 line, received 2 (any
    /// order)` then `- LINE` (expected, not received) and `+ LINE` (received, not expected).
    std::vector<std::string> report;
};

/// The graph a test file names, read once with its plugins' ops, for each case to run.
class GraphUnderTest {
public:
    /// Reads the graph of @p tests and loads its plugins. Throws ConfigError (a graph file that
    /// cannot be read, a plugin that cannot be loaded).
    explicit GraphUnderTest(const TestFile& tests);

    /// Runs @p test with its inputs and overrides and compares what the sinks received. Throws
    /// ConfigError if the case does not fit the graph (an input for a node that is not a
    /// source, an expectation for one that is not a sink, a source left reading standard input)
    /// or the graph is invalid.
    [[nodiscard]] CaseResult run(const TestCase& test) const;

private:
    GraphSpec graph_;
    OpRegistry ops_;
};

}  // namespace flowpool::detail
