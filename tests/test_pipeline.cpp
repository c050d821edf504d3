// Tests of the typed pipeline API (flowpool/pipeline.hpp), jobs on their way through: every job
// arrives once, batching does not change results, user and move-only job types, worker slots,
// fan-out, bounded memory behind a slow sink, the range source and the batches' byte cap.
// Concurrency tests run at 1, 2, 4 and 8 workers. Failures, filters and misuse are in
// test_pipeline_failures.cpp, the threads a run takes in test_pipeline_threads.cpp.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <flowpool/error.hpp>
#include <flowpool/job_context.hpp>
#include <flowpool/pipeline.hpp>
#include <flowpool/stats.hpp>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pipeline_fixture.hpp"

namespace {

using namespace flowpool::test::pipeline_fixture;  // NOLINT(google-build-using-namespace)
using flowpool::JobContext;
using flowpool::RunOptions;
using flowpool::RunResult;
using flowpool::RunStats;
using namespace std::chrono_literals;

/// Raises @p max to @p value if it is larger; safe from any thread.
void raise_to(std::atomic<std::int64_t>& max, std::int64_t value) {
    std::int64_t seen = max.load();
    while (value > seen && !max.compare_exchange_weak(seen, value)) {
    }
}

/// The first index where @p got differs from @p want, described; empty if they are equal.
std::string first_difference(const std::vector<std::int64_t>& got,
                             const std::vector<std::int64_t>& want) {
    if (got.size() != want.size()) return "sizes differ";
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (got[i] != want[i]) {
            return "job " + std::to_string(i) + ": got " + std::to_string(got[i]) + ", want " +
                   std::to_string(want[i]);
        }
    }
    return {};
}

TEST_P(PipelineTest, EveryJobArrivesExactlyOnce) {
    constexpr std::int64_t jobs = 100'000;
    std::vector<std::atomic<int>> staged(jobs);
    std::vector<int> consumed(jobs, 0);
    std::atomic<int> wrong_context{0};
    int wrong_values = 0;

    const RunStats stats = flowpool::source("jobs", flowpool::range(jobs))
                               .stage("triple", workers(),
                                      [&](std::int64_t v, const JobContext& job) {
                                          if (value_of(job.id()) != v || job.node() != "triple")
                                              ++wrong_context;
                                          staged[at(job.id())].fetch_add(1);
                                          return 3 * v;
                                      })
                               .sink("results",
                                     [&](std::int64_t v, const JobContext& job) {
                                         if (v != 3 * value_of(job.id()) || job.node() != "results")
                                             ++wrong_values;
                                         ++consumed[at(job.id())];
                                     })
                               .run();

    EXPECT_EQ(wrong_context.load(), 0);
    EXPECT_EQ(wrong_values, 0);
    EXPECT_EQ(counts_other_than(staged), "");
    EXPECT_EQ(counts_other_than(consumed), "");
    EXPECT_EQ(stats.jobs_in, std::uint64_t{jobs});
    EXPECT_EQ(stats.results_out, std::uint64_t{jobs});
    EXPECT_EQ(stats.filtered, 0u);
    EXPECT_EQ(stats.failed, 0u);
    EXPECT_GT(stats.wall.count(), 0);

    ASSERT_EQ(stats.nodes.size(), 3u);
    EXPECT_EQ(stats.nodes[0].name, "jobs");
    EXPECT_EQ(stats.nodes[0].kind, flowpool::NodeKind::source);
    EXPECT_EQ(stats.nodes[0].messages_out, std::uint64_t{jobs});
    EXPECT_EQ(stats.nodes[1].name, "triple");
    EXPECT_EQ(stats.nodes[1].kind, flowpool::NodeKind::function);
    EXPECT_EQ(stats.nodes[1].concurrency, workers());
    EXPECT_EQ(stats.nodes[1].messages_in, std::uint64_t{jobs});
    EXPECT_EQ(stats.nodes[1].messages_out, std::uint64_t{jobs});
    EXPECT_EQ(stats.nodes[2].name, "results");
    EXPECT_EQ(stats.nodes[2].kind, flowpool::NodeKind::sink);
    EXPECT_EQ(stats.nodes[2].messages_in, std::uint64_t{jobs});
    EXPECT_EQ(stats.nodes[2].messages_out, std::uint64_t{jobs});
}

