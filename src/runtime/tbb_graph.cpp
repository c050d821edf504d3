#include "tbb_graph.hpp"

#include <flowpool/error.hpp>

#include <algorithm>
#include <string>

#include "context_hooks.hpp"
#include "plan_shape.hpp"
#include "sink_node.hpp"
#include "source_node.hpp"
#include "stage_node.hpp"

namespace flowpool::detail {

TbbGraph::TbbGraph(RunContext& run, std::size_t in_flight)
    : run_(run), in_flight_(in_flight), out_port_(run.nodes.size(), nullptr) {
    sizers_.reserve(run.nodes.size());
    for (NodeId id = 0; id < run.nodes.size(); ++id) {
        switch (run.nodes[id].kind) {
            case NodeKind::source:
                add_source(id);
                break;
            case NodeKind::function:
            case NodeKind::filter:
                add_stage(id);
                break;
            case NodeKind::sink:
                add_sink(id);
                break;
        }
    }
    for (NodeId id = 0; id < run.nodes.size(); ++id) {
        if (out_port_[id] == nullptr) continue;  // its bodies put its batches themselves
        for (const NodeId to : run.nodes[id].successors) {
            flow::make_edge(*out_port_[id], *run.in_port[to]);
        }
    }
}

void TbbGraph::activate() {
    for (auto& input : inputs_) input->activate();
}

void TbbGraph::add_source(NodeId id) {
    const PlanNode& node = run_.nodes[id];
    Limiter& limiter = *limiters_.emplace_back(std::make_unique<Limiter>(graph_, in_flight_));
    const BatchSizer& sizer = sizers_.emplace_back(
        node.batch_size != 0 ? node.batch_size : run_.options.batch_size,
        costs_below(run_.nodes, id), &node.counters.in, batch_cap(run_.nodes, id, in_flight_));
    InputNode& input = *inputs_.emplace_back(make_source_node(graph_, run_, id, limiter, sizer));
    flow::make_edge(input, limiter);
    out_port_[id] = &limiter;
    if (node.source->decodes()) {  // its jobs' values are made on the workers
        StageNode& decode = *stages_.emplace_back(make_decode_node(graph_, run_, id));
        flow::make_edge(limiter, decode);
        out_port_[id] = &decode;
    }
}

void TbbGraph::add_stage(NodeId id) {
    if (run_.nodes[id].key) {
        run_.in_port[id] =
            &keyed_.emplace_back(std::make_unique<KeyedNode>(graph_, run_, id))->input();
        return;
    }
    StageNode& stage = *stages_.emplace_back(make_stage_node(graph_, run_, id));
    run_.in_port[id] = &stage;
    if (run_.nodes[id].routes.empty()) out_port_[id] = &stage;  // routing: route() puts them
}

void TbbGraph::add_sink(NodeId id) {
    Reorder* reorder = nullptr;
    if (run_.nodes[id].reorder_window != 0) {
        reorder = reorders_.emplace_back(std::make_unique<Reorder>(paths_to(run_.nodes, id))).get();
    }
    run_.in_port[id] = sinks_.emplace_back(make_sink_node(graph_, run_, id, reorder)).get();
}

void TbbGraph::flush_held_back() {
    for (const NodeId id : topological_order(run_.nodes)) {
        const PlanNode& node = run_.nodes[id];
        if (!node.stage || !node.stage->holds_back()) continue;
        // A failed run's partial groups are not results; an interrupted run's are (the jobs
        // the stop failed unrun, after it, are in none of them).
        if (run_.state.failed_first()) return;
        flush(id);
        graph_.wait_for_all();
    }
}

// Sends what node @p id made from the jobs it held to its successors, under a ticket of its own.
void TbbGraph::flush(NodeId id) {
    PlanNode& node = run_.nodes[id];
    const int worker = node.slots.acquire(node.concurrency);
    BatchContext ctx(run_.state, node.name, worker, &node.on_error);
    const auto start = Clock::now();
    BatchPtr out;
    try {
        out = node.stage->flush(ctx);
    } catch (...) {
        // Counted at the node, as jobs a body lost are: the jobs it made before it threw go
        // nowhere, and a flush that made none fails the run all the same. Which jobs they were
        // is unknown: the failure names none.
        ContextHooks::lost_jobs(
            ctx, JobError::no_job, std::max<std::size_t>(ctx.made(), 1),
            "at the end of the run, when its window closed: " + current_exception_message());
    }
    const auto busy = Clock::now() - start;
    node.slots.release(worker);
    node.counters.add(0, out ? out->size() : 0, ctx, busy);
    if (!out || out->size() == 0) return;
    out->ticket =
        std::make_shared<Ticket>(id, node.successors.size(), run_.batches_in_flight, run_.repeats);
    out->shared = node.successors.size() > 1;
    run_.queue_on(node);
    for (const NodeId to : node.successors) run_.in_port[to]->try_put(out);
}

}  // namespace flowpool::detail
