#pragma once
// The built-in op families; all_ops.cpp lists them (and the Redis family) for the registry.

#include <flowpool/ops.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expr/types.hpp"

namespace flowpool::detail {

/// Why a job fails that a node did not run because the run was stopping (a failure limit passed,
/// `on_error: fail`, a signal): `exec` starts no more programs, `rate_limit` passes no more jobs.
/// Such a failure is not reported one by one, and a resumed run runs the job.
inline constexpr std::string_view not_started_text = "not started: the run is stopping";

/// Registers the core ops (range, multiply, spin, fail, print, summary) in @p ops.
void add_builtin_ops(OpRegistry& ops);
/// Registers the string ops (upper, lower, grep, replace, length, hash, parse_int) in @p ops.
void add_string_ops(OpRegistry& ops);
/// Registers the file ops (the lines source, the file and jsonl sinks) in @p ops.
void add_file_ops(OpRegistry& ops);

/// Registers the record ops (the jsonl source, parse_json, to_json) in @p ops.
void add_record_ops(OpRegistry& ops);

/// Registers the ops written in expressions (where, map) in @p ops.
void add_expression_ops(OpRegistry& ops);

/// A parameter holding an expression, parsed when the graph is validated: a problem is reported
/// at its column inside the text. @p optional: it defaults to "", meaning none. An expression
/// that cannot give any value of @p gives (`where: "lower(.host)"`) is such a problem too:
/// `WHAT must be a bool, not a string`, @p what naming it. Null does not count: `.status + 1`,
/// which gives a number or null, is no condition either.
ParamInfo expression_param(std::string name, std::string description, bool optional = false,
                           expr::TypeSet gives = expr::any_type, std::string what = "");

/// What OpInfo::reads_fields says of an op whose only reads are the expressions in its
/// parameters @p params (those left empty read nothing).
using ReadsFields = std::function<bool(const Params&, std::vector<std::string>&, bool&)>;
ReadsFields reads_expressions(std::vector<std::string> params, bool passes_on);
/// Adds the fields @p text, an expression, reads to @p names; false if it reads a value whole.
bool add_fields_read(const std::string& text, std::vector<std::string>& names);

/// ParamInfo::check of an integer parameter that must be at least 1 (`must be at least 1`).
void check_positive(const std::string& text);
/// ParamInfo::check of an integer parameter that must not be negative (`must be 0 or more`).
void check_non_negative(const std::string& text);
/// The longest wait a graph file may ask for, in milliseconds (about 31 years): a clock's time
/// that far ahead still fits its 64 bits of nanoseconds, where 10^13 ms wrapped round to the
/// past and timed a program out at once.
inline constexpr std::int64_t max_wait_ms = 1'000'000'000'000;
/// A `*_ms` parameter: 0 to max_wait_ms; throws std::invalid_argument else.
void check_milliseconds(const std::string& text);
/// ParamInfo::check of a list of names, comma-separated (`columns:`, `fields:`): none empty or
/// blank, each once; "" (no names) passes.
void check_names(const std::string& text);
/// ParamInfo::check of a CSV `delimiter:`: one character, not a quote or a line end.
void check_delimiter(const std::string& text);

/// A value in a message: `the float 2.5`, `the string "x"`, `null`, its JSON cut at 60 bytes.
std::string described(const Value& value);
/// The integer @p value holds; else throws std::invalid_argument (`expected an integer value,
/// got the float 2.5`). Values of type `any` (parse_json's, map's) reach integer ops unchecked.
std::int64_t integer_value(const Value& value);
/// The string @p value holds; else throws as integer_value() does.
std::string& string_value(Value& value);

/// Reports job @p id, whose value is @p value, as failed with @p message: sent to the node's
/// dead-letter sink (a copy of the value) if it has one, else as BatchContext::job_failed says.
void fail_job(BatchContext& ctx, std::uint64_t id, const Value& value, std::string message);

/// Registers the ops that run programs (exec) in @p ops.
void add_exec_ops(OpRegistry& ops);

/// Registers the keyed ops (aggregate, top, dedupe, rate_limit) in @p ops.
void add_keyed_ops(OpRegistry& ops);
/// Registers `aggregate` in @p ops (add_keyed_ops does).
void add_aggregate_op(OpRegistry& ops);

/// The `path` parameter of the sources that read files (lines, jsonl, csv).
ParamInfo input_path_param();
/// Their `max_line_bytes` parameter.
ParamInfo max_line_bytes_param();
/// Their OpInfo::reads_input_once: standard input, when `path` is `-`.
std::optional<std::string> reads_standard_input(const Params& params);

/// The body of the `file` sink (and of `print`, which is `file` on `-`): one line per job,
/// rendered by @p format, in @p path, created or truncated (`-`: standard output).
std::unique_ptr<SinkBody> format_sink(const std::string& path, const std::string& format,
                                      bool keep_newlines = false);

}  // namespace flowpool::detail
