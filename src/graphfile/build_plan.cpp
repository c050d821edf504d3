// Graph files on the runtime: each validated node becomes a body in one Plan.

#include <flowpool/detail/plan.hpp>
#include <flowpool/graph.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "job_key.hpp"
#include "logged_stage.hpp"
#include "projection.hpp"
#include "resolve.hpp"

namespace flowpool {
namespace {

/// The graph-file problem, naming @p node, that a factory's failure with @p what becomes: at
/// the node's `path:` if @p what names that path (a file it cannot open), else at the node.
ConfigError factory_error(const detail::ResolvedNode& node, const std::string& what) {
    const ParamSpec* path = node.spec->param("path");
    const bool at_path =
        path != nullptr && !path->value.empty() && what.find(path->value) != std::string::npos;
    return ConfigError(at_path ? path->where : node.spec->where,
                       "node '" + node.spec->name + "': " + what);
}

/// What @p make makes for @p node. Whatever a factory throws (a plugin's may throw anything) or
/// a null body becomes a problem of the graph file naming the node: nothing has run yet, so
/// neither is a job's failure, and a null body would crash the run.
template <class Make>
auto make_body(const detail::ResolvedNode& node, const Make& make) {
    decltype(make(node.params)) body;
    try {
        body = make(node.params);
    } catch (const ConfigError&) {
        throw;
    } catch (const std::exception& e) {
        throw factory_error(node, e.what());
    } catch (...) {
        throw factory_error(node, "unknown exception");
    }
    if (!body) throw factory_error(node, "op '" + node.op->name + "' made no body");
    return body;
}

}  // namespace

RunResult run_graph(const GraphSpec& graph, const OpRegistry& ops, const RunOptions& options) {
    return detail::run_resolved(detail::resolve(graph, ops), graph, options);
}

RunResult detail::run_resolved(std::vector<ResolvedNode> nodes, const GraphSpec& graph,
                               const RunOptions& options) {
    detail::project_fields(nodes, graph);
    detail::log().debug("graph '{}' from {}: {} nodes, {} edges", graph.name, graph.file,
                        nodes.size(), graph.edges.size());
    detail::Plan plan;
    std::map<std::string, detail::NodeId, std::less<>> ids;
    for (const detail::ResolvedNode& node : nodes) {
        const std::string& name = node.spec->name;
        detail::NodeId id = 0;
        switch (node.kind) {
            case NodeKind::source:
                id = plan.add_source(name, make_body(node, node.op->make_source), node.batch_size);
                break;
            case NodeKind::function:
            case NodeKind::filter: {
                std::unique_ptr<StageBody> body = make_body(node, node.op->make_stage);
                if (node.log) {
                    body = std::make_unique<detail::LoggedStage>(std::move(body), *node.log);
                }
                id = plan.add_stage(name, node.kind, node.concurrency, std::move(body));
                break;
            }
            case NodeKind::sink:
                id = plan.add_sink(name, make_body(node, node.op->make_sink));
                break;
        }
        ids[name] = id;
        if (node.kind != NodeKind::source || node.op->parses) plan.set_on_error(id, node.on_error);
        if (node.reorder_window != 0) plan.set_ordered(id, node.reorder_window);
        if (node.timeout.count() > 0) plan.set_timeout(id, node.timeout);
        if (node.key) plan.set_key(id, detail::expression_key(*node.key));
    }
    for (const EdgeSpec& edge : graph.edges) plan.connect(ids.at(edge.from), ids.at(edge.to));
    return plan.run(options);
}

}  // namespace flowpool
