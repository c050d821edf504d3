#pragma once
// A Plan's nodes as the runtime keeps them: what was added, and what each measures as it runs.

#include <flowpool/detail/plan.hpp>
#include <flowpool/on_error.hpp>
#include <flowpool/stats.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "batch_sizer.hpp"
#include "counters.hpp"
#include "worker_slots.hpp"

namespace flowpool::detail {

/// One node of a Plan: its body (one of source, stage, sink), its edges and policies, and its
/// figures.
struct PlanNode {
    std::string name;
    NodeKind kind = NodeKind::function;
    std::size_t concurrency = 1;
    std::size_t batch_size = 0;
    std::unique_ptr<SourceBody> source;
    std::shared_ptr<StageBody> stage;  // shared with jobs run apart under a timeout
    std::unique_ptr<SinkBody> sink;
    std::unique_ptr<KeyBody> key;  // keyed functions and filters: splits batches into lanes
    std::vector<NodeId> successors;
    std::vector<NodeId> predecessors;
    std::vector<NodeId> routes;  // routing stages: the successor of each of the body's targets
    OnError on_error;
    NodeId dead_letter = 0;  // resolved from on_error.dead_letter when the plan runs
    bool takes_dead_letters = false;
    std::size_t reorder_window = 0;        // sinks: 0 unordered, else consume in id order
    std::chrono::milliseconds timeout{0};  // functions and filters: 0 for none
    std::uint64_t last_id = 0;             // sinks: the last job consumed (read after the run)
    Counters counters;
    JobCost cost;
    WorkerSlots slots;
};

/// A plan's nodes, indexed by NodeId. A deque: nodes never move once added, so the bodies of a
/// run can refer to them.
using PlanNodes = std::deque<PlanNode>;

}  // namespace flowpool::detail
