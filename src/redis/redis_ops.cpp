// The Redis Streams ops: sources that read a stream through a consumer group, and a sink that
// appends to a stream. Parameters and defaults are documented here once; `flowpool ops` prints
// them.

#include "redis_ops.hpp"

#include <flowpool/ops.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>

#include "address.hpp"
#include "common/parse.hpp"
#include "stream_sink.hpp"
#include "stream_source.hpp"

namespace flowpool::detail {
namespace {

using std::chrono::milliseconds;

constexpr const char* default_url = "redis://127.0.0.1:6379";

void check_url(const std::string& url) { static_cast<void>(redis::parse_url(url)); }

/// A check for an integer parameter that must be at least @p low.
std::function<void(const std::string&)> at_least(long long low) {
    return [low](const std::string& text) {
        const std::optional<std::int64_t> value = parse_integer(text);
        if (!value || *value < low) {
            throw std::invalid_argument("must be a whole number of at least " +
                                        std::to_string(low) + ", not '" + text + "'");
        }
    };
}

std::function<void(const std::string&)> not_empty(const char* what) {
    return [what](const std::string& text) {
        if (text.empty()) throw std::invalid_argument(std::string(what) + " must not be empty");
    };
}

std::vector<ParamInfo> source_params() {
    return {
        {"url", ParamType::string, default_url, "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]",
         check_url},
        {"stream", ParamType::string, std::nullopt, "the stream of jobs", not_empty("stream")},
        {"group", ParamType::string, "flowpool", "the consumer group all workers share",
         not_empty("group")},
        {"consumer",
         ParamType::string,
         "",
         "this worker's name in the group (default HOST:PID:START_MS)",
         {}},
        {"block_ms", ParamType::integer, "500",
         "longest wait for new entries in one read (also how fast a stop is noticed)", at_least(1)},
        {"claim_idle_ms", ParamType::integer, "30000",
         "take over entries another worker left unacknowledged this long; longer than a batch "
         "can take, or jobs run twice",
         at_least(1)},
        {"max_deliveries", ParamType::integer, "5",
         "an entry delivered more often goes to the dead-letter stream", at_least(1)},
        {"dead_letter", ParamType::string, "", "the dead-letter stream (default STREAM:dead)", {}},
        {"idle_exit_ms", ParamType::integer, "0",
         "end once nothing was new for this long and nothing is pending in the group (0: never)",
         at_least(0)},
        {"forget_consumers_ms", ParamType::integer, "3600000",
         "remove consumers of the group idle this long with nothing pending, so that a fleet "
         "that restarts keeps the group small (0: never)",
         at_least(0)},
        {"trim",
         ParamType::boolean,
         "false",
         "delete entries that every group has acknowledged (never pending ones)",
         {}},
    };
}

/// A stream's entries, once read and acknowledged, are not read again.
std::optional<std::string> reads_a_stream(const Params&) { return "a stream"; }

std::unique_ptr<SourceBody> make_source(const Params& p, redis::Expect expect) {
    redis::SourceOptions options;
    options.address = redis::parse_url(p.string("url"));
    options.stream = p.string("stream");
    options.group = p.string("group");
    options.consumer = p.string("consumer");
    options.dead_letter = p.string("dead_letter");
    options.block = milliseconds{p.integer("block_ms")};
    options.claim_idle = milliseconds{p.integer("claim_idle_ms")};
    options.idle_exit = milliseconds{p.integer("idle_exit_ms")};
    options.max_deliveries = p.integer("max_deliveries");
    options.forget_consumers = milliseconds{p.integer("forget_consumers_ms")};
    options.trim = p.boolean("trim");
    options.expect = expect;
    // Before the run: a wrong password, database or stream key is a fault of the graph file.
    auto source = std::make_unique<redis::StreamSource>(std::move(options));
    source->start();
    return source;
}

}  // namespace

void add_redis_ops(OpRegistry& ops) {
    ops.add({.name = "redis_stream",
             .kind = NodeKind::source,
             .description = "integer jobs from a Redis stream, shared by every worker of a "
                            "consumer group; acknowledged job by job once written by the sinks; a "
                            "failed job is delivered again (default on_error: redeliver)",
             .params = source_params(),
             .gives = ValueType::integer,
             .make_source = [](const Params& p) { return make_source(p, redis::Expect::integer); },
             .redelivers = true,
             .reads_input_once = reads_a_stream});
    ops.add(
        {.name = "redis_stream_strings",
         .kind = NodeKind::source,
         .description = "redis_stream for string jobs (an integer entry gives its decimal text)",
         .params = source_params(),
         .gives = ValueType::string,
         .make_source = [](const Params& p) { return make_source(p, redis::Expect::string); },
         .redelivers = true,
         .reads_input_once = reads_a_stream});
    ops.add({.name = "redis_stream_write",
             .kind = NodeKind::sink,
             .description = "appends each job to a Redis stream: fields id and int or str",
             .params = {{"url", ParamType::string, default_url,
                         "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]", check_url},
                        {"stream", ParamType::string, std::nullopt, "the stream to append to",
                         not_empty("stream")}},
             .takes = ValueType::any,
             .make_sink = [](const Params& p) -> std::unique_ptr<SinkBody> {
                 return std::make_unique<redis::StreamSink>(redis::parse_url(p.string("url")),
                                                            p.string("stream"));
             }});
}

}  // namespace flowpool::detail
