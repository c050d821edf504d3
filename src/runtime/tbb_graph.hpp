#pragma once
// The one oneTBB flow graph a run of a Plan builds (the picture is in plan.cpp).

#include <cstddef>
#include <memory>
#include <vector>

#include "batch_sizer.hpp"
#include "flow_nodes.hpp"
#include "keyed_node.hpp"
#include "reorder.hpp"
#include "run_context.hpp"

namespace flowpool::detail {

/// A oneTBB node per plan node (a source gets an input_node and its limiter), an edge per plan
/// edge, and what the node bodies use: batch sizers, reorder buffers.
class TbbGraph {
public:
    /// Builds the graph of @p run's nodes; each source may have @p in_flight batches in flight.
    TbbGraph(RunContext& run, std::size_t in_flight);
    TbbGraph(const TbbGraph&) = delete;
    TbbGraph& operator=(const TbbGraph&) = delete;

    /// Starts the sources.
    void activate();
    /// Returns once every batch made retired. Bodies never let an exception into oneTBB, so
    /// this always returns.
    void wait() { graph_.wait_for_all(); }
    /// After wait(): flushes each node that holds jobs back (StageBody::holds_back), in the
    /// order jobs flow, sending what it made on and waiting for it, so that a node flushes only
    /// once everything the nodes before it flushed has reached it. Skipped if the run failed.
    void flush_held_back();

private:
    void add_source(NodeId id);
    void add_stage(NodeId id);
    void add_sink(NodeId id);
    void flush(NodeId id);

    RunContext& run_;
    std::size_t in_flight_;
    flow::graph graph_;  // declared before the nodes: they are destroyed first
    std::vector<std::unique_ptr<InputNode>> inputs_;
    std::vector<std::unique_ptr<Limiter>> limiters_;
    std::vector<std::unique_ptr<StageNode>> stages_;
    std::vector<std::unique_ptr<KeyedNode>> keyed_;
    std::vector<std::unique_ptr<SinkNode>> sinks_;
    std::vector<flow::sender<BatchPtr>*> out_port_;  // where each node sends batches; null:
                                                     // its bodies put them (routing, keyed)
    std::vector<BatchSizer> sizers_;                 // reserved: sources refer to theirs
    std::vector<std::unique_ptr<Reorder>> reorders_;
};

}  // namespace flowpool::detail
