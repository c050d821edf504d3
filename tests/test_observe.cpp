// What a run reports about itself: per-node figures (batches, queue high-water mark, time per
// job), the observer hook, and Chrome traces with sampling.

#include <gtest/gtest.h>

#include <flowpool/graph.hpp>
#include <flowpool/ops.hpp>
#include <flowpool/pipeline.hpp>
#include <flowpool/trace.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class ObserveTest : public ::testing::TestWithParam<std::size_t> {
protected:
    [[nodiscard]] std::size_t workers() const { return GetParam(); }
};

/// A job of about @p us microseconds.
std::int64_t sleepy(std::int64_t v, std::chrono::microseconds us) {
    std::this_thread::sleep_for(us);
    return v;
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST_P(ObserveTest, NodeFiguresDescribeTheRun) {
    const flowpool::RunStats stats =
        flowpool::source("jobs", flowpool::range(400))
            .stage("work", workers(), [](std::int64_t v) { return sleepy(v, 500us); })
            .sink("out", [](std::int64_t) {})
            .run();
    const flowpool::NodeStats& work = stats.nodes[1];
    EXPECT_EQ(work.messages_in, 400u);
    EXPECT_GE(work.batches, 1u);
    EXPECT_LE(work.batches, 400u);
    EXPECT_NEAR(work.mean_batch(), 400.0 / static_cast<double>(work.batches), 1e-9);
    EXPECT_GE(work.queue_high_water, 1u);
    // A sleep of 500 µs takes at least that; the buckets are within about 20%.
    EXPECT_GE(work.job_time_p50, 400us);
    EXPECT_LE(work.job_time_p50, work.job_time_p90);
    EXPECT_LE(work.job_time_p90, work.job_time_p99);
    EXPECT_LE(work.job_time_p99, work.job_time_max);
    EXPECT_LT(work.job_time_p50, 50ms);
    EXPECT_EQ(stats.nodes[0].expected_jobs, 0u) << "a generator does not know its length";
    const double use = work.utilisation(stats.wall, workers());
    EXPECT_GT(use, 0.0);
    EXPECT_LE(use, 1.05);
}

TEST_P(ObserveTest, TheObserverSeesTheRunGrowAndItsEnd) {
    std::mutex mutex;
    std::vector<std::uint64_t> seen;
    flowpool::RunOptions options;
    options.observe_every = 20ms;
    options.observer = [&](const flowpool::RunStats& now) {
        const std::lock_guard lock(mutex);
        seen.push_back(now.jobs_in);
    };
    // 300 jobs of 1 ms per worker: at least 300 ms however many of them run at once (300 jobs
    // in all would take under 40 ms on 8 cores: two calls of the observer at most).
    const std::uint64_t jobs = 300 * workers();
    const flowpool::RunResult result =
        flowpool::source("jobs", flowpool::range(static_cast<std::int64_t>(jobs)))
            .stage("work", workers(), [](std::int64_t v) { return sleepy(v, 1ms); })
            .sink("out", [](std::int64_t) {})
            .try_run(options);
    ASSERT_GE(seen.size(), 3u) << "300 ms of work, an observer every 20 ms";
    for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_LE(seen[i - 1], seen[i]);
    EXPECT_EQ(seen.back(), result.stats.jobs_in) << "the last call has the final figures";
    EXPECT_EQ(seen.back(), jobs);
}

TEST_P(ObserveTest, OnFailuresHearsOfEachBatchWithFailuresAsItEnds) {
    // Every job fails under skip, and on_failures stops the sources once more than 3 did: long
    // before the observer (every 10 s) could, with at most the batches in flight run after it.
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> heard;  // jobs in, not ok
    flowpool::RunOptions options;
    options.cancel = &stop;
    options.batch_size = 1;
    options.max_in_flight = 2;
    options.observe_every = 10s;
    options.on_failures = [&](std::uint64_t jobs_in, std::uint64_t not_ok) {
        const std::lock_guard lock(mutex);
        heard.emplace_back(jobs_in, not_ok);
        if (not_ok > 3) stop = true;
    };
    const flowpool::RunResult result =
        flowpool::source("jobs", flowpool::range(100000))
            .stage("work", workers(),
                   [](std::int64_t) -> std::int64_t { throw std::runtime_error("no"); })
            .on_error(flowpool::OnError::skip())
            .sink("out", [](std::int64_t) {})
            .try_run(options);
    EXPECT_TRUE(result.cancelled);
    EXPECT_GE(result.stats.skipped, 4u);
    EXPECT_LE(result.stats.jobs_in, 4u + options.max_in_flight + 1) << "the sources went on";
    EXPECT_EQ(result.stats.skipped, result.stats.jobs_in);
    ASSERT_EQ(heard.size(), result.stats.skipped) << "one call per batch with a failure";
    std::uint64_t most = 0;
    for (const auto& [jobs_in, not_ok] : heard) {
        EXPECT_LE(not_ok, jobs_in);
        most = std::max(most, not_ok);
    }
    EXPECT_EQ(most, result.stats.skipped) << "the last call has every failure";
}

TEST_P(ObserveTest, AnOnFailuresThatThrowsIsNotCalledAgainAndTheRunGoesOn) {
    std::atomic<int> calls{0};
    flowpool::RunOptions options;
    options.batch_size = 1;
    options.on_failures = [&](std::uint64_t, std::uint64_t) {
        ++calls;
        throw std::runtime_error("limit");
    };
    const flowpool::RunResult result = flowpool::source("jobs", flowpool::range(50))
                                           .stage("work", workers(),
                                                  [](std::int64_t v) -> std::int64_t {
                                                      if (v % 2 == 0)
                                                          throw std::runtime_error("no");
                                                      return v;
                                                  })
                                           .on_error(flowpool::OnError::skip())
                                           .sink("out", [](std::int64_t) {})
                                           .try_run(options);
    EXPECT_EQ(result.stats.skipped, 25u);
    EXPECT_EQ(result.stats.results_out, 25u);
    // Once, or a few times when workers' batches failed at the same moment: not 25.
    EXPECT_GE(calls.load(), 1);
    EXPECT_LE(calls.load(), static_cast<int>(workers()));
}

TEST(Observe, AnObserverThatThrowsIsCalledOnceMoreAtTheEndAsItsWarningSays) {
    std::atomic<int> calls{0};
    flowpool::RunOptions options;
    options.observe_every = 1ms;
    options.observer = [&calls](const flowpool::RunStats&) {
        ++calls;
        throw std::runtime_error("observer");
    };
    ::testing::internal::CaptureStderr();  // the warnings
    // The first job waits (10 s at most) for the observer's first call: its thread may start
    // after a 40 ms run has ended on a loaded machine, and would then be called at the end alone.
    // The 19 jobs after it give a second call while the run goes on 38 ms to happen.
    const auto first_call = [&calls] {
        const auto give_up = std::chrono::steady_clock::now() + 10s;
        while (calls.load() == 0 && std::chrono::steady_clock::now() < give_up) {
            std::this_thread::sleep_for(1ms);
        }
    };
    const flowpool::RunResult result = flowpool::source("jobs", flowpool::range(20), 1)
                                           .stage("work", 1,
                                                  [&first_call](std::int64_t v) {
                                                      if (v == 0) first_call();
                                                      return sleepy(v, 2000us);
                                                  })
                                           .sink("out", [](std::int64_t) {})
                                           .try_run(options);
    const std::string warnings = ::testing::internal::GetCapturedStderr();
    EXPECT_FALSE(result.error.has_value()) << "an observer's failure is not the run's";
    EXPECT_EQ(calls.load(), 2) << "once while the run went on, and once at its end";
    EXPECT_EQ(count_of(warnings,
                       "the run's observer threw; it is not called again until the "
                       "end of the run"),
              1u)
        << warnings;
    EXPECT_EQ(count_of(warnings, "the run's observer threw at the end of the run"), 1u) << warnings;
}

TEST_P(ObserveTest, AChromeTraceHasASpanPerSampledBatch) {
    const fs::path path =
        fs::path(::testing::TempDir()) / ("flowpool_trace_" + std::to_string(::getpid()) + "_" +
                                          std::to_string(workers()) + ".json");
    std::uint64_t spans = 0;
    flowpool::RunStats stats;
    {
        flowpool::ChromeTrace trace(path.string());
        flowpool::RunOptions options;
        options.trace = &trace;
        options.batch_size = 4;
        stats = flowpool::source("jobs", flowpool::range(1000))
                    .stage("work", workers(), [](std::int64_t v) { return v + 1; })
                    .sink("out", [](std::int64_t) {})
                    .run(options);
        trace.close();
        spans = trace.spans();
    }
    const std::string json = read_file(path);
    std::uint64_t batches = 0;
    for (const flowpool::NodeStats& node : stats.nodes) batches += node.batches;
    EXPECT_EQ(spans, batches) << "every batch of every node, at trace_sample 1";
    EXPECT_EQ(count_of(json, "\"ph\":\"X\""), spans);
    EXPECT_EQ(count_of(json, "\"ph\":\"C\""), spans);
    EXPECT_EQ(count_of(json, "\"name\":\"work jobs "), stats.nodes[1].batches);
    EXPECT_EQ(json.rfind("\n]}\n"), json.size() - 4) << "the JSON is closed";
    fs::remove(path);

    // One batch in ten per node.
    flowpool::ChromeTrace sampled(path.string());
    flowpool::RunOptions options;
    options.trace = &sampled;
    options.trace_sample = 10;
    options.batch_size = 4;
    const flowpool::RunStats again =
        flowpool::source("jobs", flowpool::range(1000))
            .stage("work", workers(), [](std::int64_t v) { return v + 1; })
            .sink("out", [](std::int64_t) {})
            .run(options);
    sampled.close();
    std::uint64_t expected = 0;
    for (const flowpool::NodeStats& node : again.nodes) expected += (node.batches + 9) / 10;
    EXPECT_EQ(sampled.spans(), expected);
    fs::remove(path);
}

TEST(Observe, ARangeSourceKnowsHowManyJobsItWillMake) {
    const flowpool::GraphSpec graph = flowpool::parse_graph(R"(graph: g
nodes:
  jobs: { kind: source, op: range, count: 1234 }
  out:  { kind: sink, op: summary }
edges: [jobs -> out]
)",
                                                            "g.yaml");
    testing::internal::CaptureStdout();
    const flowpool::RunResult result = flowpool::run_graph(graph, flowpool::OpRegistry{});
    testing::internal::GetCapturedStdout();
    EXPECT_EQ(result.stats.nodes[0].expected_jobs, 1234u);
}

