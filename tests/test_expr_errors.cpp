// Bad expressions: each is refused when the graph is validated, at the byte where the problem is,
// with a message that says what is wrong (and, where one fits, what was meant). Each row was
// read and judged by hand: the position is the first byte of the token or sub-expression at
// fault. At the end: how a graph file reports them, at FILE:LINE:COL inside the quotes.

#include <gtest/gtest.h>

#include <string>

#include <flowpool/graph.hpp>

#include "expr/expression.hpp"

namespace flowpool {
namespace {

struct Bad {
    const char* text;
    std::size_t offset;
    const char* message;
};

const Bad bad_expressions[] = {
    {R"x(.status >=)x", 10, R"x(expected a value, found the end)x"},
    {R"x(.status >= 500))x", 14, R"x(expected an operator or the end, found ')')x"},
    {R"x((.status >= 500)x", 15, R"x(expected ')', found the end)x"},
    {R"x(.status = 500)x", 8, R"x('=' is not an operator; did you mean '=='?)x"},
    {R"x(.status == 500 == true)x", 15, R"x(comparisons do not chain: write 'a < b and b < c')x"},
    {R"x(.a < .b < .c)x", 8, R"x(comparisons do not chain: write 'a < b and b < c')x"},
    {R"x(.status & 1)x", 8, R"x('&' is not an operator; did you mean 'and'?)x"},
    {R"x(.status | 1)x", 8, R"x('|' is not an operator; did you mean 'or'?)x"},
    {R"x(!.ok)x", 0, R"x('!' is not an operator; did you mean 'not' or '!='?)x"},
    {R"x(.status >= 500 and)x", 18, R"x(expected a value, found the end)x"},
    {R"x(and .x)x", 0, R"x(expected a value, found 'and')x"},
    {R"x(1 +)x", 3, R"x(expected a value, found the end)x"},
    {R"x(* 2)x", 0, R"x(expected a value, found '*')x"},
    {R"x(lower(.host)x", 11, R"x(expected ',' or ')', found the end)x"},
    {R"x(lower .host)x", 0,
     R"x(unknown name 'lower': fields are written '.lower', functions are called 'lower(...)')x"},
    {R"x(lower())x", 0, R"x(lower() takes 1 argument, not 0; lower(s: string) -> string)x"},
    {R"x(lower(.a, .b))x", 0, R"x(lower() takes 1 argument, not 2; lower(s: string) -> string)x"},
    {R"x(replace(.a, "b"))x", 0,
     R"x(replace() takes 3 arguments, not 2; replace(s: string, from: string, to: string) -> string)x"},
    {R"x(substr(.a))x", 0,
     R"x(substr() takes 2 to 3 arguments, not 1; substr(s: string, start: integer[, length: integer]) -> string)x"},
    {R"x(id(1))x", 0, R"x(id() takes 0 arguments, not 1; id() -> integer)x"},
    {R"x(if(.a, 1))x", 0, R"x(if() takes 3 arguments (condition, then, else), not 2)x"},
    {R"x(if(.a))x", 0, R"x(if() takes 3 arguments (condition, then, else), not 1)x"},
    {R"x(lowr(.host))x", 0, R"x(unknown function 'lowr'; did you mean 'lower'?)x"},
    {R"x(uper(.host))x", 0, R"x(unknown function 'uper'; did you mean 'upper'?)x"},
    {R"x(frobnicate(1))x", 0, R"x(unknown function 'frobnicate')x"},
    {R"x(status >= 500)x", 0,
     R"x(unknown name 'status': fields are written '.status', functions are called 'status(...)')x"},
    {R"x("unclosed)x", 0, R"x(unclosed string)x"},
    {R"x('unclosed)x", 0, R"x(unclosed string)x"},
    {R"x(.user."country)x", 6, R"x(unclosed string)x"},
    {R"x(.tags. [0])x", 5, R"x(expected an operator or the end, found '.')x"},
    {R"x("bad \q escape")x", 5, R"x(unknown escape '\q' (known: \n \t \r \0 \\ \" \' \uXXXX))x"},
    {R"x("\u12")x", 1, R"x(\u takes four hex digits)x"},
    {R"x("a\ude00")x", 2,
     R"x(\u escape of a lone surrogate: a character past U+FFFF is a high surrogate then a low one (\ud83d\ude00))x"},
    {R"x("\ud83d\u0041")x", 1,
     R"x(\u escape of a lone surrogate: a character past U+FFFF is a high surrogate then a low one (\ud83d\ude00))x"},
    {R"x(99999999999999999999)x", 0,
     R"x(integer 99999999999999999999 is out of range (-2^63 to 2^63-1); write it as a float)x"},
    {R"x(9223372036854775808)x", 0,
     R"x(integer 9223372036854775808 is out of range (-2^63 to 2^63-1); write it as a float)x"},
    {R"x(1 + - 9223372036854775808)x", 6,
     R"x(integer 9223372036854775808 is out of range (-2^63 to 2^63-1); write it as a float)x"},
    {R"x(-(9223372036854775808))x", 2,
     R"x(integer 9223372036854775808 is out of range (-2^63 to 2^63-1); write it as a float)x"},
    {R"x(1e999)x", 0, R"x(number 1e999 is out of range)x"},
    {R"x(12abc)x", 2, R"x(unexpected 'a' after a number)x"},
    {R"x(.status >= 500 500)x", 15, R"x(expected an operator or the end, found a number)x"},
    {R"x(.[)x", 2, R"x(expected a value, found the end)x"},
    {R"x(.tags[0)x", 7, R"x(expected ']', found the end)x"},
    {R"x([1, 2)x", 5, R"x(expected ',' or ']', found the end)x"},
    {R"x(lower(5))x", 6, R"x(argument 1 of lower() must be a string, not an integer)x"},
    {R"x(upper(true))x", 6, R"x(argument 1 of upper() must be a string, not a bool)x"},
    {R"x(len(12))x", 4,
     R"x(argument 1 of len() must be a string or a list or a record, not an integer)x"},
    {R"x("a" - 1)x", 0, R"x(an operand of '-' must be a number, not a string)x"},
    {R"x(1 + "a")x", 0, R"x(cannot add an integer and a string)x"},
    {R"x("a" < 1)x", 0, R"x(cannot compare a string with an integer)x"},
    {R"x(not 5)x", 4, R"x(an operand of 'not' must be a bool, not an integer)x"},
    {R"x(5 and true)x", 0, R"x(an operand of 'and' must be a bool, not an integer)x"},
    {R"x(.x =~ .y)x", 6, R"x('=~' takes a pattern written as a string literal)x"},
    {R"x(.x =~ "(")x", 6, R"x(bad regular expression: missing ): ()x"},
    {R"x(.x in 5)x", 6,
     R"x(the right operand of 'in' must be a string or a list or a record, not an integer)x"},
    {R"x(-"a")x", 1, R"x(an operand of '-' must be a number, not a string)x"},
    {R"x(round(1.5, "2"))x", 11, R"x(argument 2 of round() must be an integer, not a string)x"},
    {R"x(split(.a, 1))x", 10, R"x(argument 2 of split() must be a string, not an integer)x"},
    {R"x(join("x", ","))x", 5, R"x(argument 1 of join() must be a list, not a string)x"},
    {R"x(keys([1]))x", 5, R"x(argument 1 of keys() must be a record, not a list)x"},
    {R"x(format_time("x"))x", 12,
     R"x(argument 1 of format_time() must be a number, not a string)x"},
    {R"x(contains(.a, 1))x", 13, R"x(argument 2 of contains() must be a string, not an integer)x"},
    {R"x(,)x", 0, R"x(expected a value, found ',')x"},
    {R"x(.a ,)x", 3, R"x(expected an operator or the end, found ',')x"},
    {R"x(@x)x", 0, R"x(unexpected character '@')x"},
    {R"x(.a ?? )x", 6, R"x(expected a value, found the end)x"},
    {R"x(())x", 1, R"x(expected a value, found ')')x"},
    {R"x((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))x",
     64, R"x(expression nested deeper than 64 levels)x"},
};

class BadExpression : public ::testing::TestWithParam<Bad> {};

TEST_P(BadExpression, IsRefusedWhereTheProblemIs) {
    const Bad& bad = GetParam();
    try {
        static_cast<void>(expr::Expression::compile(bad.text));
        FAIL() << "accepted: " << bad.text;
    } catch (const expr::ParseError& error) {
        EXPECT_EQ(error.what(), std::string(bad.message)) << bad.text;
        EXPECT_EQ(error.offset(), bad.offset) << bad.text;
    }
}

INSTANTIATE_TEST_SUITE_P(Expr, BadExpression, ::testing::ValuesIn(bad_expressions));

TEST(ExprErrors, AtLeastFortyAreCovered) { EXPECT_GE(std::size(bad_expressions), 40U); }

TEST(ExprErrors, AggregateCalls) {
    const std::vector<expr::CallShape> shapes = {{"count", 0}, {"sum", 1}, {"p99", 1}};
    const expr::Call call = expr::parse_call("p99(.latency_ms * 2)", shapes);
    EXPECT_EQ(call.name, "p99");
    ASSERT_EQ(call.args.size(), 1U);
    EXPECT_EQ(call.args[0].text(), ".latency_ms * 2");
    const auto refused = [&](const char* text) -> std::pair<std::size_t, std::string> {
        try {
            static_cast<void>(expr::parse_call(text, shapes));
        } catch (const expr::ParseError& error) {
            return {error.offset(), error.what()};
        }
        return {0, "(accepted)"};
    };
    EXPECT_EQ(refused("p98(.x)"),
              std::make_pair(std::size_t{0},
                             std::string("unknown aggregate 'p98'; did you mean 'p99'? (known: "
                                         "count, sum, p99)")));
    EXPECT_EQ(refused("count(.x)"),
              std::make_pair(std::size_t{0}, std::string("count() takes 0 arguments, not 1")));
    EXPECT_EQ(refused("sum(.x) + 1"),
              std::make_pair(std::size_t{8}, std::string("unexpected '+' after the call")));
    EXPECT_EQ(refused("sum(lowr(.x))"),
              std::make_pair(std::size_t{4},
                             std::string("unknown function 'lowr'; did you mean 'lower'?")));
    EXPECT_EQ(refused(".x"),
              std::make_pair(std::size_t{0}, std::string("expected a call such as 'count()', "
                                                         "found '.x'")));
}

TEST(ExprErrors, AConditionMustBeAbleToGiveABoolNullAside) {
    const auto as_condition = [](const char* text) -> std::string {
        try {
            expr::Expression::compile(text).require_gives(expr::bool_type | expr::null_type,
                                                          "the condition");
        } catch (const expr::ParseError& error) {
            return std::to_string(error.offset()) + ": " + error.what();
        }
        return "accepted";
    };
    // max() of one list gives one of its items, a bool too (max([true]) is true).
    for (const char* fine :
         {".status >= 500", ".ok", ".ok ?? false", "null", "if(.a, true, null)", "max(.flags)"})
        EXPECT_EQ(as_condition(fine), "accepted") << fine;
    // Null in arithmetic gives null, so these could give null, but never a bool.
    EXPECT_EQ(as_condition(".status + 1"),
              "0: the condition must be a bool, not a number or a string or a list");
    EXPECT_EQ(as_condition(" -.x"), "1: the condition must be a bool, not a number");
    EXPECT_EQ(as_condition("lower(.host)"), "0: the condition must be a bool, not a string");
    EXPECT_EQ(as_condition("max(.a, .b)"),
              "0: the condition must be a bool, not a number or a string");
    // Where null is not allowed, the literal null is refused too.
    try {
        expr::Expression::compile("null").require_gives(expr::number_type, "the event time");
        ADD_FAILURE() << "accepted: null";
    } catch (const expr::ParseError& error) {
        EXPECT_EQ(std::string(error.what()), "the event time must be a number, not null");
    }
}

TEST(ExprErrors, AGraphFileNamesTheColumnInsideTheExpression) {
    const std::string text =
        "graph: bad\n"
        "nodes:\n"
        "  events: { kind: source, op: jsonl, path: x.jsonl }\n"
        "  errors: { kind: filter, op: where, expr: \".status >= 500 and lowr(.host) == 'x'\" }\n"
        "  by_host: { kind: function, op: aggregate, key: .host + 1 -,\n"
        "             fields: { n: 'count()', p98: \"p98(.latency_ms)\", bad: sum(.a +) } }\n"
        "  out: { kind: sink, op: print }\n"
        "edges:\n"
        "  - events -> errors -> by_host -> out\n";
    std::string message;
    try {
        validate(parse_graph(text, "bad.yaml"), OpRegistry{});
    } catch (const ConfigError& error) {
        message = error.what();
    }
    // Columns: the first byte of the problem in each line above (plain, single- and
    // double-quoted scalars alike).
    EXPECT_NE(message.find("bad.yaml:4:64: error: parameter 'expr': unknown function 'lowr'; did "
                           "you mean 'lower'?"),
              std::string::npos)
        << message;
    EXPECT_NE(
        message.find("bad.yaml:5:61: error: parameter 'key': expected a value, found the end"),
        std::string::npos)
        << message;
    EXPECT_NE(message.find("bad.yaml:6:44: error: parameter 'fields.p98': unknown aggregate 'p98'; "
                           "did you mean 'p90'?"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("bad.yaml:6:76: error: parameter 'fields.bad': expected a value, found "
                           "')'"),
              std::string::npos)
        << message;
}

// An aggregate field named as a field its records have already (`key`, `window_start`,
// `window_end`) made a record with that name twice, one value lost on the way out (a `csv` sink
// wrote the key twice, the sum nowhere); an `every_ms` past about 31 years overflowed the clock,
// and every batch closed a window. Both are refused where they are written.
TEST(ExprErrors, AggregateFieldsAndWindowsThatCannotWorkAreRefused) {
    const auto message = [](const std::string& params) {
        try {
            validate(parse_graph("nodes:\n  jobs: { kind: source, op: range, count: 3 }\n"
                                 "  agg: { kind: function, op: aggregate, " +
                                     params +
                                     " }\n  out: { kind: sink, op: print }\n"
                                     "edges: [ 'jobs -> agg -> out' ]\n",
                                 "a.yaml"),
                     OpRegistry{});
        } catch (const ConfigError& error) {
            return std::string(error.what());
        }
        return std::string("accepted");
    };
    for (const std::string name : {"key", "window_start", "window_end"}) {
        EXPECT_EQ(message("key: '. % 2', fields: { n: 'count()', " + name + ": 'sum(.)' }"),
                  "a.yaml:3:79: error: parameter 'fields': key '" + name + "': '" + name +
                      "' is a field every record of aggregate has (the group's key, its "
                      "window): name the aggregate otherwise")
            << name;
    }
    EXPECT_EQ(message("fields: { keys: 'count()' }"), "accepted");
    EXPECT_EQ(message("fields: { n: 'count()' }, window: { every_ms: 1000000000001 }"),
              "a.yaml:3:87: error: parameter 'window.every_ms': must be at most 1000000000000 "
              "(about 31 years)");
    EXPECT_EQ(message("fields: { n: 'count()' }, window: { every_ms: 1000000000000 }"), "accepted");
}

// A field read of values that have none (`.status` of an integer) would fail every job that
// reaches it: refused when the graph is validated, where the op (or the key) is, naming the node
// that gives such values. Values that may have fields (records, `any`: parse_json's) pass.
TEST(ExprErrors, AFieldOfValuesThatHaveNoneIsRefusedAtValidation) {
    const auto problems = [](const std::string& source, const std::string& reader,
                             const std::string& sink = "{ kind: sink, op: print }") {
        const std::string text = "nodes:\n  in: " + source + "\n  mid: " + reader +
                                 "\n  out: " + sink + "\nedges: [ 'in -> mid -> out' ]\n";
        try {
            validate(parse_graph(text, "v.yaml"), OpRegistry{});
        } catch (const ConfigError& error) {
            return std::string(error.what());
        }
        return std::string("accepted");
    };
    const std::string numbers = "{ kind: source, op: range, count: 3 }";
    const std::string lines = "{ kind: source, op: lines, path: x }";
    const std::string records = "{ kind: source, op: jsonl, path: x }";
    EXPECT_EQ(problems(numbers, "{ kind: filter, op: where, expr: '.status >= 500' }"),
              "v.yaml:3:28: error: op 'where' reads field 'status' of its values, but node 'in' "
              "gives integer values, which have no fields");
    EXPECT_EQ(problems(lines,
                       "{ kind: function, op: aggregate, key: .host, fields: { n: "
                       "'count()' } }"),
              "v.yaml:3:30: error: op 'aggregate' reads field 'host' of its values, but node 'in' "
              "gives string values, which have no fields");
    EXPECT_EQ(problems(lines, "{ kind: function, op: map, key: .user.id }"),
              "v.yaml:3:40: error: the key of node 'mid' reads field 'user' of its values, but "
              "node 'in' gives string values, which have no fields");
    const std::string pass = "{ kind: filter, op: where, expr: '. > 1' }";
    EXPECT_EQ(problems(numbers, pass, "{ kind: sink, op: print, format: '{id}: {value.n}' }"),
              "v.yaml:4:26: error: op 'print' reads field 'n' of its values, but node 'mid' gives "
              "integer values, which have no fields");
    for (const char* fine : {"{ kind: filter, op: where, expr: '. > 1' }",
                             "{ kind: function, op: map, key: '. % 2' }"})
        EXPECT_EQ(problems(numbers, fine), "accepted") << fine;
    EXPECT_EQ(problems(numbers, pass, "{ kind: sink, op: print, format: '{id} {value}' }"),
              "accepted");
    EXPECT_EQ(problems(records, "{ kind: filter, op: where, expr: '.status >= 500' }"), "accepted");
    EXPECT_EQ(problems(lines, "{ kind: function, op: parse_json }"), "accepted");
}

// A `jsonl` source's `fields:` that leaves out a field the nodes after it read makes that field
// missing from every record (a `where` on it drops every job): `flowpool validate` warns, at
// the source's `fields:`.
TEST(ExprErrors, AFieldTheSourceLeavesOutIsAWarning) {
    const auto warned = [](const std::string& fields) {
        const GraphSpec graph = parse_graph(
            "nodes:\n  events: { kind: source, op: jsonl, path: x.jsonl, fields: '" + fields +
                "' }\n  errors: { kind: filter, op: where, expr: '.status >= 500' }\n"
                "  out: { kind: sink, op: print, format: '{value.host}' }\n"
                "edges: [ 'events -> errors -> out' ]\n",
            "w.yaml");
        validate(graph, OpRegistry{});
        std::string text;
        for (const ConfigError::Problem& w : warnings(graph, OpRegistry{}))
            text += w.where.to_string() + ": " + w.message + "\n";
        return text;
    };
    EXPECT_EQ(warned("host"),
              "w.yaml:2:61: node 'events' reads only the fields \"host\", but the nodes after it "
              "read 'status': it is missing from every record\n");
    EXPECT_EQ(warned("status,host"), "");
    // The names as read (blanks around them are not theirs), not the text as written.
    EXPECT_EQ(warned(" host ,  user"),
              "w.yaml:2:61: node 'events' reads only the fields \"host,user\", but the nodes "
              "after it read 'status': it is missing from every record\n");
}

}  // namespace
}  // namespace flowpool
