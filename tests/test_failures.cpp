// Failure policies and ordered sinks in the typed API: skip, retry, dead letters, the accounting
// equation (jobs in = results + filtered + skipped + dead-lettered + failed + abandoned), and
// results in id order although workers finish out of order. At 1, 2, 4 and 8 workers.

#include <gtest/gtest.h>

#include <flowpool/error.hpp>
#include <flowpool/graph.hpp>
#include <flowpool/on_error.hpp>
#include <flowpool/ops.hpp>
#include <flowpool/pipeline.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.hpp"

namespace {

using flowpool::JobContext;
using flowpool::OnError;
using flowpool::RunResult;
using namespace std::chrono_literals;

class FailureTest : public ::testing::TestWithParam<std::size_t> {
protected:
    [[nodiscard]] std::size_t workers() const { return GetParam(); }
};

constexpr std::int64_t jobs = 20'000;

/// Job ids are the values flowpool::range gives, so a value names its job.
bool fails(std::int64_t v) { return v % 7 == 3; }
std::int64_t failing_jobs() {
    std::int64_t n = 0;
    for (std::int64_t v = 0; v < jobs; ++v) n += fails(v) ? 1 : 0;
    return n;
}

std::int64_t check(std::int64_t v) {
    if (fails(v)) throw std::runtime_error("value " + std::to_string(v) + " is bad");
    return v;
}

void expect_accounted(const RunResult& result) {
    const flowpool::RunStats& s = result.stats;
    EXPECT_EQ(s.accounted(), s.jobs_in)
        << "results " << s.results_out << " filtered " << s.filtered << " skipped " << s.skipped
        << " dead-lettered " << s.dead_lettered << " failed " << s.failed;
}

TEST_P(FailureTest, SkipDropsFailedJobsAndTheRunGoesOn) {
    std::vector<int> seen(jobs, 0);
    const RunResult result =
        flowpool::source("jobs", flowpool::range(jobs))
            .stage("check", workers(), check)
            .on_error(OnError::skip())
            .sink("results", [&](std::int64_t v) { ++seen[static_cast<std::size_t>(v)]; })
            .try_run();
    EXPECT_FALSE(result.error);
    EXPECT_EQ(result.stats.jobs_in, std::uint64_t{jobs});
    EXPECT_EQ(result.stats.skipped, static_cast<std::uint64_t>(failing_jobs()));
    EXPECT_EQ(result.stats.failed, 0u);
    expect_accounted(result);
    for (std::int64_t v = 0; v < jobs; ++v) {
        ASSERT_EQ(seen[static_cast<std::size_t>(v)], fails(v) ? 0 : 1) << "job " << v;
    }
}

TEST_P(FailureTest, FailStopsTheSourcesAndEveryJobIsStillAccounted) {
    const RunResult result = flowpool::source("jobs", flowpool::range(jobs))
                                 .stage("check", workers(), check)
                                 .sink("results", [](std::int64_t) {})
                                 .try_run();
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->node(), "check");
    EXPECT_TRUE(fails(static_cast<std::int64_t>(result.error->job_id())));
    EXPECT_GE(result.stats.failed, 1u);
    EXPECT_LT(result.stats.jobs_in, std::uint64_t{jobs}) << "the sources should have stopped early";
    expect_accounted(result);
}

TEST_P(FailureTest, RetriesUntilAJobSucceeds) {
    // Every failing job throws on its first two tries and succeeds on the third.
    std::vector<std::atomic<int>> tries(jobs);
    auto flaky = [&](std::int64_t v) {
        if (fails(v) && tries[static_cast<std::size_t>(v)].fetch_add(1) < 2) {
            throw std::runtime_error("not yet");
        }
        return v;
    };
    std::int64_t sum = 0;
    const RunResult result = flowpool::source("jobs", flowpool::range(jobs))
                                 .stage("flaky", workers(), flaky)
                                 .on_error(OnError::fail().retried(3))
                                 .sink("results", [&](std::int64_t v) { sum += v; })
                                 .try_run();
    EXPECT_FALSE(result.error);
    EXPECT_EQ(sum, jobs * (jobs - 1) / 2);
    EXPECT_EQ(result.stats.nodes[1].retries, static_cast<std::uint64_t>(2 * failing_jobs()));
    expect_accounted(result);
}

