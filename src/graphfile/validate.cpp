// Everything that can be known before running a graph file: kinds, ops, parameters, edges,
// cycles, reachability and value types along edges. Reports every problem, not only the first.
// This file: the run and the checks across nodes; validate_node.cpp reads each node.

#include <flowpool/graph.hpp>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <utility>

#include "common/suggest.hpp"
#include "expr/expression.hpp"
#include "file_paths.hpp"
#include "op_params.hpp"
#include "problems.hpp"
#include "projection.hpp"
#include "resolve.hpp"
#include "validator.hpp"

namespace flowpool::detail {

std::vector<ResolvedNode> Validator::run() {
    std::vector<ResolvedNode> nodes;
    for (const NodeSpec& spec : graph_.nodes) {
        if (index_.count(spec.name) != 0) {
            problem(spec.where, "duplicate node name '" + spec.name + "'");
            continue;
        }
        index_[spec.name] = nodes.size();
        nodes.push_back(read_node(spec));
    }
    if (nodes.empty()) problem({graph_.file, 1, 1}, "the graph has no nodes");
    check_dead_letters();
    const std::size_t before_edges = problems_.size();
    check_edges(nodes);
    // Cycles, dead ends and types need every kind, op and edge; a bad parameter does not
    // keep them from being checked too.
    const bool readable = problems_.size() == before_edges &&
                          std::all_of(nodes.begin(), nodes.end(), [](const ResolvedNode& n) {
                              return n.op != nullptr && parse_kind(n.spec->kind) == n.op->kind;
                          });
    if (readable) check_flow(nodes);
    check_file_paths(nodes, report_);
    throw_problems(problems_);
    return nodes;
}

void Validator::check_dead_letters() {
    for (const ParamSpec* target : dead_letters_) {
        const auto it = index_.find(target->value);
        const auto spec = std::find_if(graph_.nodes.begin(), graph_.nodes.end(),
                                       [&](const NodeSpec& n) { return n.name == target->value; });
        if (it == index_.end()) {
            std::vector<std::string> names;
            for (const auto& [name, index] : index_) names.push_back(name);
            problem(target->where, "dead_letter names no node: '" + target->value + "'" +
                                       did_you_mean(target->value, names));
        } else if (spec->kind != "sink") {
            problem(target->where,
                    "dead_letter must name a sink; '" + target->value + "' is a " + spec->kind);
        } else {
            dead_letter_sinks_.insert(it->second);
        }
    }
}

void Validator::check_edges(const std::vector<ResolvedNode>& nodes) {
    successors_.assign(nodes.size(), {});
    predecessors_.assign(nodes.size(), {});
    std::vector<std::string> names;
    for (const NodeSpec& spec : graph_.nodes) names.push_back(spec.name);
    for (const EdgeSpec& edge : graph_.edges) {
        if (repeated(edge)) continue;
        const auto from = index_.find(edge.from);
        const auto to = index_.find(edge.to);
        bool ok = true;
        for (const auto& [name, found] : {std::pair{&edge.from, from}, std::pair{&edge.to, to}}) {
            if (found == index_.end()) {
                problem(edge.where,
                        "edge names unknown node '" + *name + "'" + did_you_mean(*name, names));
                ok = false;
            }
        }
        if (!ok) continue;
        const ResolvedNode& a = nodes[from->second];
        const ResolvedNode& b = nodes[to->second];
        if (a.kind == NodeKind::sink && a.op) {
            problem(edge.where, "sink '" + edge.from + "' cannot send jobs on (edge " + edge.from +
                                    " -> " + edge.to + ")");
            continue;
        }
        if (b.kind == NodeKind::source && b.op) {
            problem(edge.where, "source '" + edge.to + "' cannot receive jobs (edge " + edge.from +
                                    " -> " + edge.to + ")");
            continue;
        }
        successors_[from->second].push_back(to->second);
        predecessors_[to->second].push_back(from->second);
    }
}

bool Validator::repeated(const EdgeSpec& edge) {
    const SourceLocation& where = edge.from_where.line != 0 ? edge.from_where : edge.where;
    const auto [first, inserted] = edges_seen_.try_emplace({edge.from, edge.to}, where, false);
    if (inserted) return false;
    if (std::exchange(first->second.second, true)) return true;
    const SourceLocation& earlier = first->second.first;
    const std::string column =
        earlier.line == where.line ? ", column " + std::to_string(earlier.column) : "";
    const std::string first_on =
        earlier.line == 0 ? "" : " (first on line " + std::to_string(earlier.line) + column + ")";
    problem(where, "edge " + edge.from + " -> " + edge.to + " is given twice" + first_on +
                       ": every job would be sent along it twice");
    return true;
}

void Validator::check_flow(std::vector<ResolvedNode>& nodes) {
    if (check_cycles(nodes)) return;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const ResolvedNode& node = nodes[i];
        if (node.kind != NodeKind::source && predecessors_[i].empty() &&
            dead_letter_sinks_.count(i) == 0) {
            problem(node.spec->where,
                    "node '" + node.spec->name + "' receives no jobs: no edge leads to it");
        }
        if (node.kind != NodeKind::sink && successors_[i].empty()) {
            problem(node.spec->where,
                    "node '" + node.spec->name + "' sends its jobs nowhere: no edge leaves it");
        }
    }
    check_routes(nodes);
    check_types(nodes);
    default_to_redeliver(nodes);
}

