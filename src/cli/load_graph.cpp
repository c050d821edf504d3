#include "load_graph.hpp"

#include <iostream>

#include "graphfile/plugin_stand_ins.hpp"

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

void add_no_plugins_option(CLI::App& command, bool& no_plugins) {
    command.add_flag("--no-plugins", no_plugins,
                     "Load no plugin: check everything else, a plugin's ops only as named");
}

GraphSpec load_graph(const std::string& path, const std::vector<std::string>& sets, OpRegistry& ops,
                     bool no_plugins) {
    if (!no_plugins) return load_graph(path, sets, ops);
    GraphSpec graph = load_graph_file(path);
    for (const std::string& assignment : sets) set_param(graph, assignment);
    for (const ConfigError::Problem& note : detail::add_plugin_stand_ins(graph, ops)) {
        std::cerr << note.where.to_string() << ": " << note.message << '\n';
    }
    return graph;
}

}  // namespace flowpool::cli
