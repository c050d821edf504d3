#pragma once
// flowpool's logger: spdlog, to stderr only, never throwing. Lines are text (`[level] message`)
// or, after set_log_format("json"), one JSON object each.

#include <spdlog/spdlog.h>

#include <cstdint>
#include <string_view>

namespace flowpool::detail {

/// The "flowpool" logger, made on first use; level from FLOWPOOL_LOG (default: warn).
spdlog::logger& log();

/// True once set_log_format("json") was called.
bool log_is_json() noexcept;

/// Logs @p message about job @p id of node @p node: as text `node 'NODE' job ID: MESSAGE`; as
/// JSON with `node` and `job` fields beside the message.
void log_job(spdlog::level::level_enum level, std::string_view node, std::uint64_t id,
             std::string_view message) noexcept;

}  // namespace flowpool::detail
