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
#include "make_body.hpp"
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

/// What @p make makes for @p node, under make_body.hpp's guard.
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

std::unique_ptr<SourceBody> detail::make_source_body(const ResolvedNode& node) {
    return make_body(node, node.op->make_source);
}

std::unique_ptr<StageBody> detail::make_stage_body(const ResolvedNode& node) {
    return make_body(node, node.op->make_stage);
}

std::unique_ptr<SinkBody> detail::make_sink_body(const ResolvedNode& node) {
    return make_body(node, node.op->make_sink);
}

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
            case NodeKind::source: {
                std::unique_ptr<SourceBody> body = detail::make_source_body(node);
                detail::test_condition_first(node, *body, nodes, graph);
                id = plan.add_source(name, std::move(body), node.batch_size);
                break;
            }
            case NodeKind::function:
            case NodeKind::filter: {
                std::unique_ptr<StageBody> body = detail::make_stage_body(node);
                if (node.log) {
                    body = std::make_unique<detail::LoggedStage>(std::move(body), *node.log);
                }
                id = plan.add_stage(name, node.kind, node.concurrency, std::move(body));
                break;
            }
            case NodeKind::sink:
                id = plan.add_sink(name, detail::make_sink_body(node));
                break;
        }
        ids[name] = id;
        if (node.kind != NodeKind::source || node.op->parses || node.op->fails_jobs_as_read)
            plan.set_on_error(id, node.on_error);
        if (node.reorder_window != 0) plan.set_ordered(id, node.reorder_window);
        if (node.timeout.count() > 0) plan.set_timeout(id, node.timeout);
        if (node.key) plan.set_key(id, detail::expression_key(*node.key));
    }
    for (const EdgeSpec& edge : graph.edges) plan.connect(ids.at(edge.from), ids.at(edge.to));
    return plan.run(options);
}

}  // namespace flowpool
