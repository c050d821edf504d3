// Parameters that are lists and maps: how they load (each element with its position, and where a
// scalar's text starts), how validation checks them against an op's declaration (shapes, element
// types, keys, checks pointing inside a text), how an op reads them, and `--set` with flow values.

#include <gtest/gtest.h>
#include <flowpool/flowpool.hpp>

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "graphfile/resolve.hpp"
#include "validation_problems.hpp"

namespace {

using flowpool::ParamType;

/// A check that points at the first '!' of a text.
void no_bang(const std::string& text) {
    if (const auto at = text.find('!'); at != std::string::npos) {
        throw flowpool::ParamTextError(at, "'!' is not allowed here");
    }
}

/// A registry with `shapes`, an op declaring a parameter of each shape.
flowpool::OpRegistry shape_ops() {
    flowpool::OpRegistry ops;
    const std::vector<flowpool::ParamInfo> case_fields = {
        {.name = "when", .check = no_bang},
        {.name = "to"},
        {.name = "weight", .type = ParamType::integer, .default_value = "1"}};
    ops.add(
        {.name = "shapes",
         .kind = flowpool::NodeKind::function,
         .description = "takes lists and maps",
         .params =
             {{.name = "remove", .type = ParamType::list, .default_value = "", .check = no_bang},
              {.name = "set", .type = ParamType::map, .default_value = "", .check = no_bang},
              {.name = "sizes",
               .type = ParamType::list,
               .default_value = "",
               .items = ParamType::integer},
              {.name = "cases",
               .type = ParamType::list,
               .default_value = "",
               .items = ParamType::map,
               .fields = case_fields},
              {.name = "expr", .default_value = "", .check = no_bang}},
         .make_stage = [](const flowpool::Params&) -> std::unique_ptr<flowpool::StageBody> {
             return nullptr;
         }});
    return ops;
}

/// A graph whose node `x` (op `shapes`) has @p lines as its parameters, from line 7 on.
std::string graph_with(const std::string& lines) {
    return "nodes:\n"
           "  jobs: { kind: source, op: range, count: 3 }\n"
           "  out: { kind: sink, op: print }\n"
           "  x:\n"
           "    kind: function\n"
           "    op: shapes\n" +
           lines + "edges: [ \"jobs -> x -> out\" ]\n";
}

/// The problems validating @p graph reports, or "ok".
std::string problems(const flowpool::GraphSpec& graph) {
    return flowpool::test::validation_problems(graph, shape_ops(), "ok");
}

std::string problems(const std::string& lines) {
    return problems(flowpool::parse_graph(graph_with(lines), "p.yaml"));
}

/// Node `x`'s parameters, as its op's factory gets them.
flowpool::Params params_of(const flowpool::GraphSpec& graph) {
    const flowpool::OpRegistry ops = shape_ops();
    for (const auto& node : flowpool::detail::resolve(graph, ops)) {
        if (node.spec->name == "x") return node.params;
    }
    throw std::logic_error("no node x");
}

TEST(Params, ListsAndMapsLoadWithEveryElementsPosition) {
    const flowpool::GraphSpec graph =
        flowpool::parse_graph(graph_with("    remove: [ab, 'cd', \"ef\"]\n"
                                         "    cases:\n"
                                         "      - { when: w, to: out }\n"),
                              "p.yaml");
    const flowpool::ParamSpec& remove = *graph.nodes[2].param("remove");
    EXPECT_EQ(remove.shape, flowpool::ParamSpec::Shape::list);
    EXPECT_EQ(remove.where.to_string(), "p.yaml:7:13");
    ASSERT_EQ(remove.items.size(), 3u);
    EXPECT_EQ(remove.items[1].value, "cd");
    EXPECT_EQ(remove.items[1].where.to_string(), "p.yaml:7:18");       // the quote
    EXPECT_EQ(remove.items[1].text_where.to_string(), "p.yaml:7:19");  // the text
    EXPECT_EQ(remove.items[0].text_where.to_string(), "p.yaml:7:14");  // plain: no quote
    EXPECT_EQ(remove.items[2].at(1).to_string(), "p.yaml:7:26");
    const flowpool::ParamSpec& cases = *graph.nodes[2].param("cases");
    ASSERT_EQ(cases.items.size(), 1u);
    EXPECT_EQ(cases.items[0].shape, flowpool::ParamSpec::Shape::map);
    ASSERT_EQ(cases.items[0].items.size(), 2u);
    EXPECT_EQ(cases.items[0].items[1].name, "to");
    EXPECT_EQ(cases.items[0].items[1].name_where.to_string(), "p.yaml:9:20");
    EXPECT_EQ(cases.items[0].items[1].where.to_string(), "p.yaml:9:24");
}

TEST(Params, AnOffsetErrorPointsInsidePlainAndQuotedText) {
    EXPECT_EQ(problems("    remove: [ab!c, 'de!f', \"gh!i\"]\n"
                       "    expr: \"a >= !\"\n"),
              "p.yaml:7:16: error: parameter 'remove[0]': '!' is not allowed here\n"
              "p.yaml:7:23: error: parameter 'remove[1]': '!' is not allowed here\n"
              "p.yaml:7:31: error: parameter 'remove[2]': '!' is not allowed here\n"
              "p.yaml:8:17: error: parameter 'expr': '!' is not allowed here");
    EXPECT_EQ(problems("    cases:\n"
                       "      - when: ok\n"
                       "        to: out\n"
                       "      - { to: out, when: 'x!' }\n"),
              "p.yaml:10:28: error: parameter 'cases[1].when': '!' is not allowed here");
}

TEST(Params, AnOffsetErrorPointsAtTheStartOfTextNotWrittenAsRead) {
    ::unsetenv("FLOWPOOL_TEST_UNSET");
    // A variable changes the text, and a block scalar starts at `|`; an escape and a doubled quote
    // are counted as written.
    EXPECT_EQ(
        problems("    set: { a: \"t\\tx!\", b: 'it''s!', c: \"${FLOWPOOL_TEST_UNSET:-v}!\" }\n"
                 "    expr: |\n"
                 "      ok!\n"),
        "p.yaml:7:20: error: parameter 'set.a': '!' is not allowed here\n"
        "p.yaml:7:33: error: parameter 'set.b': '!' is not allowed here\n"
        "p.yaml:7:40: error: parameter 'set.c': '!' is not allowed here\n"
        "p.yaml:8:11: error: parameter 'expr': '!' is not allowed here");
}

// A format's mistake is reported at its field (or stray brace), in every op and node setting that
// takes a format, as an expression's is: inside plain and quoted scalars (escapes counted as
// written), at the start of a block scalar.
TEST(Params, AFormatErrorPointsAtItsFieldInEveryParameterThatTakesOne) {
    const std::string fields =
        "; fields are {id}, {value}, {value.FIELD}, {worker}, {node}, {file}";
    try {
        flowpool::validate(
            flowpool::parse_graph(
                "nodes:\n"
                "  jobs: { kind: source, op: range, count: 3 }\n"
                "  run: { kind: function, op: exec, log: 'x {value.} y',\n"
                "         command: [echo, 'a {nope}'], stdin: \"b }\", cwd: \"c{\",\n"
                "         env: { A: \"{id}{y}\" } }\n"
                "  escaped: { kind: sink, op: file, path: '-', format: \"t\\tx {job}\" }\n"
                "  out:\n"
                "    kind: sink\n"
                "    op: print\n"
                "    format: ok {value.x} {job}\n"
                "  block:\n"
                "    kind: sink\n"
                "    op: print\n"
                "    format: |\n"
                "      ok {jab}\n"
                "edges: [ \"jobs -> run -> escaped\", run -> out, run -> block ]\n",
                "f.yaml"),
            flowpool::OpRegistry{});
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "f.yaml:3:44: error: parameter 'log': a field name must follow '.' in '.'\n"
                  "f.yaml:4:29: error: parameter 'command[1]': unknown field '{nope}' in format" +
                      fields +
                      "\n"
                      "f.yaml:4:49: error: parameter 'stdin': unmatched '}' in format (write '}}' "
                      "for a brace)\n"
                      "f.yaml:4:60: error: parameter 'cwd': unclosed '{' in format (write '{{' for "
                      "a brace)\n"
                      "f.yaml:5:25: error: parameter 'env.A': unknown field '{y}' in format" +
                      fields +
                      "\n"
                      "f.yaml:6:61: error: parameter 'format': unknown field '{job}' in format" +
                      fields +
                      "\n"
                      "f.yaml:10:26: error: parameter 'format': unknown field '{job}' in format" +
                      fields +
                      "\n"
                      "f.yaml:14:13: error: parameter 'format': unknown field '{jab}' in format" +
                      fields);
    }
}

