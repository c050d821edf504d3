// `flowpool ops [GRAPH]`: every op the registry holds (with GRAPH, its plugins' ops too), with
// its kind, value types, description and parameters.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "load_graph.hpp"

namespace flowpool::cli {
namespace {

/// `NAME (KIND, takes T, gives T): DESCRIPTION`, then one line per parameter:
/// `    NAME: TYPE = "DEFAULT"` (or `(required)`) and its description.
void print_op(const OpInfo& op) {
    std::cout << op.name << " (" << to_string(op.kind);
    if (op.kind != NodeKind::source) std::cout << ", takes " << to_string(op.takes);
    if (op.kind != NodeKind::sink) std::cout << ", gives " << to_string(op.gives);
    std::cout << "): " << op.description << '\n';
    for (const ParamInfo& p : op.params) {
        std::cout << "    " << p.name << ": " << to_string(p.type);
        std::cout << (p.default_value ? " = \"" + *p.default_value + "\""
                                      : std::string(" (required)"));
        std::cout << "  " << p.description << '\n';
    }
}

/// Every op (with @p graph, its plugins' too).
int ops_command(const std::vector<std::string>& graph) {
    OpRegistry ops;
    if (!graph.empty()) load_graph(graph.front(), {}, ops);
    for (const OpInfo* op : ops.list()) print_op(*op);
    std::cout << "value types: null, bool, integer, float, string, list, record, any";
    for (const std::string& type : ops.types()) std::cout << ", " << type;
    std::cout << '\n';
    return ok;
}

}  // namespace

Command add_ops_command(CLI::App& app) {
    auto paths = std::make_shared<std::vector<std::string>>();
    CLI::App* list = app.add_subcommand("ops", "List every op with its parameters and value types");
    list->add_option("graph", *paths, "Also list the ops of this graph file's plugins")
        ->expected(0, 1);
    return {list, [paths] { return ops_command(*paths); }};
}

}  // namespace flowpool::cli
