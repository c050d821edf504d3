#include "stage_node.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "timed_job.hpp"

namespace flowpool::detail {
namespace {

/// Runs each job of @p in apart (timed_job.hpp), giving up on one that takes longer than the
/// node's timeout: that job fails as the node's policy says, with "timed out after N ms".
BatchPtr process_with_timeout(const std::shared_ptr<StageBody>& body,
                              std::chrono::milliseconds timeout, const OnError& policy,
                              const BatchPtr& in, BatchContext& ctx) {
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
            const std::string message =
                "timed out after " + std::to_string(timeout.count()) + " ms";
            if (ctx.keeps_dead_letters()) {
                one->errors.assign(1, message);
                one->failed_node = std::string(ctx.node());
                ContextHooks::add_dead_letters(ctx, one);
            } else {
                ctx.job_failed(id, message);
            }
            continue;
        }
        ctx.jobs_filtered(outcome->filtered);
        ctx.jobs_merged(outcome->merged);
        ctx.jobs_made(outcome->made);
        for (std::size_t n = 0; n < outcome->skipped; ++n) ctx.job_failed(id, "skipped");
        ContextHooks::add_dead_letters(ctx, outcome->dead_letters);
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

/// A body passes on, or reports to @p ctx, every job it took and every job it made. One that
/// does not (a null batch for jobs it did not filter) breaks its contract: its jobs would vanish
/// from the run's accounting, so the run fails naming the node and the batch's first job.
void fail_lost_jobs(std::size_t received, std::uint64_t first_id, const BatchPtr& out,
                    BatchContext& ctx) {
    const std::size_t ended = (out ? out->size() : 0) + ctx.filtered() + ctx.merged() +
                              ctx.failed() + ctx.skipped() + ctx.dead_lettered() +
                              ctx.redelivered();
    const std::size_t owed = received + ctx.made();
    if (ended >= owed) return;
    const std::size_t lost = owed - ended;
    ContextHooks::lost_jobs(ctx, first_id, lost,
                            "the op's body lost " + std::to_string(lost) + " of a batch of " +
                                std::to_string(received) +
                                " jobs from this one: it neither passed them on nor reported "
                                "them filtered or failed");
}

/// The function_node's body. oneTBB calls it from up to the node's concurrency threads at once.
class StageNodeBody {
public:
    StageNodeBody(RunContext& run, PlanNode& node) : run_(run), node_(node) {}

