#include "log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <flowpool/log.hpp>

#include <cstdlib>
#include <string>

namespace flowpool {
namespace detail {

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

}  // namespace detail

void set_log_level(std::string_view level) {
    detail::log().set_level(spdlog::level::from_str(std::string(level)));
}

}  // namespace flowpool
