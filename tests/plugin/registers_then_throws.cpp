// A plugin that registers one op and then throws: loading it fails at its `plugins:` entry, and
// the registry it was loading into must not keep the op it registered first.
#include <flowpool/plugin.hpp>

#include <stdexcept>

extern "C" int flowpool_plugin_abi() { return flowpool::plugin_abi; }

extern "C" void flowpool_register_ops(flowpool::OpRegistry& ops) {
    ops.add({.name = "half_registered",
             .kind = flowpool::NodeKind::function,
             .description = "registered before its plugin threw",
             .takes = flowpool::ValueType::integer,
             .gives = flowpool::ValueType::integer,
             .make_stage = [](const flowpool::Params&) {
                 return flowpool::stage_body([](flowpool::Value v) { return v; });
             }});
    throw std::runtime_error("half-way");
}
