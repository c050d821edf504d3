// A shared library that is not a flowpool plugin: it has the ABI check but no
// flowpool_register_ops(). Loading it must fail with a clear error.
#include <flowpool/plugin.hpp>

extern "C" int flowpool_plugin_abi() { return flowpool::plugin_abi; }
