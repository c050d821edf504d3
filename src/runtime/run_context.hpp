#pragma once
// What the node bodies of one run share, and the steps every body takes around its batch:
// count it into its successors' queues, send its dead letters on, trace it.

#include <flowpool/detail/job_loop.hpp>
#include <flowpool/detail/plan.hpp>
#include <flowpool/detail/thread_number.hpp>
#include <flowpool/stats.hpp>
#include <flowpool/trace.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "context_hooks.hpp"
#include "flow_nodes.hpp"
#include "plan_node.hpp"
#include "ticket.hpp"

namespace flowpool::detail {

using Clock = std::chrono::steady_clock;

/// Reports every job of @p batch as failed with the exception in flight (a body failed whole).
inline void fail_batch(const Batch& batch, BatchContext& ctx) noexcept {
    for (const std::uint64_t id : batch.ids) report_current_exception(ctx, id);
}

/// One run of a plan, as its node bodies see it.
struct RunContext {
    RunContext(PlanNodes& plan_nodes, const RunOptions& run_options)
        : nodes(plan_nodes), options(run_options), in_port(plan_nodes.size(), nullptr) {
        state.cancel_on(options.cancel);
    }
    RunContext(const RunContext&) = delete;
    RunContext& operator=(const RunContext&) = delete;

    PlanNodes& nodes;
    const RunOptions& options;
    RunState state;                                  ///< failures and the stop flag
    RepeatedEndings repeats;                         ///< jobs that ended badly twice the same way
    std::vector<flow::receiver<BatchPtr>*> in_port;  ///< where each node takes batches
    std::atomic<std::size_t> batches_in_flight{0};   ///< source batches not yet retired

    /// A batch of @p node's is on its way to each of its successors: the sources' batch sizes
    /// wait for their first (JobCost::sent), so this is said as soon as a node starts one.
    void sending(const PlanNode& node) noexcept {
        for (const NodeId next : node.successors) nodes[next].cost.sent();
    }

    /// A batch goes from @p node to each of its successors now: count it in their queues.
    void queue_on(const PlanNode& node) noexcept {
        sending(node);
        for (const NodeId next : node.successors) nodes[next].counters.queued();
    }

    /// Sends @p ctx's dead letters, if any, to the failing node's dead-letter sink. Before the
    /// batch they came from is marked done: they hold their source's place until consumed.
    void send_dead_letters(const PlanNode& node, const Batch& from, BatchContext& ctx) {
        BatchPtr letters = ContextHooks::take_dead_letters(ctx);
        if (!letters) return;
        OriginFailures& origin = Ticket::of(from).failures();
        if (state.stop_requested()) origin.failed_while_stopping();
        for (std::size_t i = 0; i < letters->size(); ++i) {
            static_cast<void>(origin.ended(letters->ids[i], Ending::dead_lettered));
            if (i < letters->errors.size()) {
                origin.add_dropped(letters->ids[i], letters->failed_node, letters->errors[i]);
            }
        }
        letters->derive_from(from);
        Ticket::of(from).add(1);
        nodes[node.dead_letter].counters.queued();
        in_port[node.dead_letter]->try_put(letters);
    }

    /// Hands one batch in RunOptions::trace_sample to RunOptions::trace. (Jobs @p first_id and
    /// on, @p jobs of them: read before the body ran, which may reuse the batch.)
    void trace(PlanNode& node, std::uint64_t first_id, std::size_t jobs, int worker,
               Clock::time_point start, Clock::time_point end) {
        if (options.trace == nullptr || jobs == 0) return;
        const std::uint64_t sample = std::max<std::uint64_t>(options.trace_sample, 1);
        if (node.counters.traced.fetch_add(1, std::memory_order_relaxed) % sample != 0) return;
        options.trace->span(Span{node.name, first_id, jobs, worker, thread_number(), start, end,
                                 batches_in_flight.load(std::memory_order_relaxed)});
    }
};

}  // namespace flowpool::detail
