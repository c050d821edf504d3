#pragma once
/// @file source_op.hpp
/// The registry's source ops in the typed API: a pipeline can start from anything a graph file
/// can read (a file of JSON lines, a glob of gzip files, ...), and its stages then take
/// flowpool::Value, records for `jsonl`.
///
/// @code
/// flowpool::source("events", flowpool::jsonl("events.jsonl"))
///     .stage("country", 2, [](const flowpool::Value& event) {
///         const flowpool::Value* country = event.at_path({"user", "country"});
///         return country ? std::get<std::string>(*country) : std::string("?");
///     })
///     .sink("out", [](const std::string& country) { std::puts(country.c_str()); })
///     .run();
/// @endcode

#include <flowpool/body.hpp>
#include <flowpool/ops.hpp>
#include <flowpool/pipeline.hpp>
#include <flowpool/value.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flowpool {

/// A source op of an OpRegistry, made with its parameters, ready for flowpool::source(): its
/// jobs are flowpool::Values.
class SourceOp {
public:
    /// Wraps @p body, a source whose jobs are flowpool::Values.
    explicit SourceOp(std::unique_ptr<SourceBody> body) noexcept : body_(std::move(body)) {}

    /// The body, given up to the pipeline that runs it.
    [[nodiscard]] std::unique_ptr<SourceBody> release() && noexcept { return std::move(body_); }

private:
    std::unique_ptr<SourceBody> body_;
};

/// Source op @p name of @p ops, made with @p params written as a graph file writes them
/// (`{{"path", "events.jsonl"}}`); defaults are filled in and values checked as validation
/// checks them. Throws UsageError if @p ops has no source named @p name, a parameter is
/// unknown, missing or malformed, or the op's factory throws (anything) or makes no body.
[[nodiscard]] SourceOp source_op(const OpRegistry& ops, std::string_view name,
                                 const std::map<std::string, std::string, std::less<>>& params);

/// What jsonl() reads of each line.
struct JsonlOptions {
    /// Read only these fields (faster); empty: every field.
    std::vector<std::string> fields{};
    /// A longer line fails its job without being held in memory; none: the op's default.
    std::optional<std::size_t> max_line_bytes{};
};

/// The `jsonl` source: one record per line of JSON objects in @p path (a glob, gzip and zstd
/// files, or "-" for standard input), parsed on the workers; a job's id is its line number from
/// 0. A line that is not a JSON object fails its job under the source's on_error. Throws
/// UsageError now, not when the pipeline runs, if @p path names no file (or its glob none).
[[nodiscard]] SourceOp jsonl(std::string path, JsonlOptions options = {});

/// Starts a pipeline with a registry's source op (jsonl(), source_op()): its jobs are
/// flowpool::Values. @p batch_size fixes the jobs per message; 0 sizes batches automatically.
[[nodiscard]] inline Flow<Value> source(std::string name, SourceOp op, std::size_t batch_size = 0) {
    return detail::start_flow<Value>(std::move(name), std::move(op).release(), batch_size);
}

}  // namespace flowpool