TEST(Params, ShapesTheOpDoesNotTakeAreErrorsAtTheirPosition) {
    EXPECT_EQ(problems("    remove: { a: b }\n"
                       "    set: [a]\n"
                       "    expr: [a]\n"
                       "    sizes: [1, two]\n"
                       "    concurrency: { n: 2 }\n"
                       "    remov: [a]\n"),
              "p.yaml:7:13: error: parameter 'remove' of op 'shapes' takes a list, not a map\n"
              "p.yaml:8:10: error: parameter 'set' of op 'shapes' takes a map, not a list\n"
              "p.yaml:9:11: error: parameter 'expr' of op 'shapes' takes a single value, not a "
              "list\n"
              "p.yaml:10:16: error: parameter 'sizes[1]' must be an integer, not 'two'\n"
              "p.yaml:11:18: error: parameter 'concurrency' takes a single value, not a map\n"
              "p.yaml:12:5: error: unknown parameter 'remov' for op 'shapes'; did you mean "
              "'remove'?");
    EXPECT_EQ(problems("    remove: a\n"),
              "p.yaml:7:13: error: parameter 'remove' of op 'shapes' takes a list, not a single "
              "value");
}

// `--set x.set.a=1` (or `set.a: 1` in the file) names a key of a map parameter as if it were a
// parameter: the error says to give the map whole, and how; a list or single-value parameter
// gets the usual suggestion.
TEST(Params, AKeyOfAMapParameterIsToldToGiveTheMapWhole) {
    EXPECT_EQ(problems("    set.a: \".b\"\n"),
              "p.yaml:7:5: error: unknown parameter 'set.a' for op 'shapes'; 'set' is given whole, "
              "as a map: set: { a: .b } (with --set: 'x.set={ a: .b }')");
    flowpool::GraphSpec graph = flowpool::parse_graph(graph_with(""), "p.yaml");
    flowpool::set_param(graph, "x.set.a=1");
    EXPECT_EQ(problems(graph),
              "p.yaml: --set x.set.a=1: error: unknown parameter 'set.a' for op 'shapes'; 'set' is "
              "given whole, as a map: set: { a: 1 } (with --set: 'x.set={ a: 1 }')");
    EXPECT_EQ(problems("    set.a: '.b ?? \"x\"'\n"),
              "p.yaml:7:5: error: unknown parameter 'set.a' for op 'shapes'; 'set' is given whole, "
              "as a map: set: { a: \".b ?? \\\"x\\\"\" } (with --set: 'x.set={ a: \".b ?? "
              "\\\"x\\\"\" }')");
    EXPECT_EQ(problems("    remove.a: b\n"),
              "p.yaml:7:5: error: unknown parameter 'remove.a' for op 'shapes'; did you mean "
              "'remove'?");
}

