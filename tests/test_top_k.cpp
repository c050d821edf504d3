// Tests of the `top` op's bounded heap (src/ops/top_k.hpp): the n best against a full sort,
// ties by job id, merges of 1, 2, 4 and 8 workers' heaps equal to one heap, nulls skipped and
// mixed types refused without harm to what was kept.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ops/top_k.hpp"

namespace {

using flowpool::Value;
using flowpool::detail::AggregateError;
using flowpool::detail::TopK;
using flowpool::detail::TopOrder;

struct Job {
    std::uint64_t id;
    Value by;
};

/// Jobs with integer values in [0, 100): many ties.
std::vector<Job> random_jobs(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 random(seed);
    std::vector<Job> jobs;
    for (std::uint64_t id = 0; id < n; ++id) {
        jobs.push_back({id, Value(static_cast<std::int64_t>(random() % 100))});
    }
    std::shuffle(jobs.begin(), jobs.end(), random);
    return jobs;
}

/// The ids of the @p n best of @p jobs, by a full sort.
std::vector<std::uint64_t> expected_ids(std::vector<Job> jobs, std::size_t n, TopOrder order) {
    std::sort(jobs.begin(), jobs.end(), [&](const Job& a, const Job& b) {
        const auto x = std::get<std::int64_t>(a.by);
        const auto y = std::get<std::int64_t>(b.by);
        if (x != y) return order == TopOrder::desc ? x > y : x < y;
        return a.id < b.id;
    });
    std::vector<std::uint64_t> ids;
    for (std::size_t i = 0; i < std::min(n, jobs.size()); ++i) ids.push_back(jobs[i].id);
    return ids;
}

/// The ids kept by @p top, best first; the payload is the id as a string, checked too.
std::vector<std::uint64_t> ids_of(TopK<std::string> top) {
    std::vector<std::uint64_t> ids;
    for (const auto& entry : std::move(top).sorted()) {
        EXPECT_EQ(entry.payload, std::to_string(entry.job_id));
        ids.push_back(entry.job_id);
    }
    return ids;
}

class TopKWorkers : public testing::TestWithParam<int> {};

TEST_P(TopKWorkers, KeepsTheBestNInOrderWhateverTheSplit) {
    const auto workers = static_cast<std::size_t>(GetParam());
    const std::vector<Job> jobs = random_jobs(10'000, 5);
    for (const TopOrder order : {TopOrder::desc, TopOrder::asc}) {
        for (const std::size_t n : {0U, 1U, 10U, 250U, 20'000U}) {
            std::vector<TopK<std::string>> parts(workers, TopK<std::string>(n, order));
            for (std::size_t i = 0; i < jobs.size(); ++i) {
                // Jobs go to workers in runs, as batches do.
                parts[(i / 37) % workers].add(jobs[i].by, jobs[i].id, std::to_string(jobs[i].id));
            }
            TopK<std::string> merged(n, order);
            for (auto& part : parts) merged.merge(std::move(part));
            EXPECT_EQ(ids_of(std::move(merged)), expected_ids(jobs, n, order))
                << "n " << n << (order == TopOrder::asc ? " asc" : " desc");
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Workers, TopKWorkers, testing::Values(1, 2, 4, 8));

TEST(TopK, WouldKeepTellsBeforeThePayloadIsMade) {
    TopK<std::string> top(2, TopOrder::desc);
    EXPECT_TRUE(top.would_keep(Value(1), 0));
    top.add(Value(5), 10, "a");
    top.add(Value(7), 11, "b");
    EXPECT_FALSE(top.would_keep(Value(4), 0));
    EXPECT_FALSE(top.would_keep(Value(5), 12));  // a tie loses to the lower id kept
    EXPECT_TRUE(top.would_keep(Value(5), 9));
    EXPECT_TRUE(top.would_keep(Value(5.5), 99));
    EXPECT_FALSE(top.add(Value(3), 1, "c"));
    EXPECT_EQ(top.size(), 2U);
}

TEST(TopK, RanksFloatsIntegersAndStrings) {
    TopK<Value> numbers(3, TopOrder::desc);
    for (const Value& v : {Value(2), Value(2.5), Value(-1), Value(3), Value(2.0)}) {
        numbers.add(v, numbers.size() + 100, v);
    }
    std::vector<Value> kept;
    for (auto& e : std::move(numbers).sorted()) kept.push_back(e.by);
    EXPECT_EQ(kept, (std::vector<Value>{Value(3), Value(2.5), Value(2)}));

    TopK<Value> words(2, TopOrder::asc);
    for (const char* w : {"pear", "apple", "fig", "banana"}) words.add(Value(w), 0, Value());
    std::vector<Value> first;
    for (auto& e : std::move(words).sorted()) first.push_back(e.by);
    EXPECT_EQ(first, (std::vector<Value>{Value("apple"), Value("banana")}));
}

TEST(TopK, SkipsNullsAndRefusesMixedTypesKeepingWhatItHad) {
    TopK<int> top(3, TopOrder::desc);
    top.add(Value(1), 1, 1);
    top.add(Value(nullptr), 2, 2);
    EXPECT_EQ(top.skipped(), 1U);
    EXPECT_THROW(top.add(Value("x"), 3, 3), AggregateError);
    EXPECT_THROW(top.add(Value(true), 4, 4), AggregateError);
    top.add(Value(2), 5, 5);
    ASSERT_EQ(top.size(), 2U);
    const auto kept = std::move(top).sorted();
    EXPECT_EQ(kept[0].payload, 5);
    EXPECT_EQ(kept[1].payload, 1);
}

}  // namespace
