// Tests of the typed pipeline API (flowpool/pipeline.hpp), jobs that do not go through: a
// throwing stage, sink or generator fails the run naming node and job (or only its job, with
// try_run and on_error), filters and stages returning nullopt drop jobs and count them, and
// misuse is a usage error. Concurrency tests run at 1, 2, 4 and 8 workers. Jobs that go through
// are in test_pipeline.cpp.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <flowpool/error.hpp>
#include <flowpool/job_context.hpp>
#include <flowpool/pipeline.hpp>
#include <flowpool/stats.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "pipeline_fixture.hpp"

namespace {

using namespace flowpool::test::pipeline_fixture;  // NOLINT(google-build-using-namespace)
using flowpool::JobContext;
using flowpool::RunResult;
using flowpool::RunStats;

TEST_P(PipelineTest, ThrowingJobFailsTheRunNamingNodeAndJob) {
    flowpool::Pipeline pipeline = flowpool::source("jobs", flowpool::range(1'000))
                                      .stage("square", workers(),
                                             [](std::int64_t v) {
                                                 if (v == 537) throw std::runtime_error("boom");
                                                 return v * v;
                                             })
                                      .sink("results", [](std::int64_t) {});
    try {
        pipeline.run();
        FAIL() << "run() did not throw";
    } catch (const flowpool::JobError& e) {
        EXPECT_EQ(e.node(), "square");
        EXPECT_EQ(e.job_id(), 537u);
        EXPECT_EQ(e.reason(), "boom");
        EXPECT_EQ(e.failed_jobs(), 1u);
        EXPECT_TRUE(contains(e.what(), "node 'square' job 537")) << e.what();
    }
}

TEST_P(PipelineTest, TryRunCountsSeveralFailuresWithoutThrowing) {
    // One batch holds every job, so every failing job runs before the source could stop.
    constexpr std::int64_t jobs = 100;
    std::vector<int> consumed(jobs, 0);
    flowpool::Pipeline pipeline = flowpool::source("jobs", flowpool::range(jobs), max_batch_jobs)
                                      .stage("check", workers(),
                                             [](std::int64_t v) {
                                                 if (v % 10 == 3)
                                                     throw std::invalid_argument("ends in 3");
                                                 return v;
                                             })
                                      .sink("results", [&](std::int64_t v) {
                                          ++consumed[at(static_cast<std::uint64_t>(v))];
                                      });

    RunResult result;
    ASSERT_NO_THROW(result = pipeline.try_run());
    ASSERT_TRUE(result.error.has_value());
    const flowpool::JobError& error = *result.error;
    EXPECT_EQ(error.node(), "check");
    EXPECT_EQ(error.job_id(), 3u);
    EXPECT_EQ(error.reason(), "ends in 3");
    EXPECT_EQ(error.failed_jobs(), 10u);
    EXPECT_TRUE(contains(error.what(), "node 'check' job 3: ends in 3 (10 jobs failed)"))
        << error.what();

    EXPECT_EQ(result.stats.failed, 10u);
    EXPECT_EQ(result.stats.jobs_in, std::uint64_t{jobs});
    EXPECT_EQ(result.stats.results_out, 90u);
    for (std::int64_t v = 0; v < jobs; ++v) {
        EXPECT_EQ(consumed[at(static_cast<std::uint64_t>(v))], v % 10 == 3 ? 0 : 1) << "job " << v;
    }
}

TEST_P(PipelineTest, FailuresAcrossBatchesAreAccountedFor) {
    constexpr std::int64_t jobs = 20'000;
    RunResult result = flowpool::source("jobs", flowpool::range(jobs), 1)
                           .stage("check", workers(),
                                  [](std::int64_t v) {
                                      if (v % 100 == 42) throw std::runtime_error("bad job");
                                      return v;
                                  })
                           .sink("results", [](std::int64_t) {})
                           .try_run();
    ASSERT_TRUE(result.error.has_value());
    EXPECT_EQ(result.error->node(), "check");
    EXPECT_EQ(result.error->job_id() % 100, 42u);
    EXPECT_GE(result.error->failed_jobs(), 1u);
    EXPECT_EQ(result.stats.failed, result.error->failed_jobs());
    EXPECT_EQ(result.stats.results_out + result.stats.failed, result.stats.jobs_in);
    EXPECT_LE(result.stats.jobs_in, std::uint64_t{jobs});
}

TEST_P(PipelineTest, ThrowingSinkFailsTheRun) {
    auto make = [this] {
        return flowpool::source("jobs", flowpool::range(100))
            .stage("work", workers(), [](std::int64_t v) { return v; })
            .sink("results", [](std::int64_t v) {
                if (v == 42) throw std::runtime_error("disk full");
            });
    };
    try {
        make().run();
        FAIL() << "run() did not throw";
    } catch (const flowpool::JobError& e) {
        EXPECT_EQ(e.node(), "results");
        EXPECT_EQ(e.job_id(), 42u);
        EXPECT_TRUE(contains(e.what(), "node 'results' job 42: disk full")) << e.what();
    }

    const RunResult result = make().try_run();
    ASSERT_TRUE(result.error.has_value());
    EXPECT_EQ(result.stats.failed, 1u);
    EXPECT_EQ(result.stats.results_out + result.stats.failed, result.stats.jobs_in);
}

TEST_P(PipelineTest, ThrowingGeneratorFailsTheRun) {
    // Batches of one: the generator's failing call is the first of its batch.
    int made = 0;
    auto generator = [&made]() -> std::optional<std::int64_t> {
        if (made == 50) throw std::runtime_error("generator broke");
        return made++;
    };
    std::vector<int> consumed(50, 0);
    flowpool::Pipeline pipeline = flowpool::source("jobs", generator, 1)
                                      .stage("work", workers(), [](std::int64_t v) { return v; })
                                      .sink("results", [&](std::int64_t v) {
                                          ++consumed[at(static_cast<std::uint64_t>(v))];
                                      });
    try {
        pipeline.run();
        FAIL() << "run() did not throw";
    } catch (const flowpool::JobError& e) {
        EXPECT_EQ(e.node(), "jobs");
        EXPECT_EQ(e.job_id(), 50u);
        EXPECT_EQ(e.reason(), "generator broke");
        EXPECT_TRUE(contains(e.what(), "node 'jobs' job 50: generator broke")) << e.what();
    }
    EXPECT_EQ(counts_other_than(consumed), "");
}

TEST(PipelineFailures, ThrowingGeneratorMidBatchNamesItsJob) {
    // Whatever the batch size, the error names the job the failing call would have made, and
    // the jobs made before it still run to the end.
    for (const std::size_t batch_size : {std::size_t{0}, std::size_t{7}}) {
        SCOPED_TRACE("source batch " + std::to_string(batch_size));
        int made = 0;
        auto generator = [&made]() -> std::optional<std::int64_t> {
            if (made == 50) throw std::runtime_error("generator broke");
            return made++;
        };
        std::vector<int> consumed(50, 0);
        const RunResult result =
            flowpool::source("jobs", generator, batch_size)
                .stage("work", 2, [](std::int64_t v) { return v; })
                .sink("results",
                      [&](std::int64_t, const JobContext& job) { ++consumed[at(job.id())]; })
                .try_run();
        ASSERT_TRUE(result.error.has_value());
        EXPECT_EQ(result.error->node(), "jobs");
        EXPECT_EQ(result.error->job_id(), 50u) << result.error->what();
        EXPECT_EQ(counts_other_than(consumed), "");
        // The job the generator failed to make counts as made and failed, so that
        // jobs_in == results_out + filtered + failed.
        EXPECT_EQ(result.stats.jobs_in, 51u);
        EXPECT_EQ(result.stats.results_out + result.stats.filtered + result.stats.failed,
                  result.stats.jobs_in);
    }
}

TEST(PipelineFailures, ThrowingGeneratorIsCountedInStats) {
    int made = 0;
    auto generator = [&made]() -> std::optional<std::int64_t> {
        if (made == 50) throw std::runtime_error("generator broke");
        return made++;
    };
    const RunResult result =
        flowpool::source("jobs", generator, 1).sink("results", [](std::int64_t) {}).try_run();
    ASSERT_TRUE(result.error.has_value());
    EXPECT_EQ(result.error->failed_jobs(), 1u);
    EXPECT_EQ(result.stats.failed, result.error->failed_jobs());
    ASSERT_EQ(result.stats.nodes.size(), 2u);
    EXPECT_EQ(result.stats.nodes[0].failed, 1u);
}

TEST_P(PipelineTest, FilterDropsJobsAndCountsThem) {
    constexpr std::int64_t jobs = 10'000;
    std::vector<int> consumed(jobs, 0);
    const RunStats stats =
        flowpool::source("jobs", flowpool::range(jobs))
            .filter("even", workers(),
                    [](std::int64_t v, const JobContext& job) {
                        return v % 2 == 0 && value_of(job.id()) == v;
                    })
            .sink("results", [&](std::int64_t v) { ++consumed[at(static_cast<std::uint64_t>(v))]; })
            .run();

    for (std::int64_t v = 0; v < jobs; ++v) {
        EXPECT_EQ(consumed[at(static_cast<std::uint64_t>(v))], v % 2 == 0 ? 1 : 0) << "job " << v;
    }
    EXPECT_EQ(stats.jobs_in, std::uint64_t{jobs});
    EXPECT_EQ(stats.filtered, std::uint64_t{jobs / 2});
    EXPECT_EQ(stats.results_out, std::uint64_t{jobs / 2});
    EXPECT_EQ(stats.results_out + stats.filtered, stats.jobs_in);
    ASSERT_EQ(stats.nodes.size(), 3u);
    EXPECT_EQ(stats.nodes[1].kind, flowpool::NodeKind::filter);
    EXPECT_EQ(stats.nodes[1].filtered, std::uint64_t{jobs / 2});
    EXPECT_EQ(stats.nodes[1].messages_out, std::uint64_t{jobs / 2});
}

TEST_P(PipelineTest, StageReturningNulloptDropsTheJob) {
    constexpr std::int64_t jobs = 9'999;
    std::vector<int> consumed(jobs, 0);
    int wrong = 0;
    const RunStats stats = flowpool::source("jobs", flowpool::range(jobs))
                               .stage("name", workers(),
                                      [](std::int64_t v) -> std::optional<std::string> {
                                          if (v % 3 == 0) return std::nullopt;
                                          return std::to_string(v);
                                      })
                               .sink("results",
                                     [&](const std::string& name, const JobContext& job) {
                                         if (name != std::to_string(job.id())) ++wrong;
                                         ++consumed[at(job.id())];
                                     })
                               .run();

    EXPECT_EQ(wrong, 0);
    for (std::int64_t v = 0; v < jobs; ++v) {
        EXPECT_EQ(consumed[at(static_cast<std::uint64_t>(v))], v % 3 == 0 ? 0 : 1) << "job " << v;
    }
    EXPECT_EQ(stats.filtered, std::uint64_t{jobs / 3});
    EXPECT_EQ(stats.results_out, std::uint64_t{jobs - jobs / 3});
    EXPECT_EQ(stats.results_out + stats.filtered, stats.jobs_in);
    ASSERT_EQ(stats.nodes.size(), 3u);
    EXPECT_EQ(stats.nodes[1].filtered, std::uint64_t{jobs / 3});
}

// A stage whose result has its job's type writes it back into the batch it came from
// (map_in_place), moving kept jobs forward over filtered and failed ones: each kept result must
// stay paired with its own id, and a sink summing into a captured variable (kept in a register
// by consume_simple) must count every kept job once.
TEST_P(PipelineTest, AStageOfOneTypeKeepsEachResultWithItsIdPastFilteredAndFailedJobs) {
    constexpr std::int64_t jobs = 30'011;
    auto filtered = [](std::int64_t v) { return v % 3 == 0; };
    auto fails = [](std::int64_t v) { return v % 5 == 1; };
    std::int64_t sum = 0;
    std::int64_t expected_sum = 0;
    std::int64_t kept = 0;
    std::int64_t failed = 0;
    std::int64_t dropped = 0;
    for (std::int64_t v = 0; v < jobs; ++v) {
        if (filtered(v)) {
            ++dropped;
            continue;
        }
        if (fails(v)) {
            ++failed;
            continue;
        }
        expected_sum += 2 * v;
        ++kept;
    }
    std::vector<int> consumed(jobs, 0);
    int unpaired = 0;
    const RunResult result =
        flowpool::source("jobs", flowpool::range(jobs))
            .stage("double", workers(),
                   [&](std::int64_t v) -> std::optional<std::int64_t> {
                       if (filtered(v)) return std::nullopt;
                       if (fails(v)) throw std::runtime_error("bad " + std::to_string(v));
                       return 2 * v;
                   })
            .on_error(flowpool::OnError::skip())
            .sink("check",
                  [&](std::int64_t v, const JobContext& job) {
                      if (v != 2 * static_cast<std::int64_t>(job.id())) ++unpaired;
                      ++consumed[at(job.id())];
                      sum += v;
                  })
            .try_run();

    EXPECT_FALSE(result.error);
    EXPECT_EQ(unpaired, 0);
    EXPECT_EQ(sum, expected_sum);
    for (std::int64_t v = 0; v < jobs; ++v) {
        ASSERT_EQ(consumed[at(static_cast<std::uint64_t>(v))], filtered(v) || fails(v) ? 0 : 1)
            << "job " << v;
    }
    EXPECT_EQ(result.stats.skipped, static_cast<std::uint64_t>(failed));
    EXPECT_EQ(result.stats.filtered, static_cast<std::uint64_t>(dropped));
    EXPECT_EQ(result.stats.results_out, static_cast<std::uint64_t>(kept));
}

INSTANTIATE_TEST_SUITE_P(Workers, PipelineTest,
                         ::testing::Values(std::size_t{1}, std::size_t{2}, std::size_t{4},
                                           std::size_t{8}),
                         workers_name);

TEST(PipelineUsage, UnlimitedStageRunsEveryJob) {
    constexpr std::int64_t jobs = 10'000;
    std::vector<std::atomic<int>> staged(jobs);
    std::atomic<int> negative_slot{0};
    const RunStats stats = flowpool::source("jobs", flowpool::range(jobs))
                               .stage("work", flowpool::unlimited,
                                      [&](std::int64_t v, const JobContext& job) {
                                          if (job.worker() < 0) ++negative_slot;
                                          staged[at(job.id())].fetch_add(1);
                                          return v;
                                      })
                               .sink("results", [](std::int64_t) {})
                               .run();
    EXPECT_EQ(negative_slot.load(), 0);
    EXPECT_EQ(counts_other_than(staged), "");
    EXPECT_EQ(stats.results_out, std::uint64_t{jobs});
}

TEST(PipelineUsage, RunningTwiceIsAUsageError) {
    flowpool::Pipeline pipeline = flowpool::source("jobs", flowpool::range(10))
                                      .stage("work", 2, [](std::int64_t v) { return v; })
                                      .sink("results", [](std::int64_t) {});
    EXPECT_NO_THROW(pipeline.run());
    EXPECT_THROW(pipeline.run(), flowpool::UsageError);
    EXPECT_THROW((void)pipeline.try_run(), flowpool::UsageError);
}

TEST(PipelineUsage, ZeroWorkersIsAUsageError) {
    const auto jobs = flowpool::source("jobs", flowpool::range(10));
    EXPECT_THROW(jobs.stage("work", 0, [](std::int64_t v) { return v; }), flowpool::UsageError);
    EXPECT_THROW(jobs.filter("keep", 0, [](std::int64_t) { return true; }), flowpool::UsageError);
}

TEST(PipelineUsage, RetriesAndDeadLettersOfJobsThatCannotBeCopiedAreAUsageError) {
    // Each try keeps a copy of its job: without one, every try failed before the function ran,
    // and under dead letters every job went there unrun while the run reported success.
    using Box = std::unique_ptr<std::int64_t>;
    const auto boxes =
        flowpool::source("jobs", flowpool::range(10))
            .stage("box", 1, [](std::int64_t v) { return std::make_unique<std::int64_t>(v); })
            .dead_letters("rejects", [](Box) {});
    const auto work = boxes.stage("work", 1, [](Box box) { return box; });
    EXPECT_THROW(work.on_error(flowpool::OnError::dead_letter_to("rejects")), flowpool::UsageError);
    EXPECT_THROW(work.on_error(flowpool::OnError::skip().retried(3)), flowpool::UsageError);
    EXPECT_NO_THROW(work.on_error(flowpool::OnError::skip()));
    // A job that can be copied (the shared_ptr this one's message suggests) can have both.
    const auto shared =
        flowpool::source("jobs", flowpool::range(10))
            .stage("share", 1, [](std::int64_t v) { return std::make_shared<std::int64_t>(v); })
            .stage("work", 1, [](std::shared_ptr<std::int64_t> p) { return p; });
    EXPECT_NO_THROW(shared.on_error(flowpool::OnError::skip().retried(3)));
}

TEST(PipelineUsage, AFanOutOfJobsThatCannotBeCopiedIsAUsageError) {
    // Each node of a fan-out gets a copy of every job: built, every job failed at run time.
    using Box = std::unique_ptr<std::int64_t>;
    const auto boxes = flowpool::source("jobs", flowpool::range(10)).stage("box", 1, [](auto v) {
        return std::make_unique<std::int64_t>(v);
    });
    const flowpool::Pipeline one = boxes.sink("a", [](Box) {});
    try {
        static_cast<void>(boxes.sink("b", [](Box) {}));
        FAIL() << "a second sink of jobs that cannot be copied was accepted";
    } catch (const flowpool::UsageError& e) {
        EXPECT_STREQ(e.what(),
                     "node 'b' cannot take the jobs 'a' takes: a job type that cannot be copied "
                     "goes to one node (hold the job in a std::shared_ptr to send it to several)");
    }
    EXPECT_THROW(static_cast<void>(boxes.stage("c", 1, [](Box b) { return b; })),
                 flowpool::UsageError);
    EXPECT_THROW(static_cast<void>(boxes.filter("d", 1, [](const Box&) { return true; })),
                 flowpool::UsageError);
    // The pipeline as it stood, with one node after `box`, still runs every job.
    flowpool::Pipeline run = one;
    EXPECT_EQ(run.run().results_out, 10u);
    // Jobs that can be copied fan out as before.
    const auto shared = flowpool::source("jobs", flowpool::range(10)).stage("share", 1, [](auto v) {
        return std::make_shared<std::int64_t>(v);
    });
    static_cast<void>(shared.sink("a", [](std::shared_ptr<std::int64_t>) {}));
    EXPECT_NO_THROW(static_cast<void>(shared.sink("b", [](std::shared_ptr<std::int64_t>) {})));
}

TEST(PipelineUsage, DuplicateNodeNamesAreAUsageError) {
    const auto jobs = flowpool::source("jobs", flowpool::range(10));
    EXPECT_THROW(jobs.stage("jobs", 1, [](std::int64_t v) { return v; }), flowpool::UsageError);
    const auto work = jobs.stage("work", 1, [](std::int64_t v) { return v; });
    EXPECT_THROW(work.stage("work", 1, [](std::int64_t v) { return v; }), flowpool::UsageError);
    EXPECT_THROW(work.filter("work", 1, [](std::int64_t) { return true; }), flowpool::UsageError);
    EXPECT_THROW(work.sink("work", [](std::int64_t) {}), flowpool::UsageError);
    (void)work.sink("results", [](std::int64_t) {});
    EXPECT_THROW(jobs.sink("results", [](std::int64_t) {}), flowpool::UsageError);
}

TEST(PipelineUsage, BranchWithoutSinkIsAUsageError) {
    const auto jobs = flowpool::source("jobs", flowpool::range(10));
    (void)jobs.stage("dangling", 1, [](std::int64_t v) { return v; });
    flowpool::Pipeline pipeline = jobs.sink("results", [](std::int64_t) {});
    try {
        pipeline.run();
        FAIL() << "run() did not throw";
    } catch (const flowpool::UsageError& e) {
        EXPECT_TRUE(contains(e.what(), "'dangling'")) << e.what();
    }
}

TEST(PipelineUsage, ErrorsShareOneRoot) {
    EXPECT_THROW(flowpool::source("jobs", flowpool::range(1))
                     .stage("work", 0, [](std::int64_t v) { return v; }),
                 flowpool::Error);
    EXPECT_THROW(flowpool::source("jobs", flowpool::range(1))
                     .stage("work", 1, [](std::int64_t) -> std::int64_t { throw 7; })
                     .sink("results", [](std::int64_t) {})
                     .run(),
                 flowpool::Error);
}

}  // namespace
