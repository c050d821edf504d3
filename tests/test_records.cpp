// JSON records end to end through the CLI: the `jsonl` source (one bad line fails only its own
// job, named FILE:LINE:COL with the reason, under the source's on_error), the `jsonl` sink
// writing records back, `{value.PATH}` in print formats, and the `parse_json` / `to_json` ops.
// Expectations come from the inputs (good lines are written in the compact form the sink
// writes, or compared as parsed JSON by Python), never from flowpool's own output.

#include <gtest/gtest.h>
#include <unistd.h>
#include <flowpool/value.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "data/json.hpp"

namespace fs = std::filesystem;
using flowpool::test::CliResult;
using flowpool::test::run_cli;
using flowpool::test::slurp;
using Lines = std::vector<std::string>;

using flowpool::test::fresh_dir;
using flowpool::test::write;

namespace {

/// The lines of a file, sorted (sinks that are not ordered write in any order).
Lines sorted_lines(const std::string& path) {
    Lines lines;
    std::ifstream in(path, std::ios::binary);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
}

Lines sorted(Lines lines) {
    std::sort(lines.begin(), lines.end());
    return lines;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

enum class Policy { fail, skip, dead_letter };

/// What a run of the `jsonl` source into a `jsonl` sink gave.
struct Outcome {
    CliResult cli;
    Lines out;      ///< the records written, sorted
    Lines rejects;  ///< the dead letters written (dead_letter only)
};

/// Runs `jsonl (path IN) -> jsonl sink` under @p policy on the source, with a dead-letter sink
/// for Policy::dead_letter. @p extra is more of the source's keys ("fields: a"); @p options
/// are `flowpool run`'s ("--batch 5").
Outcome run_jsonl(const std::string& dir, const std::string& in, Policy policy,
                  const std::string& extra = "", const std::string& options = "") {
    std::string source = "path: '" + in + "'";
    if (!extra.empty()) source += ", " + extra;
    if (policy == Policy::skip) source += ", on_error: skip";
    if (policy == Policy::dead_letter) source += ", dead_letter: rejects";
    std::string graph = "graph: records\nnodes:\n  src: { kind: source, op: jsonl, " + source +
                        " }\n  out: { kind: sink, op: jsonl, path: '" + dir + "/out.jsonl' }\n";
    if (policy == Policy::dead_letter)
        graph += "  rejects: { kind: sink, op: jsonl, path: '" + dir + "/rejects.jsonl' }\n";
    graph += "edges: [ 'src -> out' ]\n";
    fs::remove(dir + "/out.jsonl");
    fs::remove(dir + "/rejects.jsonl");
    Outcome outcome;
    outcome.cli = run_cli("run " + options + " '" + write(dir + "/graph.yaml", graph) + "'");
    outcome.out = sorted_lines(dir + "/out.jsonl");
    outcome.rejects = sorted_lines(dir + "/rejects.jsonl");
    return outcome;
}

/// A dead letter's field @p name, parsed back with flowpool's own parser.
flowpool::Value letter_field(const std::string& letter, const std::string& name) {
    flowpool::Value parsed;
    flowpool::detail::JsonError error;
    EXPECT_TRUE(flowpool::detail::parse_json(letter, parsed, error)) << error.reason;
    const flowpool::Record* record = parsed.record();
    if (record == nullptr || record->find(name) == nullptr) {
        ADD_FAILURE() << "no field " << name << " in " << letter;
        return {};
    }
    return *record->find(name);
}

/// A dead letter's error message (empty, and a failure, if it has none).
std::string letter_error(const std::string& letter) {
    const flowpool::Value error = letter_field(letter, "error");
    const std::string* text = std::get_if<std::string>(&error);
    if (text == nullptr) {
        ADD_FAILURE() << "no error message in " << letter;
        return {};
    }
    return *text;
}

/// Good records around the bad line: it is line 3 (job 2) of five.
const Lines good_records = {R"({"n":0})", R"({"n":1})", R"({"n":3})", R"({"n":4})"};

std::string around(const std::string& bad_line) {
    return good_records[0] + "\n" + good_records[1] + "\n" + bad_line + "\n" + good_records[2] +
           "\n" + good_records[3] + "\n";
}

/// Checks that @p bad_line, line 3 of a file of good records, fails only its own job with
/// FILE:3:@p col_and_reason under each policy: dead-lettered with its raw text as value
/// (@p letter_value: what that text becomes in JSON, when not itself), skipped, or failing
/// the run with the node and the job id. Every other record comes out.
void expect_only_its_job_fails(const std::string& name, const std::string& bad_line,
                               const std::string& col_and_reason,
                               const std::string* letter_value = nullptr) {
    const std::string dir = fresh_dir(name);
    const std::string in = write(dir + "/in.jsonl", around(bad_line));
    const std::string message = in + ":3:" + col_and_reason;

    // Also all five lines in one batch: the source reads a batch's lines in one simdjson pass,
    // and from the first line that pass cannot read, one line at a time (JsonLineRun).
    Outcome run;
    for (const char* options : {"", "--batch 5"}) {
        run = run_jsonl(dir, in, Policy::dead_letter, "", options);
        EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
        EXPECT_EQ(run.out, good_records) << "every other record comes out " << options;
        ASSERT_EQ(run.rejects.size(), 1u) << options;
        const std::string& letter = run.rejects[0];
        EXPECT_EQ(letter_field(letter, "id"), flowpool::Value(std::int64_t{2})) << letter;
        EXPECT_EQ(letter_field(letter, "node"), flowpool::Value(std::string("src"))) << letter;
        EXPECT_EQ(letter_field(letter, "error"), flowpool::Value(message)) << letter;
        EXPECT_EQ(letter_field(letter, "value"),
                  flowpool::Value(letter_value != nullptr ? *letter_value : bad_line))
            << letter;
    }

    run = run_jsonl(dir, in, Policy::skip);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, good_records);
    EXPECT_TRUE(contains(run.cli.err, "5 jobs in, 4 results out, 0 filtered, 1 skipped"))
        << run.cli.err;

    run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 1) << run.cli.err;
    EXPECT_TRUE(contains(run.cli.err, "error: node 'src' job 2: " + message + "\n")) << run.cli.err;
    // Under fail the sources stop, so which records come out depends on timing: only good ones.
    for (const std::string& line : run.out) {
        EXPECT_TRUE(std::find(good_records.begin(), good_records.end(), line) != good_records.end())
            << line;
    }
}

