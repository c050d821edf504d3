#include "stream_sink.hpp"

#include <chrono>

#include "entry.hpp"

namespace flowpool::detail::redis {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

StreamSink::StreamSink(Address address, std::string stream)
    : stream_(std::move(stream)),
      connection_(std::move(address), "sink to stream '" + stream_ + "'",
                  std::chrono::milliseconds{5000}) {}

void StreamSink::consume(const BatchPtr& in, BatchContext& ctx) {
    const auto& batch = static_cast<const Items<Value>&>(*in);
    std::vector<Command> commands;
    commands.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        Command& add = commands.emplace_back(Command{"XADD", stream_, "*"});
        append_fields(add, batch.ids[i], batch.values[i]);
    }
    // Once the run is stopping, all batches together get stop_grace, not each its own.
    const KeepTrying keep_trying = [&] {
        if (!ctx.stop_requested()) return true;
        if (stop_seen_ == Clock::time_point{}) stop_seen_ = Clock::now();
        return Clock::now() - stop_seen_ < stop_grace;
    };
    const std::vector<Reply> replies = connection_.pipeline(commands, keep_trying);
    for (std::size_t i = 0; i < replies.size(); ++i) {
        if (is_error(*replies[i]))
            ctx.job_failed(batch.ids[i], "XADD: " + std::string(text(*replies[i])));
    }
}

}  // namespace flowpool::detail::redis
