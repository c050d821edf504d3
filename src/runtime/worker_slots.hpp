#pragma once
// Hands out worker slots in [0, concurrency): a body holds one while it runs, so two batches
// running at once on one node never share a slot. One lock per batch, not per job.

#include <mutex>
#include <vector>

namespace flowpool::detail {

class WorkerSlots {
public:
    /// A free slot; the lowest never used if none was given back.
    int acquire() {
        const std::lock_guard lock(mutex_);
        if (free_.empty()) return next_++;
        const int slot = free_.back();
        free_.pop_back();
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
    int next_ = 0;
};

}  // namespace flowpool::detail
