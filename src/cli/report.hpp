#pragma once
// What `flowpool run` prints about a run on stderr: the summary line, the per-node table and
// its bottleneck, the same as JSON for `--stats-json`, and the progress line. Text only: the
// callers decide where it goes.

#include <cstddef>
#include <cstdint>
#include <flowpool/stats.hpp>
#include <string>

namespace flowpool::cli {

/// One line (no newline at the end): jobs in, results out, filtered, skipped, failed,
/// dead-lettered, abandoned (if any), wall time and throughput.
[[nodiscard]] std::string summary_line(const RunStats& stats);

/// The node whose utilisation is highest (@p threads: the workers the run could use), or null
/// for a run without nodes.
[[nodiscard]] const NodeStats* bottleneck(const RunStats& stats, std::size_t threads);

/// A table with one row per node and a header, then a line naming the bottleneck; each line ends
/// with a newline.
[[nodiscard]] std::string stats_table(const RunStats& stats, std::size_t threads);

/// The run's and each node's figures as one JSON object (schema in README.md, "Seeing what a
/// run does"), ending with a newline.
[[nodiscard]] std::string stats_json(const RunStats& stats, std::size_t threads);

/// The jobs the sources said they would make, summed; 0 if any source does not know.
[[nodiscard]] std::uint64_t expected_total(const RunStats& stats);

/// The bytes the sources will read, summed, if every source reads input of known size (a
/// `lines` file); else 0.
[[nodiscard]] std::uint64_t expected_bytes(const RunStats& stats);

/// The progress text for sources that read @p total bytes: bytes done/total, percentage, rate,
/// time left and jobs so far (no carriage return, no newline).
[[nodiscard]] std::string bytes_progress_line(const RunStats& stats, std::uint64_t total);

/// The progress text for a run whose sources will make @p total jobs: done (RunStats::retired)
/// of total, percentage, rate and time left (no carriage return, no newline).
[[nodiscard]] std::string progress_line(const RunStats& stats, std::uint64_t total);

/// @p s as JSON string contents (no quotes): quotes, backslashes and control characters escaped.
[[nodiscard]] std::string json_escape(const std::string& s);

}  // namespace flowpool::cli
