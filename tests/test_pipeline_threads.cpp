// Tests of the typed pipeline API (flowpool/pipeline.hpp): the threads a run takes. One worker
// fed by a range runs on the caller's thread alone; a source that may wait, or RunOptions::threads
// = 2, gives the run a second thread, checked by two jobs that must run at once.

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <flowpool/pipeline.hpp>
#include <flowpool/stats.hpp>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace {

using flowpool::RunOptions;
using flowpool::RunStats;
using namespace std::chrono_literals;

TEST(PipelineThreads, OneWorkerFromARangeRunsOnTheCallersThreadAlone) {
    // A range makes its jobs without waiting, and one worker needs one thread: the source, the
    // worker and the sink all run on the thread that called run(), and no second thread spins
    // beside them waiting for work.
    std::mutex mutex;
    std::set<std::thread::id> threads;
    const auto note = [&] {
        const std::lock_guard<std::mutex> lock(mutex);
        threads.insert(std::this_thread::get_id());
    };
    const RunStats stats = flowpool::source("jobs", flowpool::range(50'000), 64)
                               .stage("work", 1,
                                      [&](std::int64_t v) {
                                          note();
                                          return v;
                                      })
                               .sink("results", [&](std::int64_t) { note(); })
                               .run();
    EXPECT_EQ(stats.results_out, 50'000u);
    EXPECT_EQ(threads, std::set<std::thread::id>{std::this_thread::get_id()});
}

/// Two parties, 0 and 1, that must run at once: each arrive() waits (5 s at most) for the other
/// to have arrived, and counts a wait in vain. On one thread the first to come waits in vain.
struct Meeting {
    std::array<std::atomic<bool>, 2> in{};
    std::atomic<int> waited_in_vain{0};

    void arrive(std::size_t party) {
        in[party] = true;
        const std::atomic<bool>& other = in[1 - party];
        const auto give_up = std::chrono::steady_clock::now() + 5s;
        while (!other.load() && std::chrono::steady_clock::now() < give_up) {
            std::this_thread::sleep_for(1ms);
        }
        if (!other.load()) ++waited_in_vain;
    }
};

TEST(PipelineThreads, ASourceThatWaitsKeepsAThreadBesideTheWorker) {
    if (flowpool::default_workers() < 2) GTEST_SKIP() << "needs two cores";
    // A source that may wait (any generator but a range) has a thread of its own beside the one
    // worker: the worker's first job and the generator's second meet, each waiting (5 s at most)
    // for the other to have begun. On one thread each would wait in vain.
    Meeting meeting;
    std::int64_t made = 0;
    const auto generator = [&]() -> std::optional<std::int64_t> {
        if (made == 1) meeting.arrive(1);
        if (made == 3) return std::nullopt;
        return made++;
    };
    const RunStats stats = flowpool::source("jobs", generator, 1)
                               .stage("work", 1,
                                      [&](std::int64_t v) {
                                          if (v == 0) meeting.arrive(0);
                                          return v;
                                      })
                               .sink("results", [](std::int64_t) {})
                               .run();
    EXPECT_EQ(meeting.waited_in_vain.load(), 0);
    EXPECT_EQ(stats.results_out, 3u);
}

TEST(PipelineThreads, AskedForTwoThreadsTheSinkRunsBesideTheOneWorker) {
    if (flowpool::default_workers() < 2) GTEST_SKIP() << "needs two cores";
    // RunOptions::threads = 2 gives a one-worker pipeline from a range a second thread: the
    // sink's first job and the worker's second meet, each waiting (5 s at most) for the other.
    // On the one thread the run would choose itself, each would wait in vain.
    Meeting meeting;
    RunOptions options;
    options.threads = 2;
    const RunStats stats = flowpool::source("jobs", flowpool::range(3), 1)
                               .stage("work", 1,
                                      [&](std::int64_t v) {
                                          if (v == 1) meeting.arrive(0);
                                          return v;
                                      })
                               .sink("results",
                                     [&](std::int64_t v) {
                                         if (v == 0) meeting.arrive(1);
                                     })
                               .run(options);
    EXPECT_EQ(meeting.waited_in_vain.load(), 0);
    EXPECT_EQ(stats.results_out, 3u);
}

}  // namespace
