// The string ops (upper, lower, grep, replace, length, hash, parse_int) and the integer ops
// beside them (multiply, spin, range into to_json, strings among integers), through graph files
// at 1, 2, 4 and 8 workers; and what validation checks of them: the value types along edges, RE2
// patterns and the groups a replacement names. The lines source and the sinks are in test_ops.cpp.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ops/spin.hpp"
#include "ops_fixture.hpp"
#include "validation_problems.hpp"

namespace {

using namespace flowpool::test::ops_fixture;  // NOLINT(google-build-using-namespace)

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
    return flowpool::test::validation_problems(flowpool::parse_graph(yaml, "v.yaml"),
                                               flowpool::OpRegistry{}, "");
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

}  // namespace