TEST_P(FailureTest, RetryBacksOffThenAppliesTheFinalPolicy) {
    std::atomic<int> calls{0};
    const auto start = std::chrono::steady_clock::now();
    const RunResult result = flowpool::source("jobs", flowpool::range(10))
                                 .stage("always", workers(),
                                        [&](std::int64_t v) -> std::int64_t {
                                            if (v == 4) {
                                                ++calls;
                                                throw std::runtime_error("never works");
                                            }
                                            return v;
                                        })
                                 .on_error(OnError::skip().retried(3, 20ms))
                                 .sink("results", [](std::int64_t) {})
                                 .try_run();
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(calls.load(), 3);
    EXPECT_EQ(result.stats.skipped, 1u);
    EXPECT_EQ(result.stats.results_out, 9u);
    EXPECT_GE(took, 60ms) << "backoff 20 ms then 40 ms";
    expect_accounted(result);
}

/// Runs one job that always fails under fail().retried(3, @p back_off), and cancels the run
/// 100 ms after its first try (well into the back-off); @p calls counts the tries.
RunResult cancel_during_back_off(std::size_t workers, std::chrono::milliseconds back_off,
                                 std::atomic<int>& calls) {
    std::atomic<bool> cancel{false};
    flowpool::RunOptions options;
    options.cancel = &cancel;
    std::thread canceller([&] {
        while (calls.load() == 0) std::this_thread::sleep_for(1ms);
        std::this_thread::sleep_for(100ms);
        cancel = true;
    });
    RunResult result = flowpool::source("jobs", flowpool::range(1))
                           .stage("always", workers,
                                  [&](std::int64_t) -> std::int64_t {
                                      ++calls;
                                      throw std::runtime_error("never works");
                                  })
                           .on_error(OnError::fail().retried(3, back_off))
                           .sink("results", [](std::int64_t) {})
                           .try_run(options);
    canceller.join();
    return result;
}

TEST_P(FailureTest, ACancelEndsARetryBackOffAndTheJobIsNotTriedAgain) {
    std::atomic<int> calls{0};
    const auto start = std::chrono::steady_clock::now();
    const RunResult result = cancel_during_back_off(workers(), 20s, calls);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, 2s * FLOWPOOL_TEST_SLOWDOWN) << "the back-off is 20 s";
    EXPECT_TRUE(result.cancelled);
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->reason(), "never works") << "the failure of its last try";
    EXPECT_EQ(calls.load(), 1) << "no try after the cancel";
    EXPECT_EQ(result.stats.failed, 1u);
    EXPECT_EQ(result.stats.nodes[1].retries, 0u);
    expect_accounted(result);
}

TEST_P(FailureTest, AHugeRetryBackOffWaitsRatherThanWrappingRound) {
    // 2^62 ms: as a deadline in nanoseconds it wrapped round to the past, and every retry came
    // at once (three tries in no time); now the job waits, and the cancel ends the wait.
    std::atomic<int> calls{0};
    const RunResult result =
        cancel_during_back_off(workers(), std::chrono::milliseconds(std::int64_t{1} << 62), calls);
    EXPECT_EQ(calls.load(), 1) << "a retry came before the back-off ended";
    EXPECT_TRUE(result.cancelled);
    expect_accounted(result);
}

TEST_P(FailureTest, AFailedRunEndsARetryBackOff) {
    // The job goes to both branches: "late" fails it (and the run) once "always" is backing off
    // before its second try. (A job that reaches two sinks has no accounting equation.)
    std::atomic<int> calls{0};
    auto jobs_flow = flowpool::source("jobs", flowpool::range(1));
    jobs_flow
        .stage("always", workers(),
               [&](std::int64_t) -> std::int64_t {
                   ++calls;
                   throw std::runtime_error("never works");
               })
        .on_error(OnError::fail().retried(3, 20s))
        .sink("results", [](std::int64_t) {});
    const auto start = std::chrono::steady_clock::now();
    const RunResult result = jobs_flow
                                 .stage("late", workers(),
                                        [&](std::int64_t) -> std::int64_t {
                                            for (int i = 0; i < 1000 && calls.load() == 0; ++i) {
                                                std::this_thread::sleep_for(1ms);
                                            }
                                            std::this_thread::sleep_for(100ms);
                                            throw std::runtime_error("late failure");
                                        })
                                 .sink("others", [](std::int64_t) {})
                                 .try_run();
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, 2s * FLOWPOOL_TEST_SLOWDOWN) << "the back-off is 20 s";
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->node(), "late");
    EXPECT_EQ(calls.load(), 1) << "no try after the failure";
    EXPECT_EQ(result.stats.failed, 1u) << "one job, failed in both branches";
    EXPECT_EQ(result.stats.nodes[1].failed + result.stats.nodes[3].failed, 2u);
}

