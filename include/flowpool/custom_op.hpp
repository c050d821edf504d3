#pragma once
/// @file custom_op.hpp
/// An application's own ops: a per-job function on flowpool::Value becomes the body of a source,
/// function, filter or sink op, registered by name in an OpRegistry beside the built-in ones.
///
/// @code
/// flowpool::OpRegistry ops;
/// ops.add({.name = "add", .kind = flowpool::NodeKind::function, .description = "value + amount",
///          .params = {{.name = "amount", .type = flowpool::ParamType::integer}},
///          .takes = flowpool::ValueType::integer, .gives = flowpool::ValueType::integer,
///          .make_stage = [](const flowpool::Params& p) {
///              return flowpool::stage_body([n = p.integer("amount")](flowpool::Value v) ->
///              flowpool::Value {
///                  return std::get<std::int64_t>(v) + n;
///              });
///          }});
/// @endcode

#include <flowpool/ops.hpp>
#include <flowpool/pipeline.hpp>
#include <flowpool/value.hpp>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace flowpool {

/// A source op's body: @p generator returns the next job's Value, or std::nullopt when done.
/// It is called by one thread at a time; jobs get ids 0, 1, 2, ...
template <class G>
std::unique_ptr<SourceBody> source_body(G generator) {
    static_assert(std::is_same_v<std::decay_t<std::invoke_result_t<G&>>, std::optional<Value>>,
                  "a source op's generator returns std::optional<flowpool::Value>");
    return std::make_unique<detail::GeneratorSource<Value, G>>(std::move(generator));
}

/// A function or filter op's body: @p f takes a job's Value (and optionally a
/// `const JobContext&`) and returns the Value to pass on, or, for a filter, a
/// std::optional<Value> that is empty to drop the job. A job for which @p f throws fails alone.
template <class F>
std::unique_ptr<StageBody> stage_body(F f) {
    using Result = detail::job_result_t<F, Value>;
    static_assert(std::is_same_v<Result, Value> || std::is_same_v<Result, std::optional<Value>>,
                  "an op's function returns flowpool::Value (or std::optional<Value> to filter)");
    return std::make_unique<detail::FunctionStage<Value, F>>(std::move(f));
}

/// A sink op's body: @p f takes each job's Value (and optionally a `const JobContext&`), one job
/// at a time. A job for which @p f throws fails alone.
template <class F>
std::unique_ptr<SinkBody> sink_body(F f) {
    return std::make_unique<detail::FunctionSink<Value, F>>(std::move(f));
}

}  // namespace flowpool
