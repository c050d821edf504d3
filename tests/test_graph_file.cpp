// The graph-file API: loading with positions, --set overrides, environment variables, validation
// of every problem, custom ops registered by an application, plugins' errors and pictures.

#include <gtest/gtest.h>
#include <unistd.h>
#include <flowpool/flowpool.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>

#include "graphfile/interpolate.hpp"
#include "validation_problems.hpp"

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

TEST(GraphFile, AliasesCannotRepeatAFileBeyondTheSizeLimit) {
    // 8 KiB whose aliases stand for 1.8 million edges (found while fuzzing): refused at once.
    std::string text = "nodes:\n  x: {kind: function, op: identity}\nedges: [&a \"x";
    for (int i = 1; i < 1400; ++i) text += "->x";
    text += "\"";
    for (int i = 0; i < 1300; ++i) text += ",*a";
    text += "]\n";
    const auto start = std::chrono::steady_clock::now();
    try {
        static_cast<void>(flowpool::parse_graph(text, "bomb.yaml"));
        FAIL() << "an alias bomb was accepted";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("bomb.yaml:3:"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("aliases (*NAME) repeat it to more than 1 MiB"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start,
              std::chrono::seconds(2 * FLOWPOOL_TEST_SLOWDOWN));
}

TEST(GraphFile, SetParamReplacesOrAddsAndNamesBadInput) {
    flowpool::GraphSpec graph = flowpool::parse_graph(worker_pool, "wp.yaml");
    flowpool::set_param(graph, "workers.factor=5");
    flowpool::set_param(graph, "jobs.start=100");
    EXPECT_EQ(graph.nodes[1].param("factor")->value, "5");
    EXPECT_EQ(graph.nodes[1].param("factor")->where.to_string(), "wp.yaml: --set workers.factor=5");
    EXPECT_EQ(graph.nodes[0].param("start")->value, "100");
    EXPECT_THROW(flowpool::set_param(graph, "workers=5"), flowpool::ConfigError);
    EXPECT_THROW(flowpool::set_param(graph, ".factor=5"), flowpool::ConfigError);
    try {
        flowpool::set_param(graph, "wrokers.factor=1");
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "wp.yaml: --set wrokers.factor=1: error: no node named 'wrokers'; did you "
                     "mean 'workers'?");
    }
}

TEST(GraphFile, SetParamReachesANodeWhoseNameHasDots) {
    // `a.b.count=5` picked node 'a' and parameter 'b.count'; the longest node name that fits
    // is taken now.
    flowpool::GraphSpec graph = flowpool::parse_graph(R"(nodes:
  a:     { kind: source, op: range, count: 3 }
  a.b:   { kind: source, op: range, count: 3 }
  a.b.c: { kind: function, op: multiply, factor: 2 }
  out:   { kind: sink, op: print }
edges: [ "a -> a.b.c -> out", "a.b -> out" ]
)",
                                                      "dots.yaml");
    flowpool::set_param(graph, "a.b.count=5");
    flowpool::set_param(graph, "a.b.c.factor=7");
    flowpool::set_param(graph, "a.start=1");
    EXPECT_EQ(graph.nodes[1].param("count")->value, "5");
    EXPECT_EQ(graph.nodes[2].param("factor")->value, "7");
    EXPECT_EQ(graph.nodes[0].param("start")->value, "1");
    EXPECT_EQ(graph.nodes[0].param("count")->value, "3");
    EXPECT_EQ(graph.nodes[0].param("b.count"), nullptr);
}

TEST(GraphFile, ValidationReportsEveryProblemSortedByPosition) {
    const flowpool::GraphSpec graph = flowpool::parse_graph(R"(nodes:
  jobs: { kind: source, op: range, count: many }
  work: { kind: function, op: multiply, factor: 2, concurrency: none }
  out:  { kind: snik, op: print }
edges: [ "jobs -> work -> out" ]
)",
                                                            "bad.yaml");
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
             .make_stage = [](const flowpool::Params&) -> std::unique_ptr<flowpool::StageBody> {
                 return nullptr;
             }});
    const flowpool::GraphSpec graph = flowpool::parse_graph(R"(nodes:
  jobs: { kind: source, op: range, count: 3 }
  loud: { kind: function, op: shout }
  out:  { kind: sink, op: print }
edges: [ "jobs -> loud -> out" ]
)",
                                                            "types.yaml");
    try {
        flowpool::validate(graph, ops);
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "types.yaml:3:31: error: op 'shout' takes string values, but node 'jobs' "
                     "gives integer values");
    }
}