const std::string improper_structure =
    "The JSON document has an improper structure: missing or superfluous commas, braces, "
    "missing keys, etc.";
const std::string bad_number = "Problem while parsing a number";

/// Runs a Python 3 program with @p args; true if it exits 0. Its output goes to the test log.
bool python(const std::string& dir, const std::string& program, const std::string& args) {
    write(dir + "/check.py", program);
    return std::system(("python3 '" + dir + "/check.py' " + args).c_str()) == 0;
}

/// Two jsonl files hold the same records, line by line (in order; blank lines of the first
/// skipped), compared as parsed JSON with the types kept apart (1 is not 1.0, nor true) and
/// the fields in order.
constexpr const char* same_records = R"(import json, sys
def strict(v):
    if isinstance(v, dict):
        return ('object', [(k, strict(x)) for k, x in v.items()])
    if isinstance(v, list):
        return ('list', [strict(x) for x in v])
    return (type(v).__name__, v)
want = [strict(json.loads(l)) for l in open(sys.argv[1], encoding='utf-8') if l.strip()]
got = [strict(json.loads(l)) for l in open(sys.argv[2], encoding='utf-8')]
if len(want) != len(got):
    sys.exit('%d records in, %d out' % (len(want), len(got)))
for i, (w, g) in enumerate(zip(want, got)):
    if w != g:
        sys.exit('record %d: want %r, got %r' % (i, w, g))
print('%d records match' % len(got))
)";

}  // namespace

// ------------------------------------------------------------ one bad line fails only its job

TEST(JsonlBadLine, MalformedJson) {
    expect_only_its_job_fails("malformed", R"({"n":2,})", "8: " + improper_structure);
}

TEST(JsonlBadLine, InvalidUtf8IsFoundAtColumnOneAndTheDeadLetterCarriesReplacementCharacters) {
    // simdjson checks UTF-8 before parsing, so the column is 1, not the bad byte's (7).
    const std::string replaced = "{\"s\":\"\xEF\xBF\xBD(\"}";
    expect_only_its_job_fails("utf8", "{\"s\":\"\xC3(\"}", "1: The input is not valid UTF-8",
                              &replaced);
}

