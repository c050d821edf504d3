// The flowpool CLI's graph tools: bad input of every kind (one error line, exit 2, quickly),
// `dot` (rendered by Graphviz) and `dot --mermaid`, `ops` against the registry, plugins and
// environment variables end to end.

#include <gtest/gtest.h>
#include <re2/re2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <flowpool/flowpool.hpp>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cli_runner.hpp"

namespace fs = std::filesystem;
using flowpool::test::run_cli;
using flowpool::test::temp_file;

namespace {

/// `flowpool ARGS` must fail as bad input: exit 2, one line on stderr that starts with
/// @p first_words, nothing on stdout, in well under a second.
void expect_one_clear_error(const std::string& args, const std::string& first_words) {
    SCOPED_TRACE(args.substr(0, 200));
    const auto start = std::chrono::steady_clock::now();
    const auto result = run_cli(args);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_EQ(result.err.rfind(first_words, 0), 0u) << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_LT(seconds, 1.0 * FLOWPOOL_TEST_SLOWDOWN);  // 3 s under a sanitizer
}

/// Graphviz's SVG escapes, undone for the few characters node names here use.
std::string unescape_svg(std::string text) {
    const std::pair<const char*, const char*> entities[] = {{"&#45;", "-"}, {"&gt;", ">"},
                                                            {"&lt;", "<"},  {"&quot;", "\""},
                                                            {"&#39;", "'"}, {"&amp;", "&"}};
    for (const auto& [entity, plain] : entities) {
        for (std::size_t at = text.find(entity); at != std::string::npos;
             at = text.find(entity, at + 1)) {
            text.replace(at, std::string(entity).size(), plain);
        }
    }
    return text;
}

// Node names that need quoting in DOT and a Mermaid keyword (`end`), fanning out and in.
constexpr const char* drawn_graph = R"(graph: "picture \"test\""
nodes:
  jobs:        { kind: source,   op: range,    count: 4 }
  "x \"big\"": { kind: function, op: multiply, factor: 1000, concurrency: 3 }
  small:       { kind: function, op: multiply, factor: 2, concurrency: unlimited }
  end:         { kind: sink,     op: print }
  total:       { kind: sink,     op: summary }
edges:
  - jobs -> x "big" -> end
  - jobs -> small -> end
  - small -> total
)";

}  // namespace

