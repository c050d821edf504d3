// Tests of application types (OpRegistry::add_type<T>) across registries. A type's name and
// to_value belong to the process, since a Value of it shows itself without knowing the registry:
// a registration that differs from the one in force is refused, the last registry holding a type
// releases it, and registries built on several threads at once share it safely. And how a
// format shows one: {value.FIELD} reads through the type's to_value, as {value} does.
// Each test uses a type of its own, as the tests of one executable share the process.

#include <gtest/gtest.h>

#include <algorithm>
#include <flowpool/flowpool.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli_runner.hpp"
#include "expr/expression.hpp"

namespace {

using flowpool::OpRegistry;
using flowpool::Record;
using flowpool::Value;

const std::string source_dir = FLOWPOOL_SOURCE_DIR;

/// An order, as an application would have one; @p Tag makes a type of its own per test.
template <int Tag>
struct Order {
    std::string customer;
    std::int64_t quantity = 0;
};

/// Shows an order with every field.
template <int Tag>
Value show_all(const Order<Tag>& order) {
    Record shown;
    shown.set("customer", order.customer);
    shown.set("quantity", order.quantity);
    return Value{std::move(shown)};
}

/// Shows an order by its customer alone.
template <int Tag>
Value show_customer(const Order<Tag>& order) {
    Record shown;
    shown.set("who", order.customer);
    return Value{std::move(shown)};
}

/// How @p value shows, as JSON text would (nothing: it shows no plain value).
std::optional<Value> shown(const Value& value) {
    const auto plain = std::get<flowpool::Opaque>(value).to_value();
    if (plain == nullptr) return std::nullopt;
    return *plain;
}

/// The message of the UsageError that @p f throws, or "" if it throws none.
template <class F>
std::string usage_error(F f) {
    try {
        f();
    } catch (const flowpool::UsageError& e) {
        return e.what();
    }
    return "";
}

TEST(AppTypeRegistries, AnotherNameForATypeHeldElsewhereIsRefusedNamingBoth) {
    using O = Order<1>;
    OpRegistry a;
    a.add_type<O>("order", show_all<1>);
    {
        OpRegistry b;
        const std::string error = usage_error([&b] { b.add_type<O>("purchase", show_all<1>); });
        EXPECT_NE(error.find("'purchase'"), std::string::npos) << error;
        EXPECT_NE(error.find("'order'"), std::string::npos) << error;
    }
    const Value order = Value::of(O{"ada", 3});
    EXPECT_EQ(order.type_name(), "order") << "registry b renamed a's type";
    EXPECT_EQ(shown(order), show_all<1>(O{"ada", 3}));
    EXPECT_EQ(a.types(), std::vector<std::string>{"order"});
}

TEST(AppTypeRegistries, AnotherToValueIsRefusedAndTheSameOneIsShared) {
    using O = Order<2>;
    std::optional<OpRegistry> a(std::in_place);
    a->add_type<O>("order", show_all<2>);
    {
        OpRegistry b;
        EXPECT_NE(usage_error([&b] { b.add_type<O>("order", show_customer<2>); }), "");
        EXPECT_NE(usage_error([&b] { b.add_type<O>("order"); }), "");
        const auto lambda = [](const O& o) { return show_all<2>(o); };
        EXPECT_NE(usage_error([&] { b.add_type<O>("order", lambda); }), "");
        EXPECT_EQ(usage_error([&b] { b.add_type<O>("order", show_all<2>); }), "");
        EXPECT_EQ(b.types(), std::vector<std::string>{"order"});
    }
    EXPECT_EQ(shown(Value::of(O{"ada", 3})), show_all<2>(O{"ada", 3}))
        << "registry b changed how a shows its type";
    a.reset();
    // A lambda is known by where it is written: registered twice from one place, it is one.
    const auto show = [](const O& o) { return show_customer<2>(o); };
    OpRegistry c;
    OpRegistry d;
    EXPECT_EQ(usage_error([&] { c.add_type<O>("order", show); }), "");
    EXPECT_EQ(usage_error([&] { d.add_type<O>("order", show); }), "");
}

TEST(AppTypeRegistries, TheLastRegistryHoldingATypeReleasesIt) {
    using O = Order<3>;
    {
        std::optional<OpRegistry> a(std::in_place);
        a->add_type<O>("order", show_all<3>);
        const OpRegistry copy = *a;  // holds the type as a does
        a.reset();
        OpRegistry b;
        EXPECT_NE(usage_error([&b] { b.add_type<O>("purchase"); }), "");
        EXPECT_EQ(Value::of(O{"ada", 3}).type_name(), "order");
    }
    // Nobody holds it now: a registry may name it afresh, and without a to_value it shows none,
    // not the one registered before.
    OpRegistry b;
    EXPECT_EQ(usage_error([&b] { b.add_type<O>("purchase"); }), "");
    const Value order = Value::of(O{"ada", 3});
    EXPECT_EQ(order.type_name(), "purchase");
    EXPECT_EQ(shown(order), std::nullopt) << "b inherited a's to_value";
    try {
        static_cast<void>(Value{std::int64_t{1}}.as<O>());
        FAIL() << "as<Order>() accepted an integer";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "expected purchase, got integer");
    }
}