TEST(JsonlBadLine, NulByteInAString) {
    expect_only_its_job_fails("nul_string", std::string("{\"s\":\"a\0b\"}", 11),
                              "1: Within strings, some characters must be escaped, we found "
                              "unescaped characters");
}

TEST(JsonlBadLine, NulByteAsAValue) {
    expect_only_its_job_fails("nul_value", std::string("{\"n\":\0}", 7),
                              "6: " + improper_structure);
}

TEST(JsonlBadLine, TenThousandDeepNesting) {
    const std::string deep = "{\"a\":" + std::string(10'000, '[') + std::string(10'000, ']') + "}";
    // Depth 1 is the object; the 256th '[' (at column 5 + 256) is level 257.
    expect_only_its_job_fails("deep", deep, "261: nesting deeper than 256 levels");
}

TEST(JsonlBadLine, NumberBeyondAFloat) {
    expect_only_its_job_fails("1e400", R"({"x":1e400})", "6: " + bad_number);
}

TEST(JsonlBadLine, AnIntegerNoDoubleHolds) {
    expect_only_its_job_fails("1e400int", "{\"x\":1" + std::string(400, '0') + "}",
                              "6: " + bad_number);
}

TEST(JsonlBadLine, NotAnObject) {
    expect_only_its_job_fails("list", "[1,2]", "1: not a JSON object but list");
    expect_only_its_job_fails("null", "null", "1: not a JSON object but null");
}

TEST(JsonlBadLine, TextAfterTheObject) {
    expect_only_its_job_fails("after", R"({"n":2} x)", "9: text after the JSON value");
}

TEST(JsonlNumbers, TwoToTheSixtyFourMinusOneBecomesTheNearestFloat) {
    // 2^64 - 1 is beyond int64: it becomes a float, which rounds to 2^64 and is written as one.
    const std::string dir = fresh_dir("2p64m1");
    const std::string in =
        write(dir + "/in.jsonl", "{\"x\":18446744073709551615}\n{\"y\":-9223372036854775808}\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out,
              sorted({R"({"x":18446744073709551616.0})", R"({"y":-9223372036854775808})"}));
}

TEST(JsonlNumbers, ADuplicateKeyKeepsItsFirstPlaceAndItsLastValue) {
    const std::string dir = fresh_dir("dup");
    const std::string in =
        write(dir + "/in.jsonl", "{\"a\":1,\"a\":2}\n{\"a\":1,\"b\":2,\"a\":3}\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, sorted({R"({"a":2})", R"({"a":3,"b":2})"}));
}

// ------------------------------------------------------------------- lines too long

TEST(JsonlLongLine, UnderSkipOnlyItsJobIsLostAndTheRunSucceeds) {
    const std::string dir = fresh_dir("long_skip");
    const std::string long_line = "{\"s\":\"" + std::string(1000, 'x') + "\"}";
    const std::string in = write(dir + "/in.jsonl", around(long_line));
    const Outcome run = run_jsonl(dir, in, Policy::skip, "max_line_bytes: 100");
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, good_records);
    EXPECT_TRUE(contains(run.cli.err, "5 jobs in, 4 results out, 0 filtered, 1 skipped"))
        << run.cli.err;
}

TEST(JsonlLongLine, UnderFailTheRunFailsNamingFileAndLine) {
    const std::string dir = fresh_dir("long_fail");
    const std::string long_line = "{\"s\":\"" + std::string(1000, 'x') + "\"}";
    const std::string in = write(dir + "/in.jsonl", around(long_line));
    const Outcome run = run_jsonl(dir, in, Policy::fail, "max_line_bytes: 100");
    EXPECT_EQ(run.cli.exit_code, 1) << run.cli.err;
    EXPECT_TRUE(contains(run.cli.err, "error: node 'src' job 2: " + in +
                                          ":3: line longer than max_line_bytes (100)\n"))
        << run.cli.err;
}

// FINDING (src/ops/records.cpp, JsonlSource::next): a too long line is reported with
// ctx.job_failed even when the source's policy is dead_letter, and BatchContext::job_failed
// fails the run for a dead-letter node, so `dead_letter:` on a jsonl source does not cover the
// one failure the source thread finds. Expected: exit 0 and a dead letter naming FILE:LINE.
TEST(JsonlLongLine, UnderDeadLetterOnlyItsJobIsLost) {
    const std::string dir = fresh_dir("long_dead");
    const std::string long_line = "{\"s\":\"" + std::string(1000, 'x') + "\"}";
    const std::string in = write(dir + "/in.jsonl", around(long_line));
    const Outcome run = run_jsonl(dir, in, Policy::dead_letter, "max_line_bytes: 100");
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, good_records);
    ASSERT_EQ(run.rejects.size(), 1u);
    EXPECT_EQ(letter_field(run.rejects[0], "error"),
              flowpool::Value(in + ":3: line longer than max_line_bytes (100)"));
}

