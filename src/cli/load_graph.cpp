#include "load_graph.hpp"

namespace flowpool::cli {

void add_set_option(CLI::App& command, std::vector<std::string>& sets) {
    command.add_option("--set", sets, "Override a node parameter: NODE.PARAM=VALUE (repeatable)");
}

GraphSpec load_graph(const std::string& path, const std::vector<std::string>& sets,
                     OpRegistry& ops) {
    GraphSpec graph = load_graph_file(path);
    load_plugins(graph, ops);
    for (const std::string& assignment : sets) set_param(graph, assignment);
    return graph;
}

}  // namespace flowpool::cli