TEST_P(FailureTest, DeadLettersCarryTheJobItsErrorAndTheNode) {
    struct Letter {
        std::int64_t value;
        std::uint64_t id;
        std::string node;
        std::string error;
    };
    std::vector<Letter> letters;
    std::uint64_t results = 0;
    const RunResult result =
        flowpool::source("jobs", flowpool::range(jobs))
            .dead_letters("rejects",
                          [&](std::int64_t v, const JobContext& job) {
                              letters.push_back({v, job.id(), std::string(job.failed_node()),
                                                 std::string(job.error())});
                          })
            .stage("check", workers(), check)
            .on_error(OnError::dead_letter_to("rejects"))
            .sink("results", [&](std::int64_t) { ++results; })
            .try_run();
    EXPECT_FALSE(result.error);
    EXPECT_EQ(letters.size(), static_cast<std::size_t>(failing_jobs()));
    EXPECT_EQ(result.stats.dead_lettered, letters.size());
    EXPECT_EQ(result.stats.results_out, results);
    expect_accounted(result);
    for (const Letter& letter : letters) {
        EXPECT_TRUE(fails(letter.value));
        EXPECT_EQ(letter.id, static_cast<std::uint64_t>(letter.value));
        EXPECT_EQ(letter.node, "check");
        EXPECT_EQ(letter.error, "value " + std::to_string(letter.value) + " is bad");
    }
}

TEST_P(FailureTest, ADeadLetterItsSinkFailsIsCountedOnceAsFailed) {
    // The dead-letter sink throws: its jobs fail there, and were counted as dead-lettered too.
    const RunResult result =
        flowpool::source("jobs", flowpool::range(jobs))
            .dead_letters("rejects",
                          [](std::int64_t) { throw std::runtime_error("rejects sink is down"); })
            .stage("check", workers(), check)
            .on_error(OnError::dead_letter_to("rejects"))
            .sink("results", [](std::int64_t) {})
            .try_run();
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->node(), "rejects");
    EXPECT_EQ(result.stats.dead_lettered, 0U);
    EXPECT_GE(result.stats.failed, 1U);
    expect_accounted(result);
}

TEST(FailurePolicy, MisconfiguredDeadLettersAreUsageErrors) {
    auto not_a_sink = flowpool::source("jobs", flowpool::range(10))
                          .stage("check", 2, check)
                          .on_error(OnError::dead_letter_to("jobs"))
                          .sink("results", [](std::int64_t) {});
    EXPECT_THROW(static_cast<void>(not_a_sink.try_run()), flowpool::UsageError);

    // "check" takes integers; "rejects" hangs off a flow of strings.
    auto wrong_type = flowpool::source("jobs", flowpool::range(10))
                          .stage("check", 2, check)
                          .on_error(OnError::dead_letter_to("rejects"))
                          .stage("text", 2, [](std::int64_t v) { return std::to_string(v); })
                          .dead_letters("rejects", [](const std::string&) {})
                          .sink("results", [](const std::string&) {});
    EXPECT_THROW(static_cast<void>(wrong_type.try_run()), flowpool::UsageError);

    auto unused = flowpool::source("jobs", flowpool::range(10))
                      .dead_letters("rejects", [](std::int64_t) {})
                      .sink("results", [](std::int64_t) {});
    EXPECT_THROW(static_cast<void>(unused.try_run()), flowpool::UsageError)
        << "a sink nothing feeds";

    EXPECT_THROW(flowpool::source("jobs", flowpool::range(10))
                     .stage("s", 1, check)
                     .on_error(OnError::skip().retried(0)),
                 flowpool::UsageError);
}

