#pragma once
// A run's figures, read off its nodes' counters: while it runs (for the observer) and at its end.

#include <flowpool/stats.hpp>

#include <chrono>

#include "plan_node.hpp"

namespace flowpool::detail {

/// The figures of every node in @p nodes so far, and their totals, for a run @p wall long.
RunStats collect(const PlanNodes& nodes, std::chrono::nanoseconds wall);

}  // namespace flowpool::detail
