#pragma once
// The `redis_stream` sink: one stream entry per job, `id` and `int` or `str` (entry.hpp), written
// with XADD in one round trip per batch. A batch is written again whole after a lost connection,
// so a reader may see a job's result twice: delivery is at least once, deduplicate by job id.

#include <flowpool/body.hpp>

#include <chrono>
#include <string>

#include "connection.hpp"

namespace flowpool::detail::redis {

/// Writes every job it gets to a Redis stream.
class StreamSink final : public SinkBody {
public:
    StreamSink(Address address, std::string stream);

    void consume(const BatchPtr& in, BatchContext& ctx) override;

private:
    std::string stream_;
    Connection connection_;
    std::chrono::steady_clock::time_point stop_seen_{};  // when consume() first saw the stop
};

}  // namespace flowpool::detail::redis
