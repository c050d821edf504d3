// A flowpool plugin: one op, `collatz`, that replaces a value by the number of Collatz steps
// (n -> n/2 if even, 3n+1 if odd) it takes to reach 1. graphs/collatz_plugin.yaml uses it:
//
//   plugins: [ "${FLOWPOOL_PLUGIN_DIR:-../build/plugins}/collatz.so" ]
//   nodes:
//     steps: { kind: function, op: collatz, max_steps: 1000 }
//
// Built by CMake as a MODULE library (examples/plugin/CMakeLists.txt) against the flowpool
// headers only: the flowpool that loads it provides the rest.

#include <cstdint>
#include <flowpool/plugin.hpp>
#include <stdexcept>
#include <string>

namespace {

/// Collatz steps from @p n down to 1; a job fails if it takes more than @p max_steps.
std::int64_t collatz_steps(std::int64_t n, std::int64_t max_steps) {
    if (n < 1)
        throw std::invalid_argument("collatz needs a value of at least 1, not " +
                                    std::to_string(n));
    std::int64_t steps = 0;
    for (auto v = static_cast<std::uint64_t>(n); v != 1; ++steps) {
        if (steps == max_steps)
            throw std::runtime_error("more than " + std::to_string(max_steps) + " steps");
        v = v % 2 == 0 ? v / 2 : 3 * v + 1;
    }
    return steps;
}

}  // namespace

extern "C" int flowpool_plugin_abi() { return flowpool::plugin_abi; }

extern "C" void flowpool_register_ops(flowpool::OpRegistry& ops) {
    ops.add({.name = "collatz",
             .kind = flowpool::NodeKind::function,
             .description =
                 "the number of Collatz steps from the value down to 1 (from the example plugin)",
             .params = {{.name = "max_steps",
                         .type = flowpool::ParamType::integer,
                         .default_value = "1000",
                         .description = "a job that needs more steps fails"}},
             .takes = flowpool::ValueType::integer,
             .gives = flowpool::ValueType::integer,
             .make_stage = [](const flowpool::Params& params) {
                 return flowpool::stage_body(
                     [max = params.integer("max_steps")](flowpool::Value v) -> flowpool::Value {
                         return collatz_steps(std::get<std::int64_t>(v), max);
                     });
             }});
}
