// Everything that can be known before running a graph file: kinds, ops, parameters, edges,
// cycles, reachability and value types along edges. Reports every problem, not only the first.

#include <flowpool/graph.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>

#include "common/parse.hpp"
#include "common/suggest.hpp"
#include "file_paths.hpp"
#include "op_params.hpp"
#include "ops/builtin.hpp"
#include "ops/format.hpp"
#include "resolve.hpp"

namespace flowpool::detail {
namespace {

const std::vector<std::string> kind_names = {"source", "function", "filter", "sink"};

}  // namespace

std::optional<NodeKind> parse_kind(const std::string& text) {
    if (text == "source") return NodeKind::source;
    if (text == "function") return NodeKind::function;
    if (text == "filter") return NodeKind::filter;
    if (text == "sink") return NodeKind::sink;
    return std::nullopt;
}

std::vector<std::string> node_keys(NodeKind kind) {
    switch (kind) {
        case NodeKind::source:
            return {"batch"};
        case NodeKind::function:
        case NodeKind::filter:
            return {"concurrency",      "log",        "on_error", "dead_letter", "retries",
                    "retry_backoff_ms", "timeout_ms", "key"};
        case NodeKind::sink:
            return {"on_error",         "dead_letter", "retries",
                    "retry_backoff_ms", "ordered",     "reorder_window"};
    }
    return {};
}

namespace {

class Validator {
public:
    Validator(const GraphSpec& graph, const OpRegistry& ops) : graph_(graph), ops_(ops) {}

    std::vector<ResolvedNode> run() {
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
        if (!problems_.empty()) {
            std::stable_sort(problems_.begin(), problems_.end(), [](const auto& a, const auto& b) {
                return std::pair(a.where.line, a.where.column) <
                       std::pair(b.where.line, b.where.column);
            });
            throw ConfigError(std::move(problems_));
        }
        return nodes;
    }

private:
    void problem(const SourceLocation& where, std::string message) {
        problems_.push_back({where, std::move(message)});
    }

    ResolvedNode read_node(const NodeSpec& spec) {
        ResolvedNode node;
        node.spec = &spec;
        const std::string who = "node '" + spec.name + "'";
        const std::optional<NodeKind> kind = parse_kind(spec.kind);
        if (spec.kind.empty()) {
            problem(spec.where, who + " has no 'kind' (" + "source, function, filter or sink)");
        } else if (!kind) {
            problem(spec.kind_where,
                    "unknown kind '" + spec.kind + "'" + did_you_mean(spec.kind, kind_names));
        }
        if (kind) node.kind = *kind;

        if (spec.op.empty()) {
            problem(spec.where, who + " has no 'op'");
            return node;
        }
        node.op = kind ? ops_.find(spec.op, *kind) : nullptr;
        if (!node.op) node.op = ops_.find(spec.op);
        if (!node.op) {
            std::vector<std::string> names;
            for (const OpInfo* op : ops_.list()) names.push_back(op->name);
            std::string hint = did_you_mean(spec.op, names);
            if (hint.empty())
                hint =
                    "; `flowpool ops` lists the ops (a plugin's op needs its plugin under "
                    "'plugins:')";
            problem(spec.op_where, "unknown op '" + spec.op + "'" + hint);
            return node;
        }
        if (kind && node.op->kind != *kind) {
            problem(spec.op_where, "op '" + spec.op + "' is a " +
                                       std::string(to_string(node.op->kind)) + " op; " + who +
                                       " is a " + spec.kind);
            return node;
        }
        if (!kind) return node;
        read_params(spec, node);
        return node;
    }

    void read_params(const NodeSpec& spec, ResolvedNode& node) {
        const std::size_t problems_before = problems_.size();
        std::vector<std::string> known = node_keys(node.kind);
        if (node.op->parses) {  // its jobs can fail to parse, on the workers
            known.insert(known.end(), {"on_error", "dead_letter"});
        }
        for (const ParamInfo& p : node.op->params) known.push_back(p.name);

        node.concurrency = default_workers();
        for (const ParamSpec& p : spec.params) {
            const bool op_param = std::any_of(node.op->params.begin(), node.op->params.end(),
                                              [&](const ParamInfo& i) { return i.name == p.name; });
            if (p.name == "key" && !op_param &&
                (node.kind == NodeKind::source || node.kind == NodeKind::sink)) {
                problem(p.name_where,
                        "'key' keys the jobs of a function or filter (jobs with "
                        "one key run one at a time, in order); node '" +
                            spec.name + "' is a " + spec.kind);
            } else if (std::find(known.begin(), known.end(), p.name) == known.end()) {
                problem(p.name_where, "unknown parameter '" + p.name + "' for op '" + spec.op +
                                          "'" + did_you_mean(p.name, known));
            } else if (op_param) {
                continue;  // read_op_params()
            } else if (!p.has_text()) {
                problem(p.where, "parameter '" + p.name + "' takes a single value, not a " +
                                     (p.shape == ParamSpec::Shape::list ? "list" : "map"));
            } else if (p.name == "concurrency") {
                read_concurrency(p, node);
            } else if (p.name == "batch") {
                const auto n = parse_integer(p.value);
                if (!n || *n < 1)
                    problem(p.where,
                            "batch must be a whole number of at least 1, not '" + p.value + "'");
                else
                    node.batch_size = static_cast<std::size_t>(*n);
            } else if (p.name == "log") {
                check_text(p, p.name, check_format, report_);
                node.log = p.value;
            } else if (p.name == "timeout_ms") {
                const auto ms = parse_integer(p.value);
                if (!ms || *ms < 1 || *ms > max_wait_ms)
                    problem(p.where, "timeout_ms must be a whole number from 1 to " +
                                         std::to_string(max_wait_ms) + ", not '" + p.value + "'");
                else
                    node.timeout = std::chrono::milliseconds(*ms);
            } else if (p.name == "key") {
                read_key(spec, p, node);
            }  // the failure policy and order keys: read_failure_policy() and read_order()
        }
        node.params = read_op_params(spec, *node.op, report_);
        if (problems_.size() == problems_before)
            check_with_others(spec, *node.op, node.params, report_);
        read_failure_policy(spec, node);
        read_order(spec, node);
    }

