// A job that fails in several branches of a fan-out: each node's figures count it, the run's
// totals (failed, skipped, dead-lettered; JobError::failed_jobs) count it once. At 1, 2, 4 and 8
// workers.
//
//   jobs ─┬─► left  ─► lefts      both branches fail the same jobs (every 7th, as
//         └─► right ─► rights     test_failures.cpp's) under one policy.

#include <gtest/gtest.h>

#include <flowpool/on_error.hpp>
#include <flowpool/pipeline.hpp>
#include <flowpool/stats.hpp>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>

namespace {

using flowpool::OnError;
using flowpool::RunResult;

class FanOutFailures : public ::testing::TestWithParam<std::size_t> {
protected:
    [[nodiscard]] std::size_t workers() const { return GetParam(); }
};

constexpr std::int64_t jobs = 20'000;

bool fails(std::int64_t v) { return v % 7 == 3; }
std::uint64_t failing_jobs() {
    std::uint64_t n = 0;
    for (std::int64_t v = 0; v < jobs; ++v) n += fails(v) ? 1 : 0;
    return n;
}

/// The figures of node @p name in @p result.
const flowpool::NodeStats& node(const RunResult& result, const std::string& name) {
    for (const flowpool::NodeStats& s : result.stats.nodes) {
        if (s.name == name) return s;
    }
    throw std::logic_error("no node " + name);
}

/// Runs the graph above, both branches under @p policy (dead letters go to `rejects`, made for
/// them, which counts them in @p letters); @p failed_ids gets every job either branch threw on.
RunResult run_fan_out(std::size_t workers, const OnError& policy, std::uint64_t& letters,
                      std::set<std::int64_t>& failed_ids) {
    std::mutex mutex;
    const auto check = [&](std::int64_t v) {
        if (fails(v)) {
            const std::lock_guard lock(mutex);
            failed_ids.insert(v);
            throw std::runtime_error("value " + std::to_string(v) + " is bad");
        }
        return v;
    };
    const auto source = flowpool::source("jobs", flowpool::range(jobs));
    if (policy.action == OnError::Action::dead_letter) {
        source.dead_letters("rejects", [&](std::int64_t) { ++letters; });
    }
    source.stage("left", workers, check).on_error(policy).sink("lefts", [](std::int64_t) {});
    return source.stage("right", workers, check)
        .on_error(policy)
        .sink("rights", [](std::int64_t) {})
        .try_run();
}

TEST_P(FanOutFailures, ASkippedJobCountsOnceInTheRunAndOnceAtEachNode) {
    std::uint64_t letters = 0;
    std::set<std::int64_t> failed_ids;
    const RunResult result = run_fan_out(workers(), OnError::skip(), letters, failed_ids);
    EXPECT_FALSE(result.error);
    EXPECT_EQ(result.stats.jobs_in, std::uint64_t{jobs});
    EXPECT_EQ(result.stats.skipped, failing_jobs()) << "a job skipped in both branches";
    EXPECT_EQ(node(result, "left").skipped, failing_jobs());
    EXPECT_EQ(node(result, "right").skipped, failing_jobs());
    EXPECT_EQ(result.stats.results_out, 2 * (std::uint64_t{jobs} - failing_jobs()))
        << "once per sink";
    EXPECT_EQ(result.stats.failed + result.stats.dead_lettered, 0u);
}

TEST_P(FanOutFailures, ADeadLetteredJobCountsOnceInTheRunAndOnceAtEachNode) {
    std::uint64_t letters = 0;
    std::set<std::int64_t> failed_ids;
    const RunResult result =
        run_fan_out(workers(), OnError::dead_letter_to("rejects"), letters, failed_ids);
    EXPECT_FALSE(result.error);
    EXPECT_EQ(letters, 2 * failing_jobs()) << "each branch sends its own letter";
    EXPECT_EQ(result.stats.dead_lettered, failing_jobs());
    EXPECT_EQ(node(result, "left").dead_lettered, failing_jobs());
    EXPECT_EQ(node(result, "right").dead_lettered, failing_jobs());
    EXPECT_EQ(result.stats.failed + result.stats.skipped, 0u);
}

TEST_P(FanOutFailures, AFailedJobCountsOnceInTheRunAndOnceAtEachNode) {
    // The first failure stops the sources; the jobs in flight still run, in both branches, and
    // some fail in one branch only.
    std::uint64_t letters = 0;
    std::set<std::int64_t> failed_ids;
    const RunResult result = run_fan_out(workers(), OnError::fail(), letters, failed_ids);
    ASSERT_TRUE(result.error);
    EXPECT_TRUE(fails(static_cast<std::int64_t>(result.error->job_id())));
    EXPECT_LT(result.stats.jobs_in, std::uint64_t{jobs}) << "the sources should have stopped";
    EXPECT_EQ(result.stats.failed, failed_ids.size());
    EXPECT_EQ(result.error->failed_jobs(), failed_ids.size());
    const std::uint64_t at_nodes = node(result, "left").failed + node(result, "right").failed;
    EXPECT_GE(at_nodes, failed_ids.size());
    EXPECT_LE(at_nodes, 2 * failed_ids.size());
    EXPECT_EQ(result.stats.skipped + result.stats.dead_lettered, 0u);
}

INSTANTIATE_TEST_SUITE_P(Workers, FanOutFailures, ::testing::Values(1, 2, 4, 8));

}  // namespace
