// A plugin built for another plugin ABI: flowpool must refuse it before calling into it.
#include <flowpool/plugin.hpp>

extern "C" int flowpool_plugin_abi() { return flowpool::plugin_abi + 1000; }

extern "C" void flowpool_register_ops(flowpool::OpRegistry&) {}
