#include "log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <flowpool/error.hpp>
#include <flowpool/log.hpp>
#include <memory>
#include <string>

#include "utf8.hpp"

namespace flowpool {
namespace detail {
namespace {

std::atomic<bool> json_format{false};

/// The node and job of the line being logged on this thread, if log_job() logs it.
struct JobFields {
    std::string_view node;
    std::uint64_t id = 0;
    bool set = false;
};
thread_local JobFields job_fields;

/// Appends @p text as the inside of a JSON string, as the jsonl sink writes one: `"` and `\`
/// escaped, control characters as \n \r \t or \u00XX, each ill-formed UTF-8 sequence as U+FFFD
/// (a value's bytes reach log lines in failures' messages).
void append_escaped(spdlog::memory_buf_t& out, std::string_view text) {
    for (std::size_t at = 0; at < text.size();) {
        const char c = text[at];
        if (static_cast<unsigned char>(c) >= 0x80) {
            bool valid = false;
            const std::size_t used = utf8_sequence_at(text.substr(at), valid);
            out.append(valid ? text.substr(at, used) : utf8_replacement);
            at += used;
            continue;
        }
        ++at;
        switch (c) {
            case '"':
                out.append(std::string_view("\\\""));
                break;
            case '\\':
                out.append(std::string_view("\\\\"));
                break;
            case '\n':
                out.append(std::string_view("\\n"));
                break;
            case '\r':
                out.append(std::string_view("\\r"));
                break;
            case '\t':
                out.append(std::string_view("\\t"));
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char code[8];
                    std::snprintf(code, sizeof code, "\\u%04x", static_cast<unsigned>(c));
                    out.append(std::string_view(code));
                } else {
                    out.push_back(c);
                }
        }
    }
}

/// `2024-05-01T12:00:00.123Z`: UTC, to the millisecond.
void append_time(spdlog::memory_buf_t& out, spdlog::log_clock::time_point time) {
    const auto since = time.time_since_epoch();
    const std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(since).count();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[40];
    const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms));
    out.append(std::string_view(text));
}

/// One JSON object a line: time, level, node and job (from log_job), message.
class JsonFormatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& out) override {
        out.append(std::string_view("{\"time\":\""));
        append_time(out, msg.time);
        out.append(std::string_view("\",\"level\":\""));
        const auto level = spdlog::level::to_string_view(msg.level);
        out.append(std::string_view(level.data(), level.size()));
        out.push_back('"');
        if (job_fields.set) {
            out.append(std::string_view(",\"node\":\""));
            append_escaped(out, job_fields.node);
            out.push_back('"');
            if (job_fields.id != JobError::no_job) {  // else a failure at the end of the run
                out.append(std::string_view(",\"job\":"));
                out.append(std::to_string(job_fields.id));
            }
        }
        out.append(std::string_view(",\"message\":\""));
        append_escaped(out, std::string_view(msg.payload.data(), msg.payload.size()));
        out.append(std::string_view("\"}\n"));
    }
    [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<JsonFormatter>();
    }
};

}  // namespace

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

bool log_is_json() noexcept { return json_format.load(std::memory_order_relaxed); }

void log_job(spdlog::level::level_enum level, std::string_view node, std::uint64_t id,
             std::string_view message) noexcept {
    try {
        if (!log_is_json()) {
            if (id == JobError::no_job) {
                log().log(level, "node '{}': {}", node, message);
            } else {
                log().log(level, "node '{}' job {}: {}", node, id, message);
            }
            return;
        }
        job_fields = {node, id, true};
        log().log(level, "{}", message);
    } catch (...) {
        // Logging never throws.
    }
    job_fields = {};
}

}  // namespace detail

void set_log_level(std::string_view level) {
    detail::log().set_level(spdlog::level::from_str(std::string(level)));
}

void set_log_format(std::string_view format) {
    if (format == "json") {
        detail::log().set_formatter(std::make_unique<detail::JsonFormatter>());
        detail::json_format.store(true, std::memory_order_relaxed);
    } else if (format == "text") {
        detail::log().set_pattern("%^[%l]%$ %v");
        detail::json_format.store(false, std::memory_order_relaxed);
    } else {
        throw UsageError("unknown log format '" + std::string(format) + "'; use text or json");
    }
}

}  // namespace flowpool
