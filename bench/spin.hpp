#pragma once
/// @file spin.hpp
/// The benchmarks' unit of work: a deterministic CPU load whose cost grows linearly with K.
/// (The library's built-in `spin` op will compute the same values.)

#include <cstdint>

namespace flowpool::bench {

/// Runs K rounds of xorshift64 seeded from @p value and returns `value + (state >> 48)`;
/// `spin(v, K) == v` for K <= 0. Pure, so any implementation can be checked against a serial loop.
constexpr std::int64_t spin(std::int64_t value, std::int64_t k) noexcept {
    if (k <= 0) return value;
    std::uint64_t s = static_cast<std::uint64_t>(value) * 0x9E3779B97F4A7C15ULL +
                      0x632BE59BD9B4E019ULL;
    for (std::int64_t i = 0; i < k; ++i) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
    }
    return value + static_cast<std::int64_t>(s >> 48);
}

}  // namespace flowpool::bench