TEST(GraphFile, RegisteringAnOpTwiceOrWithoutABodyIsAUsageError) {
    flowpool::OpRegistry ops;
    EXPECT_THROW(ops.add({.name = "range",
                          .kind = flowpool::NodeKind::source,
                          .make_source =
                              [](const flowpool::Params&) {
                                  return std::unique_ptr<flowpool::SourceBody>{};
                              }}),
                 flowpool::UsageError);
    EXPECT_THROW(ops.add({.name = "nobody", .kind = flowpool::NodeKind::sink}),
                 flowpool::UsageError);
}

class GraphWorkers : public ::testing::TestWithParam<int> {};

TEST_P(GraphWorkers, RunGraphCountsEveryJobAndNamesAFailedOne) {
    flowpool::GraphSpec graph = flowpool::parse_graph(R"(nodes:
  jobs:  { kind: source, op: range, count: 50000 }
  check: { kind: function, op: fail, value: 31337 }
  out:   { kind: sink, op: summary }
edges: [ "jobs -> check -> out" ]
)",
                                                      "fail.yaml");
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

TEST_P(GraphWorkers, AnyDagRunsWithFanOutMergeAndSeveralSourcesAndSinks) {
    // a ─┬─► x2 ─┬─► merged ─► total      every job of a reaches total twice (via x2 and x3),
    //    └─► x3 ─┴──────────────► tripled   every job of b once; tripled sees x3's jobs only.
    // b ────────────► merged
    flowpool::GraphSpec graph = flowpool::parse_graph(R"(nodes:
  a:       { kind: source,   op: range,    count: 3000 }
  b:       { kind: source,   op: range,    count: 700, start: 100000 }
  x2:      { kind: function, op: multiply, factor: 2 }
  x3:      { kind: function, op: multiply, factor: 3 }
  merged:  { kind: function, op: multiply, factor: 1 }
  total:   { kind: sink,     op: summary }
  tripled: { kind: sink,     op: summary }
edges: [ "a -> x2 -> merged -> total", "a -> x3 -> merged", "b -> merged", "x3 -> tripled" ]
)",
                                                      "dag.yaml");
    for (const char* node : {"x2", "x3", "merged"}) {
        flowpool::set_param(graph,
                            std::string(node) + ".concurrency=" + std::to_string(GetParam()));
    }
    std::int64_t total = 0;
    std::int64_t tripled = 0;
    for (std::int64_t v = 0; v < 3000; ++v) {
        total += 2 * v + 3 * v;
        tripled += 3 * v;
    }
    for (std::int64_t v = 100000; v < 100700; ++v) total += v;
    testing::internal::CaptureStdout();
    const flowpool::RunResult result = flowpool::run_graph(graph, flowpool::OpRegistry{});
    std::string out = testing::internal::GetCapturedStdout();
    EXPECT_FALSE(result.error.has_value());
    const std::string total_line = "count=6700 sum=" + std::to_string(total) + "\n";
    const std::string tripled_line = "count=3000 sum=" + std::to_string(tripled) + "\n";
    EXPECT_TRUE(out == total_line + tripled_line || out == tripled_line + total_line) << out;
}

INSTANTIATE_TEST_SUITE_P(Workers, GraphWorkers, ::testing::Values(1, 2, 4, 8));

