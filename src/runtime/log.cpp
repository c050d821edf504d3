#include "log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>

namespace flowpool::detail {

spdlog::logger& log() {
    static const std::shared_ptr<spdlog::logger> logger = [] {
        auto made = spdlog::stderr_color_mt("flowpool");
        made->set_pattern("%^[%l]%$ %v");
        made->set_level(spdlog::level::warn);
        if (const char* level = std::getenv("FLOWPOOL_LOG")) {
            made->set_level(spdlog::level::from_str(level));
        }
        return made;
    }();
    return *logger;
}

}  // namespace flowpool::detail
