#pragma once
// count_distinct(E) with bounded memory: exact up to a threshold of distinct values (1024 by
// default), then a HyperLogLog of 2^12 one-byte registers (4 KiB) whose standard error is
// 1.04/√4096 ≈ 1.6% (measured in tests/test_distinct_count.cpp).
//
// Values are counted by a 64-bit hash: std::hash<Value> through MurmurHash3's finaliser (the
// standard library hashes an integer to itself, which would put every small integer in one
// HyperLogLog register). "Exact" thus means exact unless two distinct values share a 64-bit
// hash: a chance of n²/2^65, about 3·10^-14 at the threshold. Values are distinct as `==`
// says: 1 and 1.0 are one value (std::hash<Value> hashes a float equal to an integer as it).
//
// Merging is order-free: the exact set is a union, a HyperLogLog register the maximum over the
// hashes it saw, and the counter turns into a HyperLogLog exactly when the union of what it saw
// passes the threshold; so any split of the values, merged, gives the same count.
// The estimator is Ertl's ("New cardinality estimation algorithms for HyperLogLog sketches",
// 2017): unbiased from 0 to 2^64 without the empirical bias tables of HyperLogLog++.

#include <flowpool/value.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace flowpool::detail {

/// MurmurHash3's 64-bit finaliser: every input bit flips each output bit with probability ½.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t h) noexcept {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/// The 64-bit hash count_distinct and dedupe use for @p value. The constant added first keeps
/// the integer 0 (hashed to 0 by the standard library, a fixed point of mix64) from hashing to 0.
[[nodiscard]] inline std::uint64_t value_hash64(const Value& value) noexcept {
    return mix64(std::hash<Value>{}(value) + 0x9e3779b97f4a7c15ULL);
}

/// A HyperLogLog sketch of 2^precision six-bit registers (one byte each).
class HyperLogLog {
public:
    static constexpr int default_precision = 12;

    /// @p precision in [4, 18].
    explicit HyperLogLog(int precision = default_precision);

    /// Counts a value by its (well mixed) 64-bit hash.
    void add_hash(std::uint64_t hash) noexcept;
    /// Counts every value @p other counted; it must have the same precision.
    void merge(const HyperLogLog& other);
    /// The estimated number of distinct hashes added.
    [[nodiscard]] double estimate() const;
    /// The relative standard error of estimate() at @p precision: 1.04 / √(2^precision).
    [[nodiscard]] static double standard_error(int precision = default_precision);

    friend bool operator==(const HyperLogLog&, const HyperLogLog&) = default;

private:
    int precision_;
    std::vector<std::uint8_t> registers_;
};

/// Distinct values, exactly up to a threshold, then by a HyperLogLog (see the file comment).
class DistinctCounter {
public:
    /// Distinct values counted exactly at most.
    static constexpr std::size_t default_exact_limit = 1024;

    /// Exact up to default_exact_limit distinct values, then a HyperLogLog of default precision.
    DistinctCounter() : DistinctCounter(default_exact_limit) {}
    /// Exact up to @p exact_limit distinct values, then a HyperLogLog of @p precision.
    explicit DistinctCounter(std::size_t exact_limit,
                             int precision = HyperLogLog::default_precision);

    /// Counts @p value.
    void add(const Value& value) { add_hash(value_hash64(value)); }
    /// Counts a value by its value_hash64().
    void add_hash(std::uint64_t hash);
    /// Counts every value @p other counted; it must be made alike.
    void merge(const DistinctCounter& other);
    /// How many distinct values: exact while exact(), else the HyperLogLog's estimate, rounded.
    [[nodiscard]] std::uint64_t count() const;
    /// True while counting exactly.
    [[nodiscard]] bool exact() const noexcept { return sketch_ == nullptr; }

    DistinctCounter(const DistinctCounter& other);
    DistinctCounter& operator=(const DistinctCounter& other);
    DistinctCounter(DistinctCounter&&) noexcept = default;
    DistinctCounter& operator=(DistinctCounter&&) noexcept = default;
    ~DistinctCounter() = default;

private:
    /// Inserts @p hash (not 0) in the exact table; grows it at half full.
    void insert_exact(std::uint64_t hash);
    /// Moves the exact hashes into a HyperLogLog and frees the table.
    void switch_to_sketch();

    std::size_t exact_limit_;
    int precision_;
    // Open addressing, linear probing; 0 marks a free slot, so a hash of 0 is stored as 1.
    std::vector<std::uint64_t> table_;
    std::size_t size_ = 0;
    std::unique_ptr<HyperLogLog> sketch_;  // past exact_limit_
};

}  // namespace flowpool::detail
