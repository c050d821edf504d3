#pragma once
// flowpool's logger: spdlog, to stderr only, never throwing.

#include <spdlog/spdlog.h>

namespace flowpool::detail {

/// The "flowpool" logger, made on first use; level from FLOWPOOL_LOG (default: warn).
spdlog::logger& log();

}  // namespace flowpool::detail
