#pragma once
// The files a graph's sources read and its sinks write (their `path:`), checked against each
// other before the run.

#include <vector>

#include "op_params.hpp"
#include "resolve.hpp"

namespace flowpool::detail {

/// Reports, at the sink's `path:`, a sink that writes a file a source of the graph reads (the
/// run would read its own lines back, on and on) and two sinks that write one file (each would
/// write over the other's lines). Paths are compared as the file system resolves them; a
/// source's glob is matched against the sink's path.
void check_file_paths(const std::vector<ResolvedNode>& nodes, const ReportProblem& report);

}  // namespace flowpool::detail
