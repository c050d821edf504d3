#include "run_guards.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string_view>

#include "command.hpp"

namespace flowpool::cli {
namespace {

/// FNV-1a, 64 bits: a digest that changes when what it digests does, not a secret.
class Digest {
public:
    void add(std::string_view text) {
        for (const char c : text) {
            hash_ ^= static_cast<unsigned char>(c);
            hash_ *= 0x100000001b3ULL;
        }
        hash_ ^= 0xff;  // a separator no UTF-8 text holds
        hash_ *= 0x100000001b3ULL;
    }
    void add(const ParamSpec& param) {
        add(param.name);
        add(param.value);
        add(std::to_string(param.items.size()));
        for (const ParamSpec& item : param.items) add(item);
    }
    [[nodiscard]] std::string hex() const {
        char text[17];
        std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash_));
        return text;
    }

private:
    std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

/// Throws UsageError if a source of @p graph has no stable job ids.
void check_stable_ids(const GraphSpec& graph, const OpRegistry& ops) {
    std::string stable;
    for (const OpInfo* op : ops.list()) {
        if (op->kind == NodeKind::source && op->stable_ids) {
            stable += (stable.empty() ? "" : ", ") + op->name;
        }
    }
    for (const NodeSpec& node : graph.nodes) {
        const OpInfo* op = ops.find(node.op, NodeKind::source);
        if (node.kind != "source" || (op != nullptr && op->stable_ids)) continue;
        throw UsageError("--journal cannot resume source '" + node.name + "': its op '" + node.op +
                         "' does not give a job the same id each run (those that do: " + stable +
                         ")");
    }
}

/// True if @p a and @p b name one file (an existing one by identity, else by path).
bool same_file(const std::string& a, const std::string& b) {
    std::error_code error;
    if (std::filesystem::equivalent(a, b, error)) return true;
    return std::filesystem::weakly_canonical(a, error) ==
               std::filesystem::weakly_canonical(b, error) &&
           !error;
}

/// Refuses a journal at @p path that would write over a file the run reads or writes: a node's
/// `path:` (standard input and globs aside), or the graph file @p graph_file.
void check_journal_path(const std::string& path, const GraphSpec& graph,
                        const std::string& graph_file) {
    if (!graph_file.empty() && same_file(path, graph_file)) {
        throw UsageError("--journal '" + path + "' is the graph file: name another file");
    }
    for (const NodeSpec& node : graph.nodes) {
        for (const ParamSpec& param : node.params) {
            if (param.name != "path" || param.value.empty() || param.value == "-") continue;
            if (!same_file(path, param.value)) continue;
            throw UsageError("--journal '" + path + "' is the file node '" + node.name + "' " +
                             (node.kind == "sink" ? "writes" : "reads") + ": name another file");
        }
    }
}

}  // namespace

detail::FailureLimit failure_limit(const std::string& text, const std::string& what) {
    try {
        return detail::FailureLimit(text);
    } catch (const std::invalid_argument& e) {
        throw UsageError(what + " " + e.what());
    }
}

void add_max_failures_option(CLI::App& command, std::string& text, const std::string& help) {
    command.add_option("--max-failures", text, help)
        ->check(CLI::Validator(
            [](const std::string& value) {
                return value.empty() ? std::string("must be N or P%, not empty") : std::string();
            },
            "N|P%"));
}

void add_journal_flags(CLI::App& command, JournalFlags& flags) {
    command.add_option("--journal", flags.path,
                       "Record each finished job in FILE (written as it finishes, fsynced every "
                       "100 ms), to resume the run later");
    CLI::Option* resume =
        command.add_flag("--resume", flags.resume,
                         "With --journal: leave out the jobs it lists as finished (succeeded or "
                         "failed)");
    command
        .add_flag("--resume-failed", flags.resume_failed,
                  "With --journal: leave out the jobs it lists as succeeded; retry the failed")
        ->excludes(resume);
}

std::unique_ptr<detail::JournalFile> open_journal(const JournalFlags& flags, const GraphSpec& graph,
                                                  const OpRegistry& ops, const std::string& header,
                                                  const std::string& graph_file) {
    if (flags.path.empty()) {
        if (flags.resume || flags.resume_failed) {
            throw UsageError("--resume and --resume-failed need --journal FILE");
        }
        return nullptr;
    }
    check_stable_ids(graph, ops);
    check_journal_path(flags.path, graph, graph_file);
    using Resume = detail::JournalFile::Resume;
    const Resume resume = flags.resume_failed ? Resume::retry_failed
                          : flags.resume      ? Resume::skip_done
                                              : Resume::none;
    return std::make_unique<detail::JournalFile>(flags.path, header, resume);
}

std::string graph_header(const GraphSpec& graph) {
    Digest digest;
    for (const NodeSpec& node : graph.nodes) {
        digest.add(node.name);
        digest.add(node.kind);
        digest.add(node.op);
        for (const ParamSpec& param : node.params) digest.add(param);
    }
    for (const EdgeSpec& edge : graph.edges) {
        digest.add(edge.from);
        digest.add(edge.to);
    }
    return "graph " + graph.name + " " + digest.hex();
}

std::string command_header(const std::vector<std::string>& command) {
    Digest digest;
    for (const std::string& word : command) digest.add(word);
    return "exec " + digest.hex();
}

bool close_journal(detail::JournalFile* journal, const std::string& command, bool quiet) {
    if (journal == nullptr) return true;
    const std::string error = journal->close();
    if (!error.empty()) {
        print_error(error);
        return false;
    }
    if (!quiet && journal->left_out() != 0) {
        std::cerr << command << ": " << journal->left_out()
                  << " jobs left out, finished in an earlier run (journal)\n";
    }
    return true;
}

}  // namespace flowpool::cli
