// A chain of op bodies on the hand-rolled pool: the submitter splits the source's batches into
// one queue item per job, each worker runs its own stage bodies on one job at a time (and on
// each piece of a job a body cut up, alone), and the results thread hands each job to the sink
// alone.

#include "chain_runner.hpp"

#include <exception>
#include <flowpool/detail/job_loop.hpp>
#include <functional>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "hand_rolled_pool.hpp"

namespace flowpool::baseline {
namespace {

using Clock = std::chrono::steady_clock;

using detail::BatchPtr;
using detail::current_exception_message;
using detail::Items;

/// Jobs the submitter asks the source for at a time (then queued one by one).
constexpr std::size_t source_batch = 256;

/// One job between the pool's threads.
struct ChainJob {
    std::uint64_t id = 0;  ///< the id the source gave it
    Value value;           ///< its payload
};

/// Makes @p batch hold @p job alone, reusing its storage.
void hold_one(Items<Value>& batch, ChainJob&& job) {
    batch.ids.assign(1, job.id);
    batch.values.clear();
    batch.values.push_back(std::move(job.value));
}

/// The jobs of @p batch, moved out of it.
std::vector<ChainJob> take_jobs(Items<Value>& batch) {
    std::vector<ChainJob> jobs;
    jobs.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        jobs.push_back(ChainJob{batch.ids[i], std::move(batch.values[i])});
    }
    return jobs;
}

/// One worker thread: bodies of its own for every function node, run on one job at a time.
class ChainWorker {
public:
    ChainWorker(std::span<const ChainNode> stages, RunState& state, std::size_t worker)
        : stages_(stages), state_(state) {
        for (const ChainNode& node : stages) {
            bodies_.push_back(node.make_stage());
            contexts_.emplace_back(state, node.name, static_cast<int>(worker), &node.on_error);
        }
    }

    /// Runs @p job through every function node and calls @p emit with each job that comes out:
    /// none if a node dropped it or it failed, several if a node cut it into pieces.
    template <class Emit>
    void operator()(ChainJob&& job, const Emit& emit) {
        run_from(0, std::move(job), emit);
    }

private:
    /// Runs @p job through the function nodes from number @p first on, as operator() does. A
    /// node that gives several jobs (`explode`) has each run alone through the nodes after it,
    /// as a hand-written loop over the pieces would.
    template <class Emit>
    void run_from(std::size_t first, ChainJob&& job, const Emit& emit) {
        hold_one(*scratch_, std::move(job));
        BatchPtr batch = scratch_;
        for (std::size_t i = first; i < bodies_.size(); ++i) {
            const std::uint64_t id = batch->ids.front();
            try {
                batch = bodies_[i]->process(batch, contexts_[i]);
            } catch (...) {  // a plugin's body may throw anything
                state_.job_failed(stages_[i].name, id, current_exception_message());
                return;
            }
            if (!batch || batch->size() == 0) return;  // filtered out, or failed
            if (batch->size() > 1) {
                // Taken out first: each piece's run reuses scratch_, which may hold them.
                for (ChainJob& piece : take_jobs(static_cast<Items<Value>&>(*batch))) {
                    run_from(i + 1, std::move(piece), emit);
                }
                return;
            }
        }
        auto& done = static_cast<Items<Value>&>(*batch);
        emit(ChainJob{done.ids.front(), std::move(done.values.front())});
    }

    std::span<const ChainNode> stages_;
    RunState& state_;
    std::vector<std::unique_ptr<StageBody>> bodies_;
    std::vector<BatchContext> contexts_;
    std::shared_ptr<Items<Value>> scratch_ = std::make_shared<Items<Value>>();
};

/// The submitter: the source's batches, split into a queue item a job. Returns the jobs made.
/// A source whose batches hold text (`jsonl`, `csv`, `lines`) has them decoded here, on the one
/// submitting thread, as a hand-rolled pool that reads records would parse them.
template <class Push>
std::uint64_t submit_jobs(SourceBody& source, const ChainNode& node, RunState& state, Push& push) {
    BatchContext ctx(state, node.name, 0);
    std::uint64_t jobs = 0;
    while (!state.stop_requested()) {
        BatchPtr batch;
        std::size_t read = 0;
        try {
            batch = source.next(source_batch, ctx);
            read = batch ? batch->size() : 0;
            // A line that does not decode is a job made, and failed (reported by decode()).
            if (read != 0 && source.decodes()) batch = source.decode(batch, ctx);
        } catch (...) {
            state.job_failed(node.name, jobs, current_exception_message());
            break;
        }
        if (read == 0) break;
        auto& made = static_cast<Items<Value>&>(*batch);
        for (std::size_t i = 0; i < made.size(); ++i)
            push(ChainJob{made.ids[i], std::move(made.values[i])});
        jobs += read;
    }
    return jobs;
}

/// The results thread's end of the chain: hands each job to the sink alone.
class ChainSink {
public:
    ChainSink(SinkBody& sink, const ChainNode& node, RunState& state)
        : sink_(sink), node_(node), state_(state), ctx_(state, node.name, 0, &node.on_error) {}

    void operator()(ChainJob&& job) {
        const std::uint64_t id = job.id;
        hold_one(*one_, std::move(job));
        try {
            sink_.consume(one_, ctx_);
        } catch (...) {
            state_.job_failed(node_.name, id, current_exception_message());
        }
    }

private:
    SinkBody& sink_;
    const ChainNode& node_;
    RunState& state_;
    BatchContext ctx_;
    std::shared_ptr<Items<Value>> one_ = std::make_shared<Items<Value>>();
};

}  // namespace

ChainRun run_chain(const std::vector<ChainNode>& chain, std::size_t threads) {
    const ChainNode& source_node = chain.front();
    const ChainNode& sink_node = chain.back();
    const std::span<const ChainNode> stages(chain.begin() + 1, chain.end() - 1);
    RunState state;
    // Every body before the first job, here: a maker that throws must not throw on a thread.
    const std::unique_ptr<SourceBody> source = source_node.make_source();
    std::vector<ChainWorker> workers;
    workers.reserve(threads);
    for (std::size_t w = 0; w < threads; ++w) workers.emplace_back(stages, state, w);
    const std::unique_ptr<SinkBody> sink = sink_node.make_sink();
    ChainSink consume(*sink, sink_node, state);

    ChainRun run;
    const auto start = Clock::now();
    run_pool<ChainJob, ChainJob>(
        threads, [&](auto&& push) { run.jobs = submit_jobs(*source, source_node, state, push); },
        [&workers](std::size_t worker) { return std::ref(workers[worker]); },
        [&](ChainJob&& job) { consume(std::move(job)); });
    run.wall = Clock::now() - start;
    sink->finish();
    run.error = state.error();
    return run;
}

}  // namespace flowpool::baseline