// ------------------------------------------------------------------ how files are read

TEST(JsonlFiles, AByteOrderMarkAndCrLfEndingsAreNotPartOfTheRecords) {
    const std::string dir = fresh_dir("bom");
    const std::string in =
        write(dir + "/in.jsonl", "\xEF\xBB\xBF{\"a\":1}\r\n{\"b\":\"x\\r\"}\r\n\r\n{\"c\":3}\r\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, sorted({R"({"a":1})", R"({"b":"x\r"})", R"({"c":3})"}));
}

// Lines read ahead are taken in one go (TextSource::take_buffered_lines) rather than cut one by
// one: ids must stay line numbers across blank lines, CRLF endings and files, and a bad line
// must still be named FILE:LINE, whatever the batch size.
TEST(JsonlFiles, IdsAndPlacesStayLineNumbersAcrossBlankLinesCrLfAndFiles) {
    const std::string dir = fresh_dir("ids_places");
    const std::string a =
        write(dir + "/a.jsonl", "{\"n\":0}\r\n\r\n  \t \n{\"n\":bad}\r\n{\"n\":4}\n");
    write(dir + "/b.jsonl", "{\"n\":5}\n\n{oops}\r\n{\"n\":8}");
    for (const char* options : {"", "--batch 1", "--batch 2", "--batch 3"}) {
        const Outcome run = run_jsonl(dir, dir + "/*.jsonl", Policy::dead_letter, "", options);
        EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
        EXPECT_EQ(run.out, sorted({R"({"n":0})", R"({"n":4})", R"({"n":5})", R"({"n":8})"}))
            << options;
        EXPECT_TRUE(contains(run.cli.err,
                             "6 jobs in, 4 results out, 0 filtered, 0 skipped, 0 "
                             "failed, 2 dead-lettered"))
            << options << run.cli.err;
        ASSERT_EQ(run.rejects.size(), 2u) << options;
        std::vector<std::pair<flowpool::Value, std::string>> letters;
        for (const std::string& letter : run.rejects) {
            const flowpool::Value error = letter_field(letter, "error");
            letters.emplace_back(
                letter_field(letter, "id"),
                std::holds_alternative<std::string>(error) ? std::get<std::string>(error) : "");
        }
        std::sort(letters.begin(), letters.end(),
                  [](const auto& x, const auto& y) { return x.second < y.second; });
        EXPECT_EQ(letters[0].first, flowpool::Value(std::int64_t{3})) << options;
        EXPECT_TRUE(letters[0].second.starts_with(a + ":4:")) << letters[0].second;
        EXPECT_EQ(letters[1].first, flowpool::Value(std::int64_t{7})) << options;
        EXPECT_TRUE(letters[1].second.starts_with(dir + "/b.jsonl:3:")) << letters[1].second;
    }
}

TEST(JsonlFiles, ATruncatedGzipFailsTheRunNamingTheFile) {
    const std::string dir = fresh_dir("truncated");
    ASSERT_EQ(std::system(("cd '" + dir +
                           "' && python3 -c \"import gzip; d = gzip.compress(b''.join(b'{\\\"n\\\":"
                           "%d}\\n' % i for i in range(2000))); "
                           "open('cut.jsonl.gz', 'wb').write(d[:len(d) // 2])\"")
                              .c_str()),
              0);
    const std::string in = dir + "/cut.jsonl.gz";
    const Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 1) << run.cli.err;
    EXPECT_TRUE(contains(run.cli.err, "'" + in + "': truncated gzip data")) << run.cli.err;
    EXPECT_GT(run.out.size(), 0u) << "the lines before the cut come out";
    EXPECT_LT(run.out.size(), 2000u);
}