namespace {

/// 4 KiB of every byte value, in no order.
std::string garbage() {
    std::string bytes(4096, ' ');
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>((i * 7919 + 13) % 256);
    return bytes;
}

std::string elf() {
    return std::string(
               "\x7f"
               "ELF\x02\x01\x01\0\0\0\0\0",
               12) +
           garbage();
}

std::string deep_map() {
    std::string text = "nodes: ";
    for (int i = 0; i < 10'000; ++i) text += "{a: ";
    text += '1';
    text.append(10'000, '}');
    text += '\n';
    return text;
}

std::string deep_block() {
    std::string text = "nodes:\n";
    for (std::size_t i = 1; i <= 10'000 && text.size() < 900'000; ++i)
        text += std::string(i, ' ') + "a:\n";
    return text;
}

/// A kind of bad input: the file, made only by the test that uses it (one is 10 MB).
struct BadInputKind {
    const char* name;
    std::string (*text)();  // the file
    const char* starts;     // what the error line starts with, after the path
    const char* contains;   // and what it holds
};

void PrintTo(const BadInputKind& kind, std::ostream* out) { *out << kind.name; }

constexpr const char* too_deep = "error: YAML nested too deeply: the parser stops at";

const BadInputKind bad_input_kinds[] = {
    {"empty", [] { return std::string(); }, ":1:1: error: the file is empty", ""},
    {"comments_only", [] { return std::string("# nothing\n\n"); }, ":1:1: error: the file is empty",
     ""},
    {"garbage", garbage, ":1:", "error: invalid UTF-8 (byte 0x"},
    {"elf", elf, ":1:8: error: a NUL byte: this is a binary file, not a graph file (YAML text)",
     ""},
    {"latin1", [] { return std::string("graph: caf\xe9\nnodes: {}\n"); },
     ":1:11: error: invalid UTF-8 (byte 0xE9)", ""},
    {"overlong", [] { return std::string("graph: \xc0\xafx\n"); },
     ":1:8: error: invalid UTF-8 (byte 0xC0)", ""},
    {"surrogate", [] { return std::string("nodes:\n  \xed\xa0\x80: {}\n"); },
     ":2:3: error: invalid UTF-8 (byte 0xED)", ""},
    {"ten_mb", [] { return "nodes:\n" + std::string(10'000'000, '#') + "\n"; },
     ": error: the file is 10.0 MB; a graph file may be at most 1 MiB", ""},
    {"deep_list",
     [] { return "nodes: " + std::string(10'000, '[') + std::string(10'000, ']') + "\n"; },
     ":1:", too_deep},
    {"deep_map", deep_map, ":1:", too_deep},
    {"deep_block", deep_block, ":", too_deep},
};

}  // namespace

// Each kind is a test of its own: BadInput/EachKind.GivesOneClearErrorAndExitsTwo/ten_mb.
class EachKind : public ::testing::TestWithParam<BadInputKind> {};

TEST_P(EachKind, GivesOneClearErrorAndExitsTwo) {
    const BadInputKind& input = GetParam();
    const std::string path = temp_file(std::string(input.name) + ".yaml", input.text());
    for (const std::string command : {"validate", "run", "dot"}) {
        expect_one_clear_error(command + " '" + path + "'", path + input.starts);
        EXPECT_NE(run_cli(command + " '" + path + "'").err.find(input.contains), std::string::npos)
            << input.name;
    }
    ::unlink(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(BadInput, EachKind, ::testing::ValuesIn(bad_input_kinds),
                         [](const ::testing::TestParamInfo<BadInputKind>& instance) {
                             return std::string(instance.param.name);
                         });

TEST(BadInput, FilesThatCannotBeReadGiveOneClearError) {
    expect_one_clear_error("validate no/such/file.yaml",
                           "no/such/file.yaml: error: cannot open: No such file or directory");
    expect_one_clear_error("validate tests", "tests: error: is a directory, not a graph file");
    // /proc/self/mem is a file every user may open but nobody can read from offset 0 (EIO).
    expect_one_clear_error("validate /proc/self/mem",
                           "/proc/self/mem: error: cannot read: Input/output error");
    // A stream that never ends stops at the size limit; a FIFO with no writer reads as empty.
    expect_one_clear_error("validate /dev/zero", "/dev/zero: error: more than 1 MiB of input");
    const std::string fifo =
        ::testing::TempDir() + "flowpool_graph_cli_fifo_" + std::to_string(::getpid());
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    expect_one_clear_error("validate '" + fifo + "'", fifo + ":1:1: error: the file is empty");
    ::unlink(fifo.c_str());
    expect_one_clear_error("validate graphs/worker_pool.yaml --frobnicate",
                           "error: The following argument was not expected: --frobnicate");
    expect_one_clear_error("draw graphs/worker_pool.yaml",
                           "error: unknown command 'draw'; the commands are run, validate, dot, "
                           "bench, ops, top, exec, test (see flowpool --help)");
}

TEST(BadInput, AFileWithoutReadPermissionGivesOneClearError) {
    const std::string path = temp_file("unreadable.yaml", "nodes: {}\n");
    ASSERT_EQ(::chmod(path.c_str(), 0), 0);
    const std::string expected = path + ": error: cannot open: Permission denied\n";
    if (::geteuid() != 0) {
        const auto result = run_cli("validate '" + path + "'");
        EXPECT_EQ(result.exit_code, 2);
        EXPECT_EQ(result.err, expected);
        return;
    }
    // Root reads any file whatever its mode: run the CLI as `nobody` instead (setpriv, util-linux).
    ASSERT_EQ(std::system("command -v setpriv >/dev/null"), 0)
        << "setpriv is needed to test this as root";
    const std::string err = path + ".err";
    const std::string command = "setpriv --reuid=nobody --regid=nogroup --clear-groups '" +
                                std::string(FLOWPOOL_CLI) + "' validate '" + path + "' 2>'" + err +
                                "'";
    const int status = std::system(command.c_str());
    EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 2);
    EXPECT_EQ(flowpool::test::slurp(err), expected);
}

// A mistake inside a double-quoted scalar is at its column, the escapes before it counted as
// written (it was at the scalar's start).
TEST(BadInput, AnExpressionErrorPastEscapesNamesItsColumn) {
    const std::string path = temp_file("escapes.yaml", R"(nodes:
  events: { kind: source, op: jsonl, path: x.jsonl }
  errors: { kind: filter, op: where, expr: ".a.\"b c == 1" }
  out: { kind: sink, op: print }
edges: [ events -> errors -> out ]
)");
    for (const std::string command : {"validate", "run"}) {
        expect_one_clear_error(command + " '" + path + "'",
                               path + ":3:48: error: parameter 'expr': unclosed string");
    }
}

TEST(Dot, RendersWithGraphvizAndHoldsEveryNodeAndEdge) {
    const std::string path = temp_file("drawn.yaml", drawn_graph);
    const auto result = run_cli("dot '" + path + "'");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("label=\"x \\\"big\\\"\\nfunction: multiply\\nconcurrency 3\""),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("label=\"small\\nfunction: multiply\\nconcurrency unlimited\""),
              std::string::npos);
    EXPECT_NE(result.out.find("label=\"total\\nsink: summary\\nserial\""), std::string::npos);

    const std::string dot_file = temp_file("drawn.dot", result.out);
    const std::string svg_file = dot_file + ".svg";
    ASSERT_EQ(std::system(("dot -Tsvg '" + dot_file + "' -o '" + svg_file + "'").c_str()), 0)
        << "Graphviz's dot (package graphviz) must render:\n"
        << result.out;
    // Graphviz gives every node and edge of the drawing a <title>: the node's name, or FROM->TO.
    std::multiset<std::string> titles;
    const std::string svg = flowpool::test::slurp(svg_file);
    const RE2 title("<title>([^<]*)</title>");
    re2::StringPiece rest(svg);
    for (std::string text; RE2::FindAndConsume(&rest, title, &text);)
        titles.insert(unescape_svg(text));
    const std::multiset<std::string> expected = {
        "picture \"test\"", "jobs",           "x \"big\"",   "small",      "end",         "total",
        "jobs->x \"big\"",  "x \"big\"->end", "jobs->small", "small->end", "small->total"};
    EXPECT_EQ(titles, expected);
}

TEST(Dot, MermaidFlowchartHasEveryNodeOnceAndEveryEdge) {
    const std::string path = temp_file("drawn_mermaid.yaml", drawn_graph);
    const auto result = run_cli("dot --mermaid '" + path + "'");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const std::vector<std::string> lines = result.out_lines();
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.front(), "flowchart LR");
    // Nodes: `    nI<open>"NAME<br/>KIND: OP<br/>CONCURRENCY"<close>`, the shape from the kind.
    const RE2 node_line(
        R"re(    (n\d+)(\(\[|\[\(|\{\{|\[)"([^"<]*)<br/>\w+: \w+<br/>[\w ]+"(\]\)|\)\]|\}\}|\]))re");
    const RE2 edge_line(R"(    (n\d+) --> (n\d+))");
    const std::map<std::string, std::string> brackets = {
        {"([", "])"}, {"[(", ")]"}, {"{{", "}}"}, {"[", "]"}};
    std::map<std::string, std::string> name_of;
    std::set<std::pair<std::string, std::string>> edges;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::string id, open, name, close, from, to;
        if (RE2::FullMatch(lines[i], node_line, &id, &open, &name, &close)) {
            EXPECT_TRUE(name_of.emplace(id, name).second) << "node id twice: " << lines[i];
            EXPECT_EQ(brackets.at(open), close) << lines[i];
        } else if (RE2::FullMatch(lines[i], edge_line, &from, &to)) {
            ASSERT_EQ(name_of.count(from) + name_of.count(to), 2u)
                << "edge before its nodes: " << lines[i];
            edges.emplace(name_of[from], name_of[to]);
        } else {
            ADD_FAILURE() << "not a Mermaid node or edge line: " << lines[i];
        }
    }
    std::set<std::string> names;
    for (const auto& [id, name] : name_of) names.insert(name);
    EXPECT_EQ(names, (std::set<std::string>{"jobs", "x #quot;big#quot;", "small", "end", "total"}));
    const std::set<std::pair<std::string, std::string>> expected = {{"jobs", "x #quot;big#quot;"},
                                                                    {"x #quot;big#quot;", "end"},
                                                                    {"jobs", "small"},
                                                                    {"small", "end"},
                                                                    {"small", "total"}};
    EXPECT_EQ(edges, expected);
}

