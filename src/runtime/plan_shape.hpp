#pragma once
// What a run reads off the shape of a plan before it starts: whether it can run at all, and the
// figures that size its batches and its in-flight bound.

#include <flowpool/detail/plan.hpp>

#include <cstddef>
#include <vector>

#include "batch_sizer.hpp"
#include "plan_node.hpp"

namespace flowpool::detail {

/// Points every node whose OnError names a dead-letter sink at that sink; throws UsageError if
/// it is not a sink or takes other jobs than the node.
void resolve_dead_letters(PlanNodes& nodes);
/// Throws UsageError unless there is a source, every node but a sink sends its jobs somewhere,
/// every node but a source receives some, and no keyed node routes or has a timeout.
void check_shape(const PlanNodes& nodes);

/// Every node, each after all the nodes that send it jobs.
std::vector<NodeId> topological_order(const PlanNodes& nodes);
/// Per node: how many paths lead from it to @p sink, for sources; 0 for the other nodes.
std::vector<std::size_t> paths_to(const PlanNodes& nodes, NodeId sink);
/// The costs and received jobs of every node downstream of @p source: what its batch size is
/// chosen from.
std::vector<BatchSizer::Downstream> costs_below(const PlanNodes& nodes, NodeId source);
/// The most jobs in one batch of @p source when @p in_flight of its batches may be in flight.
std::size_t batch_cap(const PlanNodes& nodes, NodeId source, std::size_t in_flight);
/// Batches in flight per source when RunOptions::max_in_flight does not say.
std::size_t default_in_flight(const PlanNodes& nodes);

/// The most workers a node that waits (StageBody::waits) may have threads for.
inline constexpr std::size_t max_waiting_workers = 1024;

/// The threads a run needs: as many as its computing workers and waiting sources
/// (SourceBody::waits) can keep busy, at most the cores (a `concurrency: 1` worker gets one
/// thread, not a second that spins between its batches), plus a thread for each worker of a
/// node whose jobs wait (StageBody::waits), which would otherwise hold a core's thread while it
/// waits. At least one.
std::size_t run_threads(const PlanNodes& nodes);

}  // namespace flowpool::detail
