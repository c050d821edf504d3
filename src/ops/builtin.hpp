#pragma once
// The built-in op families; all_ops.cpp lists them (and the Redis family) for the registry.

namespace flowpool {
class OpRegistry;
}

namespace flowpool::detail {

/// Registers the core ops (range, multiply, spin, fail, print, summary) in @p ops.
void add_builtin_ops(OpRegistry& ops);
/// Registers the string ops (upper, lower, grep, replace, length, hash, parse_int) in @p ops.
void add_string_ops(OpRegistry& ops);
/// Registers the file ops (the lines source, the file and jsonl sinks) in @p ops.
void add_file_ops(OpRegistry& ops);

}  // namespace flowpool::detail
