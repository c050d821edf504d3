// Tests of the quantile sketch behind p50/p90/p99 (src/ops/quantile_sketch.hpp): its estimates
// against the exact quantiles of random data of several shapes, within the relative error α;
// merges of the data split in different ways, equal to the sketch of it all; the bucket bound and
// its collapsing; and no allocation per add in steady state.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "ops/quantile_sketch.hpp"

namespace {

/// Heap allocations in this program, for the steady-state test.
std::atomic<std::uint64_t> allocations{0};

}  // namespace

// Never inlined: where GCC 12 inlines them, it sees a pointer from malloc() go to `operator
// delete`, or one from `operator new` go to free(), and warns of a mismatch that is not there
// (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using flowpool::detail::QuantileSketch;

constexpr double alpha = QuantileSketch::default_alpha;
const std::vector<double> quantiles = {0,    0.001, 0.01, 0.1,  0.25,  0.5,
                                       0.75, 0.9,   0.95, 0.99, 0.999, 1};

/// The element of 0-based rank floor(q·(n-1)) of @p sorted: what the sketch estimates.
double exact_quantile(const std::vector<double>& sorted, double q) {
    return sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))];
}

QuantileSketch sketch_of(const std::vector<double>& values) {
    QuantileSketch sketch;
    for (const double x : values) sketch.add(x);
    return sketch;
}

/// The largest relative error of @p sketch's quantiles against @p values' exact ones.
double worst_relative_error(const QuantileSketch& sketch, std::vector<double> values) {
    std::sort(values.begin(), values.end());
    double worst = 0;
    for (const double q : quantiles) {
        const double exact = exact_quantile(values, q);
        const double estimate = sketch.quantile(q);
        const double error =
            exact == 0 ? std::fabs(estimate) : std::fabs(estimate - exact) / std::fabs(exact);
        EXPECT_LE(error, alpha * (1 + 1e-9))
            << "q=" << q << " exact=" << exact << " estimate=" << estimate;
        worst = std::max(worst, error);
    }
    return worst;
}

/// 100,000 values from @p draw, seeded.
std::vector<double> sample(const std::function<double(std::mt19937_64&)>& draw,
                           std::size_t n = 100'000) {
    std::mt19937_64 random(20261201);
    std::vector<double> values(n);
    for (double& x : values) x = draw(random);
    return values;
}

struct Shape {
    std::string name;
    std::vector<double> values;
};

std::vector<Shape> shapes() {
    return {
        {"uniform", sample([](auto& r) { return std::uniform_real_distribution(0.0, 1000.0)(r); })},
        {"exponential", sample([](auto& r) { return std::exponential_distribution(0.01)(r); })},
        // Pareto with shape 1.1: a heavy tail, p99.9 some 500 times the median.
        {"pareto", sample([](auto& r) {
             return 1 / std::pow(std::uniform_real_distribution(1e-12, 1.0)(r), 1 / 1.1);
         })},
        {"normal", sample([](auto& r) { return std::normal_distribution(0.0, 100.0)(r); })},
        {"negative", sample([](auto& r) { return -std::lognormal_distribution(3.0, 2.0)(r); })},
        {"zeros_and_signs", sample([](auto& r) {
             const int pick = std::uniform_int_distribution(0, 2)(r);
             return pick == 0 ? 0.0
                              : (pick == 1 ? -1.0 : 1.0) * std::exponential_distribution(1.0)(r);
         })},
        {"integers", sample([](auto& r) {
             return static_cast<double>(std::uniform_int_distribution<std::int64_t>(-50, 5000)(r));
         })},
        {"all_equal", std::vector<double>(1000, 42.5)},
        {"single", {-3.25}},
        // 16 decades: 1,842 buckets, near the 2,048 that keep the bound.
        {"sixteen_decades", sample([](auto& r) {
             return std::pow(10.0, std::uniform_real_distribution(-8.0, 8.0)(r));
         })},
    };
}

TEST(QuantileSketch, EstimatesAreWithinAlphaOfTheExactQuantiles) {
    for (const Shape& shape : shapes()) {
        SCOPED_TRACE(shape.name);
        const QuantileSketch sketch = sketch_of(shape.values);
        ASSERT_EQ(sketch.count(), shape.values.size());
        const double worst = worst_relative_error(sketch, shape.values);
        std::cout << shape.name << ": worst relative error " << worst << ", " << sketch.buckets()
                  << " buckets\n";
    }
}

TEST(QuantileSketch, ExtremesAreExact) {
    const std::vector<double> values = shapes()[3].values;
    const QuantileSketch sketch = sketch_of(values);
    EXPECT_EQ(sketch.quantile(0), *std::min_element(values.begin(), values.end()));
    EXPECT_EQ(sketch.quantile(1), *std::max_element(values.begin(), values.end()));
}

