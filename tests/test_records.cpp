// JSON records end to end through the CLI, good ones: what the `jsonl` source makes of numbers,
// byte order marks, CRLF endings, gzip names and `fields:`, the `jsonl` sink writing records back
// as they came (also through `to_json` and `parse_json`), `{value.PATH}` in print formats, and the
// `parse_json` / `to_json` ops. Expectations come from the inputs (good lines are written in the
// compact form the sink writes, or compared as parsed JSON by Python), never from flowpool's own
// output. What goes wrong (bad lines, long lines, bad files) is in test_records_errors.cpp.

#include <gtest/gtest.h>
#include <flowpool/value.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "cli_runner.hpp"
#include "data/json.hpp"
#include "records_fixture.hpp"

namespace fs = std::filesystem;
using flowpool::test::CliResult;
using flowpool::test::run_cli;
using flowpool::test::slurp;

using flowpool::test::fresh_dir;
using flowpool::test::write;
using namespace flowpool::test::records_fixture;  // NOLINT(google-build-using-namespace)

namespace {

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

// -------------------------------------------------------- how numbers and files are read

TEST(JsonlNumbers, TwoToTheSixtyFourMinusOneBecomesTheNearestFloat) {
    // 2^64 - 1 is beyond int64: it becomes a float, which rounds to 2^64 and is written as one.
    // So does an integer below -2^63 (it failed its job), read whole or as a field asked for.
    const std::string dir = fresh_dir("2p64m1");
    const std::string in =
        write(dir + "/in.jsonl",
              "{\"x\":18446744073709551615}\n{\"y\":-9223372036854775808}\n"
              "{\"y\":-9223372036854775809}\n{\"y\":-99999999999999999999999}\n");
    const Lines read = sorted({R"({"x":18446744073709551616.0})", R"({"y":-9223372036854775808})",
                               R"({"y":-9223372036854775808.0})", R"({"y":-1e+23})"});
    const Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, read);
    const Outcome fields = run_jsonl(dir, in, Policy::fail, "fields: 'x,y'");
    EXPECT_EQ(fields.cli.exit_code, 0) << fields.cli.err;
    EXPECT_EQ(fields.out, read);
}

