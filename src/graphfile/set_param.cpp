// `--set NODE.PARAM=VALUE` (set_param()): a command-line override applied to a loaded GraphSpec.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <flowpool/graph.hpp>
#include <optional>
#include <string>
#include <utility>

#include "common/suggest.hpp"
#include "graph_test.hpp"

namespace flowpool {
namespace {

/// A YAML flow list or map given by `--set`, or nothing if some element is empty or a key is not
/// a name (such text is a single value: `{value}` is a format, though YAML reads a map).
std::optional<ParamSpec> flow_param(const YAML::Node& node, const SourceLocation& where) {
    ParamSpec param;
    param.name_where = param.where = where;
    if (node.IsScalar()) {
        param.value = node.Scalar();
        return param;
    }
    if (!node.IsSequence() && !node.IsMap()) return std::nullopt;
    param.shape = node.IsMap() ? ParamSpec::Shape::map : ParamSpec::Shape::list;
    for (const auto& element : node) {
        std::optional<ParamSpec> inner = flow_param(node.IsMap() ? element.second : element, where);
        if (!inner || (node.IsMap() && !element.first.IsScalar())) return std::nullopt;
        if (node.IsMap()) {
            inner->name = element.first.Scalar();
            for (const ParamSpec& other : param.items) {
                if (other.name == inner->name)
                    throw ConfigError(where, "duplicate key '" + inner->name + "'");
            }
        }
        param.items.push_back(std::move(*inner));
    }
    return param;
}

/// A `--set` value as a parameter: a YAML flow list or map is read as one (its text kept in
/// `value`), anything else is a single value as typed.
ParamSpec param_from_command_line(const std::string& key, const std::string& text,
                                  const SourceLocation& where) {
    ParamSpec param;
    param.name_where = param.where = where;
    param.value = text;
    if (!text.empty() && (text.front() == '[' || text.front() == '{')) {
        try {
            const YAML::Node node = YAML::Load(text);
            if (node.IsSequence() || node.IsMap()) {
                if (std::optional<ParamSpec> flow = flow_param(node, where)) param = *flow;
            }
        } catch (const YAML::Exception&) {
            // not YAML (`{id}: {value}`): a single value
        }
    }
    param.name = key;
    param.value = text;
    return param;
}

}  // namespace

void detail::set_param(GraphSpec& graph, std::string_view assignment, const SourceLocation& where) {
    const std::size_t equals = assignment.find('=');
    const std::string_view target = assignment.substr(0, equals);
    // NODE ends at the first '.', or at a later one where a node's name has dots in it.
    std::size_t dot = target.find('.');
    for (const NodeSpec& node : graph.nodes) {
        const std::size_t end = node.name.size();
        if (end > dot && end + 1 < target.size() && target[end] == '.' &&
            target.substr(0, end) == node.name) {
            dot = end;
        }
    }
    if (equals == std::string_view::npos || dot == std::string_view::npos || dot == 0 ||
        dot + 1 == equals) {
        throw ConfigError(where, "expected NODE.PARAM=VALUE");
    }
    const std::string node_name(assignment.substr(0, dot));
    const std::string key(assignment.substr(dot + 1, equals - dot - 1));
    const std::string value(assignment.substr(equals + 1));
    for (NodeSpec& node : graph.nodes) {
        if (node.name != node_name) continue;
        if (key == "kind") {
            node.kind = value;
            node.kind_where = where;
        } else if (key == "op") {
            node.op = value;
            node.op_where = where;
        } else {
            ParamSpec param = param_from_command_line(key, value, where);
            auto same = [&](const ParamSpec& p) { return p.name == key; };
            const auto found = std::find_if(node.params.begin(), node.params.end(), same);
            if (found == node.params.end()) {
                node.params.push_back(std::move(param));
            } else {
                param.name_where = found->name_where;
                *found = std::move(param);
            }
        }
        return;
    }
    std::vector<std::string> names;
    for (const NodeSpec& node : graph.nodes) names.push_back(node.name);
    throw ConfigError(where,
                      "no node named '" + node_name + "'" + detail::did_you_mean(node_name, names));
}

void set_param(GraphSpec& graph, std::string_view assignment) {
    // The graph file is named too: `flowpool validate` applies each --set to every file.
    std::string where = "--set " + std::string(assignment);
    if (!graph.file.empty()) where = graph.file + ": " + where;
    detail::set_param(graph, assignment, SourceLocation{std::move(where)});
}

}  // namespace flowpool
