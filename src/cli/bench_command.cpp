// `flowpool bench GRAPH`: the graph on flowpool, then its function chain on a hand-rolled pool.
//
//   flowpool:     source ─► [limiter] ─► functions (batched, W at once) ─► sink
//   hand-rolled:  submitter ─► job queue ─► W threads, each runs the whole chain on one job
//                 ─► results queue ─► results thread ─► sink
//
// Both runs use bodies made by the same ops from the same parameters, so they do the same work;
// only the way jobs move between threads differs.

#include "bench_command.hpp"

#include <flowpool/detail/batch.hpp>
#include <flowpool/detail/plan.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "graphfile/resolve.hpp"
#include "runtime/batch_sizer.hpp"
#include "runtime/run_state.hpp"

namespace flowpool::cli {
namespace {

using Clock = std::chrono::steady_clock;
using detail::BatchContext;
using detail::BatchPtr;
using detail::Items;
using detail::ResolvedNode;

/// The seed's channel: a mutex, a condition variable and an unbounded deque, closed by its
/// producer side. pop() blocks until an item arrives or the channel is closed and empty.
template <class T>
class Channel {
public:
    void push(T item) {
        {
            const std::lock_guard lock(mutex_);
            items_.push_back(std::move(item));
        }
        ready_.notify_one();
    }
    void close() {
        {
            const std::lock_guard lock(mutex_);
            closed_ = true;
        }
        ready_.notify_all();
    }
    std::optional<T> pop() {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return !items_.empty() || closed_; });
        if (items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        return item;
    }

private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<T> items_;
    bool closed_ = false;
};

/// One job between the hand-rolled pool's threads.
struct Job {
    std::uint64_t id = 0;
    Value value;
};

/// What one hand-rolled run did.
struct HandRolledRun {
    std::chrono::nanoseconds wall{0};
    std::uint64_t jobs = 0;
    std::uint64_t failed = 0;
    std::size_t threads = 0;
};

/// The nodes of @p graph in chain order (source, functions and filters, sink), or a UsageError
/// if the graph is not one straight chain.
std::vector<const ResolvedNode*> chain_of(const GraphSpec& graph,
                                          const std::vector<ResolvedNode>& nodes) {
    std::map<std::string, const ResolvedNode*, std::less<>> by_name;
    for (const ResolvedNode& node : nodes) by_name[node.spec->name] = &node;
    std::map<std::string, std::string, std::less<>> next;
    std::map<std::string, int, std::less<>> incoming;
    for (const EdgeSpec& edge : graph.edges) {
        if (!next.emplace(edge.from, edge.to).second || ++incoming[edge.to] > 1) {
            throw UsageError("flowpool bench runs a straight chain (one source, functions, one "
                             "sink); '" + graph.file + "' fans out or in at '" +
                             (incoming[edge.to] > 1 ? edge.to : edge.from) + "'");
        }
    }
    std::vector<const ResolvedNode*> chain;
    for (const ResolvedNode& node : nodes) {
        if (node.kind == NodeKind::source) chain.push_back(&node);
    }
    if (chain.size() != 1) {
        throw UsageError("flowpool bench runs a graph with exactly one source; '" + graph.file +
                         "' has " + std::to_string(chain.size()));
    }
    for (auto it = next.find(chain.back()->spec->name); it != next.end();
         it = next.find(chain.back()->spec->name)) {
        chain.push_back(by_name.at(it->second));
    }
    if (chain.size() != nodes.size() || chain.back()->kind != NodeKind::sink) {
        throw UsageError("flowpool bench runs a straight chain ending in one sink; '" +
                         graph.file + "' is not one");
    }
    return chain;
}

/// Threads for the hand-rolled pool: the widest function node's concurrency (`unlimited`: one
/// per hardware thread).
std::size_t pool_threads(const std::vector<const ResolvedNode*>& chain) {
    std::size_t threads = 1;
    for (const ResolvedNode* node : chain) {
        if (node->kind != NodeKind::function && node->kind != NodeKind::filter) continue;
        const std::size_t hardware = std::max(1U, std::thread::hardware_concurrency());
        threads = std::max(threads, node->concurrency == unlimited ? hardware : node->concurrency);
    }
    return threads;
}

/// Makes @p batch hold @p job alone, reusing its storage.
void hold_one(Items<Value>& batch, Job&& job) {
    batch.ids.assign(1, job.id);
    batch.values.clear();
    batch.values.push_back(std::move(job.value));
}

/// Runs @p chain's bodies on the seed's pattern, one job per queue item.
HandRolledRun run_hand_rolled(const std::vector<const ResolvedNode*>& chain) {
    const ResolvedNode& source_node = *chain.front();
    const ResolvedNode& sink_node = *chain.back();
    const std::vector<const ResolvedNode*> stage_nodes(chain.begin() + 1, chain.end() - 1);
    std::unique_ptr<detail::SourceBody> source = source_node.op->make_source(source_node.params);
    std::vector<std::unique_ptr<detail::StageBody>> stages;
    for (const ResolvedNode* node : stage_nodes) stages.push_back(node->op->make_stage(node->params));
    std::unique_ptr<detail::SinkBody> sink = sink_node.op->make_sink(sink_node.params);

    detail::RunState state;
    Channel<Job> jobs;
    Channel<Job> results;
    HandRolledRun run;
    run.threads = pool_threads(chain);
    const auto start = Clock::now();

    std::thread results_thread([&] {
        BatchContext ctx(state, sink_node.spec->name, 0);
        auto batch = std::make_shared<Items<Value>>();
        while (std::optional<Job> job = results.pop()) {
            hold_one(*batch, std::move(*job));
            sink->consume(batch, ctx);
        }
    });

    std::vector<std::thread> workers;
    for (std::size_t w = 0; w < run.threads; ++w) {
        workers.emplace_back([&, w] {
            std::vector<BatchContext> contexts;
            for (const ResolvedNode* node : stage_nodes) {
                contexts.emplace_back(state, node->spec->name, static_cast<int>(w));
            }
            auto scratch = std::make_shared<Items<Value>>();
            while (std::optional<Job> job = jobs.pop()) {
                hold_one(*scratch, std::move(*job));
                BatchPtr batch = scratch;
                for (std::size_t i = 0; i < stages.size() && batch && batch->size() != 0; ++i) {
                    batch = stages[i]->process(batch, contexts[i]);
                }
                if (!batch || batch->size() == 0) continue;  // filtered out, or failed
                auto& done = static_cast<Items<Value>&>(*batch);
                results.push(Job{done.ids.front(), std::move(done.values.front())});
            }
        });
    }

    // The submitter: the source's batches, split into one queue item per job.
    BatchContext source_ctx(state, source_node.spec->name, 0);
    while (!state.stop_requested()) {
        BatchPtr batch = source->next(detail::BatchSizer::max_jobs, source_ctx);
        if (!batch || batch->size() == 0) break;
        auto& made = static_cast<Items<Value>&>(*batch);
        for (std::size_t i = 0; i < made.size(); ++i) {
            jobs.push(Job{made.ids[i], std::move(made.values[i])});
        }
        run.jobs += made.size();
    }
    jobs.close();
    for (std::thread& worker : workers) worker.join();
    results.close();  // every worker is done: no result can arrive any more
    results_thread.join();
    run.wall = Clock::now() - start;
    sink->finish();
    run.failed = state.failed();
    return run;
}

/// The batch size the runtime's sizer settles on for costs like the ones @p stats measured.
std::size_t settled_batch_size(const RunStats& stats, std::size_t fixed) {
    std::vector<detail::JobCost> costs(stats.nodes.size());
    std::vector<const detail::JobCost*> below;
    for (std::size_t i = 0; i < stats.nodes.size(); ++i) {
        const NodeStats& node = stats.nodes[i];
        if (node.kind == NodeKind::source || node.messages_in == 0) continue;
        costs[i].add(node.busy, node.messages_in);
        below.push_back(&costs[i]);
    }
    return detail::BatchSizer(fixed, std::move(below)).next();
}

/// `12.3 M`, `456 k`, `78.9`: a rate to three significant digits.
std::string human(double rate) {
    char text[32];
    if (rate >= 1e9) {
        std::snprintf(text, sizeof text, "%.3g G", rate / 1e9);
    } else if (rate >= 1e6) {
        std::snprintf(text, sizeof text, "%.3g M", rate / 1e6);
    } else if (rate >= 1e3) {
        std::snprintf(text, sizeof text, "%.3g k", rate / 1e3);
    } else {
        std::snprintf(text, sizeof text, "%.3g", rate);
    }
    return text;
}

double per_second(std::uint64_t jobs, std::chrono::nanoseconds wall) {
    const double seconds = std::chrono::duration<double>(wall).count();
    return seconds > 0 ? static_cast<double>(jobs) / seconds : 0.0;
}

void print_report(std::ostream& out, const GraphSpec& graph, const RunResult& flowpool_run,
                  const HandRolledRun& hand_rolled, std::size_t batch_size) {
    const RunStats& stats = flowpool_run.stats;
    const double fast = per_second(stats.jobs_in, stats.wall);
    const double slow = per_second(hand_rolled.jobs, hand_rolled.wall);
    char line[160];
    out << "flowpool bench: graph '" << graph.name << "' (" << graph.file << "), "
        << stats.jobs_in << " jobs\n";
    std::snprintf(line, sizeof line, "  %-18s %9s jobs/s  %8.3f s\n", "flowpool",
                  human(fast).c_str(), stats.wall_seconds());
    out << line;
    std::snprintf(line, sizeof line,
                  "  %-18s %9s jobs/s  %8.3f s  (%zu threads, one job per queue item)\n",
                  "hand-rolled pool", human(slow).c_str(),
                  std::chrono::duration<double>(hand_rolled.wall).count(), hand_rolled.threads);
    out << line;
    if (slow > 0) {
        std::snprintf(line, sizeof line, "  flowpool / hand-rolled: %.2fx\n", fast / slow);
        out << line;
    }
    out << "  per node (flowpool run): time in the body per job; jobs per message the batch\n"
           "  sizer settles on for these times\n";
    for (const NodeStats& node : stats.nodes) {
        const double ns = node.messages_in == 0
                              ? 0.0
                              : static_cast<double>(node.busy.count()) /
                                    static_cast<double>(node.messages_in);
        std::snprintf(line, sizeof line, "    %-16s %-9s %12.1f ns/job  %6zu jobs/message\n",
                      node.name.c_str(), std::string(to_string(node.kind)).c_str(), ns,
                      batch_size);
        out << line;
    }
}

}  // namespace

int bench_command(const GraphSpec& graph, const OpRegistry& ops, const RunOptions& options,
                  std::ostream& out) {
    const std::vector<ResolvedNode> nodes = detail::resolve(graph, ops);
    const std::vector<const ResolvedNode*> chain = chain_of(graph, nodes);

    const RunResult flowpool_run = run_graph(graph, ops, options);
    std::fflush(stdout);
    const HandRolledRun hand_rolled = run_hand_rolled(chain);
    std::fflush(stdout);

    const std::size_t fixed =
        chain.front()->batch_size != 0 ? chain.front()->batch_size : options.batch_size;
    print_report(out, graph, flowpool_run, hand_rolled, settled_batch_size(flowpool_run.stats, fixed));
    if (flowpool_run.error) {
        out << "flowpool run: " << flowpool_run.error->what() << '\n';
        return 1;
    }
    if (hand_rolled.failed != 0) {
        out << "hand-rolled run: " << hand_rolled.failed << " jobs failed\n";
        return 1;
    }
    return 0;
}

}  // namespace flowpool::cli
