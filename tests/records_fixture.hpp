#pragma once
// The fixture of the tests of JSON records through the CLI (test_records.cpp: what good records
// become; test_records_errors.cpp: what goes wrong): a run of a `jsonl` source into a `jsonl`
// sink under one of the source's on_error policies, and the lines it wrote, sorted.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace flowpool::test::records_fixture {

using Lines = std::vector<std::string>;

/// The lines of a file, sorted (sinks that are not ordered write in any order).
inline Lines sorted_lines(const std::string& path) {
    Lines lines;
    std::ifstream in(path, std::ios::binary);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
}

inline Lines sorted(Lines lines) {
    std::sort(lines.begin(), lines.end());
    return lines;
}

inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

enum class Policy { fail, skip, dead_letter };

/// What a run of the `jsonl` source into a `jsonl` sink gave.
struct Outcome {
    CliResult cli;
    Lines out;      ///< the records written, sorted
    Lines rejects;  ///< the dead letters written (dead_letter only)
};

/// Runs `jsonl (path IN) -> jsonl sink` under @p policy on the source, with a dead-letter sink
/// for Policy::dead_letter. @p extra is more of the source's keys ("fields: a"); @p options
/// are `flowpool run`'s ("--batch 5").
inline Outcome run_jsonl(const std::string& dir, const std::string& in, Policy policy,
                         const std::string& extra = "", const std::string& options = "") {
    std::string source = "path: '" + in + "'";
    if (!extra.empty()) source += ", " + extra;
    if (policy == Policy::skip) source += ", on_error: skip";
    if (policy == Policy::dead_letter) source += ", dead_letter: rejects";
    // (The outputs' names are not *.jsonl: a source may read the directory's *.jsonl files.)
    std::string graph = "graph: records\nnodes:\n  src: { kind: source, op: jsonl, " + source +
                        " }\n  out: { kind: sink, op: jsonl, path: '" + dir + "/out.written' }\n";
    if (policy == Policy::dead_letter)
        graph += "  rejects: { kind: sink, op: jsonl, path: '" + dir + "/rejects.written' }\n";
    graph += "edges: [ 'src -> out' ]\n";
    std::filesystem::remove(dir + "/out.written");
    std::filesystem::remove(dir + "/rejects.written");
    Outcome outcome;
    outcome.cli = run_cli("run " + options + " '" + write(dir + "/graph.yaml", graph) + "'");
    outcome.out = sorted_lines(dir + "/out.written");
    outcome.rejects = sorted_lines(dir + "/rejects.written");
    return outcome;
}

}  // namespace flowpool::test::records_fixture
