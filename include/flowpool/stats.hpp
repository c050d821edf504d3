#pragma once
/// @file stats.hpp
/// What a run did: counts per run and per node, and wall time.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <flowpool/error.hpp>

namespace flowpool {

/// The role of a node in a pipeline.
enum class NodeKind { source, function, filter, sink };

/// The name graph files use for a kind: `source`, `function`, `filter` or `sink`.
[[nodiscard]] std::string_view to_string(NodeKind kind) noexcept;

/// Figures for one node over one run.
struct NodeStats {
    std::string name;                 ///< the node's name
    NodeKind kind = NodeKind::function;  ///< its role
    std::size_t concurrency = 1;      ///< its worker count; `unlimited` for no bound
    std::uint64_t messages_in = 0;    ///< jobs that reached it (a source: jobs it made or failed to)
    std::uint64_t messages_out = 0;   ///< jobs it passed on (for a sink: jobs it consumed)
    std::uint64_t filtered = 0;       ///< jobs it dropped on purpose
    std::uint64_t failed = 0;         ///< jobs whose body threw here
    std::chrono::nanoseconds busy{0};  ///< time spent in its body, summed over workers
};

/// Figures for one run.
struct RunStats {
    std::uint64_t jobs_in = 0;      ///< jobs made by the sources, failed ones included
    std::uint64_t results_out = 0;  ///< jobs consumed by the sinks (counted once per sink)
    std::uint64_t filtered = 0;     ///< jobs dropped on purpose by a node
    std::uint64_t failed = 0;       ///< jobs whose body threw
    std::chrono::nanoseconds wall{0};  ///< wall time of the run
    std::vector<NodeStats> nodes;      ///< per node, in the order the nodes were added

    /// Wall time in seconds.
    [[nodiscard]] double wall_seconds() const noexcept {
        return std::chrono::duration<double>(wall).count();
    }
    /// Jobs made per second of wall time.
    [[nodiscard]] double jobs_per_second() const noexcept {
        const double s = wall_seconds();
        return s > 0 ? static_cast<double>(jobs_in) / s : 0.0;
    }
};

/// Concurrency meaning "no bound": as many bodies at once as the scheduler likes.
inline constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();
/// Concurrency of one: one body at a time.
inline constexpr std::size_t serial = 1;

/// The outcome of a run: its figures, and the first failed job if any failed.
struct RunResult {
    RunStats stats;                 ///< what the run did
    std::optional<JobError> error;  ///< the first failure (with the failure count), if any
    bool cancelled = false;         ///< RunOptions::cancel stopped the sources early
};

/// How a run is tuned; the defaults suit most work.
struct RunOptions {
    /// Jobs per message between nodes; 0 sizes batches from the measured body time.
    std::size_t batch_size = 0;
    /// Messages (batches) in flight per source before the source waits; 0 derives it from the
    /// nodes' concurrency. Bounds memory whatever the number of jobs.
    std::size_t max_in_flight = 0;
    /// When this becomes true (from any thread, or a signal handler), the sources stop making
    /// jobs; the jobs already made run to the end. Null: the run cannot be cancelled.
    const std::atomic<bool>* cancel = nullptr;
};

}  // namespace flowpool