TEST(Dot, AnInvalidGraphIsReportedNotDrawn) {
    const auto result = run_cli("dot tests/data/bad/cycle.yaml");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.out, "");
    EXPECT_NE(result.err.find("error: cycle: a -> b -> a"), std::string::npos) << result.err;
}

TEST(Ops, ListsEveryRegisteredOpWithItsTypesAndParameters) {
    const auto result = run_cli("ops");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    // Every op of the registry validation uses, with each of its parameters (the types of
    // list and map parameters: test_params.cpp), then every function expressions may call and
    // every aggregate function.
    const flowpool::OpRegistry registry;
    const auto has_line = [&](const std::string& line) {
        return result.out.find("\n" + line + "\n") != std::string::npos ||
               result.out.starts_with(line + "\n");
    };
    for (const flowpool::OpInfo* op : registry.list()) {
        std::string header = op->name + " (" + std::string(flowpool::to_string(op->kind));
        if (op->kind != flowpool::NodeKind::source)
            header += ", takes " + std::string(flowpool::to_string(op->takes));
        if (op->kind != flowpool::NodeKind::sink)
            header += ", gives " + std::string(flowpool::to_string(op->gives));
        EXPECT_TRUE(has_line(header + "): " + op->description)) << header;
        for (const flowpool::ParamInfo& p : op->params) {
            if (p.type == flowpool::ParamType::list || p.type == flowpool::ParamType::map) {
                EXPECT_NE(result.out.find("\n    " + p.name + ": " +
                                          std::string(flowpool::to_string(p.type))),
                          std::string::npos)
                    << op->name << "." << p.name;
                continue;
            }
            EXPECT_TRUE(
                has_line("    " + p.name + ": " + std::string(flowpool::to_string(p.type)) +
                         (p.default_value ? " = \"" + *p.default_value + "\"" : " (required)") +
                         "  " + p.description))
                << op->name << "." << p.name;
        }
    }
    EXPECT_TRUE(has_line("value types: null, bool, integer, float, string, list, record, any"));
    for (const auto& functions :
         {flowpool::expression_functions(), flowpool::aggregate_functions()}) {
        EXPECT_GE(functions.size(), 11U);
        for (const flowpool::FunctionInfo& f : functions) {
            EXPECT_TRUE(has_line("    " + f.signature + "  " + f.description)) << f.signature;
        }
    }
    for (const char* op : {"range", "multiply", "print", "summary"}) {
        EXPECT_NE(result.out.find(std::string("\n") + op + " ("), std::string::npos) << op;
    }
    EXPECT_NE(result.out.find("\n    count: integer (required)  how many jobs\n"),
              std::string::npos);
    EXPECT_NE(result.out.find("\n    start: integer = \"0\"  the first value\n"),
              std::string::npos);
}