    /// `key: EXPR` on a function or filter whose op takes no `key` of its own.
    void read_key(const NodeSpec& spec, const ParamSpec& p, ResolvedNode& node) {
        if (node.op->routes_to) {
            problem(p.name_where, "'key' cannot be set on node '" + spec.name + "': op '" +
                                      spec.op + "' routes jobs, and a keyed node cannot");
        } else if (const ParamSpec* timeout = single(spec, "timeout_ms")) {
            // A job given up on keeps running: it would run beside the next job of its key.
            problem(timeout->name_where,
                    "'timeout_ms' cannot be set on keyed node '" + spec.name +
                        "': a job given up on would run beside the next job of its key");
        }
        if (check_text(p, "key", expression_param("key", "").check, report_)) node.key = p.value;
    }

    /// The node key @p name if it is given as a single value (a list or map there is reported
    /// by read_params()), or nullptr.
    static const ParamSpec* single(const NodeSpec& spec, std::string_view name) {
        const ParamSpec* p = spec.param(name);
        return p && p->has_text() ? p : nullptr;
    }

    /// `on_error: fail | skip | dead_letter`, `dead_letter: SINK` (implies on_error: dead_letter),
    /// `retries: N` (tries after the first), `retry_backoff_ms: M` (doubled for each further try).
    void read_failure_policy(const NodeSpec& spec, ResolvedNode& node) {
        OnError& policy = node.on_error;
        const ParamSpec* action = single(spec, "on_error");
        const ParamSpec* target = single(spec, "dead_letter");
        if (action) {
            if (action->value == "fail")
                policy.action = OnError::Action::fail;
            else if (action->value == "skip")
                policy.action = OnError::Action::skip;
            else if (action->value == "dead_letter")
                policy.action = OnError::Action::dead_letter;
            else if (action->value == "redeliver")
                policy.action = OnError::Action::redeliver;
            else
                problem(
                    action->where,
                    "on_error must be fail, skip, dead_letter or redeliver, not '" + action->value +
                        "'" +
                        did_you_mean(action->value, {"fail", "skip", "dead_letter", "redeliver"}));
        }
        if (action || target) explicit_policy_.insert(spec.name);
        if (target) {
            if (action && policy.action != OnError::Action::dead_letter) {
                problem(target->name_where,
                        "dead_letter is set but on_error is '" + action->value + "'");
            }
            policy.action = OnError::Action::dead_letter;
            policy.dead_letter = target->value;
            dead_letters_.push_back(target);
        } else if (policy.action == OnError::Action::dead_letter) {
            problem(action->where,
                    "on_error: dead_letter needs a 'dead_letter: SINK' naming the sink");
        }
        if (const ParamSpec* retries = single(spec, "retries")) {
            const auto n = parse_integer(retries->value);
            if (!n || *n < 0 || *n > 1000)
                problem(retries->where, "retries must be a whole number from 0 to 1000, not '" +
                                            retries->value + "'");
            else
                policy.attempts = static_cast<int>(*n) + 1;
        }
        if (const ParamSpec* backoff = single(spec, "retry_backoff_ms")) {
            const auto ms = parse_integer(backoff->value);
            if (!ms || *ms < 0 || *ms > max_wait_ms)
                problem(backoff->where, "retry_backoff_ms must be a whole number from 0 to " +
                                            std::to_string(max_wait_ms) + ", not '" +
                                            backoff->value + "'");
            else
                policy.backoff = std::chrono::milliseconds(*ms);
        }
    }

