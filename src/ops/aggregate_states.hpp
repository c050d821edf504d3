#pragma once
// The state of each aggregate function, for Accumulator (aggregates.hpp) to hold in a variant:
// no allocation per accumulator beyond what the state itself needs, no virtual call per add.
// Each has check(value, what) (throws what add would), add(value, job_id, what), merge(other,
// what) and result(what); `what` is the function's name for error messages. Rules:
// aggregates.hpp.

#include <flowpool/value.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

#include "ops/distinct_count.hpp"
#include "ops/exact_sum.hpp"
#include "ops/quantile_sketch.hpp"

namespace flowpool::detail {

/// count(): every job.
struct CountState {
    std::uint64_t jobs = 0;

    void check(const Value&, std::string_view) const noexcept {}
    void add(const Value&, std::uint64_t, std::string_view) noexcept { ++jobs; }
    void merge(const CountState& other, std::string_view) noexcept { jobs += other.jobs; }
    [[nodiscard]] Value result(std::string_view what) const;
};

/// sum(E) and mean(E): an exact sum of the numbers and how many there were.
struct SumState {
    bool mean = false;  ///< mean(E): the sum divided by the count, a float
    ExactSum sum{};
    std::uint64_t numbers = 0;

    void check(const Value& value, std::string_view what) const;
    void add(const Value& value, std::uint64_t, std::string_view what);
    void merge(const SumState& other, std::string_view what);
    [[nodiscard]] Value result(std::string_view what) const;
};

/// min(E) and max(E): the extreme value seen, as it was (an integer stays an integer).
struct ExtremeState {
    bool max = false;  ///< max(E); else min(E)
    std::optional<Value> best{};

    void check(const Value& value, std::string_view what) const;
    void add(const Value& value, std::uint64_t, std::string_view what);
    void merge(const ExtremeState& other, std::string_view what);
    [[nodiscard]] Value result(std::string_view) const { return best ? *best : Value(nullptr); }
};

/// first(E) and last(E): the value of the job with the lowest (highest) id.
struct FirstLastState {
    bool last = false;  ///< last(E); else first(E)
    std::optional<Value> value{};
    std::uint64_t job_id = 0;

    void check(const Value&, std::string_view) const noexcept {}
    void add(const Value& candidate, std::uint64_t candidate_id, std::string_view what);
    void merge(const FirstLastState& other, std::string_view what);
    [[nodiscard]] Value result(std::string_view) const { return value ? *value : Value(nullptr); }
};

/// count_distinct(E).
struct DistinctState {
    DistinctCounter counter{};

    void check(const Value&, std::string_view) const noexcept {}
    void add(const Value& value, std::uint64_t, std::string_view);
    void merge(const DistinctState& other, std::string_view) { counter.merge(other.counter); }
    [[nodiscard]] Value result(std::string_view what) const;
};

/// p50(E), p90(E), p99(E), ...: a quantile sketch of the numbers.
struct QuantileState {
    double q = 0.5;
    QuantileSketch sketch{};

    void check(const Value& value, std::string_view what) const;
    void add(const Value& value, std::uint64_t, std::string_view what);
    void merge(const QuantileState& other, std::string_view) { sketch.merge(other.sketch); }
    [[nodiscard]] Value result(std::string_view) const;
};

}  // namespace flowpool::detail
