// The flowpool command: run, validate, draw, benchmark and list ops of graph files. Parsing and
// printing only; the pipeline logic is the library's.

#include <pthread.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <flowpool/flowpool.hpp>
#include <fstream>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/bench_command.hpp"
#include "cli/report.hpp"
#include "common/log.hpp"
#include "output/line_output.hpp"

namespace {

/// Exit codes: 0 ok, 1 a job failed, 2 bad usage or bad graph file, 128 + signal interrupted.
enum ExitCode : int { ok = 0, job_failed = 1, bad_input = 2 };

std::atomic<bool> cancel_requested{false};
std::atomic<int> caught_signal{0};

/// First SIGINT/SIGTERM: stop the sources and let the jobs in flight finish. Second: leave now.
extern "C" void on_signal(int signal) {
    if (caught_signal.exchange(signal) != 0) ::_exit(128 + signal);
    cancel_requested.store(true);
}

void install_signal_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    // A write into a pipe nobody reads fails with EPIPE instead of killing the process: a sink
    // writing a FIFO reports it like any write error, and for standard output the run stops its
    // sources and ends its other outputs before dying of SIGPIPE (exit_as_closed_pipe).
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, nullptr);
}

/// True if nobody reads standard output any more (`| head -1`) and no job failed for another
/// reason before that.
bool stdout_closed(const flowpool::RunResult& result) {
    const flowpool::detail::LineOutput& out = flowpool::detail::LineOutput::stdout_lines();
    return out.closed() && (!result.error || result.error->reason() == out.failure());
}

/// Leaves as GNU coreutils do when their reader goes away (`seq 1e9 | head -1`): killed by
/// SIGPIPE, silently; the shell sees 141, and a pipeline without `pipefail` its last command's.
[[noreturn]] void exit_as_closed_pipe() {
    std::signal(SIGPIPE, SIG_DFL);
    sigset_t pipe{};
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_UNBLOCK, &pipe, nullptr);
    std::raise(SIGPIPE);
    std::_Exit(128 + SIGPIPE);  // not reached
}

void print_error(const std::string& text) { std::cerr << "error: " << text << '\n'; }

/// Prints every problem of @p e as `FILE:LINE:COL: error: MESSAGE`, one a line.
void print_config_error(const flowpool::ConfigError& e) { std::cerr << e.what() << '\n'; }

/// Reads a graph file, applies the `--set` overrides and registers its plugins' ops in @p ops.
flowpool::GraphSpec load(const std::string& path, const std::vector<std::string>& sets,
                         flowpool::OpRegistry& ops) {
    flowpool::GraphSpec graph = flowpool::load_graph_file(path);
    flowpool::load_plugins(graph, ops);
    for (const std::string& assignment : sets) flowpool::set_param(graph, assignment);
    return graph;
}

/// What `flowpool run` shows about a run, from its flags.
struct ReportFlags {
    bool quiet = false;              ///< no summary, no progress
    bool stats = false;              ///< the per-node table
    std::string stats_json;          ///< where to write the figures as JSON; empty: nowhere
    bool no_progress = false;        ///< no progress line even on a terminal
    std::string trace;               ///< where to write a Chrome trace; empty: no trace
    std::uint64_t trace_sample = 1;  ///< one batch in this many per node is traced
    double drain_timeout = 10;       ///< seconds the jobs in flight get after a signal
};

/// Workers a node could use: as many as oneTBB's default arena has.
std::size_t hardware_threads() { return flowpool::default_workers(); }

/// Writes @p text to stderr in one write(2), so another thread's line cannot cut into it.
void write_stderr(const std::string& text) {
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
}

/// Keeps the observer's latest figures and, on a terminal, redraws the progress line from them.
class RunWatch {
public:
    explicit RunWatch(bool progress) : progress_(progress) {}

    /// The observer: called from the run's observer thread every RunOptions::observe_every.
    void observe(const flowpool::RunStats& now) {
        const std::lock_guard lock(mutex_);
        latest_ = now;
        if (!progress_) return;
        std::string line;  // by jobs if the sources know how many; else by bytes if they know
        if (const std::uint64_t jobs = flowpool::cli::expected_total(now); jobs != 0) {
            line = flowpool::cli::progress_line(now, jobs);
        } else if (const std::uint64_t bytes = flowpool::cli::expected_bytes(now); bytes != 0) {
            line = flowpool::cli::bytes_progress_line(now, bytes);
        } else {
            return;
        }
        write_stderr("\r\033[K" + line);
        drawn_ = true;
    }
    /// Clears the progress line, for good: nothing is drawn after this.
    void stop_progress() {
        const std::lock_guard lock(mutex_);
        if (drawn_) write_stderr("\r\033[K");
        progress_ = drawn_ = false;
    }
    /// The figures of the observer's latest call.
    flowpool::RunStats latest() {
        const std::lock_guard lock(mutex_);
        return latest_;
    }

private:
    std::mutex mutex_;
    flowpool::RunStats latest_;
    bool progress_;
    bool drawn_ = false;
};

