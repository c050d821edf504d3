#pragma once
/// @file pipeline.hpp
/// The typed C++ API: a source of jobs, stages with a worker count each, and a sink.
///
/// @code
/// auto stats = flowpool::source("jobs", flowpool::range(10))
///                  .stage("workers", 3, [](std::int64_t v) { return v * 2; })
///                  .sink("results", [](std::int64_t v, const flowpool::JobContext& job) {
///                      std::printf("Result: Job %llu Value %lld\n", ...);
///                  })
///                  .run();
/// @endcode

#include <flowpool/detail/job_loop.hpp>
#include <flowpool/detail/plan.hpp>
#include <flowpool/error.hpp>
#include <flowpool/on_error.hpp>
#include <flowpool/stats.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace flowpool {

namespace detail {

/// True if @p Generator can also append up to `max` jobs to a batch in one call:
/// `std::size_t fill(Items<T>& batch, std::uint64_t first_id, std::size_t max)`, which returns
/// how many it added, fewer than `max` only once it has no more.
template <class Generator, class T>
concept fills_batches = requires(Generator& g, Items<T>& batch, std::uint64_t id, std::size_t max) {
    { g.fill(batch, id, max) } -> std::same_as<std::size_t>;
};

/// A source made from a generator `std::optional<T>()`: jobs until it returns std::nullopt.
/// A generator that fills_batches (a range) makes each batch in one loop instead.
template <class T, class Generator>
class GeneratorSource final : public SourceBody {
public:
    explicit GeneratorSource(Generator generator) : generator_(std::move(generator)) {}

    BatchPtr next(std::size_t max_jobs, BatchContext& ctx) override {
        if (done_) return nullptr;
        std::shared_ptr<Items<T>> batch = pool_.get();
        if constexpr (fills_batches<Generator, T>) {
            fill(*batch, max_jobs, ctx);
        } else {
            call_per_job(*batch, max_jobs, ctx);
        }
        if (batch->size() == 0) return nullptr;
        return batch;
    }

    [[nodiscard]] std::size_t job_bytes() const noexcept override {
        return sizeof(std::uint64_t) + sizeof(T);
    }

    /// A generator that fills batches (a range) computes its jobs; any other may wait in its
    /// call (on a socket, a queue), so it keeps a thread of its own.
    [[nodiscard]] bool waits() const noexcept override { return !fills_batches<Generator, T>; }

private:
    /// Makes the batch with the generator's own loop (a range's): one pass, no call per job.
    void fill(Items<T>& batch, std::size_t max_jobs, BatchContext& ctx) {
        try {
            if (generator_.fill(batch, next_id_, max_jobs) < max_jobs) done_ = true;
        } catch (...) {
            report_current_exception(ctx, next_id_ + batch.size());
            done_ = true;
        }
        next_id_ += batch.size();
    }

    /// Makes the batch a job at a time, calling the generator for each. The batch goes on early
    /// once making it took a batch's work (batch_work): the sizer times the nodes below, not the
    /// generator, and one that takes milliseconds a job would else keep the first jobs waiting,
    /// and holding their memory, until thousands more were made. The clock is read after the
    /// 1st, 2nd, 4th, 8th... job: a first job waits at most about twice that.
    void call_per_job(Items<T>& batch, std::size_t max_jobs, BatchContext& ctx) {
        batch.reserve(max_jobs);
        const auto start = std::chrono::steady_clock::now();
        for (std::size_t check_at = 1; batch.size() < max_jobs;) {
            std::optional<T> job;
            try {
                job = generator_();
            } catch (...) {
                // The job it was making fails; the ones already made still run.
                report_current_exception(ctx, next_id_++);
                done_ = true;
                break;
            }
            if (!job) {
                done_ = true;
                break;
            }
            batch.ids.push_back(next_id_++);
            batch.values.push_back(std::move(*job));
            if (batch.size() == check_at) {
                if (std::chrono::steady_clock::now() - start >= batch_work) break;
                check_at *= 2;
            }
        }
    }

    Generator generator_;
    BatchPool<T> pool_;
    std::uint64_t next_id_ = 0;
    bool done_ = false;
};

/// A stage running a user function on each job of type @p In.
template <class In, class F>
class FunctionStage final : public StageBody {
public:
    explicit FunctionStage(F f) : f_(std::move(f)) {}
    BatchPtr process(const BatchPtr& in, BatchContext& ctx) override {
        return map_jobs<In>(in, ctx, f_);
    }
    [[nodiscard]] std::type_index takes() const noexcept override { return typeid(In); }
    [[nodiscard]] bool copies_jobs() const noexcept override {
        return std::is_copy_constructible_v<In>;
    }

private:
    F f_;
};

/// A sink running a user function on each job of type @p In.
template <class In, class F>
class FunctionSink final : public SinkBody {
public:
    explicit FunctionSink(F f) : f_(std::move(f)) {}
    void consume(const BatchPtr& in, BatchContext& ctx) override { consume_jobs<In>(in, ctx, f_); }
    [[nodiscard]] std::type_index takes() const noexcept override { return typeid(In); }

private:
    F f_;
};

}  // namespace detail

