#pragma once

namespace flowpool {
class OpRegistry;
}

namespace flowpool::detail {

/// Registers every built-in op in @p ops.
void add_builtin_ops(OpRegistry& ops);

}  // namespace flowpool::detail