std::string signal_name(int signal) { return signal == SIGTERM ? "SIGTERM" : "SIGINT"; }

/// Prints what the user asked to see of a finished (or abandoned) run; writes the JSON file.
void report(const flowpool::RunStats& stats, const ReportFlags& flags, std::ofstream* json) {
    if (!flags.quiet) std::cerr << flowpool::cli::summary_line(stats) << '\n';
    if (flags.stats) std::cerr << flowpool::cli::stats_table(stats, hardware_threads());
    if (json != nullptr) {
        *json << flowpool::cli::stats_json(stats, hardware_threads());
        json->flush();
        if (!*json) print_error("cannot write '" + flags.stats_json + "'");
    }
}

/// The drain timeout expired: the jobs still in flight are abandoned. Prints the summary from
/// the observer's latest figures and leaves at once, without waiting for the run's threads.
[[noreturn]] void abandon(RunWatch& watch, const ReportFlags& flags, std::ofstream* json,
                          std::chrono::steady_clock::time_point start) {
    watch.stop_progress();
    flowpool::RunStats stats = watch.latest();
    stats.wall = std::chrono::steady_clock::now() - start;
    stats.abandoned = stats.jobs_in > stats.accounted() ? stats.jobs_in - stats.accounted() : 0;
    const int signal = caught_signal.load();
    flowpool::detail::log().info("drain timeout of {} s expired: {} jobs abandoned",
                                 flags.drain_timeout, stats.abandoned);
    std::cerr << "interrupted by " << signal_name(signal) << " after " << stats.jobs_in << " jobs; "
              << stats.abandoned << " jobs in flight abandoned after the drain timeout ("
              << flags.drain_timeout << " s)\n";
    report(stats, flags, json);
    // Every line a sink wrote is whole already (one write(2) each): nothing to flush.
    std::_Exit(128 + signal);
}

/// Runs the graph on a thread of its own while this one watches for signals: after a signal the
/// jobs in flight get flags.drain_timeout seconds, then they are abandoned.
flowpool::RunResult run_and_watch(const flowpool::GraphSpec& graph, const flowpool::OpRegistry& ops,
                                  const flowpool::RunOptions& options, RunWatch& watch,
                                  const ReportFlags& flags, std::ofstream* json) {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    auto run =
        std::async(std::launch::async, [&] { return flowpool::run_graph(graph, ops, options); });
    std::optional<Clock::time_point> deadline;
    while (run.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
        // Nobody reads stdout: stop the sources even if the sink's on_error skips its failures.
        if (flowpool::detail::LineOutput::stdout_lines().closed()) cancel_requested.store(true);
        if (caught_signal.load() == 0) continue;
        if (!deadline) {
            deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(flags.drain_timeout));
            flowpool::detail::log().info("{}: the sources stop; the jobs in flight get {} s",
                                         signal_name(caught_signal.load()), flags.drain_timeout);
        } else if (Clock::now() >= *deadline) {
            abandon(watch, flags, json, start);
        }
    }
    return run.get();
}

/// Prints how a finished run ended and returns the exit code; leaves at once, silently, if
/// nobody reads standard output any more.
int report_outcome(const flowpool::RunResult& result, const ReportFlags& flags,
                   std::ofstream* json) {
    if (stdout_closed(result)) {
        ReportFlags silent = flags;  // the JSON file asked for, nothing on stderr
        silent.quiet = true;
        silent.stats = false;
        report(result.stats, silent, json);
        exit_as_closed_pipe();
    }
    if (result.error) print_error(result.error->what());
    const int signal = result.cancelled ? caught_signal.load() : 0;
    if (signal != 0) {
        std::cerr << "interrupted by " << signal_name(signal) << " after " << result.stats.jobs_in
                  << " jobs; the jobs in flight finished\n";
    }
    report(result.stats, flags, json);
    if (signal != 0) return 128 + signal;
    return result.error ? job_failed : ok;
}

