#pragma once
/// @file baseline/chain_runner.hpp
/// A graph's chain of op bodies (one source, functions or filters, one sink) run on the
/// hand-rolled pool of hand_rolled_pool.hpp instead of flowpool's runtime: what `flowpool bench`
/// measures flowpool against, on the user's own work.
///
///   submitter ─► job queue ─► W threads, each runs every function node on one job
///             ─► results queue ─► results thread ─► sink
///
/// The bodies are the ones the ops make for flowpool, so both do the same work; only the way
/// jobs move between threads differs. A node that makes several jobs of one (`explode`) passes
/// each on alone: every piece runs through the nodes after it and reaches the sink as its own
/// queue item. The seed's pattern has no batches, no reorder buffer, no timeouts and no per-node
/// concurrency: a node's `ordered`, `timeout_ms`, `log` and a concurrency below W do not apply
/// here.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <flowpool/error.hpp>
#include <flowpool/ops.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flowpool::baseline {

/// One node of a chain: what makes its bodies, and what a job that fails in it does. The maker
/// for its place in the chain is set (a source's for the first node, a sink's for the last, a
/// stage's for those between); it throws, or returns a body, never null.
struct ChainNode {
    std::string name;  ///< the node's name, as failures report it
    std::function<std::unique_ptr<SourceBody>()> make_source;  ///< the first node's body
    std::function<std::unique_ptr<StageBody>()> make_stage;    ///< one per worker thread
    std::function<std::unique_ptr<SinkBody>()> make_sink;      ///< the last node's body
    OnError on_error{};  ///< functions, filters and the sink: a job that fails in a body
};

/// What one run of a chain did.
struct ChainRun {
    std::uint64_t jobs = 0;            ///< jobs the source made
    std::chrono::nanoseconds wall{0};  ///< from the first job made to the last one consumed
    std::optional<JobError> error;     ///< the first failed job, if any
};

/// Runs @p chain (a source, functions or filters, a sink, in that order) once on the hand-rolled
/// pool with @p threads worker threads, one job per queue item; then calls the sink's finish().
/// Every body is made before the first job, on the calling thread: what a maker throws leaves
/// run_chain() before any job ran. A job that throws in a body fails the run as under
/// OnError::fail; what a body reports to its BatchContext follows the node's on_error.
ChainRun run_chain(const std::vector<ChainNode>& chain, std::size_t threads);

}  // namespace flowpool::baseline