/// interpolate() over a fixed environment.
std::string expand(std::string_view text) {
    const std::map<std::string, std::string> env = {{"HOST", "db1"}, {"EMPTY", ""}, {"N", "42"}};
    const flowpool::detail::EnvLookup lookup =
        [&](const std::string& name) -> std::optional<std::string> {
        const auto found = env.find(name);
        if (found == env.end()) return std::nullopt;
        return found->second;
    };
    auto result = flowpool::detail::interpolate(text, lookup);
    if (auto* error = std::get_if<flowpool::detail::InterpolationError>(&result)) {
        return "ERROR@" + std::to_string(error->offset) + " " + error->reference + ": " +
               error->message;
    }
    return std::get<std::string>(result);
}

TEST(Interpolate, VariablesDefaultsAndEscapes) {
    EXPECT_EQ(expand("plain text, $5 and $HOST"), "plain text, $5 and $HOST");
    EXPECT_EQ(expand("${HOST}:${N}"), "db1:42");
    EXPECT_EQ(expand("${MISSING:-fallback} ${HOST:-unused}"), "fallback db1");
    EXPECT_EQ(expand("[${EMPTY}] [${EMPTY:-was empty}] [${MISSING:-}]"), "[] [was empty] []");
    EXPECT_EQ(expand("${MISSING:-a:-b c}"), "a:-b c");  // the default is text up to the first }
    // Only `$${` is an escape, read left to right: `$$${` is a `$`, then an escaped `${`.
    EXPECT_EQ(expand("$${HOST} $$${HOST} $${ $$ $"), "${HOST} $${HOST} ${ $$ $");
    EXPECT_EQ(expand("x ${MISSING} y"),
              "ERROR@2 ${MISSING}: environment variable 'MISSING' is not set (write "
              "'${MISSING:-DEFAULT}' to give a "
              "default)");
    EXPECT_EQ(expand("a ${HOST"),
              "ERROR@2 ${HOST: '${' without a closing '}' (write '$${' for a literal '${')");
    EXPECT_EQ(expand("${}").substr(0, 14), "ERROR@0 ${}: '");
    EXPECT_EQ(expand("${9LIVES}").substr(0, 20), "ERROR@0 ${9LIVES}: '");
    EXPECT_EQ(expand("${A-B}").substr(0, 17), "ERROR@0 ${A-B}: '");
}

TEST(GraphFile, VariablesAreExpandedInValuesNotKeysBeforeTypesAreChecked) {
    ::setenv("FLOWPOOL_TEST_COUNT", "7", 1);
    ::setenv("FLOWPOOL_TEST_SINK", "out", 1);
    ::unsetenv("FLOWPOOL_TEST_MISSING");
    const flowpool::GraphSpec graph = flowpool::parse_graph(R"(graph: ${FLOWPOOL_TEST_MISSING:-env}
nodes:
  jobs: { kind: source, op: range, count: "${FLOWPOOL_TEST_COUNT}" }
  ${FLOWPOOL_TEST_SINK}: { kind: sink, op: print, format: "$${id} {id}" }
edges:
  - jobs -> ${FLOWPOOL_TEST_SINK}
)",
                                                            "env.yaml");
    EXPECT_EQ(graph.name, "env");
    EXPECT_EQ(graph.nodes[0].param("count")->value, "7");
    EXPECT_EQ(graph.nodes[1].name, "${FLOWPOOL_TEST_SINK}");  // a key: as written
    EXPECT_EQ(graph.nodes[1].param("format")->value, "${id} {id}");
    EXPECT_EQ(graph.edges[0].to, "out");
    EXPECT_NO_THROW(flowpool::validate(flowpool::parse_graph(R"(nodes:
  jobs: { kind: source, op: range, count: "${FLOWPOOL_TEST_COUNT}" }
  out:  { kind: sink, op: summary }
edges: [ "jobs -> ${FLOWPOOL_TEST_SINK}" ]
)",
                                                             "ok.yaml"),
                                       flowpool::OpRegistry{}));
}

