#pragma once
// What `flowpool bench` measured of each run, and the report it prints on stdout: both rates,
// their ratio, whether the sinks got the same jobs, and per node of the flowpool run the time
// per job and the batch size.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <flowpool/error.hpp>
#include <flowpool/graph.hpp>
#include <flowpool/stats.hpp>
#include <optional>
#include <ostream>

#include "baseline/tally.hpp"

namespace flowpool::cli {

/// What one run did, flowpool's or the hand-rolled pool's.
struct Measured {
    std::uint64_t jobs = 0;            ///< jobs the source made
    std::chrono::nanoseconds wall{0};  ///< from the first job made to the last one consumed
    baseline::Tally delivered;         ///< what reached the sink
    std::optional<JobError> error;     ///< the first failed job, if any
    RunStats stats;                    ///< flowpool's figures (empty for the hand-rolled pool)

    /// Jobs made per second of wall time.
    [[nodiscard]] double rate() const noexcept {
        const double seconds = std::chrono::duration<double>(wall).count();
        return seconds > 0 ? static_cast<double>(jobs) / seconds : 0.0;
    }
};

/// Writes the report on @p graph to @p out: @p fast is flowpool's (median) run, @p slow the
/// hand-rolled pool's with @p threads threads, each the median of @p repeat runs.
void print_bench_report(std::ostream& out, const GraphSpec& graph, std::size_t repeat,
                        const Measured& fast, const Measured& slow, std::size_t threads);

}  // namespace flowpool::cli
