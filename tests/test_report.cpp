// What `flowpool run` prints from a run's figures (src/cli/report.cpp): the progress line and
// the --stats table, from figures made here, so that each case is exact.

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <flowpool/stats.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/report.hpp"
#include "cli_runner.hpp"

namespace {

using flowpool::test::lines_of;

using namespace std::chrono_literals;

flowpool::NodeStats node(const std::string& name, flowpool::NodeKind kind, std::uint64_t in,
                         std::uint64_t out) {
    flowpool::NodeStats s;
    s.name = name;
    s.kind = kind;
    s.messages_in = in;
    s.messages_out = out;
    return s;
}

}  // namespace

TEST(Report, ProgressCountsTheSourcesJobsThatEndedNotThePiecesMadeOfThem) {
    // range 600000 -> explode x4 -> spin -> summary, a second in: every job made, 1.2 M of the
    // 2.4 M pieces consumed, 250000 jobs ended with all four of their pieces.
    flowpool::RunStats stats;
    stats.wall = 1s;
    stats.jobs_in = 600000;
    stats.merged = 600000;
    stats.made = 2400000;
    stats.results_out = 1200000;
    stats.retired = 250000;
    EXPECT_EQ(flowpool::cli::progress_line(stats, 600000),
              "250000/600000 jobs  41.7%  250000 jobs/s  ETA 0:01");
}

TEST(Report, ProgressCountsAJobSentToTwoSinksOnce) {
    flowpool::RunStats stats;
    stats.wall = 2s;
    stats.jobs_in = 300000;
    stats.results_out = 275000;  // 137500 jobs, one result in each sink
    stats.retired = 137500;
    EXPECT_EQ(flowpool::cli::progress_line(stats, 1000000),
              "137500/1000000 jobs  13.8%  68750 jobs/s  ETA 0:13");
}

TEST(Report, ProgressIsWholeOnlyWhenEveryJobEnded) {
    flowpool::RunStats stats;
    stats.wall = 4s;
    stats.jobs_in = 1000;
    stats.results_out = 2000;
    stats.retired = 1000;
    EXPECT_EQ(flowpool::cli::progress_line(stats, 1000),
              "1000/1000 jobs 100.0%  250 jobs/s  ETA 0:00");
}

TEST(Report, TheStatsTableCountsDeadLettersSoEachRowAddsUp) {
    flowpool::RunStats stats;
    stats.wall = 1s;
    stats.nodes.push_back(node("jobs", flowpool::NodeKind::source, 5714, 5714));
    flowpool::NodeStats bad = node("bad2", flowpool::NodeKind::function, 5714, 5195);
    bad.dead_lettered = 519;
    stats.nodes.push_back(bad);
    stats.nodes.push_back(node("out", flowpool::NodeKind::sink, 5195, 5195));
    stats.nodes.push_back(node("dl", flowpool::NodeKind::sink, 519, 0));
    const std::vector<std::string> lines = lines_of(flowpool::cli::stats_table(stats, 2));
    ASSERT_EQ(lines.size(), 6u);  // header, 4 nodes, bottleneck
    EXPECT_NE(lines[0].find(" filt/fail/skip/dl "), std::string::npos) << lines[0];
    // Node, kind, workers, in, out, filt/fail/skip/dl, then the rest of the line: `[^\r\n]*`, not
    // `.*`, which in RE2 matches a '\r' too.
    const RE2 row(R"((\w+) +\w+ +\d+ +(\d+) +(\d+) +(\d+)/(\d+)/(\d+)/(\d+) [^\r\n]*)");
    std::string name, in, out, filtered, failed, skipped, dead_lettered;
    ASSERT_TRUE(RE2::FullMatch(lines[2], row, &name, &in, &out, &filtered, &failed, &skipped,
                               &dead_lettered))
        << lines[2];
    EXPECT_EQ(name, "bad2");
    EXPECT_EQ(std::stoul(in), std::stoul(out) + std::stoul(filtered) + std::stoul(failed) +
                                  std::stoul(skipped) + std::stoul(dead_lettered))
        << lines[2];
    EXPECT_EQ(dead_lettered, "519");
}

TEST(Report, UtilisationIsBusyTimeOverTheWorkersTheRunGaveTheNode) {
    // An `exec` node of concurrency 4 on 2 cores: the run gives each worker a thread of its own,
    // so 4 programs wait at once all along: 4 s busy in 1 s is all it could do, not 200%.
    flowpool::RunStats stats;
    stats.wall = 1s;
    flowpool::NodeStats exec = node("exec", flowpool::NodeKind::function, 40, 40);
    exec.concurrency = 4;
    exec.workers = 4;
    exec.busy = 4s;
    flowpool::NodeStats spin = node("spin", flowpool::NodeKind::function, 40, 40);
    spin.concurrency = 2;
    spin.workers = 2;
    spin.busy = 1800ms;
    stats.nodes = {exec, spin};
    EXPECT_DOUBLE_EQ(exec.utilisation(stats.wall, 2), 1.0);
    EXPECT_DOUBLE_EQ(spin.utilisation(stats.wall, 2), 0.9);
    const std::string table = flowpool::cli::stats_table(stats, 2);
    EXPECT_NE(table.find("bottleneck: exec (100% busy)"), std::string::npos) << table;
    // Figures made by hand, without `workers`: the node could use min(concurrency, threads).
    spin.workers = 0;
    EXPECT_DOUBLE_EQ(spin.utilisation(stats.wall, 8), 0.9);
}
