// The one list of op families. A default-constructed OpRegistry holds all of them; the registry
// itself (registry.cpp) knows none.

#include <flowpool/ops.hpp>

#include "builtin.hpp"

namespace flowpool {
namespace detail {

/// The Redis Streams ops: defined in src/redis/redis_ops.cpp, or by src/redis/no_redis.cpp as
/// none when flowpool is built without hiredis.
void add_redis_ops(OpRegistry& ops);

}  // namespace detail

OpRegistry::OpRegistry() {
    detail::add_builtin_ops(*this);
    detail::add_string_ops(*this);
    detail::add_file_ops(*this);
    detail::add_record_ops(*this);
    detail::add_expression_ops(*this);
    detail::add_keyed_ops(*this);
    detail::add_exec_ops(*this);
    detail::add_redis_ops(*this);
}

}  // namespace flowpool
