// `flowpool validate GRAPH...`: checks graph files without running them, each on its own.

#include <flowpool/graph.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "load_graph.hpp"

namespace flowpool::cli {
namespace {

/// `flowpool validate`'s command line.
struct ValidateArgs {
    std::vector<std::string> paths;  ///< the graph files
    std::vector<std::string> sets;   ///< `--set` overrides, applied to each
    bool no_plugins = false;         ///< stand-ins for plugins' ops instead of loading them
};

/// Prints `PATH: ok` for each good file (after its warnings) and every problem of each bad one.
int validate_command(const ValidateArgs& args) {
    int code = ok;
    for (const std::string& path : args.paths) {
        try {
            OpRegistry ops;  // one per file: each file's plugins are its own
            const GraphSpec graph = load_graph(path, args.sets, ops, args.no_plugins);
            validate(graph, ops);
            print_warnings(graph, ops);
            std::cout << path << ": ok\n";
        } catch (const ConfigError& e) {
            print_config_error(e);
            code = bad_input;
        }
    }
    return code;
}

}  // namespace

Command add_validate_command(CLI::App& app) {
    auto args = std::make_shared<ValidateArgs>();
    CLI::App* check = app.add_subcommand("validate", "Check graph files without running them");
    check->add_option("graphs", args->paths, "Graph files (YAML)")->required();
    add_set_option(*check, args->sets);
    add_no_plugins_option(*check, args->no_plugins);
    return {check, [args] { return validate_command(*args); }};
}

}  // namespace flowpool::cli
