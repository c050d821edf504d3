#include "projection.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include "common/log.hpp"
#include "common/parse.hpp"
#include "expr/expression.hpp"
#include "op_params.hpp"
#include "ops/condition_first.hpp"

namespace flowpool::detail {

namespace {

/// What the nodes after a source read, found by walking its out-edges.
class FieldsRead {
public:
    FieldsRead(const std::vector<ResolvedNode>& nodes, const GraphSpec& graph) {
        for (const ResolvedNode& node : nodes) by_name_[node.spec->name] = &node;
        for (const EdgeSpec& edge : graph.edges) after_[edge.from].push_back(edge.to);
    }

    /// The fields the nodes after @p source read, or false if one reads values whole.
    bool after(const std::string& source, std::vector<std::string>& names) {
        seen_.clear();
        for (const std::string& next : after_[source]) {
            if (!read_by(next, names)) return false;
        }
        return !names.empty();
    }

private:
    bool read_by(const std::string& name, std::vector<std::string>& names) {
        if (std::find(seen_.begin(), seen_.end(), name) != seen_.end()) return true;
        seen_.push_back(name);
        const ResolvedNode& node = *by_name_.at(name);
        if (!node.op->reads_fields || node.log ||
            node.on_error.action == OnError::Action::dead_letter) {
            return false;
        }
        bool passes_on = false;
        if (!node.op->reads_fields(node.params, names, passes_on)) return false;
        if (node.key && !expr::Expression::compile(*node.key).add_fields_read(names)) return false;
        if (!passes_on) return true;
        for (const std::string& next : after_[name]) {
            if (!read_by(next, names)) return false;
        }
        return true;
    }

    std::map<std::string, const ResolvedNode*, std::less<>> by_name_;
    std::map<std::string, std::vector<std::string>, std::less<>> after_;
    std::vector<std::string> seen_;
};

std::string joined(const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& name : names) text += (text.empty() ? "" : ",") + name;
    return text;
}

}  // namespace

void project_fields(std::vector<ResolvedNode>& nodes, const GraphSpec& graph) {
    FieldsRead read(nodes, graph);
    for (ResolvedNode& node : nodes) {
        const std::string& param = node.op->projection;
        if (node.kind != NodeKind::source || param.empty() || !node.params.string(param).empty())
            continue;
        std::vector<std::string> names;
        // A name the parameter cannot write (empty, with a comma, or with a space at an end, which
        // its names are trimmed of): read every field then.
        if (!read.after(node.spec->name, names) ||
            std::any_of(names.begin(), names.end(), [](const std::string& name) {
                return name.empty() || name.find(',') != std::string::npos || name.front() == ' ' ||
                       name.back() == ' ';
            }))
            continue;
        NodeSpec projected = *node.spec;
        auto given = std::find_if(projected.params.begin(), projected.params.end(),
                                  [&param](const ParamSpec& p) { return p.name == param; });
        if (given == projected.params.end()) {
            given = projected.params.insert(projected.params.end(), ParamSpec{});
            given->name = param;
        }
        given->value = joined(names);
        node.params =
            read_op_params(projected, *node.op, [](const SourceLocation&, std::string why) {
                throw UsageError("reading only the fields used: " + why);
            });
        log().debug("node '{}' reads only the fields the nodes after it use: {}", node.spec->name,
                    given->value);
    }
}

void warn_fields_left_out(const std::vector<ResolvedNode>& nodes, const GraphSpec& graph,
                          const ReportProblem& report) {
    FieldsRead read(nodes, graph);
    for (const ResolvedNode& node : nodes) {
        const std::string& param = node.op->projection;
        if (node.kind != NodeKind::source || param.empty()) continue;
        const std::vector<std::string> kept = split_names(node.params.string(param));
        if (kept.empty()) continue;
        // The names found before a node that reads values whole are read all the same.
        std::vector<std::string> names;
        static_cast<void>(read.after(node.spec->name, names));
        for (const std::string& name : names) {
            if (std::find(kept.begin(), kept.end(), name) != kept.end()) continue;
            report(node.spec->param(param)->where, "node '" + node.spec->name +
                                                       "' reads only the fields \"" + joined(kept) +
                                                       "\", but the nodes after it read '" + name +
                                                       "': it is missing from every record");
        }
    }
}

void test_condition_first(const ResolvedNode& source, SourceBody& body,
                          const std::vector<ResolvedNode>& nodes, const GraphSpec& graph) {
    auto* first = dynamic_cast<TestsConditionFirst*>(&body);
    if (first == nullptr) return;
    const std::string* to = nullptr;
    for (const EdgeSpec& edge : graph.edges) {
        if (edge.from != source.spec->name) continue;
        if (to != nullptr) return;  // the other node would see the records the filter drops
        to = &edge.to;
    }
    if (to == nullptr) return;
    const auto filter = std::find_if(nodes.begin(), nodes.end(),
                                     [to](const ResolvedNode& n) { return n.spec->name == *to; });
    if (filter == nodes.end() || filter->op->keeps_if.empty() || filter->key || filter->log ||
        filter->on_error.action == OnError::Action::dead_letter || filter->timeout.count() > 0)
        return;
    if (!filter->params.has(filter->op->keeps_if)) return;
    const std::string& condition = filter->params.string(filter->op->keeps_if);
    std::optional<expr::Expression> parsed;
    try {
        parsed = expr::Expression::compile(condition);
    } catch (const expr::ParseError&) {  // a plugin's parameter that is no expression
        return;
    }
    if (first->test_condition_first(*parsed)) {
        log().debug(
            "node '{}' tests the condition of '{}' ({}) before it reads a record's other "
            "fields",
            source.spec->name, filter->spec->name, condition);
    }
}

}  // namespace flowpool::detail