TEST_P(FailureTest, AnOrderedSinkSeesIdsInOrderWhateverTheJobDurations) {
    constexpr std::int64_t n = 3'000;
    auto jitter = [](std::int64_t v) {
        thread_local std::mt19937 random(std::random_device{}());
        std::this_thread::sleep_for(std::chrono::microseconds(random() % 200));
        return v;
    };
    std::vector<std::uint64_t> ids;
    const RunResult result =
        flowpool::source("jobs", flowpool::range(n), 1)
            .stage("work", workers(), jitter)
            .sink(
                "results", [&](std::int64_t, const JobContext& job) { ids.push_back(job.id()); },
                flowpool::in_order)
            .try_run();
    EXPECT_FALSE(result.error);
    ASSERT_EQ(ids.size(), static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], i) << "position " << i;
}

TEST_P(FailureTest, OrderAdvancesPastFilteredAndSkippedJobs) {
    auto odd_only = [](std::int64_t v) -> std::optional<std::int64_t> {
        if (v % 2 == 0) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::microseconds(v % 5 * 20));
        return v;
    };
    std::vector<std::int64_t> values;
    const RunResult result =
        flowpool::source("jobs", flowpool::range(jobs))
            .stage("odd", workers(), odd_only)
            .stage("check", workers(), check)
            .on_error(OnError::skip())
            .sink(
                "results", [&](std::int64_t v) { values.push_back(v); }, flowpool::InOrder{64})
            .try_run();
    EXPECT_FALSE(result.error);
    expect_accounted(result);
    std::vector<std::int64_t> expected;
    for (std::int64_t v = 0; v < jobs; ++v) {
        if (v % 2 == 1 && !fails(v)) expected.push_back(v);
    }
    EXPECT_EQ(values, expected);
}

TEST_P(FailureTest, AFanOutFeedsTwoOrderedSinks) {
    // jobs -> double -> results, jobs -> triple -> others.
    auto jobs_flow = flowpool::source("jobs", flowpool::range(jobs));
    std::vector<std::uint64_t> ids;
    auto both = jobs_flow.stage("double", workers(), [](std::int64_t v) { return 2 * v; });
    both.sink(
        "results", [&](std::int64_t, const JobContext& job) { ids.push_back(job.id()); },
        flowpool::InOrder{1024});
    std::vector<std::uint64_t> other;
    const RunResult result =
        jobs_flow.stage("triple", workers(), [](std::int64_t v) { return 3 * v; })
            .sink(
                "others", [&](std::int64_t, const JobContext& job) { other.push_back(job.id()); },
                flowpool::in_order)
            .try_run();
    EXPECT_FALSE(result.error);
    ASSERT_EQ(ids.size(), static_cast<std::size_t>(jobs));
    ASSERT_EQ(other.size(), static_cast<std::size_t>(jobs));
    for (std::size_t i = 0; i < ids.size(); ++i) {
        ASSERT_EQ(ids[i], i);
        ASSERT_EQ(other[i], i);
    }
}

// Graph files: the same policies as node keys.

/// A registry with a sink op `collect` that appends each job's id and value to @p out, and
/// `letters` that records dead letters as "ID NODE: ERROR".
flowpool::OpRegistry collecting_ops(std::vector<std::pair<std::uint64_t, flowpool::Value>>& out,
                                    std::vector<std::string>& letters) {
    flowpool::OpRegistry ops;
    ops.add({.name = "collect",
             .kind = flowpool::NodeKind::sink,
             .description = "test sink",
             .make_sink = [&out](const flowpool::Params&) -> std::unique_ptr<flowpool::SinkBody> {
                 auto add = [&out](flowpool::Value v, const JobContext& job) {
                     out.emplace_back(job.id(), v);
                 };
                 return std::make_unique<
                     flowpool::detail::FunctionSink<flowpool::Value, decltype(add)>>(add);
             }});
    ops.add(
        {.name = "letters",
         .kind = flowpool::NodeKind::sink,
         .description = "test dead-letter sink",
         .make_sink = [&letters](const flowpool::Params&) -> std::unique_ptr<flowpool::SinkBody> {
             auto add = [&letters](const flowpool::Value&, const JobContext& job) {
                 letters.push_back(std::to_string(job.id()) + " " + std::string(job.failed_node()) +
                                   ": " + std::string(job.error()));
             };
             return std::make_unique<
                 flowpool::detail::FunctionSink<flowpool::Value, decltype(add)>>(add);
         }});
    return ops;
}

