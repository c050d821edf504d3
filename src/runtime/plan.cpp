// The runtime: turns a Plan into one oneTBB flow graph and runs it.
//
//   input_node ─► limiter_node ─► function_node(concurrency, batch → batch) ─► ... ─► function_node(serial sink)
//        ▲             ▲                                                                   │
//        │             └────────── ticket released when a batch and all made from it retire┘
//   pulled only while the limiter has room: the source never runs ahead of the workers.
//
// Bodies never let an exception into oneTBB: a failed job is recorded in RunState and left out,
// the sources stop, and the jobs in flight run to the end. So wait_for_all() always returns.

#include <flowpool/detail/plan.hpp>

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/info.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <unordered_set>

#include <flowpool/detail/job_loop.hpp>

#include "batch_sizer.hpp"
#include "log.hpp"
#include "run_state.hpp"
#include "worker_slots.hpp"

namespace flowpool::detail {
namespace {

namespace flow = oneapi::tbb::flow;
using Clock = std::chrono::steady_clock;
using Limiter = flow::limiter_node<BatchPtr>;
using InputNode = flow::input_node<BatchPtr>;
using StageNode = flow::function_node<BatchPtr, BatchPtr>;  // a function or filter node
using SinkNode = flow::function_node<BatchPtr, flow::continue_msg>;

/// One place in a source's limiter, shared by a source batch and every batch made from it.
/// It counts the deliveries still to be processed: a node adds one per successor before it
/// passes a batch on, and takes one away when it has processed the batch it got; at zero the
/// place goes back to the limiter and the source hears that the batch retired. Counting, not
/// shared_ptr lifetime: oneTBB nodes keep copies of messages they passed on (input_node caches
/// its last item), which would hold places.
class Ticket {
public:
    Ticket(Limiter& limiter, SourceBody& source, std::uint64_t seq, std::size_t deliveries)
        : limiter_(limiter), source_(source), seq_(seq), pending_(deliveries) {}

    /// A batch of this ticket is about to go to @p n more nodes.
    void add(std::size_t n) noexcept { pending_.fetch_add(n, std::memory_order_relaxed); }

    /// One delivery was processed; the last one gives the place back.
    void done() {
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            source_.retired(seq_, !failed_.load(std::memory_order_relaxed));
            limiter_.decrementer().try_put(flow::continue_msg{});
        }
    }

    /// Set by BatchContext::job_failed for any job made from this ticket's batch.
    std::atomic<bool>& failed() noexcept { return failed_; }

    static Ticket& of(const Batch& batch) { return *static_cast<Ticket*>(batch.ticket.get()); }

private:
    Limiter& limiter_;
    SourceBody& source_;
    std::uint64_t seq_;
    std::atomic<std::size_t> pending_;
    std::atomic<bool> failed_{false};
};

struct Counters {
    std::atomic<std::uint64_t> in{0};
    std::atomic<std::uint64_t> out{0};
    std::atomic<std::uint64_t> filtered{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::int64_t> busy_ns{0};

    void add(std::uint64_t jobs_in, std::uint64_t jobs_out, const BatchContext& ctx,
             std::chrono::nanoseconds busy) noexcept {
        constexpr auto relaxed = std::memory_order_relaxed;
        in.fetch_add(jobs_in, relaxed);
        out.fetch_add(jobs_out, relaxed);
        filtered.fetch_add(ctx.filtered(), relaxed);
        failed.fetch_add(ctx.failed(), relaxed);
        busy_ns.fetch_add(busy.count(), relaxed);
    }
};

/// Reports every job of @p batch as failed with the exception in flight (a body failed whole).
void fail_batch(const Batch& batch, BatchContext& ctx) noexcept {
    for (const std::uint64_t id : batch.ids) report_current_exception(ctx, id);
}

/// An empty batch that carries @p parent's origin on, so order and tickets still advance.
BatchPtr empty_like(const Batch& parent) {
    auto empty = std::make_shared<Batch>();
    empty->derive_from(parent);
    return empty;
}

}  // namespace

struct Plan::Impl {
    struct Node {
        std::string name;
        NodeKind kind = NodeKind::function;
        std::size_t concurrency = 1;
        std::size_t batch_size = 0;
        std::unique_ptr<SourceBody> source;
        std::unique_ptr<StageBody> stage;
        std::unique_ptr<SinkBody> sink;
        std::vector<NodeId> successors;
        std::vector<NodeId> predecessors;
        Counters counters;
        JobCost cost;
        WorkerSlots slots;
    };

    std::deque<Node> nodes;  // deque: nodes never move once added
    bool ran = false;

    NodeId add(std::string name, NodeKind kind) {
        for (const Node& node : nodes) {
            if (node.name == name) throw UsageError("two nodes are named '" + name + "'");
        }
        if (ran) throw UsageError("cannot add node '" + name + "' to a pipeline that already ran");
        Node& node = nodes.emplace_back();
        node.name = std::move(name);
        node.kind = kind;
        return nodes.size() - 1;
    }