void Validator::check_routes(const std::vector<ResolvedNode>& nodes) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const ResolvedNode& node = nodes[i];
        // Parameters that were refused (a case without `to`) name no node: told once, as read.
        if (!node.op->routes_to || !node.params_read) continue;
        const std::vector<std::string> targets = node.op->routes_to(node.params);
        std::set<std::string> edges;
        for (const std::size_t next : successors_[i]) edges.insert(nodes[next].spec->name);
        std::vector<std::string> names;
        for (const ResolvedNode& other : nodes) names.push_back(other.spec->name);
        for (const std::string& target : targets) {
            if (edges.count(target) != 0) continue;
            const bool exists = std::find(names.begin(), names.end(), target) != names.end();
            problem(node.spec->where,
                    "node '" + node.spec->name + "' routes jobs to '" + target + "', " +
                        (exists ? "but no edge leads there from it"
                                : "which is not a node" + did_you_mean(target, names)));
        }
        for (const std::string& edge : edges) {
            if (std::find(targets.begin(), targets.end(), edge) == targets.end()) {
                problem(node.spec->where, "node '" + node.spec->name + "' has an edge to '" + edge +
                                              "' but no case or default sends jobs there");
            }
        }
    }
}

void Validator::default_to_redeliver(std::vector<ResolvedNode>& nodes) const {
    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (nodes[i].kind == NodeKind::source && nodes[i].op->redelivers) todo.push_back(i);
    }
    std::vector<bool> seen(nodes.size(), false);
    while (!todo.empty()) {
        const std::size_t i = todo.back();
        todo.pop_back();
        for (const std::size_t next : successors_[i]) {
            if (seen[next]) continue;
            seen[next] = true;
            todo.push_back(next);
            if (explicit_policy_.count(nodes[next].spec->name) == 0) {
                nodes[next].on_error.action = OnError::Action::redeliver;
            }
        }
    }
}

bool Validator::check_cycles(const std::vector<ResolvedNode>& nodes) {
    enum class Mark { none, active, done };
    std::vector<Mark> mark(nodes.size(), Mark::none);
    std::vector<std::size_t> path;
    bool found = false;
    std::function<void(std::size_t)> visit = [&](std::size_t i) {
        mark[i] = Mark::active;
        path.push_back(i);
        for (const std::size_t next : successors_[i]) {
            if (found) break;
            if (mark[next] == Mark::active) {
                std::string cycle;
                const auto start = std::find(path.begin(), path.end(), next);
                for (auto it = start; it != path.end(); ++it)
                    cycle += nodes[*it].spec->name + " -> ";
                problem(nodes[next].spec->where, "cycle: " + cycle + nodes[next].spec->name);
                found = true;
            } else if (mark[next] == Mark::none) {
                visit(next);
            }
        }
        path.pop_back();
        mark[i] = Mark::done;
    };
    for (std::size_t i = 0; i < nodes.size() && !found; ++i) {
        if (mark[i] == Mark::none) visit(i);
    }
    return found;
}

