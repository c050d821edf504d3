// Ops and plugins that break their contract end in a clear error, never a crash or a silent
// loss: factories that make no body or throw anything, bodies that lose jobs, plugins whose
// entry points throw. The plugins are tests/plugin/'s, built into build/plugins/.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <flowpool/flowpool.hpp>
#include <flowpool/plugin.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "cli_runner.hpp"

namespace {

using flowpool::test::run_cli;

TEST(Plugins, TheReadmeNamesTheCurrentPluginAbi) {
    const std::string readme =
        flowpool::test::slurp(std::string(FLOWPOOL_SOURCE_DIR) + "/README.md");
    EXPECT_NE(readme.find("plugin ABI (" + std::to_string(flowpool::plugin_abi) + " since"),
              std::string::npos);
}

/// A registry with ops whose factories break their contract, each as a stage but `null_sink`
/// and `null_source`.
flowpool::OpRegistry breaking_factories() {
    using flowpool::Params;
    using StagePtr = std::unique_ptr<flowpool::StageBody>;
    flowpool::OpRegistry ops;
    const auto stage = [&ops](std::string name, flowpool::StageFactory make) {
        ops.add({.name = std::move(name),
                 .kind = flowpool::NodeKind::function,
                 .description = "breaks its contract",
                 .takes = flowpool::ValueType::integer,
                 .gives = flowpool::ValueType::integer,
                 .make_stage = std::move(make)});
    };
    stage("null_stage", [](const Params&) -> StagePtr { return nullptr; });
    stage("throws_int", [](const Params&) -> StagePtr { throw 42; });
    stage("throws_std", [](const Params&) -> StagePtr { throw std::runtime_error("no"); });
    ops.add({.name = "null_sink",
             .kind = flowpool::NodeKind::sink,
             .description = "makes no body",
             .takes = flowpool::ValueType::any,
             .make_sink = [](const Params&) { return std::unique_ptr<flowpool::SinkBody>(); }});
    ops.add({.name = "null_source",
             .kind = flowpool::NodeKind::source,
             .description = "makes no body",
             .gives = flowpool::ValueType::integer,
             .make_source = [](const Params&) { return std::unique_ptr<flowpool::SourceBody>(); }});
    return ops;
}

/// What running @p yaml with breaking_factories() throws, or "no error".
std::string factory_error(const std::string& yaml) {
    try {
        flowpool::run_graph(flowpool::parse_graph(yaml, "f.yaml"), breaking_factories());
    } catch (const flowpool::ConfigError& e) {
        return e.what();
    }
    return "no error";
}

TEST(BrokenOps, AFactoryThatMakesNoBodyOrThrowsIsAGraphErrorNamingTheNode) {
    const std::string source = "nodes:\n  jobs: { kind: source, op: range, count: 3 }\n";
    const std::string sink = "  out:  { kind: sink, op: print }\n";
    for (const auto& [op, reason] :
         {std::pair{"null_stage", "op 'null_stage' made no body"},
          std::pair{"throws_int", "unknown exception"}, std::pair{"throws_std", "no"}}) {
        SCOPED_TRACE(op);
        EXPECT_EQ(factory_error(source + "  work: { kind: function, op: " + op + " }\n" + sink +
                                "edges: [ jobs -> work -> out ]\n"),
                  std::string("f.yaml:3:3: error: node 'work': ") + reason);
    }
    EXPECT_EQ(factory_error(source + "  out:  { kind: sink, op: null_sink }\n" +
                            "edges: [ jobs -> out ]\n"),
              "f.yaml:3:3: error: node 'out': op 'null_sink' made no body");
    EXPECT_EQ(factory_error("nodes:\n  jobs: { kind: source, op: null_source }\n" + sink +
                            "edges: [ jobs -> out ]\n"),
              "f.yaml:2:3: error: node 'jobs': op 'null_source' made no body");
}

TEST(BrokenOps, APluginsBreakingFactoryExitsTwoNamingTheNode) {
    ::setenv("FLOWPOOL_PLUGIN_DIR", FLOWPOOL_PLUGIN_DIR, 1);
    const std::string graph = flowpool::test::temp_file(
        "factories.yaml",
        "plugins: [ \"${FLOWPOOL_PLUGIN_DIR}/bad_factories.so\" ]\nnodes:\n"
        "  jobs: { kind: source, op: range, count: 3 }\n"
        "  work: { kind: function, op: throws_int }\n"
        "  out:  { kind: sink, op: print }\nedges: [ jobs -> work -> out ]\n");
    for (const auto& [op, reason] :
         {std::pair{"throws_int", "unknown exception"}, std::pair{"throws_std", "factory says no"},
          std::pair{"null_stage", "op 'null_stage' made no body"}}) {
        SCOPED_TRACE(op);
        const auto result = run_cli("run '" + graph + "' --set work.op=" + op);
        EXPECT_EQ(result.exit_code, 2) << result.err;
        EXPECT_EQ(result.err, graph + ":4:3: error: node 'work': " + reason + "\n");
        EXPECT_EQ(result.out, "");
    }
}

TEST(Plugins, AnAbiCheckThatThrowsIsAnErrorAtItsEntryAndValidateGoesOn) {
    ::setenv("FLOWPOOL_PLUGIN_DIR", FLOWPOOL_PLUGIN_DIR, 1);
    const std::string bad = "tests/data/bad/plugin_abi_throws.yaml";
    const auto result = run_cli("validate " + bad + " graphs/worker_pool.yaml");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.out, "graphs/worker_pool.yaml: ok\n") << "each file is checked on its own";
    EXPECT_NE(result.err.find(bad + ":2:12: error: plugin '" FLOWPOOL_PLUGIN_DIR
                                    "/abi_throws.so': flowpool_plugin_abi() threw: the ABI "
                                    "check threw\n"),
              std::string::npos)
        << result.err;
    for (const std::string command : {"ops", "dot"}) {
        EXPECT_EQ(run_cli(command + " " + bad).exit_code, 2) << command;
    }
}
}  // namespace
