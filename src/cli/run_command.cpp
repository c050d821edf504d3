// `flowpool run GRAPH`: validates a graph file, then runs it to completion, with progress on a
// terminal, the summary and tables on stderr, and a drain after SIGINT/SIGTERM.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <flowpool/graph.hpp>
#include <flowpool/log.hpp>
#include <flowpool/trace.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "command.hpp"
#include "common/line_output.hpp"
#include "common/log.hpp"
#include "load_graph.hpp"
#include "progress.hpp"
#include "run_guards.hpp"
#include "run_metrics.hpp"
#include "run_report.hpp"
#include "signals.hpp"

namespace flowpool::cli {
namespace {

/// `flowpool run`'s command line.
struct RunArgs {
    std::vector<std::string> paths;   ///< the graph file, alone
    std::vector<std::string> sets;    ///< `--set` overrides
    RunOptions options;               ///< `--batch`, `--max-in-flight`
    ReportFlags flags;                ///< what to show, trace and drain
    std::string log_level;            ///< `--log-level`; empty: FLOWPOOL_LOG or warn
    std::string log_format = "text";  ///< `--log-format`: text or json
    MetricsFlags metrics;             ///< `--metrics`, `--metrics-linger`
    std::string max_failures;         ///< `--max-failures`; empty: the graph's `max_failures:`
    JournalFlags journal;             ///< `--journal`, `--resume`, `--resume-failed`
};

/// The flags that choose what a run shows and writes besides the sinks' output.
void add_report_flags(CLI::App& run, ReportFlags& flags) {
    run.add_flag("--quiet,-q", flags.quiet, "Print no summary and no progress on stderr");
    run.add_flag("--stats", flags.stats, "Print a table of per-node figures on stderr");
    run.add_option("--stats-json", flags.stats_json, "Write the run's figures as JSON to FILE");
    run.add_flag("--no-progress", flags.no_progress, "No progress line, even on a terminal");
    run.add_option("--trace", flags.trace, "Write a Chrome trace (Perfetto) to FILE");
    run.add_option("--trace-sample", flags.trace_sample, "Trace one batch in N per node")
        ->check(count_at_least_one());
    run.add_option("--drain-timeout", flags.drain_timeout,
                   "Seconds the jobs in flight get after SIGINT/SIGTERM (default 10)")
        ->check(seconds_zero_or_more());
}

/// Where a run's figures and spans go besides stderr: the `--stats-json` file and the Chrome
/// trace, each if asked for.
struct RunFiles {
    std::optional<std::ofstream> json;
    std::optional<ChromeTrace> trace;

