#pragma once
// What `flowpool run` and `flowpool exec` share to stop a run that fails too often and to resume
// one that was cut short: `--max-failures`, and `--journal FILE` with `--resume` and
// `--resume-failed` (src/output/journal_file.hpp writes and reads the file).

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdint>
#include <flowpool/graph.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/failure_limit.hpp"
#include "output/journal_file.hpp"
#include "signals.hpp"

namespace flowpool::cli {

/// `N` or `P%` as a failure limit; @p what names it in the UsageError a bad value raises.
detail::FailureLimit failure_limit(const std::string& text, const std::string& what);

/// Adds `--max-failures N|P%` to @p command, into @p text: given empty, it is refused (it would
/// mean no limit, or the graph's).
void add_max_failures_option(CLI::App& command, std::string& text, const std::string& help);

/// `--max-failures` (or `max_failures:`) on a run: stops the sources once the jobs that did not
/// end well (failed, skipped, dead-lettered) exceed the limit.
struct FailureGuard {
    /// Reads the limit @p written (empty: none); a bad one is a UsageError naming @p what.
    FailureGuard(std::string written, const std::string& what)
        : limit(failure_limit(written, what)), text(std::move(written)) {}

    detail::FailureLimit limit;
    std::string text;  ///< the limit as written
    std::atomic<bool> tripped{false};

    /// Has the run @p options describes checked as each batch with failures ends, so that its
    /// sources stop at once (RunOptions::on_failures).
    void watch(RunOptions& options) {
        if (!limit.set()) return;
        options.on_failures = [this](std::uint64_t jobs_in, std::uint64_t not_ok) {
            check(not_ok, jobs_in);
        };
    }
    /// Stops the sources if @p not_ok of the @p jobs_in so far exceed the limit (the first
    /// time; a percentage once the jobs are enough to judge by).
    void check(std::uint64_t not_ok, std::uint64_t jobs_in) {
        if (tripped.load(std::memory_order_relaxed) || !limit.can_judge(jobs_in)) return;
        if (limit.exceeded(not_ok, jobs_in) && !tripped.exchange(true)) stop_sources();
    }
    /// The same for the figures of an observer.
    void observe(const RunStats& now) { check(not_ok(now), now.jobs_in); }
    /// Judges the run's final figures @p end, however few its jobs: tripped if they exceed it.
    void settle(const RunStats& end) {
        if (limit.exceeded(not_ok(end), end.jobs_in)) tripped = true;
    }

private:
    static std::uint64_t not_ok(const RunStats& s) {
        return s.skipped + s.dead_lettered + s.failed;
    }
};

/// `--journal FILE`, `--resume`, `--resume-failed`.
struct JournalFlags {
    std::string path;            ///< the journal; empty: none
    bool resume = false;         ///< leave out the jobs it lists as finished (ok or failed)
    bool resume_failed = false;  ///< leave out those it lists as succeeded; retry the failed
};

/// Adds the journal's flags to @p command.
void add_journal_flags(CLI::App& command, JournalFlags& flags);

/// The journal @p flags ask for, or null: refuses (UsageError) a resume without a journal, a
/// graph with a source whose job ids are not stable (OpInfo::stable_ids), and a journal that is
/// the graph file @p graph_file (empty: none) or a file a node reads or writes. @p header says
/// what the run is; a journal written by another run is refused when resuming.
std::unique_ptr<detail::JournalFile> open_journal(const JournalFlags& flags, const GraphSpec& graph,
                                                  const OpRegistry& ops, const std::string& header,
                                                  const std::string& graph_file = "");

/// A digest of what @p graph does (its nodes, parameters and edges, not its comments or layout),
/// for a journal's header: `graph NAME DIGEST`.
std::string graph_header(const GraphSpec& graph);

/// The same for `flowpool exec`: `exec DIGEST` of the command's words (not -j, -k or --timeout,
/// which a resumed run may change).
std::string command_header(const std::vector<std::string>& command);

/// Closes @p journal after the run and says on stderr what it left out (unless @p quiet); returns
/// false, having printed the error, if the journal could not be written.
bool close_journal(detail::JournalFile* journal, const std::string& command, bool quiet);

}  // namespace flowpool::cli
