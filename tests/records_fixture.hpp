#pragma once
// The fixture of the tests of records through the CLI (test_records.cpp: what good records
// become; test_records_errors.cpp: what goes wrong; test_source_batches.cpp: the same jobs at
// every batch size): a run of a `jsonl` source into a `jsonl` sink under one of the source's
// on_error policies, the lines it wrote, sorted, and the fields of the dead letters written.

#include <gtest/gtest.h>
#include <unistd.h>
#include <flowpool/value.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "cli_runner.hpp"
#include "data/json.hpp"

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

/// A dead letter's field @p name, parsed back with flowpool's own parser.
inline flowpool::Value letter_field(const std::string& letter, const std::string& name) {
    flowpool::Value parsed;
    flowpool::detail::JsonError error;
    EXPECT_TRUE(flowpool::detail::parse_json(letter, parsed, error)) << error.reason;
    const flowpool::Record* record = parsed.record();
    if (record == nullptr || record->find(name) == nullptr) {
        ADD_FAILURE() << "no field " << name << " in " << letter;
        return {};
    }
    return *record->find(name);
}

/// A dead letter's error message (empty, and a failure, if it has none).
inline std::string letter_error(const std::string& letter) {
    const flowpool::Value error = letter_field(letter, "error");
    const std::string* text = std::get_if<std::string>(&error);
    if (text == nullptr) {
        ADD_FAILURE() << "no error message in " << letter;
        return {};
    }
    return *text;
}

/// Empty if @p got and @p want (both sorted) hold the same lines, else the first that differs:
/// a report that stays short when thousands of lines are compared.
inline std::string first_difference(const Lines& got, const Lines& want) {
    const auto [g, w] = std::mismatch(got.begin(), got.end(), want.begin(), want.end());
    if (g == got.end() && w == want.end()) return "";
    const auto show = [](auto at, const Lines& lines) {
        return at == lines.end() ? std::string("nothing") : "'" + at->substr(0, 100) + "'";
    };
    return std::to_string(got.size()) + " lines, " + std::to_string(want.size()) +
           " wanted; first difference: got " + show(g, got) + ", want " + show(w, want);
}

}  // namespace flowpool::test::records_fixture
