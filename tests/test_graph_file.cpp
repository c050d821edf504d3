// The graph-file API: loading with positions, --set overrides, validation of every problem, and
// custom ops registered by an application.

#include <flowpool/flowpool.hpp>
#include <gtest/gtest.h>

#include <atomic>

namespace {

constexpr const char* worker_pool = R"(graph: worker-pool
nodes:
  jobs:    { kind: source,   op: range,    count: 10 }
  workers: { kind: function, op: multiply, factor: 3, concurrency: 2 }
  results: { kind: sink,     op: summary }
edges:
  - jobs -> workers -> results
)";

TEST(GraphFile, LoadsNodesParamsAndEdgesWithPositions) {
    const flowpool::GraphSpec graph = flowpool::parse_graph(worker_pool, "wp.yaml");
    EXPECT_EQ(graph.name, "worker-pool");
    ASSERT_EQ(graph.nodes.size(), 3u);
    const flowpool::NodeSpec& workers = graph.nodes[1];
    EXPECT_EQ(workers.name, "workers");
    EXPECT_EQ(workers.kind, "function");
    EXPECT_EQ(workers.op, "multiply");
    EXPECT_EQ(workers.where.to_string(), "wp.yaml:4:3");
    EXPECT_EQ(workers.op_where.to_string(), "wp.yaml:4:34");
    ASSERT_NE(workers.param("factor"), nullptr);
    EXPECT_EQ(workers.param("factor")->value, "3");
    EXPECT_EQ(workers.param("factor")->where.to_string(), "wp.yaml:4:52");
    ASSERT_EQ(graph.edges.size(), 2u);  // a chain is one edge per arrow
    EXPECT_EQ(graph.edges[0].from, "jobs");
    EXPECT_EQ(graph.edges[1].to, "results");
    EXPECT_EQ(graph.edges[1].where.line, 7);
}

TEST(GraphFile, SetParamReplacesOrAddsAndNamesBadInput) {
    flowpool::GraphSpec graph = flowpool::parse_graph(worker_pool, "wp.yaml");
    flowpool::set_param(graph, "workers.factor=5");
    flowpool::set_param(graph, "jobs.start=100");
    EXPECT_EQ(graph.nodes[1].param("factor")->value, "5");
    EXPECT_EQ(graph.nodes[1].param("factor")->where.to_string(), "--set workers.factor=5");
    EXPECT_EQ(graph.nodes[0].param("start")->value, "100");
    EXPECT_THROW(flowpool::set_param(graph, "workers=5"), flowpool::ConfigError);
    EXPECT_THROW(flowpool::set_param(graph, ".factor=5"), flowpool::ConfigError);
    try {
        flowpool::set_param(graph, "wrokers.factor=1");
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_STREQ(e.what(), "--set wrokers.factor=1: error: no node named 'wrokers'; did you mean 'workers'?");
    }
}

TEST(GraphFile, ValidationReportsEveryProblemSortedByPosition) {
    const flowpool::GraphSpec graph = flowpool::parse_graph(R"(nodes:
  jobs: { kind: source, op: range, count: many }
  work: { kind: function, op: multiply, factor: 2, concurrency: none }
  out:  { kind: snik, op: print }
edges: [ "jobs -> work -> out" ]
)", "bad.yaml");
    try {
        flowpool::validate(graph, flowpool::OpRegistry{});
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 3u) << e.what();
        EXPECT_EQ(e.problems()[0].where.to_string(), "bad.yaml:2:43");
        EXPECT_EQ(e.problems()[1].where.to_string(), "bad.yaml:3:65");
        EXPECT_EQ(e.problems()[2].message, "unknown kind 'snik'; did you mean 'sink'?");
    }
}

TEST(GraphFile, TypesAlongEdgesAreChecked) {
    flowpool::OpRegistry ops;
    ops.add({.name = "shout",
             .kind = flowpool::NodeKind::function,
             .description = "a string op",
             .takes = flowpool::ValueType::string,
             .gives = flowpool::ValueType::string,
             .make_stage = [](const flowpool::Params&) -> std::unique_ptr<flowpool::detail::StageBody> {
                 return nullptr;
             }});
    const flowpool::GraphSpec graph = flowpool::parse_graph(R"(nodes:
  jobs: { kind: source, op: range, count: 3 }
  loud: { kind: function, op: shout }
  out:  { kind: sink, op: print }
edges: [ "jobs -> loud -> out" ]
)", "types.yaml");
    try {
        flowpool::validate(graph, ops);
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_STREQ(e.what(), "types.yaml:3:31: error: op 'shout' takes string values, but node 'jobs' "
                               "gives integer values");
    }
}

TEST(GraphFile, RegisteringAnOpTwiceOrWithoutABodyIsAUsageError) {
    flowpool::OpRegistry ops;
    EXPECT_THROW(ops.add({.name = "range", .kind = flowpool::NodeKind::source,
                          .make_source = [](const flowpool::Params&) {
                              return std::unique_ptr<flowpool::detail::SourceBody>{};
                          }}),
                 flowpool::UsageError);
    EXPECT_THROW(ops.add({.name = "nobody", .kind = flowpool::NodeKind::sink}), flowpool::UsageError);
}

class GraphWorkers : public ::testing::TestWithParam<int> {};

TEST_P(GraphWorkers, RunGraphCountsEveryJobAndNamesAFailedOne) {
    flowpool::GraphSpec graph = flowpool::parse_graph(R"(nodes:
  jobs:  { kind: source, op: range, count: 50000 }
  check: { kind: function, op: fail, value: 31337 }
  out:   { kind: sink, op: summary }
edges: [ "jobs -> check -> out" ]
)", "fail.yaml");
    flowpool::set_param(graph, "check.concurrency=" + std::to_string(GetParam()));
    testing::internal::CaptureStdout();
    const flowpool::RunResult result = flowpool::run_graph(graph, flowpool::OpRegistry{});
    testing::internal::GetCapturedStdout();
    ASSERT_TRUE(result.error.has_value());
    EXPECT_EQ(result.error->node(), "check");
    EXPECT_EQ(result.error->job_id(), 31337u);
    EXPECT_EQ(result.stats.failed, 1u);
    EXPECT_EQ(result.stats.jobs_in, result.stats.results_out + result.stats.failed);
}

INSTANTIATE_TEST_SUITE_P(Workers, GraphWorkers, ::testing::Values(1, 2, 4, 8));

}  // namespace
