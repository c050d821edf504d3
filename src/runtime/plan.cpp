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

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <deque>
#include <functional>
#include <map>
#include <unordered_set>

#include <flowpool/detail/job_loop.hpp>

#include "batch_sizer.hpp"
#include "histogram.hpp"
#include "common/log.hpp"
#include "run_state.hpp"
#include "timed_job.hpp"
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
    Ticket(Limiter& limiter, NodeId source_id, SourceBody& source, std::uint64_t seq,
           std::size_t deliveries, std::atomic<std::size_t>& in_flight)
        : limiter_(limiter), source_id_(source_id), source_(source), seq_(seq),
          pending_(deliveries), in_flight_(in_flight), failures_(source.redelivers()) {
        in_flight_.fetch_add(1, std::memory_order_relaxed);
    }

    /// The source the batch came from.
    [[nodiscard]] NodeId source() const noexcept { return source_id_; }

    /// A batch of this ticket is about to go to @p n more nodes.
    void add(std::size_t n) noexcept { pending_.fetch_add(n, std::memory_order_relaxed); }

    /// One delivery was processed; the last one gives the place back.
    void done() {
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            source_.retired(seq_, failures_.take());
            in_flight_.fetch_sub(1, std::memory_order_relaxed);
            limiter_.decrementer().try_put(flow::continue_msg{});
        }
    }

    /// Where BatchContext::job_failed reports the jobs made from this ticket's batch.
    OriginFailures& failures() noexcept { return failures_; }

    static Ticket& of(const Batch& batch) { return *static_cast<Ticket*>(batch.ticket.get()); }

private:
    Limiter& limiter_;
    NodeId source_id_;
    SourceBody& source_;
    std::uint64_t seq_;
    std::atomic<std::size_t> pending_;
    std::atomic<std::size_t>& in_flight_;
    OriginFailures failures_;
};

struct Counters {
    std::atomic<std::uint64_t> in{0};
    std::atomic<std::uint64_t> out{0};
    std::atomic<std::uint64_t> filtered{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::uint64_t> skipped{0};
    std::atomic<std::uint64_t> dead_lettered{0};
    std::atomic<std::uint64_t> retries{0};
    std::atomic<std::uint64_t> redelivered{0};
    std::atomic<std::int64_t> busy_ns{0};
    std::atomic<std::uint64_t> batches{0};
    std::atomic<std::size_t> waiting{0};     // batches sent to the node and not yet started
    std::atomic<std::size_t> high_water{0};  // the most `waiting` reached
    std::atomic<std::uint64_t> traced{0};    // batches seen by the trace sampler
    DurationHistogram job_time;

    /// A batch was sent to the node.
    void queued() noexcept {
        const std::size_t now = waiting.fetch_add(1, std::memory_order_relaxed) + 1;
        std::size_t seen = high_water.load(std::memory_order_relaxed);
        while (now > seen && !high_water.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
        }
    }
    /// The node started a batch it was sent.
    void started() noexcept { waiting.fetch_sub(1, std::memory_order_relaxed); }

    void add(std::uint64_t jobs_in, std::uint64_t jobs_out, const BatchContext& ctx,
             std::chrono::nanoseconds busy) noexcept {
        constexpr auto relaxed = std::memory_order_relaxed;
        if (jobs_in != 0) {  // a source's last call makes nothing
            batches.fetch_add(1, relaxed);
            job_time.add(static_cast<double>(busy.count()) / static_cast<double>(jobs_in), jobs_in);
        }
        in.fetch_add(jobs_in, relaxed);
        out.fetch_add(jobs_out, relaxed);
        filtered.fetch_add(ctx.filtered(), relaxed);
        failed.fetch_add(ctx.failed(), relaxed);
        if (ctx.skipped() != 0) skipped.fetch_add(ctx.skipped(), relaxed);
        if (ctx.dead_lettered() != 0) dead_lettered.fetch_add(ctx.dead_lettered(), relaxed);
        if (ctx.retries() != 0) retries.fetch_add(ctx.retries(), relaxed);
        if (ctx.redelivered() != 0) redelivered.fetch_add(ctx.redelivered(), relaxed);
        busy_ns.fetch_add(busy.count(), relaxed);
    }
};

/// An ordered sink's waiting room: batches that arrived before their turn, per source. A
/// source's batch number `seq` is consumed once it arrived along every path from that source.
class Reorder {
public:
    /// @p paths[s]: how many paths lead from node s to the sink (0 for nodes that are not sources).
    explicit Reorder(std::vector<std::size_t> paths)
        : paths_(std::move(paths)), next_(paths_.size(), 0), held_(paths_.size()) {}