int run_command(const std::string& path, const std::vector<std::string>& sets,
                const flowpool::RunOptions& options, const ReportFlags& flags) {
    flowpool::OpRegistry ops;
    const flowpool::GraphSpec graph = load(path, sets, ops);
    flowpool::detail::log().info("graph '{}' loaded from {}: {} nodes, {} edges", graph.name, path,
                                 graph.nodes.size(), graph.edges.size());
    std::optional<std::ofstream> json;
    if (!flags.stats_json.empty()) {
        json.emplace(flags.stats_json);
        if (!*json)
            throw flowpool::UsageError("cannot open '" + flags.stats_json + "' for writing");
    }
    std::optional<flowpool::ChromeTrace> trace;
    if (!flags.trace.empty()) trace.emplace(flags.trace);

    RunWatch watch(!flags.quiet && !flags.no_progress && ::isatty(STDERR_FILENO) == 1);
    flowpool::RunOptions run_options = options;
    run_options.cancel = &cancel_requested;
    run_options.observer = [&watch](const flowpool::RunStats& now) { watch.observe(now); };
    run_options.trace = trace ? &*trace : nullptr;
    run_options.trace_sample = std::max<std::uint64_t>(1, flags.trace_sample);
    install_signal_handlers();
    flowpool::detail::log().info("run started");
    const flowpool::RunResult result =
        run_and_watch(graph, ops, run_options, watch, flags, json ? &*json : nullptr);
    watch.stop_progress();
    std::cout.flush();
    flowpool::detail::log().info("run finished in {:.3f} s", result.stats.wall_seconds());
    if (trace) {
        trace->close();
        flowpool::detail::log().info("trace: {} spans written to {}", trace->spans(), flags.trace);
    }
    return report_outcome(result, flags, json ? &*json : nullptr);
}

int validate_command(const std::vector<std::string>& paths, const std::vector<std::string>& sets) {
    int code = ok;
    for (const std::string& path : paths) {
        try {
            flowpool::OpRegistry ops;  // one per file: each file's plugins are its own
            flowpool::validate(load(path, sets, ops), ops);
            std::cout << path << ": ok\n";
        } catch (const flowpool::ConfigError& e) {
            print_config_error(e);
            code = bad_input;
        }
    }
    return code;
}

/// `flowpool bench`: the graph on flowpool and on the hand-rolled pool; the report on stdout.
int bench_command(const std::string& path, const std::vector<std::string>& sets,
                  std::size_t repeat) {
    flowpool::OpRegistry ops;
    const flowpool::GraphSpec graph = load(path, sets, ops);
    return flowpool::cli::bench_command(graph, ops, repeat, std::cout);
}

int dot_command(const std::string& path, const std::vector<std::string>& sets, bool mermaid) {
    flowpool::OpRegistry ops;
    const flowpool::GraphSpec graph = load(path, sets, ops);
    std::cout << (mermaid ? flowpool::to_mermaid(graph, ops) : flowpool::to_dot(graph, ops));
    return ok;
}

/// Every op (with @p graph, its plugins' too): `NAME (KIND, takes T, gives T): DESCRIPTION`, then
/// one line per parameter: `    NAME: TYPE = "DEFAULT"` (or `(required)`) and its description.
int ops_command(const std::vector<std::string>& graph) {
    flowpool::OpRegistry ops;
    if (!graph.empty()) load(graph.front(), {}, ops);
    for (const flowpool::OpInfo* op : ops.list()) {
        std::cout << op->name << " (" << flowpool::to_string(op->kind);
        if (op->kind != flowpool::NodeKind::source)
            std::cout << ", takes " << flowpool::to_string(op->takes);
        if (op->kind != flowpool::NodeKind::sink)
            std::cout << ", gives " << flowpool::to_string(op->gives);
        std::cout << "): " << op->description << '\n';
        for (const flowpool::ParamInfo& p : op->params) {
            std::cout << "    " << p.name << ": " << flowpool::to_string(p.type);
            std::cout << (p.default_value ? " = \"" + *p.default_value + "\""
                                          : std::string(" (required)"));
            std::cout << "  " << p.description << '\n';
        }
    }
    return ok;
}

