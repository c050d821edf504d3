#pragma once
/// @file baseline/tally.hpp
/// What reached a graph's sink, counted and checksummed, so that `flowpool bench` can say whether
/// flowpool and the hand-rolled pool delivered the same jobs with the same values.

#include <cstdint>
#include <flowpool/graph.hpp>
#include <flowpool/ops.hpp>
#include <functional>
#include <memory>
#include <string>
#include <typeindex>

namespace flowpool::baseline {

/// What reached the sink in one run: jobs, and a checksum of their ids and values that does not
/// depend on the order they came in.
struct Tally {
    std::uint64_t jobs = 0;      ///< jobs consumed
    std::uint64_t checksum = 0;  ///< sum (mod 2^64) of a hash of each job's id and value
};

/// A sink body that counts and checksums each batch, then hands it to the sink it wraps.
class TallySink final : public SinkBody {
public:
    /// Wraps @p inner; @p tally receives the counts (the sink is serial: no lock needed).
    TallySink(std::unique_ptr<SinkBody> inner, Tally& tally)
        : inner_(std::move(inner)), tally_(tally) {}

    void consume(const detail::BatchPtr& in, BatchContext& ctx) override;
    void finish() override { inner_->finish(); }
    [[nodiscard]] std::type_index takes() const noexcept override { return inner_->takes(); }

private:
    std::unique_ptr<SinkBody> inner_;
    Tally& tally_;
};

/// A graph and its ops with the sink's op wrapped in a TallySink that reports into `tally`: both
/// runs of `flowpool bench` use it.
struct TalliedGraph {
    /// Makes the user's sink body (from the node's own parameters); throws, or returns a body.
    using SinkMaker = std::function<std::unique_ptr<SinkBody>()>;

    GraphSpec graph;  ///< the user's graph, its sink naming the wrapping op
    OpRegistry ops;   ///< the user's ops plus the wrapping op
    Tally tally;      ///< what the latest run delivered; reset before each run

    /// Copies @p user_graph and @p user_ops and gives node @p sink_name a wrapping op, whose
    /// bodies wrap what @p make_user_sink makes.
    TalliedGraph(const GraphSpec& user_graph, const OpRegistry& user_ops,
                 const std::string& sink_name, SinkMaker make_user_sink);
    TalliedGraph(const TalliedGraph&) = delete;  // the wrapping op refers to `tally`
    TalliedGraph& operator=(const TalliedGraph&) = delete;

    /// A sink body of the wrapping op: the user's sink, counted into `tally`.
    [[nodiscard]] std::unique_ptr<SinkBody> make_sink();

private:
    SinkMaker make_user_sink_;
};

}  // namespace flowpool::baseline
