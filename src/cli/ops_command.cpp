// `flowpool ops [GRAPH]`: every op the registry holds (with GRAPH, its plugins' ops too), with
// its kind, value types, description and parameters; then the functions expressions may call
// and the aggregate functions.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "load_graph.hpp"

namespace flowpool::cli {
namespace {

/// A parameter's type as `flowpool ops` shows it: `integer`, `list of string`,
/// `map of integer`, `list of map {when: string, to: string = "x"}`.
std::string type_of(const ParamInfo& p) {
    if (p.type != ParamType::list && p.type != ParamType::map)
        return std::string(to_string(p.type));
    std::string text = std::string(to_string(p.type));
    if (p.type == ParamType::list) text += " of " + std::string(to_string(p.items));
    const bool has_fields = !p.fields.empty();
    if (!has_fields && p.type == ParamType::map) text += " of " + std::string(to_string(p.items));
    if (!has_fields) return text;
    text += " {";
    for (const ParamInfo& field : p.fields) {
        text += (&field == &p.fields.front() ? "" : ", ") + field.name + ": " + type_of(field);
        if (field.default_value) text += " = \"" + *field.default_value + "\"";
    }
    return text + "}";
}

/// `NAME (KIND, takes T, gives T): DESCRIPTION`, then one line per parameter:
/// `    NAME: TYPE = "DEFAULT"` (a list or map: `= []` or `= {}`), or `(required)`, and its
/// description.
void print_op(const OpInfo& op) {
    std::cout << op.name << " (" << to_string(op.kind);
    if (op.kind != NodeKind::source) std::cout << ", takes " << to_string(op.takes);
    if (op.kind != NodeKind::sink) std::cout << ", gives " << to_string(op.gives);
    std::cout << "): " << op.description << '\n';
    for (const ParamInfo& p : op.params) {
        std::cout << "    " << p.name << ": " << type_of(p);
        if (!p.default_value)
            std::cout << " (required)";
        else if (p.type == ParamType::list)
            std::cout << " = []";
        else if (p.type == ParamType::map)
            std::cout << " = {}";
        else
            std::cout << " = \"" << *p.default_value << '"';
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
    std::cout << "\nexpression functions (README.md, \"Expressions\"):\n";
    for (const FunctionInfo& f : expression_functions()) {
        std::cout << "    " << f.signature << "  " << f.description << '\n';
    }
    std::cout << "aggregate functions (aggregate's fields: NAME: AGG):\n";
    for (const FunctionInfo& f : aggregate_functions()) {
        std::cout << "    " << f.signature << "  " << f.description << '\n';
    }
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