    /// `ordered: true` and `reorder_window: N` on a sink.
    void read_order(const NodeSpec& spec, ResolvedNode& node) {
        const ParamSpec* ordered = single(spec, "ordered");
        const ParamSpec* window = single(spec, "reorder_window");
        if (ordered && ordered->value != "true" && ordered->value != "false") {
            problem(ordered->where, "ordered must be true or false, not '" + ordered->value + "'");
        }
        const bool in_order = ordered && ordered->value == "true";
        node.reorder_window = in_order ? default_reorder_window : 0;
        if (!window) return;
        const auto n = parse_integer(window->value);
        if (!n || *n < 1)
            problem(window->where, "reorder_window must be a whole number of at least 1, not '" +
                                       window->value + "'");
        else if (!in_order)
            problem(window->name_where,
                    "reorder_window is set but the sink is not 'ordered: true'");
        else
            node.reorder_window = static_cast<std::size_t>(*n);
    }

    /// Each `dead_letter:` names a sink; that sink counts as fed.
    void check_dead_letters() {
        for (const ParamSpec* target : dead_letters_) {
            const auto it = index_.find(target->value);
            const auto spec =
                std::find_if(graph_.nodes.begin(), graph_.nodes.end(),
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

    void read_concurrency(const ParamSpec& p, ResolvedNode& node) {
        if (p.value == "serial") {
            node.concurrency = 1;
        } else if (p.value == "unlimited") {
            node.concurrency = unlimited;
        } else if (const auto n = parse_integer(p.value); n && *n >= 1) {
            node.concurrency = static_cast<std::size_t>(*n);
        } else {
            problem(p.where,
                    "concurrency must be a number of at least 1, 'serial' or 'unlimited', not '" +
                        p.value + "'");
        }
    }

    void check_edges(const std::vector<ResolvedNode>& nodes) {
        successors_.assign(nodes.size(), {});
        predecessors_.assign(nodes.size(), {});
        std::vector<std::string> names;
        for (const NodeSpec& spec : graph_.nodes) names.push_back(spec.name);
        for (const EdgeSpec& edge : graph_.edges) {
            const auto from = index_.find(edge.from);
            const auto to = index_.find(edge.to);
            bool ok = true;
            for (const auto& [name, found] :
                 {std::pair{&edge.from, from}, std::pair{&edge.to, to}}) {
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
                problem(edge.where, "sink '" + edge.from + "' cannot send jobs on (edge " +
                                        edge.from + " -> " + edge.to + ")");
                continue;
            }
            if (b.kind == NodeKind::source && b.op) {
                problem(edge.where, "source '" + edge.to + "' cannot receive jobs (edge " +
                                        edge.from + " -> " + edge.to + ")");
                continue;
            }
            successors_[from->second].push_back(to->second);
            predecessors_[to->second].push_back(from->second);
        }
    }

    /// Cycles, dead ends and value types: only once every node and edge is readable.
    void check_flow(std::vector<ResolvedNode>& nodes) {
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

    /// A routing op (OpInfo::routes_to) sends to exactly its out-edges: a target without an
    /// edge, or an edge no job would take, is a mistake.
    void check_routes(const std::vector<ResolvedNode>& nodes) {
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            const ResolvedNode& node = nodes[i];
            if (!node.op->routes_to) continue;
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
                    problem(node.spec->where, "node '" + node.spec->name + "' has an edge to '" +
                                                  edge +
                                                  "' but no case or default sends jobs there");
                }
            }
        }
    }

    /// Nodes fed by a source that delivers failed jobs again (OpInfo::redelivers) hand their
    /// failed jobs back to it unless the graph file says otherwise: the worker goes on.
    void default_to_redeliver(std::vector<ResolvedNode>& nodes) const {
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

    bool check_cycles(const std::vector<ResolvedNode>& nodes) {
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

    /// The type each node gives, in topological order; an op fed a type it cannot take is an error.
    void check_types(const std::vector<ResolvedNode>& nodes) {
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
            if (target == index_.end() || nodes[target->second].op == nullptr)
                continue;  // reported
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
                }
            }
        }
    }

    /// The values node @p i sends to its dead-letter sink: what it was given, or for a source
    /// that fails jobs it could not parse, the text it read.
    template <class TypeOf>
    ValueType failed_type(std::size_t i, TypeOf& type_of) const {
        if (predecessors_[i].empty()) return ValueType::string;
        return type_of(predecessors_[i].front());
    }

    const GraphSpec& graph_;
    const OpRegistry& ops_;
    const ReportProblem report_ = [this](const SourceLocation& where, std::string message) {
        problem(where, std::move(message));
    };
    std::map<std::string, std::size_t, std::less<>> index_;
    std::vector<std::vector<std::size_t>> successors_;
    std::vector<std::vector<std::size_t>> predecessors_;
    std::set<std::string, std::less<>> explicit_policy_;  // nodes whose file sets on_error
    std::vector<ConfigError::Problem> problems_;
    std::vector<const ParamSpec*> dead_letters_;  // every `dead_letter:` value
    std::set<std::size_t> dead_letter_sinks_;
};

}  // namespace

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
    return found;
}

}  // namespace flowpool