    explicit RunFiles(const ReportFlags& flags) {
        if (!flags.stats_json.empty()) {
            json.emplace(flags.stats_json);
            if (!*json) throw UsageError("cannot open '" + flags.stats_json + "' for writing");
        }
        if (!flags.trace.empty()) trace.emplace(flags.trace);
    }
    /// The `--stats-json` file, or null.
    std::ofstream* json_file() { return json ? &*json : nullptr; }
};

/// Runs @p graph under the signal handlers, with @p watch as the observer.
RunResult run_watched(const GraphSpec& graph, const OpRegistry& ops, const RunArgs& args,
                      RunWatch& watch, RunMetrics& metrics, RunFiles& files, FailureGuard& guard,
                      RunJournal* journal) {
    RunOptions options = args.options;
    options.cancel = &cancel_flag();
    options.journal = journal;
    options.observer = [&watch, &metrics, &guard](const RunStats& now) {
        watch.observe(now);
        metrics.observe(now);
        guard.observe(now);
    };
    guard.watch(options);
    options.trace = files.trace ? &*files.trace : nullptr;
    options.trace_sample = std::max<std::uint64_t>(1, args.flags.trace_sample);
    install_signal_handlers();
    metrics.observe(RunStats{});
    detail::log().info("run started");
    return run_and_watch(graph, ops, options, watch, args.flags, files.json_file());
}

/// Prints how the run ended and its report; returns the exit code.
int finish(const RunResult& result, const ReportFlags& flags, RunFiles& files,
           const FailureGuard& guard) {
    bool traced = true;  // as asked: an unwritable trace makes an exit code 0 a 2
    if (files.trace) {
        try {
            files.trace->close();
            detail::log().info("trace: {} spans written to {}", files.trace->spans(), flags.trace);
        } catch (const UsageError& e) {
            print_error(e.what());
            traced = false;
        }
    }
    if (stdout_closed(result)) {
        ReportFlags silent = flags;  // the JSON file asked for, nothing on stderr
        silent.quiet = true;
        silent.stats = false;
        static_cast<void>(report(result.stats, silent, files.json_file()));  // exits as SIGPIPE
        exit_as_closed_pipe();
    }
    if (result.error) print_job_error(*result.error);
    const int signal = result.cancelled ? caught_signal() : 0;
    if (signal != 0) {
        print_line("interrupted by " + signal_name(signal) + " after " +
                       std::to_string(result.stats.jobs_in) + " jobs; the jobs in flight ended",
                   Severity::warning);
    }
    if (guard.tripped) {
        const RunStats& s = result.stats;
        print_line(std::string(result.cancelled ? "stopped: " : "") + "more than max_failures " +
                       guard.text + " jobs failed (" +
                       std::to_string(s.skipped + s.dead_lettered + s.failed) + " of " +
                       std::to_string(s.jobs_in) + ")",
                   Severity::error);
    }
    const bool reported = report(result.stats, flags, files.json_file());
    if (signal != 0) return 128 + signal;
    if (result.error || guard.tripped) return job_failed;
    return reported && traced ? ok : bad_input;
}

int run_command(const RunArgs& args) {
    if (!args.log_level.empty()) set_log_level(args.log_level);
    set_log_format(args.log_format);
    OpRegistry ops;
    const GraphSpec graph = load_graph(args.paths.front(), args.sets, ops);
    detail::log().info("graph '{}' loaded from {}: {} nodes, {} edges", graph.name,
                       args.paths.front(), graph.nodes.size(), graph.edges.size());
    FailureGuard guard(args.max_failures.empty() ? graph.max_failures : args.max_failures,
                       "--max-failures");
    validate(graph, ops);  // a graph refused leaves its journal and report files as they were
    if (!args.flags.quiet) print_warnings(graph, ops);  // as `flowpool validate` prints them
    const std::unique_ptr<detail::JournalFile> journal =
        open_journal(args.journal, graph, ops, graph_header(graph), args.paths.front());
    RunFiles files(args.flags);
    const ReportFlags& flags = args.flags;
    RunMetrics metrics(args.metrics, flags.quiet);
    RunWatch watch(!flags.quiet && !flags.no_progress && ::isatty(STDERR_FILENO) == 1);
    // A resumed run adds its jobs' lines to what the run it resumes wrote.
    std::optional<detail::SinkFilesAppend> append;
    if (args.journal.resume || args.journal.resume_failed) append.emplace();
    const RunResult result =
        run_watched(graph, ops, args, watch, metrics, files, guard, journal.get());
    watch.stop_progress();
    std::cout.flush();
    detail::log().info("run finished in {:.3f} s", result.stats.wall_seconds());
    const bool journaled = close_journal(journal.get(), "flowpool run", flags.quiet);
    guard.settle(result.stats);
    const int code = finish(result, flags, files, guard);
    metrics.finish(result);
    return code == ok && !journaled ? job_failed : code;
}

}  // namespace

Command add_run_command(CLI::App& app) {
    auto args = std::make_shared<RunArgs>();
    CLI::App* run = app.add_subcommand("run", "Validate a graph file, then run it to completion");
    run->add_option("graph", args->paths, "The graph file (YAML)")->required()->expected(1);
    add_set_option(*run, args->sets);
    run->add_option("--batch", args->options.batch_size,
                    "Jobs per message (default: sized automatically)")
        ->check(count_or_zero());
    run->add_option("--max-in-flight", args->options.max_in_flight,
                    "Messages in flight per source (default: from the nodes' concurrency)")
        ->check(count_or_zero());
    run->add_option("--threads", args->options.threads,
                    "Threads to run the graph on (default: as many as its nodes can use)")
        ->check(count_at_least_one());
    add_max_failures_option(*run, args->max_failures,
                            "Under skip or dead-letter policies, stop the sources once more than N "
                            "jobs (or P% of those made) failed; exit 1 (default: the graph's "
                            "max_failures)");
    add_journal_flags(*run, args->journal);
    add_report_flags(*run, args->flags);
    add_metrics_flags(*run, args->metrics);
    run->add_option("--log-level", args->log_level,
                    "Log level on stderr (default: FLOWPOOL_LOG or warn)")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
    run->add_option("--log-format", args->log_format,
                    "Log lines as text or as JSON objects, one a line (default text)")
        ->check(CLI::IsMember({"text", "json"}));
    return {run, [args] { return run_command(*args); }};
}

}  // namespace flowpool::cli
