// The built-in ops for real data, through graph files: the lines source (CRLF, no final newline,
// empty and large files, standard input), the file and jsonl sinks (escaping checked by Python's
// json module), the string ops, and the value types validation checks along edges.

#include <gtest/gtest.h>
#include <unistd.h>
#include <flowpool/flowpool.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "cli_runner.hpp"
#include "ops/spin.hpp"

namespace fs = std::filesystem;
using flowpool::test::run_cli;
using flowpool::test::slurp;

namespace {

/// What the `collect` test sink saw: every job's value by id, and how many jobs came twice.
struct Collected {
    std::map<std::uint64_t, flowpool::Value> values;
    int repeated = 0;
};

class CollectSink final : public flowpool::SinkBody {
public:
    explicit CollectSink(std::shared_ptr<Collected> into) : into_(std::move(into)) {}
    void consume(const flowpool::detail::BatchPtr& in, flowpool::BatchContext&) override {
        const auto& batch = static_cast<const flowpool::detail::Items<flowpool::Value>&>(*in);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (!into_->values.emplace(batch.ids[i], batch.values[i]).second) ++into_->repeated;
        }
    }

private:
    std::shared_ptr<Collected> into_;
};

/// The built-in ops plus `collect`, a sink that keeps what it gets in @p into.
flowpool::OpRegistry ops_with_collect(const std::shared_ptr<Collected>& into) {
    flowpool::OpRegistry ops;
    ops.add({.name = "collect",
             .kind = flowpool::NodeKind::sink,
             .description = "keeps every job for the test",
             .takes = flowpool::ValueType::any,
             .make_sink = [into](const flowpool::Params&) -> std::unique_ptr<flowpool::SinkBody> {
                 return std::make_unique<CollectSink>(into);
             }});
    return ops;
}

/// This process's scratch directory, removed with everything in it when the process ends.
const fs::path& scratch_root() {
    struct Root {
        fs::path path;
        ~Root() {
            std::error_code ignored;
            fs::remove_all(path, ignored);
        }
    };
    static const Root root{fs::path(::testing::TempDir()) /
                           ("flowpool_ops_" + std::to_string(::getpid()))};
    return root.path;
}

