// Worker slots (src/runtime/worker_slots.hpp): in [0, concurrency), never held by two at once,
// and each thread's own while the node has room, so that what a body keeps per slot stays on the
// core of the thread that uses it.

#include <gtest/gtest.h>

#include <flowpool/stats.hpp>

#include <atomic>
#include <cstddef>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "runtime/worker_slots.hpp"

namespace {

using flowpool::detail::WorkerSlots;

/// One thread, kept alive between calls (a thread_number() of its own), that takes a slot of
/// @p slots and gives it back when asked.
class SlotUser {
public:
    explicit SlotUser(WorkerSlots& slots)
        : slots_(slots), thread_([this](const std::stop_token& stop) { serve(stop); }) {}
    ~SlotUser() {
        thread_.request_stop();
        go_.release();
    }
    SlotUser(const SlotUser&) = delete;
    SlotUser& operator=(const SlotUser&) = delete;

    /// The slot its thread got from acquire(@p concurrency), given back before this returns.
    int take_and_give_back(std::size_t concurrency) {
        concurrency_ = concurrency;
        go_.release();
        done_.acquire();
        return slot_;
    }

private:
    void serve(const std::stop_token& stop) {
        for (;;) {
            go_.acquire();
            if (stop.stop_requested()) return;
            slot_ = slots_.acquire(concurrency_);
            slots_.release(slot_);
            done_.release();
        }
    }

    WorkerSlots& slots_;
    std::size_t concurrency_ = 1;
    int slot_ = -1;
    std::binary_semaphore go_{0};
    std::binary_semaphore done_{0};
    std::jthread thread_;  // last: it starts once the rest is made
};

TEST(WorkerSlots, AThreadGetsBackTheSlotItHeldLast) {
    WorkerSlots slots;
    SlotUser first(slots);
    SlotUser second(slots);
    // Never at once, but each thread its own slot: handed out in turn, the second thread would
    // have had the slot the first gave back.
    const int a = first.take_and_give_back(2);
    const int b = second.take_and_give_back(2);
    EXPECT_EQ(a, 0);
    EXPECT_EQ(b, 1);
    for (int round = 0; round < 5; ++round) {
        EXPECT_EQ(second.take_and_give_back(2), b);
        EXPECT_EQ(first.take_and_give_back(2), a);
    }
}

TEST(WorkerSlots, NoMoreSlotsThanTheConcurrencyWhileOneIsFree) {
    WorkerSlots slots;
    SlotUser first(slots);
    SlotUser second(slots);
    SlotUser third(slots);
    EXPECT_EQ(first.take_and_give_back(1), 0);
    EXPECT_EQ(second.take_and_give_back(1), 0);  // the only slot of a serial node

    WorkerSlots pair;
    SlotUser one(pair);
    SlotUser two(pair);
    SlotUser three(pair);
    EXPECT_EQ(one.take_and_give_back(2), 0);
    EXPECT_EQ(two.take_and_give_back(2), 1);
    EXPECT_EQ(three.take_and_give_back(2), 1);  // none of its own, no room: the last given back
    EXPECT_EQ(three.take_and_give_back(2), 1);
    EXPECT_EQ(one.take_and_give_back(2), 0);
}

// At most `concurrency` threads hold a slot at once (as a node's function_node allows): every
// slot is in range and never held by two.
class WorkerSlotsAtOnce : public ::testing::TestWithParam<std::size_t> {};

TEST_P(WorkerSlotsAtOnce, SlotsHeldAtOnceAreInRangeAndNeverShared) {
    const std::size_t concurrency = GetParam();
    constexpr std::size_t threads = 8;
    WorkerSlots slots;
    std::counting_semaphore<threads> room(static_cast<std::ptrdiff_t>(concurrency));
    std::vector<std::atomic<int>> held(threads);
    std::atomic<int> out_of_range{0};
    std::atomic<int> shared{0};
    {
        std::vector<std::jthread> workers;
        for (std::size_t t = 0; t < threads; ++t) {
            workers.emplace_back([&] {
                for (int i = 0; i < 2'000; ++i) {
                    room.acquire();
                    const int slot = slots.acquire(concurrency);
                    if (slot < 0 || static_cast<std::size_t>(slot) >= concurrency) {
                        ++out_of_range;
                    } else if (held[static_cast<std::size_t>(slot)].exchange(1) != 0) {
                        ++shared;
                    } else {
                        std::this_thread::yield();
                        held[static_cast<std::size_t>(slot)].store(0);
                    }
                    slots.release(slot);
                    room.release();
                }
            });
        }
    }
    EXPECT_EQ(out_of_range.load(), 0);
    EXPECT_EQ(shared.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Concurrency, WorkerSlotsAtOnce,
                         ::testing::Values(std::size_t{1}, std::size_t{2}, std::size_t{4},
                                           std::size_t{8}),
                         [](const auto& p) { return std::to_string(p.param) + "_at_once"; });

}  // namespace
