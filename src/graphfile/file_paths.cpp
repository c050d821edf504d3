#include "file_paths.hpp"

#include <fnmatch.h>

#include <flowpool/error.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <system_error>

namespace flowpool::detail {
namespace {

/// @p path with symbolic links, `.` and `..` resolved as far as it exists.
std::string resolved(const std::string& path) {
    std::error_code error;
    const std::filesystem::path canonical = std::filesystem::weakly_canonical(path, error);
    return error ? path : canonical.string();
}

/// The file a node of @p kind reads or writes: its `path:`, resolved; empty for none or `-`.
std::string file_of(const ResolvedNode& node, NodeKind kind) {
    if (node.kind != kind || node.op == nullptr || !node.params.has("path")) return {};
    try {
        const std::string& path = node.params.string("path");
        return path.empty() || path == "-" ? std::string() : resolved(path);
    } catch (const UsageError&) {
        return {};  // a plugin's `path` that is a list or a map: not a file
    }
}

/// True if a source reading @p pattern (a file, or a glob) reads @p file.
bool reads(const std::string& pattern, const std::string& file) {
    if (pattern.find_first_of("*?[") == std::string::npos) return pattern == file;
    return ::fnmatch(pattern.c_str(), file.c_str(), FNM_PATHNAME) == 0;
}

}  // namespace

void check_file_paths(const std::vector<ResolvedNode>& nodes, const ReportProblem& report) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const std::string written = file_of(nodes[i], NodeKind::sink);
        if (written.empty()) continue;
        const ParamSpec* at = nodes[i].spec->param("path");
        const SourceLocation where = at != nullptr ? at->where : nodes[i].spec->where;
        const std::string who = "node '" + nodes[i].spec->name + "'";
        for (std::size_t j = 0; j < nodes.size(); ++j) {
            const std::string& other = nodes[j].spec->name;
            if (reads(file_of(nodes[j], NodeKind::source), written)) {
                report(where, who + " writes '" + nodes[i].params.string("path") +
                                  "', which node '" + other +
                                  "' reads: the run would read its own lines back");
            } else if (j < i && file_of(nodes[j], NodeKind::sink) == written) {
                report(where, who + " writes '" + nodes[i].params.string("path") + "', as node '" +
                                  other + "' does: each would write over the other's lines");
            }
        }
    }
}

}  // namespace flowpool::detail
