// What `flowpool run` prints from a run's figures (src/cli/report.cpp): the progress line, from
// figures made here, so that each case is exact.

#include <gtest/gtest.h>

#include <flowpool/stats.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "cli/report.hpp"

namespace {

using namespace std::chrono_literals;

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
