#include "command.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <flowpool/error.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "common/log.hpp"
#include "common/parse.hpp"

namespace flowpool::cli {
namespace {

/// The most seconds a flag takes (about 31 years): more would overflow a duration.
constexpr double most_seconds = 1e9;

/// A CLI11 check named @p what, whose @p problem says what is wrong with the text, or "".
CLI::Validator check_named(const std::string& what, std::string (*problem)(const std::string&)) {
    return CLI::Validator([problem](std::string& text) { return problem(text); }, what, what);
}

/// Seconds: a finite decimal number above 0 (or 0 too, if @p zero_ok), at most most_seconds.
std::string seconds_problem(const std::string& text, bool zero_ok) {
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value)) {
        return "must be a number of seconds, not '" + text + "'";
    }
    if (value < 0 || (value == 0 && !zero_ok)) {
        return std::string("must be ") + (zero_ok ? "0 or more" : "greater than 0") + ", not " +
               text;
    }
    if (value > most_seconds) return "must be at most 1000000000 seconds, not " + text;
    return {};
}

}  // namespace

CLI::Validator count_at_least_one() {
    return check_named("at least 1", [](const std::string& text) -> std::string {
        const std::optional<std::uint64_t> n = detail::parse_unsigned(text);
        if (n && *n >= 1) return {};
        return "must be a whole number of at least 1, not " + (n ? text : "'" + text + "'");
    });
}

CLI::Validator count_or_zero() {
    return check_named("0 or more", [](const std::string& text) -> std::string {
        if (detail::parse_unsigned(text)) return {};
        return "must be a whole number (0: chosen automatically), not '" + text + "'";
    });
}

CLI::Validator seconds_above_zero() {
    return check_named("greater than 0",
                       [](const std::string& text) { return seconds_problem(text, false); });
}

CLI::Validator seconds_zero_or_more() {
    return check_named("0 or more",
                       [](const std::string& text) { return seconds_problem(text, true); });
}

int run_chosen(const std::vector<Command>& commands) {
    try {
        for (const Command& command : commands) {
            if (*command.app) return command.run();
        }
    } catch (const ConfigError& e) {
        print_config_error(e);
        return bad_input;
    } catch (const UsageError& e) {
        print_error(e.what());
        return bad_input;
    } catch (const std::exception& e) {
        print_error(e.what());
        return job_failed;
    }
    return bad_input;
}

std::optional<std::string> unknown_command(const CLI::App& app, int argc, char** argv) {
    if (argc < 2 || argv[1][0] == '-') return std::nullopt;
    std::string names;
    for (const CLI::App* command : app.get_subcommands({})) {
        if (command->get_name() == argv[1]) return std::nullopt;
        names += (names.empty() ? "" : ", ") + command->get_name();
    }
    return "unknown command '" + std::string(argv[1]) + "'; the commands are " + names +
           " (see flowpool --help)";
}

void print_error(const std::string& text) {
    if (detail::log_is_json()) {
        detail::log().error("{}", text);
    } else {
        std::cerr << "error: " << text << '\n';
    }
}

void print_job_error(const JobError& e) {
    if (!detail::log_is_json()) return print_error(e.what());
    std::string message = e.reason();
    if (e.failed_jobs() > 1) message += " (" + std::to_string(e.failed_jobs()) + " jobs failed)";
    detail::log_job(spdlog::level::err, e.node(), e.job_id(), message);
}

void print_line(const std::string& line, Severity severity) {
    if (!detail::log_is_json()) {
        std::cerr << line + '\n';
        return;
    }
    detail::log().log(severity == Severity::error ? spdlog::level::err : spdlog::level::warn, "{}",
                      line);
}

void print_config_error(const ConfigError& e) {
    if (!detail::log_is_json()) {
        std::cerr << e.what() << '\n';
        return;
    }
    for (const ConfigError::Problem& problem : e.problems()) {
        detail::log().error("{}: {}", problem.where.to_string(), problem.message);
    }
}

void print_warnings(const GraphSpec& graph, const OpRegistry& ops) {
    for (const ConfigError::Problem& warning : warnings(graph, ops)) {
        if (detail::log_is_json()) {
            detail::log().warn("{}: {}", warning.where.to_string(), warning.message);
        } else {
            std::cerr << warning.where.to_string() << ": warning: " << warning.message << '\n';
        }
    }
}

}  // namespace flowpool::cli
