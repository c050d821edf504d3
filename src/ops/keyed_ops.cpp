// `top` (the n jobs with the largest or smallest `by`, at the end of the run), `dedupe` (drops
// jobs whose key was seen, remembering at most max_keys keys) and `rate_limit` (at most
// per_second jobs a second through the node).

#include <flowpool/body.hpp>
#include <flowpool/custom_op.hpp>
#include <flowpool/detail/batch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>

#include "builtin.hpp"
#include "dedupe_set.hpp"
#include "expr/expression.hpp"
#include "per_worker.hpp"
#include "top_k.hpp"

namespace flowpool::detail {
namespace {

/// Keeps, per worker, the n best jobs seen; at the end, the n best of all, best first, as jobs
/// of their own (the jobs it was given are merged into them). A number and a string cannot
/// rank beside each other: the first `by` value sets which of the two the node ranks, and a job
/// whose `by` is of the other kind fails, on whichever worker, so that the workers' heaps always
/// merge (they held numbers on one, strings on another, and the end of the run failed whole).
class TopStage final : public StageBody {
public:
    TopStage(std::size_t n, TopOrder order, expr::Expression by)
        : shares_(TopK<Value>(n, order)), by_(std::move(by)) {}

    bool holds_back() const noexcept override { return true; }

    BatchPtr process(const BatchPtr& in, BatchContext& ctx) override {
        auto& jobs = static_cast<Items<Value>&>(*in);
        TopK<Value>& mine = shares_.share(ctx.worker());
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            try {
                Value scratch;
                const Value& by = by_.eval_ref({jobs.values[i], jobs.ids[i]}, scratch);
                check_kind(by);
                if (mine.would_keep(by, jobs.ids[i])) {
                    Value job = in->shared ? jobs.values[i] : std::move(jobs.values[i]);
                    mine.add(by, jobs.ids[i], std::move(job));
                }
                ctx.jobs_merged(1);
            } catch (const std::exception& error) {
                fail_job(ctx, jobs.ids[i], jobs.values[i], error.what());
            }
        }
        return nullptr;
    }

    BatchPtr flush(BatchContext& ctx) override {
        auto& shares = shares_.all();
        if (shares.empty()) return nullptr;
        for (std::size_t i = 1; i < shares.size(); ++i) shares.front().merge(std::move(shares[i]));
        auto out = std::make_shared<Items<Value>>();
        std::uint64_t id = 0;
        for (auto& entry : std::move(shares.front()).sorted()) {
            out->ids.push_back(id++);
            out->values.push_back(std::move(entry.payload));
        }
        ctx.jobs_made(out->size());
        return out;
    }

private:
    enum Kind : int { none, numbers, strings };

    /// Throws AggregateError if @p by is a number and the node ranks strings, or the reverse;
    /// the first number or string sets which.
    void check_kind(const Value& by) {
        const bool string = std::holds_alternative<std::string>(by);
        if (!string && !std::holds_alternative<std::int64_t>(by) &&
            !std::holds_alternative<double>(by))
            return;  // would_keep() tells
        int kind = kind_.load(std::memory_order_relaxed);
        const int given = string ? strings : numbers;
        if (kind == none && kind_.compare_exchange_strong(kind, given)) return;
        if (kind != given) {
            throw AggregateError("top: cannot rank " + std::string(by.type_name()) +
                                 (string ? " values beside the numbers ranked before it"
                                         : " values beside the strings ranked before it"));
        }
    }

    PerWorker<TopK<Value>> shares_;
    expr::Expression by_;
    std::atomic<int> kind_{none};
};

/// Passes the jobs whose key it has not seen (DedupeSet: thread-safe, bounded).
class DedupeStage final : public StageBody {
public:
    DedupeStage(expr::Expression key, std::size_t max_keys)
        : key_(std::move(key)), seen_(max_keys) {}

    BatchPtr process(const BatchPtr& in, BatchContext& ctx) override {
        auto& jobs = static_cast<Items<Value>&>(*in);
        auto out = pool_.get();
        out->derive_from(*in);
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            try {
                Value scratch;
                if (!seen_.insert(key_.eval_ref({jobs.values[i], jobs.ids[i]}, scratch))) {
                    ctx.jobs_filtered(1);
                    continue;
                }
            } catch (const std::exception& error) {
                fail_job(ctx, jobs.ids[i], jobs.values[i], error.what());
                continue;
            }
            out->ids.push_back(jobs.ids[i]);
            out->values.push_back(in->shared ? jobs.values[i] : std::move(jobs.values[i]));
        }
        return out;
    }

private:
    expr::Expression key_;
    DedupeSet seen_;
    BatchPool<Value> pool_;  // its batches, reused (see ExplodeStage::pool_, expression_ops.cpp)
};