    BatchPtr operator()(const BatchPtr& in) const {
        const RunningBatch running = node_.counters.started();
        Ticket& ticket = Ticket::of(*in);
        ticket.add(node_.successors.size());
        run_.sending(node_);
        // Jobs the source before this filter left out, as this node would have dropped them.
        const std::size_t prefiltered = std::exchange(in->prefiltered, 0);
        if (in->size() == 0 && prefiltered == 0) {
            node_.cost.ran_empty();
            run_.queue_on(node_);
            // A routing node has no edges: each successor still gets its batch of this one.
            if (!node_.routes.empty()) {
                for (const NodeId to : node_.successors) run_.in_port[to]->try_put(empty_like(*in));
                ticket.done();
                return nullptr;
            }
            ticket.done();
            return in;
        }
        // Read before process(): a body may reuse `in` for its output and shrink it.
        const std::size_t received = in->size() + prefiltered;
        // A batch whose jobs were all left out has no job to name: no trace span either.
        const std::uint64_t first_id = in->size() == 0 ? JobError::no_job : in->ids.front();
        const int worker = node_.slots.acquire(node_.concurrency);
        BatchContext ctx(run_.state, node_.name, worker, &node_.on_error);
        ContextHooks::track_origin(ctx, &ticket.failures());
        ctx.jobs_filtered(prefiltered);
        const auto start = Clock::now();
        if (!node_.routes.empty()) {
            const std::size_t sent = route(in, ctx);
            finish(in, ctx, start, worker, received, first_id, sent);
            return nullptr;  // a routing node has no edges: route() sent its batches
        }
        BatchPtr out = run_stage_body(node_, in, ctx);
        const auto end = Clock::now();
        const auto busy = end - start;
        node_.slots.release(worker);
        if (first_id != JobError::no_job) run_.trace(node_, first_id, received, worker, start, end);
        if (!out) out = empty_like(*in);
        // A batch passed on as it came stays shared if it was: a sibling branch still reads it.
        if (out->size() != 0 && !out->shared) out->shared = node_.successors.size() > 1;
        node_.counters.add(received, out->size(), ctx, busy);
        node_.cost.add(busy, received);
        run_.send_dead_letters(node_, *in, ctx);
        // Queued at the successors now that it goes to them, not while it ran here; and before
        // it goes, so that none can start it before it is counted.
        run_.queue_on(node_);
        ticket.done();
        return out;
    }

private:
    /// Sends each successor of a routing node its jobs of @p in (an empty batch if none, so
    /// that each still gets one batch per source batch); returns the jobs sent.
    std::size_t route(const BatchPtr& in, BatchContext& ctx) const {
        std::vector<BatchPtr> routed;
        try {
            routed = node_.stage->route(in, ctx);
        } catch (...) {
            fail_batch(*in, ctx);
            routed.clear();
        }
        std::vector<BatchPtr> to(node_.successors.size());
        std::size_t sent = 0;
        for (std::size_t t = 0; t < routed.size() && t < node_.routes.size(); ++t) {
            if (!routed[t] || routed[t]->size() == 0) continue;
            routed[t]->derive_from(*in);
            sent += routed[t]->size();
            to[node_.routes[t]] = std::move(routed[t]);
        }
        run_.queue_on(node_);
        for (std::size_t s = 0; s < to.size(); ++s) {
            if (!to[s]) to[s] = empty_like(*in);
            run_.in_port[node_.successors[s]]->try_put(to[s]);
        }
        return sent;
    }

    /// What every batch ends with, for a routing node (the others do it inline).
    void finish(const BatchPtr& in, BatchContext& ctx, Clock::time_point start, int worker,
                std::size_t received, std::uint64_t first_id, std::size_t sent) const {
        const auto end = Clock::now();
        node_.slots.release(worker);
        run_.trace(node_, first_id, received, worker, start, end);
        node_.counters.add(received, sent, ctx, end - start);
        node_.cost.add(end - start, received);
        run_.send_dead_letters(node_, *in, ctx);
        Ticket::of(*in).done();
    }

    RunContext& run_;
    PlanNode& node_;
};

}  // namespace

BatchPtr empty_like(const Batch& parent) {
    auto empty = std::make_shared<Batch>();
    empty->derive_from(parent);
    return empty;
}

BatchPtr run_stage_body(const PlanNode& node, const BatchPtr& in, BatchContext& ctx) {
    // Read before process(): a body may reuse `in` for its output and shrink it.
    const std::size_t received = in->size();
    const std::uint64_t first_id = received == 0 ? 0 : in->ids.front();
    BatchPtr out;
    try {
        out = node.timeout.count() > 0
                  ? process_with_timeout(node.stage, node.timeout, node.on_error, in, ctx)
                  : node.stage->process(in, ctx);
    } catch (...) {
        fail_batch(*in, ctx);
        return nullptr;
    }
    fail_lost_jobs(received, first_id, out, ctx);
    return out;
}

std::unique_ptr<StageNode> make_stage_node(flow::graph& graph, RunContext& run, NodeId id) {
    PlanNode& node = run.nodes[id];
    node.routes.clear();
    for (const std::string& target : node.stage->targets()) {
        const auto it = std::find_if(node.successors.begin(), node.successors.end(),
                                     [&](NodeId s) { return run.nodes[s].name == target; });
        if (it == node.successors.end()) {
            throw UsageError("node '" + node.name + "' routes jobs to '" + target +
                             "', but no edge leads there from it");
        }
        node.routes.push_back(static_cast<NodeId>(it - node.successors.begin()));
    }
    const std::size_t concurrency =
        node.concurrency == unlimited ? std::size_t{flow::unlimited} : node.concurrency;
    return std::make_unique<StageNode>(graph, concurrency, StageNodeBody(run, node));
}

}  // namespace flowpool::detail