TEST(JsonlFiles, AGzNamedFileHoldingPlainJsonIsReadAsText) {
    const std::string dir = fresh_dir("plain_gz");
    const std::string in = write(dir + "/x.jsonl.gz", "{\"a\":1}\n{\"b\":[2]}\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, sorted({R"({"a":1})", R"({"b":[2]})"}));
}

TEST(JsonlFiles, AGlobThatMatchesNothingIsBadUsageBeforeRunning) {
    const std::string dir = fresh_dir("no_match");
    const Outcome run = run_jsonl(dir, dir + "/none*.jsonl", Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 2) << run.cli.err;
    EXPECT_TRUE(contains(run.cli.err, "no file matches '" + dir + "/none*.jsonl'")) << run.cli.err;
    EXPECT_FALSE(contains(run.cli.err, "jobs in")) << "nothing ran";
    EXPECT_FALSE(fs::exists(dir + "/out.jsonl")) << "nothing was written";
}

TEST(JsonlFiles, FieldsKeepsOnlyTheNamedFieldsInTheirOrder) {
    const std::string dir = fresh_dir("fields");
    const std::string in =
        write(dir + "/in.jsonl", "{\"a\":1,\"b\":{\"c\":[true]},\"d\":\"x\"}\n{\"d\":\"y\"}\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail, "fields: 'd, b'");
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, sorted({R"({"d":"x","b":{"c":[true]}})", R"({"d":"y"})"}));
}

// A malformed member fails its line at the token it fails on, with `fields:` (which walks the
// object's members itself, src/data/json_build.hpp) as without: each step of that walk has
// consumed the token it failed on, and the place was once reported one token later (or at
// column 1 for a comma before the closing brace).
TEST(JsonlFields, AMalformedMemberIsPlacedAtItsTokenAsWithoutFields) {
    const std::string dir = fresh_dir("fields_malformed");
    const std::string in = write(dir + "/in.jsonl",
                                 "{\"n\":0,\"host\":\"a\"}\n"
                                 "{\"n\":1,\"host\":\"b\",:}\n"       // a colon for a key
                                 "{\"n\":2 \"host\":\"c\"}\n"         // no comma
                                 "{\"n\":3,\"host\":tru}\n"           // not a literal
                                 "{\"n\":4,\"host\":{\"x\":[1,2}}\n"  // unclosed array
                                 "{\"n\":6,\"host\":\"g\",}\n"        // a comma, no member
                                 "{\"n\":7,\"ho\\q\":1}\n");          // a bad escape in a key
    const std::vector<std::string> places = {
        ":2:19: ", ":3:8: ", ":4:15: ", ":5:24: ", ":6:19: ", ":7:15: "};
    for (const std::string fields : {"", "fields: 'host'"}) {
        const Outcome run = run_jsonl(dir, in, Policy::dead_letter, fields);
        EXPECT_EQ(run.cli.exit_code, 0) << fields << ": " << run.cli.err;
        EXPECT_EQ(run.out.size(), 1U) << fields;
        ASSERT_EQ(run.rejects.size(), places.size()) << fields;
        for (std::size_t i = 0; i < places.size(); ++i) {
            const std::string error = letter_error(run.rejects[i]);
            EXPECT_TRUE(contains(error, in + places[i])) << fields << ": " << error;
        }
    }
}

// FINDING (src/data/json_stream.cpp and json.cpp, the `fields:` path): a projection skips the
// members it does not read without checking their brackets, so `]` for `}` in a skipped member
// closed the object early and the line gave `{}`, losing the field asked for; text after the
// object was accepted too. Both now fail their line.
TEST(JsonlFields, AnObjectClosedEarlyByASkippedMemberFailsItsLine) {
    const std::string dir = fresh_dir("fields_closed_early");
    const std::string in =
        write(dir + "/in.jsonl", "{\"x\":{\"y\":1]},\"a\":1}\n{\"a\":2}}\n{\"a\":3}\n");
    const Outcome run = run_jsonl(dir, in, Policy::dead_letter, "fields: 'a'");
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, Lines{R"({"a":3})"});
    ASSERT_EQ(run.rejects.size(), 2U);
    const std::vector<std::string> places = {":1:14: text after the JSON value",
                                             ":2:8: text after the JSON value"};
    for (std::size_t i = 0; i < places.size(); ++i) {
        EXPECT_EQ(letter_error(run.rejects[i]), in + places[i]);
    }
}

