// libFuzzer entry point for the graph-file loader and validator (FLOWPOOL_FUZZ=ON, Clang only).
// Run it with `ctest --test-dir build-fuzz -L fuzz` (60 s) or tests/fuzz/run.sh for longer.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "graph_file_target.hpp"

/// Called by libFuzzer with each input it makes up.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    flowpool::fuzz::load_and_validate(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
