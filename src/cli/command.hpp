#pragma once
// The pieces every subcommand of `flowpool` shares: exit codes, how errors are printed, and the
// shape of a subcommand (its CLI11 options, and what runs it once the command line is parsed).

#include <CLI/CLI.hpp>
#include <cstddef>
#include <flowpool/error.hpp>
#include <flowpool/graph.hpp>
#include <flowpool/ops.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace flowpool::cli {

/// Exit codes: 0 ok, 1 a job failed, 2 bad usage or bad graph file, 128 + signal interrupted.
enum ExitCode : int { ok = 0, job_failed = 1, bad_input = 2 };

/// A subcommand: its options, added to the app, and what runs it.
struct Command {
    CLI::App* app = nullptr;  ///< the subcommand; true once the command line named it
    /// Runs it with the options parsed; returns the exit code. Throws flowpool's errors.
    std::function<int()> run;
};

/// `flowpool run GRAPH`: validates and runs a graph file (run_command.cpp).
Command add_run_command(CLI::App& app);
/// `flowpool validate GRAPH...`: checks graph files without running them (validate_command.cpp).
Command add_validate_command(CLI::App& app);
/// `flowpool dot GRAPH`: the graph as Graphviz DOT or a Mermaid flowchart (dot_command.cpp).
Command add_dot_command(CLI::App& app);
/// `flowpool bench GRAPH`: flowpool against the hand-rolled pool (bench_command.cpp).
Command add_bench_command(CLI::App& app);
/// `flowpool top HOST:PORT`: a live table from a run's metrics endpoint (top_command.cpp).
Command add_top_command(CLI::App& app);
/// `flowpool exec -- CMD ARG...`: a program per line of stdin (exec_command.cpp); CMD ARG... are
/// @p command, which split_exec_command() fills before parsing.
Command add_exec_command(CLI::App& app, const std::vector<std::string>* command);
/// For `flowpool exec [OPTIONS] [--] CMD ARG...`: moves CMD ARG... (after `--`, or from the first
/// word that is not an option of exec's or an option's value) to @p words and returns the
/// argument count without them, so that CLI11 parses only exec's options (an unknown one is an
/// error) and the command reaches the program as given (CLI11 would split `[a,b]`).
int split_exec_command(const CLI::App& app, int argc, char** argv, std::vector<std::string>& words);
/// `flowpool test FILE|DIR...`: runs graph files' unit tests (test_command.cpp).
Command add_test_command(CLI::App& app);
/// `flowpool ops [GRAPH]`: every op with its parameters and value types (ops_command.cpp).
Command add_ops_command(CLI::App& app);

/// CLI11 checks of number flags, each named in one short message ("--threads: must be a whole
/// number of at least 1, not 0"), where CLI11's PositiveNumber prints its range up to 1.797e308
/// in full: a count (a whole number, at least 1), and seconds (finite, at most 10^9) greater
/// than 0 (an interval) or 0 or more (a timeout, a linger).
CLI::Validator count_at_least_one();
/// A count where 0 means "chosen automatically" (`--batch`, `--max-in-flight`).
CLI::Validator count_or_zero();
CLI::Validator seconds_above_zero();
CLI::Validator seconds_zero_or_more();

/// Runs the command the command line named, mapping flowpool's errors to exit codes and one
/// line on stderr each.
int run_chosen(const std::vector<Command>& commands);

/// The error for a first word that names no command, or nothing if it is a command or a flag.
std::optional<std::string> unknown_command(const CLI::App& app, int argc, char** argv);

/// Prints `error: TEXT` on stderr; with `--log-format json`, a JSON log line at level error.
void print_error(const std::string& text);
/// How bad what a line of print_line() says is: its level under `--log-format json`.
enum class Severity { warning, error };
/// Prints @p line (how a run ended: `interrupted by SIGINT after ...`) on stderr as it is, in
/// one write; with `--log-format json`, a JSON log line at @p severity.
void print_line(const std::string& line, Severity severity);
/// Prints the run's first failed job as print_error() does; in JSON with its node and job id.
void print_job_error(const JobError& e);
/// Prints every problem of @p e as `FILE:LINE:COL: error: MESSAGE`, one a line, on stderr; with
/// `--log-format json`, each a JSON log line at level error, `FILE:LINE:COL: MESSAGE`.
void print_config_error(const ConfigError& e);
/// Prints each of @p graph's warnings (flowpool::warnings()) as `FILE:LINE:COL: warning:
/// MESSAGE` on stderr; with `--log-format json`, each a JSON log line at level warn.
void print_warnings(const GraphSpec& graph, const OpRegistry& ops);

}  // namespace flowpool::cli
