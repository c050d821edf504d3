#pragma once
// A graph file checked against the op registry: what the runtime needs to build it.

#include <flowpool/graph.hpp>
#include <flowpool/stats.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace flowpool::detail {

/// A node that passed validation, its parameters read.
struct ResolvedNode {
    const NodeSpec* spec = nullptr;  ///< as written
    const OpInfo* op = nullptr;      ///< its op
    NodeKind kind = NodeKind::function;
    std::size_t concurrency = 1;           ///< functions and filters; `unlimited` for no bound
    std::size_t batch_size = 0;            ///< sources: jobs per message, 0 for automatic
    std::optional<std::string> log;        ///< functions and filters: a line per job, if set
    OnError on_error;                      ///< functions, filters, sinks: what a failed job does
    std::size_t reorder_window = 0;        ///< sinks: 0 unordered, else consume in id order
    std::chrono::milliseconds timeout{0};  ///< functions and filters: 0 for no limit
    std::optional<std::string> key;        ///< `key:` if the op takes none of its own
    Params params{{}};                     ///< the op's parameters, defaults filled in
    bool params_read = false;              ///< each of them was as its op declares it
};

/// The node kind @p text names (`source`, `function`, `filter`, `sink`), or nothing.
std::optional<NodeKind> parse_kind(const std::string& text);
/// The keys a node of @p kind takes besides its op's parameters (`concurrency`, `on_error`, ...).
std::vector<std::string> node_keys(NodeKind kind);

/// Validates @p graph against @p ops and reads every node, in file order. Throws ConfigError
/// listing every problem found, sorted by position.
std::vector<ResolvedNode> resolve(const GraphSpec& graph, const OpRegistry& ops);

/// Builds @p nodes, resolved from @p graph (some ops perhaps swapped for stand-ins, as
/// `flowpool test` does), on the runtime and runs them to completion.
RunResult run_resolved(std::vector<ResolvedNode> nodes, const GraphSpec& graph,
                       const RunOptions& options);

}  // namespace flowpool::detail
