#include "ops/dedupe_set.hpp"

#include <limits>
#include <list>
#include <stdexcept>
#include <unordered_map>

#include "expr/values.hpp"
#include "ops/distinct_count.hpp"

namespace flowpool::detail {

namespace {

/// Hashes a key as count_distinct does: std::hash<Value> is the identity on integers.
struct KeyHash {
    std::size_t operator()(const Value& key) const noexcept { return value_hash64(key); }
};

/// A remembered key and the clock's tick when it was last seen.
struct Seen {
    const Value* key;
    std::uint64_t tick;
};

}  // namespace

/// One shard: its keys, their order from most to least recently seen, and its counts.
class DedupeSet::Shard {
public:
    /// oldest() of a shard that holds no key: later than any tick.
    static constexpr std::uint64_t no_key = std::numeric_limits<std::uint64_t>::max();

    explicit Shard(std::size_t forgotten_slots) : slots_(forgotten_slots) {}

    /// As DedupeSet::insert, ticking @p clock; a new key is remembered, whatever the bound.
    bool insert(const Value& key, std::uint64_t hash, std::atomic<std::uint64_t>& clock) {
        const std::lock_guard lock(mutex_);
        // Taken under the mutex, so the ticks of one shard's keys follow its order.
        const std::uint64_t tick = clock.fetch_add(1, std::memory_order_relaxed);
        if (const auto found = keys_.find(key); found != keys_.end()) {
            found->second->tick = tick;
            recency_.splice(recency_.begin(), recency_, found->second);
            ++stats_.dropped;
            publish_oldest();
            return false;
        }
        ++stats_.passed;
        if (!forgotten_.empty()) {
            if (std::uint64_t& slot = forgotten_[hash % slots_]; slot == hash) {
                ++stats_.readmitted;
                slot = 0;
            }
        }
        recency_.push_front({nullptr, tick});
        recency_.front().key = &keys_.emplace(key, recency_.begin()).first->first;
        publish_oldest();
        return true;
    }

    /// The tick of this shard's least recently seen key, or no_key.
    [[nodiscard]] std::uint64_t oldest() const noexcept {
        return oldest_.load(std::memory_order_acquire);
    }

    /// Forgets this shard's least recently seen key if it is still the one seen at @p tick.
    bool forget_oldest(std::uint64_t tick) {
        const std::lock_guard lock(mutex_);
        if (recency_.empty() || recency_.back().tick != tick) return false;
        const std::uint64_t hash = value_hash64(*recency_.back().key);
        keys_.erase(*recency_.back().key);
        recency_.pop_back();
        // Made at the first forgetting: a set that never fills never pays for it.
        if (forgotten_.empty()) forgotten_.assign(slots_, 0);
        forgotten_[hash % slots_] = hash;
        ++stats_.forgotten;
        publish_oldest();
        return true;
    }

    void add_stats(DedupeStats& total) const {
        const std::lock_guard lock(mutex_);
        total.passed += stats_.passed;
        total.dropped += stats_.dropped;
        total.forgotten += stats_.forgotten;
        total.readmitted += stats_.readmitted;
        total.keys += keys_.size();
    }

private:
    /// Lets forget_oldest()'s caller compare shards without taking their mutexes.
    void publish_oldest() noexcept {
        oldest_.store(recency_.empty() ? no_key : recency_.back().tick, std::memory_order_release);
    }

    mutable std::mutex mutex_;
    std::size_t slots_;
    std::list<Seen> recency_;  // the keys in keys_, most recently seen first
    std::unordered_map<Value, std::list<Seen>::iterator, KeyHash, expr::KeyEqual> keys_;
    std::vector<std::uint64_t> forgotten_;  // hashes of forgotten keys, by hash % slots_
    std::atomic<std::uint64_t> oldest_{no_key};
    DedupeStats stats_;
};

DedupeSet::DedupeSet(std::size_t max_keys, std::size_t shards) : max_keys_(max_keys) {
    if (max_keys == 0) throw std::invalid_argument("dedupe: max_keys must be at least 1");
    if (shards == 0) throw std::invalid_argument("dedupe: shards must be at least 1");
    // A forgotten key is looked for in its own shard: max_keys slots in all, rounded up.
    const std::size_t slots = (max_keys + shards - 1) / shards;
    for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>(slots));
}

DedupeSet::~DedupeSet() = default;

bool DedupeSet::insert(const Value& key) {
    const std::uint64_t hash = value_hash64(key);
    // The top bits pick the shard; the map and the forgotten table use the low ones.
    if (!shards_[(hash >> 40) % shards_.size()]->insert(key, hash, clock_)) return false;
    // One key too many: the least recently seen of all goes (alone, this key is never it; when
    // workers insert at once, one's new key may be older than another's, and go).
    if (keys_.fetch_add(1, std::memory_order_acq_rel) >= max_keys_) forget_oldest();
    return true;
}

void DedupeSet::forget_oldest() {
    const std::lock_guard lock(forgetting_);
    for (;;) {
        Shard* oldest = nullptr;
        std::uint64_t tick = Shard::no_key;
        for (const auto& shard : shards_) {
            if (const std::uint64_t t = shard->oldest(); t < tick) {
                tick = t;
                oldest = shard.get();
            }
        }
        if (oldest == nullptr) return;  // unreachable: the caller's key is in
        // A worker saw that key again since the look above: look again.
        if (oldest->forget_oldest(tick)) {
            keys_.fetch_sub(1, std::memory_order_acq_rel);
            return;
        }
    }
}

DedupeStats DedupeSet::stats() const {
    DedupeStats total;
    for (const auto& shard : shards_) shard->add_stats(total);
    return total;
}

}  // namespace flowpool::detail
