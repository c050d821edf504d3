#pragma once
// Loops for graph-file ops on integers: they read and write the `std::int64_t` inside each
// job's Value where it lies, instead of moving a Value out of the batch and back per job (41
// instructions a job for `spin` through the general loop, against about 16). The check that a
// job holds an integer is made in the same loop. A batch sent to several nodes, and the jobs of
// a batch from its first string on, go through the general per-job loops of job_loop.hpp, so
// ids, failures, filters and on_error policies stay what they are per job. The functions never
// throw, so no job done in place can fail.

#include <flowpool/body.hpp>
#include <flowpool/detail/batch.hpp>
#include <flowpool/detail/job_loop.hpp>
#include <flowpool/value.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <variant>

#include "builtin.hpp"

namespace flowpool::detail {

/// A function op `std::int64_t f(std::int64_t) noexcept` run on each job of a graph file,
/// rewriting the job's integer in place when the batch is this node's and the job's value an
/// integer (up to the batch's first string).
template <class F>
class IntegerStage final : public StageBody {
    static_assert(std::is_nothrow_invocable_r_v<std::int64_t, F&, std::int64_t>,
                  "an integer op is `std::int64_t(std::int64_t) noexcept`");

public:
    explicit IntegerStage(F f) : f_(std::move(f)) {}

    BatchPtr process(const BatchPtr& in_ptr, BatchContext& ctx) override {
        auto& in = static_cast<Items<Value>&>(*in_ptr);
        const std::size_t done = in.shared ? 0 : rewrite_integers(in);
        if (done == in.values.size()) return in_ptr;
        // The rest goes through the per-job loop, which calls `per_job` once for each of the
        // first `done` jobs (integers, so they cannot fail) before any other: those already hold
        // their results. Any other value fails its job (integer_value).
        std::size_t skip = done;
        auto per_job = [this, &skip](Value&& value) -> Value {
            if (skip > 0) {
                --skip;
                return std::move(value);
            }
            return f_(integer_value(value));
        };
        return map_jobs<Value>(in_ptr, ctx, per_job);
    }

    [[nodiscard]] std::type_index takes() const noexcept override { return typeid(Value); }

private:
    /// Rewrites the integers of @p in in place, up to its first job that holds no integer;
    /// returns how many jobs it rewrote (all of them when every job holds an integer).
    /// The op is copied to a local first, so that its parameters stay in registers: a store
    /// through `v` might change the member's copy, so the compiler would reload them every job.
    /// (Integer ops are stateless: the copy loses nothing.)
    std::size_t rewrite_integers(Items<Value>& in) noexcept {
        static_assert(std::is_nothrow_copy_constructible_v<F>);
        F f = f_;
        std::size_t i = 0;
        for (const std::size_t n = in.values.size(); i < n; ++i) {
            Value& value = in.values[i];
            if (!std::holds_alternative<std::int64_t>(value)) break;
            std::int64_t& v = *std::get_if<std::int64_t>(&value);
            v = f(v);
        }
        return i;
    }

    F f_;
};

/// An IntegerStage running @p f.
template <class F>
std::unique_ptr<StageBody> integer_stage(F f) {
    return std::make_unique<IntegerStage<F>>(std::move(f));
}

/// Calls @p f on the integers of @p values up to the first value that holds none; returns how
/// many it consumed. `values` is restrict, as in consume_simple(): a sink that adds into a local
/// it captured by reference keeps the sum in a register (into a member of its own, GCC still
/// stores it every job: the `summary` sink sums in locals).
template <class F>
std::size_t consume_leading_integers(const Value* __restrict values, std::size_t n, F& f) noexcept {
    std::size_t i = 0;
    for (; i < n; ++i) {
        const Value& value = values[i];
        if (!std::holds_alternative<std::int64_t>(value)) break;
        f(*std::get_if<std::int64_t>(&value));
    }
    return i;
}

/// Calls `f(std::int64_t) noexcept` on every job of @p in_ptr (an `Items<Value>`), in a plain
/// loop up to the first job that holds no integer; from there the per-job loop takes over, and
/// any other value fails its job (integer_value), under the node's policy. For sinks.
template <class F>
void consume_integers(const BatchPtr& in_ptr, BatchContext& ctx, F& f) {
    static_assert(std::is_nothrow_invocable_v<F&, std::int64_t>,
                  "an integer sink's function is `void(std::int64_t) noexcept`");
    const auto& in = static_cast<const Items<Value>&>(*in_ptr);
    const std::size_t done = consume_leading_integers(in.values.data(), in.values.size(), f);
    if (done == in.values.size()) return;
    // consume_jobs calls `per_job` once for each of the first `done` jobs (integers, which
    // cannot fail) before any other: those were consumed above.
    std::size_t skip = done;
    auto per_job = [&f, &skip](const Value& value) {
        if (skip > 0) {
            --skip;
            return;
        }
        f(integer_value(value));
    };
    consume_jobs<Value>(in_ptr, ctx, per_job);
}

}  // namespace flowpool::detail
