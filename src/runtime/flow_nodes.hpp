#pragma once
// The oneTBB nodes a run is built of, each named for its role (the picture is in plan.cpp).
// src/runtime is the only code that names tbb::flow.

#include <oneapi/tbb/flow_graph.h>
#include <flowpool/detail/batch.hpp>

namespace flowpool::detail {

namespace flow = oneapi::tbb::flow;

/// A source: the graph pulls a batch from it whenever its limiter has room.
using InputNode = flow::input_node<BatchPtr>;
/// A source's in-flight bound: passes a batch on while fewer than N of its batches are in flight.
using Limiter = flow::limiter_node<BatchPtr>;
/// A function or filter: a batch in, a batch out, up to the node's concurrency at once.
using StageNode = flow::function_node<BatchPtr, BatchPtr>;
/// A sink: consumes one batch at a time.
using SinkNode = flow::function_node<BatchPtr, flow::continue_msg>;

}  // namespace flowpool::detail
