#pragma once
// The `top` op's state: the n jobs with the largest `by` value (or the smallest, order: asc),
// kept in a bounded heap whose front is the worst kept job, so an add costs O(log n) and a job
// that would not be kept costs one comparison and no copy. Values rank as value_order.hpp says
// (numbers by value, strings bytewise); equal values rank by job id, the lower first, so the
// n kept and their order are the same whatever the worker count or the split of jobs. A job
// whose `by` is null is skipped (and counted).
//
// @code
// flowpool::detail::TopK<flowpool::Value> top(10, flowpool::detail::TopOrder::desc);
// if (top.would_keep(by, job_id)) top.add(by, job_id, job_value);
// worker_0.merge(std::move(worker_1));
// for (auto& entry : std::move(top).sorted()) emit(entry.payload);  // best first
// @endcode

#include <flowpool/value.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "ops/value_order.hpp"

namespace flowpool::detail {

/// Which end `top` keeps: desc the largest values (the default), asc the smallest.
enum class TopOrder { desc, asc };

/// The best n jobs by a value, with a payload each (see the file comment).
template <class Payload = Value>
class TopK {
public:
    /// A kept job.
    struct Entry {
        Value by;              ///< the value it ranks by
        std::uint64_t job_id;  ///< the job's id: the tie breaker
        Payload payload;       ///< what the op emits for it
    };

    /// Keeps at most @p n jobs, the largest (desc) or smallest (asc) by value.
    TopK(std::size_t n, TopOrder order) : n_(n), order_(order) {
        heap_.reserve(std::min<std::size_t>(n, 1024));  // n may be large and never reached
    }

    /// True if add(@p by, @p job_id, ...) would keep the job now: the caller may skip making
    /// its payload otherwise. Throws AggregateError for a value that cannot rank beside the
    /// kept ones; false for null.
    [[nodiscard]] bool would_keep(const Value& by, std::uint64_t job_id) const {
        if (by.is_null() || n_ == 0) return false;
        check_orderable(by, "top");
        if (heap_.empty()) return true;
        // Compared with the front even when there is room: a mixed type throws here, before
        // the heap is touched, so a failed job leaves it intact.
        const bool beats_worst = ranks_before(by, job_id, heap_.front().by, heap_.front().job_id);
        return heap_.size() < n_ || beats_worst;
    }

    /// Offers a job; true if kept (possibly dropping the worst kept one). A null @p by is
    /// skipped and counted in skipped().
    bool add(Value by, std::uint64_t job_id, Payload payload) {
        if (by.is_null()) ++skipped_;
        if (!would_keep(by, job_id)) return false;
        if (heap_.size() == n_) {
            std::pop_heap(heap_.begin(), heap_.end(), worse_last());
            heap_.pop_back();
        }
        heap_.push_back(Entry{std::move(by), job_id, std::move(payload)});
        std::push_heap(heap_.begin(), heap_.end(), worse_last());
        return true;
    }

    /// Offers every job @p other kept, and adds its skipped count; the same n and order.
    void merge(TopK other) {
        for (Entry& entry : other.heap_) {
            add(std::move(entry.by), entry.job_id, std::move(entry.payload));
        }
        skipped_ += other.skipped_;
    }

    /// The kept jobs, best first.
    [[nodiscard]] std::vector<Entry> sorted() && {
        std::sort_heap(heap_.begin(), heap_.end(), worse_last());
        return std::move(heap_);
    }

    /// How many jobs are kept.
    [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
    /// How many jobs were skipped for a null value.
    [[nodiscard]] std::uint64_t skipped() const noexcept { return skipped_; }

private:
    /// True if (a, a_id) ranks before (b, b_id): a better value, or an equal one and a lower id.
    [[nodiscard]] bool ranks_before(const Value& a, std::uint64_t a_id, const Value& b,
                                    std::uint64_t b_id) const {
        const std::weak_ordering order = compare_ordered(a, b, "top");
        if (order == 0) return a_id < b_id;
        return order_ == TopOrder::desc ? order > 0 : order < 0;
    }
    /// The heap's order: "x ranks before y", so that the front (the heap's largest) is the
    /// worst kept, and sort_heap puts the best first.
    [[nodiscard]] auto worse_last() const {
        return [this](const Entry& x, const Entry& y) {
            return ranks_before(x.by, x.job_id, y.by, y.job_id);
        };
    }

    std::size_t n_;
    TopOrder order_;
    std::vector<Entry> heap_;
    std::uint64_t skipped_ = 0;
};

}  // namespace flowpool::detail