// ------------------------------------------------------------------------- round trip

namespace {

/// `jsonl` source -> @p middle_nodes, linked by @p middle (maybe none) -> ordered `jsonl` sink.
std::string round_trip_graph(const std::string& in, const std::string& out,
                             const std::string& middle_nodes, const std::string& middle) {
    return "nodes:\n"
           "  src:  { kind: source, op: jsonl, path: '" +
           in + "', batch: 2 }\n" + middle_nodes + "  out:  { kind: sink, op: jsonl, path: '" +
           out +
           "', ordered: true }\n"
           "edges: [ 'src" +
           middle + " -> out' ]\n";
}

}  // namespace

class JsonlRoundTrip : public ::testing::TestWithParam<int> {};

TEST_P(JsonlRoundTrip, RecordsComeBackAsTheyWere) {
    // Straight into the sink, then through to_json and parse_json on N workers each.
    const std::string n = std::to_string(GetParam());
    const std::string dir = fresh_dir("roundtrip_" + n);
    const std::string in = std::string(FLOWPOOL_SOURCE_DIR) + "/tests/data/records/roundtrip.jsonl";
    const std::string out = dir + "/out.jsonl";
    const std::string functions = "  text: { kind: function, op: to_json, concurrency: " + n +
                                  " }\n"
                                  "  back: { kind: function, op: parse_json, concurrency: " +
                                  n + " }\n";
    for (const std::string& graph : {round_trip_graph(in, out, "", ""),
                                     round_trip_graph(in, out, functions, " -> text -> back")}) {
        SCOPED_TRACE(graph);
        const CliResult run = run_cli("run '" + write(dir + "/graph.yaml", graph) + "'");
        ASSERT_EQ(run.exit_code, 0) << run.err;
        EXPECT_TRUE(python(dir, same_records, "'" + in + "' '" + out + "'"));
    }
}

INSTANTIATE_TEST_SUITE_P(Workers, JsonlRoundTrip, ::testing::Values(1, 2, 4, 8));

// ---------------------------------------------------------------- paths in print formats

namespace {

CliResult print_users(const std::string& format) {
    const std::string dir = fresh_dir("print");
    const std::string graph =
        "nodes:\n"
        "  src: { kind: source, op: jsonl, path: tests/data/records/users.jsonl }\n"
        "  out: { kind: sink, op: print, format: '" +
        format +
        "' }\n"
        "edges: [ 'src -> out' ]\n";
    return run_cli("run '" + write(dir + "/graph.yaml", graph) + "'");
}

}  // namespace

TEST(RecordFormat, FieldsAndListItemsOfTheValue) {
    const CliResult run = print_users("{id} {value.user.id} {value.tags[0]}");
    EXPECT_EQ(run.exit_code, 1) << "users.jsonl line 3 has no tags[0]";
    EXPECT_TRUE(contains(run.err, "error: node 'out' job 2: no .tags[0] in the value")) << run.err;
    const CliResult whole = print_users("{id} {value.user.id} {value.tags}");
    EXPECT_EQ(whole.exit_code, 0) << whole.err;
    EXPECT_EQ(sorted(whole.out_lines()), sorted({R"(0 7 ["new","mobile"])", R"(1 8 ["returning"])",
                                                 "2 9 []", R"(3 10 ["x"])"}));
}

TEST(RecordFormat, AMissingFieldFailsItsJobNamingNodeAndJob) {
    const CliResult run = print_users("{id} {value.user.country} {value.tags[0]}");
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_TRUE(contains(run.err, "error: node 'out' job 2: no .user.country in the value\n"))
        << run.err;
    for (const std::string& line : run.out_lines()) {
        EXPECT_TRUE(line == "0 FR new" || line == "1 JP returning" || line == "3 BR x") << line;
    }
}

