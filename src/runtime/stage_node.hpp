#pragma once
// A function or filter node: the oneTBB function_node that runs the node's body on batches.

#include <flowpool/detail/plan.hpp>

#include <memory>

#include "flow_nodes.hpp"
#include "run_context.hpp"

namespace flowpool::detail {

/// The function_node of function or filter @p id: up to its concurrency batches at once, each
/// run by the node's StageBody (each job on a thread of its own under a timeout), counted,
/// traced, its dead letters sent on; it passes on what the body made, or an empty batch that
/// carries the origin on.
std::unique_ptr<StageNode> make_stage_node(flow::graph& graph, RunContext& run, NodeId id);

/// Runs @p node's body on @p in (each job apart under a timeout); if the body throws, every job
/// of @p in fails and nullptr is returned.
BatchPtr run_stage_body(const PlanNode& node, const BatchPtr& in, BatchContext& ctx);

/// An empty batch that carries @p parent's origin on, so order and tickets still advance.
BatchPtr empty_like(const Batch& parent);

}  // namespace flowpool::detail
