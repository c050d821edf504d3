#pragma once
// State kept per worker slot (BatchContext::worker): a body running on slot w uses share(w)
// alone, since two batches running at once never share a slot, so adding needs no lock; the
// shares are merged when the node flushes.

#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>

namespace flowpool::detail {

template <class T>
class PerWorker {
public:
    /// @p prototype: what a new share starts as.
    explicit PerWorker(T prototype) : prototype_(std::move(prototype)) {}

    /// Slot @p worker's share (made from the prototype the first time). One lock per call: call
    /// it once per batch.
    T& share(int worker) {
        const std::lock_guard lock(mutex_);
        while (shares_.size() <= static_cast<std::size_t>(worker)) shares_.push_back(prototype_);
        return shares_[static_cast<std::size_t>(worker)];
    }

    /// Every share; call only when no batch is running (at flush).
    std::deque<T>& all() noexcept { return shares_; }

private:
    T prototype_;
    std::mutex mutex_;
    std::deque<T> shares_;  // a deque: shares never move as more are added
};

}  // namespace flowpool::detail