TEST(Params, AListOfMapsChecksEachMapsKeys) {
    EXPECT_EQ(problems("    cases:\n"
                       "      - { when: a, to: out }\n"
                       "      - [when, to]\n"
                       "      - { whn: a, to: out }\n"
                       "      - { when: a, weight: heavy }\n"),
              "p.yaml:9:9: error: parameter 'cases[1]' of op 'shapes' takes a map, not a list\n"
              "p.yaml:10:9: error: parameter 'cases[2]' of op 'shapes' is missing key 'when' "
              "(string)\n"
              "p.yaml:10:11: error: unknown key 'whn' in parameter 'cases[2]' of op 'shapes'; did "
              "you mean 'when'?\n"
              "p.yaml:11:9: error: parameter 'cases[3]' of op 'shapes' is missing key 'to' "
              "(string)\n"
              "p.yaml:11:28: error: parameter 'cases[3].weight' must be an integer, not 'heavy'");
}

TEST(Params, ADuplicateKeyInAMapIsAnErrorAtTheDuplicate) {
    try {
        static_cast<void>(flowpool::parse_graph(graph_with("    set: { a: 1, b: 2, a: 3 }\n"
                                                           "    cases: [{ to: x, to: y }]\n"),
                                                "p.yaml"));
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "p.yaml:7:24: error: duplicate key 'a' in 'set' of node 'x' (first on line "
                     "7)\n"
                     "p.yaml:8:22: error: duplicate key 'to' in 'cases[0]' of node 'x' (first on "
                     "line 8)");
    }
}

