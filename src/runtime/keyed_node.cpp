#include "keyed_node.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "plan_shape.hpp"
#include "reorder.hpp"
#include "stage_node.hpp"

namespace flowpool::detail {
namespace {

/// What the lanes made of one batch, kept until the last lane is done with its part.
class Assembly {
public:
    /// For batch @p origin, split into @p parts parts over @p lanes lanes.
    Assembly(const Batch& origin, std::size_t lanes, std::size_t parts)
        : origin_(empty_like(origin)), made_(lanes), remaining_(parts) {}

    /// Keeps what lane @p lane made (null: nothing); true for the lane that added the last part.
    bool add(std::size_t lane, BatchPtr made) noexcept {
        made_[lane] = std::move(made);  // each lane writes its own element
        return remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1;
    }

    /// After the last add(): the jobs made, in id order, as one batch with the origin's place;
    /// if joining them throws, they fail in @p ctx and an empty batch is returned.
    BatchPtr joined(KeyBody& key, BatchContext& ctx) {
        std::vector<BatchPtr> parts;
        for (BatchPtr& made : made_) {
            if (made && made->size() != 0) parts.push_back(std::move(made));
        }
        BatchPtr out = origin_;
        try {
            if (parts.size() == 1) {
                out = parts.front();
            } else if (parts.size() > 1) {
                out = key.join(parts);
            }
        } catch (...) {
            for (const BatchPtr& part : parts) fail_batch(*part, ctx);
            out = origin_;
        }
        // The origin batch itself, passed on whole, already carries its origin and may be read
        // by a sibling branch: not written.
        if (out->ticket != origin_->ticket || out->seq != origin_->seq) out->derive_from(*origin_);
        return out;
    }

private:
    BatchPtr origin_;
    std::vector<BatchPtr> made_;
    std::atomic<std::size_t> remaining_;
};

/// A lane's message: one batch's jobs for it, and where what it makes of them goes.
struct LanePart {
    BatchPtr jobs;
    std::shared_ptr<Assembly> assembly;
};

/// A batch split by key, on its way from the splitter to the dispatcher: it carries its
/// origin's place, and each lane's part (null: none).
struct SplitBatch final : Batch {
    std::vector<BatchPtr> parts;
    std::size_t busy = 0;  // parts that are not null
};

/// Every batch whole to lane 0: a body that needs its batches in order, not its jobs spread.
class OneLane final : public KeyBody {
public:
    std::vector<BatchPtr> split(const BatchPtr& in, std::size_t lanes, BatchContext&) override {
        std::vector<BatchPtr> parts(lanes);
        parts.front() = in;
        return parts;
    }
    BatchPtr join(std::vector<BatchPtr>& parts) override { return parts.front(); }  // one part
};

using SplitterNode = flow::function_node<BatchPtr, BatchPtr>;
using DispatchNode = flow::function_node<BatchPtr, flow::continue_msg>;
using LaneNode = flow::function_node<LanePart, flow::continue_msg>;

}  // namespace

struct KeyedNode::Impl {
    Impl(RunContext& run_context, NodeId id)
        : run(run_context), node(run_context.nodes[id]), reorder(paths_to(run_context.nodes, id)) {}

    /// Passes @p out on to every successor, counted in its ticket.
    void pass_on(const BatchPtr& out) {
        Ticket::of(*out).add(node.successors.size());
        // A batch a one-lane body passed on as it came stays shared if it was (OneLane).
        if (out->size() != 0 && !out->shared) out->shared = node.successors.size() > 1;
        run.queue_on(node);
        for (const NodeId to : node.successors) run.in_port[to]->try_put(out);
    }

    BatchPtr split(const BatchPtr& in);
    void dispatch(const BatchPtr& batch);
    void run_lane(std::size_t lane, const LanePart& work);

