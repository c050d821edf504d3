// Tests of the aggregate functions (src/ops/aggregates.hpp): each one's result against a value
// computed here by hand or exactly, the null and type rules with their messages, the exact order
// of integers and floats, and results independent of how jobs are split among 1, 2, 4 and 8
// workers' partial accumulators.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "ops/aggregates.hpp"

namespace {

using flowpool::Value;
using flowpool::detail::Accumulator;
using flowpool::detail::AggregateError;
using flowpool::detail::make_accumulator;

constexpr std::int64_t int_max = std::numeric_limits<std::int64_t>::max();

/// The result of function @p name over @p values, job ids 0, 1, 2, ...
Value run(std::string_view name, const std::vector<Value>& values) {
    std::optional<Accumulator> acc = make_accumulator(name);
    EXPECT_TRUE(acc) << name;
    for (std::size_t i = 0; i < values.size(); ++i) acc->add(values[i], i);
    return acc->result();
}

/// The message of the AggregateError that function @p name raises on @p values.
std::string error_of(std::string_view name, const std::vector<Value>& values) {
    try {
        run(name, values);
    } catch (const AggregateError& e) {
        return e.what();
    }
    return "no error";
}

TEST(Aggregates, ListsEachFunctionOnceAndMakesEachByName) {
    std::set<std::string_view> names;
    for (const auto& f : flowpool::detail::aggregate_functions()) {
        EXPECT_TRUE(names.insert(f.name).second) << f.name;
        EXPECT_FALSE(f.description.empty());
        EXPECT_EQ(f.arity, f.name == "count" ? 0 : 1);
        const auto acc = make_accumulator(f.name);
        ASSERT_TRUE(acc) << f.name;
        EXPECT_EQ(acc->info().name, f.name);
    }
    EXPECT_EQ(names, (std::set<std::string_view>{"count", "sum", "min", "max", "mean", "first",
                                                 "last", "count_distinct", "p50", "p90", "p99"}));
    EXPECT_FALSE(make_accumulator("median"));
    EXPECT_FALSE(make_accumulator("p95"));  // not listed: not made
    EXPECT_FALSE(make_accumulator(""));
}

TEST(Aggregates, CountCountsEveryJob) {
    EXPECT_EQ(run("count", {}), Value(0));
    EXPECT_EQ(run("count", {Value(nullptr), Value("x"), Value(3.5)}), Value(3));
}

TEST(Aggregates, SumOfIntegersIsAnExactInteger) {
    EXPECT_EQ(run("sum", {Value(1), Value(2), Value(nullptr), Value(-10)}), Value(-7));
    // Past int64 on the way, back within it at the end: still exact, whatever the order.
    EXPECT_EQ(run("sum", {Value(int_max), Value(int_max), Value(-int_max)}), Value(int_max));
    // Past int64 at the end: the float nearest 2^64 - 2.
    EXPECT_EQ(run("sum", {Value(int_max), Value(int_max)}), Value(18446744073709551614.0));
    EXPECT_EQ(run("sum", {Value(nullptr)}), Value(nullptr));
    EXPECT_EQ(run("sum", {}), Value(nullptr));
}

TEST(Aggregates, SumOfFloatsIsTheFloatNearestTheExactSum) {
    EXPECT_EQ(run("sum", {Value(1e100), Value(1.0), Value(-1e100)}), Value(1.0));
    EXPECT_EQ(run("sum", std::vector<Value>(10, Value(0.1))), Value(1.0));
    // 2^53 + 1 (exact as an integer) + 0.5: the exact sum 2^53 + 1.5 rounds to 2^53 + 2; adding
    // through a double would give 2^53.
    const std::int64_t two_53_plus_1 = (std::int64_t{1} << 53) + 1;
    EXPECT_EQ(run("sum", {Value(two_53_plus_1), Value(0.5)}), Value(9007199254740994.0));
    EXPECT_EQ(run("sum", {Value(0.5), Value(two_53_plus_1)}), Value(9007199254740994.0));
    // Past the float range on the way: not an error for the job that got it there (the sum is
    // the group's, not the job's), but the result cannot be told, even if a later add comes
    // back within the range.
    const std::string past = ": the sum went past the float range (1.8e308) and cannot be told";
    EXPECT_EQ(error_of("sum", {Value(1.7e308), Value(1.7e308)}), "sum" + past);
    EXPECT_EQ(error_of("sum", {Value(1.7e308), Value(1.7e308), Value(-1.7e308)}), "sum" + past);
    EXPECT_EQ(error_of("mean", {Value(1.7e308), Value(1.7e308)}), "mean" + past);
    EXPECT_EQ(run("sum", {Value(1.7e308), Value(-1.7e308), Value(1.7e308)}), Value(1.7e308));
}

TEST(Aggregates, CheckTellsWhatAddWouldRefuseAndChangesNothing) {
    std::optional<Accumulator> max = make_accumulator("max");
    max->add(Value(3), 0);
    EXPECT_THROW(max->check(Value("x")), AggregateError);  // a string after a number
    EXPECT_NO_THROW(max->check(Value(5)));
    EXPECT_EQ(max->result(), Value(3));
    std::optional<Accumulator> sum = make_accumulator("sum");
    EXPECT_THROW(sum->check(Value(std::nan(""))), AggregateError);
    EXPECT_THROW(sum->check(Value(true)), AggregateError);
    EXPECT_NO_THROW(sum->check(Value(nullptr)));
    EXPECT_NO_THROW(sum->check(Value(1e308)));  // a sum past the range fails its result
    EXPECT_THROW(make_accumulator("p99")->check(Value("1")), AggregateError);
    EXPECT_NO_THROW(make_accumulator("count")->check(Value("anything")));
}

TEST(Aggregates, MeanIsAFloat) {
    EXPECT_EQ(run("mean", {Value(1), Value(2), Value(nullptr)}), Value(1.5));
    EXPECT_EQ(run("mean", {Value(int_max), Value(int_max)}), Value(9223372036854775807.0));
    EXPECT_EQ(run("mean", {Value(0.1), Value(0.2), Value(0.3)}), Value(0.6 / 3));
    EXPECT_EQ(run("mean", {}), Value(nullptr));
}

TEST(Aggregates, NumericFunctionsRefuseWhatIsNotANumber) {
    EXPECT_EQ(error_of("sum", {Value(1), Value("2")}), "sum: expected a number, got string");
    EXPECT_EQ(error_of("mean", {Value(true)}), "mean: expected a number, got bool");
    EXPECT_EQ(error_of("p99", {Value(flowpool::List{})}), "p99: expected a number, got list");
    EXPECT_EQ(error_of("sum", {Value(std::nan(""))}), "sum: expected a finite number, got nan");
    EXPECT_EQ(error_of("p50", {Value(-HUGE_VAL)}), "p50: expected a finite number, got -inf");
}

TEST(Aggregates, MinAndMaxCompareNumbersByValueAndKeepTheirType) {
    EXPECT_EQ(run("min", {Value(3), Value(2.5), Value(nullptr), Value(7)}), Value(2.5));
    EXPECT_EQ(run("max", {Value(3), Value(2.5), Value(7)}), Value(7));
    // 2^53 + 1 > 2^53, though both are 2^53 as doubles.
    const std::int64_t two_53_plus_1 = (std::int64_t{1} << 53) + 1;
    EXPECT_EQ(run("max", {Value(9007199254740992.0), Value(two_53_plus_1)}), Value(two_53_plus_1));
    EXPECT_EQ(run("min", {Value(9007199254740992.0), Value(two_53_plus_1)}),
              Value(9007199254740992.0));
    // An integer and an equal float: the integer, in either order; 0.0 and -0.0: 0.0.
    EXPECT_EQ(run("min", {Value(1.0), Value(1)}), Value(1));
    EXPECT_EQ(run("max", {Value(1), Value(1.0)}), Value(1));
    EXPECT_FALSE(std::signbit(std::get<double>(run("min", {Value(-0.0), Value(0.0)}))));
    EXPECT_FALSE(std::signbit(std::get<double>(run("max", {Value(0.0), Value(-0.0)}))));
    EXPECT_EQ(run("max", {Value("pear"), Value("apple"), Value("quince")}), Value("quince"));
    EXPECT_EQ(run("min", {Value("pear"), Value("Pear"), Value("apple")}), Value("Pear"));
    EXPECT_EQ(run("min", {Value(nullptr)}), Value(nullptr));
}

TEST(Aggregates, MinAndMaxRefuseMixedAndUnorderedValues) {
    EXPECT_EQ(error_of("min", {Value(1), Value("a")}), "min: cannot compare string with integer");
    EXPECT_EQ(error_of("max", {Value("a"), Value(1.5)}), "max: cannot compare float with string");
    EXPECT_EQ(error_of("max", {Value(true)}), "max: expected a number or a string, got bool");
    EXPECT_EQ(error_of("min", {Value(std::nan(""))}), "min: NaN has no order");
}

TEST(Aggregates, IntegersAndFloatsCompareExactly) {
    using flowpool::detail::compare_numbers;
    const auto less = std::weak_ordering::less;
    const auto equal = std::weak_ordering::equivalent;
    const auto greater = std::weak_ordering::greater;
    EXPECT_EQ(compare_numbers(int_max, 9223372036854775808.0), less);  // 2^63
    EXPECT_EQ(compare_numbers(std::numeric_limits<std::int64_t>::min(), -9223372036854775808.0),
              equal);
    EXPECT_EQ(compare_numbers(std::numeric_limits<std::int64_t>::min(), -1e19), greater);
    EXPECT_EQ(compare_numbers(-1, -0.5), less);
    EXPECT_EQ(compare_numbers(-1, -1.5), greater);
    EXPECT_EQ(compare_numbers(0, -0.0), equal);
    EXPECT_EQ(compare_numbers(5, 5.000000001), less);
    EXPECT_EQ(compare_numbers(5, HUGE_VAL), less);
    EXPECT_EQ(compare_numbers(5, -HUGE_VAL), greater);
}

TEST(Aggregates, FirstAndLastGoByJobIdNotByArrival) {
    auto first = *make_accumulator("first");
    auto last = *make_accumulator("last");
    const std::vector<std::pair<std::uint64_t, Value>> jobs = {{5, Value("five")},
                                                               {2, Value("two")},
                                                               {9, Value(9)},
                                                               {1, Value(nullptr)},
                                                               {0, Value(nullptr)}};
    for (const auto& [id, v] : jobs) {
        first.add(v, id);
        last.add(v, id);
    }
    // Jobs 0 and 1 are null, skipped; any type goes.
    EXPECT_EQ(first.result(), Value("two"));
    EXPECT_EQ(last.result(), Value(9));
    EXPECT_EQ(run("first", {Value(nullptr)}), Value(nullptr));
}

TEST(Aggregates, CountDistinctSkipsNull) {
    EXPECT_EQ(run("count_distinct", {Value(1), Value(nullptr), Value(1.0), Value(1), Value("1")}),
              Value(2));  // 1 == 1.0
}

TEST(Aggregates, QuantilesAreWithinOnePercent) {
    std::vector<Value> values;
    for (std::int64_t i = 1; i <= 1001; ++i) values.emplace_back(i);
    std::shuffle(values.begin(), values.end(), std::mt19937_64(3));
    // Rank floor(q·1000) of 1..1001: 501, 901, 991.
    EXPECT_NEAR(std::get<double>(run("p50", values)), 501, 5.01);
    EXPECT_NEAR(std::get<double>(run("p90", values)), 901, 9.01);
    EXPECT_NEAR(std::get<double>(run("p99", values)), 991, 9.91);
    EXPECT_EQ(run("p99", {Value(nullptr)}), Value(nullptr));
}

TEST(Aggregates, MergingDifferentFunctionsIsRefused) {
    auto sum = *make_accumulator("sum");
    EXPECT_THROW(sum.merge(*make_accumulator("mean")), std::invalid_argument);
    EXPECT_THROW(sum.merge(*make_accumulator("p90")), std::invalid_argument);
}

/// Splits jobs among worker counts: the results equal those of one accumulator.
class AggregatesSplit : public testing::TestWithParam<int> {};

/// Random jobs: integers and floats of many magnitudes, some nulls, ids in a random order.
std::vector<std::pair<std::uint64_t, Value>> random_jobs(bool numbers_only) {
    std::mt19937_64 random(99);
    std::vector<std::pair<std::uint64_t, Value>> jobs;
    for (std::uint64_t id = 0; id < 20'000; ++id) {
        const int pick = std::uniform_int_distribution(0, 9)(random);
        Value v;
        if (pick == 0) {
            v = nullptr;
        } else if (pick < 5) {
            v = std::uniform_int_distribution<std::int64_t>(-int_max / 4, int_max / 4)(random);
        } else if (pick < 9 || numbers_only) {
            v = std::ldexp(std::normal_distribution(0.0, 1.0)(random),
                           std::uniform_int_distribution(-60, 60)(random));
        } else {
            v = "s" + std::to_string(random() % 5000);
        }
        jobs.emplace_back(id, std::move(v));
    }
    std::shuffle(jobs.begin(), jobs.end(), random);
    return jobs;
}

TEST_P(AggregatesSplit, ResultsDoNotDependOnHowJobsWereSplit) {
    const int workers = GetParam();
    std::mt19937_64 random(static_cast<std::uint64_t>(workers));
    for (const auto& f : flowpool::detail::aggregate_functions()) {
        SCOPED_TRACE(f.name);
        // min and max refuse mixed strings and numbers; the others take strings only to count.
        const bool numbers_only = f.name != "count" && f.name != "count_distinct" &&
                                  f.name != "first" && f.name != "last";
        const auto jobs = random_jobs(numbers_only);
        Accumulator whole = *make_accumulator(f.name);
        std::vector<Accumulator> partial(static_cast<std::size_t>(workers), whole);
        for (const auto& [id, v] : jobs) {
            whole.add(v, id);
            partial[random() % partial.size()].add(v, id);
        }
        // Merged in a random order into a fresh one, as the op merges workers' partials.
        std::shuffle(partial.begin(), partial.end(), random);
        Accumulator merged = *make_accumulator(f.name);
        for (const Accumulator& p : partial) merged.merge(p);
        EXPECT_EQ(merged.result(), whole.result());
        EXPECT_FALSE(whole.result().is_null());
    }
}

INSTANTIATE_TEST_SUITE_P(Workers, AggregatesSplit, testing::Values(1, 2, 4, 8));

}  // namespace
