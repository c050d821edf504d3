#pragma once

namespace flowpool {
class OpRegistry;
}

namespace flowpool::detail {

/// Registers every built-in op in @p ops.
void add_builtin_ops(OpRegistry& ops);
/// Registers the string ops (upper, lower, grep, replace, length, hash, parse_int) in @p ops.
void add_string_ops(OpRegistry& ops);
/// Registers the file ops (the lines source, the file and jsonl sinks) in @p ops.
void add_file_ops(OpRegistry& ops);

}  // namespace flowpool::detail
