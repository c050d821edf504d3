#pragma once
/// @file detail/batch.hpp
/// The unit that moves between nodes: a batch of consecutive jobs, type-erased for the runtime.

#include <flowpool/detail/spare_lanes.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace flowpool::detail {

/// The work one batch should carry: big enough that the runtime's fixed cost per batch (a task, a
/// few locks) is lost in it, small enough that workers stay balanced and jobs do not wait long
/// for their batch to fill (the batch sizer, src/runtime/batch_sizer.hpp).
inline constexpr std::chrono::nanoseconds batch_work{100'000};

/// A batch of jobs as the runtime sees it: their ids, where the batch came from, and the
/// in-flight ticket that is handed back to its source once every batch derived from it retired.
/// A Batch that is not an Items<T> is empty: it only carries its origin on.
struct Batch {
    virtual ~Batch() = default;

    std::vector<std::uint64_t> ids;  ///< job ids, ascending within a batch
    std::uint64_t seq = 0;           ///< the batch's number at its source, from 0
    std::shared_ptr<void>
        ticket;  ///< the place it holds, with all made from it, in its source's in-flight bound
    /// Set by the runtime when the batch went to several nodes: then bodies copy its jobs
    /// instead of moving them. (A use count cannot tell: oneTBB briefly keeps copies.)
    bool shared = false;
    /// Set in dead letters only: why each job failed (parallel to `ids`), and where.
    std::vector<std::string> errors;
    std::string failed_node;  ///< dead letters: the node whose policy sent them
    /// The file its jobs were read from, when a source that reads files made it (a batch's jobs
    /// come from one file); formats show it as `{file}`.
    std::shared_ptr<const std::string> file;
    /// Jobs made with this batch's that are not in it: a source that tests the condition of the
    /// filter after it first (a `jsonl` source before a `where`) leaves out the jobs the filter
    /// would drop, and the filter counts them as taken and dropped. Not carried to batches made
    /// from this one.
    std::size_t prefiltered = 0;

    /// Jobs in the batch.
    [[nodiscard]] std::size_t size() const noexcept { return ids.size(); }

    /// A new batch holding a copy of job @p i alone, or nullptr if its type cannot be copied.
    [[nodiscard]] virtual std::shared_ptr<Batch> copy_job_at(std::size_t i) const {
        static_cast<void>(i);
        return nullptr;
    }
    /// Moves every job of @p other, a batch of the same type, to the end of this one.
    virtual void append(Batch& other) {
        ids.insert(ids.end(), other.ids.begin(), other.ids.end());
        errors.insert(errors.end(), other.errors.begin(), other.errors.end());
    }

    /// Keeps only the jobs @p i with `kept[i]` (parallel to `ids`), in order: the jobs a source
    /// made that a resumed run leaves out (RunJournal::skips).
    virtual void keep(const std::vector<bool>& kept) {
        keep_parallel(ids, kept);
        if (!errors.empty()) keep_parallel(errors, kept);
    }

    /// Keeps the elements @p i of @p items with `kept[i]`, in order.
    template <class T>
    static void keep_parallel(std::vector<T>& items, const std::vector<bool>& kept) {
        std::size_t to = 0;
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (!kept[i]) continue;
            if (to != i) items[to] = std::move(items[i]);
            ++to;
        }
        items.erase(items.begin() + static_cast<std::ptrdiff_t>(to), items.end());
    }

    /// Carries the origin of @p parent over to a batch made from it.
    void derive_from(const Batch& parent) {
        seq = parent.seq;
        ticket = parent.ticket;
        file = parent.file;
    }
};

/// Batches are passed by shared pointer: a node with several successors sends each the same
/// batch, marked `shared`, and their bodies copy its jobs; a batch sent to one node is that
/// node's to move from or to reuse.
using BatchPtr = std::shared_ptr<Batch>;

/// A batch of jobs of type @p T: `values[i]` is the payload of job `ids[i]`.
template <class T>
struct Items final : Batch {
    std::vector<T> values;  ///< job payloads
    /// Payloads of the batch's last use, kept by a BatchPool made with `reuse_values`: a value
    /// that holds heap storage (a record, a list) is filled again in place by next_value()
    /// instead of being freed by the thread that retired the batch and allocated again by the
    /// one that fills it, which costs a malloc, a free and, across threads, the allocator's lock.
    /// A filter may add the payloads it drops, when `recycled` says they will be refilled.
    std::vector<T> spent;
    /// True if the batch came from a BatchPool that keeps payloads: only then does anything
    /// empty `spent` (a batch reused by other code keeps what is added there until freed).
    bool recycled = false;

    /// Room for @p n jobs.
    void reserve(std::size_t n) {
        ids.reserve(n);
        values.reserve(n);
    }

    /// Appends a payload to fill: a spent one if there is one (holding what it held), else T().
    T& next_value() {
        if (spent.empty()) return values.emplace_back();
        T& value = values.emplace_back(std::move(spent.back()));
        spent.pop_back();
        return value;
    }

    [[nodiscard]] std::shared_ptr<Batch> copy_job_at(std::size_t i) const override {
        if constexpr (std::is_copy_constructible_v<T>) {
            auto one = std::make_shared<Items<T>>();
            one->ids.push_back(ids[i]);
            one->values.push_back(values[i]);
            if (!errors.empty()) one->errors.push_back(errors[i]);
            one->failed_node = failed_node;
            one->file = file;
            return one;
        } else {
            return nullptr;
        }
    }

