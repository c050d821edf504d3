#pragma once
// A sink's node: the serial oneTBB function_node that hands batches to the sink's body.

#include <flowpool/detail/plan.hpp>

#include <memory>

#include "flow_nodes.hpp"
#include "reorder.hpp"
#include "run_context.hpp"

namespace flowpool::detail {

/// The serial function_node of sink @p id: hands each batch to the sink's body (through
/// @p reorder, in each source's order, if not null; dead letters never wait), counts and traces
/// it, and marks it done.
std::unique_ptr<SinkNode> make_sink_node(flow::graph& graph, RunContext& run, NodeId id,
                                         Reorder* reorder);

}  // namespace flowpool::detail
