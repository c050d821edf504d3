#pragma once
/// @file log.hpp
/// How much flowpool logs. Logs go to stderr (results go to stdout) and never throw.

#include <string_view>

namespace flowpool {

/// Sets the level of flowpool's log by name: `trace`, `debug`, `info`, `warn`, `error`,
/// `critical` or `off` (a name it does not know turns the log off). Until called, the level is
/// the environment variable FLOWPOOL_LOG's, else `warn`.
/// @code
/// flowpool::set_log_level("debug");  // one line as each run starts and ends
/// @endcode
void set_log_level(std::string_view level);

/// Sets the format of flowpool's log lines: `text` (the default: `[level] message`) or `json`:
/// one JSON object a line with `time` (UTC, ISO 8601), `level`, `node` and `job` when the line
/// is about one job, and `message`, for log shippers. Throws UsageError for another name.
/// @code
/// flowpool::set_log_format("json");
/// @endcode
void set_log_format(std::string_view format);

}  // namespace flowpool
