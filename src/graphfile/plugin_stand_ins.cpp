// Stand-ins for the ops of plugins that are not loaded: declared from how the graph file uses
// them, so that validation checks the rest of the file.

#include "plugin_stand_ins.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "resolve.hpp"

namespace flowpool::detail {
namespace {

/// A parameter as a stand-in declares it: optional, of the shape @p param is written in.
ParamInfo stand_in_param(const ParamSpec& param) {
    ParamInfo info{.name = param.name, .default_value = "", .description = "not checked"};
    if (param.shape == ParamSpec::Shape::list) {
        info.type = ParamType::list;
        const bool of_maps =
            !param.items.empty() && param.items.front().shape == ParamSpec::Shape::map;
        info.items = of_maps ? ParamType::map : ParamType::string;
    } else if (param.shape == ParamSpec::Shape::map) {
        info.type = ParamType::map;
    }
    return info;
}

[[noreturn]] void not_loaded(const std::string& op) {
    throw UsageError("op '" + op + "' stands in for a plugin's op that was not loaded");
}

}  // namespace

std::vector<ConfigError::Problem> add_plugin_stand_ins(const GraphSpec& graph, OpRegistry& ops) {
    if (graph.plugins.empty()) return {};
    std::map<std::pair<std::string, NodeKind>, OpInfo> stand_ins;
    std::vector<ConfigError::Problem> notes;
    for (const NodeSpec& node : graph.nodes) {
        const std::optional<NodeKind> kind = parse_kind(node.kind);
        if (!kind || node.op.empty() || ops.find(node.op) != nullptr) continue;
        auto [entry, added] = stand_ins.try_emplace({node.op, *kind});
        OpInfo& op = entry->second;
        if (added) {
            op = {.name = node.op,
                  .kind = *kind,
                  .description = "a plugin's op, not loaded (--no-plugins)",
                  .gives = ValueType::any};
            notes.push_back({node.op_where, "note: op '" + node.op +
                                                "' is taken to come from a plugin under "
                                                "'plugins:', which --no-plugins does not load; "
                                                "its parameters and value types are not checked"});
        }
        const std::vector<std::string> own = node_keys(*kind);
        for (const ParamSpec& param : node.params) {
            const auto same = [&](const ParamInfo& p) { return p.name == param.name; };
            if (std::count(own.begin(), own.end(), param.name) != 0 ||
                std::any_of(op.params.begin(), op.params.end(), same)) {
                continue;
            }
            op.params.push_back(stand_in_param(param));
        }
    }
    for (auto& [key, op] : stand_ins) {
        const std::string name = op.name;
        op.make_source = [name](const Params&) -> std::unique_ptr<SourceBody> { not_loaded(name); };
        op.make_stage = [name](const Params&) -> std::unique_ptr<StageBody> { not_loaded(name); };
        op.make_sink = [name](const Params&) -> std::unique_ptr<SinkBody> { not_loaded(name); };
        ops.add(std::move(op));
    }
    return notes;
}

}  // namespace flowpool::detail
