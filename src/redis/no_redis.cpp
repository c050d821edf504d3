// Built instead of redis_ops.cpp when FLOWPOOL_REDIS is OFF: no Redis ops.

#include "redis_ops.hpp"

namespace flowpool::detail {

void add_redis_ops(OpRegistry&) {}

}  // namespace flowpool::detail