TEST(Params, AnOpReadsListsAndMapsInFileOrderWithDefaults) {
    const flowpool::Params params = params_of(flowpool::parse_graph(
        graph_with("    remove: [b, a]\n"
                   "    set: { z: \"1\", a: .x }\n"
                   "    cases: [{ when: w1, to: out }, { to: out, when: w2, weight: 3 }]\n"),
        "p.yaml"));
    EXPECT_EQ(params.list("remove"), (std::vector<std::string>{"b", "a"}));
    ASSERT_EQ(params.items("set").size(), 2u);
    EXPECT_EQ(params.items("set")[0].key, "z");
    EXPECT_EQ(params.items("set")[1].key, "a");
    EXPECT_EQ(params.items("set")[1].text, ".x");
    EXPECT_EQ(params.map("set").string("a"), ".x");
    const std::vector<flowpool::Params> cases = params.maps("cases");
    ASSERT_EQ(cases.size(), 2u);
    EXPECT_EQ(cases[0].string("when"), "w1");
    EXPECT_EQ(cases[0].integer("weight"), 1);  // its default
    EXPECT_EQ(cases[1].string("when"), "w2");
    EXPECT_EQ(cases[1].integer("weight"), 3);
    EXPECT_TRUE(params.has("sizes"));  // not given: empty
    EXPECT_TRUE(params.list("sizes").empty());
    EXPECT_EQ(params.string("expr"), "");
    EXPECT_THROW(static_cast<void>(params.items("expr")), flowpool::UsageError);
    EXPECT_THROW(static_cast<void>(params.string("remove")), flowpool::UsageError);
}

TEST(Params, SetTakesFlowListsAndMapsAndKeepsTheirTextForSingleValues) {
    flowpool::GraphSpec graph = flowpool::parse_graph(graph_with("    remove: [old]\n"), "p.yaml");
    flowpool::set_param(graph, "x.remove=[a, 'b c']");
    flowpool::set_param(graph, "x.set={k: v}");
    flowpool::set_param(graph, "x.cases=[{when: w, to: out}]");
    flowpool::set_param(graph, "x.expr={value}");  // a single value: read as typed
    flowpool::set_param(graph, "out.format={id} {value}");
    const flowpool::Params params = params_of(graph);
    EXPECT_EQ(params.list("remove"), (std::vector<std::string>{"a", "b c"}));
    EXPECT_EQ(params.map("set").string("k"), "v");
    EXPECT_EQ(params.maps("cases").at(0).string("to"), "out");
    EXPECT_EQ(params.string("expr"), "{value}");
    EXPECT_EQ(graph.nodes[2].param("remove")->name_where.to_string(), "p.yaml:7:5");

    flowpool::set_param(graph, "x.remove=a");
    flowpool::set_param(graph, "x.set=[a]");
    flowpool::set_param(graph, "x.sizes=[1, *b]");  // a flow list YAML cannot read: says why
    EXPECT_EQ(
        problems(graph),
        "p.yaml: --set x.remove=a: error: parameter 'remove' of op 'shapes' takes a list, not a "
        "single value\n"
        "p.yaml: --set x.set=[a]: error: parameter 'set' of op 'shapes' takes a map, not a list\n"
        "p.yaml: --set x.sizes=[1, *b]: error: parameter 'sizes' of op 'shapes' takes a list, not "
        "a "
        "single value ('[1, *b]' is not YAML: the referenced anchor is not defined)");
    try {
        flowpool::set_param(graph, "x.set={a: 1, a: 2}");
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_STREQ(e.what(), "p.yaml: --set x.set={a: 1, a: 2}: error: duplicate key 'a'");
    }
}

