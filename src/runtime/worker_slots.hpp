#pragma once
// Hands out worker slots in [0, concurrency): a body holds one while it runs, so two batches
// running at once on one node never share a slot. One lock per batch, not per job.

#include <flowpool/detail/thread_number.hpp>

#include <cstddef>
#include <mutex>
#include <vector>

namespace flowpool::detail {

/// The slots of one node. A thread gets back the slot it held last if that one is free, and a
/// slot of its own while the node has fewer than its concurrency: what a body keeps per slot (an
/// aggregate's groups, a top's heap: PerWorker) then stays in the cache of the core whose thread
/// keeps using it. Handed out in turn instead, a slot's state moved between cores with nearly
/// every batch, and folding a job into an aggregate cost twice as much at two workers as at one.
class WorkerSlots {
public:
    /// A free slot of a node that runs up to @p concurrency batches at once (`unlimited`: no
    /// bound but the threads): the caller's own if one is free, else a new one while there are
    /// fewer than @p concurrency, else the one given back last.
    int acquire(std::size_t concurrency) {
        const unsigned me = thread_number();
        const std::lock_guard lock(mutex_);
        for (std::size_t i = free_.size(); i-- != 0;) {
            const int slot = free_[i];
            if (holder_[static_cast<std::size_t>(slot)] != me) continue;
            free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(i));
            return slot;
        }
        if (free_.empty() || holder_.size() < concurrency) {
            holder_.push_back(me);
            return static_cast<int>(holder_.size() - 1);
        }
        const int slot = free_.back();
        free_.pop_back();
        holder_[static_cast<std::size_t>(slot)] = me;
        return slot;
    }
    /// Gives @p slot back.
    void release(int slot) {
        const std::lock_guard lock(mutex_);
        free_.push_back(slot);
    }

private:
    std::mutex mutex_;
    std::vector<int> free_;
    std::vector<unsigned> holder_;  // per slot, the thread_number() that held it last
};

}  // namespace flowpool::detail