/// Asks a sink to consume each source's jobs in id order (see Flow::sink).
struct InOrder {
    /// The most jobs held back while an earlier one is still on its way (about; batches are
    /// capped at window / messages in flight so that the bound holds).
    std::size_t window = default_reorder_window;
};

/// Consume in id order, with the default reorder window.
inline constexpr InOrder in_order{};

/// A pipeline that is complete (it ends in a sink) and can be run.
class Pipeline {
public:
    /// Runs every job to completion and returns what happened; a failed job does not throw.
    [[nodiscard]] RunResult try_run(const RunOptions& options = {}) { return plan_->run(options); }

    /// Runs every job to completion. Throws JobError, naming the node and the job, if any job
    /// failed; the other jobs still ran to the end.
    RunStats run(const RunOptions& options = {}) {
        RunResult result = plan_->run(options);
        if (result.error) throw *result.error;
        return std::move(result.stats);
    }

private:
    template <class>
    friend class Flow;
    explicit Pipeline(std::shared_ptr<detail::Plan> plan) : plan_(std::move(plan)) {}
    std::shared_ptr<detail::Plan> plan_;
};

template <class T>
class Flow;

namespace detail {
/// Starts a pipeline with @p body, a source whose jobs are of type @p T: what source() and the
/// registry's source ops (flowpool/source_op.hpp) build on.
template <class T>
Flow<T> start_flow(std::string name, std::unique_ptr<SourceBody> body, std::size_t batch_size);
}  // namespace detail

/// A pipeline under construction whose last node passes on jobs of type @p T.
/// Copies share one graph: adding two stages or sinks after the same Flow sends every job to
/// both (a fan-out), each its own copy; if @p T cannot be copied, the second throws UsageError.
template <class T>
class Flow {
public:
    /// Adds a stage that runs @p f on every job, at most @p workers at once (`flowpool::serial`,
    /// a number, or `flowpool::unlimited`). @p f takes the job (and optionally a
    /// `const JobContext&`) and returns its result; returning an empty std::optional drops the
    /// job; throwing fails it.
    template <class F>
    auto stage(std::string name, std::size_t workers, F f) const {
        using Out = detail::passed_on_t<detail::job_result_t<F, T>>;
        check_fan_out(name);
        const detail::NodeId id =
            plan_->add_stage(std::move(name), NodeKind::function, workers,
                             std::make_unique<detail::FunctionStage<T, F>>(std::move(f)));
        plan_->connect(tail_, id);
        return Flow<Out>(plan_, id);
    }

    /// Adds a filter that keeps the jobs for which @p keep returns true.
    template <class P>
    Flow<T> filter(std::string name, std::size_t workers, P keep) const {
        auto body = [keep = std::move(keep)](T&& job,
                                             const JobContext& ctx) mutable -> std::optional<T> {
            if (detail::call_job(keep, static_cast<const T&>(job), ctx)) return std::move(job);
            return std::nullopt;
        };
        using Body = decltype(body);
        check_fan_out(name);
        const detail::NodeId id =
            plan_->add_stage(std::move(name), NodeKind::filter, workers,
                             std::make_unique<detail::FunctionStage<T, Body>>(std::move(body)));
        plan_->connect(tail_, id);
        return Flow<T>(plan_, id);
    }

    /// Sets what the last node added does with a job that throws: fail the run (the default),
    /// skip the job, or send it to a dead-letter sink (see dead_letters()), after retries if asked.
    Flow on_error(OnError policy) const {
        plan_->set_on_error(tail_, std::move(policy));
        return *this;
    }

    /// Gives up on a job of the last node added that runs longer than @p limit: it fails as
    /// the node's on_error says. Each job of that node then runs on a thread of its own, and a
    /// job given up on keeps running, detached, until it returns, so its function must not use
    /// anything that ends with the run. For jobs that may hang, not for fast ones.
    Flow timeout(std::chrono::milliseconds limit) const {
        plan_->set_timeout(tail_, limit);
        return *this;
    }

    /// Ends the pipeline with a serial sink that runs @p f on every job.
    template <class F>
    Pipeline sink(std::string name, F f) const {
        check_fan_out(name);
        const detail::NodeId id = plan_->add_sink(
            std::move(name), std::make_unique<detail::FunctionSink<T, F>>(std::move(f)));
        plan_->connect(tail_, id);
        return Pipeline(plan_);
    }

    /// Ends the pipeline with a serial sink that runs @p f on every job in id order, although
    /// the workers finish them out of order. Filtered and failed jobs do not hold the order up.
    template <class F>
    Pipeline sink(std::string name, F f, InOrder order) const {
        check_fan_out(name);
        const detail::NodeId id = plan_->add_sink(
            std::move(name), std::make_unique<detail::FunctionSink<T, F>>(std::move(f)));
        plan_->set_ordered(id, order.window);
        plan_->connect(tail_, id);
        return Pipeline(plan_);
    }

