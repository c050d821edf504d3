// `flowpool test` on test files that pass, fail and are malformed (tests/data/graph_tests), and
// `validate --no-plugins` / `dot --no-plugins` on a graph whose plugin is not loaded.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_runner.hpp"

using flowpool::test::run_cli;
using flowpool::test::temp_file;

namespace {

const std::string fixtures = "tests/data/graph_tests/";

/// True if @p text holds @p part.
bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST(GraphTests, APassingFileSaysPassPerCaseAndExitsZero) {
    const auto result = run_cli("test " + fixtures + "passing.test.yaml");
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    const std::vector<std::string> expected = {
        "PASS " + fixtures + "passing.test.yaml: keeps only errors",
        "PASS " + fixtures + "passing.test.yaml: in order", "2 passed, 0 failed"};
    EXPECT_EQ(result.out_lines(), expected);
}

TEST(GraphTests, AFailingCaseSaysFailWithTheDiffAndExitsOne) {
    const auto result = run_cli("test " + fixtures + "failing.test.yaml");
    EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
    const std::string file = fixtures + "failing.test.yaml: ";
    const std::vector<std::string> expected = {
        "PASS " + file + "passes",
        "FAIL " + file + "wrong line expected",
        "    found: expected 2 lines (any order), received 2",
        "    - #1 2024 ERROR disk empty",
        "    + #1 2024 ERROR disk on fire",
        "FAIL " + file + "wrong count",
        "    found: expected 3 lines, received 2",
        "    + #0 x ERROR y",
        "    + #1 z ERROR w",
        "FAIL " + file + "missing line",
        "    found: expected among its lines, not received (of 1 line received)",
        "    - #0 nothing like it",
        "1 passed, 3 failed"};
    // The received lines of `wrong count` come in the order the sink got them.
    std::vector<std::string> lines = result.out_lines();
    if (lines.size() == expected.size() && lines[7] == "    + #1 z ERROR w") {
        std::swap(lines[7], lines[8]);
    }
    EXPECT_EQ(lines, expected);
}

TEST(GraphTests, AnOrderedExpectationShowsAnInOrderDiff) {
    const std::string path =
        temp_file("ordered.test.yaml", "graph: " + std::string(FLOWPOOL_SOURCE_DIR) +
                                           "/graphs/ordered.yaml\n"
                                           "tests:\n"
                                           "  - name: swapped\n"
                                           "    set: { work.iterations: 0 }\n"
                                           "    inputs: { jobs: [1, 2, 3] }\n"
                                           "    expect:\n"
                                           "      results:\n"
                                           "        ordered: true\n"
                                           "        lines: [Job 0 -> 1, Job 2 -> 3, Job 1 -> 2]\n");
    const auto result = run_cli("test '" + path + "'");
    EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
    const std::vector<std::string> lines = result.out_lines();
    ASSERT_GE(lines.size(), 5U) << result.out;
    EXPECT_EQ(lines[1], "    results: expected 3 lines in this order, received 3");
    EXPECT_EQ(lines[2], "      Job 0 -> 1");
    // The longest common run keeps "Job 1 -> 2"; "Job 2 -> 3" is shown moved after it.
    EXPECT_EQ(lines[3], "    - Job 2 -> 3");
    EXPECT_EQ(lines[4], "      Job 1 -> 2");
    EXPECT_EQ(lines[5], "    + Job 2 -> 3");
}

TEST(GraphTests, MalformedFilesExitTwoWithFileLineColumn) {
    struct Case {
        std::string file;
        std::string error;  // what stderr must hold
    };
    const std::string dir = fixtures + "malformed/";
    const std::vector<Case> cases = {
        {"bad_yaml.test.yaml", dir + "bad_yaml.test.yaml:"},
        {"unknown_node.test.yaml", dir + "unknown_node.test.yaml:5:7: error: the graph has no "
                                         "node 'logs'"},
        {"not_a_source.test.yaml", dir + "not_a_source.test.yaml:6:7: error: node 'errors' is a "
                                         "filter; only a source takes inputs"},
        {"unknown_key.test.yaml", dir + "unknown_key.test.yaml:6:5: error: unknown key "
                                        "'expected' in a case"},
        {"reads_stdin.test.yaml", dir + "reads_stdin.test.yaml:3:5: error: source 'stdin' reads "
                                        "standard input; give it values under 'inputs'"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.file);
        const auto result = run_cli("test " + dir + c.file);
        EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
        EXPECT_TRUE(has(result.err, c.error)) << result.err;
        EXPECT_TRUE(has(result.out, "ERROR " + dir + c.file)) << result.out;
    }
    const auto bad_yaml = run_cli("test " + dir + "bad_yaml.test.yaml");
    EXPECT_TRUE(has(bad_yaml.err, "invalid YAML")) << bad_yaml.err;
}

TEST(GraphTests, ABadSetIsAnErrorWhereItIsWrittenAndTheOtherCasesStillRun) {
    // It was reported at a `--set work.iterations=x` pseudo-file, and ended the file there.
    const std::string path =
        temp_file("bad_set.test.yaml", "graph: " + std::string(FLOWPOOL_SOURCE_DIR) +
                                           "/graphs/ordered.yaml\n"
                                           "tests:\n"
                                           "  - name: not a number\n"
                                           "    set: { work.iterations: x }\n"
                                           "    inputs: { jobs: [1] }\n"
                                           "    expect: { results: [Job 0 -> 1] }\n"
                                           "  - name: a number\n"
                                           "    set: { work.iterations: 0 }\n"
                                           "    inputs: { jobs: [1] }\n"
                                           "    expect: { results: [Job 0 -> 1] }\n");
    const auto result = run_cli("test '" + path + "'");
    EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
    EXPECT_TRUE(has(result.err, path + ":4:12: error: ")) << result.err;
    EXPECT_FALSE(has(result.err, "--set")) << result.err;
    EXPECT_TRUE(has(result.out, "ERROR " + path + ": not a number: see the errors on stderr"))
        << result.out;
    EXPECT_TRUE(has(result.out, "PASS " + path + ": a number")) << result.out;
    EXPECT_TRUE(has(result.out, "1 passed, 0 failed; some test files have errors")) << result.out;
}

TEST(GraphTests, ADirectoryRunsEveryTestFileUnderIt) {
    const auto result = run_cli("test " + fixtures);
    EXPECT_EQ(result.exit_code, 2);  // the malformed ones count most
    EXPECT_TRUE(has(result.out, "PASS " + fixtures + "passing.test.yaml: keeps only errors"));
    EXPECT_TRUE(has(result.out, "FAIL " + fixtures + "failing.test.yaml: wrong count"));
    EXPECT_TRUE(has(result.out, "3 passed, 3 failed; some test files have errors"));
}

TEST(GraphTests, ReplacedSourcesAndSinksTouchNoFile) {
    const std::string dir = flowpool::test::fresh_dir("untouched");
    const std::string out = dir + "/out.txt";
    flowpool::test::write(dir + "/graph.yaml",
                          "graph: files\n"
                          "nodes:\n"
                          "  in:  { kind: source, op: lines, path: " +
                              dir +
                              "/missing.txt }\n"
                              "  out: { kind: sink, op: file, path: " +
                              out +
                              ", format: '{id}={value}' }\n"
                              "  all: { kind: sink, op: jsonl, path: " +
                              dir +
                              "/all.jsonl }\n"
                              "edges:\n"
                              "  - in -> out\n"
                              "  - in -> all\n");
    flowpool::test::write(dir + "/files.test.yaml",
                          "graph: graph.yaml\n"
                          "tests:\n"
                          "  - name: lines in memory\n"
                          "    inputs: { in: [a, b] }\n"
                          "    expect: { out: [0=a, 1=b] }\n");
    const auto result = run_cli("test '" + dir + "/files.test.yaml'");
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << "the file sink wrote its file";
    EXPECT_FALSE(std::filesystem::exists(dir + "/all.jsonl")) << "a sink not expected wrote";
}

TEST(GraphTests, ACsvRowWhoseQuotedFieldHoldsALineEndIsOneRow) {
    // The csv sink's rows were cut at every line end: `1,"x` and `y"`, two lines received for the
    // one expected, and the case failed.
    const std::string dir = flowpool::test::fresh_dir("csv_rows");
    flowpool::test::write(dir + "/graph.yaml", R"(graph: rows
nodes:
  in:  { kind: source, op: jsonl, path: in.jsonl }
  out: { kind: sink, op: csv, path: out.csv }
edges:
  - in -> out
)");
    flowpool::test::write(dir + "/rows.test.yaml", R"(graph: graph.yaml
tests:
  - name: one row
    inputs: { in: [{ n: 1, t: "x\ny" }, { n: 2, t: z }] }
    expect: { out: { lines: ["n,t", "1,\"x\ny\"", "2,z"], ordered: true } }
  - name: a diff shows a row on one line
    inputs: { in: [{ n: 1, t: "x\ny" }] }
    expect: { out: { count: 1 } }
)");
    const auto result = run_cli("test '" + dir + "/rows.test.yaml'");
    EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
    const std::string file = dir + "/rows.test.yaml: ";
    const std::vector<std::string> expected = {"PASS " + file + "one row",
                                               "FAIL " + file + "a diff shows a row on one line",
                                               "    out: expected 1 line, received 2",
                                               "    + n,t",
                                               R"(    + 1,"x\ny")",
                                               "1 passed, 1 failed"};
    EXPECT_EQ(result.out_lines(), expected);
}

TEST(GraphTests, AMissingPathIsBadUsage) {
    const auto result = run_cli("test tests/data/graph_tests/nothing.test.yaml");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(has(result.err, "no such test file")) << result.err;
}

TEST(NoPlugins, ValidateChecksTheRestAndNotesThePluginOps) {
    ::setenv("FLOWPOOL_PLUGIN_DIR", "/nonexistent/plugins", 1);
    const auto loaded = run_cli("validate graphs/collatz_plugin.yaml");
    EXPECT_EQ(loaded.exit_code, 2) << "the plugin cannot load from a directory that is not there";

    const auto result = run_cli("validate --no-plugins graphs/collatz_plugin.yaml");
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "graphs/collatz_plugin.yaml: ok\n");
    EXPECT_TRUE(has(result.err,
                    "graphs/collatz_plugin.yaml:13:34: note: op 'collatz' is taken "
                    "to come from a plugin"))
        << result.err;

