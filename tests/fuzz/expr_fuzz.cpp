// libFuzzer entry point for the expression language (FLOWPOOL_FUZZ=ON, Clang only): arbitrary
// bytes as an expression. One that parses is evaluated over a JSON event and over a few plain
// values; parsing may only throw ParseError and evaluating only EvalError.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "data/json.hpp"
#include "expr/expression.hpp"

namespace {

const std::vector<flowpool::Value>& inputs() {
    static const std::vector<flowpool::Value> values = [] {
        std::vector<flowpool::Value> v;
        flowpool::Value event;
        flowpool::detail::JsonError error;
        flowpool::detail::parse_json(
            R"({"ts":"2026-12-01T20:13:51Z","host":"web-03","status":503,"latency_ms":12.5,)"
            R"("user":{"id":7,"country":"DE"},"tags":["beta","eu"],"none":null,"big":9223372036854775807})",
            event, error);
        v.push_back(std::move(event));
        v.emplace_back(std::int64_t{-9223372036854775807 - 1});
        v.emplace_back("text");
        v.emplace_back(nullptr);
        v.emplace_back(flowpool::List{flowpool::Value(1.5), flowpool::Value(true)});
        return v;
    }();
    return values;
}

}  // namespace

/// Called by libFuzzer with each input it makes up.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<flowpool::expr::Expression> parsed;
    try {
        parsed.push_back(flowpool::expr::Expression::compile(text));
    } catch (const flowpool::expr::ParseError&) {
        return 0;
    }
    for (const flowpool::Value& input : inputs()) {
        try {
            static_cast<void>(parsed[0].eval({input, 7}));
        } catch (const flowpool::expr::EvalError&) {
        }
    }
    return 0;
}
