#pragma once
// A keyed function or filter (Plan::set_key): jobs with equal keys run on one lane, one at a
// time, in the order their source made them.
//
//                                                  ┌─► lane 0 (serial) ───┐
//   ─► splitter (N at once) ─► dispatcher (serial) ┼─► lane 1 (serial) ───┼─► each successor:
//      each job's key, one     each source's       └─► lane N-1 (serial) ─┘   one batch per batch
//      part per lane           batches in order      (the lane that finishes a batch's last
//                                                     part joins the parts, by id)
//
// oneTBB's serial function_node runs its queue in the order items were put (a FIFO
// item_buffer), so a lane runs its parts in the order the dispatcher handed them out.

#include <flowpool/detail/plan.hpp>

#include <memory>

#include "flow_nodes.hpp"
#include "run_context.hpp"

namespace flowpool::detail {

/// The key of a body that takes its batches in source order (StageBody::in_source_order):
/// every batch goes whole to lane 0, as it came (still `shared` if it is).
std::unique_ptr<KeyBody> one_lane_key();

/// The oneTBB nodes of keyed node @p id: a splitter, a dispatcher and one lane per unit of its
/// concurrency (`unlimited`: default_workers()). It has no oneTBB out-edges: it puts its batches
/// itself.
class KeyedNode {
public:
    KeyedNode(flow::graph& graph, RunContext& run, NodeId id);
    ~KeyedNode();
    KeyedNode(const KeyedNode&) = delete;
    KeyedNode& operator=(const KeyedNode&) = delete;

    /// Where the node takes batches.
    flow::receiver<BatchPtr>& input();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flowpool::detail