/// What the observer saw of @p yaml's run (its source first; {W}: @p workers, a node's
/// `concurrency`): the jobs that ended and the results out, at each call; the last is the end.
struct Ended {
    std::uint64_t retired = 0;
    std::uint64_t jobs_in = 0;
    std::uint64_t results_out = 0;
};
std::vector<Ended> ended_as_seen(const std::string& yaml, std::size_t workers) {
    std::string text = yaml;
    text.replace(text.find("{W}"), 3, std::to_string(workers));
    std::mutex mutex;
    std::vector<Ended> seen;
    flowpool::RunOptions options;
    options.observe_every = 2ms;
    options.observer = [&](const flowpool::RunStats& now) {
        const std::lock_guard lock(mutex);
        seen.push_back({now.retired, now.jobs_in, now.results_out});
    };
    testing::internal::CaptureStdout();
    const flowpool::RunResult result =
        flowpool::run_graph(flowpool::parse_graph(text, "g.yaml"), flowpool::OpRegistry{}, options);
    testing::internal::GetCapturedStdout();
    EXPECT_FALSE(result.error);
    EXPECT_EQ(result.stats.retired, result.stats.jobs_in) << "every job ended";
    return seen;
}

/// Checks that the sources' jobs counted as ended (what the progress line counts) grow to
/// @p jobs and reach it only with every one of the @p results in.
void expect_ended_only_at_the_end(const std::vector<Ended>& seen, std::uint64_t jobs,
                                  std::uint64_t results) {
    ASSERT_GE(seen.size(), 2u) << "a call while it ran, and one at its end";
    EXPECT_EQ(seen.back().retired, jobs);
    EXPECT_EQ(seen.back().results_out, results);
    std::size_t midway = 0;  // calls that saw the run half done or more, and not finished
    for (std::size_t i = 0; i < seen.size(); ++i) {
        const Ended& now = seen[i];
        EXPECT_LE(now.retired, now.jobs_in) << "call " << i;
        if (i != 0) {
            EXPECT_LE(seen[i - 1].retired, now.retired) << "call " << i;
        }
        if (now.retired == jobs) {
            EXPECT_EQ(now.results_out, results) << "call " << i;
        }
        if (now.results_out >= results / 2 && now.results_out < results) ++midway;
    }
    // The run's second half was seen: where the results out already were more than the jobs.
    EXPECT_GE(midway, 1u);
}

