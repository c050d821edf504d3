#pragma once
// Reading the graph file a subcommand names, with its `--set` overrides and its plugins' ops.

#include <CLI/CLI.hpp>
#include <flowpool/graph.hpp>
#include <flowpool/ops.hpp>
#include <string>
#include <vector>

namespace flowpool::cli {

/// Adds the `--set NODE.PARAM=VALUE` option (repeatable) to @p command, collected in @p sets.
void add_set_option(CLI::App& command, std::vector<std::string>& sets);

/// Reads a graph file, applies the `--set` overrides and registers its plugins' ops in @p ops.
/// Throws ConfigError for a file that cannot be read or a bad override.
GraphSpec load_graph(const std::string& path, const std::vector<std::string>& sets,
                     OpRegistry& ops);

/// Adds the `--no-plugins` flag to @p command, set in @p no_plugins.
void add_no_plugins_option(CLI::App& command, bool& no_plugins);

/// As load_graph(), but with @p no_plugins the graph's plugins are not loaded: their ops are
/// stood in for (checked for everything but their own parameters and types), each with a note
/// on stderr, `FILE:LINE:COL: note: ...`.
GraphSpec load_graph(const std::string& path, const std::vector<std::string>& sets, OpRegistry& ops,
                     bool no_plugins);

}  // namespace flowpool::cli
