#pragma once
// The aggregate functions of the `aggregate` op (issue 16): count(), sum(E), min(E), max(E),
// mean(E), first(E), last(E), count_distinct(E), p50(E), p90(E), p99(E). The op evaluates E per
// job and hands the value to an Accumulator; partial accumulators kept per worker merge into
// one, and every result is the same however the jobs were split among workers.
//
// Rules, for the README:
// - null (also what the caller passes for a missing field) is skipped by every function but
//   count(), which counts jobs; a function that saw no other value gives null.
// - sum: integers stay an integer, summed exactly; past int64 the sum becomes a float (no
//   error). With any float the sum is a float: the float nearest the exact sum (so independent
//   of order). mean: always a float, the exact sum divided by the count.
// - min, max: integers and floats compare by value (the kept one keeps its type; between an
//   integer and an equal float, the integer; between 0.0 and -0.0, 0.0); strings compare
//   bytewise.
// - first, last: the value of the job with the lowest (highest) id, any type.
// - count_distinct: any type; exact up to 1024 distinct values, then HyperLogLog, ±1.6%
//   (standard error). pNN: a float within 1% (relative) of the exact quantile.
// - Errors (AggregateError, value_order.hpp; the op fails the job with the message, and the job
//   is in none of its group's functions): sum, mean and pNN given anything but a number, or a
//   NaN or infinite float; min and max given anything but a number or a string, a NaN, or a
//   string after a number (or the reverse). A group fails alone, when its window closes, if its
//   workers' shares cannot be merged (min of strings in one, numbers in another) or if the
//   running float sum of a sum or mean went past the float range (±1.8e308).
//
// @code
// auto p99 = flowpool::detail::make_accumulator("p99");  // std::nullopt for an unknown name
// for (...) p99->add(latency, job_id);
// worker_0.merge(worker_1);
// flowpool::Value v = p99->result();
// @endcode

#include <flowpool/value.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <variant>

#include "ops/aggregate_states.hpp"
#include "ops/value_order.hpp"

namespace flowpool::detail {

/// An aggregate function as graph files name it and `flowpool ops` lists it.
struct AggregateInfo {
    std::string_view name;         ///< "p99"
    int arity;                     ///< 0 for count(), else 1
    std::string_view description;  ///< one line, for `flowpool ops` and the README
};

/// Every aggregate function, in the order `flowpool ops` lists them.
[[nodiscard]] std::span<const AggregateInfo> aggregate_functions() noexcept;

/// The running value of one aggregate function over the jobs of a group (a value type: copy a
/// fresh one to start a group).
class Accumulator {
public:
    /// Throws the AggregateError add() would throw for @p value, as things stand; else nothing.
    void check(const Value& value) const;
    /// Adds one job's value of E (null for count(), or for a missing field), with the job's id.
    /// Throws AggregateError for a value the function cannot take (never one check() passed).
    void add(const Value& value, std::uint64_t job_id);
    /// Adds what @p other accumulated: the same function (throws std::invalid_argument else).
    void merge(const Accumulator& other);
    /// The function's value over everything added and merged.
    [[nodiscard]] Value result() const;
    /// The function it computes.
    [[nodiscard]] const AggregateInfo& info() const noexcept { return *info_; }

private:
    using State = std::variant<CountState, SumState, ExtremeState, FirstLastState, DistinctState,
                               QuantileState>;
    Accumulator(const AggregateInfo& info, State state) : info_(&info), state_(std::move(state)) {}
    friend std::optional<Accumulator> make_accumulator(std::string_view name);

    const AggregateInfo* info_;
    State state_;
};

/// A fresh accumulator of the function named @p name ("count", "p99"), or std::nullopt.
[[nodiscard]] std::optional<Accumulator> make_accumulator(std::string_view name);

}  // namespace flowpool::detail
