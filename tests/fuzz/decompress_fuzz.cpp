// libFuzzer entry point for ByteInput (FLOWPOOL_FUZZ=ON, Clang only): arbitrary bytes read as an
// input from memory, so as gzip or zstd when they start with either's magic. Truncated or corrupt
// data must throw std::runtime_error, nothing else may go wrong. Output is capped so that a small
// input that inflates to gigabytes does not count as a hang.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "data/input.hpp"

/// Called by libFuzzer with each input it makes up.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using flowpool::detail::ByteInput;
    flowpool::RunState run;
    const flowpool::BatchContext ctx(run, "fuzz", 0);
    ByteInput input("fuzz", std::string(reinterpret_cast<const char*>(data), size));
    static char out[64 * 1024];
    std::size_t total = 0;
    try {
        std::size_t got = 0;
        // A small piece now and then, so that the decoders stop with output pending.
        for (std::size_t piece = 1; total < (std::size_t{64} << 20);
             piece = piece * 7 % 65521 + 1) {
            const ByteInput::Status status = input.read(out, piece, got, ctx);
            if (status != ByteInput::Status::data) break;
            if (got == 0 || got > piece) __builtin_trap();
            total += got;
        }
    } catch (const std::runtime_error&) {  // truncated or corrupt: fine
    }
    if (input.consumed() > size) __builtin_trap();
    return 0;
}
