// A plugin that registers an op whose name is taken (the built-in `multiply`): loading it must
// fail with a clear error naming the op.
#include <flowpool/plugin.hpp>

extern "C" int flowpool_plugin_abi() { return flowpool::plugin_abi; }

extern "C" void flowpool_register_ops(flowpool::OpRegistry& ops) {
    ops.add({.name = "multiply",
             .kind = flowpool::NodeKind::function,
             .description = "a second multiply",
             .takes = flowpool::ValueType::integer,
             .gives = flowpool::ValueType::integer,
             .make_stage = [](const flowpool::Params&) {
                 return flowpool::stage_body([](flowpool::Value v) { return v; });
             }});
}
