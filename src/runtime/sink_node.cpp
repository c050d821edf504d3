#include "sink_node.hpp"

#include <atomic>
#include <cstddef>
#include <string>

namespace flowpool::detail {
namespace {

/// The function_node's body. oneTBB calls it from one thread at a time (the node is serial).
class SinkNodeBody {
public:
    SinkNodeBody(RunContext& run, PlanNode& node, Reorder* reorder)
        : run_(run), node_(node), reorder_(reorder) {}

    flow::continue_msg operator()(const BatchPtr& in) const {
        const RunningBatch running = node_.counters.started();
        if (reorder_ == nullptr || !in->errors.empty() || Ticket::of(*in).flushed()) {
            consume(in);
        } else {
            reorder_->arrive(Ticket::of(*in).source(), in,
                             [this](const BatchPtr& ready) { consume(ready); });
        }
        return flow::continue_msg{};
    }

private:
    /// Hands @p in to the sink's body, counts it, and marks it done.
    void consume(const BatchPtr& in) const {
        if (in->size() == 0) {
            node_.cost.ran_empty();
            Ticket::of(*in).done();
            return;
        }
        const bool dead_letters = !in->errors.empty();
        node_.last_id = in->ids.back();
        BatchContext ctx(run_.state, node_.name, 0, &node_.on_error);
        ContextHooks::track_origin(ctx, &Ticket::of(*in).failures());
        const auto start = Clock::now();
        try {
            node_.sink->consume(in, ctx);
        } catch (...) {
            fail_batch(*in, ctx);
        }
        const auto end = Clock::now();
        const auto busy = end - start;
        run_.trace(node_, in->ids.front(), in->size(), 0, start, end);
        // Dead letters written are not results: they were counted where they failed.
        const std::size_t lost =
            ctx.failed() + ctx.skipped() + ctx.dead_lettered() + ctx.redelivered();
        node_.counters.add(in->size(), dead_letters ? 0 : in->size() - lost, ctx, busy);
        if (dead_letters && lost != 0) unletter(in->failed_node, lost);
        node_.cost.add(busy, in->size());
        run_.send_dead_letters(node_, *in, ctx);
        Ticket::of(*in).done();
    }

    /// @p jobs dead letters of node @p from failed here: counted here (failed, skipped), they are
    /// not dead-lettered there, so that each job is counted once.
    void unletter(const std::string& from, std::size_t jobs) const {
        for (PlanNode& node : run_.nodes) {
            if (node.name == from) {
                node.counters.dead_lettered.fetch_sub(jobs, std::memory_order_relaxed);
                return;
            }
        }
    }

    RunContext& run_;
    PlanNode& node_;
    Reorder* reorder_;  // null: unordered
};

}  // namespace

std::unique_ptr<SinkNode> make_sink_node(flow::graph& graph, RunContext& run, NodeId id,
                                         Reorder* reorder) {
    return std::make_unique<SinkNode>(graph, flow::serial,
                                      SinkNodeBody(run, run.nodes[id], reorder));
}

}  // namespace flowpool::detail
