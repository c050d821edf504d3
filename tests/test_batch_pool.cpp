// The pools of spare batches: what a released batch keeps, and which thread gets it back.

#include <gtest/gtest.h>
#include <flowpool/detail/batch.hpp>

#include <cstdint>
#include <latch>
#include <memory>
#include <string>
#include <thread>

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

// Each test has a type of its own: the lanes are handed out per type, to threads in turn.
struct GivenBack {
    int giver = 0;
};

TEST(SpareLanes, AThreadTakesBackWhatItGaveBeforeAnotherThreadsSpare) {
    SpareLanes<GivenBack> spares(8);
    std::latch first_gave(1);
    std::latch both_gave(3);
    std::latch second_took(1);
    std::unique_ptr<GivenBack> took[2];
    // The first thread to give gets the first lane; the second takes first, when the first
    // thread's spare, in the lane before its own, is there to be taken wrongly.
    std::thread first([&] {
        spares.put(new GivenBack{0});
        first_gave.count_down();
        both_gave.arrive_and_wait();
        second_took.wait();
        took[0].reset(spares.take());
    });
    std::thread second([&] {
        first_gave.wait();
        spares.put(new GivenBack{1});
        both_gave.arrive_and_wait();
        took[1].reset(spares.take());
        second_took.count_down();
    });
    both_gave.arrive_and_wait();
    first.join();
    second.join();
    ASSERT_NE(took[0], nullptr);
    ASSERT_NE(took[1], nullptr);
    EXPECT_EQ(took[0]->giver, 0);
    EXPECT_EQ(took[1]->giver, 1);
}

struct Lent {
    int giver = 0;
};

TEST(SpareLanes, AThreadWhoseLaneIsEmptyTakesAnotherThreadsSpare) {
    SpareLanes<Lent> spares(8);
    std::thread([&spares] { spares.put(new Lent{7}); }).join();
    const std::unique_ptr<Lent> took(spares.take());
    ASSERT_NE(took, nullptr);
    EXPECT_EQ(took->giver, 7);
    EXPECT_EQ(spares.take(), nullptr);  // none left anywhere
}

struct Counted {
    static inline int deleted = 0;
    ~Counted() { ++deleted; }
};

TEST(SpareLanes, KeepsAtMostItsLimitInAllLanesAndDeletesTheRest) {
    {
        SpareLanes<Counted> spares(2);
        spares.put(new Counted);
        std::thread([&spares] { spares.put(new Counted); }).join();  // in another lane
        EXPECT_EQ(Counted::deleted, 0);
        spares.put(new Counted);  // a third: no room
        EXPECT_EQ(Counted::deleted, 1);
        delete spares.take();  // room for one again
        spares.put(new Counted);
        EXPECT_EQ(Counted::deleted, 2);
    }
    EXPECT_EQ(Counted::deleted, 4);  // the two kept go with the lanes
}

}  // namespace
