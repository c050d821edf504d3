#pragma once
/// @file detail/plan.hpp
/// The runtime's contract: a graph of type-erased bodies (flowpool/body.hpp) that it turns into a
/// oneTBB flow graph.
/// Both fronts (the typed API and graph files) build a Plan; batching, backpressure, worker slots
/// and failure handling live once, behind it.

#include <flowpool/body.hpp>
#include <flowpool/stats.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

namespace flowpool::detail {

/// Index of a node in a Plan.
using NodeId = std::size_t;

/// A directed acyclic graph of bodies; run() executes it once on a oneTBB flow graph.
class Plan {
public:
    Plan();
    ~Plan();
    Plan(const Plan&) = delete;
    Plan& operator=(const Plan&) = delete;

    /// Adds a source; its jobs get ids 0, 1, 2, ... @p batch_size 0 means automatic.
    NodeId add_source(std::string name, std::unique_ptr<SourceBody> body,
                      std::size_t batch_size = 0);
    /// Adds a function (or filter) node running at most @p concurrency bodies at once
    /// (`flowpool::unlimited` for no bound; 0 is a UsageError).
    NodeId add_stage(std::string name, NodeKind kind, std::size_t concurrency,
                     std::unique_ptr<StageBody> body);
    /// Adds a serial sink.
    NodeId add_sink(std::string name, std::unique_ptr<SinkBody> body);
    /// Sends every batch @p from makes to @p to as well.
    void connect(NodeId from, NodeId to);
    /// The nodes @p node sends its batches to, by name, in the order they were connected.
    [[nodiscard]] std::vector<std::string> sends_to(NodeId node) const;
    /// Sets what @p node does with a job whose body threw (default: OnError::fail()). A
    /// dead-letter sink is looked up by name when the plan runs.
    void set_on_error(NodeId node, OnError policy);
    /// Gives up on a job of function or filter @p node that runs longer than @p timeout (0: no
    /// limit): it fails as the node's OnError says. Each job then runs on a thread of its own;
    /// one given up on keeps running, detached, until its function returns.
    void set_timeout(NodeId node, std::chrono::milliseconds timeout);
    /// Makes function or filter @p node keyed: @p key splits its batches so that jobs with equal
    /// keys run on one of the node's `concurrency` lanes, one at a time, in the order their
    /// source made them; what the lanes make of one batch is passed on as one batch. A keyed
    /// node cannot route (StageBody::targets) or have a timeout.
    void set_key(NodeId node, std::unique_ptr<KeyBody> key);
    /// Makes sink @p node consume the jobs of each source in id order, holding at most about
    /// @p window jobs that arrived early.
    void set_ordered(NodeId node, std::size_t window);

    /// Runs to completion: every job is consumed, dropped, or failed. Call at most once.
    RunResult run(const RunOptions& options = {});

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flowpool::detail