/// What the `collect` and `letters` sinks of one run received, and the registry holding them.
struct Collected {
    std::vector<std::pair<std::uint64_t, flowpool::Value>> out;
    std::vector<std::string> letters;
    flowpool::OpRegistry ops = collecting_ops(out, letters);
};

flowpool::RunResult run_yaml(const std::string& yaml, const flowpool::OpRegistry& ops,
                             std::size_t workers) {
    flowpool::GraphSpec graph = flowpool::parse_graph(yaml, "test.yaml");
    for (const flowpool::NodeSpec& node : graph.nodes) {
        if (node.kind == "function")
            flowpool::set_param(graph, node.name + ".concurrency=" + std::to_string(workers));
    }
    return flowpool::run_graph(graph, ops);
}

TEST_P(FailureTest, GraphFileDeadLetterAndSkip) {
    Collected c;
    const RunResult result = run_yaml(R"(graph: policies
nodes:
  jobs:    { kind: source, op: range, count: 1000 }
  first:   { kind: function, op: fail, value: 17, dead_letter: rejects, retries: 2 }
  second:  { kind: function, op: fail, value: 42, on_error: skip }
  results: { kind: sink, op: collect, ordered: true }
  rejects: { kind: sink, op: letters }
edges:
  - jobs -> first -> second -> results
)",
                                      c.ops, workers());
    EXPECT_FALSE(result.error);
    EXPECT_EQ(c.letters, std::vector<std::string>{"17 first: value 17 fails by request"});
    EXPECT_EQ(result.stats.dead_lettered, 1u);
    EXPECT_EQ(result.stats.skipped, 1u);
    EXPECT_EQ(result.stats.nodes[1].retries, 2u);
    EXPECT_EQ(result.stats.results_out, 998u);
    expect_accounted(result);
    ASSERT_EQ(c.out.size(), 998u);
    for (std::size_t i = 1; i < c.out.size(); ++i)
        ASSERT_LT(c.out[i - 1].first, c.out[i].first) << "ordered";
}

TEST_P(FailureTest, GraphFileDiamondIntoAnOrderedSink) {
    // Each job reaches `results` along two paths; the sink sees batch after batch in order, each
    // job once per path: an id never falls a batch (at most 7 jobs) behind the largest seen.
    Collected c;
    const RunResult result = run_yaml(R"(graph: diamond
nodes:
  jobs:    { kind: source, op: range, count: 5000, batch: 7 }
  slow:    { kind: function, op: spin, iterations: 2000 }
  fast:    { kind: function, op: multiply, factor: 1 }
  results: { kind: sink, op: collect, ordered: true, reorder_window: 100 }
edges:
  - jobs -> slow -> results
  - jobs -> fast -> results
)",
                                      c.ops, workers());
    EXPECT_FALSE(result.error);
    ASSERT_EQ(c.out.size(), 10000u);
    std::vector<int> seen(5000, 0);
    std::uint64_t largest = 0;
    for (const auto& [id, value] : c.out) {
        ++seen[static_cast<std::size_t>(id)];
        largest = std::max(largest, id);
        ASSERT_LT(largest - id, 7u) << "job " << id << " after job " << largest;
    }
    for (const int n : seen) ASSERT_EQ(n, 2);
}

TEST(FailurePolicyFile, AJsonlDeadLetterSinkWritesTheNodeAndTheError) {
    const std::string dir = flowpool::test::fresh_dir("jsonl_dead_letters");
    {
        std::ofstream in(dir + "/numbers.txt");
        in << "1\n2\nthree\n4\n";
    }
    const std::string yaml =
        "graph: rejects\nnodes:\n"
        "  lines:   { kind: source, op: lines, path: " +
        dir +
        "/numbers.txt }\n"
        "  parse:   { kind: function, op: parse_int, dead_letter: rejects }\n"
        "  results: { kind: sink, op: jsonl, path: " +
        dir +
        "/results.jsonl, ordered: true }\n"
        "  rejects: { kind: sink, op: jsonl, path: " +
        dir +
        "/rejects.jsonl }\n"
        "edges: [\"lines -> parse -> results\"]\n";
    const RunResult result =
        flowpool::run_graph(flowpool::parse_graph(yaml, "rejects.yaml"), flowpool::OpRegistry{});
    EXPECT_FALSE(result.error);
    EXPECT_EQ(result.stats.dead_lettered, 1u);
    EXPECT_EQ(result.stats.results_out, 3u);
    std::ifstream rejects(dir + "/rejects.jsonl");
    std::string line;
    ASSERT_TRUE(std::getline(rejects, line));
    EXPECT_EQ(line,
              R"({"id":2,"value":"three","node":"parse","error":"not an integer: \"three\""})");
    EXPECT_FALSE(std::getline(rejects, line)) << "one dead letter";
    std::ifstream results(dir + "/results.jsonl");
    ASSERT_TRUE(std::getline(results, line));
    EXPECT_EQ(line, R"({"id":0,"value":1})") << "results carry no error fields";
}

