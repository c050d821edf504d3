#pragma once
// The `dedupe` op's memory: the keys seen so far, at most max_keys of them.
//
// Past max_keys the set forgets its least recently seen key (a key seen again, passed or
// dropped, counts as seen then): recent duplicates, the common case, stay caught, and a key
// seen again after being forgotten passes once more. DedupeStats counts those forgettings and,
// as a lower bound, those second passes (readmitted): each forgotten key's 64-bit hash is kept in
// a direct-mapped table of max_keys slots (made when the set first fills), where a later forgotten
// key may overwrite it.
//
// Thread safety: insert() may be called from any number of workers at once. Keys are spread by
// hash over shards (16 by default), each with its own mutex, its own share of max_keys and its
// own least-recently-seen order; so the set starts forgetting when one shard is full, which, keys
// being hashed evenly, is near max_keys. With shards = 1 the order is exact across all keys.
//
// Memory: about 130 bytes a key (a hash-map node holding the key, a list node for the order, a
// slot of the forgotten table), plus what a key holds on the heap (a string of 16 bytes or more).
// Once full, insert() allocates nothing but the copy of a new key that is a long string: the
// forgotten key's nodes are reused for the new one.

#include <flowpool/value.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace flowpool::detail {

/// What a DedupeSet did so far (see the file comment).
struct DedupeStats {
    std::uint64_t passed = 0;      ///< insert() calls that returned true
    std::uint64_t dropped = 0;     ///< insert() calls that returned false: a remembered key
    std::uint64_t forgotten = 0;   ///< keys forgotten to stay within max_keys
    std::uint64_t readmitted = 0;  ///< passes of a forgotten key: at least this many
    std::size_t keys = 0;          ///< keys remembered now

    friend bool operator==(const DedupeStats&, const DedupeStats&) = default;
};

/// The keys a `dedupe` op has seen, bounded (see the file comment).
class DedupeSet {
public:
    static constexpr std::size_t default_shards = 16;

    /// Remembers at most @p max_keys ≥ 1 keys over min(@p shards, max_keys) shards.
    explicit DedupeSet(std::size_t max_keys, std::size_t shards = default_shards);
    ~DedupeSet();
    DedupeSet(const DedupeSet&) = delete;
    DedupeSet& operator=(const DedupeSet&) = delete;

    /// True if @p key is not remembered (the job passes), and remembers it; false if it is (the
    /// job is a duplicate). Either way @p key becomes the most recently seen. Thread-safe.
    bool insert(const Value& key);
    /// Counts so far, summed over the shards. Thread-safe.
    [[nodiscard]] DedupeStats stats() const;

private:
    class Shard;
    std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace flowpool::detail
