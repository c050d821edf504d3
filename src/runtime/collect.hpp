#pragma once
// A run's figures, read off its nodes' counters: while it runs (for the observer) and at its end.

#include <flowpool/stats.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "context_hooks.hpp"
#include "plan_node.hpp"

namespace flowpool::detail {

/// The figures of every node in @p nodes so far, and their totals, for a run @p wall long on
/// @p threads threads: the failed, skipped and dead-lettered totals count a job once, less
/// @p repeats.
RunStats collect(const PlanNodes& nodes, const RepeatedEndings& repeats,
                 std::chrono::nanoseconds wall, std::size_t threads);

/// What RunOptions::on_failures is told: the jobs the sources made so far, and the jobs that did
/// not end well (failed, skipped or dead-lettered; each job once).
struct FailureFigures {
    std::uint64_t jobs_in = 0;
    std::uint64_t not_ok = 0;
};
/// The FailureFigures of @p nodes now.
FailureFigures failure_figures(const PlanNodes& nodes, const RepeatedEndings& repeats);

}  // namespace flowpool::detail