/// Splits @p values into @p parts copies of @p empty by @p part_of(index), merges them as a
/// tree or in reverse order.
QuantileSketch split_and_merge(const std::vector<double>& values, const QuantileSketch& empty,
                               std::size_t parts,
                               const std::function<std::size_t(std::size_t)>& part_of, bool tree) {
    std::vector<QuantileSketch> sketches(parts, empty);
    for (std::size_t i = 0; i < values.size(); ++i) sketches[part_of(i)].add(values[i]);
    if (tree) {
        for (std::size_t step = 1; step < parts; step *= 2) {
            for (std::size_t i = 0; i + step < parts; i += 2 * step) {
                sketches[i].merge(sketches[i + step]);
            }
        }
        return sketches[0];
    }
    QuantileSketch merged = empty;
    for (auto it = sketches.rbegin(); it != sketches.rend(); ++it) merged.merge(*it);
    return merged;
}

/// Every way of splitting @p values this file tries, merged, equals @p whole.
void expect_merges_equal(const std::vector<double>& values, const QuantileSketch& whole,
                         const QuantileSketch& empty) {
    std::mt19937_64 random(7);
    std::vector<std::size_t> random_part(values.size());
    for (const std::size_t parts : {1U, 2U, 3U, 4U, 8U}) {
        for (auto& p : random_part)
            p = std::uniform_int_distribution<std::size_t>(0, parts - 1)(random);
        const std::size_t chunk = values.size() / parts + 1;
        const std::vector<std::function<std::size_t(std::size_t)>> splits = {
            [&](std::size_t i) { return i % parts; },
            [&](std::size_t i) { return i / chunk; },
            [&](std::size_t i) { return random_part[i]; },
        };
        for (const auto& split : splits) {
            for (const bool tree : {false, true}) {
                QuantileSketch merged = empty;
                merged.merge(split_and_merge(values, empty, parts, split, tree));
                EXPECT_TRUE(merged == whole) << parts << " parts, tree " << tree;
                for (const double q : quantiles) EXPECT_EQ(merged.quantile(q), whole.quantile(q));
            }
        }
    }
}

TEST(QuantileSketch, MergesOfAnySplitEqualTheWhole) {
    for (const Shape& shape : shapes()) {
        SCOPED_TRACE(shape.name);
        expect_merges_equal(shape.values, sketch_of(shape.values), QuantileSketch());
    }
}

TEST(QuantileSketch, BucketsStayBoundedAndCollapseTheSmallestMagnitudes) {
    // Magnitudes over 12 decades in 64 buckets a sign (a ratio of 3.6): the small ones collapse.
    constexpr std::int32_t max_buckets = 64;
    std::vector<double> values = sample([](auto& r) {
        const double m = std::pow(10.0, std::uniform_real_distribution(-6.0, 6.0)(r));
        return std::bernoulli_distribution(0.5)(r) ? m : -m;
    });
    QuantileSketch sketch(alpha, max_buckets);
    for (const double x : values) sketch.add(x);
    EXPECT_LE(sketch.buckets(), 2U * max_buckets);
    // The largest magnitudes keep the bound: the lowest and highest quantiles.
    std::sort(values.begin(), values.end());
    for (const double q : {0.0, 0.001, 0.01, 0.99, 0.999, 1.0}) {
        const double exact = exact_quantile(values, q);
        EXPECT_LE(std::fabs(sketch.quantile(q) - exact), alpha * std::fabs(exact) * (1 + 1e-9))
            << q;
    }
    // A collapsed magnitude reads as the smallest kept one: too large, never too small.
    const double p75 = exact_quantile(values, 0.75);
    EXPECT_GT(sketch.quantile(0.75), p75 * (1 + alpha));
    // Merging stays independent of the split when buckets collapse.
    expect_merges_equal(values, sketch, QuantileSketch(alpha, max_buckets));
}

TEST(QuantileSketch, AddsInSteadyStateDoNotAllocate) {
    const std::vector<double> warm = shapes()[1].values;
    std::vector<double> more(warm.rbegin(), warm.rend());
    QuantileSketch sketch;
    for (const double x : warm) sketch.add(x);
    const std::uint64_t before = allocations.load();
    for (const double x : more) sketch.add(x);
    EXPECT_EQ(allocations.load() - before, 0U);
}

TEST(QuantileSketch, RefusesBadParametersAndDifferentMerges) {
    EXPECT_THROW(QuantileSketch(0.0), std::invalid_argument);
    EXPECT_THROW(QuantileSketch(1.0), std::invalid_argument);
    EXPECT_THROW(QuantileSketch(0.01, 0), std::invalid_argument);
    QuantileSketch a;
    EXPECT_THROW(a.merge(QuantileSketch(0.02)), std::invalid_argument);
    EXPECT_THROW((void)a.quantile(0.5), std::logic_error);
}

}  // namespace
