// The `lines` source through the CLI, what goes wrong: a line longer than max_line_bytes fails
// its own job as the source reads it, under the source's on_error, as a `jsonl` or `csv` line
// does (test_records_errors.cpp, test_csv_records.cpp): `skip` reads on, `fail` (the default)
// stops the run naming FILE:LINE, the node and the job id. `dead_letter` is refused before the
// run: the line fails before any batch holds it. Runs at 1, 2, 4 and 8 workers after the source.
// Expectations come from the inputs, never from flowpool's own output.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "cli_runner.hpp"

using flowpool::test::fresh_dir;
using flowpool::test::run_cli;
using flowpool::test::write;

namespace {

using Lines = std::vector<std::string>;

constexpr std::size_t line_count = 300;
constexpr std::size_t cap = 10;  // max_line_bytes

/// True for the lines that are too long: every 37th, and the first and the last.
bool too_long(std::size_t i) { return i % 37 == 5 || i == 0 || i == line_count - 1; }

/// The input: short lines `line N` (at most `cap` bytes), some too long.
std::string input() {
    std::string text;
    for (std::size_t i = 0; i < line_count; ++i) {
        text += too_long(i) ? std::string(cap + 1 + i, 'x') : "line " + std::to_string(i);
        text += '\n';
    }
    return text;
}

/// What the sink writes for short line @p i: `{id} {value}` after `upper`.
std::string result(std::size_t i) { return std::to_string(i) + " LINE " + std::to_string(i); }

Lines file_lines(const std::string& path) {
    Lines lines;
    std::ifstream in(path, std::ios::binary);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

/// What a run of `lines -> upper (concurrency N) -> file` gave.
struct Outcome {
    std::string in;  ///< the input's path
    flowpool::test::CliResult cli;
    Lines out;  ///< what the sink wrote
};

class LinesLongLine : public ::testing::TestWithParam<int> {
protected:
    /// Runs the graph with @p policy among the source's keys ("on_error: skip", or none) and
    /// `flowpool run` @p options, at GetParam() workers.
    Outcome run(const std::string& name, const std::string& policy,
                const std::string& options = "") const {
        const std::string dir = fresh_dir(name + "_" + std::to_string(GetParam()));
        const std::string in = write(dir + "/in.txt", input());
        std::string source = "path: '" + in + "', max_line_bytes: " + std::to_string(cap);
        if (!policy.empty()) source += ", " + policy;
        const std::string workers = std::to_string(GetParam());
        const std::string graph = write(
            dir + "/g.yaml", "nodes:\n  text: { kind: source, op: lines, " + source +
                                 " }\n  up: { kind: function, op: upper, concurrency: " + workers +
                                 " }\n  out: { kind: sink, op: file, path: '" + dir +
                                 "/out.written', format: '{id} {value}' }\n"
                                 "edges: [ 'text -> up -> out' ]\n");
        Outcome outcome;
        outcome.in = in;
        outcome.cli = run_cli("run --threads " + workers + " " + options + " '" + graph + "'");
        outcome.out = file_lines(dir + "/out.written");
        return outcome;
    }
};

TEST_P(LinesLongLine, UnderSkipOnlyItsJobsAreLostAndTheRunSucceeds) {
    Lines expected;
    std::size_t skipped = 0;
    for (std::size_t i = 0; i < line_count; ++i) {
        if (too_long(i))
            ++skipped;
        else
            expected.push_back(result(i));
    }
    std::sort(expected.begin(), expected.end());
    for (const char* options : {"", "--batch 1", "--batch 7"}) {
        Outcome outcome = run("skip", "on_error: skip", options);
        EXPECT_EQ(outcome.cli.exit_code, 0) << options << outcome.cli.err;
        std::sort(outcome.out.begin(), outcome.out.end());
        EXPECT_EQ(outcome.out, expected) << options;
        EXPECT_NE(outcome.cli.err.find(std::to_string(line_count) + " jobs in, " +
                                       std::to_string(line_count - skipped) +
                                       " results out, 0 filtered, " + std::to_string(skipped) +
                                       " skipped, 0 failed, 0 dead-lettered"),
                  std::string::npos)
            << options << outcome.cli.err;
    }
}

TEST_P(LinesLongLine, UnderFailTheRunFailsNamingFileLineNodeAndJob) {
    // The first line is too long: job 0 fails, and the run stops with at most the lines of its
    // batch after it written. Without on_error, fail is the default.
    for (const char* policy : {"on_error: fail", ""}) {
        const Outcome outcome = run("fail", policy, "--batch 4");
        EXPECT_EQ(outcome.cli.exit_code, 1) << policy << outcome.cli.err;
        EXPECT_NE(outcome.cli.err.find("error: node 'text' job 0: " + outcome.in +
                                       ":1: line longer than max_line_bytes (10)\n"),
                  std::string::npos)
            << policy << outcome.cli.err;
        std::set<std::string> allowed;
        for (std::size_t i = 0; i < line_count; ++i) {
            if (!too_long(i)) allowed.insert(result(i));
        }
        EXPECT_LT(outcome.out.size(), line_count / 2) << policy << "the run did not stop";
        for (const std::string& line : outcome.out) EXPECT_EQ(allowed.count(line), 1u) << line;
    }
}

INSTANTIATE_TEST_SUITE_P(Workers, LinesLongLine, ::testing::Values(1, 2, 4, 8));

// A dead letter would need a batch to hold the line's place in the run; the line fails as it is
// read, before any does. Refused at validation, where on_error or dead_letter is written.
TEST(LinesDeadLetter, IsRefusedBeforeTheRunNamingWhereItIsAsked) {
    const std::string dir = fresh_dir("lines_refused");
    const std::string in = write(dir + "/in.txt", input());
    const std::string message =
        ": error: op 'lines' fails its jobs as it reads them, before a batch could take them to "
        "a dead-letter sink: on_error may be fail or skip\n";
    for (const std::string policy :
         {"dead_letter: rejects", "on_error: dead_letter, dead_letter: rejects",
          "on_error: dead_letter"}) {
        const std::string source =
            "  text: { kind: source, op: lines, path: '" + in + "', " + policy + " }\n";
        const std::string graph =
            write(dir + "/g.yaml", "nodes:\n" + source +
                                       "  out: { kind: sink, op: print }\n"
                                       "  rejects: { kind: sink, op: jsonl, path: '" +
                                       dir + "/rejects.written' }\nedges: [ 'text -> out' ]\n");
        // Where the key is: `dead_letter`'s name if given, else on_error's value.
        const std::size_t column =
            policy.starts_with("on_error: dead_letter,") || policy.starts_with("dead_letter")
                ? source.find("dead_letter: rejects") + 1
                : source.find("dead_letter }") + 1;
        const std::string where = graph + ":2:" + std::to_string(column);
        for (const char* command : {"validate", "run"}) {
            const auto result = run_cli(std::string(command) + " '" + graph + "'");
            EXPECT_EQ(result.exit_code, 2) << command << " " << policy;
            // A sink named by dead_letter counts as fed: the refusal is the one error. Without
            // one, `rejects` receives no jobs, an error of its own after it.
            const bool names_sink = policy.find("dead_letter: rejects") != std::string::npos;
            EXPECT_EQ(names_sink ? result.err : result.err.substr(0, result.err.find('\n') + 1),
                      where + message)
                << command << " " << policy;
            EXPECT_EQ(result.out, "") << command << " " << policy;
        }
    }
}

// `flowpool validate` takes on_error on a lines source; `flowpool ops` says it applies.
TEST(LinesOnError, ValidatesAndOpsSaysTheSourcesOnErrorDecides) {
    const std::string dir = fresh_dir("lines_on_error_ok");
    const std::string in = write(dir + "/in.txt", "a\n");
    for (const char* policy : {"skip", "fail", "redeliver"}) {
        const std::string graph = write(
            dir + "/g.yaml",
            "nodes:\n  text: { kind: source, op: lines, path: '" + in + "', on_error: " + policy +
                " }\n  out: { kind: sink, op: print }\nedges: [ 'text -> out' ]\n");
        const auto result = run_cli("validate '" + graph + "'");
        EXPECT_EQ(result.exit_code, 0) << policy << result.err;
        EXPECT_EQ(result.out, graph + ": ok\n") << policy;
    }
    const auto ops = run_cli("ops");
    ASSERT_EQ(ops.exit_code, 0) << ops.err;
    const std::size_t lines = ops.out.find("lines (source, gives string): ");
    ASSERT_NE(lines, std::string::npos) << ops.out;
    const std::size_t param = ops.out.find("\n    max_line_bytes: ", lines);
    ASSERT_NE(param, std::string::npos);
    const std::string line = ops.out.substr(param + 1, ops.out.find('\n', param + 1) - param - 1);
    EXPECT_NE(line.find("the source's on_error says what the run does then"), std::string::npos)
        << line;
}

}  // namespace
