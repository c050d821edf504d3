// The flowpool command: run, validate and list ops of graph files. Parsing and printing only;
// the pipeline logic is the library's.

#include <flowpool/flowpool.hpp>

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <atomic>
#include <csignal>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

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
}

void print_error(const std::string& text) { std::cerr << "error: " << text << '\n'; }

/// Prints every problem of @p e as `FILE:LINE:COL: error: MESSAGE`, one a line.
void print_config_error(const flowpool::ConfigError& e) { std::cerr << e.what() << '\n'; }

flowpool::GraphSpec load(const std::string& path, const std::vector<std::string>& sets) {
    flowpool::GraphSpec graph = flowpool::load_graph_file(path);
    for (const std::string& assignment : sets) flowpool::set_param(graph, assignment);
    return graph;
}

int run_command(const std::string& path, const std::vector<std::string>& sets,
                const flowpool::RunOptions& options) {
    const flowpool::OpRegistry ops;
    const flowpool::GraphSpec graph = load(path, sets);
    flowpool::RunOptions run_options = options;
    run_options.cancel = &cancel_requested;
    install_signal_handlers();
    const flowpool::RunResult result = flowpool::run_graph(graph, ops, run_options);
    std::cout.flush();
    if (result.error) print_error(result.error->what());
    if (result.cancelled) {
        const int signal = caught_signal.load();
        std::cerr << "interrupted by " << (signal == SIGTERM ? "SIGTERM" : "SIGINT") << " after "
                  << result.stats.jobs_in << " jobs; the jobs in flight finished\n";
        return 128 + signal;
    }
    return result.error ? job_failed : ok;
}

int validate_command(const std::vector<std::string>& paths, const std::vector<std::string>& sets) {
    const flowpool::OpRegistry ops;
    int code = ok;
    for (const std::string& path : paths) {
        try {
            flowpool::validate(load(path, sets), ops);
            std::cout << path << ": ok\n";
        } catch (const flowpool::ConfigError& e) {
            print_config_error(e);
            code = bad_input;
        }
    }
    return code;
}

int ops_command() {
    const flowpool::OpRegistry ops;
    for (const flowpool::OpInfo* op : ops.list()) {
        std::cout << op->name << " (" << flowpool::to_string(op->kind);
        if (op->kind != flowpool::NodeKind::source) std::cout << ", takes " << flowpool::to_string(op->takes);
        if (op->kind != flowpool::NodeKind::sink) std::cout << ", gives " << flowpool::to_string(op->gives);
        std::cout << "): " << op->description << '\n';
        for (const flowpool::ParamInfo& p : op->params) {
            std::cout << "    " << p.name << ": " << flowpool::to_string(p.type);
            std::cout << (p.default_value ? " = \"" + *p.default_value + "\"" : std::string(" (required)"));
            std::cout << "  " << p.description << '\n';
        }
    }
    return ok;
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
    run->add_option("--batch", options.batch_size, "Jobs per message (default: sized automatically)");
    run->add_option("--max-in-flight", options.max_in_flight,
                    "Messages in flight per source (default: from the nodes' concurrency)");

    CLI::App* check = app.add_subcommand("validate", "Check graph files without running them");
    check->add_option("graphs", paths, "Graph files (YAML)")->required();
    check->add_option("--set", sets, "Override a node parameter: NODE.PARAM=VALUE (repeatable)");

    CLI::App* list = app.add_subcommand("ops", "List every op with its parameters");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? ok : bad_input;
    }

    try {
        if (*run) return run_command(paths.front(), sets, options);
        if (*check) return validate_command(paths, sets);
        if (*list) return ops_command();
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
