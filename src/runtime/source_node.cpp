#include "source_node.hpp"

#include <cstddef>
#include <cstdint>
#include <flowpool/journal.hpp>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "context_hooks.hpp"

namespace flowpool::detail {
namespace {

/// The input_node's body. oneTBB calls it from one thread at a time.
class SourceNodeBody {
public:
    SourceNodeBody(RunContext& run, NodeId id, Limiter& limiter, const BatchSizer& sizer)
        : run_(run), node_(run.nodes[id]), id_(id), limiter_(limiter), sizer_(sizer) {}

    BatchPtr operator()(oneapi::tbb::flow_control& control) {
        BatchPtr batch;
        if (!run_.state.stop_requested()) batch = next();
        if (!batch || batch->size() == 0) {
            control.stop();
            return BatchPtr{};
        }
        batch->seq = seq_++;
        batch->ticket = ticket_for(*batch);
        batch->shared = node_.successors.size() > 1;
        run_.queue_on(node_);
        return batch;
    }

private:
    /// The place @p batch takes in the source's in-flight bound.
    std::shared_ptr<Ticket> ticket_for(const Batch& batch) const {
        RunJournal* const journal = run_.options.journal;
        return std::make_shared<Ticket>(
            limiter_, id_, *node_.source, batch.seq, batch.size(), node_.counters.retired,
            node_.successors.size(), run_.batches_in_flight, run_.repeats, journal, node_.name,
            journal != nullptr ? batch.ids : std::vector<std::uint64_t>{});
    }

    /// The source's next batch without the jobs the journal says an earlier run finished,
    /// counted and traced; nullptr or empty once it has no more.
    BatchPtr next() {
        for (;;) {
            bool made = false;
            BatchPtr batch = next_made(made);
            if (!made || (batch && batch->size() != 0) || run_.state.stop_requested()) {
                return batch;
            }
        }
    }

    /// The source's next batch, counted and traced; @p made says whether the source made any
    /// job (the journal may have left them all out).
    BatchPtr next_made(bool& made) {
        BatchPtr batch;
        BatchContext ctx(run_.state, node_.name, 0, &node_.on_error);
        // Jobs the source fails as it reads them (a line over max_line_bytes) are in no batch:
        // with a journal, they are journaled from here, so that a resumed run leaves them out.
        // Those an earlier run journaled are left out, as leave_out_finished() leaves out jobs.
        std::optional<OriginFailures> failed_here;
        if (run_.options.journal != nullptr) {
            failed_here.emplace(false, true, &run_.repeats);
            failed_here->leave_out(*run_.options.journal, node_.name);
            ContextHooks::track_origin(ctx, &*failed_here);
        }
        const auto start = Clock::now();
        std::size_t lost = 0;  // failed by an input that cannot be read
        try {
            batch = node_.source->next(sizer_.next(), ctx);
        } catch (const InputError&) {
            // The rest of the input is lost with no jobs to count it in: no policy for jobs
            // applies, and it fails the run. Blamed on the next job it would have made.
            BatchContext input_lost(run_.state, node_.name, 0);
            report_current_exception(input_lost, node_.counters.in.load());
            node_.counters.add(input_lost.failed(), 0, input_lost, {});
            lost = input_lost.failed();
        } catch (...) {
            // The body failed whole: blame the next job it would have made.
            report_current_exception(ctx, node_.counters.in.load());
        }
        if (failed_here) journal(*failed_here);
        made = batch && batch->size() != 0;
        if (made) leave_out_finished(*batch);
        const auto end = Clock::now();
        const std::size_t passed = batch ? batch->size() : 0;
        // A source that dead-letters jobs itself (a queue's own dead-letter stream) took them in:
        // they end there, counted as dead-lettered.
        std::size_t ended_here = ctx.failed() + ctx.skipped() + ctx.dead_lettered();
        node_.counters.add(passed + ended_here, passed, ctx, end - start);
        ended_here += lost;  // counted where it was caught
        // The jobs it failed to make ended here; the others when their batch retires (Ticket).
        node_.counters.retired.fetch_add(ended_here, std::memory_order_relaxed);
        if (batch && batch->size() != 0) {
            run_.trace(node_, batch->ids.front(), batch->size(), 0, start, end);
        }
        return batch;
    }

    /// Journals the jobs the source failed itself, as a batch's ticket journals its jobs.
    void journal(OriginFailures& failures) const noexcept {
        std::vector<FailedJob> all = failures.take_dropped();
        std::vector<std::uint64_t> ids;
        try {
            for (FailedJob& job : failures.take()) all.push_back(std::move(job));
            ids.reserve(all.size());
            for (const FailedJob& job : all) ids.push_back(job.id);
        } catch (...) {
            return;  // out of memory: left out of the journal, and done again by a resumed run
        }
        if (ids.empty() || failures.any_while_stopping()) return;
        run_.options.journal->finished(node_.name, ids, all);
    }

    /// Drops the jobs of @p batch that the run's journal says an earlier run finished.
    void leave_out_finished(Batch& batch) const {
        const RunJournal* journal = run_.options.journal;
        if (journal == nullptr) return;
        std::vector<bool> kept(batch.size());
        std::size_t left = 0;
        for (std::size_t i = 0; i < kept.size(); ++i) {
            kept[i] = !journal->skips(node_.name, batch.ids[i]);
            left += kept[i] ? 1 : 0;
        }
        if (left != batch.size()) batch.keep(kept);
    }

    RunContext& run_;
    PlanNode& node_;
    NodeId id_;
    Limiter& limiter_;
    const BatchSizer& sizer_;
    std::uint64_t seq_ = 0;
};

/// The body of a decoding source's second half: it turns what the source read into the jobs'
/// values on the workers, under the source node's name, counters and policy. oneTBB calls it
/// from any number of threads at once.
class DecodeNodeBody {
public:
    DecodeNodeBody(RunContext& run, PlanNode& node) : run_(run), node_(node) {}

    BatchPtr operator()(const BatchPtr& in) const {
        if (in->size() == 0) return in;
        const std::size_t received = in->size();
        in->shared = false;  // the limiter sends it here alone
        BatchContext ctx(run_.state, node_.name, 0, &node_.on_error);
        ContextHooks::track_origin(ctx, &Ticket::of(*in).failures());
        const auto start = Clock::now();
        BatchPtr out;
        try {
            out = node_.source->decode(in, ctx);
        } catch (...) {
            fail_batch(*in, ctx);
        }
        const auto busy = Clock::now() - start;
        if (!out) {
            out = std::make_shared<Batch>();
            out->derive_from(*in);
        }
        out->shared = node_.successors.size() > 1;
        // next() counted every job it made as passed on: take back those that failed here (the
        // jobs left out for the filter after it to count as dropped were passed on).
        node_.counters.add(0, 0, ctx, busy);
        node_.counters.out.fetch_sub(received - out->size() - out->prefiltered,
                                     std::memory_order_relaxed);
        run_.send_dead_letters(node_, *in, ctx);
        return out;
    }

private:
    RunContext& run_;
    PlanNode& node_;
};

}  // namespace

std::unique_ptr<StageNode> make_decode_node(flow::graph& graph, RunContext& run, NodeId id) {
    return std::make_unique<StageNode>(graph, flow::unlimited, DecodeNodeBody(run, run.nodes[id]));
}

std::unique_ptr<InputNode> make_source_node(flow::graph& graph, RunContext& run, NodeId id,
                                            Limiter& limiter, const BatchSizer& sizer) {
    return std::make_unique<InputNode>(graph, SourceNodeBody(run, id, limiter, sizer));
}

}  // namespace flowpool::detail
