// The runtime: turns a Plan into one oneTBB flow graph and runs it.
//
//   input_node ─► limiter_node ─► function_node(concurrency, batch → batch) ─► ... ─►
//   function_node(serial sink)
//        ▲             ▲                                                                   │
//        │             └────────── ticket released when a batch and all made from it retire┘
//   pulled only while the limiter has room: the source never runs ahead of the workers.
//
// Bodies never let an exception into oneTBB: a failed job is recorded in RunState and left out,
// the sources stop, and the jobs in flight run to the end. So wait_for_all() always returns.
//
// Where the pieces are: the graph's nodes (tbb_graph) and their bodies (source_node, stage_node,
// sink_node); what the bodies share in a run (run_context); in-flight tickets (ticket), counters
// (counters), the ordered sinks' reorder buffer (reorder), the observer (observer); checks and
// sizes read off the plan before it runs (plan_shape), whether its threads can start
// (thread_probe), its figures after (collect).

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <flowpool/detail/plan.hpp>
#include <flowpool/error.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "collect.hpp"
#include "common/log.hpp"
#include "keyed_node.hpp"
#include "observer.hpp"
#include "plan_node.hpp"
#include "plan_shape.hpp"
#include "run_context.hpp"
#include "tbb_graph.hpp"
#include "thread_probe.hpp"

namespace flowpool::detail {
namespace {

/// Throws UsageError if a journal could not make a run of @p nodes resumable: a node holds its
/// jobs back to the end of the run, so a source job is journaled before what it became is out.
void check_resumable(const PlanNodes& nodes) {
    for (const PlanNode& node : nodes) {
        if ((node.stage && node.stage->holds_back()) || (node.sink && node.sink->holds_back())) {
            throw UsageError("a run with a journal cannot resume node '" + node.name +
                             "': it holds jobs back until the end of the run");
        }
    }
}

/// Tells every source that next() will not be called again, then every sink that the run is
/// over; a sink whose finish() throws fails the run, and counts as failed at least one job.
void finish_bodies(PlanNodes& nodes, RunState& state) {
    for (PlanNode& node : nodes) {
        if (node.source) node.source->finish();
    }
    for (PlanNode& node : nodes) {
        if (!node.sink) continue;
        try {
            node.sink->finish();
        } catch (...) {
            // What finish() writes is what the sink held back for it (a summary of every job it
            // took): none of those jobs' results got out, so none of them counts as written.
            // A sink that took no job fails the run all the same: its figures say so, as the
            // error does, or the summary would say "0 failed" of a run that exits 1.
            // With no result lost there is no job to name: the failure is the end of the run's.
            const std::uint64_t lost = node.counters.out.exchange(0);
            const std::uint64_t jobs = std::max<std::uint64_t>(lost, 1);
            const std::uint64_t id = lost == 0 ? JobError::no_job : node.last_id;
            node.counters.failed.fetch_add(jobs);
            try {
                state.job_failed(
                    node.name, id,
                    (lost == 0 ? "at the end of the run: " : "") + current_exception_message(),
                    jobs);
            } catch (...) {
                state.job_failed(node.name, id, "out of memory while reporting a failure", jobs);
            }
        }
    }
}

/// The run's result, also logged and shown to the observer once more.
RunResult run_result(const PlanNodes& nodes, const RunContext& context, const RunOptions& options,
                     std::chrono::nanoseconds wall, std::size_t threads) {
    RunResult result{collect(nodes, context.repeats, wall, threads), context.state.error(),
                     options.cancel && options.cancel->load(std::memory_order_relaxed)};
    log().debug("run finished: {} jobs in, {} results out, {} failed, {:.3f} s",
                result.stats.jobs_in, result.stats.results_out, result.stats.failed,
                result.stats.wall_seconds());
    if (options.observer) {
        try {
            options.observer(result.stats);
        } catch (...) {
            log().warn("the run's observer threw at the end of the run");
        }
    }
    return result;
}

}  // namespace

struct Plan::Impl {
    PlanNodes nodes;
    bool ran = false;
    std::function<void()> tell_failures;  // RunOptions::on_failures with the run's totals