// ------------------------------------------------------------------- parse_json, to_json

TEST(JsonOps, ParseJsonThenToJsonGivesEachValueBack) {
    const std::string dir = fresh_dir("ops");
    const std::string in =
        write(dir + "/in.txt", "1\n\"s\"\n[1,2.0,null]\n{\"a\":{\"b\":false}}\n -2.5 \nnope\n");
    const auto graph = [&](const std::string& policy) {
        return write(dir + "/graph.yaml",
                     "nodes:\n"
                     "  src:   { kind: source, op: lines, path: '" +
                         in +
                         "' }\n"
                         "  parse: { kind: function, op: parse_json, on_error: " +
                         policy +
                         " }\n"
                         "  back:  { kind: function, op: to_json }\n"
                         "  out:   { kind: sink, op: print, format: '{id} {value}' }\n"
                         "edges: [ 'src -> parse -> back -> out' ]\n");
    };
    CliResult run = run_cli("run '" + graph("skip") + "'");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(sorted(run.out_lines()),
              sorted({"0 1", "1 \"s\"", "2 [1,2.0,null]", "3 {\"a\":{\"b\":false}}", "4 -2.5"}));
    EXPECT_TRUE(contains(run.err, "6 jobs in, 5 results out, 0 filtered, 1 skipped")) << run.err;

    run = run_cli("run '" + graph("fail") + "'");
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_TRUE(contains(run.err, "error: node 'parse' job 5: not JSON at byte 1: ")) << run.err;
}

// ------------------------------- findings (each failed before its fix, in src/ as named)

// FINDING (src/data/json.cpp, parse_json_fields): simdjson's find_field_unordered finds a
// repeated name's FIRST value, while parse_json (no `fields:`) keeps the LAST, as its header
// promises for both. The same line gives {"a":2} without `fields:` and {"a":1} with it.
TEST(JsonlFields, ARepeatedNameKeepsItsLastValueAsWithoutFields) {
    const std::string dir = fresh_dir("fields_dup");
    const std::string in = write(dir + "/in.jsonl", "{\"a\":1,\"b\":3,\"a\":2}\n");
    Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, Lines{R"({"a":2,"b":3})"});
    run = run_jsonl(dir, in, Policy::fail, "fields: 'a'");
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, Lines{R"({"a":2})"}) << "fields: a must agree with the whole record";
}

// FINDING (src/ops/records.cpp split_names + parse_json_fields' fields.append): a name given
// twice in `fields:` is appended twice, so the record holds two fields of one name (Record
// promises unique names) and the sink writes an object with a duplicate key.
// Fixed by refusing it when the graph file is checked.
TEST(JsonlFields, ANameGivenTwiceInFieldsIsAGraphError) {
    const std::string dir = fresh_dir("fields_twice");
    const std::string in = write(dir + "/in.jsonl", "{\"a\":1,\"b\":3}\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail, "fields: 'a,b,a'");
    EXPECT_EQ(run.cli.exit_code, 2) << run.cli.err;
    EXPECT_TRUE(contains(run.cli.err, "error: parameter 'fields': names 'a' twice")) << run.cli.err;
    EXPECT_TRUE(run.out.empty());
}

// FINDING (src/data/json.cpp, Builder::read_number): every number error gets the hint
// "(numbers must fit a float; integers 64 bits)", also when simdjson fails on a number because
// the object around it is not closed: `{"n":3` is blamed on the number 3.
TEST(JsonlBadLine, AnUnclosedObjectIsNotBlamedOnANumbersRange) {
    const std::string dir = fresh_dir("unclosed");
    const std::string in = write(dir + "/in.jsonl", around(R"({"n":3)"));
    const Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 1) << run.cli.err;
    EXPECT_TRUE(contains(run.cli.err, "error: node 'src' job 2: " + in + ":3:")) << run.cli.err;
    EXPECT_FALSE(contains(run.cli.err, "numbers must fit a float")) << run.cli.err;
}

