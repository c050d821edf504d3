// `flowpool bench GRAPH`: the graph on flowpool, then its function chain on the hand-rolled pool.
//
//   flowpool:     source ─► functions (batched, W at once) ─► sink          (run_graph)
//   hand-rolled:  submitter ─► job queue ─► W threads, each runs the whole chain on one job
//                 ─► results queue ─► results thread ─► sink      (baseline::run_chain)
//
// Both runs use bodies made by the same ops from the same parameters, so they do the same work;
// only the way jobs move between threads differs. The sink is wrapped in a TallySink in both, so
// the report can say whether both runs delivered the same jobs with the same values. This file
// turns the graph file into the chain the baseline runs, runs both, and hands the figures to
// bench_report.cpp.

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "baseline/chain_runner.hpp"
#include "baseline/tally.hpp"
#include "bench_report.hpp"
#include "command.hpp"
#include "graphfile/make_body.hpp"
#include "graphfile/resolve.hpp"
#include "load_graph.hpp"
#include "quiet_stdout.hpp"

namespace flowpool::cli {
namespace {

using detail::ResolvedNode;

/// The nodes of @p graph in chain order (source, functions and filters, sink), or a UsageError
/// if the graph is not one straight chain.
std::vector<const ResolvedNode*> chain_of(const GraphSpec& graph,
                                          const std::vector<ResolvedNode>& nodes) {
    const std::string not_a_chain =
        "flowpool bench runs a straight chain (one source, functions or filters, one sink); '" +
        graph.file + "' ";
    std::map<std::string, const ResolvedNode*, std::less<>> by_name;
    for (const ResolvedNode& node : nodes) by_name[node.spec->name] = &node;
    std::map<std::string, std::string, std::less<>> next;
    std::map<std::string, int, std::less<>> incoming;
    for (const EdgeSpec& edge : graph.edges) {
        if (!next.emplace(edge.from, edge.to).second) {
            throw UsageError(not_a_chain + "fans out at '" + edge.from + "'");
        }
        if (++incoming[edge.to] > 1) throw UsageError(not_a_chain + "fans in at '" + edge.to + "'");
    }
    std::vector<const ResolvedNode*> chain;
    for (const ResolvedNode& node : nodes) {
        if (node.kind == NodeKind::source) chain.push_back(&node);
    }
    if (chain.size() != 1) {
        throw UsageError(not_a_chain + "has " + std::to_string(chain.size()) + " sources");
    }
    for (auto it = next.find(chain.back()->spec->name); it != next.end();
         it = next.find(chain.back()->spec->name)) {
        chain.push_back(by_name.at(it->second));
    }
    if (chain.size() != nodes.size() || chain.back()->kind != NodeKind::sink) {
        throw UsageError(not_a_chain +
                         "has nodes off the chain from its source to its sink "
                         "(a dead-letter sink?)");
    }
    return chain;
}

/// Throws a UsageError if @p source uses up the input it reads (its op says so: standard input,
/// a stream), which the first run would leave empty for the second (and a stream's entries the
/// hand-rolled pool would never acknowledge).
void check_source_can_be_read_twice(const ResolvedNode& source, const std::string& file) {
    const OpInfo& op = *source.op;
    const std::optional<std::string> once =
        op.reads_input_once ? op.reads_input_once(source.params) : std::nullopt;
    if (once) {
        throw UsageError("flowpool bench reads the source twice, once for each run; source '" +
                         source.spec->name + "' of '" + file + "' (op " + op.name + ") reads " +
                         *once + ", which the first run uses up: read a file instead");
    }
}

/// Throws a UsageError if a node of @p chain holds its jobs back until every job reached it (an
/// `aggregate` or `top` over the whole run): the hand-rolled pool gives each of its threads
/// bodies of their own and hands on one job at a time, so it would have nothing to compare.
void check_nothing_holds_back(const std::vector<const ResolvedNode*>& chain,
                              const std::string& file) {
    for (const ResolvedNode* node : chain) {
        if (node->kind != NodeKind::function && node->kind != NodeKind::filter) continue;
        if (!detail::make_stage_body(*node)->holds_back()) continue;
        throw UsageError("flowpool bench compares the work done a job at a time; node '" +
                         node->spec->name + "' of '" + file + "' (op " + node->op->name +
                         ") holds its jobs until the run ends, which the hand-rolled pool does "
                         "not do: bench the chain without it");
    }
}

/// Threads for the hand-rolled pool: the widest function node's concurrency (`unlimited`: one
/// per hardware thread).
std::size_t pool_threads(const std::vector<const ResolvedNode*>& chain) {
    std::size_t threads = 1;
    for (const ResolvedNode* node : chain) {
        if (node->kind != NodeKind::function && node->kind != NodeKind::filter) continue;
        threads = std::max(threads,
                           node->concurrency == unlimited ? default_workers() : node->concurrency);
    }
    return threads;
}

/// @p chain as the baseline runs it, its bodies made under `flowpool run`'s guard, its sink the
/// tallying one of @p tallied.
std::vector<baseline::ChainNode> baseline_chain(const std::vector<const ResolvedNode*>& chain,
                                                baseline::TalliedGraph& tallied) {
    std::vector<baseline::ChainNode> nodes;
    for (const ResolvedNode* node : chain) {
        baseline::ChainNode& added = nodes.emplace_back();
        added.name = node->spec->name;
        added.on_error = node->on_error;
        if (node->kind == NodeKind::source) {
            added.make_source = [node] { return detail::make_source_body(*node); };
        } else if (node->kind == NodeKind::sink) {
            added.make_sink = [&tallied] { return tallied.make_sink(); };
        } else {
            added.make_stage = [node] { return detail::make_stage_body(*node); };
        }
    }
    return nodes;
}

/// Runs @p graph as `flowpool run` does.
Measured run_flowpool(baseline::TalliedGraph& graph) {
    graph.tally = {};
    const RunResult result = run_graph(graph.graph, graph.ops);
    return Measured{result.stats.jobs_in, result.stats.wall, graph.tally, result.error,
                    result.stats};
}

/// Runs @p chain on the hand-rolled pool, @p threads threads, one job per queue item.
Measured run_hand_rolled(const std::vector<baseline::ChainNode>& chain,
                         baseline::TalliedGraph& graph, std::size_t threads) {
    graph.tally = {};
    const baseline::ChainRun run = baseline::run_chain(chain, threads);
    return Measured{run.jobs, run.wall, graph.tally, run.error, {}};
}

/// The run of @p runs with the median rate (the upper median for an even count).
const Measured& median(std::vector<Measured>& runs) {
    std::sort(runs.begin(), runs.end(),
              [](const Measured& a, const Measured& b) { return a.rate() < b.rate(); });
    return runs[runs.size() / 2];
}

/// Benchmarks @p graph (a straight chain: one source, functions or filters, one sink) run by
/// flowpool against its chain on a hand-rolled pool of as many threads as its widest function
/// node, @p repeat times each, interleaved, and writes the report to @p out. Returns 0, or 1 if a
/// job failed (then the first failure is printed on stderr and no report). Throws ConfigError
/// for a bad graph file (an op's factory that throws or makes no body included, as `flowpool
/// run` does) and UsageError for a graph that is not a chain, whose source cannot be read twice
/// or which holds jobs back until the run ends.
int bench(const GraphSpec& graph, const OpRegistry& ops, std::size_t repeat, std::ostream& out) {
    const std::vector<ResolvedNode> nodes = detail::resolve(graph, ops);
    const std::vector<const ResolvedNode*> chain = chain_of(graph, nodes);
    check_source_can_be_read_twice(*chain.front(), graph.file);
    check_nothing_holds_back(chain, graph.file);
    baseline::TalliedGraph tallied(graph, ops, chain.back()->spec->name,
                                   [sink = chain.back()] { return detail::make_sink_body(*sink); });
    const std::vector<baseline::ChainNode> hand_rolled_chain = baseline_chain(chain, tallied);
    const std::size_t threads = pool_threads(chain);

    // A B A B: on a noisy machine the two rates still come from neighbouring measurements.
    std::vector<Measured> flowpool_runs;
    std::vector<Measured> hand_rolled_runs;
    std::optional<JobError> error;
    {
        const QuietStdout quiet;
        for (std::size_t i = 0; i < std::max<std::size_t>(repeat, 1) && !error; ++i) {
            flowpool_runs.push_back(run_flowpool(tallied));
            error = flowpool_runs.back().error;
            if (error) break;
            hand_rolled_runs.push_back(run_hand_rolled(hand_rolled_chain, tallied, threads));
            error = hand_rolled_runs.back().error;
        }
    }
    if (error) {
        std::cerr << "error: " << error->what() << '\n';
        return job_failed;
    }
    if (flowpool_runs.back().jobs != hand_rolled_runs.back().jobs) {
        throw UsageError("the source of '" + graph.file + "' made " +
                         std::to_string(flowpool_runs.back().jobs) + " jobs for flowpool but " +
                         std::to_string(hand_rolled_runs.back().jobs) +
                         " for the hand-rolled pool: flowpool bench needs a source that gives "
                         "the same jobs each time it is read");
    }
    print_bench_report(out, graph, flowpool_runs.size(), median(flowpool_runs),
                       median(hand_rolled_runs), threads);
    return ok;
}

/// `flowpool bench`'s command line.
struct BenchArgs {
    std::vector<std::string> paths;  ///< the graph file, alone
    std::vector<std::string> sets;   ///< `--set` overrides
    std::size_t repeat = 1;          ///< runs of each
};

}  // namespace

Command add_bench_command(CLI::App& app) {
    auto args = std::make_shared<BenchArgs>();
    CLI::App* bench_app = app.add_subcommand(
        "bench",
        "Run a graph file on flowpool, then its chain on a hand-rolled thread pool, and "
        "compare the rates (report on stdout; the sink's output is discarded)");
    bench_app
        ->add_option("graph", args->paths, "The graph file (YAML): one source, functions, one sink")
        ->required()
        ->expected(1);
    add_set_option(*bench_app, args->sets);
    bench_app
        ->add_option("--repeat", args->repeat,
                     "Runs of each, interleaved; the median is shown (default 1)")
        ->check(count_at_least_one());
    return {bench_app, [args] {
                OpRegistry ops;
                const GraphSpec graph = load_graph(args->paths.front(), args->sets, ops);
                return bench(graph, ops, args->repeat, std::cout);
            }};
}

}  // namespace flowpool::cli
