#pragma once
// The Redis Streams ops (`redis_stream`, `redis_stream_strings`, `redis_stream_write`), when
// flowpool is built with FLOWPOOL_REDIS; without it this registers nothing.

namespace flowpool {
class OpRegistry;
}

namespace flowpool::detail {

/// Registers the Redis Streams ops in @p ops (none when built without hiredis).
void add_redis_ops(OpRegistry& ops);

}  // namespace flowpool::detail
