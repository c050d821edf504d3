#pragma once
// `flowpool bench GRAPH`: what the framework buys on the user's own work. The graph runs as
// `flowpool run` runs it, then its function chain runs again through a hand-rolled pool (the
// Go seed's pattern: a submitter, a mutex+condvar job queue, W threads, a results queue, a
// results thread; one job per queue item) between the same source and sink, and the two rates
// are printed with their ratio and, per node, the time per job and the batch size.

#include <flowpool/graph.hpp>
#include <flowpool/ops.hpp>
#include <flowpool/stats.hpp>

#include <iosfwd>

namespace flowpool::cli {

/// Benchmarks @p graph (a straight chain: one source, functions or filters, one sink) run by
/// flowpool against its chain on a hand-rolled pool of as many threads as its widest function
/// node, and writes the report to @p out. The sink's own output goes where it always goes, once
/// per run. Returns 0, or 1 if a job failed in either run. Throws ConfigError for a bad graph
/// file and UsageError for a graph that is not a chain.
int bench_command(const GraphSpec& graph, const OpRegistry& ops, const RunOptions& options,
                  std::ostream& out);

}  // namespace flowpool::cli
