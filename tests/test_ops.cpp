// The built-in ops for real data, through graph files: the lines source (CRLF, no final newline,
// empty and large files, standard input), the file and jsonl sinks (escaping checked by Python's
// json module), and the CLI on them (`flowpool ops`, a graph that hashes standard input as it
// comes, SIGINT while the lines source waits). The string ops are in test_string_ops.cpp.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli_runner.hpp"
#include "ops_fixture.hpp"

using flowpool::test::run_cli;
using flowpool::test::slurp;

namespace {

using namespace flowpool::test::ops_fixture;  // NOLINT(google-build-using-namespace)

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
              "graphs/grep_log.yaml: --set log.path=no/such.log: error: node 'log': cannot open "
              "'no/such.log' for "
              "reading: No such file or directory\n");
}

TEST_P(OpsWorkers, ALargeFileIsStreamedWithIdsEqualToLineNumbers) {
    // A tenth under a sanitizer, where 20k lines at the four worker counts take 1.1 s (2026-12-06)
    // and 200k would take ten times that; what it checks is the same for every line.
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
    EXPECT_TRUE(python(program, std::string("'") + FLOWPOOL_CLI + "' '" + FLOWPOOL_SOURCE_DIR +
                                    "' " + std::to_string(FLOWPOOL_TEST_SLOWDOWN)));
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
assert took < 1.0 * float(sys.argv[3]), 'stopped %.3f s after SIGINT, want under 1 s' % took
print('stopped %.3f s after SIGINT' % took)
)";
    EXPECT_TRUE(python(program, std::string("'") + FLOWPOOL_CLI + "' '" + FLOWPOOL_SOURCE_DIR +
                                    "' " + std::to_string(FLOWPOOL_TEST_SLOWDOWN)));
}

INSTANTIATE_TEST_SUITE_P(Workers, OpsWorkers, ::testing::Values(1, 2, 4, 8));

}  // namespace