TEST(GraphFile, EveryUnsetVariableIsNamedAtItsOwnPosition) {
    ::unsetenv("FLOWPOOL_TEST_A");
    ::unsetenv("FLOWPOOL_TEST_B");
    try {
        flowpool::parse_graph(
            "nodes:\n  jobs: { kind: source, op: range, count: \"x${FLOWPOOL_TEST_A}\" }\n"
            "  out:\n    kind: sink\n    op: print\n    format: |\n      ok\n      "
            "${FLOWPOOL_TEST_B} here\n",
            "vars.yaml");
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 2u) << e.what();
        EXPECT_EQ(e.problems()[0].where.to_string(), "vars.yaml:2:45");
        EXPECT_NE(e.problems()[0].message.find("'FLOWPOOL_TEST_A' is not set"), std::string::npos);
        EXPECT_EQ(e.problems()[1].where.to_string(), "vars.yaml:8:7");
        EXPECT_NE(e.problems()[1].message.find("'FLOWPOOL_TEST_B' is not set"), std::string::npos);
    }
}

/// What validating @p text (a graph file `q.yaml`) reports, or "ok".
std::string problems_in(const std::string& text) {
    return flowpool::test::validation_problems(flowpool::parse_graph(text, "q.yaml"),
                                               flowpool::OpRegistry{}, "ok");
}

/// The error for `lowr(.h)` in an expression at @p where (LINE:COL) of `q.yaml`.
std::string lowr_at(const std::string& where) {
    return "q.yaml:" + where +
           ": error: parameter 'expr': unknown function 'lowr'; did you mean 'lower'?";
}

// A mistake inside a double-quoted scalar's text was reported at the scalar's start when an
// escape came before it; it is reported at its column, each escape counted as it is written
// (columns count bytes: `\u00e9` is 6 columns for 2 bytes, `\U0001F600` 10 for 4). A mistake in a
// byte an escape stands for is at the escape's `\`.
TEST(GraphFile, AnErrorInsideADoubleQuotedScalarIsAtItsColumnPastEscapes) {
    const std::string text = R"yaml(nodes:
  events: { kind: source, op: jsonl, path: x.jsonl }
  q1: { kind: filter, op: where, expr: ".a.\"b c == 1" }
  q2: { kind: filter, op: where, expr: ".a == 'x\\\\' and lowr(.h)" }
  q3: { kind: filter, op: where, expr: ".a ==\t1 and lowr(.h)" }
  q4: { kind: filter, op: where, expr: ".a == 'caf\u00e9' and lowr(.h)" }
  q5: { kind: filter, op: where, expr: ".a == '\U0001F600\x21' and lowr(.h)" }
  out: { kind: sink, op: print }
edges: [ events -> q1 -> q2 -> q3 -> q4 -> q5 -> out ]
)yaml";
    EXPECT_EQ(problems_in(text), "q.yaml:3:44: error: parameter 'expr': unclosed string\n" +
                                     lowr_at("4:59") + '\n' + lowr_at("5:54") + '\n' +
                                     lowr_at("6:63") + '\n' + lowr_at("7:68"));
}

TEST(GraphFile, AnErrorInsideASingleQuotedScalarIsAtItsColumnPastDoubledQuotes) {
    const std::string text = R"yaml(nodes:
  events: { kind: source, op: jsonl, path: x.jsonl }
  q: { kind: filter, op: where, expr: '.a == ''x'' and lowr(.h)' }
  out: { kind: sink, op: print }
edges: [ events -> q -> out ]
)yaml";
    EXPECT_EQ(problems_in(text), lowr_at("3:56"));
}

// A quoted scalar folded over lines: a line break is a space, an empty line a line break, a `\`
// at a line's end joins the lines; the mistake is on the line it is written on.
TEST(GraphFile, AnErrorInsideAQuotedScalarFoldedOverLinesIsAtItsLineAndColumn) {
    const std::string text =
        "nodes:\n"
        "  events: { kind: source, op: jsonl, path: x.jsonl }\n"
        "  q1:\n"
        "    kind: filter\n"
        "    op: where\n"
        "    expr: \".a == \\\"x\\\" and\n"
        "      lowr(.h)\"\n"
        "  q2: { kind: filter, op: where, expr: \".a == 1 and lo\\\n"
        "      wr(.h)\" }\n"
        "  q3: { kind: filter, op: where, expr: '.a == ''x'' and\n"
        "\n"
        "      lowr(.h)' }\n"
        "  out: { kind: sink, op: print }\n"
        "edges: [ events -> q1 -> q2 -> q3 -> out ]\n";
    EXPECT_EQ(problems_in(text), lowr_at("7:7") + '\n' + lowr_at("8:53") + '\n' + lowr_at("12:7"));
}