    RunContext& run;
    PlanNode& node;
    Reorder reorder;  // used by the dispatcher alone
    std::unique_ptr<SplitterNode> splitter;
    std::unique_ptr<DispatchNode> dispatcher;
    std::vector<std::unique_ptr<LaneNode>> lanes;
};

// The splitter's work on one batch, concurrently with others: each job's key, its lane's part.
BatchPtr KeyedNode::Impl::split(const BatchPtr& in) {
    const RunningBatch running = node.counters.started();
    auto out = std::make_shared<SplitBatch>();
    out->derive_from(*in);
    if (in->size() == 0) {
        node.cost.ran_empty();
        return out;
    }
    BatchContext ctx(run.state, node.name, 0, &node.on_error);
    ContextHooks::track_origin(ctx, &Ticket::of(*in).failures());
    const auto start = Clock::now();
    try {
        out->parts = node.key->split(in, lanes.size(), ctx);
    } catch (...) {
        fail_batch(*in, ctx);
        out->parts.clear();
    }
    out->parts.resize(lanes.size());
    std::size_t kept = 0;
    for (BatchPtr& part : out->parts) {
        if (part && part->size() == 0) part.reset();
        if (!part) continue;
        kept += part->size();
        ++out->busy;
        if (part == in) continue;  // the batch whole: shared or not, as it came
        part->derive_from(*in);
        part->shared = false;
    }
    // The lanes count the jobs they get; the splitter those it left out, and its time.
    node.counters.add(0, 0, ctx, Clock::now() - start);
    node.counters.in.fetch_add(in->size() - std::min(kept, in->size()), std::memory_order_relaxed);
    run.send_dead_letters(node, *in, ctx);
    return out;
}

// The dispatcher's work on one split batch, in its source's order: each part to its lane.
void KeyedNode::Impl::dispatch(const BatchPtr& batch) {
    auto& split = static_cast<SplitBatch&>(*batch);
    Ticket& ticket = Ticket::of(split);
    if (split.busy == 0) {
        pass_on(empty_like(split));
        ticket.done();
        return;
    }
    auto assembly = std::make_shared<Assembly>(split, lanes.size(), split.busy);
    ticket.add(split.busy);
    for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
        if (split.parts[lane])
            lanes[lane]->try_put(LanePart{std::move(split.parts[lane]), assembly});
    }
    ticket.done();
}

// Lane @p lane's work on its part of one batch: the node's body, as a function node runs it.
void KeyedNode::Impl::run_lane(std::size_t lane, const LanePart& work) {
    const RunningBatch running(node.counters.running);
    const BatchPtr& in = work.jobs;
    Ticket& ticket = Ticket::of(*in);
    // Read before the body runs: it may reuse `in` for its output and shrink it.
    const std::size_t received = in->size();
    const std::uint64_t first_id = in->ids.front();
    const int worker = static_cast<int>(lane);
    BatchContext ctx(run.state, node.name, worker, &node.on_error);
    ContextHooks::track_origin(ctx, &ticket.failures());
    const auto start = Clock::now();
    BatchPtr out = run_stage_body(node, in, ctx);
    const auto end = Clock::now();
    run.trace(node, first_id, received, worker, start, end);
    node.counters.add(received, out ? out->size() : 0, ctx, end - start);
    node.cost.add(end - start, received);
    run.send_dead_letters(node, *in, ctx);
    if (work.assembly->add(lane, std::move(out))) {
        BatchContext join_ctx(run.state, node.name, worker, &node.on_error);
        ContextHooks::track_origin(join_ctx, &ticket.failures());
        BatchPtr joined = work.assembly->joined(*node.key, join_ctx);
        const std::size_t lost = join_ctx.failed() + join_ctx.skipped() + join_ctx.redelivered();
        if (lost != 0) {  // counted as made by their lanes: they failed after all
            node.counters.out.fetch_sub(lost, std::memory_order_relaxed);
            node.counters.add(0, 0, join_ctx, {});
        }
        pass_on(joined);
    }
    ticket.done();
}

std::unique_ptr<KeyBody> one_lane_key() { return std::make_unique<OneLane>(); }

KeyedNode::KeyedNode(flow::graph& graph, RunContext& run, NodeId id)
    : impl_(std::make_unique<Impl>(run, id)) {
    Impl& impl = *impl_;
    const std::size_t concurrency = impl.node.concurrency;
    const std::size_t lanes = concurrency == unlimited ? default_workers() : concurrency;
    for (std::size_t lane = 0; lane < lanes; ++lane) {
        impl.lanes.push_back(
            std::make_unique<LaneNode>(graph, flow::serial, [&impl, lane](const LanePart& work) {
                impl.run_lane(lane, work);
                return flow::continue_msg{};
            }));
    }
    impl.dispatcher =
        std::make_unique<DispatchNode>(graph, flow::serial, [&impl](const BatchPtr& split) {
            if (Ticket::of(*split).flushed()) {
                impl.dispatch(split);  // its ids are its maker's own: no order to wait for
            } else {
                impl.reorder.arrive(Ticket::of(*split).source(), split,
                                    [&impl](const BatchPtr& ready) { impl.dispatch(ready); });
            }
            return flow::continue_msg{};
        });
    impl.splitter = std::make_unique<SplitterNode>(
        graph, lanes, [&impl](const BatchPtr& in) { return impl.split(in); });
    flow::make_edge(*impl.splitter, *impl.dispatcher);
}

KeyedNode::~KeyedNode() = default;

flow::receiver<BatchPtr>& KeyedNode::input() { return *impl_->splitter; }

}  // namespace flowpool::detail
