// The same jobs through six implementations: job i computes spin(i, K), one consumer sums the
// results, and every run's sum is checked against a serial loop.
//
//   serial_loop         one thread, no queues: the per-thread ceiling ("ideal" = W x its rate)
//   hand_rolled_pool    submitter ─► mutex+condvar queue ─► W threads ─► queue ─► results thread
//   tbb_flow_per_job    input_node ─► function_node(W) ─► function_node(serial), a job a message
//   tbb_flow_batched    the same graph with 256 jobs per message, batched by hand
//   flowpool_typed      flowpool::source(range(N)).stage("workers", W, spin).sink("sum", ...)
//   flowpool_graph      a graph file, range ─► spin (concurrency W) ─► bench_sum sink, parsed
//                       and run by parse_graph + run_graph, as `flowpool run` does
//
// For each (K, W) the implementations are registered one after another, so on a noisy machine
// their ratios still come from neighbouring measurements of one run.

#include <benchmark/benchmark.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/info.h>
#include <flowpool/graph.hpp>
#include <flowpool/pipeline.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "baseline/hand_rolled_pool.hpp"
#include "harness.hpp"
#include "ops/spin.hpp"
#include "sum_sink.hpp"

namespace {

namespace flow = oneapi::tbb::flow;
using flowpool::baseline::Job;
using flowpool::baseline::Result;
using flowpool::detail::spin;

/// Spin iterations per job, from pure overhead to ~0.2 ms of work per job.
constexpr std::int64_t spin_costs[] = {0, 100, 1000, 10000, 100000};
/// Worker counts; with 4 on a 2-core machine the workers outnumber the cores.
constexpr int worker_counts[] = {1, 2, 4};
/// Jobs per message in the hand-batched TBB graph.
constexpr std::int64_t tbb_batch_jobs = 256;

/// Jobs per run for spin cost @p k: about 0.3 s of spinning on one thread (K = 0 measures
/// overhead alone: 2M jobs take the batched runs milliseconds and the per-job ones seconds).
std::int64_t jobs_for(std::int64_t k) {
    switch (k) {
        case 0:
            return 2'000'000;
        case 100:
            return 2'000'000;
        case 1000:
            return 200'000;
        case 10000:
            return 20'000;
        default:
            return 2'000;
    }
}

std::int64_t run_serial_loop(std::int64_t n, std::int64_t k, int /*workers*/) {
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        std::int64_t result = spin(i, k);
        benchmark::DoNotOptimize(result);  // keeps K = 0 a loop, not a closed-form sum
        sum += result;
    }
    return sum;
}

std::int64_t run_hand_rolled_pool(std::int64_t n, std::int64_t k, int workers) {
    return flowpool::baseline::run_hand_rolled_pool(n, workers,
                                                    [k](std::int64_t v) { return spin(v, k); });
}

std::int64_t run_tbb_flow_per_job(std::int64_t n, std::int64_t k, int workers) {
    using JobSource = flow::input_node<Job>;         // makes jobs 0..n-1, one per message
    using Pool = flow::function_node<Job, Result>;   // runs up to `workers` jobs at once
    using ResultSink = flow::function_node<Result>;  // serial: sums without a lock

    std::int64_t next = 0;
    auto make_job = [&next, n](oneapi::tbb::flow_control& control) -> Job {
        if (next == n) {
            control.stop();
            return {};
        }
        const std::int64_t id = next++;
        return Job{id, id};
    };
    auto run_job = [k](const Job& job) { return Result{job.id, spin(job.value, k)}; };
    std::int64_t sum = 0;
    auto add_up = [&sum](const Result& result) {
        sum += result.value;
        return flow::continue_msg{};
    };

    flow::graph graph;
    JobSource jobs(graph, make_job);
    Pool pool(graph, static_cast<std::size_t>(workers), run_job);
    ResultSink results(graph, flow::serial, add_up);
    flow::make_edge(jobs, pool);
    flow::make_edge(pool, results);
    jobs.activate();
    graph.wait_for_all();
    return sum;
}

/// A message of the batched graph: jobs first .. first + count - 1.
struct JobRange {
    std::int64_t first = 0;
    std::int64_t count = 0;
};

