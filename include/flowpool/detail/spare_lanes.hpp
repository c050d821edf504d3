#pragma once
/// @file detail/spare_lanes.hpp
/// A bounded store of spare objects that hands each thread back what it gave first.

#include <flowpool/detail/thread_number.hpp>

#include <array>
#include <cstddef>
#include <mutex>
#include <vector>

namespace flowpool::detail {

/// Spare objects (emptied batches), given back and taken by any threads, at most `limit` of
/// them. Each is kept in the lane of the thread that gave it back, and a thread takes from its
/// own lane first: what the object holds (a batch's vectors, the records a BatchPool refills) is
/// then likely still in that core's cache, where refilled on another core each record's first
/// read would miss it (bench/README.md, "Errors by host, 2026-12-02 night").
template <class T>
class SpareLanes {
public:
    /// Keeps at most @p limit spares in all lanes.
    explicit SpareLanes(std::size_t limit) : limit_(limit) {
        for (auto& lane : lanes_) lane.reserve(limit_);
    }
    /// Deletes the spares it keeps.
    ~SpareLanes() {
        for (auto& lane : lanes_) {
            for (T* spare : lane) delete spare;
        }
    }
    SpareLanes(const SpareLanes&) = delete;
    SpareLanes& operator=(const SpareLanes&) = delete;

    /// The spare given back last in the caller's lane (which every fourth thread shares), else
    /// one from the next lane that has one, else nullptr.
    [[nodiscard]] T* take() {
        const std::lock_guard lock(mutex_);
        const std::size_t mine = my_lane();
        for (std::size_t i = 0; i < lane_count; ++i) {
            std::vector<T*>& lane = lanes_[(mine + i) % lane_count];
            if (lane.empty()) continue;
            T* spare = lane.back();
            lane.pop_back();
            --kept_;
            return spare;
        }
        return nullptr;
    }
    /// Keeps @p spare (emptied by the caller) in the caller's lane if there is room, else
    /// deletes it.
    void put(T* spare) noexcept {
        {
            const std::lock_guard lock(mutex_);
            if (kept_ < limit_) {
                lanes_[my_lane()].push_back(spare);  // never reallocates: each lane has room
                ++kept_;                             // for limit_, and all hold no more
                return;
            }
        }
        delete spare;
    }

private:
    static constexpr std::size_t lane_count = 4;
    static std::size_t my_lane() noexcept { return thread_number() % lane_count; }

    std::size_t limit_;
    std::mutex mutex_;
    std::array<std::vector<T*>, lane_count> lanes_;
    std::size_t kept_ = 0;  // in all lanes
};

}  // namespace flowpool::detail