TEST(GraphFile, AFormatErrorInsideAQuotedScalarIsAtItsColumnPastEscapes) {
    const std::string text = R"yaml(nodes:
  jobs: { kind: source, op: range, count: 3 }
  out: { kind: sink, op: print, format: "\u00e9\t{jab}" }
edges: [ jobs -> out ]
)yaml";
    EXPECT_EQ(problems_in(text),
              "q.yaml:3:50: error: parameter 'format': unknown field '{jab}' in format; fields "
              "are {id}, {value}, {value.FIELD}, {worker}, {node}, {file}");
}

// An edge given twice is reported at its FROM, escapes before it counted as written.
TEST(GraphFile, AnEdgeGivenTwiceIsAtItsNamePastEscapes) {
    const std::string text = R"yaml(nodes:
  jobs: { kind: source, op: range, count: 3 }
  out: { kind: sink, op: print }
edges: [ jobs -> out, "\t\x6aobs -> out" ]
)yaml";
    EXPECT_EQ(problems_in(text),
              "q.yaml:4:26: error: edge jobs -> out is given twice (first on line 4, column 10): "
              "every job would be sent along it twice");
}

TEST(GraphFile, DuplicateKeysAndOddShapesAreAllReportedSorted) {
    try {
        flowpool::parse_graph(R"(nodes:
  jobs: { kind: source, op: range, count: 3, count: 4 }
  out: [ sink ]
edges: { jobs: out }
nodes: {}
colour: blue
)",
                              "shapes.yaml");
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_STREQ(
            e.what(),
            "shapes.yaml:2:46: error: duplicate key 'count' in node 'jobs' (first on line 2)\n"
            "shapes.yaml:3:8: error: node 'out' must be a map with kind, op and parameters\n"
            "shapes.yaml:4:8: error: 'edges' must be a list of 'FROM -> TO', not a map\n"
            "shapes.yaml:5:1: error: duplicate key 'nodes' (first on line 1)\n"
            "shapes.yaml:6:1: error: unknown key 'colour'");
    }
}

// A parameter YAML reads as null (`~`, `null`, nothing) is said to have no value, with the
// way to write the text null: it was "must be a single value, not a missing value", which
// misleads for a parameter that takes a map (`window: ~`).
TEST(GraphFile, AParameterWithNoValueIsToldSoWhateverItTakes) {
    try {
        flowpool::parse_graph(R"(nodes:
  agg: { kind: function, op: aggregate, fields: ~, window: null }
  m: { kind: function, op: map, set: { x: } }
)",
                              "null.yaml");
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        const std::string why =
            " has no value (YAML reads null, ~ and nothing as none; for the text or the "
            "expression null, quote it: \"null\")";
        EXPECT_EQ(std::string(e.what()), "null.yaml:2:49: error: 'fields' of node 'agg'" + why +
                                             "\nnull.yaml:2:60: error: 'window' of node 'agg'" +
                                             why + "\nnull.yaml:3:43: error: 'set.x' of node 'm'" +
                                             why);
    }
}

