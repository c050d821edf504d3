#pragma once
// The reorder buffer of an ordered sink (Plan::set_ordered).

#include <flowpool/detail/plan.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace flowpool::detail {

/// An ordered sink's waiting room: batches that arrived before their turn, per source. A
/// source's batch number `seq` is consumed once it arrived along every path from that source.
/// Called by the sink's one thread at a time.
class Reorder {
public:
    /// @p paths[s]: how many paths lead from node s to the sink (0 for nodes that are not sources).
    explicit Reorder(std::vector<std::size_t> paths)
        : paths_(std::move(paths)), next_(paths_.size(), 0), held_(paths_.size()) {}

    /// Takes @p batch from @p source and calls @p consume on every batch whose turn has come.
    template <class Consume>
    void arrive(NodeId source, BatchPtr batch, Consume&& consume) {
        auto& held = held_[source];
        held[batch->seq].push_back(std::move(batch));
        for (auto it = held.find(next_[source]);
             it != held.end() && it->second.size() == paths_[source];
             it = held.find(next_[source])) {
            for (const BatchPtr& ready : it->second) consume(ready);
            held.erase(it);
            ++next_[source];
        }
    }

private:
    std::vector<std::size_t> paths_;
    std::vector<std::uint64_t> next_;
    std::vector<std::map<std::uint64_t, std::vector<BatchPtr>>> held_;
};

}  // namespace flowpool::detail
