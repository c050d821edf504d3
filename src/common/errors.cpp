#include <flowpool/error.hpp>
#include <flowpool/stats.hpp>

#include <utility>

namespace flowpool {
namespace {

std::string describe(const std::vector<ConfigError::Problem>& problems) {
    std::string text;
    for (const ConfigError::Problem& p : problems) {
        if (!text.empty()) text += '\n';
        text += p.where.to_string() + ": error: " + p.message;
    }
    return text;
}

std::string describe(const std::string& node, std::uint64_t id, const std::string& message,
                     std::uint64_t failed) {
    std::string text = "node '" + node + "'" +
                       (id == JobError::no_job ? std::string() : " job " + std::to_string(id)) +
                       ": " + message;
    if (failed > 1) text += " (" + std::to_string(failed) + " jobs failed)";
    return text;
}

}  // namespace

std::string SourceLocation::to_string() const {
    if (line <= 0) return file;
    return file + ':' + std::to_string(line) + ':' + std::to_string(column);
}

ConfigError::ConfigError(SourceLocation where, const std::string& message)
    : ConfigError(std::vector<Problem>{{std::move(where), message}}) {}

ConfigError::ConfigError(std::vector<Problem> problems)
    : Error(describe(problems)), problems_(std::move(problems)) {}

JobError::JobError(std::string node, std::uint64_t job_id, std::string message,
                   std::uint64_t failed_jobs)
    : Error(describe(node, job_id, message, failed_jobs)),
      node_(std::move(node)),
      job_id_(job_id),
      reason_(std::move(message)),
      failed_jobs_(failed_jobs) {}

std::string_view to_string(NodeKind kind) noexcept {
    switch (kind) {
        case NodeKind::source:
            return "source";
        case NodeKind::function:
            return "function";
        case NodeKind::filter:
            return "filter";
        case NodeKind::sink:
            return "sink";
    }
    return "?";
}

}  // namespace flowpool
