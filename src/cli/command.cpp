#include "command.hpp"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <flowpool/error.hpp>
#include <iostream>
#include <thread>

#include "common/log.hpp"

namespace flowpool::cli {
namespace {

/// A check that the option's text is a number for which @p holds (it is then "WHAT").
CLI::Validator number_check(bool (*holds)(double), const std::string& what) {
    return CLI::Validator(
        [holds, what](std::string& text) -> std::string {
            char* end = nullptr;
            const double value = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0') return "must be a number, not '" + text + "'";
            if (!holds(value)) return "must be " + what + ", not " + text;
            return {};
        },
        what, what);
}

}  // namespace

CLI::Validator greater_than_zero() {
    return number_check([](double value) { return value > 0; }, "greater than 0");
}

CLI::Validator zero_or_more() {
    return number_check([](double value) { return value >= 0; }, "0 or more");
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

void print_config_error(const ConfigError& e) { std::cerr << e.what() << '\n'; }

}  // namespace flowpool::cli