TEST(Plugins, OpsOfAGraphsPluginsAreListedAndRunWithTheirParameters) {
    ::setenv("FLOWPOOL_PLUGIN_DIR", FLOWPOOL_PLUGIN_DIR, 1);
    const auto ops = run_cli("ops graphs/collatz_plugin.yaml");
    ASSERT_EQ(ops.exit_code, 0) << ops.err;
    EXPECT_NE(ops.out.find(
                  "collatz (function, takes integer, gives integer): the number of Collatz steps"),
              std::string::npos);
    EXPECT_NE(
        ops.out.find("    max_steps: integer = \"1000\"  a job that needs more steps fails\n"),
        std::string::npos);
    EXPECT_EQ(run_cli("ops").out.find("collatz"), std::string::npos)
        << "plugins are per graph file";

    // One validate call, two files loading the same plugin: each file gets its own registry.
    const auto both = run_cli("validate graphs/collatz_plugin.yaml graphs/collatz_plugin.yaml");
    EXPECT_EQ(both.exit_code, 0) << both.err;
    EXPECT_EQ(both.out, "graphs/collatz_plugin.yaml: ok\ngraphs/collatz_plugin.yaml: ok\n");

    // 27 takes 111 steps: over a max_steps of 100 its job fails inside the plugin, by name.
    const auto run = run_cli(
        "run graphs/collatz_plugin.yaml --set numbers.start=27 --set numbers.count=1 "
        "--set steps.max_steps=100");
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_EQ(run.err.substr(0, run.err.find('\n')),
              "error: node 'steps' job 0: more than 100 steps");
    const auto ok =
        run_cli("run graphs/collatz_plugin.yaml --set numbers.start=27 --set numbers.count=1");
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_EQ(ok.out, "Job 0: 111 steps\n");
}

