#pragma once
// `flowpool bench GRAPH`: what the framework buys on the user's own work. The graph runs as
// `flowpool run` runs it, then its function chain runs again through the hand-rolled pool of
// src/baseline/hand_rolled_pool.hpp (the Go seed's pattern: a submitter, a mutex+condvar job
// queue, W threads, a results queue, a results thread; one job per queue item) between the same
// source and sink, and the two rates are printed with their ratio and, per node, the time per
// job and the jobs per message flowpool chose.

#include <cstddef>
#include <flowpool/graph.hpp>
#include <flowpool/ops.hpp>
#include <flowpool/stats.hpp>
#include <iosfwd>

namespace flowpool::cli {

/// Benchmarks @p graph (a straight chain: one source, functions or filters, one sink) run by
/// flowpool against its chain on a hand-rolled pool of as many threads as its widest function
/// node, @p repeat times each, interleaved, and writes the report to @p out.
///
/// The sink really runs in both, but whatever it writes to standard output goes to /dev/null
/// while the runs go on: instead, what reached the sink is counted and checksummed in each run
/// and the report says whether both runs agree. Returns 0, or 1 if a job failed (then the first
/// failure is printed on stderr and no report). Throws ConfigError for a bad graph file and
/// UsageError for a graph that is not a chain or whose source cannot be read twice (standard
/// input, a stream).
int bench_command(const GraphSpec& graph, const OpRegistry& ops, std::size_t repeat,
                  std::ostream& out);

}  // namespace flowpool::cli