    void check_shape() const;
    std::vector<const JobCost*> costs_below(NodeId source) const;
    std::size_t default_in_flight() const;
    RunStats collect(std::chrono::nanoseconds wall) const;
};

Plan::Plan() : impl_(std::make_unique<Impl>()) {}
Plan::~Plan() = default;

NodeId Plan::add_source(std::string name, std::unique_ptr<SourceBody> body,
                        std::size_t batch_size) {
    const NodeId id = impl_->add(std::move(name), NodeKind::source);
    impl_->nodes[id].source = std::move(body);
    impl_->nodes[id].batch_size = batch_size;
    return id;
}

NodeId Plan::add_stage(std::string name, NodeKind kind, std::size_t concurrency,
                       std::unique_ptr<StageBody> body) {
    if (concurrency == 0) {
        throw UsageError("node '" + name + "' has concurrency 0; it must be at least 1");
    }
    const NodeId id = impl_->add(std::move(name), kind);
    impl_->nodes[id].stage = std::move(body);
    impl_->nodes[id].concurrency = concurrency;
    return id;
}

NodeId Plan::add_sink(std::string name, std::unique_ptr<SinkBody> body) {
    const NodeId id = impl_->add(std::move(name), NodeKind::sink);
    impl_->nodes[id].sink = std::move(body);
    return id;
}

void Plan::connect(NodeId from, NodeId to) {
    Impl::Node& a = impl_->nodes.at(from);
    Impl::Node& b = impl_->nodes.at(to);
    if (a.kind == NodeKind::sink) throw UsageError("sink '" + a.name + "' cannot send jobs on");
    if (b.kind == NodeKind::source) throw UsageError("source '" + b.name + "' cannot take jobs");
    a.successors.push_back(to);
    b.predecessors.push_back(from);
}

void Plan::Impl::check_shape() const {
    bool any_source = false;
    for (const Node& node : nodes) {
        any_source = any_source || node.kind == NodeKind::source;
        if (node.kind != NodeKind::sink && node.successors.empty()) {
            throw UsageError("node '" + node.name + "' sends its jobs nowhere; end it in a sink");
        }
        if (node.kind != NodeKind::source && node.predecessors.empty()) {
            throw UsageError("node '" + node.name + "' receives no jobs");
        }
    }
    if (!any_source) throw UsageError("a pipeline needs a source");
}

std::vector<const JobCost*> Plan::Impl::costs_below(NodeId source) const {
    std::vector<const JobCost*> costs;
    std::vector<NodeId> todo = nodes[source].successors;
    std::unordered_set<NodeId> seen;
    while (!todo.empty()) {
        const NodeId id = todo.back();
        todo.pop_back();
        if (!seen.insert(id).second) continue;
        costs.push_back(&nodes[id].cost);
        todo.insert(todo.end(), nodes[id].successors.begin(), nodes[id].successors.end());
    }
    return costs;
}

std::size_t Plan::Impl::default_in_flight() const {
    // Enough batches to keep every worker and sink busy with one waiting behind each.
    const auto threads = static_cast<std::size_t>(oneapi::tbb::info::default_concurrency());
    std::size_t slots = 0;
    for (const Node& node : nodes) {
        if (node.kind == NodeKind::source) continue;
        slots += node.concurrency == unlimited ? threads : std::min(node.concurrency, 4 * threads);
    }
    return 2 * slots + 2;
}

RunStats Plan::Impl::collect(std::chrono::nanoseconds wall) const {
    RunStats stats;
    stats.wall = wall;
    for (const Node& node : nodes) {
        NodeStats s;
        s.name = node.name;
        s.kind = node.kind;
        s.concurrency = node.concurrency;
        s.messages_in = node.counters.in.load();
        s.messages_out = node.counters.out.load();
        s.filtered = node.counters.filtered.load();
        s.failed = node.counters.failed.load();
        s.busy = std::chrono::nanoseconds(node.counters.busy_ns.load());
        if (node.kind == NodeKind::source) stats.jobs_in += s.messages_in;
        if (node.kind == NodeKind::sink) stats.results_out += s.messages_out;
        stats.filtered += s.filtered;
        stats.failed += s.failed;
        stats.nodes.push_back(std::move(s));
    }
    return stats;
}

RunResult Plan::run(const RunOptions& options) {
    Impl& impl = *impl_;
    if (impl.ran) throw UsageError("a pipeline runs once; build a new one to run again");
    impl.check_shape();
    impl.ran = true;

    RunState state;
    state.cancel_on(options.cancel);
    const std::size_t in_flight =
        options.max_in_flight != 0 ? options.max_in_flight : impl.default_in_flight();

    flow::graph graph;  // declared before the nodes: they are destroyed first
    std::vector<std::unique_ptr<InputNode>> inputs;
    std::vector<std::unique_ptr<Limiter>> limiters;
    std::vector<std::unique_ptr<StageNode>> stages;
    std::vector<std::unique_ptr<SinkNode>> sinks;
    std::vector<flow::sender<BatchPtr>*> out_port(impl.nodes.size(), nullptr);
    std::vector<flow::receiver<BatchPtr>*> in_port(impl.nodes.size(), nullptr);
    std::vector<BatchSizer> sizers;
    sizers.reserve(impl.nodes.size());

    for (NodeId id = 0; id < impl.nodes.size(); ++id) {
        Impl::Node& node = impl.nodes[id];
        switch (node.kind) {
            case NodeKind::source: {
                Limiter& limiter = *limiters.emplace_back(std::make_unique<Limiter>(graph, in_flight));
                const BatchSizer& sizer = sizers.emplace_back(
                    node.batch_size != 0 ? node.batch_size : options.batch_size,
                    impl.costs_below(id));
                auto body = [&node, &state, &limiter, &sizer, &options,
                             seq = std::uint64_t{0}](oneapi::tbb::flow_control& control) mutable {
                    BatchPtr batch;
                    if (!state.stop_requested()) {
                        BatchContext ctx(state, node.name, 0);
                        const auto start = Clock::now();
                        try {
                            batch = node.source->next(sizer.next(), ctx);
                        } catch (...) {
                            // The body failed whole: blame the next job it would have made.
                            report_current_exception(ctx, node.counters.in.load());
                        }
                        const std::size_t passed = batch ? batch->size() : 0;
                        node.counters.add(passed + ctx.failed(), passed, ctx, Clock::now() - start);
                    }
                    if (!batch || batch->size() == 0) {
                        control.stop();
                        return BatchPtr{};
                    }
                    batch->seq = seq++;
                    batch->ticket = std::make_shared<Ticket>(limiter, *node.source, batch->seq,
                                                             node.successors.size());
                    batch->shared = node.successors.size() > 1;
                    return batch;
                };
                InputNode& input = *inputs.emplace_back(std::make_unique<InputNode>(graph, body));
                flow::make_edge(input, limiter);
                out_port[id] = &limiter;
                break;
            }
            case NodeKind::function:
            case NodeKind::filter: {
                auto body = [&node, &state](const BatchPtr& in) -> BatchPtr {
                    Ticket& ticket = Ticket::of(*in);
                    ticket.add(node.successors.size());
                    if (in->size() == 0) {
                        ticket.done();
                        return in;
                    }
                    const int worker = node.slots.acquire();
                    BatchContext ctx(state, node.name, worker);
                    ctx.track_origin(&ticket.failed());
                    const auto start = Clock::now();
                    BatchPtr out;
                    try {
                        out = node.stage->process(in, ctx);
                    } catch (...) {
                        fail_batch(*in, ctx);
                    }
                    const auto busy = Clock::now() - start;
                    node.slots.release(worker);
                    if (!out) out = empty_like(*in);
                    if (out->size() != 0) out->shared = node.successors.size() > 1;
                    node.counters.add(in->size(), out->size(), ctx, busy);
                    node.cost.add(busy, in->size());
                    ticket.done();
                    return out;
                };
                const std::size_t concurrency =
                    node.concurrency == unlimited ? std::size_t{flow::unlimited} : node.concurrency;
                StageNode& stage =
                    *stages.emplace_back(std::make_unique<StageNode>(graph, concurrency, body));
                in_port[id] = &stage;
                out_port[id] = &stage;
                break;
            }
            case NodeKind::sink: {
                auto body = [&node, &state](const BatchPtr& in) {
                    if (in->size() == 0) {
                        Ticket::of(*in).done();
                        return flow::continue_msg{};
                    }
                    BatchContext ctx(state, node.name, 0);
                    ctx.track_origin(&Ticket::of(*in).failed());
                    const auto start = Clock::now();
                    try {
                        node.sink->consume(in, ctx);
                    } catch (...) {
                        fail_batch(*in, ctx);
                    }
                    const auto busy = Clock::now() - start;
                    node.counters.add(in->size(), in->size() - ctx.failed(), ctx, busy);
                    node.cost.add(busy, in->size());
                    Ticket::of(*in).done();
                    return flow::continue_msg{};
                };
                in_port[id] = sinks.emplace_back(std::make_unique<SinkNode>(graph, flow::serial, body)).get();
                break;
            }
        }
    }
    for (NodeId id = 0; id < impl.nodes.size(); ++id) {
        for (const NodeId to : impl.nodes[id].successors) flow::make_edge(*out_port[id], *in_port[to]);
    }

    log().debug("run started: {} nodes, {} batches in flight per source", impl.nodes.size(),
                in_flight);
    const auto start = Clock::now();
    for (auto& input : inputs) input->activate();
    graph.wait_for_all();
    const auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);

    for (Impl::Node& node : impl.nodes) {
        if (!node.sink) continue;
        try {
            node.sink->finish();
        } catch (...) {
            BatchContext ctx(state, node.name, 0);
            report_current_exception(ctx, node.counters.in.load());
            node.counters.failed.fetch_add(1);
        }
    }

    RunResult result{impl.collect(wall), state.error(),
                     options.cancel && options.cancel->load(std::memory_order_relaxed)};
    log().debug("run finished: {} jobs in, {} results out, {} failed, {:.3f} s",
                result.stats.jobs_in, result.stats.results_out, result.stats.failed,
                result.stats.wall_seconds());
    return result;
}

}  // namespace flowpool::detail