/// The error for a first word that names no command, or nothing if it is a command or a flag.
std::optional<std::string> unknown_command(const CLI::App& app, int argc, char** argv) {
    if (argc < 2 || argv[1][0] == '-') return std::nullopt;
    std::string names;
    for (const CLI::App* command : app.get_subcommands({})) {
        if (command->get_name() == argv[1]) return std::nullopt;
        names += (names.empty() ? "" : ", ") + command->get_name();
    }
    return "unknown command '" + std::string(argv[1]) + "'; the commands are " + names +
           " (see flowpool --help)";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"flowpool: worker-pool pipelines on oneTBB's flow graph, from graph files"};
    app.set_version_flag("--version", std::string("flowpool ") + flowpool::version);
    app.require_subcommand(1);

    std::vector<std::string> paths;
    std::vector<std::string> sets;
    flowpool::RunOptions options;

    CLI::App* run = app.add_subcommand("run", "Validate a graph file, then run it to completion");
    run->add_option("graph", paths, "The graph file (YAML)")->required()->expected(1);
    run->add_option("--set", sets, "Override a node parameter: NODE.PARAM=VALUE (repeatable)");
    run->add_option("--batch", options.batch_size,
                    "Jobs per message (default: sized automatically)");
    run->add_option("--max-in-flight", options.max_in_flight,
                    "Messages in flight per source (default: from the nodes' concurrency)");
    ReportFlags flags;
    run->add_flag("--quiet,-q", flags.quiet, "Print no summary and no progress on stderr");
    run->add_flag("--stats", flags.stats, "Print a table of per-node figures on stderr");
    run->add_option("--stats-json", flags.stats_json, "Write the run's figures as JSON to FILE");
    run->add_flag("--no-progress", flags.no_progress, "No progress line, even on a terminal");
    run->add_option("--trace", flags.trace, "Write a Chrome trace (Perfetto) to FILE");
    run->add_option("--trace-sample", flags.trace_sample, "Trace one batch in N per node")
        ->check(CLI::PositiveNumber);
    run->add_option("--drain-timeout", flags.drain_timeout,
                    "Seconds the jobs in flight get after SIGINT/SIGTERM (default 10)")
        ->check(CLI::NonNegativeNumber);
    std::string log_level;
    run->add_option("--log-level", log_level, "Log level on stderr (default: FLOWPOOL_LOG or warn)")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

    CLI::App* check = app.add_subcommand("validate", "Check graph files without running them");
    check->add_option("graphs", paths, "Graph files (YAML)")->required();
    check->add_option("--set", sets, "Override a node parameter: NODE.PARAM=VALUE (repeatable)");

    bool mermaid = false;
    CLI::App* draw =
        app.add_subcommand("dot", "Print a graph file as Graphviz DOT (or a Mermaid flowchart)");
    draw->add_option("graph", paths, "The graph file (YAML)")->required()->expected(1);
    draw->add_option("--set", sets, "Override a node parameter: NODE.PARAM=VALUE (repeatable)");
    draw->add_flag("--mermaid", mermaid, "Print a Mermaid flowchart instead of DOT");

    std::size_t repeat = 1;
    CLI::App* bench = app.add_subcommand(
        "bench", "Run a graph file on flowpool, then its chain on a hand-rolled thread pool, and "
                 "compare the rates (report on stdout; the sink's output is discarded)");
    bench->add_option("graph", paths, "The graph file (YAML): one source, functions, one sink")
        ->required()
        ->expected(1);
    bench->add_option("--set", sets, "Override a node parameter: NODE.PARAM=VALUE (repeatable)");
    bench->add_option("--repeat", repeat, "Runs of each, interleaved; the median is shown (default 1)")
        ->check(CLI::PositiveNumber);

    CLI::App* list = app.add_subcommand("ops", "List every op with its parameters and value types");
    list->add_option("graph", paths, "Also list the ops of this graph file's plugins")
        ->expected(0, 1);

    // One line, like every other error: `error: WHAT (see flowpool --help)`.
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return "error: " + std::string(e.what()) + " (see flowpool --help)\n";
    });
    if (const auto error = unknown_command(app, argc, argv)) {
        print_error(*error);
        return bad_input;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? ok : bad_input;
    }

    try {
        if (!log_level.empty()) flowpool::set_log_level(log_level);
        if (*run) return run_command(paths.front(), sets, options, flags);
        if (*check) return validate_command(paths, sets);
        if (*draw) return dot_command(paths.front(), sets, mermaid);
        if (*bench) return bench_command(paths.front(), sets, repeat);
        if (*list) return ops_command(paths);
    } catch (const flowpool::ConfigError& e) {
        print_config_error(e);
        return bad_input;
    } catch (const flowpool::UsageError& e) {
        print_error(e.what());
        return bad_input;
    } catch (const std::exception& e) {
        print_error(e.what());
        return job_failed;
    }
    return bad_input;
}
