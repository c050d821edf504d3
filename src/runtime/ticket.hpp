#pragma once
// In-flight tickets: how a source's batch holds its place in the source's limiter until the
// batch and every batch made from it retired.

#include <flowpool/detail/plan.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "flow_nodes.hpp"

namespace flowpool::detail {

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
        : limiter_(limiter),
          source_id_(source_id),
          source_(source),
          seq_(seq),
          pending_(deliveries),
          in_flight_(in_flight),
          failures_(source.redelivers()) {
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

    /// The ticket @p batch holds.
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

}  // namespace flowpool::detail
