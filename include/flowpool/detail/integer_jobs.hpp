#pragma once
/// @file detail/integer_jobs.hpp
/// Loops for graph-file ops on integers: they read and write the `std::int64_t` inside each
/// job's Value where it lies, instead of moving a Value out of the batch and back per job (41
/// instructions a job for `spin` through the general loop, against about 16). A batch they
/// cannot handle in place (one holding a string, or sent to several nodes) goes through the
/// general per-job loops of job_loop.hpp, so ids, failures, filters and on_error policies stay
/// what they are per job. The functions never throw, so no job of an in-place batch can fail.

#include <flowpool/detail/batch.hpp>
#include <flowpool/detail/job_loop.hpp>
#include <flowpool/detail/plan.hpp>
#include <flowpool/value.hpp>

#include <cstdint>
#include <memory>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <variant>

namespace flowpool::detail {

/// True if every job of @p batch holds an integer.
inline bool all_integers(const Items<Value>& batch) noexcept {
    for (const Value& value : batch.values) {
        if (!std::holds_alternative<std::int64_t>(value)) return false;
    }
    return true;
}

/// A function op `std::int64_t f(std::int64_t) noexcept` run on each job of a graph file,
/// rewriting the job's integer in place when the batch is this node's and holds integers only.
template <class F>
class IntegerStage final : public StageBody {
    static_assert(std::is_nothrow_invocable_r_v<std::int64_t, F&, std::int64_t>,
                  "an integer op is `std::int64_t(std::int64_t) noexcept`");

public:
    explicit IntegerStage(F f) : f_(std::move(f)) {}

    BatchPtr process(const BatchPtr& in_ptr, BatchContext& ctx) override {
        auto& in = static_cast<Items<Value>&>(*in_ptr);
        if (in.shared || !all_integers(in)) {
            // A string fails its job with std::get's error, as the per-job op always did.
            auto per_job = [this](Value&& value) -> Value { return f_(std::get<std::int64_t>(value)); };
            return map_jobs<Value>(in_ptr, ctx, per_job);
        }
        for (Value& value : in.values) {
            std::int64_t& v = *std::get_if<std::int64_t>(&value);
            v = f_(v);
        }
        return in_ptr;
    }

    [[nodiscard]] std::type_index takes() const noexcept override { return typeid(Value); }

private:
    F f_;
};

/// An IntegerStage running @p f.
template <class F>
std::unique_ptr<StageBody> integer_stage(F f) {
    return std::make_unique<IntegerStage<F>>(std::move(f));
}

/// Calls `f(std::int64_t) noexcept` on every job of @p in_ptr (an `Items<Value>`), in a plain
/// loop when every job holds an integer; a string fails its job as std::get does, under the
/// node's policy. For sinks.
template <class F>
void consume_integers(const BatchPtr& in_ptr, BatchContext& ctx, F& f) {
    static_assert(std::is_nothrow_invocable_v<F&, std::int64_t>,
                  "an integer sink's function is `void(std::int64_t) noexcept`");
    const auto& in = static_cast<const Items<Value>&>(*in_ptr);
    if (!all_integers(in)) {
        auto per_job = [&f](const Value& value) { f(std::get<std::int64_t>(value)); };
        consume_jobs<Value>(in_ptr, ctx, per_job);
        return;
    }
    for (const Value& value : in.values) f(*std::get_if<std::int64_t>(&value));
}

}  // namespace flowpool::detail
