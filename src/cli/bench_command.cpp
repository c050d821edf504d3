// `flowpool bench GRAPH`: the graph on flowpool, then its function chain on the hand-rolled pool.
//
//   flowpool:     source ─► functions (batched, W at once) ─► sink          (run_graph)
//   hand-rolled:  submitter ─► job queue ─► W threads, each runs the whole chain on one job
//                 ─► results queue ─► results thread ─► sink      (baseline::run_pool)
//
// Both runs use bodies made by the same ops from the same parameters, so they do the same work;
// only the way jobs move between threads differs. The sink is wrapped in a TallySink in both, so
// the report can say whether both runs delivered the same jobs with the same values.

#include "bench_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <typeindex>
#include <utility>
#include <vector>

#include "baseline/hand_rolled_pool.hpp"
#include "graphfile/resolve.hpp"
#include "runtime/run_state.hpp"

namespace flowpool::cli {
namespace {

using Clock = std::chrono::steady_clock;
using detail::BatchContext;
using detail::BatchPtr;
using detail::Items;
using detail::ResolvedNode;

/// Jobs the hand-rolled pool's submitter asks the source for at a time (then queued one by one).
constexpr std::size_t source_batch = 256;
/// The name of the counting sink op that stands in for the graph's sink op in both runs.
constexpr const char* tally_op_name = "flowpool-bench-tally";

/// What reached the sink in one run: jobs, and a checksum of their ids and values that does not
/// depend on the order they came in.
struct Tally {
    std::uint64_t jobs = 0;      ///< jobs consumed
    std::uint64_t checksum = 0;  ///< sum (mod 2^64) of a hash of each job's id and value
};

/// splitmix64's finaliser: spreads the bits of @p x.
std::uint64_t mix(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// The graph's own sink, counting and checksumming each batch before it consumes it.
class TallySink final : public detail::SinkBody {
  public:
    /// Wraps @p inner; @p tally receives the counts (the sink is serial: no lock needed).
    TallySink(std::unique_ptr<detail::SinkBody> inner, Tally& tally)
        : inner_(std::move(inner)), tally_(tally) {}

    void consume(const BatchPtr& in, BatchContext& ctx) override {
        if (const auto* items = dynamic_cast<const Items<Value>*>(in.get())) {
            for (std::size_t i = 0; i < items->size(); ++i) {
                tally_.checksum += mix(items->ids[i] ^ std::hash<Value>{}(items->values[i]));
            }
        }
        tally_.jobs += in->size();
        inner_->consume(in, ctx);
    }
    void finish() override { inner_->finish(); }
    [[nodiscard]] std::type_index takes() const noexcept override { return inner_->takes(); }

  private:
    std::unique_ptr<detail::SinkBody> inner_;
    Tally& tally_;
};

/// The graph and ops both runs use: the user's, with the sink's op wrapped in a TallySink that
/// reports into `tally`.
struct TalliedGraph {
    GraphSpec graph;                  ///< the user's graph, its sink naming tally_op_name
    OpRegistry ops;                   ///< the user's ops plus tally_op_name
    const OpInfo* sink_op = nullptr;  ///< the wrapped op, in `ops`
    Tally tally;                      ///< what the latest run delivered; reset before each run

    TalliedGraph(const GraphSpec& user_graph, const OpRegistry& user_ops,
                 const std::string& sink_name)
        : graph(user_graph), ops(user_ops) {
        auto sink = std::find_if(graph.nodes.begin(), graph.nodes.end(),
                                 [&](const NodeSpec& node) { return node.name == sink_name; });
        OpInfo wrapped = *ops.find(sink->op);
        wrapped.name = tally_op_name;
        wrapped.make_sink = [inner = wrapped.make_sink, this](const Params& params) {
            return std::make_unique<TallySink>(inner(params), tally);
        };
        ops.add(std::move(wrapped));
        sink->op = tally_op_name;
        sink_op = ops.find(tally_op_name);
    }
    TalliedGraph(const TalliedGraph&) = delete;  // the wrapped op refers to `tally`
    TalliedGraph& operator=(const TalliedGraph&) = delete;
};

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

/// Threads for the hand-rolled pool: the widest function node's concurrency (`unlimited`: one
/// per hardware thread).
std::size_t pool_threads(const std::vector<const ResolvedNode*>& chain) {
    const std::size_t hardware = std::max(1U, std::thread::hardware_concurrency());
    std::size_t threads = 1;
    for (const ResolvedNode* node : chain) {
        if (node->kind != NodeKind::function && node->kind != NodeKind::filter) continue;
        threads = std::max(threads, node->concurrency == unlimited ? hardware : node->concurrency);
    }
    return threads;
}

/// One job between the hand-rolled pool's threads.
struct Job {
    std::uint64_t id = 0;  ///< the id the source gave it
    Value value;           ///< its payload
};

/// Makes @p batch hold @p job alone, reusing its storage.
void hold_one(Items<Value>& batch, Job&& job) {
    batch.ids.assign(1, job.id);
    batch.values.clear();
    batch.values.push_back(std::move(job.value));
}

/// One worker thread of the hand-rolled pool: bodies of its own for every function node, run on
/// one job at a time.
class ChainWorker {
  public:
    ChainWorker(const std::vector<const ResolvedNode*>& stages, detail::RunState& state,
                std::size_t worker)
        : stages_(stages), state_(state) {
        for (const ResolvedNode* node : stages) {
            bodies_.push_back(node->op->make_stage(node->params));
            contexts_.emplace_back(state, node->spec->name, static_cast<int>(worker),
                                   &node->on_error);
        }
    }

    /// The job after every function node, or nothing if one dropped it or it failed.
    std::optional<Job> operator()(Job&& job) {
        const std::uint64_t id = job.id;
        hold_one(*scratch_, std::move(job));
        BatchPtr batch = scratch_;
        for (std::size_t i = 0; i < bodies_.size() && batch && batch->size() != 0; ++i) {
            try {
                batch = bodies_[i]->process(batch, contexts_[i]);
            } catch (const std::exception& e) {
                state_.job_failed(stages_[i]->spec->name, id, e.what());
                return std::nullopt;
            }
        }
        if (!batch || batch->size() == 0) return std::nullopt;  // filtered out, or failed
        auto& done = static_cast<Items<Value>&>(*batch);
        return Job{done.ids.front(), std::move(done.values.front())};
    }

  private:
    const std::vector<const ResolvedNode*>& stages_;
    detail::RunState& state_;
    std::vector<std::unique_ptr<detail::StageBody>> bodies_;
    std::vector<BatchContext> contexts_;
    std::shared_ptr<Items<Value>> scratch_ = std::make_shared<Items<Value>>();
};

/// What one run did, flowpool's or the hand-rolled pool's.
struct Measured {
    std::uint64_t jobs = 0;            ///< jobs the source made
    std::chrono::nanoseconds wall{0};  ///< from the first job made to the last one consumed
    Tally delivered;                   ///< what reached the sink
    std::optional<JobError> error;     ///< the first failed job, if any
    RunStats stats;                    ///< flowpool's figures (empty for the hand-rolled pool)

    /// Jobs made per second of wall time.
    [[nodiscard]] double rate() const noexcept {
        const double seconds = std::chrono::duration<double>(wall).count();
        return seconds > 0 ? static_cast<double>(jobs) / seconds : 0.0;
    }
};

/// Runs @p graph as `flowpool run` does.
Measured run_flowpool(TalliedGraph& graph) {
    graph.tally = {};
    const RunResult result = run_graph(graph.graph, graph.ops);
    return Measured{result.stats.jobs_in, result.stats.wall, graph.tally, result.error,
                    result.stats};
}

/// The submitter of the hand-rolled pool: the source's batches, split into a queue item a job.
template <class Push>
std::uint64_t submit_jobs(detail::SourceBody& source, const ResolvedNode& node,
                          detail::RunState& state, Push& push) {
    BatchContext ctx(state, node.spec->name, 0);
    std::uint64_t jobs = 0;
    while (!state.stop_requested()) {
        BatchPtr batch;
        try {
            batch = source.next(source_batch, ctx);
        } catch (const std::exception& e) {
            state.job_failed(node.spec->name, jobs, e.what());
            break;
        }
        if (!batch || batch->size() == 0) break;
        auto& made = static_cast<Items<Value>&>(*batch);
        for (std::size_t i = 0; i < made.size(); ++i)
            push(Job{made.ids[i], std::move(made.values[i])});
        jobs += made.size();
    }
    return jobs;
}

/// Runs @p chain's bodies on the hand-rolled pool, @p threads threads, one job per queue item.
Measured run_hand_rolled(const std::vector<const ResolvedNode*>& chain, TalliedGraph& graph,
                         std::size_t threads) {
    const ResolvedNode& source_node = *chain.front();
    const ResolvedNode& sink_node = *chain.back();
    const std::vector<const ResolvedNode*> stages(chain.begin() + 1, chain.end() - 1);
    graph.tally = {};
    const std::unique_ptr<detail::SourceBody> source =
        source_node.op->make_source(source_node.params);
    const std::unique_ptr<detail::SinkBody> sink = graph.sink_op->make_sink(sink_node.params);
    detail::RunState state;
    BatchContext sink_ctx(state, sink_node.spec->name, 0, &sink_node.on_error);
    auto one = std::make_shared<Items<Value>>();

    Measured run;
    const auto start = Clock::now();
    baseline::run_pool<Job, Job>(
        threads, [&](auto&& push) { run.jobs = submit_jobs(*source, source_node, state, push); },
        [&](std::size_t worker) { return ChainWorker(stages, state, worker); },
        [&](Job&& job) {
            const std::uint64_t id = job.id;
            hold_one(*one, std::move(job));
            try {
                sink->consume(one, sink_ctx);
            } catch (const std::exception& e) {
                state.job_failed(sink_node.spec->name, id, e.what());
            }
        });
    run.wall = Clock::now() - start;
    sink->finish();
    run.delivered = graph.tally;
    run.error = state.error();
    return run;
}

/// While alive, standard output goes to /dev/null: the sinks' lines are not the report.
class QuietStdout {
  public:
    QuietStdout() {
        std::cout.flush();
        std::fflush(stdout);
        saved_ = ::dup(STDOUT_FILENO);
        const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (saved_ >= 0 && null >= 0) ::dup2(null, STDOUT_FILENO);
        if (null >= 0) ::close(null);
    }
    ~QuietStdout() {
        std::cout.flush();
        std::fflush(stdout);
        if (saved_ < 0) return;
        ::dup2(saved_, STDOUT_FILENO);
        ::close(saved_);
    }
    QuietStdout(const QuietStdout&) = delete;
    QuietStdout& operator=(const QuietStdout&) = delete;

  private:
    int saved_ = -1;
};

/// `12.3 M`, `456 k`, `78.9`: a rate to three significant digits, with its SI prefix.
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

/// The run of @p runs with the median rate (the upper median for an even count).
const Measured& median(std::vector<Measured>& runs) {
    std::sort(runs.begin(), runs.end(),
              [](const Measured& a, const Measured& b) { return a.rate() < b.rate(); });
    return runs[runs.size() / 2];
}

/// One line of the rates: `  NAME  JOBS jobs in SECONDS s: RATE jobs/s  NOTE`.
void print_rate(std::ostream& out, const char* name, const Measured& run, const std::string& note) {
    char line[200];
    std::snprintf(line, sizeof line, "  %-17s %llu jobs in %.4f s: %s jobs/s%s\n", name,
                  static_cast<unsigned long long>(run.jobs),
                  std::chrono::duration<double>(run.wall).count(), human(run.rate()).c_str(),
                  note.c_str());
    out << line;
}

/// Per node of the flowpool run: time in the body per job, and jobs per message (batch size).
void print_nodes(std::ostream& out, const RunStats& stats) {
    out << "  per node (flowpool run): time in the body per job, and jobs per message "
           "(the batch size)\n";
    char line[200];
    for (const NodeStats& node : stats.nodes) {
        const double ns = node.messages_in == 0 ? 0.0
                                                : static_cast<double>(node.busy.count()) /
                                                      static_cast<double>(node.messages_in);
        std::snprintf(line, sizeof line, "    %-16s %-8s %12.1f ns/job %8.1f jobs/message\n",
                      node.name.c_str(), std::string(to_string(node.kind)).c_str(), ns,
                      node.mean_batch());
        out << line;
    }
}

void print_report(std::ostream& out, const GraphSpec& graph, std::size_t repeat,
                  const Measured& fast, const Measured& slow, std::size_t threads) {
    out << "flowpool bench: graph '" << graph.name << "' (" << graph.file << "), "
        << (repeat == 1 ? std::string("one run") : "median of " + std::to_string(repeat) + " runs")
        << " each\n";
    print_rate(out, "flowpool", fast, "");
    print_rate(out, "hand-rolled pool", slow,
               "  (" + std::to_string(threads) + " threads, one job per queue item)");
    if (slow.rate() > 0) {
        char line[80];
        std::snprintf(line, sizeof line, "  flowpool / hand-rolled: %.2fx\n",
                      fast.rate() / slow.rate());
        out << line;
    }
    out << "  sink: " << fast.delivered.jobs << " jobs in the flowpool run, " << slow.delivered.jobs
        << " in the hand-rolled run; ids and values "
        << (fast.delivered.jobs == slow.delivered.jobs &&
                    fast.delivered.checksum == slow.delivered.checksum
                ? "match"
                : "DIFFER (an op that is not deterministic?)")
        << " (its output went to /dev/null)\n";
    print_nodes(out, fast.stats);
}

}  // namespace

int bench_command(const GraphSpec& graph, const OpRegistry& ops, std::size_t repeat,
                  std::ostream& out) {
    const std::vector<ResolvedNode> nodes = detail::resolve(graph, ops);
    const std::vector<const ResolvedNode*> chain = chain_of(graph, nodes);
    check_source_can_be_read_twice(*chain.front(), graph.file);
    TalliedGraph tallied(graph, ops, chain.back()->spec->name);
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
            hand_rolled_runs.push_back(run_hand_rolled(chain, tallied, threads));
            error = hand_rolled_runs.back().error;
        }
    }
    if (error) {
        std::cerr << "error: " << error->what() << '\n';
        return 1;
    }
    if (flowpool_runs.back().jobs != hand_rolled_runs.back().jobs) {
        throw UsageError("the source of '" + graph.file + "' made " +
                         std::to_string(flowpool_runs.back().jobs) + " jobs for flowpool but " +
                         std::to_string(hand_rolled_runs.back().jobs) +
                         " for the hand-rolled pool: flowpool bench needs a source that gives "
                         "the same jobs each time it is read");
    }
    print_report(out, graph, flowpool_runs.size(), median(flowpool_runs), median(hand_rolled_runs),
                 threads);
    return 0;
}

}  // namespace flowpool::cli
