// Tests of records and application types from C++: an application's type between its own ops in
// a graph file (never copied, checked along edges by validation, listed by the registry), and
// the typed API's registry sources (flowpool/source_op.hpp) with stages reading record fields.
// Runs go at 1, 2, 4 and 8 workers; the README shows the examples they stand for verbatim.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <flowpool/flowpool.hpp>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli_runner.hpp"

namespace {

using flowpool::Record;
using flowpool::Value;
using flowpool::ValueType;

const std::string source_dir = FLOWPOOL_SOURCE_DIR;

/// Counts the copies of the object it is a member of.
struct CopyCounter {
    static inline std::atomic<int> copies{0};
    CopyCounter() = default;
    CopyCounter(const CopyCounter&) noexcept { copies.fetch_add(1); }
    CopyCounter(CopyCounter&&) noexcept = default;
    CopyCounter& operator=(const CopyCounter&) noexcept {
        copies.fetch_add(1);
        return *this;
    }
    CopyCounter& operator=(CopyCounter&&) noexcept = default;
    ~CopyCounter() = default;
};

struct Order {
    std::string customer;
    std::int64_t quantity = 0;
    double unit_price = 0;
    CopyCounter counter;
};

const Value& field(const Record& order, const std::string& name) {
    if (const Value* value = order.find(name)) return *value;
    throw std::invalid_argument("order has no field '" + name + "'");
}

/// A registry with the type `order`, `parse_order` (record → order), `price` (order → record of
/// customer and total) and a `collect` sink that appends each value to @p out.
flowpool::OpRegistry order_ops(std::vector<Value>& out) {
    flowpool::OpRegistry ops;
    const ValueType order = ops.add_type<Order>("order", [](const Order& o) {
        Record shown;
        shown.set("customer", o.customer);
        shown.set("quantity", o.quantity);
        return Value{std::move(shown)};
    });
    ops.add({.name = "parse_order",
             .kind = flowpool::NodeKind::function,
             .takes = ValueType::record,
             .gives = order,
             .make_stage = [](const flowpool::Params&) {
                 return flowpool::stage_body([](Value v) {
                     const Record& r = std::get<Record>(v);
                     const Value& price = field(r, "unit_price");
                     const auto* whole = std::get_if<std::int64_t>(&price);
                     return Value::of(
                         Order{std::get<std::string>(field(r, "customer")),
                               std::get<std::int64_t>(field(r, "quantity")),
                               whole ? static_cast<double>(*whole) : std::get<double>(price),
                               {}});
                 });
             }});
    ops.add({.name = "price",
             .kind = flowpool::NodeKind::function,
             .takes = order,
             .gives = ValueType::record,
             .make_stage = [](const flowpool::Params&) {
                 return flowpool::stage_body([](Value v) {
                     const Order& o = v.as<Order>();
                     Record priced;
                     priced.set("customer", o.customer);
                     priced.set("total", static_cast<double>(o.quantity) * o.unit_price);
                     return Value{std::move(priced)};
                 });
             }});
    ops.add({.name = "collect",
             .kind = flowpool::NodeKind::sink,
             .make_sink = [&out](const flowpool::Params&) {
                 return flowpool::sink_body([&out](Value v) { out.push_back(std::move(v)); });
             }});
    return ops;
}

/// The graph of tests/examples/orders.yaml at @p workers, into `collect`.
std::string orders_graph(int workers) {
    return "nodes:\n"
           "  orders: { kind: source,   op: jsonl, path: \"" +
           source_dir +
           "/tests/examples/orders.jsonl\" }\n"
           "  parse:  { kind: function, op: parse_order, concurrency: " +
           std::to_string(workers) +
           " }\n"
           "  priced: { kind: function, op: price, concurrency: " +
           std::to_string(workers) +
           " }\n"
           "  out:    { kind: sink,     op: collect }\n"
           "edges: [ \"orders -> parse -> priced -> out\" ]\n";
}

/// "customer total" for each record of @p values, sorted.
std::vector<std::string> totals(const std::vector<Value>& values) {
    std::vector<std::string> lines;
    for (const Value& v : values) {
        lines.push_back(std::get<std::string>(*v.at_path({"customer"})) + " " +
                        std::to_string(std::get<double>(*v.at_path({"total"}))));
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

class AppTypes : public ::testing::TestWithParam<int> {};

TEST_P(AppTypes, AnOrderPassesBetweenNodesWithoutACopy) {
    std::vector<Value> out;
    const flowpool::OpRegistry ops = order_ops(out);
    {
        CopyCounter::copies = 0;
        const Order made{"ada", 3, 2.5, {}};
        const Order copy = made;  // NOLINT(performance-unnecessary-copy-initialization)
        ASSERT_EQ(CopyCounter::copies.load(), 1) << "the counter must see a copy";
    }
    CopyCounter::copies = 0;
    const flowpool::RunResult result =
        flowpool::run_graph(flowpool::parse_graph(orders_graph(GetParam()), "orders.yaml"), ops);
    ASSERT_FALSE(result.error) << result.error->what();
    EXPECT_EQ(totals(out), (std::vector<std::string>{"ada 7.500000", "barbara 4.500000",
                                                     "grace 2.500000", "linus 12.000000"}));
    EXPECT_EQ(CopyCounter::copies.load(), 0) << "an Order was copied after it was made";
}

TEST_P(AppTypes, AnOrderSentToTwoNodesIsOneObject) {
    std::vector<Value> out;
    flowpool::OpRegistry ops = order_ops(out);
    std::vector<const void*> seen_by_a;
    std::vector<const void*> seen_by_b;
    const auto record_identity = [](std::vector<const void*>& seen) {
        return [&seen](const flowpool::Params&) {
            return flowpool::sink_body(
                [&seen](Value v) { seen.push_back(std::get<flowpool::Opaque>(v).identity()); });
        };
    };
    ops.add({.name = "tap_a",
             .kind = flowpool::NodeKind::sink,
             .takes = ValueType::custom("order"),
             .make_sink = record_identity(seen_by_a)});
    ops.add({.name = "tap_b",
             .kind = flowpool::NodeKind::sink,
             .takes = ValueType::custom("order"),
             .make_sink = record_identity(seen_by_b)});
    const std::string text =
        "nodes:\n"
        "  orders: { kind: source, op: jsonl, path: \"" +
        source_dir + "/tests/examples/orders.jsonl\" }\n" +
        "  parse:  { kind: function, op: parse_order, concurrency: " + std::to_string(GetParam()) +
        " }\n"
        "  a:      { kind: sink, op: tap_a }\n"
        "  b:      { kind: sink, op: tap_b }\n"
        "edges: [ \"orders -> parse -> a\", \"parse -> b\" ]\n";
    CopyCounter::copies = 0;
    const flowpool::RunResult result =
        flowpool::run_graph(flowpool::parse_graph(text, "fan_out.yaml"), ops);
    ASSERT_FALSE(result.error) << result.error->what();
    ASSERT_EQ(seen_by_a.size(), 4u);
    std::sort(seen_by_a.begin(), seen_by_a.end());
    std::sort(seen_by_b.begin(), seen_by_b.end());
    EXPECT_EQ(seen_by_a, seen_by_b) << "each sink must get the same Order objects";
    EXPECT_EQ(CopyCounter::copies.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Workers, AppTypes, ::testing::Values(1, 2, 4, 8));

TEST(AppTypesValidation, RejectsAnOrderOpFedRecords) {
    std::vector<Value> out;
    const flowpool::OpRegistry ops = order_ops(out);
    const flowpool::GraphSpec graph = flowpool::parse_graph(
        "nodes:\n"
        "  orders: { kind: source, op: jsonl, path: orders.jsonl }\n"
        "  priced: { kind: function, op: price }\n"
        "  out:    { kind: sink, op: collect }\n"
        "edges: [ \"orders -> priced -> out\" ]\n",
        "wrong.yaml");
    try {
        flowpool::validate(graph, ops);
        FAIL() << "validate accepted records fed to an op that takes orders";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(
                      "wrong.yaml:3:33: error: op 'price' takes order values, but node 'orders' "
                      "gives record values"),
                  std::string::npos)
            << e.what();
    }
    // The right graph validates.
    EXPECT_NO_THROW(flowpool::validate(flowpool::parse_graph(orders_graph(2), "orders.yaml"), ops));
}

TEST(AppTypesRegistry, ListsTheTypeAndTheOpsOnIt) {
    std::vector<Value> out;
    const flowpool::OpRegistry ops = order_ops(out);
    EXPECT_EQ(ops.types(), std::vector<std::string>{"order"});
    EXPECT_TRUE(flowpool::OpRegistry{}.types().empty());
    const flowpool::OpInfo* price = ops.find("price");
    ASSERT_NE(price, nullptr);
    EXPECT_EQ(price->takes, ValueType::custom("order"));
    EXPECT_EQ(price->takes.name(), "order");
    EXPECT_EQ(ops.find("parse_order")->gives.name(), "order");
}

TEST(AppTypesRegistry, AnOrderShowsAsItsRecordAndNamesItsType) {
    std::vector<Value> out;
    const flowpool::OpRegistry ops = order_ops(out);
    const Value order = Value::of(Order{"ada", 3, 2.5, {}});
    EXPECT_EQ(order.type_name(), "order");
    const auto shown = std::get<flowpool::Opaque>(order).to_value();
    ASSERT_NE(shown, nullptr);
    EXPECT_EQ(std::get<std::string>(*shown->at_path({"customer"})), "ada");
    EXPECT_EQ(std::get<std::int64_t>(*shown->at_path({"quantity"})), 3);
    try {
        static_cast<void>(Value{std::int64_t{1}}.as<Order>());
        FAIL() << "as<Order>() accepted an integer";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "expected order, got integer");
    }
}

TEST(AppTypesFailures, AnOrderMissingAFieldFailsItsJobNamingTheField) {
    std::vector<Value> out;
    const flowpool::OpRegistry ops = order_ops(out);
    const std::string path =
        flowpool::test::temp_file("missing_field.jsonl",
                                  "{\"customer\": \"ada\", \"quantity\": 3, \"unit_price\": 2.5}\n"
                                  "{\"customer\": \"grace\", \"unit_price\": 0.25}\n");
    const std::string text = "nodes:\n  orders: { kind: source, op: jsonl, path: \"" + path +
                             "\" }\n"
                             "  parse:  { kind: function, op: parse_order }\n"
                             "  out:    { kind: sink, op: collect }\n"
                             "edges: [ \"orders -> parse -> out\" ]\n";
    const flowpool::RunResult result =
        flowpool::run_graph(flowpool::parse_graph(text, "missing.yaml"), ops);
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->node(), "parse");
    EXPECT_EQ(result.error->job_id(), 1u);
    EXPECT_EQ(result.error->reason(), "order has no field 'quantity'");
}

// The typed API on a registry source: records, their fields and paths.

class RecordsApi : public ::testing::TestWithParam<int> {};

TEST_P(RecordsApi, JsonlRecordsReachStagesWithTheirFields) {
    std::map<std::uint64_t, std::string> got;
    const auto workers = static_cast<std::size_t>(GetParam());
    const flowpool::RunStats stats =
        flowpool::source("events", flowpool::jsonl(source_dir + "/tests/examples/events.jsonl"))
            .filter("errors", workers,
                    [](const Value& event) {
                        return std::get<std::int64_t>(*event.record()->find("status")) >= 500;
                    })
            .stage("country", workers,
                   [](const Value& event) {
                       const Value* country = event.at_path({"user", "country"});
                       return country ? std::get<std::string>(*country) : std::string("-");
                   })
            .sink("out", [&got](std::string country,
                                const flowpool::JobContext& job) { got[job.id()] = country; })
            .run();
    EXPECT_EQ(got, (std::map<std::uint64_t, std::string>{{1, "FR"}, {3, "-"}, {4, "JP"}}));
    EXPECT_EQ(stats.jobs_in, 6u);
    EXPECT_EQ(stats.filtered, 3u);
}

TEST_P(RecordsApi, JsonlReadsOnlyTheFieldsAskedFor) {
    std::vector<std::size_t> sizes;
    flowpool::source("events", flowpool::jsonl(source_dir + "/tests/examples/events.jsonl",
                                               {.fields = {"status"}}))
        .stage("size", static_cast<std::size_t>(GetParam()),
               [](const Value& event) { return event.record()->size(); })
        .sink("out", [&sizes](std::size_t n) { sizes.push_back(n); })
        .run();
    EXPECT_EQ(sizes, std::vector<std::size_t>(6, 1));
}

TEST_P(RecordsApi, ALineThatIsNotJsonFailsItsJobUnderTheSourcesPolicy) {
    const std::string path =
        flowpool::test::temp_file("bad_line.jsonl", "{\"a\": 1}\nnot json\n{\"a\": 3}\n");
    std::int64_t sum = 0;
    const flowpool::RunStats stats =
        flowpool::source("events", flowpool::jsonl(path))
            .on_error(flowpool::OnError::skip())
            .stage("a", static_cast<std::size_t>(GetParam()),
                   [](const Value& v) { return std::get<std::int64_t>(*v.at_path({"a"})); })
            .sink("out", [&sum](std::int64_t a) { sum += a; })
            .run();
    EXPECT_EQ(sum, 4);
    EXPECT_EQ(stats.skipped, 1u);

    try {
        flowpool::source("events", flowpool::jsonl(path)).sink("out", [](const Value&) {}).run();
        FAIL() << "a line that is not JSON did not fail the run";
    } catch (const flowpool::JobError& e) {
        EXPECT_EQ(e.node(), "events");
        EXPECT_EQ(e.job_id(), 1u);
    }
}

INSTANTIATE_TEST_SUITE_P(Workers, RecordsApi, ::testing::Values(1, 2, 4, 8));

TEST(RecordsApiSourceOp, ChecksParametersAsValidationDoes) {
    const flowpool::OpRegistry ops;
    const auto message = [&](std::string_view op,
                             const std::map<std::string, std::string, std::less<>>& params) {
        try {
            static_cast<void>(flowpool::source_op(ops, op, params));
        } catch (const flowpool::UsageError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message("nope", {}), "no source op 'nope'");
    EXPECT_EQ(message("jsonl", {}), "op 'jsonl' needs parameter 'path'");
    EXPECT_EQ(message("jsonl", {{"path", "x"}, {"colour", "red"}}),
              "op 'jsonl' has no parameter 'colour'");
    EXPECT_EQ(message("jsonl", {{"path", "x"}, {"max_line_bytes", "lots"}}),
              "op 'jsonl', parameter 'max_line_bytes': not an integer: 'lots'");
    EXPECT_THROW(static_cast<void>(flowpool::jsonl("x", {.max_line_bytes = 0})),
                 flowpool::UsageError);
}

TEST(RecordsApiSourceOp, AnOpsFactoryOrCheckThatThrowsAnythingOrMakesNothingIsAUsageError) {
    // A plugin's code may throw anything: it was passed on as it came (`throw 42` through the
    // caller's catch of flowpool::Error), and a factory's null body crashed the run.
    flowpool::OpRegistry ops;
    const auto add = [&](std::string name, flowpool::SourceFactory make,
                         std::function<void(const std::string&)> check = {}) {
        ops.add({.name = std::move(name),
                 .kind = flowpool::NodeKind::source,
                 .description = "breaks",
                 .params = {{.name = "n",
                             .type = flowpool::ParamType::string,
                             .default_value = "x",
                             .check = std::move(check)}},
                 .gives = flowpool::ValueType::integer,
                 .make_source = std::move(make)});
    };
    const auto makes_range = [](const flowpool::Params&) {
        return flowpool::source_op(flowpool::OpRegistry{}, "range", {{"count", "1"}}).release();
    };
    add("null", [](const flowpool::Params&) { return std::unique_ptr<flowpool::SourceBody>(); });
    add("throws_int",
        [](const flowpool::Params&) -> std::unique_ptr<flowpool::SourceBody> { throw 42; });
    add("throws_std", [](const flowpool::Params&) -> std::unique_ptr<flowpool::SourceBody> {
        throw std::runtime_error("no disk");
    });
    add("check_int", makes_range, [](const std::string&) { throw 42; });
    add("check_std", makes_range, [](const std::string&) { throw std::runtime_error("bad n"); });
    for (const auto& [op, expected] :
         {std::pair{"null", "op 'null' made no body"},
          {"throws_int", "op 'throws_int': unknown exception"},
          {"throws_std", "op 'throws_std': no disk"},
          {"check_int", "op 'check_int', parameter 'n': unknown exception"},
          {"check_std", "op 'check_std', parameter 'n': bad n"}}) {
        try {
            static_cast<void>(flowpool::source_op(ops, op, {}));
            ADD_FAILURE() << op << ": no error";
        } catch (const flowpool::UsageError& e) {
            EXPECT_EQ(std::string(e.what()), expected);
        } catch (...) {
            ADD_FAILURE() << op << ": not a UsageError";
        }
    }
}

TEST(RecordsApiSourceOp, MakesAnyRegisteredSource) {
    std::int64_t sum = 0;
    flowpool::source("numbers",
                     flowpool::source_op(flowpool::OpRegistry{}, "range", {{"count", "10"}}))
        .sink("out", [&sum](const Value& v) { sum += std::get<std::int64_t>(v); })
        .run();
    EXPECT_EQ(sum, 45);
}

// The README shows the examples tests/examples.cmake builds and checks, verbatim.
TEST(RecordsApiReadme, ShowsTheExamplesVerbatim) {
    const std::string readme = flowpool::test::slurp(source_dir + "/README.md");
    for (const auto& [file, fence] :
         {std::pair{"app_types.cpp", "```cpp\n"}, std::pair{"orders.yaml", "```yaml\n"},
          std::pair{"records_api.cpp", "```cpp\n"}}) {
        const std::string text = flowpool::test::slurp(source_dir + "/tests/examples/" + file);
        ASSERT_FALSE(text.empty()) << file;
        EXPECT_NE(readme.find(fence + text + "```"), std::string::npos)
            << "README.md does not show tests/examples/" << file << " verbatim";
    }
}

}  // namespace
