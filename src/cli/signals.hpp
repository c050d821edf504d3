#pragma once
// SIGINT and SIGTERM during `flowpool run`: the first stops the sources and lets the jobs in
// flight finish (for at most the drain timeout, then they are abandoned); the second leaves now.
// Programs that `exec` nodes run get SIGTERM at the first signal and SIGKILL when the drain
// timeout runs out.

#include <atomic>
#include <flowpool/graph.hpp>
#include <flowpool/ops.hpp>
#include <flowpool/stats.hpp>
#include <fstream>
#include <string>

#include "progress.hpp"
#include "run_report.hpp"

namespace flowpool::cli {

/// Makes SIGINT and SIGTERM set cancel_flag(); a second one ends the process with 128 + signal.
void install_signal_handlers();
/// Becomes true at the first SIGINT or SIGTERM, or stop_sources(): the run's RunOptions::cancel.
const std::atomic<bool>& cancel_flag() noexcept;
/// Stops the sources as a signal would, without one (caught_signal() stays 0): the jobs in
/// flight finish.
void stop_sources() noexcept;
/// The first signal caught, or 0.
int caught_signal() noexcept;
/// `SIGTERM` or `SIGINT`.
std::string signal_name(int signal);
/// True if nobody reads standard output any more (`| head -1`) and no job failed for another
/// reason before that.
bool stdout_closed(const RunResult& result);
/// Leaves as GNU coreutils do when their reader goes away (`seq 1e9 | head -1`): killed by
/// SIGPIPE, silently; the shell sees 141, and a pipeline without `pipefail` its last command's.
[[noreturn]] void exit_as_closed_pipe();

/// Runs @p graph on a thread of its own while this one watches for signals: after a signal the
/// jobs in flight get flags.drain_timeout seconds; if they are not done by then, they are
/// abandoned: the report of what was done is printed (from @p watch's latest figures) and the
/// process ends with 128 + signal.
RunResult run_and_watch(const GraphSpec& graph, const OpRegistry& ops, const RunOptions& options,
                        RunWatch& watch, const ReportFlags& flags, std::ofstream* json);

}  // namespace flowpool::cli