TEST(Params, AnOpDeclaringAShapeItCannotHaveIsAUsageError) {
    const auto op_with = [](flowpool::ParamInfo param) {
        return flowpool::OpInfo{
            .name = "bad",
            .kind = flowpool::NodeKind::sink,
            .params = {std::move(param)},
            .make_sink = [](const flowpool::Params&) -> std::unique_ptr<flowpool::SinkBody> {
                return nullptr;
            }};
    };
    flowpool::OpRegistry ops;
    EXPECT_THROW(ops.add(op_with({.name = "l", .type = ParamType::list, .default_value = "[]"})),
                 flowpool::UsageError);
    EXPECT_THROW(ops.add(op_with({.name = "l", .type = ParamType::list, .items = ParamType::list})),
                 flowpool::UsageError);
    EXPECT_THROW(ops.add(op_with({.name = "s", .fields = {{.name = "f"}}})), flowpool::UsageError);
    EXPECT_NO_THROW(
        ops.add(op_with({.name = "m", .type = ParamType::map, .fields = {{.name = "f"}}})));
    // A default its type cannot read failed every node that left the parameter out.
    EXPECT_THROW(
        ops.add(op_with({.name = "n", .type = ParamType::integer, .default_value = "abc"})),
        flowpool::UsageError);
    EXPECT_THROW(
        ops.add(op_with({.name = "b", .type = ParamType::boolean, .default_value = "yes"})),
        flowpool::UsageError);
}

TEST(Params, NamesAGraphFileCannotWriteAreRefused) {
    const auto sink_named = [](std::string name) {
        return flowpool::OpInfo{
            .name = std::move(name),
            .kind = flowpool::NodeKind::sink,
            .make_sink = [](const flowpool::Params&) -> std::unique_ptr<flowpool::SinkBody> {
                return nullptr;
            }};
    };
    flowpool::OpRegistry ops;
    EXPECT_THROW(ops.add(sink_named("")), flowpool::UsageError);
    EXPECT_THROW(ops.add(sink_named("has space")), flowpool::UsageError);
    EXPECT_NO_THROW(ops.add(sink_named("my_sink.v2")));
    struct Thing {};
    EXPECT_THROW(ops.add_type<Thing>(""), flowpool::UsageError);
    EXPECT_NO_THROW(ops.add_type<Thing>("thing"));
    EXPECT_NO_THROW(ops.add_type<Thing>("thing"));  // the same again: nothing new
    EXPECT_THROW(ops.add_type<Thing>("other"), flowpool::UsageError);
}

TEST(Params, AnOpNameMeansOneOpWhateverItsKind) {
    const auto op = [](std::string name, flowpool::NodeKind kind) {
        flowpool::OpInfo info{.name = std::move(name), .kind = kind};
        info.make_source = [](const flowpool::Params&) -> std::unique_ptr<flowpool::SourceBody> {
            return nullptr;
        };
        info.make_stage = [](const flowpool::Params&) -> std::unique_ptr<flowpool::StageBody> {
            return nullptr;
        };
        info.make_sink = [](const flowpool::Params&) -> std::unique_ptr<flowpool::SinkBody> {
            return nullptr;
        };
        return info;
    };
    const auto error = [](const std::function<void()>& f) -> std::string {
        try {
            f();
        } catch (const flowpool::UsageError& e) {
            return e.what();
        }
        return "";
    };
    using flowpool::NodeKind;
    flowpool::OpRegistry ops;
    // A plugin's function `print` or filter `multiply` would sit beside the built-in ops.
    EXPECT_EQ(error([&] { ops.add(op("print", NodeKind::function)); }),
              "op 'print' is registered already as a sink op, and cannot be a function op too "
              "(only a source and a sink may share a name)");
    EXPECT_NE(error([&] { ops.add(op("multiply", NodeKind::filter)); }), "");
    EXPECT_NE(error([&] { ops.add(op("jsonl", NodeKind::function)); }), "");
    EXPECT_EQ(error([&] { ops.add(op("multiply", NodeKind::function)); }),
              "op 'multiply' is registered twice as a function op");  // as the README quotes
    // A source and a sink may share a name, as jsonl's do; an application's ops as the built-ins.
    EXPECT_EQ(error([&] { ops.add(op("print", NodeKind::source)); }), "");
    EXPECT_EQ(error([&] { ops.add(op("mine", NodeKind::filter)); }), "");
    EXPECT_NE(error([&] { ops.add(op("mine", NodeKind::function)); }), "");
    EXPECT_EQ(ops.find("mine")->kind, NodeKind::filter);
}

}  // namespace
