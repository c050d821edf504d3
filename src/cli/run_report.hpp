#pragma once
// What `flowpool run` shows of a finished (or abandoned) run, chosen by its flags: the summary
// line and the per-node table on stderr, the figures as JSON in a file.

#include <cstdint>
#include <flowpool/stats.hpp>
#include <fstream>
#include <string>

namespace flowpool::cli {

/// What `flowpool run` shows about a run, from its flags.
struct ReportFlags {
    bool quiet = false;              ///< no summary, no progress
    bool stats = false;              ///< the per-node table
    std::string stats_json;          ///< where to write the figures as JSON; empty: nowhere
    bool no_progress = false;        ///< no progress line even on a terminal
    std::string trace;               ///< where to write a Chrome trace; empty: no trace
    std::uint64_t trace_sample = 1;  ///< one batch in this many per node is traced
    double drain_timeout = 10;       ///< seconds the jobs in flight get after a signal
    std::string prefix;              ///< starts the lines about the run ("flowpool exec: ")
    std::string jobs_are = "jobs";   ///< what the sources' jobs are to the user ("lines read")
};

/// Prints what the user asked to see of a finished (or abandoned) run; writes the figures to
/// @p json if it is not null (the `--stats-json` file). False, with an error printed, if they
/// could not be written.
[[nodiscard]] bool report(const RunStats& stats, const ReportFlags& flags, std::ofstream* json);

}  // namespace flowpool::cli
