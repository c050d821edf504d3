// `flowpool exec [-j N] [-k] [--timeout S] -- CMD ARG...`: GNU parallel's habit on a graph of
// three nodes, built here rather than read from a file:
//
//   input (lines of stdin) ─► run (exec, concurrency N, one job per 64 KiB of output lines) ─►
//   output (print)
//
// `{}` in an argument is the line; without one the line is the last argument. Each program's
// output reaches stdout whole (a program's lines travel in one batch to the one serial sink,
// which writes a batch at once), in input order with -k.

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <flowpool/graph.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "command.hpp"
#include "common/log.hpp"
#include "progress.hpp"
#include "run_guards.hpp"
#include "run_report.hpp"
#include "signals.hpp"

namespace flowpool::cli {
namespace {

/// `flowpool exec`'s command line.
struct ExecArgs {
    std::size_t jobs = default_workers();  ///< -j: programs at once
    bool keep_order = false;               ///< -k: output in input order
    double timeout = 0;                    ///< --timeout: seconds per program; 0: none
    std::string max_failures;              ///< --max-failures: N or P%; empty: no limit
    ReportFlags flags;                     ///< --drain-timeout, --stats
    JournalFlags journal;                  ///< --journal, --resume, --resume-failed
    std::vector<std::string> command;      ///< CMD ARG...
};

/// Where the problems of the graph built here are reported.
const SourceLocation command_line{"flowpool exec", 0, 0};

ParamSpec scalar(std::string name, std::string value) {
    ParamSpec p;
    p.name = std::move(name);
    p.value = std::move(value);
    p.name_where = command_line;
    p.where = command_line;
    return p;
}

// The nodes of the graph `flowpool exec` runs: lines → the programs → their output.
constexpr const char* input_node = "input";
constexpr const char* programs_node = "run";
constexpr const char* output_node = "output";

/// An argument as a format: `{}` is the line ({value}); other braces are themselves.
std::string argument_format(const std::string& arg) {
    std::string format;
    for (std::size_t i = 0; i < arg.size(); ++i) {
        if (arg.compare(i, 2, "{}") == 0) {
            format += "{value}";
            ++i;
        } else if (arg[i] == '{' || arg[i] == '}') {
            format += {arg[i], arg[i]};
        } else {
            format += arg[i];
        }
    }
    return format;
}

/// The command's arguments as exec's `command` list; the line last if no argument has `{}`.
ParamSpec command_param(const std::vector<std::string>& command) {
    ParamSpec list = scalar("command", "");
    list.shape = ParamSpec::Shape::list;
    bool has_line = false;
    for (const std::string& arg : command) {
        has_line = has_line || arg.find("{}") != std::string::npos;
        list.items.push_back(scalar("", argument_format(arg)));
    }
    if (!has_line) list.items.push_back(scalar("", "{value}"));
    return list;
}

NodeSpec node(std::string name, std::string kind, std::string op, std::vector<ParamSpec> params) {
    NodeSpec spec;
    spec.name = std::move(name);
    spec.kind = std::move(kind);
    spec.op = std::move(op);
    spec.where = spec.kind_where = spec.op_where = command_line;
    spec.params = std::move(params);
    return spec;
}

GraphSpec exec_graph(const ExecArgs& args) {
    GraphSpec graph;
    graph.file = command_line.file;
    graph.name = "exec";
    graph.nodes.push_back(node(input_node, "source", "lines", {scalar("path", "-")}));
    std::vector<ParamSpec> run = {command_param(args.command),
                                  scalar("output", "blocks"),
                                  scalar("concurrency", std::to_string(args.jobs)),
                                  scalar("on_error", "skip"),
                                  scalar("report_failures", "true"),
                                  scalar("failed_output", "keep")};
    if (args.timeout > 0) {
        const auto ms = static_cast<long long>(args.timeout * 1000 + 0.5);
        run.push_back(scalar("timeout_ms", std::to_string(std::max(1LL, ms))));
    }
    graph.nodes.push_back(node(programs_node, "function", "exec", std::move(run)));
    // A program's output in blocks of whole lines, printed as they are.
    std::vector<ParamSpec> output = {scalar("format", "{value}"), scalar("newlines", "keep")};
    if (args.keep_order) output.push_back(scalar("ordered", "true"));
    graph.nodes.push_back(node(output_node, "sink", "print", std::move(output)));
    graph.edges = {{input_node, programs_node, command_line},
                   {programs_node, output_node, command_line}};
    return graph;
}

/// The jobs that ended failed at node @p name: failed or skipped there.
std::uint64_t failures_at(const RunStats& stats, std::string_view name) {
    for (const NodeStats& node : stats.nodes) {
        if (node.name == name) return node.failed + node.skipped;
    }
    return 0;
}

/// Says on standard error what failed: programs (`N of M programs failed`, and why the run
/// stopped), the reading of their lines (a truncated .gz) or the writing of their output, which
/// are no program's failures. True if any did.
bool report_failures(const RunResult& result, const FailureGuard& guard) {
    // A failure of the input is a job of its own that ran no program: the lines read before it
    // ran theirs, and it stopped the run.
    const std::uint64_t unread = failures_at(result.stats, input_node);
    const std::uint64_t unwritten = failures_at(result.stats, output_node);
    const std::uint64_t failed = result.stats.skipped + result.stats.failed - unwritten - unread;
    const std::uint64_t lines = result.stats.jobs_in - unread;
    if (failed != 0) {
        // A stopped run starts no more programs: the lines it had read fail unrun. Output that
        // cannot be written, or input that cannot be read, stops it too, whichever lines its
        // programs had reached by then.
        const bool stopped = result.cancelled || unwritten != 0 || unread != 0;
        std::cerr << "flowpool exec: " << failed << " of " << lines
                  << (stopped ? " programs failed or were not started" : " programs failed");
        if (guard.tripped) {  // "stopped" if the limit stopped the input (not at its end)
            std::cerr << (result.cancelled ? "; stopped: " : "; ") << "more than --max-failures "
                      << guard.text;
        }
        std::cerr << '\n';
    }
    const std::string after =
        " (after " + std::to_string(lines) + (lines == 1 ? " line)\n" : " lines)\n");
    if (unread != 0) std::cerr << "flowpool exec: stopped: the input could not be read" << after;
    if (unwritten != 0) {
        std::cerr << "flowpool exec: stopped: the programs' output could not be written" << after;
    }
    return failed + unwritten + unread != 0;
}

int exec_command(const ExecArgs& args) {
    if (args.command.empty()) throw UsageError("flowpool exec needs a command: -- CMD ARG...");
    if (args.jobs == 0) throw UsageError("-j must be at least 1");
    const GraphSpec graph = exec_graph(args);
    const OpRegistry ops;
    const std::unique_ptr<detail::JournalFile> journal =
        open_journal(args.journal, graph, ops, command_header(args.command));
    RunOptions options;
    options.cancel = &cancel_flag();
    options.journal = journal.get();
    RunWatch watch(false);
    FailureGuard guard(args.max_failures, "--max-failures");
    guard.watch(options);
    options.observer = [&watch, &guard](const RunStats& now) {
        watch.observe(now);
        guard.observe(now);
    };
    install_signal_handlers();
    const RunResult result = run_and_watch(graph, ops, options, watch, args.flags, nullptr);
    guard.settle(result.stats);
    std::cout.flush();
    const bool journaled = close_journal(journal.get(), "flowpool exec", false);
    if (stdout_closed(result)) exit_as_closed_pipe();
    if (result.error) print_error(result.error->what());
    const int signal = result.cancelled ? caught_signal() : 0;
    if (signal != 0) {
        print_line(args.flags.prefix + "interrupted by " + signal_name(signal) + " after " +
                       std::to_string(result.stats.jobs_in) + ' ' + args.flags.jobs_are,
                   Severity::warning);
    }
    if (args.flags.stats) static_cast<void>(report(result.stats, args.flags, nullptr));  // no file
    const bool failed = report_failures(result, guard);  // an interrupted run's too
    if (signal != 0) return 128 + signal;
    return failed || result.error || !journaled ? job_failed : ok;
}

}  // namespace

int split_exec_command(const CLI::App& app, int argc, char** argv,
                       std::vector<std::string>& words) {
    if (argc < 2 || std::string_view(argv[1]) != "exec") return argc;
    const CLI::App& exec = *app.get_subcommand("exec");
    for (int i = 2; i < argc; ++i) {
        const std::string_view word(argv[i]);
        if (word == "--") {
            words.assign(argv + i + 1, argv + argc);
            return i;
        }
        if (word.size() > 1 && word.front() == '-') {  // one of ours, or an error CLI11 reports
            const CLI::Option* option = exec.get_option_no_throw(std::string(word));
            const bool takes_value = option != nullptr && option->get_items_expected_min() > 0;
            if (takes_value && word.find('=') == std::string_view::npos) ++i;
            continue;
        }
        words.assign(argv + i, argv + argc);  // CMD ARG..., without `--`
        return i;
    }
    return argc;
}

Command add_exec_command(CLI::App& app, const std::vector<std::string>* command) {
    auto args = std::make_shared<ExecArgs>();
    CLI::App* exec = app.add_subcommand(
        "exec", "Run a program per line of stdin, N at once, as GNU parallel and xargs -P do");
    exec->add_option("-j,--jobs", args->jobs, "Programs running at once (default: the cores)")
        ->check(count_at_least_one());
    exec->add_flag("-k,--keep-order", args->keep_order,
                   "Print the programs' output in input order");
    exec->add_option("--timeout", args->timeout,
                     "Seconds a program may run; then its process group is killed")
        ->check(seconds_zero_or_more());
    add_max_failures_option(*exec, args->max_failures,
                            "Stop starting programs once more than N (or P% of those started) "
                            "failed");
    exec->add_option("--drain-timeout", args->flags.drain_timeout,
                     "Seconds the programs get after SIGINT/SIGTERM before SIGKILL (default 10)")
        ->check(seconds_zero_or_more());
    exec->add_flag("--stats", args->flags.stats, "Print a table of per-node figures on stderr");
    add_journal_flags(*exec, args->journal);
    // CMD ARG... are not CLI11's to parse (it would split `[a,b]` and take CMD's flags for
    // ours): split_exec_command() moved them out of argv before parsing, into @p command.
    exec->footer(
        "CMD ARG...: after -- (or from the first word that is no option), each as given; {} in "
        "an argument is the line, else the line comes last.\n"
        "Example: find . -name '*.log' | flowpool exec -j 4 -k -- gzip -9 {}");
    return {exec, [args, command] {
                args->command = *command;
                // Its own words for a run cut short; the one-line summary only with --stats.
                args->flags.prefix = "flowpool exec: ";
                args->flags.jobs_are = "lines read";  // not all of which had run
                args->flags.quiet = !args->flags.stats;
                return exec_command(*args);
            }};
}

}  // namespace flowpool::cli
