#pragma once
// The `spin` op's deterministic CPU load: xorshift rounds seeded from the value.

#include <cstdint>

namespace flowpool::detail {

/// v unchanged if @p iterations is 0; else v + the top 16 bits of @p iterations xorshift rounds
/// on s = v * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019 (all mod 2^64).
constexpr std::int64_t spin(std::int64_t v, std::int64_t iterations) noexcept {
    if (iterations <= 0) return v;
    std::uint64_t s = static_cast<std::uint64_t>(v) * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    for (std::int64_t k = 0; k < iterations; ++k) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
    }
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(v) + (s >> 48));
}

}  // namespace flowpool::detail