void Validator::check_types(const std::vector<ResolvedNode>& nodes) {
    std::vector<std::optional<ValueType>> gives(nodes.size());
    std::function<ValueType(std::size_t)> type_of = [&](std::size_t i) -> ValueType {
        if (gives[i]) return *gives[i];
        const OpInfo& op = *nodes[i].op;
        ValueType in = ValueType::any;
        bool first = true;
        for (const std::size_t p : predecessors_[i]) {
            const ValueType t = type_of(p);
            in = first ? t : (t == in ? in : ValueType::any);
            first = false;
        }
        gives[i] = op.gives == ValueType::same ? in : op.gives;
        return *gives[i];
    };
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        // A dead-letter sink gets what the failing node was given.
        const OnError& policy = nodes[i].on_error;
        if (policy.action != OnError::Action::dead_letter) continue;
        const auto target = index_.find(policy.dead_letter);
        if (target == index_.end() || nodes[target->second].op == nullptr) continue;  // reported
        const ResolvedNode& sink = nodes[target->second];
        const ValueType failed = failed_type(i, type_of);
        if (!sink.op->takes.accepts(failed)) {
            problem(nodes[i].spec->param("dead_letter")->where,
                    "dead-letter sink '" + policy.dead_letter + "' takes " +
                        std::string(to_string(sink.op->takes)) + " values, but node '" +
                        nodes[i].spec->name + "' is given " + std::string(to_string(failed)) +
                        " values");
        }
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const OpInfo& op = *nodes[i].op;
        for (const std::size_t p : predecessors_[i]) {
            const ValueType t = type_of(p);
            if (!op.takes.accepts(t)) {
                problem(nodes[i].spec->op_where,
                        "op '" + op.name + "' takes " + std::string(to_string(op.takes)) +
                            " values, but node '" + nodes[p].spec->name + "' gives " +
                            std::string(to_string(t)) + " values");
            } else {
                check_fields_read(nodes[i], t, nodes[p].spec->name);
            }
        }
    }
}

void Validator::check_fields_read(const ResolvedNode& node, const ValueType& given,
                                  const std::string& from) {
    // Only values that surely have no fields: null has none to fail on (a path of null is null),
    // and an application type shows its fields only through add_type's to_value.
    std::string why = "which have no fields";
    switch (given.kind()) {
        case ValueType::Kind::boolean:
        case ValueType::Kind::integer:
        case ValueType::Kind::floating:
        case ValueType::Kind::string:
        case ValueType::Kind::list:
            break;
        case ValueType::Kind::custom:
            if (ops_.shows_fields(given.name())) return;
            why = "which show no fields: their type was added without to_value";
            break;
        default:
            return;
    }
    const auto refuse = [&](const SourceLocation& where, const std::string& reader,
                            const std::string& field) {
        problem(where, reader + " reads field '" + field + "' of its values, but node '" + from +
                           "' gives " + std::string(to_string(given)) + " values, " + why);
    };
    std::vector<std::string> names;
    bool passes_on = false;
    try {  // a plugin's reads_fields may throw: it then says nothing here
        if (node.op->reads_fields && node.op->reads_fields(node.params, names, passes_on) &&
            !names.empty())
            refuse(node.spec->op_where, "op '" + node.op->name + "'", names.front());
        names.clear();
        if (node.key && expr::Expression::compile(*node.key).add_fields_read(names) &&
            !names.empty())
            refuse(node.spec->param("key")->where, "the key of node '" + node.spec->name + "'",
                   names.front());
    } catch (...) {
    }
}

std::vector<ResolvedNode> resolve(const GraphSpec& graph, const OpRegistry& ops) {
    return Validator(graph, ops).run();
}

}  // namespace flowpool::detail

namespace flowpool {

void validate(const GraphSpec& graph, const OpRegistry& ops) { detail::resolve(graph, ops); }

std::vector<ConfigError::Problem> warnings(const GraphSpec& graph, const OpRegistry& ops) {
    std::vector<ConfigError::Problem> found;
    for (const NodeSpec& spec : graph.nodes) {
        const std::optional<NodeKind> kind = detail::parse_kind(spec.kind);
        const OpInfo* op = kind ? ops.find(spec.op, *kind) : nullptr;
        if (op == nullptr) continue;
        bool wrong = false;
        const Params params = detail::read_op_params(
            spec, *op, [&wrong](const SourceLocation&, const std::string&) { wrong = true; });
        if (wrong) continue;
        detail::warn_about(spec, *op, params, [&found](const SourceLocation& where, std::string m) {
            found.push_back({where, std::move(m)});
        });
    }
    try {  // a graph validate() refuses has no warning of this kind
        detail::warn_fields_left_out(detail::resolve(graph, ops), graph,
                                     [&found](const SourceLocation& where, std::string m) {
                                         found.push_back({where, std::move(m)});
                                     });
    } catch (const ConfigError&) {
    }
    return found;
}

}  // namespace flowpool
