#pragma once
// resolve()'s Validator: validate.cpp checks the graph as a whole, validate_node.cpp each node.

#include <flowpool/graph.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "op_params.hpp"
#include "resolve.hpp"

namespace flowpool::detail {

/// Checks a GraphSpec against an op registry and reads its nodes: see resolve().
class Validator {
public:
    Validator(const GraphSpec& graph, const OpRegistry& ops) : graph_(graph), ops_(ops) {}

    std::vector<ResolvedNode> run();

private:
    void problem(const SourceLocation& where, std::string message) {
        problems_.push_back({where, std::move(message)});
    }

    // Each node (validate_node.cpp).
    ResolvedNode read_node(const NodeSpec& spec);
    void read_params(const NodeSpec& spec, ResolvedNode& node);
    /// `key: EXPR` on a function or filter whose op takes no `key` of its own.
    void read_key(const NodeSpec& spec, const ParamSpec& p, ResolvedNode& node);
    /// The node key @p name if it is given as a single value (a list or map there is reported
    /// by read_params()), or nullptr.
    static const ParamSpec* single(const NodeSpec& spec, std::string_view name);
    /// `on_error: fail | skip | dead_letter`, `dead_letter: SINK` (implies on_error: dead_letter),
    /// `retries: N` (tries after the first), `retry_backoff_ms: M` (doubled for each further try).
    void read_failure_policy(const NodeSpec& spec, ResolvedNode& node);
    /// `ordered: true` and `reorder_window: N` on a sink.
    void read_order(const NodeSpec& spec, ResolvedNode& node);
    void read_concurrency(const ParamSpec& p, ResolvedNode& node);

    // The graph as a whole (validate.cpp).
    /// Each `dead_letter:` names a sink; that sink counts as fed.
    void check_dead_letters();
    void check_edges(const std::vector<ResolvedNode>& nodes);
    /// True if @p edge was given before (it would send every job along it twice); the first
    /// repeat of an edge is reported, at its EdgeSpec::from_where.
    bool repeated(const EdgeSpec& edge);
    /// Cycles, dead ends and value types: only once every node and edge is readable.
    void check_flow(std::vector<ResolvedNode>& nodes);
    /// A routing op (OpInfo::routes_to) sends to exactly its out-edges: a target without an
    /// edge, or an edge no job would take, is a mistake.
    void check_routes(const std::vector<ResolvedNode>& nodes);
    /// Nodes fed by a source that delivers failed jobs again (OpInfo::redelivers) hand their
    /// failed jobs back to it unless the graph file says otherwise: the worker goes on.
    void default_to_redeliver(std::vector<ResolvedNode>& nodes) const;
    bool check_cycles(const std::vector<ResolvedNode>& nodes);
    /// The type each node gives, in topological order; an op fed a type it cannot take is an error.
    void check_types(const std::vector<ResolvedNode>& nodes);
    /// Refuses a node that reads a field of the values of type @p given it is given (by node
    /// @p from) when they have none: `.status` of an integer fails every job.
    void check_fields_read(const ResolvedNode& node, const ValueType& given,
                           const std::string& from);

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
    // Each edge's first position, and whether a repeat was reported: once per edge, or aliases
    // (*a) could repeat a chain into 300,000 problems.
    std::map<std::pair<std::string, std::string>, std::pair<SourceLocation, bool>> edges_seen_;
};

}  // namespace flowpool::detail