// A repeated edge sent every job along it twice: validation finds it at the second writing, in a
// list item, a flow list or a chain (at the repeat's first name), naming the first.
TEST(GraphFile, AnEdgeGivenTwiceIsAnErrorAtTheSecond) {
    const std::string nodes = "nodes: { a: &f { kind: function, op: multiply, factor: 2 }, b: *f";
    const flowpool::GraphSpec graph = flowpool::parse_graph(nodes + R"(, c: *f }
edges:
  - a -> b
  - "b ->  c -> b -> c"
  - c -> a
  - 'a->b'
  - b -> a
  - a -> b
)",
                                                            "twice.yaml");
    EXPECT_EQ(graph.edges.size(), 8u);  // as written: the loader leaves repeats to validate()
    try {
        flowpool::validate(graph, flowpool::OpRegistry{});
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "twice.yaml:4:17: error: edge b -> c is given twice (first on line 4, column "
                     "6): every job would be sent along it twice\n"
                     "twice.yaml:6:6: error: edge a -> b is given twice (first on line 3): every "
                     "job would be sent along it twice");
    }
    // An edge is reported once, however often it is repeated: aliases of a chain of 1,000 make
    // one problem, not 200,000.
    std::string text = nodes + " }\nedges: [&a \"a";
    for (int i = 0; i < 1000; ++i) text += "->a";
    text += "\"";
    for (int i = 0; i < 200; ++i) text += ",*a";
    try {
        flowpool::validate(flowpool::parse_graph(text + "]\n", "aliases.yaml"),
                           flowpool::OpRegistry{});
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 1u);
        EXPECT_EQ(e.problems()[0].where.to_string(), "aliases.yaml:2:9");  // at the anchor
    }
    // Edges in a chain are each given once: b -> a after a -> b is a cycle, not a repeat.
    try {
        flowpool::validate(
            flowpool::parse_graph(nodes + ", c: *f }\nedges: [ \"a -> b -> a\", b -> c ]\n",
                                  "once.yaml"),
            flowpool::OpRegistry{});
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 1u);
        EXPECT_EQ(e.problems()[0].message, "cycle: a -> b -> a");
    }
}

// A GraphSpec built in C++ meets the same check in validate(): an edge given twice is a
// ConfigError at the second (it passed, and the run sent every job along it twice).
TEST(GraphFile, AnEdgeGivenTwiceInAGraphBuiltInCppIsAnError) {
    const auto node = [](std::string name, std::string kind, std::string op, std::string param,
                         std::string value) {
        flowpool::NodeSpec spec;
        spec.name = std::move(name);
        spec.kind = std::move(kind);
        spec.op = std::move(op);
        if (param.empty()) return spec;
        spec.params.emplace_back();
        spec.params.back().name = std::move(param);
        spec.params.back().value = std::move(value);
        return spec;
    };
    flowpool::GraphSpec graph;
    graph.file = "app.cpp";
    graph.nodes = {node("s", "source", "range", "count", "3"),
                   node("f", "function", "multiply", "factor", "2"),
                   node("out", "sink", "summary", "", "")};
    const flowpool::SourceLocation second{"app.cpp: second s -> f"};
    graph.edges = {{"s", "f", {"app.cpp: first s -> f"}}, {"f", "out", {}}, {"s", "f", second}};
    try {
        flowpool::validate(graph, flowpool::OpRegistry{});
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 1u) << e.what();
        EXPECT_EQ(e.problems()[0].where.to_string(), second.to_string());
        EXPECT_EQ(e.problems()[0].message,
                  "edge s -> f is given twice: every job would be sent along it twice");
    }
}

TEST(GraphFile, TextThatIsNotUtf8IsRejectedWhereItGoesWrong) {
    for (const auto& [text, where] :
         std::map<std::string, std::string>{{"a: b\n  \xff", "t.yaml:2:3"},
                                            {"ab\xe2\x82", "t.yaml:1:3"},
                                            {std::string("x\0y", 3), "t.yaml:1:2"}}) {
        try {
            flowpool::parse_graph(text, "t.yaml");
            ADD_FAILURE() << "no error for " << text;
        } catch (const flowpool::ConfigError& e) {
            EXPECT_EQ(e.problems().front().where.to_string(), where);
        }
    }
    EXPECT_NO_THROW(flowpool::parse_graph(
        "graph: caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x99\x82\nnodes: {}\n", "utf8.yaml"));
}