/// A fresh directory for one test's files.
std::string temp_dir() {
    static int counter = 0;
    const fs::path dir = scratch_root() / std::to_string(counter++);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir.string();
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

struct Outcome {
    flowpool::RunResult result;
    std::string out;  ///< what the run wrote to stdout
};

/// Parses @p yaml, applies `NODE.PARAM=VALUE` overrides and runs it, capturing stdout.
Outcome run_yaml(const std::string& yaml, const flowpool::OpRegistry& ops,
                 const std::vector<std::string>& sets = {}, std::size_t batch = 0) {
    flowpool::GraphSpec graph = flowpool::parse_graph(yaml, "test.yaml");
    for (const std::string& s : sets) flowpool::set_param(graph, s);
    flowpool::RunOptions options;
    options.batch_size = batch;
    testing::internal::CaptureStdout();
    Outcome outcome;
    try {
        outcome.result = flowpool::run_graph(graph, ops, options);
    } catch (...) {
        testing::internal::GetCapturedStdout();
        throw;
    }
    outcome.out = testing::internal::GetCapturedStdout();
    return outcome;
}

/// `lines(path) -> collect`: the values the lines source makes from @p bytes, by id.
std::map<std::uint64_t, flowpool::Value> lines_of(const std::string& bytes) {
    const std::string path = temp_dir() + "/in.txt";
    write_file(path, bytes);
    auto collected = std::make_shared<Collected>();
    const Outcome run =
        run_yaml("nodes:\n  text: { kind: source, op: lines, path: '" + path +
                     "' }\n  out: { kind: sink, op: collect }\nedges: [ 'text -> out' ]\n",
                 ops_with_collect(collected));
    EXPECT_FALSE(run.result.error.has_value());
    EXPECT_EQ(collected->repeated, 0);
    return collected->values;
}

std::map<std::uint64_t, flowpool::Value> strings(const std::vector<std::string>& texts) {
    std::map<std::uint64_t, flowpool::Value> values;
    for (std::size_t i = 0; i < texts.size(); ++i) values[i] = texts[i];
    return values;
}

/// FNV-1a 64, written again here from its definition, to check the `hash` op against.
std::string fnv1a_hex(const std::string& text) {
    std::uint64_t h = 14695981039346656037ULL;
    for (const unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
    char digits[17];
    std::snprintf(digits, sizeof digits, "%016llx", static_cast<unsigned long long>(h));
    return digits;
}

/// Runs a Python 3 program with @p args; true if it exits 0. Its output goes to the test log.
bool python(const std::string& program, const std::string& args) {
    const std::string dir = temp_dir();
    write_file(dir + "/check.py", program);
    return std::system(("python3 '" + dir + "/check.py' " + args).c_str()) == 0;
}

/// Checks a jsonl file against the input its `lines` source read: one valid JSON object per line
/// (strict UTF-8), ids the line numbers, values the lines (CR LF stripped) decoded with U+FFFD
/// for invalid UTF-8, every line once.
constexpr const char* jsonl_matches_input = R"(import json, sys
data = open(sys.argv[1], 'rb').read()
lines = data.split(b'\n')
if lines and lines[-1] == b'': lines.pop()
lines = [l[:-1] if l.endswith(b'\r') else l for l in lines]
want = {i: l.decode('utf-8', 'replace') for i, l in enumerate(lines)}
got = {}
for text in open(sys.argv[2], 'rb').read().decode('utf-8').splitlines():
    record = json.loads(text)
    assert set(record) == {'id', 'value'}, text
    assert record['id'] not in got, 'repeated id %d' % record['id']
    got[record['id']] = record['value']
for i in sorted(set(want) | set(got)):
    if want.get(i) != got.get(i):
        sys.exit('line %d: want %r, got %r' % (i, want.get(i), got.get(i)))
print('%d records match' % len(got))
)";

// ---------------------------------------------------------------- lines

TEST(Lines, SplitsLinesStripsCrLfAndKeepsALastLineWithoutNewline) {
    EXPECT_EQ(lines_of("a\r\nb\n\nlast"), strings({"a", "b", "", "last"}));
    EXPECT_EQ(lines_of("only\n"), strings({"only"}));
    EXPECT_EQ(lines_of("\n"), strings({""}));
    EXPECT_EQ(lines_of("cr at the end\r"), strings({"cr at the end"}));
    EXPECT_EQ(lines_of("inner\rcr\r\n\r\n"), strings({"inner\rcr", ""}));
    EXPECT_EQ(lines_of(std::string("nul\0byte\n", 9)), strings({std::string("nul\0byte", 8)}));
}

TEST(Lines, AnEmptyFileMakesNoJobs) { EXPECT_TRUE(lines_of("").empty()); }

TEST(Lines, LinesLongerThanAReadChunkStayWhole) {
    const std::string a(200'000, 'a');
    const std::string b(70'000, 'b');
    EXPECT_EQ(lines_of(a + "\n" + b + "\r\nc"), strings({a, b, "c"}));
}

TEST(Lines, AMissingFileOrADirectoryIsAGraphErrorNamingTheNodeAndThePath) {
    const flowpool::OpRegistry ops;
    const std::string graph =
        "nodes:\n  text: { kind: source, op: lines, path: PATH }\n"
        "  out: { kind: sink, op: print }\nedges: [ 'text -> out' ]\n";
    const std::string missing = temp_dir() + "/no_such.log";
    for (const auto& [path, reason] : {std::pair{missing, std::string("No such file or directory")},
                                       std::pair{temp_dir(), std::string("it is a directory")}}) {
        try {
            run_yaml(graph, ops, {"text.path=" + path});
            ADD_FAILURE() << "no error for " << path;
        } catch (const flowpool::ConfigError& e) {
            EXPECT_NE(
                std::string(e.what()).find("--set text.path=" + path + ": error: node 'text': "),
                std::string::npos)
                << e.what();
            EXPECT_NE(std::string(e.what()).find("'" + path + "'"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
        }
    }
    const auto cli = run_cli("run graphs/grep_log.yaml --set log.path=no/such.log");
    EXPECT_EQ(cli.exit_code, 2);
    EXPECT_EQ(cli.err,
              "--set log.path=no/such.log: error: node 'log': cannot open 'no/such.log' for "
              "reading: No such file or directory\n");
}

class OpsWorkers : public ::testing::TestWithParam<int> {};

TEST_P(OpsWorkers, ALargeFileIsStreamedWithIdsEqualToLineNumbers) {
    // A tenth under a sanitizer: ASan's std::regex takes ~50 s for 200k lines at each worker
    // count, and what it checks is the same for every line.
    constexpr int count = FLOWPOOL_TEST_SLOWDOWN > 1 ? 20'000 : 200'000;
    const std::string path = temp_dir() + "/big.txt";
    {
        std::ofstream out(path, std::ios::binary);
        for (int i = 0; i < count; ++i) out << "line " << i << (i % 3 == 0 ? "\r\n" : "\n");
    }
    const std::string workers = std::to_string(GetParam());
    const std::string graph =
        "nodes:\n"
        "  text:  { kind: source, op: lines, path: '" +
        path +
        "' }\n"
        "  num:   { kind: function, op: replace, pattern: '^line ', with: '' }\n"
        "  int:   { kind: function, op: parse_int }\n"
        "  total: { kind: sink, op: summary }\n"
        "edges: [ 'text -> num -> int -> total' ]\n";
    const Outcome summed = run_yaml(graph, flowpool::OpRegistry{},
                                    {"num.concurrency=" + workers, "int.concurrency=" + workers});
    ASSERT_FALSE(summed.result.error.has_value()) << summed.result.error->what();
    EXPECT_EQ(summed.out, "count=" + std::to_string(count) + " sum=" +
                              std::to_string(std::int64_t{count} * (count - 1) / 2) + "\n");
    EXPECT_EQ(summed.result.stats.jobs_in, std::uint64_t{count});

    // Each job's id is its line's number, whatever the batch size and worker count.
    for (const std::size_t batch : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
        auto collected = std::make_shared<Collected>();
        const Outcome run =
            run_yaml("nodes:\n  text: { kind: source, op: lines, path: '" + path +
                         "' }\n"
                         "  up: { kind: function, op: upper }\n  out: { kind: sink, op: collect }\n"
                         "edges: [ 'text -> up -> out' ]\n",
                     ops_with_collect(collected), {"up.concurrency=" + workers}, batch);
        ASSERT_FALSE(run.result.error.has_value());
        ASSERT_EQ(collected->values.size(), std::size_t{count});
        EXPECT_EQ(collected->repeated, 0);
        int wrong = 0;
        for (const auto& [id, value] : collected->values) {
            wrong += std::get<std::string>(value) != "LINE " + std::to_string(id);
        }
        EXPECT_EQ(wrong, 0) << "batch " << batch;
        if (batch == 1) break;  // one-job batches: enough to run once
    }
}

// ---------------------------------------------------------------- sinks

TEST_P(OpsWorkers, JsonlEscapesQuotesControlCharactersAndInvalidUtf8) {
    std::string input =
        "plain\n"
        "quote \" backslash \\ slash /\n"
        "tab\tbell\x07 esc\x1b us\x1f del\x7f nul-free\r\n"
        "valid: \xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e\n"
        "lone continuation \x80 and \xbf\xbf\n"
        "truncated \xe2\x82 and \xf0\x9f\x98 then \xc3\n"
        "overlong \xc0\xaf \xe0\x80\xaf \xf0\x80\x80\xaf\n"
        "surrogate \xed\xa0\x80 high \xf4\x90\x80\x80 \xf5\xff\xfe\n"
        "ends in a lead byte \xe2";
    std::mt19937 random(42);
    for (int line = 0; line < 2000; ++line) {
        input += '\n';
        for (int i = 0, n = static_cast<int>(random() % 40); i < n; ++i) {
            char c = static_cast<char>(random() % 256);
            input += c == '\n' ? ' ' : c;
        }
    }
    const std::string dir = temp_dir();
    write_file(dir + "/in.txt", input);
    const Outcome run = run_yaml(
        "nodes:\n"
        "  text: { kind: source, op: lines, path: '" +
            dir +
            "/in.txt' }\n"
            "  same: { kind: function, op: replace, pattern: 'x^', with: '' }\n"
            "  out:  { kind: sink, op: jsonl, path: '" +
            dir +
            "/out.jsonl' }\n"
            "edges: [ 'text -> same -> out' ]\n",
        flowpool::OpRegistry{}, {"same.concurrency=" + std::to_string(GetParam())});
    ASSERT_FALSE(run.result.error.has_value()) << run.result.error->what();
    EXPECT_EQ(run.out, "");
    EXPECT_TRUE(python(jsonl_matches_input, "'" + dir + "/in.txt' '" + dir + "/out.jsonl'"));
}

TEST(Jsonl, IntegersAreJsonNumbersAndDashIsStandardOutput) {
    const std::string dir = temp_dir();
    write_file(dir + "/in.txt", "12\n-7\n9223372036854775807\n");
    const Outcome run = run_yaml(
        "nodes:\n"
        "  text: { kind: source, op: lines, path: '" +
            dir +
            "/in.txt' }\n"
            "  int:  { kind: function, op: parse_int }\n"
            "  out:  { kind: sink, op: jsonl, path: '-' }\n"
            "edges: [ 'text -> int -> out' ]\n",
        flowpool::OpRegistry{});
    write_file(dir + "/out.jsonl", run.out);
    EXPECT_TRUE(python(R"(import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
want = [{'id': 0, 'value': 12}, {'id': 1, 'value': -7}, {'id': 2, 'value': 9223372036854775807}]
assert sorted(got, key=lambda r: r['id']) == want, got
assert all(type(r['value']) is int for r in got)
)",
                       "'" + dir + "/out.jsonl'"))
        << run.out;
}

TEST_P(OpsWorkers, FileSinkWritesEveryLineWholeAndFlushesAtTheEnd) {
    const std::string dir = temp_dir();
    std::string input;
    for (int i = 0; i < 20'000; ++i) input += "row " + std::to_string(i) + "\n";  // > 64 KiB out
    write_file(dir + "/in.txt", input);
    const Outcome run = run_yaml(
        "nodes:\n"
        "  text: { kind: source, op: lines, path: '" +
            dir +
            "/in.txt' }\n"
            "  up:   { kind: function, op: upper }\n"
            "  out:  { kind: sink, op: file, path: '" +
            dir +
            "/out.txt', format: '{id}={value}' }\n"
            "edges: [ 'text -> up -> out' ]\n",
        flowpool::OpRegistry{}, {"up.concurrency=" + std::to_string(GetParam())});
    ASSERT_FALSE(run.result.error.has_value());
    EXPECT_EQ(run.out, "");
    std::set<std::string> lines;
    std::istringstream written(slurp(dir + "/out.txt"));
    for (std::string line; std::getline(written, line);)
        EXPECT_TRUE(lines.insert(line).second) << line;
    ASSERT_EQ(lines.size(), 20'000u);
    for (int i = 0; i < 20'000; i += 997)
        EXPECT_EQ(lines.count(std::to_string(i) + "=ROW " + std::to_string(i)), 1u);
}

TEST(FileSink, DefaultFormatAndDashForStandardOutput) {
    const std::string dir = temp_dir();
    write_file(dir + "/in.txt", "x\n");
    const Outcome run = run_yaml(
        "nodes:\n"
        "  text: { kind: source, op: lines, path: '" +
            dir +
            "/in.txt' }\n"
            "  out:  { kind: sink, op: file, path: '-' }\n"
            "edges: [ 'text -> out' ]\n",
        flowpool::OpRegistry{});
    EXPECT_EQ(run.out, "Result: Job 0 Value x\n");
}

TEST(FileSink, AFileThatCannotBeCreatedIsAGraphErrorAtItsPath) {
    const std::string dir = temp_dir();
    write_file(dir + "/in.txt", "x\n");
    for (const std::string op : {"file", "jsonl"}) {
        const std::string target = dir + "/no/such/dir/out.txt";
        try {
            run_yaml("nodes:\n  text: { kind: source, op: lines, path: '" + dir +
                         "/in.txt' }\n"
                         "  out: { kind: sink, op: " +
                         op + ", path: '" + target +
                         "' }\n"
                         "edges: [ 'text -> out' ]\n",
                     flowpool::OpRegistry{});
            ADD_FAILURE() << op << ": no error";
        } catch (const flowpool::ConfigError& e) {
            ASSERT_EQ(e.problems().size(), 1U);
            EXPECT_EQ(e.problems()[0].where.line, 3) << e.what();
            EXPECT_EQ(e.problems()[0].message, "node 'out': cannot open '" + target +
                                                   "' for writing: No such file or directory");
        }
    }
}

// ---------------------------------------------------------------- string ops

/// `lines(@p input) -> NODE (@p node_yaml) -> collect`, at @p workers.
std::map<std::uint64_t, flowpool::Value> through(const std::string& node_yaml,
                                                 const std::string& input, int workers = 2) {
    const std::string path = temp_dir() + "/in.txt";
    write_file(path, input);
    auto collected = std::make_shared<Collected>();
    const Outcome run =
        run_yaml("nodes:\n  text: { kind: source, op: lines, path: '" + path +
                     "' }\n"
                     "  op: " +
                     node_yaml +
                     "\n  out: { kind: sink, op: collect }\n"
                     "edges: [ 'text -> op -> out' ]\n",
                 ops_with_collect(collected), {"op.concurrency=" + std::to_string(workers)});
    EXPECT_FALSE(run.result.error.has_value()) << run.result.error->what();
    EXPECT_EQ(collected->repeated, 0);
    return collected->values;
}

TEST(StringOps, UpperAndLowerChangeAsciiLettersOnly) {
    EXPECT_EQ(through("{ kind: function, op: upper }", "MiXed \xc3\xa9 1-z\n"),
              strings({"MIXED \xc3\xa9 1-Z"}));
    EXPECT_EQ(through("{ kind: function, op: lower }", "MiXed \xc3\x89 A@[\n"),
              strings({"mixed \xc3\x89 a@["}));
}

TEST_P(OpsWorkers, GrepKeepsMatchingLinesAndInvertKeepsTheOthers) {
    std::string input;
    for (int i = 0; i < 5000; ++i) input += "item " + std::to_string(i) + "\n";
    const auto kept = through("{ kind: filter, op: grep, pattern: '7$' }", input, GetParam());
    const auto dropped =
        through("{ kind: filter, op: grep, pattern: '7$', invert: true }", input, GetParam());
    EXPECT_EQ(kept.size(), 500u);
    EXPECT_EQ(dropped.size(), 4500u);
    for (const auto& [id, value] : kept) EXPECT_EQ(id % 10, 7u) << std::get<std::string>(value);
    for (const auto& [id, value] : dropped) EXPECT_NE(id % 10, 7u);

    // A pattern without special characters is searched for as text: the same lines either way.
    const auto as_text = through("{ kind: filter, op: grep, pattern: 'm 12' }", input, GetParam());
    const auto as_regex =
        through("{ kind: filter, op: grep, pattern: 'm 1[2]' }", input, GetParam());
    EXPECT_EQ(as_text.size(), 111u);  // 12, 120-129, 1200-1299
    EXPECT_EQ(as_text, as_regex);
    EXPECT_EQ(through("{ kind: filter, op: grep, pattern: 'm 12', invert: true }", input).size(),
              5000u - 111u);
}

TEST(StringOps, GrepCountsWhatItDrops) {
    const std::string path = temp_dir() + "/in.txt";
    write_file(path, "a\nb\nab\n");
    const Outcome run = run_yaml("nodes:\n  text: { kind: source, op: lines, path: '" + path +
                                     "' }\n"
                                     "  keep: { kind: filter, op: grep, pattern: 'a' }\n"
                                     "  out: { kind: sink, op: print, format: '{value}' }\n"
                                     "edges: [ 'text -> keep -> out' ]\n",
                                 flowpool::OpRegistry{});
    EXPECT_EQ(run.result.stats.filtered, 1u);
    EXPECT_EQ(run.result.stats.results_out, 2u);
}

TEST(StringOps, RegexesOnVeryLongLinesDoNotOverflowTheStack) {
    // std::regex's backtracking engine recursed per character: patterns like these crashed a
    // 4 MiB stack at 2 000 to 20 000 bytes, before flowpool took RE2.
    const std::string line(200'000, 'a');
    for (const std::string pattern : {"^.*b$", "^((a|x)(y|a|z))*b", "^(((((a)))))*b"}) {
        SCOPED_TRACE(pattern);
        EXPECT_EQ(through("{ kind: filter, op: grep, pattern: '" + pattern + "' }",
                          line + "b\n" + line + "c\n"),
                  strings({line + "b"}));
        EXPECT_EQ(through("{ kind: filter, op: grep, pattern: '" + pattern + "', invert: true }",
                          line + "b\n" + line + "c\n")
                      .count(1),
                  1u);
    }
    EXPECT_EQ(
        through("{ kind: function, op: replace, pattern: 'a+$', with: '<$&>' }", "x" + line + "\n"),
        strings({"x<" + line + ">"}));
}

TEST(StringOps, ALineOfAMegabyteIsMatchedInOnePass) {
    // RE2 is linear in the line's length, unanchored patterns and failed searches included: the
    // line std::regex needed a workaround for (several stack frames per byte) is just a line.
    const std::string line(1'000'000, 'a');
    const std::string input = line + "b\n" + line + "c\n" + "x" + line + "\n";
    for (const std::string pattern : {"a.*b", "(a|x)(y|a|z)*b", "((((a))))+b$", "^[^c]*$"}) {
        SCOPED_TRACE(pattern);
        const auto kept = through("{ kind: filter, op: grep, pattern: '" + pattern + "' }", input);
        ASSERT_EQ(kept.size(), pattern == "^[^c]*$" ? 2u : 1u);
        EXPECT_EQ(kept.begin()->first, 0u);
    }
    EXPECT_EQ(
        through("{ kind: function, op: replace, pattern: '(a+)c', with: '<$1>' }", line + "c\n"),
        strings({"<" + line + ">"}));
}

TEST(StringOps, PatternsMatchBytesNotUtf8Characters) {
    // Invalid UTF-8 (a lone 0xff, a truncated sequence) is matched like any other byte, and
    // `.` is one byte: the two bytes of a UTF-8 "é" are two characters.
    const std::string input = "\xff\n\xc3\xa9\na\xc3\n\xfe\xff\xfe\n";
    const auto ids = [](const std::map<std::uint64_t, flowpool::Value>& values) {
        std::vector<std::uint64_t> out;
        for (const auto& [id, value] : values) out.push_back(id);
        return out;
    };
    EXPECT_EQ(ids(through("{ kind: filter, op: grep, pattern: '^.$' }", input)),
              (std::vector<std::uint64_t>{0}));
    EXPECT_EQ(ids(through("{ kind: filter, op: grep, pattern: '^..$' }", input)),
              (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(ids(through("{ kind: filter, op: grep, pattern: '\\xff' }", input)),
              (std::vector<std::uint64_t>{0, 3}));
    EXPECT_EQ(ids(through("{ kind: filter, op: grep, pattern: '\\xc3' }", input)),
              (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(ids(through("{ kind: filter, op: grep, pattern: '\xc3\xa9$' }", input)),
              (std::vector<std::uint64_t>{1}));  // a graph file's UTF-8 "é" is its two bytes
    EXPECT_EQ(
        through("{ kind: function, op: replace, pattern: '[\\x80-\\xff]', with: '?' }", input),
        strings({"?", "??", "a?", "???"}));
}

TEST(StringOps, ReplaceUsesEcmaScriptGroups) {
    EXPECT_EQ(
        through("{ kind: function, op: replace, pattern: '(\\w+)@(\\w+)\\.com', with: '$2:$1' }",
                "to joe@ex.com, bob@foo.com\nnone\n"),
        strings({"to ex:joe, foo:bob", "none"}));
}

TEST(StringOps, ReplaceTakesTheMatchGroupsAndADollar) {
    // $& the match, $1..$9 a group, $$ a dollar; a backslash, and a $ before anything else,
    // are themselves.
    EXPECT_EQ(through("{ kind: function, op: replace, pattern: '(\\d+)-(\\d+)', "
                      "with: '$2-$1 [$&] $$1 \\1 $x $' }",
                      "at 10-20.\nnone\n"),
              strings({"at 20-10 [10-20] $1 \\1 $x $.", "none"}));
    EXPECT_EQ(through("{ kind: function, op: replace, pattern: 'o', with: '$$$&$$' }", "foo\n"),
              strings({"f$o$$o$"}));
}

TEST(StringOps, LengthCountsBytes) {
    EXPECT_EQ(through("{ kind: function, op: length }", "\nabc\n\xc3\xa9\n"),
              (std::map<std::uint64_t, flowpool::Value>{
                  {0, std::int64_t{0}}, {1, std::int64_t{3}}, {2, std::int64_t{2}}}));
}

TEST(StringOps, HashIsFnv1a64InSixteenHexDigits) {
    // The published FNV-1a 64 test vectors for "", "a" and "foobar".
    EXPECT_EQ(through("{ kind: function, op: hash }", "\na\nfoobar\n"),
              strings({"cbf29ce484222325", "af63dc4c8601ec8c", "85944171f73967e8"}));
    std::string input;
    std::vector<std::string> want;
    for (int i = 0; i < 300; ++i) {
        want.push_back(fnv1a_hex("value " + std::to_string(i * 7919)));
        input += "value " + std::to_string(i * 7919) + "\n";
    }
    EXPECT_EQ(through("{ kind: function, op: hash }", input, 4), strings(want));
}

TEST(StringOps, ParseIntAcceptsSpacesAndASign) {
    EXPECT_EQ(
        through("{ kind: function, op: parse_int }", "42\n  -7\t\n+5\n-9223372036854775808\n"),
        (std::map<std::uint64_t, flowpool::Value>{
            {0, std::int64_t{42}}, {1, std::int64_t{-7}}, {2, std::int64_t{5}}, {3, INT64_MIN}}));
}

TEST_P(OpsWorkers, ParseIntFailsTheJobNamingNodeIdAndText) {
    const std::string path = temp_dir() + "/in.txt";
    for (const auto& [bad, reason] :
         {std::pair<std::string, std::string>{"12x", "not an integer: \"12x\""},
          {"", "not an integer: \"\""},
          {"+-3", "not an integer: \"+-3\""},
          {"9223372036854775808", "out of range for a 64-bit integer: \"9223372036854775808\""}}) {
        std::string input;
        for (int i = 0; i < 3000; ++i) input += (i == 1234 ? bad : std::to_string(i)) + "\n";
        write_file(path, input);
        const Outcome run =
            run_yaml("nodes:\n  text: { kind: source, op: lines, path: '" + path +
                         "' }\n"
                         "  num:  { kind: function, op: parse_int }\n"
                         "  out:  { kind: sink, op: summary }\n"
                         "edges: [ 'text -> num -> out' ]\n",
                     flowpool::OpRegistry{}, {"num.concurrency=" + std::to_string(GetParam())});
        ASSERT_TRUE(run.result.error.has_value()) << bad;
        EXPECT_EQ(run.result.error->node(), "num");
        EXPECT_EQ(run.result.error->job_id(), 1234u);
        EXPECT_EQ(run.result.error->reason(), reason);
        EXPECT_EQ(run.result.stats.failed, 1u);
    }
}

TEST_P(OpsWorkers, IntegerOpsGiveEachJobItsResultInPlaceOrShared) {
    // spin and multiply rewrite the integers in place in a batch that is theirs, and go job by
    // job through copies in one sent to two nodes (the fan-out to `total`): the same results.
    constexpr std::int64_t count = 20'000;
    constexpr std::int64_t start = -7'000;
    for (const bool fan_out : {false, true}) {
        for (const std::size_t batch : {std::size_t{0}, std::size_t{1}, std::size_t{333}}) {
            auto collected = std::make_shared<Collected>();
            const Outcome run = run_yaml(
                "nodes:\n"
                "  jobs:  { kind: source, op: range, count: " +
                    std::to_string(count) + ", start: " + std::to_string(start) +
                    " }\n"
                    "  x3:    { kind: function, op: multiply, factor: 3 }\n"
                    "  sp:    { kind: function, op: spin, iterations: 5 }\n"
                    "  out:   { kind: sink, op: collect }\n" +
                    (fan_out ? "  total: { kind: sink, op: summary }\n"
                               "edges: [ 'jobs -> x3 -> sp -> out', 'jobs -> total' ]\n"
                             : "edges: [ 'jobs -> x3 -> sp -> out' ]\n"),
                ops_with_collect(collected),
                {"x3.concurrency=" + std::to_string(GetParam()),
                 "sp.concurrency=" + std::to_string(GetParam())},
                batch);
            ASSERT_FALSE(run.result.error.has_value()) << run.result.error->what();
            ASSERT_EQ(collected->values.size(), std::size_t{count});
            EXPECT_EQ(collected->repeated, 0);
            int wrong = 0;
            for (const auto& [id, value] : collected->values) {
                const std::int64_t v = start + static_cast<std::int64_t>(id);
                wrong += std::get<std::int64_t>(value) != flowpool::detail::spin(3 * v, 5);
            }
            EXPECT_EQ(wrong, 0) << "fan-out " << fan_out << ", batch " << batch;
            const std::int64_t sum = count * start + count * (count - 1) / 2;
            EXPECT_EQ(run.out, fan_out ? "count=20000 sum=" +
                                             std::to_string(static_cast<std::uint64_t>(sum)) + "\n"
                                       : "");
        }
    }
}

TEST_P(OpsWorkers, RangeBatchesComeBackHoldingStringsAndGoOutHoldingIntegers) {
    // `range` writes each batch's integers over the values of its last use; to_json left
    // strings there, which must become the new integers (enough jobs that batches are reused).
    constexpr std::int64_t count = 40'000;
    constexpr std::int64_t start = 123;
    for (const std::size_t batch : {std::size_t{0}, std::size_t{1}, std::size_t{333}}) {
        auto collected = std::make_shared<Collected>();
        const Outcome run = run_yaml(
            "nodes:\n"
            "  jobs: { kind: source, op: range, count: " +
                std::to_string(count) + ", start: " + std::to_string(start) +
                " }\n"
                "  text: { kind: function, op: to_json }\n"
                "  out:  { kind: sink, op: collect }\n"
                "edges: [ 'jobs -> text -> out' ]\n",
            ops_with_collect(collected), {"text.concurrency=" + std::to_string(GetParam())}, batch);
        ASSERT_FALSE(run.result.error.has_value()) << run.result.error->what();
        ASSERT_EQ(collected->values.size(), std::size_t{count});
        int wrong = 0;
        for (const auto& [id, value] : collected->values) {
            const std::string* text = std::get_if<std::string>(&value);
            wrong +=
                text == nullptr || *text != std::to_string(start + static_cast<std::int64_t>(id));
        }
        EXPECT_EQ(wrong, 0) << "batch " << batch;
    }
}

TEST_P(OpsWorkers, IntegerOpsFailOnlyTheStringsOfABatchAndRunEachIntegerOnce) {
    // `mark` turns every value v with v % 7 == 3 into a string, so most batches hold strings
    // among integers: multiply and summary work the integers before the first string in place
    // and the rest job by job; each integer is multiplied (or added) exactly once, and each
    // string fails alone under on_error: skip.
    constexpr std::int64_t count = 5'000;
    auto collected = std::make_shared<Collected>();
    flowpool::OpRegistry ops = ops_with_collect(collected);
    ops.add({.name = "mark",
             .kind = flowpool::NodeKind::function,
             .description = "makes a string of every value v with v % 7 == 3",
             .takes = flowpool::ValueType::integer,
             .gives = flowpool::ValueType::any,
             .make_stage = [](const flowpool::Params&) {
                 return flowpool::stage_body([](flowpool::Value&& value) -> flowpool::Value {
                     const std::int64_t v = std::get<std::int64_t>(value);
                     if (v % 7 == 3) return "s" + std::to_string(v);
                     return v;
                 });
             }});
    std::int64_t strings = 0;
    std::int64_t integer_sum = 0;
    for (std::int64_t v = 0; v < count; ++v) {
        if (v % 7 == 3) {
            ++strings;
        } else {
            integer_sum += v;
        }
    }
    const std::string workers = std::to_string(GetParam());
    for (const std::size_t batch : {std::size_t{0}, std::size_t{1}, std::size_t{333}}) {
        collected->values.clear();
        collected->repeated = 0;
        const Outcome mapped = run_yaml(
            "nodes:\n"
            "  jobs: { kind: source, op: range, count: " +
                std::to_string(count) +
                " }\n"
                "  mark: { kind: function, op: mark }\n"
                "  x3:   { kind: function, op: multiply, factor: 3, on_error: skip }\n"
                "  out:  { kind: sink, op: collect }\n"
                "edges: [ 'jobs -> mark -> x3 -> out' ]\n",
            ops, {"x3.concurrency=" + workers}, batch);
        ASSERT_FALSE(mapped.result.error.has_value()) << mapped.result.error->what();
        EXPECT_EQ(mapped.result.stats.skipped, static_cast<std::uint64_t>(strings))
            << "batch " << batch;
        ASSERT_EQ(collected->values.size(), static_cast<std::size_t>(count - strings))
            << "batch " << batch;
        int wrong = 0;
        for (const auto& [id, value] : collected->values) {
            const auto v = static_cast<std::int64_t>(id);
            wrong += v % 7 == 3 || std::get<std::int64_t>(value) != 3 * v;
        }
        EXPECT_EQ(wrong, 0) << "batch " << batch;
        EXPECT_EQ(collected->repeated, 0) << "batch " << batch;

        const Outcome summed = run_yaml(
            "nodes:\n"
            "  jobs:  { kind: source, op: range, count: " +
                std::to_string(count) +
                " }\n"
                "  mark:  { kind: function, op: mark }\n"
                "  total: { kind: sink, op: summary, on_error: skip }\n"
                "edges: [ 'jobs -> mark -> total' ]\n",
            ops, {"mark.concurrency=" + workers}, batch);
        ASSERT_FALSE(summed.result.error.has_value()) << summed.result.error->what();
        EXPECT_EQ(summed.result.stats.skipped, static_cast<std::uint64_t>(strings))
            << "batch " << batch;
        EXPECT_EQ(summed.out, "count=" + std::to_string(count - strings) +
                                  " sum=" + std::to_string(integer_sum) + "\n")
            << "batch " << batch;
    }
}

INSTANTIATE_TEST_SUITE_P(Workers, OpsWorkers, ::testing::Values(1, 2, 4, 8));

// ---------------------------------------------------------------- validation

/// The problems validation finds in @p yaml, one a line; empty if it is valid.
std::string problems(const std::string& yaml) {
    try {
        flowpool::validate(flowpool::parse_graph(yaml, "v.yaml"), flowpool::OpRegistry{});
        return "";
    } catch (const flowpool::ConfigError& e) {
        return e.what();
    }
}

TEST(Validation, ValueTypesAlongEdgesFitTheStringOps) {
    EXPECT_EQ(
        problems("nodes:\n  jobs: { kind: source, op: range, count: 3 }\n"
                 "  up:   { kind: function, op: upper }\n  out: { kind: sink, op: print }\n"
                 "edges: [ 'jobs -> up -> out' ]\n"),
        "v.yaml:3:31: error: op 'upper' takes string values, but node 'jobs' gives integer values");
    EXPECT_EQ(problems("nodes:\n  text: { kind: source, op: lines, path: x }\n"
                       "  x2:   { kind: function, op: multiply, factor: 2 }\n  out: { kind: sink, "
                       "op: print }\n"
                       "edges: [ 'text -> x2 -> out' ]\n"),
              "v.yaml:3:31: error: op 'multiply' takes integer values, but node 'text' gives "
              "string values");
    EXPECT_EQ(problems("nodes:\n  text: { kind: source, op: lines, path: x }\n"
                       "  out:  { kind: sink, op: summary }\nedges: [ 'text -> out' ]\n"),
              "v.yaml:3:27: error: op 'summary' takes integer values, but node 'text' gives string "
              "values");
    EXPECT_EQ(
        problems(
            "nodes:\n  text: { kind: source, op: lines, path: x }\n"
            "  num:  { kind: function, op: parse_int }\n"
            "  x2:   { kind: function, op: multiply, factor: 2 }\n"
            "  len:  { kind: function, op: length }\n"
            "  keep: { kind: filter, op: grep, pattern: a }\n"
            "  out:  { kind: sink, op: summary }\n  log: { kind: sink, op: jsonl, path: y }\n"
            "edges: [ 'text -> num -> x2 -> out', 'text -> keep -> len -> out', 'keep -> log' ]\n"),
        "");
}

TEST(Validation, ABadPatternIsReportedAtItsPosition) {
    const std::string found = problems(
        "nodes:\n  text: { kind: source, op: lines, path: x }\n"
        "  keep: { kind: filter, op: grep, pattern: 'a(b' }\n"
        "  fix:  { kind: function, op: replace, pattern: '[z', with: '' }\n"
        "  out:  { kind: sink, op: print }\n"
        "edges: [ 'text -> keep -> fix -> out' ]\n");
    EXPECT_EQ(found,
              "v.yaml:3:44: error: parameter 'pattern': not an RE2 regular expression: missing ): "
              "a(b\n"
              "v.yaml:4:49: error: parameter 'pattern': not an RE2 regular expression: missing ]: "
              "[z")
        << found;
    EXPECT_EQ(problems("nodes:\n  text: { kind: source, op: lines, path: x }\n"
                       "  keep: { kind: filter, op: grep, pattern: a, invert: maybe }\n"
                       "  out:  { kind: sink, op: print }\nedges: [ 'text -> keep -> out' ]\n"),
              "v.yaml:3:55: error: parameter 'invert' must be true or false, not 'maybe'");
    EXPECT_NE(problems("nodes:\n  text: { kind: source, op: lines, path: x }\n"
                       "  keep: { kind: function, op: grep, pattern: a }\n"
                       "  out:  { kind: sink, op: print }\nedges: [ 'text -> keep -> out' ]\n")
                  .find("op 'grep' is a filter op; node 'keep' is a function"),
              std::string::npos);
}

TEST(Validation, BackReferencesAndLookaroundAreBadPatterns) {
    const auto grep = [](const std::string& pattern) {
        return problems(
            "nodes:\n  text: { kind: source, op: lines, path: x }\n"
            "  keep: { kind: filter, op: grep, pattern: '" +
            pattern +
            "' }\n"
            "  out:  { kind: sink, op: print }\nedges: [ 'text -> keep -> out' ]\n");
    };
    EXPECT_EQ(grep("(ab)\\1"),
              "v.yaml:3:44: error: parameter 'pattern': not an RE2 regular expression: invalid "
              "escape sequence: \\1 (RE2 has no back-references)");
    for (const std::string pattern : {"a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b"}) {
        EXPECT_NE(grep(pattern).find("(RE2 has no lookahead or lookbehind)"), std::string::npos)
            << pattern;
    }
    EXPECT_EQ(grep("(?i)error|(?P<level>warn)"), "");
}

TEST(Validation, AReplacementNamesOnlyGroupsThePatternHas) {
    const auto replace = [](const std::string& pattern, const std::string& with) {
        return problems(
            "nodes:\n  text: { kind: source, op: lines, path: x }\n"
            "  fix: { kind: function, op: replace, pattern: '" +
            pattern + "', with: '" + with +
            "' }\n"
            "  out: { kind: sink, op: print }\nedges: [ 'text -> fix -> out' ]\n");
    };
    EXPECT_EQ(replace("(a)(b)", "$2$1$0$&$$9"), "");
    EXPECT_EQ(replace("(a)(b)", "$1$3"),
              "v.yaml:3:64: error: parameter 'with': the replacement uses $3, but the pattern "
              "has 2 groups");
    EXPECT_EQ(replace("ab", "<$1>"),
              "v.yaml:3:60: error: parameter 'with': the replacement uses $1, but the pattern "
              "has no groups");
    EXPECT_NE(replace("a", "$`").find("parameter 'with': $` (the text before or after the "
                                      "match) is not supported"),
              std::string::npos);
    // A bad pattern is reported once, at the pattern, not again at the replacement.
    EXPECT_EQ(replace("(a", "$1").find("'with'"), std::string::npos);
}

// ---------------------------------------------------------------- the CLI

TEST(Cli, OpsListsTheStringAndFileOpsWithTheirTypes) {
    const auto result = run_cli("ops");
    ASSERT_EQ(result.exit_code, 0);
    // Whatever the layout: the line naming each op says its kind, then what it takes and gives.
    const std::vector<std::vector<std::string>> ops = {
        {"lines", "source", "string"},
        {"upper", "function", "string", "string"},
        {"lower", "function", "string", "string"},
        {"grep", "filter", "string", "string"},
        {"replace", "function", "string", "string"},
        {"length", "function", "string", "integer"},
        {"hash", "function", "string", "string"},
        {"parse_int", "function", "string", "integer"},
        {"file", "sink", "any"},
        {"jsonl", "sink", "any"},
        {"jsonl", "source", "record"},
        {"parse_json", "function", "string", "any"},
        {"to_json", "function", "any", "string"}};
    const std::vector<std::string> lines = result.out_lines();
    for (const std::vector<std::string>& words : ops) {
        const auto line = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) {
            return l.rfind(words[0] + " (" + words[1], 0) == 0;
        });
        ASSERT_NE(line, lines.end()) << words[0] << " is not listed";
        std::size_t at = 0;
        for (const std::string& word : words) {
            at = line->find(word, at);
            EXPECT_NE(at, std::string::npos) << *line << " lacks " << word;
            if (at == std::string::npos) break;
            at += word.size();
        }
    }
    EXPECT_NE(result.out.find("invert"), std::string::npos);
}

TEST(Cli, HashStdinHashesEachLineOfStandardInput) {
    const auto result = run_cli("run graphs/hash_stdin.yaml", "a\nfoobar\r\n\nsome longer line\n");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    std::vector<std::string> lines = result.out_lines();
    std::sort(lines.begin(), lines.end());
    EXPECT_EQ(lines, (std::vector<std::string>{"0 af63dc4c8601ec8c", "1 85944171f73967e8",
                                               "2 cbf29ce484222325",
                                               "3 " + fnv1a_hex("some longer line")}));
}

TEST(Cli, HashStdinReadsAPipeAndPrintsLinesAsTheyCome) {
    // Through a real pipe: 100 000 lines in bulk, then one line with the writer still open,
    // whose hash must come out before the input ends.
    const std::string program = R"(import subprocess, sys, threading
def fnv(b):
    h = 0xcbf29ce484222325
    for c in b: h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return '%016x' % h
p = subprocess.Popen([sys.argv[1], 'run', 'graphs/hash_stdin.yaml'], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, cwd=sys.argv[2])
n = 100000
def bulk():  # in a thread: a full stdout pipe would otherwise block both sides
    p.stdin.write(b''.join(b'%d\n' % i for i in range(n)))
    p.stdin.flush()
writer = threading.Thread(target=bulk)
writer.start()
seen = set()
while len(seen) < n:
    seen.add(p.stdout.readline().decode())
writer.join()
assert seen == {'%d %s\n' % (i, fnv(b'%d' % i)) for i in range(n)}, 'wrong lines'
p.stdin.write(b'late\n')
p.stdin.flush()
assert p.stdout.readline().decode() == '%d %s\n' % (n, fnv(b'late')), 'late line'
p.stdin.close()
assert p.stdout.read() == b'' and p.wait(timeout=20) == 0
print('streamed')
)";
    EXPECT_TRUE(
        python(program, std::string("'") + FLOWPOOL_CLI + "' '" + FLOWPOOL_SOURCE_DIR + "'"));
}

TEST(Cli, SigintStopsALinesSourceThatWaitsForStandardInput) {
    // The writer keeps the pipe open and silent: the first SIGINT must still end the run, and
    // within a second (the lines source polls its descriptor; README, "Failures").
    const std::string program = R"(import signal, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], 'run', 'graphs/hash_stdin.yaml'], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=sys.argv[2])
p.stdin.write(b'a\n')
p.stdin.flush()
assert p.stdout.readline() == b'0 af63dc4c8601ec8c\n'
time.sleep(0.3)
sent = time.monotonic()
p.send_signal(signal.SIGINT)
code = p.wait(timeout=5)
took = time.monotonic() - sent
assert code == 130, code
assert took < 1.0, 'stopped %.3f s after SIGINT, want under 1 s' % took
print('stopped %.3f s after SIGINT' % took)
)";
    EXPECT_TRUE(
        python(program, std::string("'") + FLOWPOOL_CLI + "' '" + FLOWPOOL_SOURCE_DIR + "'"));
}

}  // namespace
