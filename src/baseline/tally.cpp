#include "tally.hpp"

#include <algorithm>
#include <functional>
#include <utility>

namespace flowpool::baseline {
namespace {

/// The name of the counting sink op that stands in for the graph's sink op in both runs.
constexpr const char* tally_op_name = "flowpool-bench-tally";

/// splitmix64's finaliser: spreads the bits of @p x.
std::uint64_t mix(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

void TallySink::consume(const detail::BatchPtr& in, BatchContext& ctx) {
    if (const auto* items = dynamic_cast<const detail::Items<Value>*>(in.get())) {
        for (std::size_t i = 0; i < items->size(); ++i) {
            tally_.checksum += mix(items->ids[i] ^ std::hash<Value>{}(items->values[i]));
        }
    }
    tally_.jobs += in->size();
    inner_->consume(in, ctx);
}

TalliedGraph::TalliedGraph(const GraphSpec& user_graph, const OpRegistry& user_ops,
                           const std::string& sink_name, SinkMaker make_user_sink)
    : graph(user_graph), ops(user_ops), make_user_sink_(std::move(make_user_sink)) {
    auto sink = std::find_if(graph.nodes.begin(), graph.nodes.end(),
                             [&](const NodeSpec& node) { return node.name == sink_name; });
    OpInfo wrapped = *ops.find(sink->op, NodeKind::sink);
    wrapped.name = tally_op_name;
    wrapped.make_sink = [this](const Params& /*params*/) { return make_sink(); };
    ops.add(std::move(wrapped));
    sink->op = tally_op_name;
}

std::unique_ptr<SinkBody> TalliedGraph::make_sink() {
    return std::make_unique<TallySink>(make_user_sink_(), tally);
}

}  // namespace flowpool::baseline