    NodeId add(std::string name, NodeKind kind) {
        for (const PlanNode& node : nodes) {
            if (node.name == name) throw UsageError("two nodes are named '" + name + "'");
        }
        if (ran) throw UsageError("cannot add node '" + name + "' to a pipeline that already ran");
        PlanNode& node = nodes.emplace_back();
        node.name = std::move(name);
        node.kind = kind;
        return nodes.size() - 1;
    }

    /// Throws UsageError if the plan ran already or cannot run; else marks it as run.
    void check() {
        if (ran) throw UsageError("a pipeline runs once; build a new one to run again");
        resolve_dead_letters(nodes);
        check_shape(nodes);
        ran = true;
    }

    // Build the plan's oneTBB graph (in the arena this thread is in), start the journal, activate
    // the sources, wait for every batch to retire, collect the figures.
    RunResult run_checked(const RunOptions& options) {
        const std::size_t in_flight =
            options.max_in_flight != 0 ? options.max_in_flight : default_in_flight(nodes);
        RunContext context(nodes, options);
        TbbGraph graph(context, in_flight);
        if (options.journal != nullptr) options.journal->start();
        if (options.on_failures) {
            tell_failures = [this, &options, &context,
                             quiet = std::make_shared<std::atomic<bool>>()] {
                if (quiet->load(std::memory_order_relaxed)) return;
                const FailureFigures now = failure_figures(nodes, context.repeats);
                try {
                    options.on_failures(now.jobs_in, now.not_ok);
                } catch (...) {
                    // As an observer that throws: logged, and not called again.
                    if (!quiet->exchange(true))
                        log().warn("the run's on_failures threw; it is not called again");
                }
            };
            for (PlanNode& node : nodes) node.counters.on_not_ok = &tell_failures;
        }

        log().debug("run started: {} nodes, {} batches in flight per source", nodes.size(),
                    in_flight);
        const auto start = Clock::now();
        const auto elapsed = [start] {
            return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
        };
        // The threads of the arena it runs in: the most its nodes could use (NodeStats::workers).
        const auto threads =
            static_cast<std::size_t>(oneapi::tbb::this_task_arena::max_concurrency());
        Observer observer(options, [this, &elapsed, &context, threads] {
            RunStats now = collect(nodes, context.repeats, elapsed(), threads);
            now.batches_in_flight = context.batches_in_flight.load(std::memory_order_relaxed);
            return now;
        });
        graph.activate();
        graph.wait();
        graph.flush_held_back();
        for (PlanNode& node : nodes) node.counters.on_not_ok = nullptr;
        const auto wall = elapsed();
        observer.stop();

        finish_bodies(nodes, context.state);
        return run_result(nodes, context, options, wall, threads);
    }
};

Plan::Plan() : impl_(std::make_unique<Impl>()) {}
Plan::~Plan() = default;

NodeId Plan::add_source(std::string name, std::unique_ptr<SourceBody> body,
                        std::size_t batch_size) {
    const NodeId id = impl_->add(std::move(name), NodeKind::source);
    impl_->nodes[id].source = std::move(body);
    impl_->nodes[id].batch_size = batch_size;
    return id;
}

NodeId Plan::add_stage(std::string name, NodeKind kind, std::size_t concurrency,
                       std::unique_ptr<StageBody> body) {
    if (concurrency == 0) {
        throw UsageError("node '" + name + "' has concurrency 0; it must be at least 1");
    }
    const NodeId id = impl_->add(std::move(name), kind);
    PlanNode& node = impl_->nodes[id];
    if (body && body->in_source_order()) node.key = one_lane_key();
    node.stage = std::move(body);
    node.concurrency = concurrency;
    return id;
}

NodeId Plan::add_sink(std::string name, std::unique_ptr<SinkBody> body) {
    const NodeId id = impl_->add(std::move(name), NodeKind::sink);
    impl_->nodes[id].sink = std::move(body);
    return id;
}

void Plan::connect(NodeId from, NodeId to) {
    PlanNode& a = impl_->nodes.at(from);
    PlanNode& b = impl_->nodes.at(to);
    if (a.kind == NodeKind::sink) throw UsageError("sink '" + a.name + "' cannot send jobs on");
    if (b.kind == NodeKind::source) throw UsageError("source '" + b.name + "' cannot take jobs");
    a.successors.push_back(to);
    b.predecessors.push_back(from);
}

std::vector<std::string> Plan::sends_to(NodeId node) const {
    std::vector<std::string> names;
    for (const NodeId next : impl_->nodes.at(node).successors)
        names.push_back(impl_->nodes[next].name);
    return names;
}

void Plan::set_on_error(NodeId node, OnError policy) {
    PlanNode& n = impl_->nodes.at(node);
    if (policy.attempts < 1) {
        throw UsageError("node '" + n.name + "' must try each job at least once, not " +
                         std::to_string(policy.attempts) + " times");
    }
    if (policy.action == OnError::Action::dead_letter && policy.dead_letter.empty()) {
        throw UsageError("node '" + n.name +
                         "' sends failed jobs to a dead-letter sink but names none");
    }
    // Else every try failed before the function ran ("need a job type that can be copied"),
    // and every job went to the dead letters unrun, the run saying nothing.
    const bool keeps_copies = policy.attempts > 1 || policy.action == OnError::Action::dead_letter;
    if (keeps_copies && n.stage && !n.stage->copies_jobs()) {
        throw UsageError("node '" + n.name +
                         "' takes jobs that cannot be copied, and retries and dead letters keep "
                         "a copy of each job (hold the job in a std::shared_ptr)");
    }
    n.on_error = std::move(policy);
}

void Plan::set_timeout(NodeId node, std::chrono::milliseconds timeout) {
    PlanNode& n = impl_->nodes.at(node);
    if (!n.stage)
        throw UsageError("only a function or filter can have a timeout; '" + n.name +
                         "' is not one");
    if (timeout.count() < 0) throw UsageError("node '" + n.name + "' has a negative timeout");
    n.timeout = timeout;
}

void Plan::set_key(NodeId node, std::unique_ptr<KeyBody> key) {
    PlanNode& n = impl_->nodes.at(node);
    if (!n.stage)
        throw UsageError("only a function or filter can be keyed; '" + n.name + "' is not one");
    if (!key) throw UsageError("node '" + n.name + "' is given a null key");
    n.key = std::move(key);
}

void Plan::set_ordered(NodeId node, std::size_t window) {
    PlanNode& n = impl_->nodes.at(node);
    if (n.kind != NodeKind::sink)
        throw UsageError("only a sink can be ordered; '" + n.name + "' is not one");
    if (window == 0) throw UsageError("sink '" + n.name + "' needs a reorder window of at least 1");
    n.reorder_window = window;
}

// Check the plan, then run it in an arena of RunOptions::threads threads, or, when that is 0,
// of run_threads(): oneTBB's default arena (a thread per core) when that is the cores' count; a
// smaller one when the workers need fewer (an idle thread of the default arena would spin
// between batches, using a core for nothing); a larger one when a node's jobs wait
// (StageBody::waits), so that `concurrency: 8` waits on 8 programs at once even on 2 cores; those
// threads are started once beforehand, so that a run that cannot have them ends before it starts.
RunResult Plan::run(const RunOptions& options) {
    impl_->check();
    if (options.journal != nullptr) check_resumable(impl_->nodes);
    const std::size_t threads = options.threads != 0 ? options.threads : run_threads(impl_->nodes);
    if (threads == default_workers()) return impl_->run_checked(options);
    // The global limit caps every arena's workers at the cores' count unless raised; it is
    // lowered again when `more` ends.
    std::optional<oneapi::tbb::global_control> more;
    if (threads > default_workers()) {
        check_threads_start(impl_->nodes, threads);  // else oneTBB's terminate, mid-run
        more.emplace(oneapi::tbb::global_control::max_allowed_parallelism, threads);
    }
    oneapi::tbb::task_arena arena(static_cast<int>(threads));
    return arena.execute([&] { return impl_->run_checked(options); });
}

}  // namespace flowpool::detail
