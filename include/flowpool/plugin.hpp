#pragma once
/// @file plugin.hpp
/// Plugins: a shared library that adds ops to the `flowpool` command. A graph file lists it under
/// `plugins:`; before validating, flowpool loads it with dlopen() and calls its two entry points.
///
/// @code
/// // square.cpp, built as a shared library (CMake: add_library(square MODULE square.cpp)).
/// #include <flowpool/plugin.hpp>
///
/// extern "C" int flowpool_plugin_abi() { return flowpool::plugin_abi; }
///
/// extern "C" void flowpool_register_ops(flowpool::OpRegistry& ops) {
///     ops.add({.name = "square", .kind = flowpool::NodeKind::function,
///              .description = "value * value",
///              .takes = flowpool::ValueType::integer, .gives = flowpool::ValueType::integer,
///              .make_stage = [](const flowpool::Params&) {
///                  return flowpool::stage_body([](flowpool::Value v) -> flowpool::Value {
///                      const auto n = std::get<std::int64_t>(v);
///                      return n * n;
///                  });
///              }});
/// }
/// @endcode
///
/// A plugin calls into the flowpool that loads it (OpRegistry::add and the runtime), so it is
/// built against the same flowpool headers and links no flowpool library of its own.

#include <flowpool/body.hpp>
#include <flowpool/custom_op.hpp>
#include <flowpool/ops.hpp>

namespace flowpool {

/// The plugin interface's version. A plugin returns the value it was built with from
/// `flowpool_plugin_abi()`; flowpool loads only plugins whose value equals its own. It changes
/// whenever OpInfo, OpRegistry or the op bodies (flowpool/body.hpp) change in a way a built
/// plugin would notice. 2: bodies moved to flowpool/body.hpp; SourceBody::retired() reports
/// failed jobs; SourceBody::redelivers() and finish(); OpInfo::redelivers. 3: Value holds
/// records, lists, floats, bools, null and application types; SourceBody::decode();
/// OpInfo::parses; ValueType is a class. 4: parameters may be lists and maps (ParamInfo::items
/// and ::fields, ParamType::list and ::map, Params holds them). 5: OpInfo::reads_fields and
/// ::projection; Items::spent (values reused by their batch's maker); Record::truncate(). 6:
/// OpInfo::stable_ids; Batch::keep() (a resumed run leaves finished jobs out). 7:
/// SourceBody::waits(). 8: StageBody::most_jobs_a_batch() and
/// ::in_source_order(); SinkBody::holds_back(); ParamInfo::min_items. 9: ParamInfo::check_key.
/// 10: StageBody::copies_jobs() (a new virtual: the vtable moved); BatchContext::before_retry()
/// says whether to try again; OpRegistry::add_type registers a type process-wide
/// (OpRegistry's members and detail::OpaqueTag changed). 11: OpInfo::keeps_if. 12:
/// OpInfo::fails_jobs_as_read. 13: Batch::prefiltered (Batch, and so every Items, changed
/// layout).
inline constexpr int plugin_abi = 13;

}  // namespace flowpool

extern "C" {
/// Every plugin defines this: `return flowpool::plugin_abi;`.
int flowpool_plugin_abi();
/// Every plugin defines this: it adds the plugin's ops to @p ops. Throwing (OpRegistry::add
/// throws UsageError for a name that is taken) makes loading the graph file fail.
void flowpool_register_ops(flowpool::OpRegistry& ops);
}