/// Lets a batch through once its jobs' turns have come: the k-th job through the node goes no
/// sooner than k / per_second after the first. The worker waits (sleeps) meanwhile. Once the run
/// is stopping, it lets through no job whose turn has not come: those fail unrun, as `exec`'s
/// do, so a stop never turns the jobs waiting here into a burst past the rate.
class RateLimitStage final : public StageBody {
public:
    explicit RateLimitStage(double per_second)
        : gap_(1.0 / per_second),
          batch_(std::max<std::size_t>(1, static_cast<std::size_t>(per_second / per_batch))) {}

    /// Its workers sleep: each gets a thread of its own, not one the computing nodes need.
    bool waits() const noexcept override { return true; }
    /// A batch passes at once: batches of 10 ms of jobs keep the pace smooth downstream.
    std::size_t most_jobs_a_batch() const noexcept override { return batch_; }

    BatchPtr process(const BatchPtr& in, BatchContext& ctx) override {
        if (!ctx.stop_requested() && wait_turn(in->size(), ctx)) return in;
        // Not journaled (a failure while stopping is not), so a resumed run passes them.
        auto& jobs = static_cast<Items<Value>&>(*in);
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            fail_job(ctx, jobs.ids[i], jobs.values[i], std::string(not_started_text));
        }
        auto out = std::make_shared<Items<Value>>();
        out->derive_from(*in);
        return out;
    }

private:
    static constexpr double per_batch = 100;  // batches a second, at most
    /// Takes the turn of a batch of @p jobs jobs and sleeps until it comes: true then, false if
    /// the run began to stop first.
    bool wait_turn(std::size_t jobs, const BatchContext& ctx) {
        using Clock = std::chrono::steady_clock;
        Clock::time_point turn;
        {
            const std::lock_guard lock(mutex_);
            const auto now = Clock::now();
            if (next_ < now - std::chrono::milliseconds(100)) next_ = now;  // no saved-up burst
            const auto span = std::chrono::duration_cast<Clock::duration>(
                std::chrono::duration<double>(gap_ * static_cast<double>(jobs)));
            turn = next_ + span -
                   std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap_));
            next_ += span;
        }
        for (;;) {
            const auto now = Clock::now();
            if (now >= turn) return true;
            if (ctx.stop_requested()) return false;
            std::this_thread::sleep_until(std::min(turn, now + std::chrono::milliseconds(50)));
        }
    }

    double gap_;  // seconds between jobs
    std::size_t batch_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point next_{};
};

void check_order(const std::string& text) {
    if (text != "asc" && text != "desc") throw std::invalid_argument("order is asc or desc");
}

}  // namespace

void add_keyed_ops(OpRegistry& ops) {
    add_aggregate_op(ops);
    ops.add({.name = "top",
             .kind = NodeKind::function,
             .description = "the n jobs with the largest `by` (order: asc, the smallest), best "
                            "first, at the end of the run; ties go to the lower job id",
             .params = {{.name = "n",
                         .type = ParamType::integer,
                         .description = "jobs to keep",
                         .check = check_positive},
                        expression_param("by", "what jobs are ranked by (null: not ranked)"),
                        {.name = "order",
                         .type = ParamType::string,
                         .default_value = "desc",
                         .description = "desc (largest first) or asc",
                         .check = check_order}},
             .takes = ValueType::any,
             .make_stage = [](const Params& p) -> std::unique_ptr<StageBody> {
                 return std::make_unique<TopStage>(
                     static_cast<std::size_t>(p.integer("n")),
                     p.string("order") == "asc" ? TopOrder::asc : TopOrder::desc,
                     expr::Expression::compile(p.string("by")));
             },
             .reads_fields = reads_expressions({"by"}, true)});
    ops.add({.name = "dedupe",
             .kind = NodeKind::filter,
             .description = "drops the jobs whose key was seen before; past max_keys keys the "
                            "least recently seen is forgotten (it may then pass once more)",
             .params = {expression_param("key", "what makes two jobs the same, e.g. .user.id"),
                        {.name = "max_keys",
                         .type = ParamType::integer,
                         .default_value = "1000000",
                         .description = "keys remembered at most",
                         .check = check_positive}},
             .takes = ValueType::any,
             .make_stage = [](const Params& p) -> std::unique_ptr<StageBody> {
                 return std::make_unique<DedupeStage>(
                     expr::Expression::compile(p.string("key")),
                     static_cast<std::size_t>(p.integer("max_keys")));
             },
             .reads_fields = reads_expressions({"key"}, true)});
    ops.add({.name = "rate_limit",
             .kind = NodeKind::function,
             .description = "passes jobs on unchanged, at most per_second of them a second",
             .params = {{.name = "per_second",
                         .type = ParamType::integer,
                         .description = "jobs a second, at least 1",
                         .check = check_positive}},
             .takes = ValueType::any,
             .make_stage = [](const Params& p) -> std::unique_ptr<StageBody> {
                 return std::make_unique<RateLimitStage>(
                     static_cast<double>(p.integer("per_second")));
             },
             .reads_fields = reads_expressions({}, true)});
}

}  // namespace flowpool::detail
