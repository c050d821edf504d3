// What one add() costs per aggregate function (src/ops/aggregates.hpp), and per `top` and
// `dedupe` offer: one accumulator fed a prepared column of values, single-threaded, as a worker's
// partial accumulator is.
//
//   aggregate_add/<name>   integers and floats (1 in 10 null), latencies from 1 ms to 10 s
//   top_k_add/<n>          offers to a TopK keeping n, by a random integer
//   dedupe_insert/<keys>   inserts of keys from a universe of <keys>, max_keys half of it

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ops/aggregates.hpp"
#include "ops/dedupe_set.hpp"
#include "ops/top_k.hpp"

namespace {

using flowpool::Value;

/// 65,536 job values: log-uniform latencies, half integers, half floats, 1 in 10 null.
const std::vector<Value>& latencies() {
    static const std::vector<Value> values = [] {
        std::mt19937_64 random(1);
        std::vector<Value> v;
        for (int i = 0; i < 65'536; ++i) {
            const double ms = std::pow(10.0, std::uniform_real_distribution(0.0, 4.0)(random));
            if (i % 10 == 0) {
                v.emplace_back(nullptr);
            } else if (i % 2 == 0) {
                v.emplace_back(static_cast<std::int64_t>(ms));
            } else {
                v.emplace_back(ms);
            }
        }
        return v;
    }();
    return values;
}

void aggregate_add(benchmark::State& state, std::string_view name) {
    const std::vector<Value>& values = latencies();
    auto acc = *flowpool::detail::make_accumulator(name);
    std::uint64_t job = 0;
    for (auto _ : state) {
        const Value& v = values[job % values.size()];
        acc.add(v, job++);
    }
    benchmark::DoNotOptimize(acc.result());
    state.SetItemsProcessed(state.iterations());
}

void top_k_add(benchmark::State& state) {
    std::mt19937_64 random(2);
    std::vector<Value> by;
    for (int i = 0; i < 65'536; ++i) by.emplace_back(static_cast<std::int64_t>(random() >> 1));
    flowpool::detail::TopK<Value> top(static_cast<std::size_t>(state.range(0)),
                                      flowpool::detail::TopOrder::desc);
    std::uint64_t job = 0;
    for (auto _ : state) {
        const Value& v = by[job % by.size()];
        if (top.would_keep(v, job)) top.add(v, job, v);
        ++job;
    }
    state.SetItemsProcessed(state.iterations());
}

void dedupe_insert(benchmark::State& state) {
    const auto universe = static_cast<std::uint64_t>(state.range(0));
    std::mt19937_64 random(3);
    std::vector<Value> keys;
    for (int i = 0; i < 65'536; ++i)
        keys.emplace_back("user-" + std::to_string(random() % universe));
    flowpool::detail::DedupeSet set(universe / 2);
    std::uint64_t i = 0;
    for (auto _ : state) benchmark::DoNotOptimize(set.insert(keys[i++ % keys.size()]));
    state.SetItemsProcessed(state.iterations());
}

const bool registered = [] {
    for (const auto& f : flowpool::detail::aggregate_functions()) {
        benchmark::RegisterBenchmark(("aggregate_add/" + std::string(f.name)).c_str(),
                                     aggregate_add, f.name);
    }
    benchmark::RegisterBenchmark("top_k_add", top_k_add)->Arg(10)->Arg(1000);
    benchmark::RegisterBenchmark("dedupe_insert", dedupe_insert)->Arg(1000)->Arg(1'000'000);
    return true;
}();

}  // namespace

BENCHMARK_MAIN();
