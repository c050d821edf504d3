#pragma once
// A source's node: the oneTBB input_node that asks the source's body for batches.

#include <flowpool/detail/plan.hpp>

#include <memory>

#include "batch_sizer.hpp"
#include "flow_nodes.hpp"
#include "run_context.hpp"

namespace flowpool::detail {

/// The input_node of source @p id: pulled while @p limiter has room, it asks the source for a
/// batch of the size @p sizer says, numbers it, and gives it a Ticket for its place in
/// @p limiter. Stops once the source has no more or the run is stopping.
std::unique_ptr<InputNode> make_source_node(flow::graph& graph, RunContext& run, NodeId id,
                                            Limiter& limiter, const BatchSizer& sizer);

/// The function_node that runs source @p id's decode() on the workers, between its limiter and
/// its successors (SourceBody::decodes()).
std::unique_ptr<StageNode> make_decode_node(flow::graph& graph, RunContext& run, NodeId id);

}  // namespace flowpool::detail
