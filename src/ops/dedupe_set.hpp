#pragma once
// The `dedupe` op's memory: the keys seen so far, at most max_keys of them.
//
// Past max_keys the set forgets its least recently seen key (a key seen again, passed or
// dropped, counts as seen then): recent duplicates, the common case, stay caught, and a key
// seen again after being forgotten passes once more. While fewer than max_keys distinct keys
// were seen, none is forgotten. DedupeStats counts those forgettings and, as a lower bound, those
// second passes (readmitted): each forgotten key's 64-bit hash is kept in a direct-mapped table
// of about max_keys slots (made when the set first fills), where a later forgotten key may
// overwrite it.
//
// Thread safety: insert() may be called from any number of workers at once. Keys are spread by
// hash over shards (16 by default), each with its own mutex, so lookups of different keys seldom
// wait for each other; a shard holds as many keys as come to it. Each key carries the tick of a
// clock shared by the shards at which it was last seen, so the oldest key overall is the oldest
// of the shards' oldest: an insert that takes the set past max_keys forgets that key (forgettings
// take one mutex, one at a time). Between a new key's insert and that forgetting, the set may
// hold one key more per worker inserting at that instant; no key is forgotten early.
//
// Memory: about 140 bytes a key (a hash-map node holding the key, a list node for the order and
// its tick, a slot of the forgotten table), plus what a key holds on the heap (a string of 16
// bytes or more). Once full, a new key costs one allocation and one free: the forgotten key may
// be in another shard, so its nodes cannot be reused.

#include <flowpool/value.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
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

    /// Remembers at most @p max_keys ≥ 1 keys, spread over @p shards ≥ 1 shards.
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

    /// Forgets the least recently seen key of all shards.
    void forget_oldest();

    std::size_t max_keys_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::atomic<std::uint64_t> clock_{0};  // ticks once per insert(), under a shard's mutex
    std::atomic<std::size_t> keys_{0};     // keys remembered, counted once inserted
    std::mutex forgetting_;                // one forgetting at a time
};

}  // namespace flowpool::detail