TEST(JsonlNumbers, ADuplicateKeyKeepsItsFirstPlaceAndItsLastValue) {
    const std::string dir = fresh_dir("dup");
    const std::string in =
        write(dir + "/in.jsonl", "{\"a\":1,\"a\":2}\n{\"a\":1,\"b\":2,\"a\":3}\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, sorted({R"({"a":2})", R"({"a":3,"b":2})"}));
}

TEST(JsonlFiles, AByteOrderMarkAndCrLfEndingsAreNotPartOfTheRecords) {
    const std::string dir = fresh_dir("bom");
    const std::string in =
        write(dir + "/in.jsonl", "\xEF\xBB\xBF{\"a\":1}\r\n{\"b\":\"x\\r\"}\r\n\r\n{\"c\":3}\r\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, sorted({R"({"a":1})", R"({"b":"x\r"})", R"({"c":3})"}));
}

TEST(JsonlFiles, AGzNamedFileHoldingPlainJsonIsReadAsText) {
    const std::string dir = fresh_dir("plain_gz");
    const std::string in = write(dir + "/x.jsonl.gz", "{\"a\":1}\n{\"b\":[2]}\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, sorted({R"({"a":1})", R"({"b":[2]})"}));
}

TEST(JsonlFiles, FieldsKeepsOnlyTheNamedFieldsInTheirOrder) {
    const std::string dir = fresh_dir("fields");
    const std::string in =
        write(dir + "/in.jsonl", "{\"a\":1,\"b\":{\"c\":[true]},\"d\":\"x\"}\n{\"d\":\"y\"}\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail, "fields: 'd, b'");
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, sorted({R"({"d":"x","b":{"c":[true]}})", R"({"d":"y"})"}));
}

// `fields:` takes names as the csv source's `columns:` does: an empty one is refused, not dropped.
TEST(JsonlFields, AnEmptyNameIsRefusedAtValidation) {
    const std::string dir = fresh_dir("empty_field");
    const std::string in = write(dir + "/in.jsonl", "{\"a\":1}\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail, "fields: 'a,,b'");
    EXPECT_EQ(run.cli.exit_code, 2);
    // The value's column: after "  src: { kind: source, op: jsonl, path: 'IN', fields: ".
    const std::string at = ":3:" + std::to_string(41 + in.size() + 11 + 1) + ": error: ";
    EXPECT_NE(run.cli.err.find(at + "parameter 'fields': name 2 is empty (names are "
                                    "comma-separated)\n"),
              std::string::npos)
        << run.cli.err;
}

// A source reads only the fields the nodes after it use, named in its `fields:`: a name that
// parameter cannot write (empty, or with a space at an end, which its names are trimmed of) made
// it read none of them (key and sum null); it reads every field then.
TEST(JsonlFields, NamesFieldsCannotWriteAreReadWhole) {
    const std::string dir = fresh_dir("odd_names");
    const std::string in = write(dir + "/in.jsonl", "{\"\":1,\"a\":2,\" b\":3}\n");
    const std::string graph = write(dir + "/odd.yaml",
                                    "graph: odd\nnodes:\n"
                                    "  src: { kind: source, op: jsonl, path: '" +
                                        in +
                                        "' }\n"
                                        "  sum: { kind: function, op: aggregate, key: '.[\"\"]',\n"
                                        "         fields: { n: 'count()', b: 'sum(.[\" b\"])' } }\n"
                                        "  out: { kind: sink, op: print, format: '{value}' }\n"
                                        "edges: [ 'src -> sum -> out' ]\n");
    const CliResult run = run_cli("run '" + graph + "'");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "{\"key\":1,\"n\":1,\"b\":3}\n");
}

// A `print` or `file` sink reads the fields its format shows ({value.user.id} reads `user`): a
// jsonl source before it reads only those, and one that shows a value whole ({value}, or
// {value[0]}) leaves the source reading every field.
TEST(JsonlFields, ASinkFormatReadsOnlyTheFieldsItShows) {
    const std::string dir = fresh_dir("format_fields");
    const std::string in = write(dir + "/in.jsonl",
                                 "{\"host\":\"a\",\"user\":{\"id\":7},\"n\":1}\n"
                                 "{\"n\":2,\"user\":{\"id\":8},\"host\":\"b\"}\n");
    const auto run_format = [&](const std::string& op, const std::string& format) {
        const std::string graph = write(
            dir + "/g.yaml", "nodes:\n  src: { kind: source, op: jsonl, path: '" + in +
                                 "' }\n  out: { kind: sink, op: " + op + ", format: '" + format +
                                 "', path: '" + dir + "/out.txt' }\nedges: [ 'src -> out' ]\n");
        return run_cli("run --log-level debug '" + graph + "'");
    };
    const std::string projected = "node 'src' reads only the fields the nodes after it use: ";
    const CliResult fields = run_format("file", "{id} {value.user.id} {value.host}");
    EXPECT_EQ(fields.exit_code, 0) << fields.err;
    EXPECT_TRUE(contains(fields.err, projected + "user,host\n")) << fields.err;
    EXPECT_EQ(sorted_lines(dir + "/out.txt"), sorted({"0 7 a", "1 8 b"}));
    const CliResult whole = run_format("file", "{id} {value.host} {value}");
    EXPECT_EQ(whole.exit_code, 0) << whole.err;
    EXPECT_FALSE(contains(whole.err, projected)) << whole.err;
    EXPECT_EQ(sorted_lines(dir + "/out.txt"),
              sorted({R"(0 a {"host":"a","user":{"id":7},"n":1})",
                      R"(1 b {"n":2,"user":{"id":8},"host":"b"})"}));
}

// A sink whose path is the file standard output is (`/dev/stdout`, here a file the runner sent
// it to) writes through standard output, as `-`: it emptied that file and wrote over it from its
// start, over what the print sink wrote there.
TEST(JsonlSink, APathThatIsStandardOutputIsWrittenAsStandardOutput) {
    const std::string dir = fresh_dir("dev_stdout");
    const std::string graph = write(dir + "/g.yaml",
                                    "nodes:\n  in: { kind: source, op: range, count: 50 }\n"
                                    "  p: { kind: sink, op: print, format: 'P{value}' }\n"
                                    "  j: { kind: sink, op: jsonl, path: /dev/stdout }\n"
                                    "edges: [ 'in -> p', 'in -> j' ]\n");
    const CliResult run = run_cli("run -q '" + graph + "'");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    std::vector<std::string> expected;
    for (int i = 0; i < 50; ++i) {
        const std::string n = std::to_string(i);
        expected.push_back(std::string("P").append(n));
        expected.push_back(std::string(R"({"id":)").append(n).append(R"(,"value":)").append(n) +
                           '}');
    }
    EXPECT_EQ(sorted(run.out_lines()), sorted(expected));
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
    // [-N] counts from the end, as in expressions; [-0] is no index.
    const CliResult last = print_users("{id} {value.tags[-1]}");
    EXPECT_EQ(last.exit_code, 1) << "users.jsonl line 3 has no tags[-1]";
    EXPECT_TRUE(contains(last.err, "error: node 'out' job 2: no .tags[-1] in the value"))
        << last.err;
    for (const std::string& line : last.out_lines())
        EXPECT_TRUE(line == "0 mobile" || line == "1 returning" || line == "3 x") << line;
    const CliResult zero = print_users("{value.tags[-0]}");
    EXPECT_EQ(zero.exit_code, 2);
    EXPECT_TRUE(contains(zero.err,
                         "a list index is written [N] (N from 0) or [-N] (from the end, "
                         "-1 the last) in '.tags[-0]'"))
        << zero.err;
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

TEST(RecordFormat, QuotedFieldNamesAsExpressionsWriteThem) {
    // `.["odd key"]` reads a field whose name has blanks, dots or braces, with the escapes of
    // the expression language's strings; it was a graph error (`a field name must follow '.'`).
    const std::string dir = fresh_dir("print_quoted");
    const std::string in =
        write(dir + "/in.jsonl",
              R"({"odd key":1,"a.b":"x","br}ace":2,"q\"uote":3,"\u00e9":4,"user":{"x y":"DE"}})"
              "\n");
    const auto print = [&](const std::string& format) {
        return run_cli("run '" +
                       write(dir + "/graph.yaml",
                             "nodes:\n"
                             "  src: { kind: source, op: jsonl, path: '" +
                                 in + "' }\n  out: { kind: sink, op: print, format: '" + format +
                                 "' }\nedges: [ 'src -> out' ]\n") +
                       "'");
    };
    const CliResult run = print(R"({value.["odd key"]} {value.["a.b"]} {value["br}ace"]} )"
                                R"({value.user["x y"]} {value.["q\"uote"]} {value.["\u00e9"]})");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "1 x 2 DE 3 4\n");
    // As jq writes them too: a quoted name after the dot, a dot before the brackets.
    const CliResult jq = print(R"({value."odd key"} {value.user.["x y"]} {value.user."x y"})");
    EXPECT_EQ(jq.exit_code, 0) << jq.err;
    EXPECT_EQ(jq.out, "1 DE DE\n");
    const CliResult single = print("{value.[''a.b'']}");  // YAML's '' is one '
    EXPECT_EQ(single.exit_code, 0) << single.err;
    EXPECT_EQ(single.out, "x\n");
    const CliResult missing = print(R"({value.["no such"]})");
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_TRUE(contains(missing.err, R"(error: node 'out' job 0: no .["no such"] in the value)"))
        << missing.err;
    // A malformed one is an error at its `{`, line 3, column 47 of the graph file.
    for (const auto& [format, reason] :
         {std::pair{R"({id} {value.["odd key})", R"(unclosed string in '.["odd key')"},
          std::pair{R"({id} {value."odd key})", R"(unclosed string in '."odd key')"},
          std::pair{R"({id} {value.["a\q"]})", R"(unknown escape '\q')"},
          std::pair{R"({id} {value.["a"x]})",
                    R"(expected ']' after the quoted field name in '.["a"x]')"},
          std::pair{R"({id} {value.[]})", "a list index is written [N]"}}) {
        SCOPED_TRACE(format);
        const CliResult bad = print(format);
        EXPECT_EQ(bad.exit_code, 2);
        EXPECT_TRUE(contains(bad.err, dir + "/graph.yaml:3:47: error: parameter 'format': "))
            << bad.err;
        EXPECT_TRUE(contains(bad.err, reason)) << bad.err;
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

// A float is written in the fewest digits that read back as it, as plain digits from 1e-5 to
// 1e17 (C++'s shortest form wrote 100000.0 as 1e+05 and a time in seconds as 1.7e+09), and with
// an exponent outside them, where plain digits would run long.
TEST(JsonlNumbers, FloatsAreWrittenInPlainDigitsFromOneHundredThousandthTo1e17) {
    const std::string dir = fresh_dir("plain_floats");
    const std::string in = write(dir + "/in.jsonl",
                                 "{\"a\":100000.0}\n{\"b\":1.7e9}\n{\"c\":0.0001}\n{\"d\":1e-7}\n"
                                 "{\"e\":1e20}\n{\"f\":-2.5e5}\n{\"g\":123456.789}\n{\"h\":0.0}\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, sorted({R"({"a":100000.0})", R"({"b":1700000000.0})", R"({"c":0.0001})",
                               R"({"d":1e-07})", R"({"e":1e+20})", R"({"f":-250000.0})",
                               R"({"g":123456.789})", R"({"h":0.0})"}));
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

