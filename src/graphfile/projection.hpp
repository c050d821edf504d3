#pragma once
// Sources that read records read only the fields the nodes after them use.

#include <flowpool/graph.hpp>

#include <vector>

#include "resolve.hpp"

namespace flowpool::detail {

/// Sets the projection parameter (OpInfo::projection) of each source in @p nodes that leaves it
/// empty to the fields the nodes after it read, when every one of them says which it reads
/// (OpInfo::reads_fields), none passes failed jobs on as dead letters or logs them (both show a
/// job's value whole), and there is at least one: a `jsonl` source feeding `where .status >= 500`
/// then `aggregate` builds records of two or three fields instead of every field of each line.
void project_fields(std::vector<ResolvedNode>& nodes, const GraphSpec& graph);

}  // namespace flowpool::detail
