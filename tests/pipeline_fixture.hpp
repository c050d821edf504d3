#pragma once
// The fixture of the tests of the typed pipeline API (test_pipeline.cpp: jobs on their way
// through; test_pipeline_failures.cpp: failures, filters and misuse): the worker counts the
// concurrency tests take, job ids as indexes and values, and failure messages for per-job counts.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <flowpool/pipeline.hpp>
#include <string>

#include "runtime/batch_sizer.hpp"

namespace flowpool::test::pipeline_fixture {

/// The most jobs the runtime puts in one batch.
constexpr std::size_t max_batch_jobs = flowpool::detail::BatchSizer::max_jobs;

/// Concurrency tests take the worker count of their stages as parameter.
class PipelineTest : public ::testing::TestWithParam<std::size_t> {
protected:
    [[nodiscard]] std::size_t workers() const { return GetParam(); }
};

/// The name of a PipelineTest instance: its worker count, as in `Workers/PipelineTest.X/4_workers`.
inline std::string workers_name(const ::testing::TestParamInfo<std::size_t>& worker_count) {
    return std::to_string(worker_count.param) + "_workers";
}

/// A job id as an index into per-job records.
inline std::size_t at(std::uint64_t id) { return static_cast<std::size_t>(id); }

/// A job id as the value flowpool::range gave the job.
inline std::int64_t value_of(std::uint64_t id) { return static_cast<std::int64_t>(id); }

/// The jobs whose count is not @p expected, described for a failure message; empty if none.
template <class Counts>
std::string counts_other_than(const Counts& counts, int expected = 1) {
    std::string wrong;
    std::size_t n_wrong = 0;
    for (std::size_t id = 0; id < counts.size(); ++id) {
        const int count = counts[id];
        if (count == expected) continue;
        if (++n_wrong <= 10) {
            wrong += " job " + std::to_string(id) + " x" + std::to_string(count) + ';';
        }
    }
    if (n_wrong == 0) return {};
    return std::to_string(n_wrong) + " jobs not seen exactly " + std::to_string(expected) +
           " time(s):" + wrong;
}

/// True if @p text contains @p part.
inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace flowpool::test::pipeline_fixture
