#pragma once
/// @file sum_sink.hpp
/// A graph-file sink op for benchmarks: `bench_sum` sums its jobs' integer values into a
/// variable the caller reads after the run, where the built-in `summary` would print to stdout.
///
///   nodes:
///     total: { kind: sink, op: bench_sum, spin: 0 }   # spin: extra rounds per job, a slow sink
///
/// With `spin: R` the sink also runs the `spin` op's R rounds on every job, so a benchmark can
/// make the sink slower than the workers without changing the sum it checks.

#include <flowpool/ops.hpp>
#include "ops/integer_jobs.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "ops/spin.hpp"

namespace flowpool::bench {

/// Sums the values of the jobs it consumes; hands the total to its caller in finish().
class SumSink final : public SinkBody {
public:
    /// Writes the sum to @p total and the slow work's checksum to @p checksum when finished.
    SumSink(std::int64_t& total, std::uint64_t& checksum, std::int64_t spin_rounds)
        : total_(total), checksum_(checksum), spin_rounds_(spin_rounds) {}

    void consume(const detail::BatchPtr& in, BatchContext& ctx) override {
        // The built-in `summary` sink's loop: the integers read where they lie in the batch,
        // summed in locals and added to the members once a batch.
        std::int64_t sum = 0;
        std::uint64_t work = 0;
        auto add = [&sum, &work, rounds = spin_rounds_](std::int64_t v) noexcept {
            sum += v;
            // Kept in a checksum that leaves the sink, so the compiler cannot drop the work.
            if (rounds > 0) work ^= static_cast<std::uint64_t>(detail::spin(v, rounds));
        };
        detail::consume_integers(in, ctx, add);
        sum_ += sum;
        work_ ^= work;
    }

    void finish() override {
        total_ = sum_;
        checksum_ = work_;
    }

private:
    std::int64_t& total_;
    std::uint64_t& checksum_;
    std::int64_t spin_rounds_;
    std::int64_t sum_ = 0;
    std::uint64_t work_ = 0;
};

/// Where the `bench_sum` sinks of a registry report: the sum of the last run to finish.
struct SumTarget {
    std::int64_t sum = 0;        ///< the values' sum
    std::uint64_t checksum = 0;  ///< xor of the sink's spin results (0 without `spin`)
};

/// Adds the sink op `bench_sum` to @p ops; its sinks report into @p target, which must outlive
/// every run of a graph built from @p ops.
inline void add_sum_sink(OpRegistry& ops, SumTarget& target) {
    ops.add({.name = "bench_sum",
             .kind = NodeKind::sink,
             .description = "sums the values into the benchmark's variable (nothing printed)",
             .params = {{"spin",
                         ParamType::integer,
                         "0",
                         "extra spin rounds per job, to make the sink slow",
                         {}}},
             .takes = ValueType::integer,
             .make_sink = [&target](const Params& p) -> std::unique_ptr<SinkBody> {
                 return std::make_unique<SumSink>(target.sum, target.checksum, p.integer("spin"));
             }});
}

/// The graph file the benchmarks run: @p n jobs (range) → `spin` of @p k rounds at
/// concurrency @p workers → a `bench_sum` sink spinning @p sink_spin rounds per job.
inline std::string spin_graph_text(std::int64_t n, std::int64_t k, std::int64_t workers,
                                   std::int64_t sink_spin = 0) {
    return "graph: bench-spin\n"
           "version: 1\n"
           "nodes:\n"
           "  jobs:  { kind: source,   op: range,     count: " +
           std::to_string(n) +
           " }\n"
           "  work:  { kind: function, op: spin,      iterations: " +
           std::to_string(k) + ", concurrency: " + std::to_string(workers) +
           " }\n"
           "  total: { kind: sink,     op: bench_sum, spin: " +
           std::to_string(sink_spin) +
           " }\n"
           "edges:\n"
           "  - jobs -> work -> total\n";
}

}  // namespace flowpool::bench
