#pragma once
// Checking a graph file without loading its plugins (`validate --no-plugins`, `dot --no-plugins`):
// the ops its plugins would add are stood in for, so that everything else is checked and no code
// of theirs is run.

#include <flowpool/error.hpp>
#include <flowpool/graph.hpp>
#include <flowpool/ops.hpp>

#include <vector>

namespace flowpool::detail {

/// If @p graph lists plugins, adds to @p ops a stand-in for each op its nodes name that @p ops
/// lacks (taken to be a plugin's): of the node's kind, taking and giving any value, with every
/// parameter the nodes give it, unchecked. Its bodies cannot be made. Returns a note for each,
/// at the node that names it first. A graph without plugins gets none: its unknown ops stay
/// errors.
std::vector<ConfigError::Problem> add_plugin_stand_ins(const GraphSpec& graph, OpRegistry& ops);

}  // namespace flowpool::detail