TEST(AppTypeRegistries, ATypeAddedTwiceToOneRegistryIsListedOnce) {
    using O = Order<4>;
    OpRegistry ops;
    ops.add_type<O>("order", show_all<4>);
    ops.add_type<O>("order", show_all<4>);
    EXPECT_EQ(ops.types(), std::vector<std::string>{"order"});
    EXPECT_NE(usage_error([&ops] { ops.add_type<O>("order", show_customer<4>); }), "");
    EXPECT_NE(usage_error([&ops] { ops.add_type<O>("purchase", show_all<4>); }), "");
    EXPECT_EQ(ops.types(), std::vector<std::string>{"order"});
}

TEST(AppTypeRegistries, RegistriesOnSeveralThreadsShareAType) {
    using O = Order<5>;
    std::vector<std::thread> threads;
    std::vector<std::string> errors(4);
    for (std::size_t t = 0; t < errors.size(); ++t) {
        threads.emplace_back([&error = errors[t]] {
            for (int i = 0; i < 50 && error.empty(); ++i) {
                OpRegistry ops;
                error = usage_error([&ops] { ops.add_type<O>("order", show_all<5>); });
                if (Value::of(O{"ada", 3}).type_name() != "order") error = "renamed";
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    for (const std::string& error : errors) EXPECT_EQ(error, "");
    // Every hold was released: the type may be named afresh.
    OpRegistry ops;
    EXPECT_EQ(usage_error([&ops] { ops.add_type<O>("other"); }), "");
}

/// A registry with the type `order` (shown by @p show, if given) and `parse_order`, which makes
/// one of a record's customer and quantity.
template <int Tag>
OpRegistry order_ops(std::function<Value(const Order<Tag>&)> show) {
    OpRegistry ops;
    const flowpool::ValueType order = ops.add_type<Order<Tag>>("order", std::move(show));
    ops.add({.name = "parse_order",
             .kind = flowpool::NodeKind::function,
             .takes = flowpool::ValueType::record,
             .gives = order,
             .make_stage = [](const flowpool::Params&) {
                 return flowpool::stage_body([](Value v) {
                     const Record& r = std::get<Record>(v);
                     return Value::of(Order<Tag>{std::get<std::string>(*r.find("customer")),
                                                 std::get<std::int64_t>(*r.find("quantity"))});
                 });
             }});
    return ops;
}

/// A graph of tests/examples/orders.jsonl → parse_order → (@p between, if given: a function
/// node `then`) → a `file` sink writing @p format to @p out.
flowpool::GraphSpec orders_graph(const std::string& format, const std::string& out,
                                 const std::string& between = "") {
    const std::string text = "nodes:\n  orders: { kind: source, op: jsonl, path: \"" + source_dir +
                             "/tests/examples/orders.jsonl\" }\n"
                             "  parse:  { kind: function, op: parse_order }\n" +
                             (between.empty() ? "" : "  then:   " + between + "\n") +
                             "  out:    { kind: sink, op: file, path: \"" + out + "\", format: \"" +
                             format + "\" }\n" + "edges: [ \"orders -> parse -> " +
                             (between.empty() ? "" : "then -> ") + "out\" ]\n";
    return flowpool::parse_graph(text, "orders.yaml");
}

/// What a `file` sink writing @p format wrote for tests/examples/orders.jsonl, lines sorted;
/// or, if a job failed, the run's error.
std::vector<std::string> printed(const OpRegistry& ops, const std::string& format,
                                 const std::string& between = "") {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    const std::string out = flowpool::test::temp_file(test + ".txt", "");
    const flowpool::RunResult result = flowpool::run_graph(orders_graph(format, out, between), ops);
    if (result.error) return {result.error->what()};
    std::vector<std::string> lines;
    std::istringstream in(flowpool::test::slurp(out));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
}

TEST(AppTypeFormats, AFieldPathReadsThroughToValue) {
    const OpRegistry ops = order_ops<7>(show_all<7>);
    EXPECT_EQ(printed(ops, "{value.customer} x{value.quantity}"),
              (std::vector<std::string>{"ada x3", "barbara x4", "grace x10", "linus x1"}));
}

TEST(AppTypeFormats, AFieldPathIntoATypeWithoutToValueIsRefusedByValidation) {
    const OpRegistry ops = order_ops<11>({});
    std::string error;
    try {
        flowpool::validate(orders_graph("{value.customer}", "/dev/null"), ops);
    } catch (const flowpool::ConfigError& e) {
        error = e.what();
    }
    EXPECT_EQ(error,
              "orders.yaml:4:29: error: op 'file' reads field 'customer' of its values, but node "
              "'parse' gives order values, which show no fields: their type was added without "
              "to_value");
    // With a to_value the same graph is valid; `{value}` reads no field, so it is valid without.
    EXPECT_NO_THROW(flowpool::validate(orders_graph("{value.customer}", "/dev/null"),
                                       order_ops<12>(show_all<12>)));
    EXPECT_NO_THROW(flowpool::validate(orders_graph("{value}", "/dev/null"), ops));
}

TEST(AppTypeFormats, AFieldPathIntoATypeWithoutToValueSaysWhyWhenRun) {
    // Through a node that gives `any`, validation cannot tell: each job fails, saying why.
    const OpRegistry ops = order_ops<8>({});
    const std::vector<std::string> lines =
        printed(ops, "{value.customer}", "{ kind: function, op: map, expr: \".\" }");
    ASSERT_EQ(lines.size(), 1u) << "the jobs should have failed";
    EXPECT_NE(lines[0].find("no .customer in the value: order values show no fields, as their "
                            "type was registered without to_value"),
              std::string::npos)
        << lines[0];
}

TEST(AppTypeExpressions, AFieldPathReadsThroughToValueAsAFormatDoes) {
    const OpRegistry ops = order_ops<13>(show_all<13>);
    EXPECT_EQ(printed(ops, "{value.customer}",
                      "{ kind: filter, op: where, expr: \".quantity > 3 and .customer != 'x'\" }"),
              (std::vector<std::string>{"barbara", "grace"}));
    // Each way into the shown value, as eval() gives it: a path alone, in a comparison (read in
    // place for records), in a function's argument, with a default; a missing field is null.
    using flowpool::expr::Expression;
    const Value order = Value::of(Order<13>{"ada", 3});
    const auto eval = [&order](const std::string& text) {
        return Expression::compile(text).eval({order, 7});
    };
    EXPECT_TRUE(eval(".customer") == Value{"ada"});
    EXPECT_TRUE(eval(".quantity >= 3") == Value{true});
    EXPECT_TRUE(eval("upper(.customer)") == Value{"ADA"});
    EXPECT_TRUE(eval(".missing ?? 'none'") == Value{"none"});
    EXPECT_TRUE(eval(".quantity * 2 + len(.customer)") == Value{std::int64_t{9}});
    EXPECT_TRUE(Expression::compile(".quantity == 3").test({order, 7}));
    EXPECT_TRUE(eval(".") == order) << "the whole value stays the application's";
}

TEST(AppTypeExpressions, AFieldPathIntoATypeWithoutToValueSaysWhy) {
    const OpRegistry ops = order_ops<14>({});
    const Value order = Value::of(Order<14>{"ada", 3});
    std::string error;
    try {
        static_cast<void>(flowpool::expr::Expression::compile(".quantity > 1").test({order, 7}));
    } catch (const std::exception& e) {
        error = e.what();
    }
    EXPECT_NE(error.find("cannot take field 'quantity' of order values, which show no fields: "
                         "their type was added without to_value"),
              std::string::npos)
        << error;
}

TEST(AppTypeFormats, AValueShowsAsAStringWouldWithoutJsonQuotes) {
    // {value} writes a string as it is: an order shown as one, or shown by its type's name for
    // want of a to_value (it is no string: quotes would say it is), is written the same way.
    {
        const OpRegistry ops = order_ops<9>([](const Order<9>& o) { return Value{o.customer}; });
        EXPECT_EQ(printed(ops, "{value}"),
                  (std::vector<std::string>{"ada", "barbara", "grace", "linus"}));
    }
    const OpRegistry ops = order_ops<10>({});
    EXPECT_EQ(printed(ops, "{id}: {value}"),
              (std::vector<std::string>{"0: <order>", "1: <order>", "2: <order>", "3: <order>"}));
}

}  // namespace
