// Tests of count_distinct's counter (src/ops/distinct_count.hpp): exact up to its threshold,
// then a HyperLogLog whose error over many cardinalities and seeds stays within its documented
// standard error (1.04/√4096 ≈ 1.6%); merges of any split equal to the count of it all.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "ops/distinct_count.hpp"

namespace {

using flowpool::Value;
using flowpool::detail::DistinctCounter;
using flowpool::detail::HyperLogLog;

const double sigma = HyperLogLog::standard_error();

TEST(DistinctCount, IsExactUpToTheThreshold) {
    for (const std::int64_t n : {0, 1, 2, 10, 1000, 1024}) {
        DistinctCounter counter;
        // Each value three times.
        for (int round = 0; round < 3; ++round) {
            for (std::int64_t i = 0; i < n; ++i) counter.add(Value(i * 7919));
        }
        EXPECT_TRUE(counter.exact());
        EXPECT_EQ(counter.count(), static_cast<std::uint64_t>(n));
    }
}

TEST(DistinctCount, TellsValuesApartAsEqualsDoes) {
    // 1 and 1.0 are one value, as `==` says; "1", true, null and [1] are others.
    DistinctCounter counter;
    for (const Value& v : {Value(1), Value(1.0), Value("1"), Value(true), Value(nullptr),
                           Value(flowpool::List{Value(1)}), Value(1), Value("1"), Value(-0.0),
                           Value(0), Value(1.5)}) {
        counter.add(v);
    }
    EXPECT_EQ(counter.count(), 7U);
}

TEST(DistinctCount, PassesToAHyperLogLogPastTheThreshold) {
    DistinctCounter counter;
    for (std::int64_t i = 0; i <= 1024; ++i) counter.add(Value(i));
    EXPECT_FALSE(counter.exact());
    EXPECT_NEAR(static_cast<double>(counter.count()), 1025.0, 1025 * 4 * sigma);
}

/// The relative error of the count of @p n distinct values drawn with @p seed (integers far
/// apart, or, with @p strings, their decimal text).
double relative_error(std::uint64_t n, std::uint64_t seed, bool strings) {
    DistinctCounter counter;
    const auto base = static_cast<std::int64_t>(seed * 1'000'000'007ULL);
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::int64_t k = base + static_cast<std::int64_t>(i);
        const Value value = strings ? Value("user-" + std::to_string(k)) : Value(k);
        counter.add(value);
        if (i % 3 == 0) counter.add(value);  // duplicates change nothing
    }
    return (static_cast<double>(counter.count()) - static_cast<double>(n)) / static_cast<double>(n);
}

TEST(DistinctCount, HyperLogLogErrorIsWithinItsStandardError) {
    // Over the range where HyperLogLog without corrections is biased (2.5·m = 10,240) and far
    // past it: each run within 4σ, and the root mean square over 12 seeds within 1.6σ (the
    // 99.9% bound of a χ² with 12 degrees of freedom is 2.7σ²: this is tighter, and passes).
    for (const std::uint64_t n :
         {2'000ULL, 5'000ULL, 10'000ULL, 20'000ULL, 100'000ULL, 1'000'000ULL}) {
        double squares = 0;
        const int seeds = n >= 1'000'000 ? 4 : 12;
        for (int seed = 1; seed <= seeds; ++seed) {
            const double error = relative_error(n, static_cast<std::uint64_t>(seed), false);
            EXPECT_LE(std::fabs(error), 4 * sigma) << n << " seed " << seed;
            squares += error * error;
        }
        const double rms = std::sqrt(squares / seeds);
        std::cout << n << " distinct integers: rms relative error " << rms << " (sigma " << sigma
                  << ")\n";
        EXPECT_LE(rms, 1.6 * sigma) << n;
    }
}

TEST(DistinctCount, CountsStringsAndSmallIntegersAsWell) {
    double squares = 0;
    for (int seed = 1; seed <= 8; ++seed) {
        const double error = relative_error(50'000, static_cast<std::uint64_t>(seed), true);
        EXPECT_LE(std::fabs(error), 4 * sigma);
        squares += error * error;
    }
    EXPECT_LE(std::sqrt(squares / 8), 1.6 * sigma);
    // 0..99,999: std::hash is the identity there, the mixer must spread them.
    DistinctCounter counter;
    for (std::int64_t i = 0; i < 100'000; ++i) counter.add(Value(i));
    EXPECT_NEAR(static_cast<double>(counter.count()), 100'000.0, 100'000 * 4 * sigma);
}

/// Values 0..n-1 split into @p parts by @p part_of, merged left to right.
DistinctCounter split_count(std::int64_t n, std::size_t parts,
                            std::size_t (*part_of)(std::int64_t, std::int64_t, std::size_t)) {
    // Each value twice (i and i + n/2 + 1 alike), so that parts overlap.
    std::vector<DistinctCounter> counters(parts);
    for (std::int64_t i = 0; i < n; ++i) {
        counters[part_of(i, n, parts)].add(Value(i % (n / 2 + 1)));
    }
    DistinctCounter merged;
    for (const DistinctCounter& c : counters) merged.merge(c);
    return merged;
}

TEST(DistinctCount, MergesOfAnySplitCountAsTheWhole) {
    const auto round_robin = [](std::int64_t i, std::int64_t, std::size_t parts) {
        return static_cast<std::size_t>(i) % parts;
    };
    const auto chunks = [](std::int64_t i, std::int64_t n, std::size_t parts) {
        return static_cast<std::size_t>(i * static_cast<std::int64_t>(parts) / n);
    };
    // Distinct values: under the threshold in every part but over it in the union (1,501 and
    // 2,001 among 4 or 8 parts), and far over it.
    for (const std::int64_t n : {3'000LL, 4'000LL, 200'000LL}) {
        const DistinctCounter whole = split_count(n, 1, round_robin);
        for (const std::size_t parts : {2U, 4U, 8U}) {
            EXPECT_EQ(split_count(n, parts, round_robin).count(), whole.count()) << n;
            EXPECT_EQ(split_count(n, parts, chunks).count(), whole.count()) << n;
        }
    }
    // Every part seeing everything: the union is one part.
    DistinctCounter one;
    for (std::int64_t i = 0; i < 5000; ++i) one.add(Value(i));
    DistinctCounter merged = one;
    merged.merge(one);
    merged.merge(one);
    EXPECT_EQ(merged.count(), one.count());
}

TEST(DistinctCount, RefusesDifferentCounters) {
    DistinctCounter a;
    EXPECT_THROW(a.merge(DistinctCounter(10)), std::invalid_argument);
    EXPECT_THROW(DistinctCounter(10, 3), std::invalid_argument);
    EXPECT_THROW(HyperLogLog(19), std::invalid_argument);
}

}  // namespace