// FINDING (src/data/json.cpp, parse_json): simdjson reads a scalar document only if it is the
// text's only token, and said "Unexpected trailing content" at the scalar (`1 2`: byte 1) where
// `{"a":1} 2` says "text after the JSON value" where the text starts. A scalar now says the same.
TEST(JsonOps, TextAfterAScalarIsPlacedWhereItStartsAsAfterAnObject) {
    const std::vector<std::pair<std::string, std::size_t>> after = {
        {"1 2", 2}, {"\"a\" \"b\"", 4}, {"true x", 5}, {"-2.5\t[1]", 5}, {"{\"a\":1} 2", 8}};
    for (const auto& [text, offset] : after) {
        flowpool::Value value;
        flowpool::detail::JsonError error;
        EXPECT_FALSE(flowpool::detail::parse_json(text, value, error)) << text;
        EXPECT_EQ(error.reason, "text after the JSON value") << text;
        EXPECT_EQ(error.offset, offset) << text;
    }
    for (const std::string text : {" 1 ", "1", "\"a\"\n"}) {
        flowpool::Value value;
        flowpool::detail::JsonError error;
        EXPECT_TRUE(flowpool::detail::parse_json(text, value, error))
            << text << ": " << error.reason;
    }
    // A scalar that is wrong itself is named first, as a member of an object would be.
    flowpool::Value value;
    flowpool::detail::JsonError error;
    EXPECT_FALSE(flowpool::detail::parse_json("1e400 2", value, error));
    EXPECT_EQ(error.offset, 0U);
    EXPECT_NE(error.reason, "text after the JSON value");

    const std::string dir = fresh_dir("scalar_after");
    const std::string in = write(dir + "/in.txt", "1 2\n");
    const std::string graph = write(dir + "/graph.yaml",
                                    "nodes:\n"
                                    "  src:   { kind: source, op: lines, path: '" +
                                        in +
                                        "' }\n"
                                        "  parse: { kind: function, op: parse_json }\n"
                                        "  out:   { kind: sink, op: print, format: '{value}' }\n"
                                        "edges: [ 'src -> parse -> out' ]\n");
    const CliResult run = run_cli("run '" + graph + "'");
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_TRUE(contains(run.err,
                         "node 'parse' job 0: not JSON at byte 3: text after the JSON "
                         "value"))
        << run.err;
}

// FINDING (src/data/json.cpp, parse_json): simdjson 3.0.1 refused a scalar followed by exactly one
// byte of whitespace (`null `: "The JSON element does not have the requested type", which is
// also all it said of a bare word like `not json`).
TEST(JsonOps, WhitespaceAfterAScalarIsIgnoredAndABareWordIsNamed) {
    for (const std::string text :
         {"null ", "null\t", "1 ", "true\r\n", "\"a\" ", "2.5 \n", "null"}) {
        flowpool::Value value;
        flowpool::detail::JsonError error;
        EXPECT_TRUE(flowpool::detail::parse_json(text, value, error))
            << '"' << text << "\": " << error.reason;
    }
    flowpool::Value value;
    flowpool::detail::JsonError error;
    ASSERT_TRUE(flowpool::detail::parse_json("null ", value, error));
    EXPECT_TRUE(value.is_null());
    for (const std::string text : {"not json", "nul", "truth "}) {
        EXPECT_FALSE(flowpool::detail::parse_json(text, value, error)) << text;
        EXPECT_EQ(error.reason, "not a JSON value (a string needs its quotes)") << text;
        EXPECT_EQ(error.offset, 0U) << text;
    }
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