TEST(Plugins, APluginPathFollowsTheGraphFilesDirectory) {
    // The same plugin named relative to a graph file elsewhere: the path is the file's, not ours.
    const fs::path dir =
        fs::path(::testing::TempDir()) / ("flowpool_plugin_dir_" + std::to_string(::getpid()));
    fs::create_directories(dir / "sub");
    fs::copy_file(fs::path(FLOWPOOL_PLUGIN_DIR) / "collatz.so", dir / "sub" / "c.so",
                  fs::copy_options::overwrite_existing);
    std::ofstream(dir / "g.yaml")
        << "plugins: [ sub/c.so ]\nnodes:\n  a: { kind: source, op: range, count: 1, start: 6 }\n"
           "  b: { kind: function, op: collatz }\n  c: { kind: sink, op: print, format: "
           "\"{value}\" }\n"
           "edges: [ a -> b -> c ]\n";
    const auto result = run_cli("run '" + (dir / "g.yaml").string() + "'");
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "8\n");
}

TEST(Env, VariablesAndDefaultsReachTheRun) {
    const std::string path = temp_file("env.yaml", R"(nodes:
  jobs: { kind: source, op: range, count: "${FLOWPOOL_TEST_COUNT:-2}" }
  out:  { kind: sink, op: print, format: "${FLOWPOOL_TEST_LABEL:-n}=$${value} {value}" }
edges: [ "jobs -> out" ]
)");
    ::unsetenv("FLOWPOOL_TEST_COUNT");
    ::unsetenv("FLOWPOOL_TEST_LABEL");
    EXPECT_EQ(run_cli("run '" + path + "'").out, "n=$0 0\nn=$1 1\n");
    ::setenv("FLOWPOOL_TEST_COUNT", "3", 1);
    ::setenv("FLOWPOOL_TEST_LABEL", "v", 1);
    EXPECT_EQ(run_cli("run '" + path + "'").out, "v=$0 0\nv=$1 1\nv=$2 2\n");
    ::setenv("FLOWPOOL_TEST_COUNT", "three", 1);
    const auto bad = run_cli("run '" + path + "'");
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_EQ(bad.err, path + ":2:43: error: parameter 'count' must be an integer, not 'three'\n");
}

// What `flowpool validate` warns of, `flowpool run` warns of too, before it runs (it was silent:
// a `fields:` that leaves out the field a `where` reads dropped every job with exit 0 and no
// word), unless -q; a missing program is warned of at its place in `command:`.
TEST(Warnings, RunPrintsWhatValidatePrintsUnlessQuiet) {
    const std::string input = temp_file("warned.jsonl", "{\"host\":\"a\",\"status\":503}\n");
    const std::string path = temp_file("warned.yaml",
                                       "nodes:\n"
                                       "  events: { kind: source, op: jsonl, path: '" +
                                           input +
                                           "', fields: host }\n"
                                           "  errors: { kind: filter, op: where, "
                                           "expr: '.status >= 500' }\n"
                                           "  run: { kind: function, op: exec, "
                                           "command: [ /no/such/program ] }\n"
                                           "  out: { kind: sink, op: print }\n"
                                           "edges: [ 'events -> errors -> run -> "
                                           "out' ]\n");
    const std::string fields = path + ":2:" + std::to_string(56 + input.size()) +
                               ": warning: node 'events' reads only the fields \"host\", but the "
                               "nodes after it read 'status': it is missing from every record\n";
    const std::string program = path +
                                ":4:47: warning: node 'run': program '/no/such/program' does not "
                                "exist or is not executable\n";
    const auto validated = run_cli("validate '" + path + "'");
    EXPECT_EQ(validated.exit_code, 0) << validated.err;
    EXPECT_EQ(validated.err, program + fields);

    const auto ran = run_cli("run '" + path + "'");
    EXPECT_EQ(ran.exit_code, 0) << ran.err;
    EXPECT_EQ(ran.err.substr(0, program.size() + fields.size()), program + fields) << ran.err;
    EXPECT_NE(ran.err.find("1 jobs in, 0 results out, 1 filtered"), std::string::npos) << ran.err;

    EXPECT_EQ(run_cli("run -q '" + path + "'").err, "");
}
