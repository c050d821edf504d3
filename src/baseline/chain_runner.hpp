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
/// jobs move between threads differs. The seed's pattern has no batches, no reorder buffer, no
/// timeouts and no per-node concurrency: a node's `ordered`, `timeout_ms`, `log` and a
/// concurrency below W do not apply here.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <flowpool/error.hpp>
#include <flowpool/ops.hpp>
#include <optional>
#include <string>
#include <vector>

namespace flowpool::baseline {

/// One node of a chain: the op that makes its bodies, and what a job that fails in it does.
struct ChainNode {
    std::string name;            ///< the node's name, as failures report it
    const OpInfo* op = nullptr;  ///< makes its body (each worker thread makes its own stages')
    Params params{{}};           ///< the op's parameters, defaults filled in
    OnError on_error{};          ///< functions, filters and the sink: a job that fails in a body
};

/// What one run of a chain did.
struct ChainRun {
    std::uint64_t jobs = 0;            ///< jobs the source made
    std::chrono::nanoseconds wall{0};  ///< from the first job made to the last one consumed
    std::optional<JobError> error;     ///< the first failed job, if any
};

/// Runs @p chain (a source, functions or filters, a sink, in that order) once on the hand-rolled
/// pool with @p threads worker threads, one job per queue item; then calls the sink's finish().
/// A job that throws in a body fails the run as under OnError::fail; what a body reports to its
/// BatchContext follows the node's on_error.
ChainRun run_chain(const std::vector<ChainNode>& chain, std::size_t threads);

}  // namespace flowpool::baseline
