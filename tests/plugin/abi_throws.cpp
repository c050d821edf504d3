// A plugin whose ABI check throws: loading it must be an error at its `plugins:` entry (exit 2),
// and `flowpool validate` must go on to the next file.
#include <flowpool/plugin.hpp>

#include <stdexcept>

extern "C" int flowpool_plugin_abi() { throw std::runtime_error("the ABI check threw"); }

extern "C" void flowpool_register_ops(flowpool::OpRegistry&) {}