    /// Takes @p batch from @p source and calls @p consume on every batch whose turn has come.
    template <class Consume>
    void arrive(NodeId source, BatchPtr batch, Consume&& consume) {
        auto& held = held_[source];
        held[batch->seq].push_back(std::move(batch));
        for (auto it = held.find(next_[source]);
             it != held.end() && it->second.size() == paths_[source]; it = held.find(next_[source])) {
            for (const BatchPtr& ready : it->second) consume(ready);
            held.erase(it);
            ++next_[source];
        }
    }

private:
    std::vector<std::size_t> paths_;
    std::vector<std::uint64_t> next_;
    std::vector<std::map<std::uint64_t, std::vector<BatchPtr>>> held_;
};

/// Calls RunOptions::observer with fresh figures every observe_every, from a thread of its own,
/// until stopped (by stop() or the destructor).
class Observer {
public:
    Observer(const RunOptions& options, std::function<RunStats()> snapshot)
        : options_(options), snapshot_(std::move(snapshot)) {
        if (options_.observer) thread_ = std::thread([this] { loop(); });
    }
    ~Observer() { stop(); }
    Observer(const Observer&) = delete;
    Observer& operator=(const Observer&) = delete;

    void stop() {
        {
            const std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

private:
    void loop() {
        std::unique_lock lock(mutex_);
        const auto every = std::max(options_.observe_every, std::chrono::milliseconds(1));
        while (!wake_.wait_for(lock, every, [this] { return stopping_; })) {
            lock.unlock();
            try {
                options_.observer(snapshot_());
            } catch (...) {
                log().warn("the run's observer threw; it will not be called again");
                return;
            }
            lock.lock();
        }
    }

    const RunOptions& options_;
    std::function<RunStats()> snapshot_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

/// A small number naming the calling thread, for traces: 0, 1, 2, ... in order of first use.
unsigned thread_number() noexcept {
    static std::atomic<unsigned> next{0};
    thread_local const unsigned number = next.fetch_add(1, std::memory_order_relaxed);
    return number;
}

/// Reports every job of @p batch as failed with the exception in flight (a body failed whole).
void fail_batch(const Batch& batch, BatchContext& ctx) noexcept {
    for (const std::uint64_t id : batch.ids) report_current_exception(ctx, id);
}

/// Runs each job of @p in apart (timed_job.hpp), giving up on one that takes longer than the
/// node's timeout: that job fails as the node's policy says, with "timed out after N ms".
BatchPtr process_with_timeout(const std::shared_ptr<StageBody>& body, std::chrono::milliseconds timeout,
                              const OnError& policy, const BatchPtr& in, BatchContext& ctx) {
    BatchPtr out;
    for (std::size_t i = 0; i < in->size(); ++i) {
        const std::uint64_t id = in->ids[i];
        BatchPtr one = in->copy_job_at(i);
        if (!one) {
            ctx.job_failed(id, "timeout_ms needs a job type that can be copied");
            continue;
        }
        auto timed = TimedJob::start(body, one, std::string(ctx.node()), ctx.worker(), policy);
        std::optional<TimedJob::Outcome> outcome = timed->wait_for(timeout);
        if (!outcome) {
            const std::string message = "timed out after " + std::to_string(timeout.count()) + " ms";
            if (ctx.keeps_dead_letters()) {
                one->errors.assign(1, message);
                one->failed_node = std::string(ctx.node());
                ctx.add_dead_letters(one);
            } else {
                ctx.job_failed(id, message);
            }
            continue;
        }
        ctx.jobs_filtered(outcome->filtered);
        for (std::size_t n = 0; n < outcome->skipped; ++n) ctx.job_failed(id, "skipped");
        ctx.add_dead_letters(outcome->dead_letters);
        if (outcome->error) ctx.job_failed(id, outcome->error->reason());
        if (!outcome->out || outcome->out->size() == 0) continue;
        if (out) {
            out->append(*outcome->out);
        } else {
            out = outcome->out;
        }
    }
    if (out) out->derive_from(*in);
    return out;
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
        std::shared_ptr<StageBody> stage;  // shared with jobs run apart under a timeout
        std::unique_ptr<SinkBody> sink;
        std::vector<NodeId> successors;
        std::vector<NodeId> predecessors;
        OnError on_error;
        NodeId dead_letter = 0;     // resolved from on_error.dead_letter when the plan runs
        bool takes_dead_letters = false;
        std::size_t reorder_window = 0;  // sinks: 0 unordered, else consume in id order
        std::chrono::milliseconds timeout{0};  // functions and filters: 0 for none
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
    void resolve_dead_letters();
    std::vector<std::size_t> paths_to(NodeId sink) const;
    std::size_t batch_cap(NodeId source, std::size_t in_flight) const;
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

void Plan::set_on_error(NodeId node, OnError policy) {
    Impl::Node& n = impl_->nodes.at(node);
    if (policy.attempts < 1) {
        throw UsageError("node '" + n.name + "' must try each job at least once, not " +
                         std::to_string(policy.attempts) + " times");
    }
    if (policy.action == OnError::Action::dead_letter && policy.dead_letter.empty()) {
        throw UsageError("node '" + n.name + "' sends failed jobs to a dead-letter sink but names none");
    }
    n.on_error = std::move(policy);
}

void Plan::set_timeout(NodeId node, std::chrono::milliseconds timeout) {
    Impl::Node& n = impl_->nodes.at(node);
    if (!n.stage) throw UsageError("only a function or filter can have a timeout; '" + n.name + "' is not one");
    if (timeout.count() < 0) throw UsageError("node '" + n.name + "' has a negative timeout");
    n.timeout = timeout;
}

void Plan::set_ordered(NodeId node, std::size_t window) {
    Impl::Node& n = impl_->nodes.at(node);
    if (n.kind != NodeKind::sink) throw UsageError("only a sink can be ordered; '" + n.name + "' is not one");
    if (window == 0) throw UsageError("sink '" + n.name + "' needs a reorder window of at least 1");
    n.reorder_window = window;
}

void Plan::Impl::resolve_dead_letters() {
    for (Node& node : nodes) {
        if (node.on_error.action != OnError::Action::dead_letter) continue;
        const auto target = std::find_if(nodes.begin(), nodes.end(), [&](const Node& n) {
            return n.name == node.on_error.dead_letter;
        });
        if (target == nodes.end() || target->kind != NodeKind::sink) {
            throw UsageError("node '" + node.name + "' sends failed jobs to '" +
                             node.on_error.dead_letter + "', which is not a sink");
        }
        const std::type_index gives = node.source ? std::type_index(typeid(void))
                                      : node.stage ? node.stage->takes()
                                                   : node.sink->takes();
        const std::type_index takes = target->sink->takes();
        if (gives != typeid(void) && takes != typeid(void) && gives != takes) {
            throw UsageError("dead-letter sink '" + target->name + "' takes other jobs than node '" +
                             node.name + "' does");
        }
        node.dead_letter = static_cast<NodeId>(target - nodes.begin());
        target->takes_dead_letters = true;
    }
}

std::vector<std::size_t> Plan::Impl::paths_to(NodeId sink) const {
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

std::size_t Plan::Impl::batch_cap(NodeId source, std::size_t in_flight) const {
    // At most max_bytes a batch; and an ordered sink holds at most (in_flight - 1) batches of a
    // source: cap the batch so that these fit in its reorder window.
    std::size_t cap = BatchSizer::jobs_cap(nodes[source].source->job_bytes());
    for (NodeId id = 0; id < nodes.size(); ++id) {
        if (nodes[id].reorder_window == 0 || paths_to(id)[source] == 0) continue;
        cap = std::min(cap, std::max<std::size_t>(1, nodes[id].reorder_window / in_flight));
    }
    return cap;
}

void Plan::Impl::check_shape() const {
    bool any_source = false;
    for (const Node& node : nodes) {
        any_source = any_source || node.kind == NodeKind::source;
        if (node.kind != NodeKind::sink && node.successors.empty()) {
            throw UsageError("node '" + node.name + "' sends its jobs nowhere; end it in a sink");
        }
        if (node.kind != NodeKind::source && node.predecessors.empty() && !node.takes_dead_letters) {
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
    const std::size_t threads = default_workers();
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
        s.skipped = node.counters.skipped.load();
        s.dead_lettered = node.counters.dead_lettered.load();
        s.retries = node.counters.retries.load();
        s.redelivered = node.counters.redelivered.load();
        s.batches = node.counters.batches.load();
        s.queue_high_water = node.counters.high_water.load();
        s.job_time_p50 = node.counters.job_time.quantile(0.50);
        s.job_time_p90 = node.counters.job_time.quantile(0.90);
        s.job_time_p99 = node.counters.job_time.quantile(0.99);
        s.job_time_max = node.counters.job_time.max();
        if (node.source) s.expected_jobs = node.source->expected_jobs();
        if (node.source) s.input_bytes = node.source->input_bytes();
        if (node.source) s.input_bytes_done = node.source->input_bytes_done();
        s.busy = std::chrono::nanoseconds(node.counters.busy_ns.load());
        if (node.kind == NodeKind::source) stats.jobs_in += s.messages_in;
        if (node.kind == NodeKind::sink) stats.results_out += s.messages_out;
        stats.filtered += s.filtered;
        stats.failed += s.failed;
        stats.skipped += s.skipped;
        stats.dead_lettered += s.dead_lettered;
        stats.redelivered += s.redelivered;
        stats.nodes.push_back(std::move(s));
    }
    return stats;
}

RunResult Plan::run(const RunOptions& options) {
    Impl& impl = *impl_;
    if (impl.ran) throw UsageError("a pipeline runs once; build a new one to run again");
    impl.resolve_dead_letters();
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

    std::vector<std::unique_ptr<Reorder>> reorders;
    std::atomic<std::size_t> batches_in_flight{0};

    // A batch goes from @p node to each of its successors: count it in their queues.
    auto queue_on = [&impl](const Impl::Node& node) noexcept {
        for (const NodeId next : node.successors) impl.nodes[next].counters.queued();
    };

    // Sends @p ctx's dead letters, if any, to the failing node's dead-letter sink. Before the
    // batch they came from is marked done: they hold their source's place until consumed.
    auto send_dead_letters = [&in_port, &impl](const Impl::Node& node, const Batch& from,
                                               BatchContext& ctx) {
        BatchPtr letters = ctx.take_dead_letters();
        if (!letters) return;
        letters->derive_from(from);
        Ticket::of(from).add(1);
        impl.nodes[node.dead_letter].counters.queued();
        in_port[node.dead_letter]->try_put(letters);
    };

    // Hands one batch in RunOptions::trace_sample to RunOptions::trace.
    // (Jobs @p first_id and on, @p jobs of them: read before the body ran, which may reuse the batch.)
    auto trace = [&options, &batches_in_flight](Impl::Node& node, std::uint64_t first_id, std::size_t jobs,
                                                int worker, Clock::time_point start, Clock::time_point end) {
        if (options.trace == nullptr || jobs == 0) return;
        const std::uint64_t sample = std::max<std::uint64_t>(options.trace_sample, 1);
        if (node.counters.traced.fetch_add(1, std::memory_order_relaxed) % sample != 0) return;
        options.trace->span(Span{node.name, first_id, jobs, worker, thread_number(), start, end,
                                 batches_in_flight.load(std::memory_order_relaxed)});
    };

    for (NodeId id = 0; id < impl.nodes.size(); ++id) {
        Impl::Node& node = impl.nodes[id];
        switch (node.kind) {
            case NodeKind::source: {
                Limiter& limiter = *limiters.emplace_back(std::make_unique<Limiter>(graph, in_flight));
                const BatchSizer& sizer = sizers.emplace_back(
                    node.batch_size != 0 ? node.batch_size : options.batch_size,
                    impl.costs_below(id), impl.batch_cap(id, in_flight));
                auto body = [id, &node, &state, &limiter, &sizer, &queue_on, &trace, &batches_in_flight,
                             seq = std::uint64_t{0}](oneapi::tbb::flow_control& control) mutable {
                    BatchPtr batch;
                    if (!state.stop_requested()) {
                        BatchContext ctx(state, node.name, 0, &node.on_error);
                        const auto start = Clock::now();
                        try {
                            batch = node.source->next(sizer.next(), ctx);
                        } catch (...) {
                            // The body failed whole: blame the next job it would have made.
                            report_current_exception(ctx, node.counters.in.load());
                        }
                        const auto end = Clock::now();
                        const std::size_t passed = batch ? batch->size() : 0;
                        node.counters.add(passed + ctx.failed() + ctx.skipped(), passed, ctx, end - start);
                        if (batch && batch->size() != 0) trace(node, batch->ids.front(), batch->size(), 0, start, end);
                    }
                    if (!batch || batch->size() == 0) {
                        control.stop();
                        return BatchPtr{};
                    }
                    batch->seq = seq++;
                    batch->ticket = std::make_shared<Ticket>(limiter, id, *node.source, batch->seq,
                                                             node.successors.size(), batches_in_flight);
                    batch->shared = node.successors.size() > 1;
                    queue_on(node);
                    return batch;
                };
                InputNode& input = *inputs.emplace_back(std::make_unique<InputNode>(graph, body));
                flow::make_edge(input, limiter);
                out_port[id] = &limiter;
                break;
            }
            case NodeKind::function:
            case NodeKind::filter: {
                auto body = [&node, &state, &send_dead_letters, &queue_on, &trace](const BatchPtr& in) -> BatchPtr {
                    node.counters.started();
                    Ticket& ticket = Ticket::of(*in);
                    ticket.add(node.successors.size());
                    queue_on(node);
                    if (in->size() == 0) {
                        ticket.done();
                        return in;
                    }
                    // Read before process(): a body may reuse `in` for its output and shrink it.
                    const std::size_t received = in->size();
                    const std::uint64_t first_id = in->ids.front();
                    const int worker = node.slots.acquire();
                    BatchContext ctx(state, node.name, worker, &node.on_error);
                    ctx.track_origin(&ticket.failures());
                    const auto start = Clock::now();
                    BatchPtr out;
                    try {
                        out = node.timeout.count() > 0
                                  ? process_with_timeout(node.stage, node.timeout, node.on_error, in, ctx)
                                  : node.stage->process(in, ctx);
                    } catch (...) {
                        fail_batch(*in, ctx);
                    }
                    const auto end = Clock::now();
                    const auto busy = end - start;
                    node.slots.release(worker);
                    trace(node, first_id, received, worker, start, end);
                    if (!out) out = empty_like(*in);
                    if (out->size() != 0) out->shared = node.successors.size() > 1;
                    node.counters.add(received, out->size(), ctx, busy);
                    node.cost.add(busy, received);
                    send_dead_letters(node, *in, ctx);
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
                auto consume = [&node, &state, &send_dead_letters, &trace](const BatchPtr& in) {
                    if (in->size() == 0) {
                        Ticket::of(*in).done();
                        return;
                    }
                    const bool dead_letters = !in->errors.empty();
                    BatchContext ctx(state, node.name, 0, &node.on_error);
                    ctx.track_origin(&Ticket::of(*in).failures());
                    const auto start = Clock::now();
                    try {
                        node.sink->consume(in, ctx);
                    } catch (...) {
                        fail_batch(*in, ctx);
                    }
                    const auto end = Clock::now();
                    const auto busy = end - start;
                    trace(node, in->ids.front(), in->size(), 0, start, end);
                    // Dead letters written are not results: they were counted where they failed.
                    const std::size_t lost =
                        ctx.failed() + ctx.skipped() + ctx.dead_lettered() + ctx.redelivered();
                    node.counters.add(in->size(), dead_letters ? 0 : in->size() - lost, ctx, busy);
                    node.cost.add(busy, in->size());
                    send_dead_letters(node, *in, ctx);
                    Ticket::of(*in).done();
                };
                Reorder* reorder = nullptr;
                if (node.reorder_window != 0) {
                    reorder = reorders.emplace_back(std::make_unique<Reorder>(impl.paths_to(id))).get();
                }
                auto body = [consume, reorder, &node](const BatchPtr& in) {
                    node.counters.started();
                    if (reorder == nullptr || !in->errors.empty()) {
                        consume(in);
                    } else {
                        reorder->arrive(Ticket::of(*in).source(), in, consume);
                    }
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
    const auto elapsed = [start] {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
    };
    Observer observer(options, [&impl, &elapsed] { return impl.collect(elapsed()); });
    for (auto& input : inputs) input->activate();
    graph.wait_for_all();
    const auto wall = elapsed();
    observer.stop();

    for (Impl::Node& node : impl.nodes) {
        if (node.source) node.source->finish();
    }
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
    if (options.observer) {
        try {
            options.observer(result.stats);
        } catch (...) {
            log().warn("the run's observer threw at the end of the run");
        }
    }
    return result;
}

}  // namespace flowpool::detail
