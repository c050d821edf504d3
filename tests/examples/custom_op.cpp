// An application's own op, registered by name with a typed parameter, used by a graph file.
#include <cstdio>
#include <flowpool/flowpool.hpp>

int main(int argc, char** argv) {
    flowpool::OpRegistry ops;  // the built-in ops, and one of our own:
    ops.add({.name = "add",
             .kind = flowpool::NodeKind::function,
             .description = "value + amount",
             .params = {{.name = "amount", .type = flowpool::ParamType::integer}},
             .takes = flowpool::ValueType::integer,
             .gives = flowpool::ValueType::integer,
             .make_stage = [](const flowpool::Params& p) {
                 return flowpool::stage_body([n = p.integer("amount")](flowpool::Value v) {
                     return flowpool::Value{std::get<std::int64_t>(v) + n};
                 });
             }});
    try {
        const flowpool::GraphSpec graph =
            flowpool::load_graph_file(argc > 1 ? argv[1] : "add.yaml");
        const flowpool::RunResult result = flowpool::run_graph(graph, ops);
        if (result.error) std::fprintf(stderr, "%s\n", result.error->what());
        return result.error ? 1 : 0;
    } catch (const flowpool::ConfigError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
}
