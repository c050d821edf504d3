// The flowpool command: run, validate, draw, benchmark and list ops of graph files. main() builds
// the command line and hands it to the subcommand it names; each subcommand is a file of its own
// (run_command.cpp, validate_command.cpp, dot_command.cpp, bench_command.cpp, ops_command.cpp,
// top_command.cpp, exec_command.cpp, test_command.cpp).
// Parsing and printing only; the pipeline logic is the library's.

#include <CLI/CLI.hpp>
#include <flowpool/version.hpp>
#include <string>
#include <vector>

#include "command.hpp"

int main(int argc, char** argv) {
    namespace cli = flowpool::cli;
    CLI::App app{"flowpool: worker-pool pipelines on oneTBB's flow graph, from graph files"};
    app.set_version_flag("--version", std::string("flowpool ") + flowpool::version);
    app.require_subcommand(1);
    std::vector<std::string> exec_words;  // `flowpool exec ... -- CMD ARG...`: CMD ARG...
    const std::vector<cli::Command> commands = {cli::add_run_command(app),
                                                cli::add_validate_command(app),
                                                cli::add_dot_command(app),
                                                cli::add_bench_command(app),
                                                cli::add_ops_command(app),
                                                cli::add_top_command(app),
                                                cli::add_exec_command(app, &exec_words),
                                                cli::add_test_command(app)};

    argc = cli::split_exec_command(app, argc, argv, exec_words);
    // One line, like every other error: `error: WHAT (see flowpool --help)`.
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return "error: " + std::string(e.what()) + " (see flowpool --help)\n";
    });
    if (const auto error = cli::unknown_command(app, argc, argv)) {
        cli::print_error(*error);
        return cli::bad_input;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? cli::ok : cli::bad_input;
    }
    return cli::run_chosen(commands);
}
