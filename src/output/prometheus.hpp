#pragma once
// A run's figures in the Prometheus text exposition format (version 0.0.4), for the metrics
// endpoint: one family per figure, a sample per node labelled with its name and kind.

#include <flowpool/stats.hpp>
#include <string>
#include <string_view>

namespace flowpool::detail {

/// Where a run is, as the metrics endpoint tells it.
enum class RunPhase {
    starting,  ///< the graph is loaded, the run not yet under way
    running,   ///< jobs flow, none failed under `fail`
    draining,  ///< a signal stopped the sources; the jobs in flight finish
    failed,    ///< a job failed under `fail`: the run will end with exit code 1
    finished,  ///< the run is over and no job failed under `fail`
};

/// The name a phase has in the `state` label: `starting`, `running`, ...
[[nodiscard]] std::string_view to_string(RunPhase phase) noexcept;

/// The figures of @p stats, the run's @p phase and @p uptime_seconds as Prometheus text;
/// @p threads: the workers the run could use (for utilisation).
[[nodiscard]] std::string prometheus_text(const RunStats& stats, RunPhase phase,
                                          double uptime_seconds, std::size_t threads);

/// @p value as a Prometheus label value (no quotes): backslash, quote and newline escaped.
[[nodiscard]] std::string prometheus_label(std::string_view value);

}  // namespace flowpool::detail