// Bad policy keys in graph files are in the corpus, tests/data/bad/ (on_error_*, dead_letter_*,
// retries_negative, reorder_window_unordered, ordered_not_boolean, timeout_zero).

// Timeouts: a job that runs too long fails as the policy says; the run does not wait for it.

TEST_P(FailureTest, ATimedOutJobFailsAloneAndTheRunDoesNotWaitForIt) {
    // Job 5 would take 30 s; the limit is 1 s (generous: a loaded machine may take 100 ms to
    // start a thread).
    auto slow_five = [](std::int64_t v) {
        std::this_thread::sleep_for(v == 5 ? 30s : 1ms);
        return v;
    };
    std::vector<std::int64_t> values;
    const auto start = std::chrono::steady_clock::now();
    const RunResult result = flowpool::source("jobs", flowpool::range(20))
                                 .stage("slow", workers(), slow_five)
                                 .timeout(1s)
                                 .on_error(OnError::skip())
                                 .sink("results", [&](std::int64_t v) { values.push_back(v); })
                                 .try_run();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_FALSE(result.error);
    EXPECT_EQ(result.stats.skipped, 1u);
    EXPECT_EQ(values.size(), 19u);
    EXPECT_EQ(std::count(values.begin(), values.end(), 5), 0);
    expect_accounted(result);
}

TEST_P(FailureTest, ATimedOutJobUnderFailNamesTheNodeAndJob) {
    const RunResult result = flowpool::source("jobs", flowpool::range(6))
                                 .stage("slow", workers(),
                                        [](std::int64_t v) {
                                            std::this_thread::sleep_for(v == 3 ? 30s : 0ms);
                                            return v;
                                        })
                                 .timeout(1s)
                                 .sink("results", [](std::int64_t) {})
                                 .try_run();
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->node(), "slow");
    EXPECT_EQ(result.error->job_id(), 3u);
    EXPECT_EQ(result.error->reason(), "timed out after 1000 ms");
    expect_accounted(result);
}

TEST_P(FailureTest, GraphFileTimeoutWithDeadLetters) {
    Collected c;
    c.ops.add(
        {.name = "stall",
         .kind = flowpool::NodeKind::function,
         .description = "sleeps 30 s on value 7",
         .make_stage = [](const flowpool::Params&) -> std::unique_ptr<flowpool::StageBody> {
             auto f = [](flowpool::Value v) {
                 if (std::get<std::int64_t>(v) == 7) std::this_thread::sleep_for(30s);
                 return v;
             };
             return std::make_unique<flowpool::detail::FunctionStage<flowpool::Value, decltype(f)>>(
                 f);
         }});
    const RunResult result = run_yaml(R"(graph: timeouts
nodes:
  jobs:    { kind: source, op: range, count: 30 }
  stall:   { kind: function, op: stall, timeout_ms: 1000, dead_letter: rejects }
  results: { kind: sink, op: collect, ordered: true }
  rejects: { kind: sink, op: letters }
edges:
  - jobs -> stall -> results
)",
                                      c.ops, workers());
    EXPECT_FALSE(result.error);
    EXPECT_EQ(c.letters, std::vector<std::string>{"7 stall: timed out after 1000 ms"});
    EXPECT_EQ(c.out.size(), 29u);
    expect_accounted(result);
}

INSTANTIATE_TEST_SUITE_P(Workers, FailureTest, ::testing::Values(1, 2, 4, 8));

}  // namespace
