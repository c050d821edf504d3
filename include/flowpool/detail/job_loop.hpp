#pragma once
/// @file detail/job_loop.hpp
/// The per-job loops inside a batch, shared by the typed API and the graph-file ops: each job
/// runs the user's function inlined, and a job that throws fails alone, named by its id.

#include <flowpool/body.hpp>
#include <flowpool/detail/batch.hpp>
#include <flowpool/job_context.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
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
using passed_on_t =
    typename std::conditional_t<is_optional<R>::value, R, std::optional<R>>::value_type;

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

/// A copy of a job, for a try that may fail and be repeated.
template <class T>
T copy_job(const T& stored) {
    if constexpr (std::is_copy_constructible_v<T>) {
        return stored;
    } else {
        throw std::logic_error("retries and dead letters need a job type that can be copied");
    }
}

/// The message of the exception in flight.
inline std::string current_exception_message() {
    try {
        throw;
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

/// Reports the exception in flight as the failure of job @p id.
inline void report_current_exception(BatchContext& ctx, std::uint64_t id) noexcept {
    try {
        ctx.job_failed(id, current_exception_message());
    } catch (...) {
        ctx.job_failed(id, "out of memory while reporting a failure");
    }
}

/// How a batch's jobs are run, read once per batch from the node's policy.
struct JobPolicy {
    int tries = 1;      ///< tries per job
    bool keep = false;  ///< failed jobs go to a dead-letter sink, so a try gets a copy

    explicit JobPolicy(const BatchContext& ctx) noexcept
        : tries(ctx.attempts()), keep(ctx.keeps_dead_letters()) {}
    /// One try, no dead letters: the job can be moved into it.
    [[nodiscard]] bool simple() const noexcept { return tries == 1 && !keep; }
};

/// Runs job @p i of @p in under a policy with retries or dead letters: `run(job)` up to
/// policy.tries times, then the job is reported or sent to the dead-letter sink. Returns what
/// the successful try returned, or std::nullopt. Kept out of line of the simple loop.
template <class T, class Run>
[[gnu::noinline]] auto retry_job(Items<T>& in, std::size_t i, bool owned, BatchContext& ctx,
                                 JobPolicy policy, Run& run)
    -> std::optional<decltype(run(std::declval<T&&>()))> {
    for (int t = 1;; ++t) {
        try {
            if (t >= policy.tries && !policy.keep) return run(take_job(in.values[i], owned));
            return run(copy_job(in.values[i]));
        } catch (...) {
            // No try after the run began to stop: the job fails with this one's failure.
            if (t < policy.tries && ctx.before_retry(t + 1)) continue;
            if (!policy.keep) {
                report_current_exception(ctx, in.ids[i]);
                return std::nullopt;
            }
            try {
                ctx.dead_letter(in.ids[i], take_job(in.values[i], owned),
                                current_exception_message());
            } catch (...) {
                report_current_exception(ctx, in.ids[i]);
            }
            return std::nullopt;
        }
    }
}

/// The JobContext for job @p i of @p in: a dead letter's carries its error.
inline JobContext job_context(const Batch& in, std::size_t i, const BatchContext& ctx) noexcept {
    const std::string_view file = in.file ? std::string_view(*in.file) : std::string_view();
    if (in.errors.empty()) return JobContext{in.ids[i], ctx.worker(), ctx.node(), file};
    return JobContext{in.ids[i], ctx.worker(), ctx.node(), in.failed_node, in.errors[i], file};
}

/// A pointer to a batch's jobs for the loops below: restrict-qualified, so that the compiler
/// knows that nothing modifies them except through it, when @p T is trivially copyable. A type
/// that points into itself (a short std::string) writes through a pointer it stored, not one
/// based on the parameter, which a restrict parameter would not allow.
template <class T>
using job_storage_t = std::conditional_t<std::is_trivially_copyable_v<T>, T* __restrict, T*>;

/// map_jobs()'s loop when the results go back into the batch they came from and a job has one
/// try and no dead letter. `values` and `ids` are the batch's storage as restrict parameters (see
/// consume_simple()), so that the loop keeps its pointers in registers instead of reloading them
/// after every store. Returns how many jobs were kept, moved to the front.
template <class T, class F>
std::size_t map_in_place(std::size_t n, job_storage_t<T> values, std::uint64_t* __restrict ids,
                         BatchContext& ctx, std::string_view file, F& f) {
    using R = job_result_t<F, T>;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t id = ids[i];
        std::optional<R> r;
        try {
            r.emplace(
                call_job(f, std::move(values[i]), JobContext{id, ctx.worker(), ctx.node(), file}));
        } catch (...) {
            report_current_exception(ctx, id);
            continue;
        }
        if constexpr (is_optional<R>::value) {
            if (!*r) {
                ctx.jobs_filtered(1);
                continue;
            }
            values[kept] = std::move(**r);
        } else {
            values[kept] = std::move(*r);
        }
        ids[kept] = id;
        ++kept;
    }
    return kept;
}

/// Runs @p f on every job of @p in_ptr (an `Items<In>`) and returns the batch of results.
/// A job for which @p f returns an empty std::optional is filtered out; a job for which it
/// throws is handled by the node's policy and left out. Reuses @p in_ptr's storage when it may.
template <class In, class F>
BatchPtr map_jobs(const BatchPtr& in_ptr, BatchContext& ctx, F& f) {
    using R = job_result_t<F, In>;
    using Out = passed_on_t<R>;
    auto& in = static_cast<Items<In>&>(*in_ptr);
    const bool owned = !in.shared;
    const std::size_t n = in.size();

    const JobPolicy policy(ctx);
    const std::string_view file = in.file ? std::string_view(*in.file) : std::string_view();
    std::shared_ptr<Items<Out>> out;
    if constexpr (std::is_same_v<In, Out>) {
        if (owned && policy.simple()) {
            const std::size_t kept =
                map_in_place<In>(n, in.values.data(), in.ids.data(), ctx, file, f);
            in.values.erase(in.values.begin() + static_cast<std::ptrdiff_t>(kept), in.values.end());
            in.ids.resize(kept);
            return in_ptr;
        }
        if (owned) out = std::static_pointer_cast<Items<Out>>(in_ptr);
    }
    const bool in_place = static_cast<bool>(out);
    if (!in_place) {
        out = std::make_shared<Items<Out>>();
        out->derive_from(in);
        out->reserve(n);
    }

    // Keeps a job's result; a filtered job (an empty std::optional) is counted and dropped.
    std::size_t kept = 0;
    auto keep = [&](std::uint64_t id, R&& r) {
        if constexpr (is_optional<R>::value) {
            if (!r) {
                ctx.jobs_filtered(1);
                return;
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
    };
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t id = in.ids[i];
        // `run` must not reach `kept`: retry_job() takes its address, and on the simple path
        // `kept` should stay in a register, as in a hand-written loop.
        auto run = [&f, &ctx, id, file](In&& job) -> R {
            return call_job(f, std::move(job), JobContext{id, ctx.worker(), ctx.node(), file});
        };
        std::optional<R> r;  // one call of `keep` below, so that it is inlined
        if (policy.simple()) {
            try {
                r.emplace(run(take_job(in.values[i], owned)));
            } catch (...) {
                report_current_exception(ctx, id);
            }
        } else {
            r = retry_job(in, i, owned, ctx, policy, run);
        }
        if (r) keep(id, std::move(*r));
    }
    if (in_place) {
        out->values.erase(out->values.begin() + static_cast<std::ptrdiff_t>(kept),
                          out->values.end());
        out->ids.resize(kept);
    }
    return out;
}

/// consume_jobs()'s loop when a job has one try and no dead letter. `values` is `in.values`'
/// storage as a restrict parameter (job_storage_t): nothing modifies those values except through
/// it while the loop runs, and saying so lets a sink that adds each job into a variable it
/// captured by reference (`sum += v`) keep that variable in a register, where the compiler must
/// otherwise store and reload it every job in case it is one of the values (half the time of a
/// one-thread run of trivial jobs, bench/README.md).
template <class In, class F>
void consume_simple(const Items<In>& in, job_storage_t<In> values, bool owned, BatchContext& ctx,
                    F& f) {
    for (std::size_t i = 0, n = in.size(); i < n; ++i) {
        try {
            // An owned job is passed as the stored one itself, not moved out into a temporary: a
            // sink that only reads it leaves its storage in the batch, for the batch's maker to
            // fill again (BatchPool's reuse_values), instead of freeing it here.
            if (owned) {
                call_job(f, std::move(values[i]), job_context(in, i, ctx));
            } else {
                call_job(f, take_job(values[i], owned), job_context(in, i, ctx));
            }
        } catch (...) {
            report_current_exception(ctx, in.ids[i]);
        }
    }
}

/// Runs @p f on every job of @p in_ptr (an `Items<In>`); a job for which it throws is handled
/// by the node's policy.
template <class In, class F>
void consume_jobs(const BatchPtr& in_ptr, BatchContext& ctx, F& f) {
    auto& in = static_cast<Items<In>&>(*in_ptr);
    const bool owned = !in.shared;
    const JobPolicy policy(ctx);
    if (policy.simple()) {
        consume_simple<In>(in, in.values.data(), owned, ctx, f);
        return;
    }
    for (std::size_t i = 0, n = in.size(); i < n; ++i) {
        auto run = [&f, &ctx, &in, i](In&& job) {
            call_job(f, std::move(job), job_context(in, i, ctx));
            return true;
        };
        retry_job(in, i, owned, ctx, policy, run);
    }
}

}  // namespace flowpool::detail