TEST_P(PipelineTest, EmptySourceRunsNoJob) {
    int calls = 0;
    const RunStats stats =
        flowpool::source("jobs", flowpool::range(0))
            .stage("work", workers(), [&](std::int64_t v) { return ++calls + v; })
            .sink("results", [&](std::int64_t) { ++calls; })
            .run();
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(stats.jobs_in, 0u);
    EXPECT_EQ(stats.results_out, 0u);
}

TEST_P(PipelineTest, BatchSizesDoNotChangeResults) {
    constexpr std::int64_t jobs = 20'011;  // prime: the last batch of every fixed size is partial
    std::vector<std::int64_t> want(jobs);
    for (std::int64_t v = 0; v < jobs; ++v)
        want[at(static_cast<std::uint64_t>(v))] = v * v % 1009 + 7;

    struct Case {
        std::size_t source_batch;  // 0: automatic
        RunOptions options;
    };
    const std::vector<Case> cases = {
        {0, {}},
        {1, {}},
        {7, {}},
        {4096, {}},
        {0, {.batch_size = 1}},
        {0, {.batch_size = 7, .max_in_flight = 2}},
        {0, {.batch_size = 4096, .max_in_flight = 2}},
        {1, {.batch_size = 4096, .max_in_flight = 3}},  // the source's own size wins
        {0, {.max_in_flight = 2}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE("source batch " + std::to_string(c.source_batch) + ", options batch " +
                     std::to_string(c.options.batch_size) + ", in flight " +
                     std::to_string(c.options.max_in_flight));
        std::vector<std::int64_t> got(jobs, -1);
        std::vector<int> consumed(jobs, 0);
        const RunStats stats =
            flowpool::source("jobs", flowpool::range(jobs), c.source_batch)
                .stage("square", workers(), [](std::int64_t v) { return v * v; })
                .stage("mod", workers(), [](std::int64_t v) { return v % 1009 + 7; })
                .sink("results",
                      [&](std::int64_t v, const JobContext& job) {
                          got[at(job.id())] = v;
                          ++consumed[at(job.id())];
                      })
                .run(c.options);
        EXPECT_EQ(first_difference(got, want), "");
        EXPECT_EQ(counts_other_than(consumed), "");
        EXPECT_EQ(stats.jobs_in, std::uint64_t{jobs});
        EXPECT_EQ(stats.results_out, std::uint64_t{jobs});
    }
}

TEST_P(PipelineTest, OneBatchInFlightStillRunsEveryJob) {
    constexpr std::int64_t jobs = 20'011;
    for (const RunOptions& options :
         {RunOptions{.max_in_flight = 1}, RunOptions{.batch_size = 7, .max_in_flight = 1}}) {
        SCOPED_TRACE("batch size " + std::to_string(options.batch_size));
        std::vector<int> consumed(jobs, 0);
        const RunStats stats =
            flowpool::source("jobs", flowpool::range(jobs))
                .stage("work", workers(), [](std::int64_t v) { return v + 1; })
                .sink("results",
                      [&](std::int64_t, const JobContext& job) { ++consumed[at(job.id())]; })
                .run(options);
        EXPECT_EQ(stats.jobs_in, std::uint64_t{jobs});
        EXPECT_EQ(stats.results_out, std::uint64_t{jobs});
        EXPECT_EQ(counts_other_than(consumed), "");
    }
}

/// A job of a user type.
struct Order {
    std::uint64_t number = 0;
    double amount = 0;
};

/// A result of another user type, owning heap memory.
struct Receipt {
    std::string label;
    double total = 0;
};

TEST_P(PipelineTest, UserTypesFlowThroughStages) {
    constexpr std::uint64_t jobs = 5'000;
    auto orders = [n = std::uint64_t{0}]() mutable -> std::optional<Order> {
        if (n == jobs) return std::nullopt;
        const Order order{n, 0.5 * static_cast<double>(n)};
        ++n;
        return order;
    };
    std::vector<int> consumed(jobs, 0);
    int wrong = 0;

    const RunStats stats =
        flowpool::source("orders", orders)
            .stage("bill", workers(),
                   [](const Order& order) {
                       return Receipt{"order-" + std::to_string(order.number), 2 * order.amount};
                   })
            .stage("stamp", workers(),  // Receipt to Receipt: the runtime may reuse the batch
                   [](Receipt receipt) {
                       receipt.label += " paid";
                       return receipt;
                   })
            .sink("ledger",
                  [&](const Receipt& receipt, const JobContext& job) {
                      if (receipt.label != "order-" + std::to_string(job.id()) + " paid" ||
                          receipt.total != static_cast<double>(job.id())) {
                          ++wrong;
                      }
                      ++consumed[at(job.id())];
                  })
            .run();

    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(counts_other_than(consumed), "");
    EXPECT_EQ(stats.results_out, jobs);
}

TEST_P(PipelineTest, MoveOnlyJobsFlowThroughAStage) {
    constexpr int jobs = 10'000;
    auto boxes = [n = 0]() mutable -> std::optional<std::unique_ptr<int>> {
        if (n == jobs) return std::nullopt;
        return std::make_unique<int>(n++);
    };
    std::vector<int> consumed(jobs, 0);
    int wrong = 0;

    RunResult result = flowpool::source("boxes", boxes)
                           .stage("double", workers(),
                                  [](std::unique_ptr<int> box) {
                                      *box *= 2;
                                      return box;
                                  })
                           .sink("results",
                                 [&](std::unique_ptr<int> box, const JobContext& job) {
                                     if (!box || *box != 2 * static_cast<int>(job.id())) ++wrong;
                                     ++consumed[at(job.id())];
                                 })
                           .try_run();

    ASSERT_FALSE(result.error.has_value()) << result.error->what();
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(counts_other_than(consumed), "");
    EXPECT_EQ(result.stats.results_out, std::uint64_t{jobs});
}

TEST_P(PipelineTest, WorkerSlotsAreInRangeAndNeverShared) {
    const std::size_t w = workers();
    for (const RunOptions& options : {RunOptions{}, RunOptions{.batch_size = 1}}) {
        SCOPED_TRACE("batch size " + std::to_string(options.batch_size));
        std::vector<std::atomic<int>> busy(w);
        std::atomic<int> out_of_range{0};
        std::atomic<int> shared{0};
        std::atomic<std::int64_t> running{0};
        std::atomic<std::int64_t> most_running{0};
        int sink_not_slot_0 = 0;

        const RunStats stats =
            flowpool::source("jobs", flowpool::range(2'000))
                .stage("work", w,
                       [&](std::int64_t v, const JobContext& job) {
                           const int slot = job.worker();
                           if (slot < 0 || static_cast<std::size_t>(slot) >= w) {
                               ++out_of_range;
                               return v;
                           }
                           auto& flag = busy[static_cast<std::size_t>(slot)];
                           if (flag.exchange(1) != 0) ++shared;
                           raise_to(most_running, ++running);
                           std::this_thread::sleep_for(5us);  // so that jobs overlap
                           --running;
                           flag.store(0);
                           return v;
                       })
                .sink("results",
                      [&](std::int64_t, const JobContext& job) {
                          if (job.worker() != 0) ++sink_not_slot_0;
                      })
                .run(options);

        EXPECT_EQ(out_of_range.load(), 0);
        EXPECT_EQ(shared.load(), 0);
        EXPECT_LE(most_running.load(), static_cast<std::int64_t>(w));
        EXPECT_EQ(sink_not_slot_0, 0);
        EXPECT_EQ(stats.results_out, 2'000u);
    }
}

TEST_P(PipelineTest, FanOutSendsEveryJobToEachBranch) {
    constexpr std::int64_t jobs = 50'000;
    std::vector<int> negatives(jobs, 0);
    std::vector<int> originals(jobs, 0);
    int wrong_negatives = 0;
    int wrong_originals = 0;

    const auto source = flowpool::source("jobs", flowpool::range(jobs));
    // The negating branch must not change the jobs the other branch still reads.
    flowpool::Pipeline first = source.stage("negate", workers(), [](std::int64_t v) { return -v; })
                                   .sink("negatives", [&](std::int64_t v, const JobContext& job) {
                                       if (v != -value_of(job.id())) ++wrong_negatives;
                                       ++negatives[at(job.id())];
                                   });
    flowpool::Pipeline second =
        source.sink("originals", [&](std::int64_t v, const JobContext& job) {
            if (v != value_of(job.id())) ++wrong_originals;
            ++originals[at(job.id())];
        });
    const RunStats stats = second.run();

    EXPECT_EQ(wrong_negatives, 0);
    EXPECT_EQ(wrong_originals, 0);
    EXPECT_EQ(counts_other_than(negatives), "");
    EXPECT_EQ(counts_other_than(originals), "");
    EXPECT_EQ(stats.jobs_in, std::uint64_t{jobs});
    EXPECT_EQ(stats.results_out, std::uint64_t{2 * jobs});
    // Both pipelines are the one graph, which already ran.
    EXPECT_THROW(first.run(), flowpool::UsageError);
}

TEST_P(PipelineTest, SlowSinkKeepsJobsInFlightBounded) {
    constexpr std::int64_t jobs = 200'000;
    struct Case {
        RunOptions options;
        std::size_t max_in_flight;  // batches holding a place in the source's limiter
    };
    // With no max_in_flight, plan.cpp's default_in_flight() gives 2 * slots + 2 batches, where
    // slots sums min(concurrency, 4 * threads) over the stage and the serial sink: at most w + 1.
    const auto options = [](std::size_t batch_size, std::size_t max_in_flight) {
        RunOptions o;
        o.batch_size = batch_size;
        o.max_in_flight = max_in_flight;
        return o;
    };
    const std::vector<Case> cases = {
        {options(0, 4), 4},
        {options(max_batch_jobs, 4), 4},
        {options(0, 0), 2 * (workers() + 1) + 2},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE("batch size " + std::to_string(c.options.batch_size) + ", in flight " +
                     std::to_string(c.options.max_in_flight));
        std::atomic<std::int64_t> generated{0};
        std::atomic<std::int64_t> consumed{0};
        std::atomic<std::int64_t> most_ahead{0};
        auto generator = [&, next = flowpool::range(jobs)]() mutable {
            std::optional<std::int64_t> job = next();
            if (job) raise_to(most_ahead, generated.fetch_add(1) + 1 - consumed.load());
            return job;
        };
        const RunStats stats = flowpool::source("jobs", generator)
                                   .stage("work", workers(), [](std::int64_t v) { return v + 1; })
                                   .sink("slow",
                                         [&](std::int64_t) {
                                             if (consumed.fetch_add(1) % 256 == 255)
                                                 std::this_thread::sleep_for(500us);
                                         })
                                   .run(c.options);

        // A job is made and not yet consumed only while its batch holds a place, or while the
        // source fills the one batch that waits for a place.
        const auto bound = static_cast<std::int64_t>((c.max_in_flight + 1) * max_batch_jobs);
        EXPECT_LE(most_ahead.load(), bound);
        EXPECT_EQ(consumed.load(), jobs);
        EXPECT_EQ(stats.results_out, std::uint64_t{jobs});
    }
}

// FINDING (src/runtime/plan_shape.cpp): batch sizes followed only the nodes below a source, so a
// generator taking milliseconds a job ahead of cheap nodes filled batches of hundreds: each job
// waited for the rest of its batch (a job every 2 ms: 0.6 s late on average at 4,000 jobs), and
// jobs owning memory piled up (1 MiB jobs: 2.2 GB at 6,400). The source's own cost counts now.
TEST_P(PipelineTest, ASlowGeneratorsJobsDoNotWaitForTheirBatchToFill) {
    using Clock = std::chrono::steady_clock;
    constexpr int jobs = 120;
    int made = 0;
    auto generator = [&]() -> std::optional<Clock::time_point> {
        if (made == jobs) return std::nullopt;
        ++made;
        std::this_thread::sleep_for(2ms);
        return Clock::now();
    };
    std::atomic<std::int64_t> worst_us{0};
    const RunStats stats =
        flowpool::source("slow", generator)
            .stage("work", workers(), [](Clock::time_point made_at) { return made_at; })
            .sink("lag",
                  [&](Clock::time_point made_at) {
                      const auto lag = std::chrono::duration_cast<std::chrono::microseconds>(
                          Clock::now() - made_at);
                      raise_to(worst_us, lag.count());
                  })
            .run();
    EXPECT_EQ(stats.results_out, std::uint64_t{jobs});
    // Batches of every job left made the first of them wait for the others: about 240 ms. Now
    // each job goes on alone (0.1 ms of lag at worst here): the batches are checked, and the
    // lag with room for a thread the machine held back.
    EXPECT_LE(stats.nodes[0].mean_batch(), 2.0);
    EXPECT_LT(worst_us.load(), 100'000 * FLOWPOOL_TEST_SLOWDOWN);
}

// FINDING (src/runtime/batch_sizer.hpp): the sizer chose batch sizes from the nodes measured so
// far, so once a cheap first stage was measured the jobs went out in one big batch before the slow
// stage behind it had finished a job, and that batch ran its jobs one after another on one of
// its workers (`range 8 -> map -> exec sleep 1` at concurrency 4: 7 s, not 2).
TEST_P(PipelineTest, ASlowStageBehindACheapOneGetsItsJobsOneABatch) {
    constexpr int jobs = 8;
    std::atomic<std::int64_t> running{0};
    std::atomic<std::int64_t> most_running{0};
    const RunStats stats = flowpool::source("jobs", flowpool::range(jobs))
                               .stage("cheap", workers(), [](std::int64_t v) { return v; })
                               .stage("slow", 4,
                                      [&](std::int64_t v) {
                                          raise_to(most_running, ++running);
                                          std::this_thread::sleep_for(150ms);
                                          --running;
                                          return v;
                                      })
                               .sink("out", [](std::int64_t) {})
                               .run(RunOptions{.threads = 4});
    EXPECT_EQ(stats.results_out, std::uint64_t{jobs});
    // The first job alone, then the other seven in one batch, one at a time: 2 batches, a mean
    // batch of 4 jobs, and the run taking over a second.
    EXPECT_LE(stats.nodes[2].mean_batch(), 1.0);
    // Single-job batches that still went one after another would run 1 at a time. (Not "3 or
    // more": how many of the arena's 4 threads oneTBB gives a run is its own business. On a loaded
    // 2-core machine, after other runs in the same process, it gave a run of 4 threads only its
    // own thread and one worker for the whole 600 ms, in 35 of 80 runs of it in 20 repeats.)
    EXPECT_GE(most_running.load(), 2);
}

INSTANTIATE_TEST_SUITE_P(Workers, PipelineTest,
                         ::testing::Values(std::size_t{1}, std::size_t{2}, std::size_t{4},
                                           std::size_t{8}),
                         workers_name);

TEST(PipelineSources, RangeFillsBatchesWithConsecutiveJobs) {
    flowpool::RangeGenerator range = flowpool::range(10, -3);  // -3 .. 6
    flowpool::detail::Items<std::int64_t> batch;
    EXPECT_EQ(range.fill(batch, 100, 4), 4u);
    EXPECT_EQ(batch.ids, (std::vector<std::uint64_t>{100, 101, 102, 103}));
    EXPECT_EQ(batch.values, (std::vector<std::int64_t>{-3, -2, -1, 0}));
    EXPECT_EQ(range(), std::optional<std::int64_t>{1});  // calls and fills share one position
    EXPECT_EQ(range.fill(batch, 104, 100), 5u);          // fewer than asked: the range is used up
    EXPECT_EQ(batch.ids.back(), 108u);
    EXPECT_EQ(batch.values.back(), 6);
    EXPECT_EQ(range.fill(batch, 109, 4), 0u);
    EXPECT_FALSE(range().has_value());
    flowpool::RangeGenerator empty = flowpool::range(-5);
    EXPECT_EQ(empty.fill(batch, 0, 4), 0u);
    EXPECT_EQ(batch.size(), 9u);

    // Up to the largest integer, and no further: a longer range stops there.
    constexpr std::int64_t most = std::numeric_limits<std::int64_t>::max();
    for (const std::int64_t count : {3, 5}) {
        flowpool::RangeGenerator top = flowpool::range(count, most - 2);
        flowpool::detail::Items<std::int64_t> last;
        EXPECT_EQ(top.fill(last, 0, 10), 3u);
        EXPECT_EQ(last.values, (std::vector<std::int64_t>{most - 2, most - 1, most}));
        EXPECT_FALSE(top().has_value());
    }
    flowpool::RangeGenerator one = flowpool::range(1, most);
    EXPECT_EQ(one(), std::optional<std::int64_t>{most});
    EXPECT_FALSE(one().has_value());
}

TEST_P(PipelineTest, RangeSourceGivesEveryJobItsIdAndValue) {
    constexpr std::int64_t jobs = 30'000;
    constexpr std::int64_t start = -1'000;
    for (const std::size_t batch :
         {std::size_t{0}, std::size_t{1}, std::size_t{999}, std::size_t{5000}}) {
        std::vector<int> seen(jobs, 0);
        int wrong = 0;
        const RunStats stats =
            flowpool::source("jobs", flowpool::range(jobs, start), batch)
                .stage("work", workers(), [](std::int64_t v) { return v * 2; })
                .sink("results",
                      [&](std::int64_t v, const JobContext& job) {
                          wrong += v != 2 * (start + static_cast<std::int64_t>(job.id()));
                          ++seen[at(job.id())];
                      })
                .run();
        EXPECT_EQ(wrong, 0) << "batch " << batch;
        EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), jobs) << "batch " << batch;
        EXPECT_EQ(stats.results_out, std::uint64_t{jobs});
    }
}

// A node is weighed by its cost per job of the source's: a node behind a filter that keeps 3 % of
// the jobs costs 3 % of its cost per job; one behind an op that makes 3 pieces of each job, 3
// times. Weighed by its cost per job alone, the node behind the filter made batches of 179 jobs
// (100 us / 558 ns), and its cost, measured on batches of 5 jobs, grew with its fixed cost per
// batch as the batches shrank.
TEST(PipelineSizer, ANodeCountsAsTheShareOfTheSourcesJobsItGets) {
    using flowpool::detail::BatchSizer;
    using flowpool::detail::JobCost;
    using std::chrono::nanoseconds;
    JobCost filter;
    JobCost after;
    filter.add(nanoseconds(512 * 12), 512);  // 12 ns a job
    after.add(nanoseconds(5 * 558), 5);      // 558 ns a job
    std::atomic<std::uint64_t> made{100'000};
    std::atomic<std::uint64_t> filter_got{100'000};
    std::atomic<std::uint64_t> after_got{3'000};
    const BatchSizer sizer(0, {{&filter, &filter_got}, {&after, &after_got}}, &made);
    // max(12 ns, 558 ns x 3 %) = 16.7 ns a job of the source's: 5,973 jobs, over the cap.
    EXPECT_EQ(sizer.next(), BatchSizer::max_jobs);
    after_got = 100'000;  // every job gets there: 100 us / 558 ns
    EXPECT_EQ(sizer.next(), 179u);
    after_got = 300'000;  // 3 pieces of each: 100 us / (3 x 558 ns)
    EXPECT_EQ(sizer.next(), 59u);
    made = 0;  // nothing made yet: each node's cost per job as it is
    after_got = 0;
    EXPECT_EQ(sizer.next(), 179u);
}

TEST(PipelineSizer, BatchesAreCappedInBytes) {
    using flowpool::detail::BatchSizer;
    EXPECT_EQ(BatchSizer::jobs_cap(16), BatchSizer::max_jobs);  // the typed API's integers
    EXPECT_EQ(BatchSizer::jobs_cap(48), BatchSizer::max_jobs);  // a graph file's Values
    EXPECT_EQ(BatchSizer::jobs_cap(1024), BatchSizer::max_bytes / 1024);
    EXPECT_EQ(BatchSizer::jobs_cap(0), 512u);  // unknown: as many jobs as before the byte cap
    EXPECT_EQ(BatchSizer::jobs_cap(1), BatchSizer::max_jobs);
    EXPECT_EQ(BatchSizer::jobs_cap(std::size_t{1} << 30), 1u);
    // A pipeline's batches hold at most jobs_cap(job bytes) jobs, even when asked for more:
    // integers (max_jobs), and jobs of 1 KiB with their ids (the byte cap).
    constexpr std::size_t jobs = 100'000;
    RunOptions options;
    options.batch_size = jobs;
    const RunStats integers = flowpool::source("jobs", flowpool::range(jobs))
                                  .stage("work", 1, [](std::int64_t v) { return v; })
                                  .sink("results", [](std::int64_t) {})
                                  .run(options);
    const std::size_t cap = BatchSizer::jobs_cap(16);
    EXPECT_EQ(integers.nodes[0].batches, (jobs + cap - 1) / cap);

    using Kilobyte = std::array<char, 1024 - sizeof(std::uint64_t)>;
    std::size_t made = 0;
    auto kilobytes = [&made]() -> std::optional<Kilobyte> {
        if (made == jobs) return std::nullopt;
        ++made;
        return Kilobyte{};
    };
    const RunStats big =
        flowpool::source("jobs", kilobytes).sink("results", [](const Kilobyte&) {}).run(options);
    // At least that many batches: a generator hands a batch on early once making it took about
    // 100 us (detail::batch_work), which 188 copies of 1 KiB may take on a busy machine.
    const std::size_t big_cap = BatchSizer::jobs_cap(1024);
    EXPECT_GE(big.nodes[0].batches, (jobs + big_cap - 1) / big_cap);
    EXPECT_EQ(big.results_out, jobs);
}

}  // namespace
