#include "ops/dedupe_set.hpp"

#include <algorithm>
#include <iterator>
#include <list>
#include <mutex>
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

}  // namespace

/// One shard: its keys, their order from most to least recently seen, and its counts.
class DedupeSet::Shard {
public:
    explicit Shard(std::size_t capacity) : capacity_(capacity) {}

    bool insert(const Value& key, std::uint64_t hash) {
        const std::lock_guard lock(mutex_);
        if (const auto found = keys_.find(key); found != keys_.end()) {
            recency_.splice(recency_.begin(), recency_, found->second);
            ++stats_.dropped;
            return false;
        }
        ++stats_.passed;
        if (!forgotten_.empty()) {
            if (std::uint64_t& slot = forgotten_[hash % capacity_]; slot == hash) {
                ++stats_.readmitted;
                slot = 0;
            }
        }
        if (keys_.size() == capacity_) {
            replace_oldest(key);
        } else {
            recency_.push_front(nullptr);
            recency_.front() = &keys_.emplace(key, recency_.begin()).first->first;
        }
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
    /// Forgets the least recently seen key and remembers @p key in its nodes (no allocation).
    void replace_oldest(const Value& key) {
        const auto oldest = std::prev(recency_.end());
        auto node = keys_.extract(**oldest);
        const std::uint64_t old_hash = value_hash64(node.key());
        // Made at the first forgetting: a set that never fills never pays for it.
        if (forgotten_.empty()) forgotten_.assign(capacity_, 0);
        forgotten_[old_hash % capacity_] = old_hash;
        ++stats_.forgotten;
        node.key() = key;
        recency_.splice(recency_.begin(), recency_, oldest);
        node.mapped() = recency_.begin();
        // The node keeps its address, so the list's pointer to its key stays right.
        keys_.insert(std::move(node));
    }

    mutable std::mutex mutex_;
    std::size_t capacity_;
    std::list<const Value*> recency_;  // the keys in keys_, most recently seen first
    std::unordered_map<Value, std::list<const Value*>::iterator, KeyHash, expr::KeyEqual> keys_;
    std::vector<std::uint64_t> forgotten_;  // hashes of forgotten keys, by hash % capacity_
    DedupeStats stats_;
};

DedupeSet::DedupeSet(std::size_t max_keys, std::size_t shards) {
    if (max_keys == 0) throw std::invalid_argument("dedupe: max_keys must be at least 1");
    if (shards == 0) throw std::invalid_argument("dedupe: shards must be at least 1");
    shards = std::min(shards, max_keys);
    for (std::size_t i = 0; i < shards; ++i) {
        shards_.push_back(std::make_unique<Shard>(max_keys / shards + (i < max_keys % shards)));
    }
}

DedupeSet::~DedupeSet() = default;

bool DedupeSet::insert(const Value& key) {
    const std::uint64_t hash = value_hash64(key);
    // The top bits pick the shard; the map and the forgotten table use the low ones.
    return shards_[(hash >> 40) % shards_.size()]->insert(key, hash);
}

DedupeStats DedupeSet::stats() const {
    DedupeStats total;
    for (const auto& shard : shards_) shard->add_stats(total);
    return total;
}

}  // namespace flowpool::detail
