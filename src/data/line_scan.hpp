#pragma once
// Counting the lines at the start of a text a block of bytes at a time, for a reader that hands
// out runs of whole lines without cutting them one by one.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace flowpool::detail {

/// The whole lines at the start of a text, as scan_lines() counts them.
struct LineRun {
    std::size_t bytes = 0;    ///< of those lines, each with its '\n'
    std::uint64_t lines = 0;  ///< how many
    /// False if a line it looked at starts with a byte at or below ' ' (a blank line does): the
    /// caller then looks at the lines one by one. `bytes` and `lines` are then not set.
    bool plain = true;
};

/// The first lines of @p text that end with '\n', at most @p most of them. Each byte is looked
/// at once, a 64-byte block at a time (with AVX2 where the CPU has it), and a line costs a few
/// instructions more: cheaper than a memchr() call per line, which short lines pay in full.
LineRun scan_lines(std::string_view text, std::uint64_t most) noexcept;

}  // namespace flowpool::detail
