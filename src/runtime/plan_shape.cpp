#include "plan_shape.hpp"

#include <algorithm>
#include <functional>
#include <string>
#include <typeindex>
#include <typeinfo>
#include <unordered_set>

namespace flowpool::detail {

void resolve_dead_letters(PlanNodes& nodes) {
    for (PlanNode& node : nodes) {
        if (node.on_error.action != OnError::Action::dead_letter) continue;
        const auto target = std::find_if(nodes.begin(), nodes.end(), [&](const PlanNode& n) {
            return n.name == node.on_error.dead_letter;
        });
        if (target == nodes.end() || target->kind != NodeKind::sink) {
            throw UsageError("node '" + node.name + "' sends failed jobs to '" +
                             node.on_error.dead_letter + "', which is not a sink");
        }
        const std::type_index gives = node.source  ? std::type_index(typeid(void))
                                      : node.stage ? node.stage->takes()
                                                   : node.sink->takes();
        const std::type_index takes = target->sink->takes();
        if (gives != typeid(void) && takes != typeid(void) && gives != takes) {
            throw UsageError("dead-letter sink '" + target->name +
                             "' takes other jobs than node '" + node.name + "' does");
        }
        node.dead_letter = static_cast<NodeId>(target - nodes.begin());
        target->takes_dead_letters = true;
    }
}

void check_shape(const PlanNodes& nodes) {
    bool any_source = false;
    for (const PlanNode& node : nodes) {
        any_source = any_source || node.kind == NodeKind::source;
        if (node.kind != NodeKind::sink && node.successors.empty()) {
            throw UsageError("node '" + node.name + "' sends its jobs nowhere; end it in a sink");
        }
        // (A body that takes its batches in order, StageBody::in_source_order, is one lane and
        // keeps its own state locked: a timeout only ends waiting for it.)
        if (node.key && node.timeout.count() > 0 && !node.stage->in_source_order()) {
            // A job given up on keeps running: it would run beside the next job of its key.
            throw UsageError("keyed node '" + node.name + "' cannot have a timeout");
        }
        if (node.key && !node.stage->targets().empty()) {
            throw UsageError("keyed node '" + node.name + "' cannot route jobs");
        }
        if (node.kind != NodeKind::source && node.predecessors.empty() &&
            !node.takes_dead_letters) {
            throw UsageError("node '" + node.name + "' receives no jobs");
        }
    }
    if (!any_source) throw UsageError("a pipeline needs a source");
}

std::vector<std::size_t> paths_to(const PlanNodes& nodes, NodeId sink) {
    // Paths from each node to the sink, counted in reverse topological order (the plan is acyclic:
    // connect() only links existing nodes, and graph files are checked for cycles).
    std::vector<std::size_t> paths(nodes.size(), 0);
    std::vector<bool> done(nodes.size(), false);
    std::function<std::size_t(NodeId)> count = [&](NodeId id) -> std::size_t {
        if (id == sink) return 1;
        if (done[id]) return paths[id];
        std::size_t total = 0;
        for (const NodeId next : nodes[id].successors) total += count(next);
        done[id] = true;
        return paths[id] = total;
    };
    std::vector<std::size_t> from_sources(nodes.size(), 0);
    for (NodeId id = 0; id < nodes.size(); ++id) {
        if (nodes[id].kind == NodeKind::source) from_sources[id] = count(id);
    }
    return from_sources;
}

std::vector<BatchSizer::Downstream> costs_below(const PlanNodes& nodes, NodeId source) {
    std::vector<BatchSizer::Downstream> costs;
    std::vector<NodeId> todo = nodes[source].successors;
    std::unordered_set<NodeId> seen;
    while (!todo.empty()) {
        const NodeId id = todo.back();
        todo.pop_back();
        if (!seen.insert(id).second) continue;
        costs.push_back({&nodes[id].cost, &nodes[id].counters.in});
        todo.insert(todo.end(), nodes[id].successors.begin(), nodes[id].successors.end());
    }
    return costs;
}

std::size_t batch_cap(const PlanNodes& nodes, NodeId source, std::size_t in_flight) {
    // At most max_bytes a batch; and an ordered sink holds at most (in_flight - 1) batches of a
    // source: cap the batch so that these fit in its reorder window.
    std::size_t cap = BatchSizer::jobs_cap(nodes[source].source->job_bytes());
    // And a node that asks for small batches (StageBody::most_jobs_a_batch) gets them.
    for (NodeId id = 0; id < nodes.size(); ++id) {
        const PlanNode& node = nodes[id];
        const std::size_t most = node.stage ? node.stage->most_jobs_a_batch() : 0;
        if ((node.reorder_window == 0 && most == 0) || paths_to(nodes, id)[source] == 0) continue;
        if (node.reorder_window != 0) {
            cap = std::min(cap, std::max<std::size_t>(1, node.reorder_window / in_flight));
        }
        if (most != 0) cap = std::min(cap, most);
    }
    return cap;
}

std::size_t default_in_flight(const PlanNodes& nodes) {
    // Enough batches to keep every worker and sink busy with one waiting behind each.
    const std::size_t threads = default_workers();
    std::size_t slots = 0;
    for (const PlanNode& node : nodes) {
        if (node.kind == NodeKind::source) continue;
        if (node.stage && node.stage->waits()) {  // each worker waits on a job of its own
            slots += std::min(node.concurrency, max_waiting_workers);
        } else {
            slots +=
                node.concurrency == unlimited ? threads : std::min(node.concurrency, 4 * threads);
        }
    }
    return 2 * slots + 2;
}

std::size_t run_threads(const PlanNodes& nodes) {
    const std::size_t cores = default_workers();
    std::size_t computing = 0;  // threads the nodes that compute (and sources that wait) can use
    std::size_t waiting = 0;    // a thread for each worker of a node whose jobs wait
    for (const PlanNode& node : nodes) {
        if (node.source) {
            if (node.source->waits()) ++computing;
            if (node.source->decodes()) computing += cores;  // decoded on any number of workers
        } else if (node.stage && node.stage->waits()) {
            waiting += std::min(node.concurrency, max_waiting_workers);
        } else if (node.stage) {
            computing += std::min(node.concurrency, cores);
        }
    }
    // Sinks and sources that do not wait run between the workers' batches, on their threads.
    return std::max<std::size_t>(1, std::min(computing, cores) + waiting);
}

std::vector<NodeId> topological_order(const PlanNodes& nodes) {
    std::vector<std::size_t> waiting(nodes.size());
    std::vector<NodeId> order;
    order.reserve(nodes.size());
    for (NodeId id = 0; id < nodes.size(); ++id) {
        waiting[id] = nodes[id].predecessors.size();
        if (waiting[id] == 0) order.push_back(id);
    }
    for (std::size_t next = 0; next < order.size(); ++next) {
        for (const NodeId to : nodes[order[next]].successors) {
            if (--waiting[to] == 0) order.push_back(to);
        }
    }
    return order;  // check_shape() refused cycles: every node is in it
}

}  // namespace flowpool::detail