    const auto dot = run_cli("dot --no-plugins graphs/collatz_plugin.yaml");
    EXPECT_EQ(dot.exit_code, 0) << dot.err;
    EXPECT_TRUE(has(dot.out, "collatz")) << dot.out;
    ::unsetenv("FLOWPOOL_PLUGIN_DIR");
}

TEST(NoPlugins, EverythingElseIsStillChecked) {
    const std::string graph = temp_file("no_plugins_bad.yaml",
                                        "graph: bad\n"
                                        "plugins: [/nonexistent/x.so]\n"
                                        "nodes:\n"
                                        "  n: { kind: source, op: range, count: 3 }\n"
                                        "  p: { kind: function, op: from_plugin, factor: 2 }\n"
                                        "  s: { kind: sink, op: print, colour: red }\n"
                                        "edges:\n"
                                        "  - n -> p -> s\n");
    const auto result = run_cli("validate --no-plugins '" + graph + "'");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(has(result.err, ":6:31: error: unknown parameter 'colour'")) << result.err;
    EXPECT_TRUE(has(result.err, ":5:28: note: op 'from_plugin'")) << result.err;

    const std::string without = temp_file("no_plugins_none.yaml",
                                          "graph: none\n"
                                          "nodes:\n"
                                          "  n: { kind: source, op: range, count: 3 }\n"
                                          "  s: { kind: sink, op: from_nowhere }\n"
                                          "edges:\n"
                                          "  - n -> s\n");
    const auto unknown = run_cli("validate --no-plugins '" + without + "'");
    EXPECT_EQ(unknown.exit_code, 2) << "an op no plugin could add stays unknown";
    EXPECT_TRUE(has(unknown.err, "unknown op 'from_nowhere'")) << unknown.err;
}
