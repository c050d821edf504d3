// Tests of the spare batches (include/flowpool/detail/batch.hpp, spare_lanes.hpp): what a
// released batch keeps, which thread gets a spare back, the bound on how many are kept, and
// puts and takes from 1, 2, 4 and 8 threads losing and duplicating none.

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <latch>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <flowpool/detail/batch.hpp>
#include <flowpool/detail/spare_lanes.hpp>
#include <flowpool/value.hpp>

namespace {

using flowpool::detail::SpareLanes;

TEST(BatchPool, ReleasedBatchesAreReusedEmpty) {
    flowpool::detail::BatchPool<std::int64_t> pool(1);
    auto first = pool.get();
    first->ids.assign(100, 1);
    first->values.assign(100, 7);
    first->seq = 5;
    first->shared = true;
    first->errors.assign(100, "e");
    const auto* storage = first.get();
    first.reset();
    auto again = pool.get();
    EXPECT_EQ(again.get(), storage);
    EXPECT_EQ(again->size(), 0u);
    EXPECT_TRUE(again->values.empty());
    EXPECT_TRUE(again->errors.empty());
    EXPECT_GE(again->values.capacity(), 100u);
    EXPECT_EQ(again->seq, 0u);
    EXPECT_FALSE(again->shared);
    auto other = pool.get();  // none spare: a new one
    EXPECT_NE(other.get(), storage);
    // A batch may outlive its pool.
    std::shared_ptr<flowpool::detail::Items<std::int64_t>> late;
    {
        flowpool::detail::BatchPool<std::int64_t> short_lived;
        late = short_lived.get();
        late->values.push_back(1);
    }
    late.reset();
}

// A pool that keeps payloads hands a batch's spent ones out again, whatever the sizes of its
// uses: after uses of 3 jobs, then 1, the next 3 get the 3 records back (the 1 just used and the
// 2 the smaller use left), not fresh values.
TEST(BatchPool, KeptPayloadsSurviveABatchSmallerThanTheLast) {
    using flowpool::Value;
    flowpool::detail::BatchPool<Value> pool(1, true);
    const auto use = [&pool](std::size_t jobs) {
        auto batch = pool.get();
        std::size_t reused = 0;
        for (std::size_t i = 0; i < jobs; ++i) {
            Value& value = batch->next_value();
            if (value.record() != nullptr) ++reused;
            value = flowpool::Record();
            batch->ids.push_back(i);
        }
        return reused;
    };
    EXPECT_EQ(use(3), 0u);
    EXPECT_EQ(use(1), 1u);
    EXPECT_EQ(use(3), 3u);
    EXPECT_EQ(use(2), 2u);
    EXPECT_EQ(use(3), 3u);
}

struct Spare {
    int giver = 0;
};

// Two threads give a spare each, one after the other (so they have consecutive thread numbers
// and different lanes), then take one each in the order @p first_taker, the other: each gets its
// own back. A single stack would give whoever takes first the spare given last.
void each_takes_back_its_own(int first_taker) {
    SpareLanes<Spare> spares(8);
    std::latch gave[2]{std::latch(1), std::latch(1)};
    std::latch took(1);
    std::unique_ptr<Spare> got[2];
    auto thread = [&](int i) {
        if (i == 1) gave[0].wait();
        spares.put(new Spare{i});
        gave[i].count_down();
        gave[1 - i].wait();
        if (i != first_taker) took.wait();
        got[i].reset(spares.take());
        if (i == first_taker) took.count_down();
    };
    std::thread zero(thread, 0);
    std::thread one(thread, 1);
    zero.join();
    one.join();
    for (int i = 0; i < 2; ++i) {
        ASSERT_NE(got[i], nullptr) << "thread " << i;
        EXPECT_EQ(got[i]->giver, i) << "thread " << i;
    }
}

TEST(SpareLanes, EachThreadTakesBackWhatItGaveBeforeAnotherThreadsSpare) {
    each_takes_back_its_own(0);  // the one that gave first takes first
    each_takes_back_its_own(1);
}

TEST(SpareLanes, AThreadWhoseLaneIsEmptyTakesAnotherThreadsSpare) {
    SpareLanes<Spare> spares(8);
    std::thread([&spares] { spares.put(new Spare{7}); }).join();
    const std::unique_ptr<Spare> took(spares.take());
    ASSERT_NE(took, nullptr);
    EXPECT_EQ(took->giver, 7);
    EXPECT_EQ(spares.take(), nullptr);  // none left anywhere
}

struct Counted {
    static inline std::atomic<int> deleted{0};  // spares are deleted by whichever thread puts
    ~Counted() { ++deleted; }
};

TEST(SpareLanes, KeepsAtMostItsLimitWhateverTheLanesAndDeletesTheRest) {
    Counted::deleted = 0;
    {
        SpareLanes<Counted> spares(2);
        spares.put(new Counted);
        std::thread([&spares] { spares.put(new Counted); }).join();
        EXPECT_EQ(Counted::deleted, 0);
        spares.put(new Counted);  // a third: no room
        EXPECT_EQ(Counted::deleted, 1);
        delete spares.take();  // room for one again
        spares.put(new Counted);
        EXPECT_EQ(Counted::deleted, 2);
    }
    EXPECT_EQ(Counted::deleted, 4);  // the two kept go with the lanes
}

// Threads that each put and take many spares at once, more threads than lanes among them: at the
// end every spare ever made was deleted once or is kept, once, and no more than the limit are.
TEST(SpareLanes, ThreadsPuttingAndTakingAtOnceLoseAndDuplicateNone) {
    for (const int threads : {1, 2, 4, 8}) {
        constexpr std::size_t limit = 6;
        constexpr int rounds = 2000;
        Counted::deleted = 0;
        SpareLanes<Counted> spares(limit);
        std::latch start(threads);
        std::vector<int> made(static_cast<std::size_t>(threads), 0);
        std::vector<std::thread> running;
        for (int t = 0; t < threads; ++t) {
            running.emplace_back([&spares, &start, &made, t] {
                std::vector<Counted*> mine;
                start.arrive_and_wait();
                for (int round = 0; round < rounds; ++round) {
                    Counted* spare = spares.take();
                    if (spare == nullptr) {
                        spare = new Counted;
                        ++made[static_cast<std::size_t>(t)];
                    }
                    mine.push_back(spare);
                    if (round % 3 != 0) {  // two of three go back at once, the rest at the end
                        spares.put(mine.back());
                        mine.pop_back();
                    }
                }
                for (Counted* spare : mine) spares.put(spare);
            });
        }
        for (std::thread& thread : running) thread.join();
        int total_made = 0;
        for (const int n : made) total_made += n;
        std::vector<std::unique_ptr<Counted>> kept;
        while (Counted* spare = spares.take()) kept.emplace_back(spare);
        std::set<const Counted*> distinct;
        for (const auto& spare : kept) distinct.insert(spare.get());
        EXPECT_EQ(distinct.size(), kept.size()) << threads << " threads: a spare kept twice";
        EXPECT_LE(kept.size(), limit) << threads << " threads";
        EXPECT_EQ(Counted::deleted + static_cast<int>(kept.size()), total_made)
            << threads << " threads";
    }
}

}  // namespace
