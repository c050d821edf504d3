// An application's own value type between its own ops: records read from JSON lines become
// `Order`s, which pass from node to node by pointer, never copied, and are priced.
//
//   orders ──record──► parse ───────order──► priced ──record──► out
//   (jsonl)            (parse_order)          (price)            (print)
#include <cstdio>
#include <flowpool/flowpool.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>

struct Order {
    std::string customer;
    std::int64_t quantity = 0;
    double unit_price = 0;
};

// Field @p name of an order record as a T (a float may be written 12), or an error naming it.
template <class T>
T field(const flowpool::Record& order, const std::string& name) {
    const flowpool::Value* value = order.find(name);
    if (value == nullptr) throw std::invalid_argument("order has no field '" + name + "'");
    if constexpr (std::is_same_v<T, double>) {
        if (const auto* whole = std::get_if<std::int64_t>(value))
            return static_cast<double>(*whole);
    }
    if (const T* typed = std::get_if<T>(value)) return *typed;
    throw std::invalid_argument("order field '" + name + "' has the wrong type (" +
                                std::string(value->type_name()) + ")");
}

Order parse_order(const flowpool::Record& record) {
    return {field<std::string>(record, "customer"), field<std::int64_t>(record, "quantity"),
            field<double>(record, "unit_price")};
}

int main(int argc, char** argv) {
    flowpool::OpRegistry ops;  // the built-in ops, our type `order`, and two ops on it:
    const flowpool::ValueType order = ops.add_type<Order>("order", [](const Order& o) {
        flowpool::Record shown;  // how {value} and to_json show an order
        shown.set("customer", o.customer);
        shown.set("quantity", o.quantity);
        shown.set("unit_price", o.unit_price);
        return flowpool::Value{std::move(shown)};
    });
    ops.add({.name = "parse_order",
             .kind = flowpool::NodeKind::function,
             .description = "a record with customer, quantity and unit_price → an order",
             .takes = flowpool::ValueType::record,
             .gives = order,
             .make_stage = [](const flowpool::Params&) {
                 return flowpool::stage_body([](flowpool::Value v) {
                     return flowpool::Value::of(parse_order(std::get<flowpool::Record>(v)));
                 });
             }});
    ops.add({.name = "price",
             .kind = flowpool::NodeKind::function,
             .description = "an order → a record of its customer and total",
             .takes = order,
             .gives = flowpool::ValueType::record,
             .make_stage = [](const flowpool::Params&) {
                 return flowpool::stage_body([](flowpool::Value v) {
                     const Order& o = v.as<Order>();  // no copy: held by shared_ptr<const Order>
                     flowpool::Record priced;
                     priced.set("customer", o.customer);
                     priced.set("total", static_cast<double>(o.quantity) * o.unit_price);
                     return flowpool::Value{std::move(priced)};
                 });
             }});
    try {
        const flowpool::GraphSpec graph =
            flowpool::load_graph_file(argc > 1 ? argv[1] : "tests/examples/orders.yaml");
        const flowpool::RunResult result = flowpool::run_graph(graph, ops);
        if (result.error) std::fprintf(stderr, "%s\n", result.error->what());
        return result.error ? 1 : 0;
    } catch (const flowpool::ConfigError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
}