    /// Adds a sink named @p name for the jobs of type @p T that a later node's
    /// `OnError::dead_letter_to(name)` sends it: @p f gets each failed job, and its
    /// JobContext says where and why it failed (failed_node(), error()). Returns this flow.
    template <class F>
    Flow dead_letters(std::string name, F f) const {
        plan_->add_sink(std::move(name),
                        std::make_unique<detail::FunctionSink<T, F>>(std::move(f)));
        return *this;
    }

private:
    template <class>
    friend class Flow;
    friend Flow detail::start_flow<T>(std::string name, std::unique_ptr<SourceBody> body,
                                      std::size_t batch_size);

    Flow(std::shared_ptr<detail::Plan> plan, detail::NodeId tail)
        : plan_(std::move(plan)), tail_(tail) {}

    /// Throws UsageError if node @p name would be a second node after this one while its jobs
    /// cannot be copied: each node of a fan-out gets a copy of every job. Else every job would
    /// fail when it runs.
    void check_fan_out(const std::string& name) const {
        if constexpr (!std::is_copy_constructible_v<T>) {
            const std::vector<std::string> taken_by = plan_->sends_to(tail_);
            if (!taken_by.empty()) {
                throw UsageError("node '" + name + "' cannot take the jobs '" + taken_by.front() +
                                 "' takes: a job type that cannot be copied goes to one node "
                                 "(hold the job in a std::shared_ptr to send it to several)");
            }
        }
    }

    std::shared_ptr<detail::Plan> plan_;
    detail::NodeId tail_;
};

template <class T>
Flow<T> detail::start_flow(std::string name, std::unique_ptr<SourceBody> body,
                           std::size_t batch_size) {
    auto plan = std::make_shared<Plan>();
    const NodeId id = plan->add_source(std::move(name), std::move(body), batch_size);
    return Flow<T>(std::move(plan), id);
}

/// Starts a pipeline with a source: @p generator is called by one thread at a time and returns
/// `std::optional<T>`, the next job or std::nullopt when there are no more. Jobs get ids 0, 1, ...
/// If it throws, the job it was making fails (with the next id) and the source ends.
/// @p batch_size fixes the jobs per message; 0 (the default) sizes batches automatically.
template <class G>
auto source(std::string name, G generator, std::size_t batch_size = 0) {
    using R = std::decay_t<std::invoke_result_t<G&>>;
    static_assert(detail::is_optional<R>::value, "a source generator returns std::optional<T>");
    using T = typename R::value_type;
    return detail::start_flow<T>(
        std::move(name), std::make_unique<detail::GeneratorSource<T, G>>(std::move(generator)),
        batch_size);
}

/// What range() returns: a generator of consecutive integers that can also fill a whole batch
/// in one loop, so a source made from it costs well under a nanosecond a job.
class RangeGenerator {
public:
    /// The integers @p first, @p first + 1, ..., @p end - 1 (none if end <= first).
    RangeGenerator(std::int64_t first, std::int64_t end) noexcept
        : next_(static_cast<std::uint64_t>(first)),
          left_(end > first ? static_cast<std::uint64_t>(end) - static_cast<std::uint64_t>(first)
                            : 0) {}

    /// @p count integers from @p first; first + count - 1 must be an int64 (INT64_MAX too).
    static RangeGenerator counting(std::int64_t first, std::uint64_t count) noexcept {
        RangeGenerator generator(first, first);
        generator.left_ = count;
        return generator;
    }

    /// The next integer, or std::nullopt after the last.
    std::optional<std::int64_t> operator()() noexcept {
        if (left_ == 0) return std::nullopt;
        --left_;
        return static_cast<std::int64_t>(next_++);
    }

    /// Appends the next integers, at most @p max, to @p batch with ids @p first_id, @p first_id
    /// + 1, ...; returns how many (fewer than @p max only once the range is used up). @p V is
    /// `std::int64_t`, or a type made from one (a graph file's Value).
    template <class V>
    std::size_t fill(detail::Items<V>& batch, std::uint64_t first_id, std::size_t max) {
        const auto [first, n] = take(max);
        detail::append_counting(batch.ids, first_id, n);
        detail::append_counting(batch.values, static_cast<std::uint64_t>(first), n);
        return n;
    }

    /// Takes the next integers, at most @p max: the first of them and how many (fewer than
    /// @p max only once the range is used up).
    std::pair<std::int64_t, std::size_t> take(std::size_t max) noexcept {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(max, left_));
        const auto first = static_cast<std::int64_t>(next_);
        next_ += n;
        left_ -= n;
        return {first, n};
    }

private:
    std::uint64_t next_;  // unsigned: the step past INT64_MAX after the last value is defined
    std::uint64_t left_;
};

/// A generator of the integers start, start + 1, ..., start + count - 1 (none if count <= 0;
/// up to INT64_MAX, the count cut there).
inline RangeGenerator range(std::int64_t count, std::int64_t start = 0) {
    const std::int64_t most = std::numeric_limits<std::int64_t>::max();
    count = std::max<std::int64_t>(count, 0);
    if (start > 0 && count - 1 > most - start) count = most - start + 1;  // stops at INT64_MAX
    return RangeGenerator::counting(start, static_cast<std::uint64_t>(count));
}

}  // namespace flowpool
