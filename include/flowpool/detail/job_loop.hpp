#pragma once
/// @file detail/job_loop.hpp
/// The per-job loops inside a batch, shared by the typed API and the graph-file ops: each job
/// runs the user's function inlined, and a job that throws fails alone, named by its id.

#include <flowpool/detail/batch.hpp>
#include <flowpool/detail/plan.hpp>
#include <flowpool/job_context.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace flowpool::detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

/// Calls `f(value, job)` when @p F takes a JobContext, else `f(value)`.
template <class F, class T>
decltype(auto) call_job(F& f, T&& value, const JobContext& job) {
    if constexpr (std::is_invocable_v<F&, T&&, const JobContext&>) {
        return f(std::forward<T>(value), job);
    } else {
        return f(std::forward<T>(value));
    }
}

/// What `f` returns for a job of type @p In, decayed.
template <class F, class In>
using job_result_t = std::decay_t<decltype(call_job(std::declval<F&>(), std::declval<In&&>(),
                                                    std::declval<const JobContext&>()))>;

/// The type of the jobs a stage passes on: its result, unwrapped from std::optional.
template <class R>
using passed_on_t = typename std::conditional_t<is_optional<R>::value, R,
                                                std::optional<R>>::value_type;

/// A job handed to a user function: moved from the batch if this node owns it, else copied.
template <class T>
T take_job(T& stored, bool owned) {
    if (owned) return std::move(stored);
    if constexpr (std::is_copy_constructible_v<T>) {
        return stored;
    } else {
        throw std::logic_error("a job type that cannot be copied was sent to two nodes");
    }
}

/// Reports the exception in flight as the failure of job @p id.
inline void report_current_exception(BatchContext& ctx, std::uint64_t id) noexcept {
    try {
        throw;
    } catch (const std::exception& e) {
        ctx.job_failed(id, e.what());
    } catch (...) {
        ctx.job_failed(id, "unknown exception");
    }
}

/// Runs @p f on every job of @p in_ptr (an `Items<In>`) and returns the batch of results.
/// A job for which @p f returns an empty std::optional is filtered out; a job for which it
/// throws is reported to @p ctx and left out. Reuses @p in_ptr's storage when it may.
template <class In, class F>
BatchPtr map_jobs(const BatchPtr& in_ptr, BatchContext& ctx, F& f) {
    using R = job_result_t<F, In>;
    using Out = passed_on_t<R>;
    auto& in = static_cast<Items<In>&>(*in_ptr);
    const bool owned = !in.shared;
    const std::size_t n = in.size();

    std::shared_ptr<Items<Out>> out;
    if constexpr (std::is_same_v<In, Out>) {
        if (owned) out = std::static_pointer_cast<Items<Out>>(in_ptr);
    }
    const bool in_place = static_cast<bool>(out);
    if (!in_place) {
        out = std::make_shared<Items<Out>>();
        out->derive_from(in);
        out->reserve(n);
    }

    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t id = in.ids[i];
        try {
            R r = call_job(f, take_job(in.values[i], owned), JobContext{id, ctx.worker(), ctx.node()});
            if constexpr (is_optional<R>::value) {
                if (!r) {
                    ctx.jobs_filtered(1);
                    continue;
                }
            }
            Out&& result = [&]() -> Out&& {
                if constexpr (is_optional<R>::value) {
                    return std::move(*r);
                } else {
                    return std::move(r);
                }
            }();
            if (in_place) {
                if constexpr (std::is_same_v<In, Out>) {
                    out->values[kept] = std::move(result);
                    out->ids[kept] = id;
                }
            } else {
                out->values.push_back(std::move(result));
                out->ids.push_back(id);
            }
            ++kept;
        } catch (...) {
            report_current_exception(ctx, id);
        }
    }
    if (in_place) {
        out->values.erase(out->values.begin() + static_cast<std::ptrdiff_t>(kept), out->values.end());
        out->ids.resize(kept);
    }
    return out;
}

/// Runs @p f on every job of @p in_ptr (an `Items<In>`); a job for which it throws is reported.
template <class In, class F>
void consume_jobs(const BatchPtr& in_ptr, BatchContext& ctx, F& f) {
    auto& in = static_cast<Items<In>&>(*in_ptr);
    const bool owned = !in.shared;
    for (std::size_t i = 0, n = in.size(); i < n; ++i) {
        const std::uint64_t id = in.ids[i];
        try {
            call_job(f, take_job(in.values[i], owned), JobContext{id, ctx.worker(), ctx.node()});
        } catch (...) {
            report_current_exception(ctx, id);
        }
    }
}

}  // namespace flowpool::detail