// FINDING (src/data/json.cpp, Builder::read_number; found by jsonl_fuzz): simdjson 3.0.1's
// On-Demand get_number() gives 0 for a float of more than 19 significant digits (its slow
// path), where get_double() reads it right. So 0.12345678901234567890 becomes 0.0, and so does
// 18446744073709551616.0, the text flowpool itself writes for 2^64 - 1: a record written by
// the jsonl sink does not read back. Expected values: Python's float() of the same text, in the
// fewest digits that read back as it (Python writes the second 1.2345678901234568e+17).
TEST(JsonlNumbers, FloatsWithManyDigitsReadAsTheNearestDouble) {
    const std::string dir = fresh_dir("many_digits");
    const std::string in = write(dir + "/in.jsonl",
                                 "{\"a\":0.12345678901234567890}\n"
                                 "{\"b\":123456789012345678.5}\n"
                                 "{\"c\":18446744073709551616.0}\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, sorted({R"({"a":0.12345678901234568})", R"({"b":123456789012345680.0})",
                               R"({"c":18446744073709551616.0})"}));
}

// A batch's records are filled again in place by the next batch the source decodes into it
// (values reused, src/ops/text_source.cpp): lines of changing shapes, in batches of 3, must come
// out as they went in, with nothing left of an earlier line's fields, lists or strings; and,
// with `fields:`, as exactly the fields asked for that each line has, in the order asked.
TEST(JsonlReuse, RecordsFilledInPlaceKeepNothingOfAnEarlierLine) {
    const std::string dir = fresh_dir("reuse");
    using Pairs = std::vector<std::pair<std::string, std::string>>;  // name, JSON text
    const std::vector<Pairs> shapes = {
        {{"a", "1"}, {"b", R"("a string longer than sixteen bytes")"}},
        {{"a", "[1,2,3]"}},
        {{"b", R"({"c":null,"d":[true,false]})"}, {"a", R"("s")"}},
        {},
        {{"a", R"({"a":{"a":1}})"}, {"z", "2.5"}},
        {{"x", R"("xx")"}, {"b", "[]"}, {"a", "[[1],[2,[3]]]"}},
        {{"b", "-7"}},
    };
    const auto text_of = [](const Pairs& pairs) {
        std::string text = "{";
        for (const auto& [name, value] : pairs) {
            text += (text.size() > 1 ? ",\"" : "\"") + name + "\":" + value;
        }
        return text + "}";
    };
    Lines lines;
    Lines picked;  // with fields: 'a,b'
    std::string in;
    for (std::size_t i = 0; i < 700; ++i) {
        const Pairs& shape = shapes[(i * 5 + i / 7) % shapes.size()];
        lines.push_back(text_of(shape));
        Pairs ab;
        for (const char* name : {"a", "b"}) {
            for (const auto& pair : shape) {
                if (pair.first == name) ab.push_back(pair);
            }
        }
        picked.push_back(text_of(ab));
        in += lines.back() + "\n";
    }
    const std::string path = write(dir + "/in.jsonl", in);
    Outcome run = run_jsonl(dir, path, Policy::fail, "", "--batch 3");
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, sorted(lines));
    run = run_jsonl(dir, path, Policy::fail, "fields: 'a,b'", "--batch 3");
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, sorted(picked));
}

// Every input jsonl_fuzz crashed on (tests/data/fuzz_regressions/jsonl/) goes through the
// fuzzer's property again: what parse_json reads, append_json_value writes, and that text reads
// back to an equal value.
TEST(JsonFuzzRegressions, WhatIsReadIsWrittenSoThatItReadsBackEqual) {
    const fs::path dir = fs::path(FLOWPOOL_SOURCE_DIR) / "tests/data/fuzz_regressions/jsonl";
    for (const auto& entry : fs::directory_iterator(dir)) {
        SCOPED_TRACE(entry.path().string());
        const std::string bytes = slurp(entry.path().string());
        flowpool::Value value;
        flowpool::Value again;
        flowpool::detail::JsonError error;
        if (!flowpool::detail::parse_json(bytes, value, error)) continue;
        std::string text;
        flowpool::detail::append_json_value(text, value);
        ASSERT_TRUE(flowpool::detail::parse_json(text, again, error))
            << text << ": " << error.reason;
        EXPECT_TRUE(again == value) << "written " << text << ", which reads back otherwise";
    }
}
