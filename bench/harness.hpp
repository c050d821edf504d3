#pragma once
// What the benchmark executables share: the right answer from a serial loop, and a case that
// times a run on (K, W, N) and reports an error, not a time, when the run's sum is wrong.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "ops/spin.hpp"

namespace flowpool::bench {

/// The sum of spin(i, @p k) over @p n jobs from a serial loop, computed once per (k, n).
inline std::int64_t expected_sum(std::int64_t k, std::int64_t n) {
    static std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> cache;
    auto [it, inserted] = cache.try_emplace({k, n}, 0);
    if (inserted) {
        for (std::int64_t i = 0; i < n; ++i) it->second += detail::spin(i, k);
    }
    return it->second;
}

/// Registers @p name: each iteration calls `run(N, K, W)`, which returns the sum of its results,
/// and checks the sum; items_per_second is jobs per second. Real time, at least 0.5 s a case;
/// the CPU column is the whole process's CPU time (user + system, every thread) per run, so that
/// a thread that spins for nothing shows.
template <class Run>
void add_case(const char* name, Run run, std::int64_t spin_rounds, int worker_count,
              std::int64_t jobs) {
    const auto measure = [run](benchmark::State& state) {
        const std::int64_t k = state.range(0);
        const int workers = static_cast<int>(state.range(1));
        const std::int64_t n = state.range(2);
        const std::int64_t expected = expected_sum(k, n);
        for (auto _ : state) {
            const std::int64_t sum = run(n, k, workers);
            if (sum != expected) {
                const std::string message =
                    "wrong sum " + std::to_string(sum) + ", expected " + std::to_string(expected);
                state.SkipWithError(message.c_str());
                break;
            }
        }
        state.SetItemsProcessed(state.iterations() * n);
    };
    benchmark::RegisterBenchmark(name, measure)
        ->ArgNames({"K", "W", "N"})
        ->Args({spin_rounds, worker_count, jobs})
        ->MinTime(0.5)  // a few runs of the slow cases, enough runs of the fast ones
        ->UseRealTime()
        ->MeasureProcessCPUTime()
        ->Unit(benchmark::kMillisecond);
}

}  // namespace flowpool::bench
