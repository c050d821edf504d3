#pragma once
// Whether the threads a run will ask oneTBB for can be started, checked before it asks: oneTBB
// starts its workers on demand, from its workers' threads, and when one cannot be started
// (pthread_create fails: a memory limit, `ulimit -v` or `-u`, a cgroup's pids.max) it throws
// where nothing can catch it, and the process ends in std::terminate mid-run.

#include <cstddef>

#include "plan_node.hpp"

namespace flowpool::detail {

/// The threads a run of @p nodes on an arena of @p threads starts besides the arena's: a node
/// with a timeout runs each job on a thread of its own while its worker waits for it
/// (timed_job.hpp), so one for each worker such a node can have at once; no more than the
/// arena's threads, since each waits on one. (A job given up on keeps its thread until it
/// returns, beside the next job's: how many cannot be known beforehand.)
std::size_t timeout_threads(const PlanNodes& nodes, std::size_t threads);

/// Throws UsageError, naming the nodes whose jobs wait (StageBody::waits) and their concurrency,
/// unless @p threads - 1 threads (an arena of @p threads, the calling thread included) and a
/// sixteenth more, with oneTBB's stack size, and the timeout_threads() with the default one (as
/// std::thread starts them), can run at once now. Each starts, takes a little heap memory (a
/// malloc arena of its own, as a worker's first allocation does) and waits until all have
/// started or one could not be.
void check_threads_start(const PlanNodes& nodes, std::size_t threads);

}  // namespace flowpool::detail