TEST_P(ObserveTest, JobsEndWithAllTheJobsMadeFromThem) {
    // Each job becomes 4 that take about 40 us each: the results out pass the jobs in (4000)
    // a quarter of the way; the jobs that ended may not.
    const std::vector<Ended> seen = ended_as_seen(R"(graph: g
nodes:
  jobs:   { kind: source, op: range, count: 4000 }
  pieces: { kind: function, op: explode, expr: '[., . + 1, . + 2, . + 3]' }
  work:   { kind: function, op: spin, iterations: 20000, concurrency: {W} }
  out:    { kind: sink, op: summary }
edges: [jobs -> pieces -> work -> out]
)",
                                                  workers());
    expect_ended_only_at_the_end(seen, 4000, 16000);
}

TEST_P(ObserveTest, AJobSentToTwoSinksEndsWhenBothHaveIt) {
    const std::vector<Ended> seen = ended_as_seen(R"(graph: g
nodes:
  jobs: { kind: source, op: range, count: 8000 }
  work: { kind: function, op: spin, iterations: 20000, concurrency: {W} }
  a:    { kind: sink, op: summary }
  b:    { kind: sink, op: summary }
edges: [jobs -> work -> a, work -> b]
)",
                                                  workers());
    expect_ended_only_at_the_end(seen, 8000, 16000);
}

