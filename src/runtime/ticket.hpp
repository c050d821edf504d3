#pragma once
// In-flight tickets: how a source's batch holds its place in the source's limiter until the
// batch and every batch made from it retired.

#include <flowpool/detail/plan.hpp>
#include <flowpool/journal.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "flow_nodes.hpp"

namespace flowpool::detail {

/// One place in a source's limiter, shared by a source batch and every batch made from it; or,
/// for a batch a node made when it flushed (StageBody::flush), no place: only the count.
/// It counts the deliveries still to be processed: a node adds one per successor before it
/// passes a batch on, and takes one away when it has processed the batch it got; at zero the
/// place goes back to the limiter and the source hears that the batch retired. Counting, not
/// shared_ptr lifetime: oneTBB nodes keep copies of messages they passed on (input_node caches
/// its last item), which would hold places.
class Ticket {
public:
    /// The ticket of source batch @p seq, of @p jobs jobs: they are added to @p retired when the
    /// place goes back. @p repeats: where the run counts a job that ends the same way twice
    /// (OriginFailures). With @p journal (a run's), it hears of jobs @p ids of source @p name
    /// when the place goes back, with every failure on the way.
    Ticket(Limiter& limiter, NodeId source_id, SourceBody& source, std::uint64_t seq,
           std::size_t jobs, std::atomic<std::uint64_t>& retired, std::size_t deliveries,
           std::atomic<std::size_t>& in_flight, RepeatedEndings& repeats,
           RunJournal* journal = nullptr, std::string_view name = {},
           std::vector<std::uint64_t> ids = {})
        : limiter_(&limiter),
          source_id_(source_id),
          source_(&source),
          seq_(seq),
          jobs_(jobs),
          retired_(&retired),
          pending_(deliveries),
          in_flight_(in_flight),
          failures_(source.redelivers(), journal != nullptr, &repeats),
          journal_(journal),
          name_(name),
          ids_(std::move(ids)) {
        in_flight_.fetch_add(1, std::memory_order_relaxed);
    }

    /// The ticket of a batch node @p maker made when it flushed, going to @p deliveries nodes.
    Ticket(NodeId maker, std::size_t deliveries, std::atomic<std::size_t>& in_flight,
           RepeatedEndings& repeats)
        : source_id_(maker),
          pending_(deliveries),
          in_flight_(in_flight),
          failures_(false, false, &repeats) {
        in_flight_.fetch_add(1, std::memory_order_relaxed);
    }

    /// The source the batch came from (for a flushed batch: the node that made it).
    [[nodiscard]] NodeId source() const noexcept { return source_id_; }
    /// True for a batch a node made when it flushed: it has no place in a source's limiter and
    /// its ids are the node's own, so an ordered sink consumes it as it comes.
    [[nodiscard]] bool flushed() const noexcept { return source_ == nullptr; }

    /// A batch of this ticket is about to go to @p n more nodes.
    void add(std::size_t n) noexcept { pending_.fetch_add(n, std::memory_order_relaxed); }

    /// One delivery was processed; the last one gives the place back.
    void done() {
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::vector<FailedJob> failed = failures_.take();
            if (journal_ != nullptr) journal(failed);
            // A batch a body lost jobs of is not known to have ended: not retired, so a source
            // that acknowledges its input (a message queue) delivers all of it again.
            if (source_ != nullptr && !failures_.any_lost()) source_->retired(seq_, failed);
            // Ended either way (lost jobs fail the run). Release: who reads the count also sees
            // the figures of the batches it counts.
            if (retired_ != nullptr) retired_->fetch_add(jobs_, std::memory_order_release);
            in_flight_.fetch_sub(1, std::memory_order_relaxed);
            if (limiter_ != nullptr) limiter_->decrementer().try_put(flow::continue_msg{});
        }
    }

    /// Where BatchContext::job_failed reports the jobs made from this ticket's batch.
    OriginFailures& failures() noexcept { return failures_; }

    /// The ticket @p batch holds.
    static Ticket& of(const Batch& batch) { return *static_cast<Ticket*>(batch.ticket.get()); }

private:
    /// Tells the journal the batch's jobs finished: @p failed and the jobs dropped on the way.
    void journal(const std::vector<FailedJob>& failed) noexcept {
        std::vector<FailedJob> all = failures_.take_dropped();
        try {
            all.insert(all.end(), failed.begin(), failed.end());
        } catch (...) {
            // Out of memory: the failures that failed the run go unlisted.
        }
        // A job that failed once the run was stopping (interrupted: its program killed, or
        // never started) may not have had its chance: the batch is left out of the journal, and
        // a resumed run does all of it again. A failure before the stop (the one that stopped
        // a run under OnError::fail, or a failure limit) is journaled.
        // Nor is a batch a body lost jobs of (which ended is unknown).
        if (failures_.any_while_stopping() || failures_.any_lost()) return;
        journal_->finished(name_, ids_, all);
    }

    Limiter* limiter_ = nullptr;
    NodeId source_id_;
    SourceBody* source_ = nullptr;
    std::uint64_t seq_ = 0;
    std::size_t jobs_ = 0;                           // the source batch's jobs
    std::atomic<std::uint64_t>* retired_ = nullptr;  // null: a flushed batch, not counted
    std::atomic<std::size_t> pending_;
    std::atomic<std::size_t>& in_flight_;
    OriginFailures failures_;
    RunJournal* journal_ = nullptr;   // null: no journal
    std::string_view name_;           // the source's name, for the journal
    std::vector<std::uint64_t> ids_;  // the source batch's jobs, for the journal
};

}  // namespace flowpool::detail
