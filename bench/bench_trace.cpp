// What tracing costs: the same typed pipeline (range ─► spin, W workers ─► sum) run with no trace,
// with a TraceSink that drops every span, and with a flowpool::ChromeTrace writing a file at
// --trace-sample 1000 and at 1 (every batch), as `flowpool run --trace FILE --trace-sample N`
// does. Run with --benchmark_enable_random_interleaving so the variants' repetitions alternate;
// bench/README.md, "Tracing overhead", has the command and the figures.
//
//   trace_off        RunOptions::trace == nullptr: the runtime's check per batch, nothing more
//   trace_null_1     a sink that drops spans, every batch: the runtime's side of a span
//   trace_chrome_1000  ChromeTrace to a file, one batch in 1000 per node
//   trace_chrome_1   ChromeTrace to a file, every batch
//
// Each timed iteration builds the pipeline, opens the trace file, runs and closes it.

#include <benchmark/benchmark.h>
#include <flowpool/pipeline.hpp>
#include <flowpool/trace.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "harness.hpp"
#include "ops/spin.hpp"

namespace {

using flowpool::detail::spin;

/// A TraceSink that keeps nothing: what a span costs the runtime, without any writing.
class DropSpans final : public flowpool::TraceSink {
public:
    void span(const flowpool::Span& span) noexcept override { benchmark::DoNotOptimize(&span); }
};

/// How a variant traces: not at all, into DropSpans, or into a ChromeTrace file.
enum class Tracing { off, drop, chrome };

/// Jobs per run for spin cost @p k: K = 0 measures overhead alone, at issue 4's 10M jobs (a run
/// of 2M took about 35 ms, too short to measure on a loaded machine); K = 1000 as bench_pool.cpp.
std::int64_t jobs_for(std::int64_t k) { return k == 0 ? 10'000'000 : 200'000; }

/// Where ChromeTrace writes at @p sample: a file per sample rate, overwritten by every run (so
/// no variant pays for truncating another's larger file).
std::string trace_path(std::uint64_t sample) {
    return (std::filesystem::temp_directory_path() /
            ("flowpool_bench_trace_" + std::to_string(sample) + ".json"))
        .string();
}

/// One run of the pipeline with @p tracing at @p sample; returns the sum.
std::int64_t run_once(std::int64_t n, std::int64_t k, int workers, Tracing tracing,
                      std::uint64_t sample) {
    DropSpans drop;
    std::optional<flowpool::ChromeTrace> chrome;
    flowpool::RunOptions options;
    options.trace_sample = sample;
    if (tracing == Tracing::drop) options.trace = &drop;
    if (tracing == Tracing::chrome) options.trace = &chrome.emplace(trace_path(sample));
    std::int64_t sum = 0;
    flowpool::source("jobs", flowpool::range(n))
        .stage("workers", static_cast<std::size_t>(workers),
               [k](std::int64_t v) { return spin(v, k); })
        .sink("sum", [&sum](std::int64_t v) { sum += v; })
        .run(options);
    if (chrome) chrome->close();
    return sum;
}

/// Registers variant @p name at (K, W = @p workers).
void add(const char* name, Tracing tracing, std::uint64_t sample, std::int64_t spin_rounds,
         int worker_count) {
    const auto run = [tracing, sample](std::int64_t n, std::int64_t k, int workers) {
        return run_once(n, k, workers, tracing, sample);
    };
    flowpool::bench::add_case(name, run, spin_rounds, worker_count, jobs_for(spin_rounds));
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    for (const std::int64_t k : {0, 1000}) {
        add("trace_off", Tracing::off, 1, k, 2);
        add("trace_null_1", Tracing::drop, 1, k, 2);
        add("trace_chrome_1000", Tracing::chrome, 1000, k, 2);
        add("trace_chrome_1", Tracing::chrome, 1, k, 2);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    for (const std::uint64_t sample : {1, 1000}) std::filesystem::remove(trace_path(sample));
    return 0;
}
