// `flowpool dot GRAPH`: the graph file as Graphviz DOT, or with --mermaid a Mermaid flowchart.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "load_graph.hpp"

namespace flowpool::cli {
namespace {

/// `flowpool dot`'s command line.
struct DotArgs {
    std::vector<std::string> paths;  ///< the graph file, alone
    std::vector<std::string> sets;   ///< `--set` overrides
    bool mermaid = false;            ///< a Mermaid flowchart instead of DOT
    bool no_plugins = false;         ///< stand-ins for plugins' ops instead of loading them
};

int dot_command(const DotArgs& args) {
    OpRegistry ops;
    const GraphSpec graph = load_graph(args.paths.front(), args.sets, ops, args.no_plugins);
    std::cout << (args.mermaid ? to_mermaid(graph, ops) : to_dot(graph, ops));
    return ok;
}

}  // namespace

Command add_dot_command(CLI::App& app) {
    auto args = std::make_shared<DotArgs>();
    CLI::App* draw =
        app.add_subcommand("dot", "Print a graph file as Graphviz DOT (or a Mermaid flowchart)");
    draw->add_option("graph", args->paths, "The graph file (YAML)")->required()->expected(1);
    add_set_option(*draw, args->sets);
    add_no_plugins_option(*draw, args->no_plugins);
    draw->add_flag("--mermaid", args->mermaid, "Print a Mermaid flowchart instead of DOT");
    return {draw, [args] { return dot_command(*args); }};
}

}  // namespace flowpool::cli