std::int64_t run_tbb_flow_batched(std::int64_t n, std::int64_t k, int workers) {
    using Results = std::vector<Result>;
    using JobSource = flow::input_node<JobRange>;         // makes ranges of 256 jobs
    using Pool = flow::function_node<JobRange, Results>;  // runs up to `workers` ranges at once
    using ResultSink = flow::function_node<Results>;      // serial: sums without a lock

    std::int64_t next = 0;
    auto make_range = [&next, n](oneapi::tbb::flow_control& control) -> JobRange {
        if (next == n) {
            control.stop();
            return {};
        }
        const JobRange range{next, std::min(tbb_batch_jobs, n - next)};
        next += range.count;
        return range;
    };
    auto run_range = [k](const JobRange& range) {
        Results out;
        out.reserve(static_cast<std::size_t>(range.count));
        for (std::int64_t id = range.first; id < range.first + range.count; ++id) {
            out.push_back(Result{id, spin(id, k)});
        }
        return out;
    };
    std::int64_t sum = 0;
    auto add_up = [&sum](const Results& batch) {
        for (const Result& result : batch) sum += result.value;
        return flow::continue_msg{};
    };

    flow::graph graph;
    JobSource jobs(graph, make_range);
    Pool pool(graph, static_cast<std::size_t>(workers), run_range);
    ResultSink results(graph, flow::serial, add_up);
    flow::make_edge(jobs, pool);
    flow::make_edge(pool, results);
    jobs.activate();
    graph.wait_for_all();
    return sum;
}

std::int64_t run_flowpool_typed(std::int64_t n, std::int64_t k, int workers) {
    std::int64_t sum = 0;
    flowpool::source("jobs", flowpool::range(n))
        .stage("workers", static_cast<std::size_t>(workers),
               [k](std::int64_t v) { return spin(v, k); })
        .sink("sum", [&sum](std::int64_t v) { sum += v; })
        .run();
    return sum;
}

/// What flowpool_graph runs with: the built-in ops plus `bench_sum`, whose sinks report into
/// `sum`. Made once, so registering the ops is not timed.
struct GraphRunner {
    flowpool::bench::SumTarget sum;
    flowpool::OpRegistry ops;

    GraphRunner() { flowpool::bench::add_sum_sink(ops, sum); }
    GraphRunner(const GraphRunner&) = delete;  // ops refers to sum
    GraphRunner& operator=(const GraphRunner&) = delete;

    static GraphRunner& instance() {
        static GraphRunner runner;
        return runner;
    }
};

/// Parses, validates and runs the graph file, all of it timed: what `flowpool run` does.
std::int64_t run_flowpool_graph(std::int64_t n, std::int64_t k, int workers) {
    GraphRunner& runner = GraphRunner::instance();
    const flowpool::GraphSpec graph =
        flowpool::parse_graph(flowpool::bench::spin_graph_text(n, k, workers), "bench.yaml");
    runner.sum.sum = -1;  // a run that never reached finish() cannot pass for a right one
    const flowpool::RunResult result = flowpool::run_graph(graph, runner.ops);
    return result.error ? -1 : runner.sum.sum;
}

/// Registers @p run as @p name at (K, W) with the jobs per run for K.
void add(const char* name, std::int64_t (*run)(std::int64_t, std::int64_t, int), std::int64_t k,
         int workers) {
    flowpool::bench::add_case(name, run, k, workers, jobs_for(k));
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("tbb_default_concurrency",
                                std::to_string(oneapi::tbb::info::default_concurrency()));

    for (const std::int64_t k : spin_costs) {
        add("serial_loop", run_serial_loop, k, 1);
        for (const int workers : worker_counts) {
            add("hand_rolled_pool", run_hand_rolled_pool, k, workers);
            add("tbb_flow_per_job", run_tbb_flow_per_job, k, workers);
            add("tbb_flow_batched", run_tbb_flow_batched, k, workers);
            add("flowpool_typed", run_flowpool_typed, k, workers);
            add("flowpool_graph", run_flowpool_graph, k, workers);
        }
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
