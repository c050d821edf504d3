#include "ops/aggregates.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace flowpool::detail {

namespace {

/// The functions; a quantile is one line here: its name pNN means the quantile 0.NN.
constexpr AggregateInfo functions[] = {
    {"count", 0, "the number of jobs"},
    {"sum", 1, "the sum of E (an integer while E is, exactly; else a float)"},
    {"min", 1, "the smallest E (numbers by value, strings bytewise)"},
    {"max", 1, "the largest E (numbers by value, strings bytewise)"},
    {"mean", 1, "the mean of E, a float"},
    {"first", 1, "E of the job with the lowest id"},
    {"last", 1, "E of the job with the highest id"},
    {"count_distinct", 1, "the number of distinct E: exact to 1024, then within 1.6% (HLL)"},
    {"p50", 1, "the median of E, within 1% (relative)"},
    {"p90", 1, "the 90th percentile of E, within 1% (relative)"},
    {"p99", 1, "the 99th percentile of E, within 1% (relative)"},
};

/// "sum: expected a number, got string".
[[noreturn]] void throw_type(std::string_view what, std::string_view expected, const Value& got) {
    throw AggregateError(std::string(what) + ": expected " + std::string(expected) + ", got " +
                         std::string(got.type_name()));
}

/// A finite float, checked: infinities and NaN have no sum or quantile.
double finite(double x, std::string_view what) {
    if (!std::isfinite(x)) {
        throw AggregateError(std::string(what) + ": expected a finite number, got " +
                             std::to_string(x));
    }
    return x;
}

/// The quantile a name pNN (p999) stands for: 0.NN (0.999).
std::optional<double> quantile_of(std::string_view name) {
    if (name.size() < 2 || name[0] != 'p') return std::nullopt;
    const std::string_view digits = name.substr(1);
    unsigned n = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return n / std::pow(10.0, static_cast<double>(digits.size()));
}

/// Between equal numbers, which min and max keep, whichever came first (so that the result does
/// not depend on the split): an integer over a float, 0.0 over -0.0.
bool wins_tie(const Value& value, const Value& best) {
    const auto* best_float = std::get_if<double>(&best);
    if (!best_float) return false;
    if (std::holds_alternative<std::int64_t>(value)) return true;
    const auto* value_float = std::get_if<double>(&value);
    return value_float && std::signbit(*best_float) && !std::signbit(*value_float);
}

}  // namespace

std::span<const AggregateInfo> aggregate_functions() noexcept { return functions; }

Value CountState::result(std::string_view) const { return static_cast<std::int64_t>(jobs); }

void SumState::add(const Value& value, std::uint64_t, std::string_view what) {
    if (const auto* n = std::get_if<std::int64_t>(&value)) {
        sum.add(*n);
    } else if (const auto* x = std::get_if<double>(&value)) {
        sum.add(finite(*x, what));
    } else if (value.is_null()) {
        return;
    } else {
        throw_type(what, "a number", value);
    }
    ++numbers;
}

void SumState::check(const Value& value, std::string_view what) const {
    if (const auto* x = std::get_if<double>(&value)) {
        static_cast<void>(finite(*x, what));
    } else if (!value.is_null() && !std::holds_alternative<std::int64_t>(value)) {
        throw_type(what, "a number", value);
    }
}

void SumState::merge(const SumState& other, std::string_view) {
    sum.merge(other.sum);
    numbers += other.numbers;
}

Value SumState::result(std::string_view what) const {
    if (numbers == 0) return nullptr;
    if (mean) return sum.as_double(what) / static_cast<double>(numbers);
    if (sum.fits_int64()) return sum.as_int64();
    return sum.as_double(what);
}

void ExtremeState::add(const Value& value, std::uint64_t, std::string_view what) {
    if (value.is_null()) return;
    check_orderable(value, what);
    if (!best) {
        best = value;
        return;
    }
    const std::weak_ordering order = compare_ordered(value, *best, what);
    const bool better = (max ? order > 0 : order < 0) || (order == 0 && wins_tie(value, *best));
    if (better) best = value;
}

void ExtremeState::check(const Value& value, std::string_view what) const {
    if (value.is_null()) return;
    check_orderable(value, what);
    if (best) static_cast<void>(compare_ordered(value, *best, what));
}

void ExtremeState::merge(const ExtremeState& other, std::string_view what) {
    if (other.best) add(*other.best, 0, what);
}

void FirstLastState::add(const Value& candidate, std::uint64_t candidate_id, std::string_view) {
    if (candidate.is_null()) return;
    if (!value || (last ? candidate_id > job_id : candidate_id < job_id)) {
        value = candidate;
        job_id = candidate_id;
    }
}

void FirstLastState::merge(const FirstLastState& other, std::string_view what) {
    if (other.value) add(*other.value, other.job_id, what);
}

void DistinctState::add(const Value& value, std::uint64_t, std::string_view) {
    if (!value.is_null()) counter.add(value);
}

Value DistinctState::result(std::string_view) const {
    return static_cast<std::int64_t>(counter.count());
}

void QuantileState::add(const Value& value, std::uint64_t, std::string_view what) {
    if (const auto* n = std::get_if<std::int64_t>(&value)) {
        sketch.add(static_cast<double>(*n));
    } else if (const auto* x = std::get_if<double>(&value)) {
        sketch.add(finite(*x, what));
    } else if (!value.is_null()) {
        throw_type(what, "a number", value);
    }
}

void QuantileState::check(const Value& value, std::string_view what) const {
    if (const auto* x = std::get_if<double>(&value)) {
        static_cast<void>(finite(*x, what));
    } else if (!value.is_null() && !std::holds_alternative<std::int64_t>(value)) {
        throw_type(what, "a number", value);
    }
}

Value QuantileState::result(std::string_view) const {
    if (sketch.count() == 0) return nullptr;
    return sketch.quantile(q);
}

void Accumulator::add(const Value& value, std::uint64_t job_id) {
    std::visit([&](auto& state) { state.add(value, job_id, info_->name); }, state_);
}

void Accumulator::check(const Value& value) const {
    std::visit([&](const auto& state) { state.check(value, info_->name); }, state_);
}

void Accumulator::merge(const Accumulator& other) {
    if (other.info_ != info_) {
        throw std::invalid_argument("cannot merge " + std::string(other.info_->name) + " into " +
                                    std::string(info_->name));
    }
    std::visit(
        [&](auto& state) {
            state.merge(std::get<std::decay_t<decltype(state)>>(other.state_), info_->name);
        },
        state_);
}

Value Accumulator::result() const {
    return std::visit([&](const auto& state) { return state.result(info_->name); }, state_);
}

std::optional<Accumulator> make_accumulator(std::string_view name) {
    const auto* info = std::find_if(std::begin(functions), std::end(functions),
                                    [&](const AggregateInfo& f) { return f.name == name; });
    if (info == std::end(functions)) return std::nullopt;
    if (name == "count") return Accumulator(*info, CountState{});
    if (name == "sum") return Accumulator(*info, SumState{});
    if (name == "mean") return Accumulator(*info, SumState{.mean = true});
    if (name == "min") return Accumulator(*info, ExtremeState{});
    if (name == "max") return Accumulator(*info, ExtremeState{.max = true});
    if (name == "first") return Accumulator(*info, FirstLastState{});
    if (name == "last") return Accumulator(*info, FirstLastState{.last = true});
    if (name == "count_distinct") return Accumulator(*info, DistinctState{});
    if (const auto q = quantile_of(name)) return Accumulator(*info, QuantileState{.q = *q});
    throw std::logic_error("aggregate function without a state: " + std::string(name));
}

}  // namespace flowpool::detail
