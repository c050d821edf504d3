// Runs N jobs of spin(i, K) on W workers into a summing sink and prints the sum, so that
// memory.sh can read the peak RSS of the whole process from /usr/bin/time -v.
//
//   flowpool_memory_probe N K W [typed|graph|hand_rolled] [SINK_K]
//
// `typed` (the default) uses the typed API; `graph` a graph file run by run_graph (range ─►
// spin ─► a `bench_sum` sink, see sum_sink.hpp); `hand_rolled` the mutex+condvar pool of
// src/baseline/hand_rolled_pool.hpp, whose unbounded queues are the comparison point. SINK_K
// (default 0) makes the sink also run SINK_K spin rounds per job: with SINK_K = 10 x K the sink
// is ten times slower than a worker, and a bounded pipeline must hold memory flat all the same.

#include <flowpool/graph.hpp>
#include <flowpool/pipeline.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "baseline/hand_rolled_pool.hpp"
#include "ops/spin.hpp"
#include "sum_sink.hpp"

namespace {

using flowpool::detail::spin;

/// Reads a whole decimal integer >= @p min from @p text; false if it is not one.
bool parse(std::string_view text, std::int64_t min, std::int64_t& out) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc{} && end == text.data() + text.size() && out >= min;
}

/// The sum of spin(i, k) for i in [0, n) through the typed API, the sink spinning @p sink_k.
std::int64_t run_typed(std::int64_t n, std::int64_t k, std::int64_t workers, std::int64_t sink_k,
                       std::uint64_t& checksum) {
    std::int64_t sum = 0;
    flowpool::source("jobs", flowpool::range(n))
        .stage("workers", static_cast<std::size_t>(workers),
               [k](std::int64_t v) { return spin(v, k); })
        .sink("sum",
              [&sum, &checksum, sink_k](std::int64_t v) {
                  sum += v;
                  if (sink_k > 0) checksum ^= static_cast<std::uint64_t>(spin(v, sink_k));
              })
        .run();
    return sum;
}

/// The same through a graph file and run_graph, with the `bench_sum` sink.
std::int64_t run_graph_file(std::int64_t n, std::int64_t k, std::int64_t workers,
                            std::int64_t sink_k, std::uint64_t& checksum) {
    flowpool::bench::SumTarget target;
    flowpool::OpRegistry ops;
    flowpool::bench::add_sum_sink(ops, target);
    const flowpool::GraphSpec graph = flowpool::parse_graph(
        flowpool::bench::spin_graph_text(n, k, workers, sink_k), "probe.yaml");
    const flowpool::RunResult result = flowpool::run_graph(graph, ops);
    if (result.error) {
        std::fprintf(stderr, "%s\n", result.error->what());
        return -1;
    }
    checksum = target.checksum;
    return target.sum;
}

/// The same through the hand-rolled pool; its results thread does the sink's work.
std::int64_t run_hand_rolled(std::int64_t n, std::int64_t k, std::int64_t workers,
                             std::int64_t sink_k, std::uint64_t& checksum) {
    if (sink_k == 0) {
        return flowpool::baseline::run_hand_rolled_pool(n, static_cast<int>(workers),
                                                        [k](std::int64_t v) { return spin(v, k); });
    }
    return flowpool::baseline::run_hand_rolled_pool(
        n, static_cast<int>(workers), [k](std::int64_t v) { return spin(v, k); },
        [&checksum, sink_k](std::int64_t v) {
            checksum ^= static_cast<std::uint64_t>(spin(v, sink_k));
        });
}

}  // namespace

int main(int argc, char** argv) {
    std::int64_t n = 0;
    std::int64_t k = 0;
    std::int64_t workers = 0;
    std::int64_t sink_k = 0;
    const std::string_view impl = argc > 4 ? argv[4] : "typed";
    if (argc < 4 || argc > 6 || !parse(argv[1], 0, n) || !parse(argv[2], 0, k) ||
        !parse(argv[3], 1, workers) || (argc == 6 && !parse(argv[5], 0, sink_k)) ||
        (impl != "typed" && impl != "graph" && impl != "hand_rolled")) {
        std::fprintf(stderr, "usage: %s N K W [typed|graph|hand_rolled] [SINK_K]\n", argv[0]);
        return 2;
    }

    std::uint64_t checksum = 0;
    std::int64_t sum = 0;
    if (impl == "typed") {
        sum = run_typed(n, k, workers, sink_k, checksum);
    } else if (impl == "graph") {
        sum = run_graph_file(n, k, workers, sink_k, checksum);
    } else {
        sum = run_hand_rolled(n, k, workers, sink_k, checksum);
    }
    // Checked here against a serial loop (the script checks K = 0 sums itself as well).
    std::int64_t expected = 0;
    for (std::int64_t i = 0; i < n; ++i) expected += spin(i, k);
    if (sum != expected) {
        std::fprintf(stderr, "%.*s summed to %lld, expected %lld\n", static_cast<int>(impl.size()),
                     impl.data(), static_cast<long long>(sum), static_cast<long long>(expected));
        return 1;
    }
    std::printf("%lld\n", static_cast<long long>(sum));
    // The slow sink's work, on stderr so memory.sh can still compare stdout with the sum.
    if (sink_k > 0)
        std::fprintf(stderr, "sink checksum %llx\n", static_cast<unsigned long long>(checksum));
    return 0;
}
