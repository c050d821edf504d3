#pragma once
// A resolved node's body, made by its op's factory under one guard: whatever the factory throws
// (a plugin's may throw anything) or a null body becomes a graph-file problem naming the node.
// Nothing has run yet, so neither is a job's failure, and a null body would crash the run.
// `flowpool run` (build_plan.cpp) and `flowpool bench` (both of its runs) make bodies here.

#include <flowpool/body.hpp>

#include <memory>

#include "resolve.hpp"

namespace flowpool::detail {

/// The body of source @p node; throws ConfigError at the node (at its `path:` if the factory's
/// error names that path) if the factory throws or makes none.
std::unique_ptr<SourceBody> make_source_body(const ResolvedNode& node);
/// The body of function or filter @p node; throws ConfigError as make_source_body() does.
std::unique_ptr<StageBody> make_stage_body(const ResolvedNode& node);
/// The body of sink @p node; throws ConfigError as make_source_body() does.
std::unique_ptr<SinkBody> make_sink_body(const ResolvedNode& node);

}  // namespace flowpool::detail