TEST(GraphFile, FilesOverTheSizeLimitAreRefusedBeforeParsing) {
    const std::string path =
        ::testing::TempDir() + "flowpool_big_" + std::to_string(::getpid()) + ".yaml";
    std::ofstream(path) << "nodes:\n" << std::string(flowpool::max_graph_file_bytes, '#') << "\n";
    try {
        flowpool::load_graph_file(path);
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_EQ(e.problems().front().message,
                  "the file is 1.0 MB; a graph file may be at most 1 MiB");
    }
    std::ofstream(path) << "nodes:\n"
                        << std::string(flowpool::max_graph_file_bytes - 100, '#') << "\n";
    try {
        flowpool::load_graph_file(path);
    } catch (const flowpool::ConfigError& e) {
        EXPECT_EQ(e.problems().front().message,
                  "'nodes' must be a map from node names to nodes, not a missing value");
    }
}

TEST(GraphFile, ValidationReportsParameterAndFlowProblemsTogether) {
    const flowpool::GraphSpec graph = flowpool::parse_graph(R"(nodes:
  jobs: { kind: source, op: range, count: many }
  loud: { kind: function, op: upper, concurrency: 0 }
  a:    { kind: function, op: multiply, factor: 2 }
  out:  { kind: sink, op: print }
edges: [ "jobs -> loud -> out" ]
)",
                                                            "mixed.yaml");
    try {
        flowpool::validate(graph, flowpool::OpRegistry{});
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 5u) << e.what();
        EXPECT_EQ(e.problems()[1].message,
                  "op 'upper' takes string values, but node 'jobs' gives integer values");
        EXPECT_EQ(e.problems()[3].message, "node 'a' receives no jobs: no edge leads to it");
        EXPECT_EQ(e.problems()[4].message, "node 'a' sends its jobs nowhere: no edge leaves it");
    }
}

TEST(GraphFile, PluginsThatCannotBeLoadedAreErrorsAtTheirEntry) {
    const flowpool::GraphSpec graph = flowpool::parse_graph(R"(plugins:
  - ${FLOWPOOL_TEST_MISSING:-nowhere}/p.so
nodes:
  jobs: { kind: source, op: range, count: 1 }
)",
                                                            "dir/plugins.yaml");
    ASSERT_EQ(graph.plugins.size(), 1u);
    EXPECT_EQ(graph.plugins[0].path, "nowhere/p.so");
    flowpool::OpRegistry ops;
    try {
        flowpool::load_plugins(graph, ops);
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).substr(0, 76),
                  "dir/plugins.yaml:2:5: error: cannot load plugin 'dir/nowhere/p.so': cannot o");
    }
}

TEST(GraphFile, PicturesNameEveryNodeWithKindOpAndConcurrency) {
    const flowpool::GraphSpec graph = flowpool::parse_graph(worker_pool, "wp.yaml");
    const flowpool::OpRegistry ops;
    EXPECT_EQ(
        flowpool::to_dot(graph, ops),
        "digraph \"worker-pool\" {\n"
        "    rankdir=LR;\n"
        "    node [fontname=\"Helvetica\"];\n"
        "    \"jobs\" [label=\"jobs\\nsource: range\\nserial\", shape=box, style=rounded];\n"
        "    \"workers\" [label=\"workers\\nfunction: multiply\\nconcurrency 2\", shape=box];\n"
        "    \"results\" [label=\"results\\nsink: summary\\nserial\", shape=box, style=rounded, "
        "peripheries=2];\n"
        "    \"jobs\" -> \"workers\";\n"
        "    \"workers\" -> \"results\";\n"
        "}\n");
    EXPECT_EQ(flowpool::to_mermaid(graph, ops),
              "flowchart LR\n"
              "    n0([\"jobs<br/>source: range<br/>serial\"])\n"
              "    n1[\"workers<br/>function: multiply<br/>concurrency 2\"]\n"
              "    n2[(\"results<br/>sink: summary<br/>serial\")]\n"
              "    n0 --> n1\n"
              "    n1 --> n2\n");
    EXPECT_THROW(
        static_cast<void>(flowpool::to_dot(
            flowpool::parse_graph("nodes:\n  a: { kind: sink, op: print }\n", "x.yaml"), ops)),
        flowpool::ConfigError);
}

}  // namespace