TEST(Observe, ABatchIsQueuedAtTheNextNodeOnlyOnceItLeavesThisOne) {
    // Two jobs of a second each, one a batch, on two workers: for the first second nothing has
    // been sent to the sink, whatever the workers hold.
    std::mutex mutex;
    std::vector<std::pair<std::size_t, std::size_t>> early;  // (work running, out queued)
    flowpool::RunOptions options;
    options.observe_every = 10ms;
    options.observer = [&](const flowpool::RunStats& now) {
        // Half the jobs' time: a margin for an observer's call that is late in reading.
        if (now.wall >= 500ms) return;
        const std::lock_guard lock(mutex);
        early.emplace_back(now.nodes[1].running, now.nodes[2].queued);
    };
    const flowpool::RunResult result =
        flowpool::source("jobs", flowpool::range(2), 1)
            .stage("work", 2, [](std::int64_t v) { return sleepy(v, 1s); })
            .sink("out", [](std::int64_t) {})
            .try_run(options);
    EXPECT_FALSE(result.error);
    ASSERT_GE(early.size(), 5u) << "an observer every 10 ms, for 500 ms";
    bool held = false;
    for (const auto& [running, queued] : early) {
        held = held || running != 0;
        EXPECT_EQ(queued, 0u) << running << " batches running at work";
    }
    EXPECT_TRUE(held) << "work held a batch while it was observed";
}

TEST(Observe, AnUnwritableTracePathIsAUsageError) {
    EXPECT_THROW(flowpool::ChromeTrace("/nonexistent-dir/trace.json"), flowpool::UsageError);
}

INSTANTIATE_TEST_SUITE_P(Workers, ObserveTest, ::testing::Values(1, 2, 4, 8));

}  // namespace