    void keep(const std::vector<bool>& kept) override {
        keep_parallel(values, kept);
        Batch::keep(kept);
    }

    void append(Batch& other) override {
        auto& more = static_cast<Items<T>&>(other);
        Batch::append(more);
        values.insert(values.end(), std::make_move_iterator(more.values.begin()),
                      std::make_move_iterator(more.values.end()));
    }
};

/// A forward iterator over the integers n, n + 1, ... (wrapping at 2^64), each converted to
/// @p T: lets append_counting() build a run of integers in a vector in one loop.
template <class T>
struct CountingIterator {
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = T;

    std::uint64_t n = 0;  ///< the current integer

    T operator*() const noexcept { return static_cast<T>(n); }
    CountingIterator& operator++() noexcept {
        ++n;
        return *this;
    }
    CountingIterator operator++(int) noexcept {
        CountingIterator old = *this;
        ++n;
        return old;
    }
    friend bool operator==(const CountingIterator&, const CountingIterator&) = default;
};

/// Appends @p count consecutive integers from @p first (wrapping at 2^64) to @p out, a vector
/// of integers or of values made from a `std::int64_t`: one loop that constructs each element
/// once, where a resize would first zero them.
template <class T>
void append_counting(std::vector<T>& out, std::uint64_t first, std::size_t count) {
    using Int = std::conditional_t<std::is_integral_v<T>, T, std::int64_t>;
    out.insert(out.end(), CountingIterator<Int>{first}, CountingIterator<Int>{first + count});
}

/// Makes @p out hold the @p count consecutive integers from @p first (wrapping at 2^64), writing
/// over the values it holds: a value that holds an integer already takes the new one with a
/// store, where clearing and appending would destroy and build every value again.
template <class T>
void assign_counting(std::vector<T>& out, std::uint64_t first, std::size_t count) {
    using Int = std::conditional_t<std::is_integral_v<T>, T, std::int64_t>;
    const std::size_t over = std::min(out.size(), count);
    for (std::size_t i = 0; i < over; ++i) out[i] = static_cast<Int>(first + i);
    if (out.size() > count) out.erase(out.begin() + static_cast<std::ptrdiff_t>(count), out.end());
    append_counting(out, first + over, count - over);
}

/// A source's spare batches: a batch it made goes back here when its last holder lets go, with
/// its vectors' capacity, and the source's next batch reuses it. So a source in a steady state
/// allocates no job storage (no malloc and free per message, and no growth of the allocator's
/// per-thread heaps, since batches are made on one thread and released on another). At most
/// `capacity` batches are kept (SpareLanes); the rest are freed.
template <class T>
class BatchPool {
public:
    /// Keeps at most @p capacity spare batches; with @p reuse_values, their payloads too, as
    /// Items::spent (for a maker that fills them with Items::next_value()).
    explicit BatchPool(std::size_t capacity = 64, bool reuse_values = false)
        : spares_(std::make_shared<Spares>(capacity, reuse_values)) {}

    /// An empty batch, reused if one is spare.
    [[nodiscard]] std::shared_ptr<Items<T>> get() {
        Items<T>* batch = spares_->lanes.take();
        if (batch == nullptr) batch = new Items<T>();
        batch->recycled = spares_->reuse_values;
        return std::shared_ptr<Items<T>>(batch, Recycle{spares_});
    }

private:
    struct Spares {
        Spares(std::size_t most, bool reuse) : lanes(most), reuse_values(reuse) {}

        /// Empties @p batch, keeping its capacity, and keeps it if there is room.
        void put(Items<T>* batch) noexcept {
            batch->ids.clear();
            if (reuse_values) keep_spent(*batch);
            batch->values.clear();
            batch->errors.clear();
            batch->failed_node.clear();
            batch->ticket.reset();
            batch->file.reset();
            batch->seq = 0;
            batch->shared = false;
            batch->prefiltered = 0;
            lanes.put(batch);
        }

        /// Makes the payloads of @p batch its spent ones, with the spent ones this use left (a
        /// batch smaller than the last), as far as there is room. There are never more of them
        /// than the batch ever held: each use takes spent ones first, and adds only what it made
        /// (a filter moves the ones it drops from its values to its spent ones). The larger set
        /// stays in its vector (the vectors change places if need be) and the smaller moves in:
        /// moving every payload cost a move and a destruction per job, 2 % of a `jsonl` run.
        static void keep_spent(Items<T>& batch) noexcept {
            if (batch.values.size() > batch.spent.size()) batch.spent.swap(batch.values);
            for (T& value : batch.values) {
                if (batch.spent.size() == batch.spent.capacity()) break;  // never allocates
                batch.spent.push_back(std::move(value));
            }
        }

        SpareLanes<Items<T>> lanes;
        bool reuse_values;
    };

    /// The deleter of a pooled batch: back to the spares (which it keeps alive).
    struct Recycle {
        std::shared_ptr<Spares> spares;
        void operator()(Items<T>* batch) const noexcept { spares->put(batch); }
    };

    std::shared_ptr<Spares> spares_;
};

}  // namespace flowpool::detail
