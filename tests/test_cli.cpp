// The flowpool CLI end to end: every graph in graphs/ with its output checked, sums against a
// serial loop at several worker counts, failures and bad usage with their exit codes.

#include <gtest/gtest.h>
#include <re2/re2.h>
#include <unistd.h>
#include <flowpool/version.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli_runner.hpp"
#include "ops/spin.hpp"

namespace fs = std::filesystem;
using flowpool::test::run_cli;

namespace {

/// Each expected line is a regex (RE2's syntax); every output line must match exactly one of them.
::testing::AssertionResult lines_match(std::vector<std::string> out,
                                       const std::string& expected_file) {
    std::vector<std::unique_ptr<RE2>> patterns;
    std::istringstream in(flowpool::test::slurp(expected_file));
    for (std::string line; std::getline(in, line);) {
        patterns.push_back(std::make_unique<RE2>(line, RE2::Quiet));
        if (!patterns.back()->ok()) {
            return ::testing::AssertionFailure()
                   << "not a regex: " << line << ": " << patterns.back()->error();
        }
    }
    if (out.size() != patterns.size()) {
        return ::testing::AssertionFailure()
               << out.size() << " lines written, " << patterns.size() << " expected";
    }
    std::vector<bool> used(patterns.size(), false);
    for (const std::string& line : out) {
        bool matched = false;
        for (std::size_t i = 0; i < patterns.size() && !matched; ++i) {
            if (!used[i] && RE2::FullMatch(line, *patterns[i])) used[i] = matched = true;
        }
        if (!matched)
            return ::testing::AssertionFailure() << "unexpected or repeated line: " << line;
    }
    return ::testing::AssertionSuccess();
}

/// Graph files that use plugins find the ones this build made (see graphs/collatz_plugin.yaml).
void use_built_plugins() { ::setenv("FLOWPOOL_PLUGIN_DIR", FLOWPOOL_PLUGIN_DIR, 1); }

/// @p text with every @p from replaced by @p to.
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

std::string sum_line(std::int64_t count, std::int64_t iterations) {
    std::uint64_t sum = 0;
    for (std::int64_t v = 0; v < count; ++v)
        sum += static_cast<std::uint64_t>(flowpool::detail::spin(v, iterations));
    return "count=" + std::to_string(count) + " sum=" + std::to_string(sum);
}

}  // namespace

TEST(Cli, EveryGraphFileRunsWithItsExpectedOutput) {
    use_built_plugins();
    int graphs = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(FLOWPOOL_SOURCE_DIR) / "graphs")) {
        if (entry.path().extension() != ".yaml") continue;
        ++graphs;
        const std::string name = entry.path().stem().string();
        SCOPED_TRACE(name);
        const fs::path expected =
            fs::path(FLOWPOOL_SOURCE_DIR) / "tests/expected" / (name + ".txt");
        ASSERT_TRUE(fs::exists(expected)) << "every graph needs tests/expected/" << name << ".txt";
        const auto result = run_cli("run graphs/" + entry.path().filename().string());
        EXPECT_EQ(result.exit_code, 0) << result.err;
        EXPECT_TRUE(lines_match(result.out_lines(), expected.string()));
    }
    EXPECT_GE(graphs, 1);
}

class CliWorkers : public ::testing::TestWithParam<int> {};

TEST_P(CliWorkers, WorkerPoolPrintsEachJobAndResultOnceWithSlotsInRange) {
    const int workers = GetParam();
    const auto result =
        run_cli("run graphs/worker_pool.yaml --set jobs.count=200 --set workers.concurrency=" +
                std::to_string(workers));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    std::vector<int> processed(200, 0);
    std::vector<int> printed(200, 0);
    const RE2 job(R"(Job (\d+) processed by worker (\d+))");
    const RE2 res(R"(Result: Job (\d+) Value (\d+))");
    for (const std::string& line : result.out_lines()) {
        std::string id, worker, value;
        if (RE2::FullMatch(line, job, &id, &worker)) {
            ++processed.at(std::stoul(id));
            EXPECT_LT(std::stoi(worker), workers) << line;
        } else if (RE2::FullMatch(line, res, &id, &value)) {
            ++printed.at(std::stoul(id));
            EXPECT_EQ(id, value) << line;
        } else {
            ADD_FAILURE() << "torn or unexpected line: " << line;
        }
    }
    EXPECT_TRUE(std::all_of(processed.begin(), processed.end(), [](int n) { return n == 1; }));
    EXPECT_TRUE(std::all_of(printed.begin(), printed.end(), [](int n) { return n == 1; }));
}

TEST_P(CliWorkers, SpinSumMatchesASerialLoop) {
    for (const int iterations : {0, 1000}) {
        const std::int64_t count = iterations == 0 ? 1'000'000 : 20'000;
        const auto result =
            run_cli("run graphs/spin_summary.yaml --set jobs.count=" + std::to_string(count) +
                    " --set work.iterations=" + std::to_string(iterations) +
                    " --set work.concurrency=" + std::to_string(GetParam()));
        ASSERT_EQ(result.exit_code, 0) << result.err;
        EXPECT_EQ(result.out, sum_line(count, iterations) + "\n");
    }
}

TEST_P(CliWorkers, AFailingJobNamesNodeAndJobAndExitsOne) {
    // --quiet: the error line alone (the summary that follows it is tested in test_cli_observe).
    const auto result = run_cli("run tests/data/failing_job.yaml --quiet --set check.concurrency=" +
                                std::to_string(GetParam()));
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_EQ(result.err, "error: node 'check' job 4242: value 4242 fails by request\n");
}

INSTANTIATE_TEST_SUITE_P(Workers, CliWorkers, ::testing::Values(1, 2, 4, 8));

TEST(Cli, SeveralFailingJobsAreCounted) {
    // One batch of all ten jobs: job 6 is in flight when job 5 fails, so it fails too.
    const auto result = run_cli(
        "run tests/data/failing_job.yaml --set jobs.start=-5 --set jobs.count=10 "
        "--set check.value=0 --set more.value=1 --batch 10");
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("(2 jobs failed)"), std::string::npos) << result.err;
}

TEST(Cli, HelpAndVersion) {
    const auto help = run_cli("--help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("run"), std::string::npos);
    const auto version = run_cli("--version");
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.out, std::string("flowpool ") + FLOWPOOL_VERSION_STRING + "\n");
}

TEST(Cli, BadUsageExitsTwo) {
    EXPECT_EQ(run_cli("").exit_code, 2);
    EXPECT_EQ(run_cli("run").exit_code, 2);
    EXPECT_EQ(run_cli("frobnicate").exit_code, 2);
    const auto flag = run_cli("run graphs/worker_pool.yaml --no-such-flag");
    EXPECT_EQ(flag.exit_code, 2);
    EXPECT_EQ(
        flag.err,
        "error: The following argument was not expected: --no-such-flag (see flowpool --help)\n");
    const auto missing = run_cli("run no/such/file.yaml");
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_EQ(missing.err, "no/such/file.yaml: error: cannot open: No such file or directory\n");
    const auto directory = run_cli("run graphs");
    EXPECT_EQ(directory.exit_code, 2);
    EXPECT_EQ(directory.err, "graphs: error: is a directory, not a graph file\n");
    const auto bad_set = run_cli("run graphs/worker_pool.yaml --set workers.concurrency=0");
    EXPECT_EQ(bad_set.exit_code, 2);
    EXPECT_EQ(bad_set.err,
              "graphs/worker_pool.yaml: --set workers.concurrency=0: error: concurrency must be a "
              "number of at least 1, 'serial' or 'unlimited', not '0'\n");
    EXPECT_EQ(run_cli("run graphs/worker_pool.yaml --set nonode.x=1").exit_code, 2);
}

TEST(Cli, ABadSetNamesTheGraphFileItWasAppliedTo) {
    // validate applies each --set to every file: an error said `--set jobs.count=abc: error:`
    // and not which file, as every other graph-file error does.
    const std::string files = "graphs/worker_pool.yaml graphs/spin_summary.yaml";
    const auto value = run_cli("validate " + files + " --set jobs.count=abc");
    EXPECT_EQ(value.exit_code, 2);
    EXPECT_EQ(value.err,
              "graphs/worker_pool.yaml: --set jobs.count=abc: error: parameter 'count' must be an "
              "integer, not 'abc'\n"
              "graphs/spin_summary.yaml: --set jobs.count=abc: error: parameter 'count' must be an "
              "integer, not 'abc'\n");
    const auto node = run_cli("validate " + files + " --set jobs.count=5 --set nonode.count=5");
    EXPECT_EQ(node.exit_code, 2);
    EXPECT_EQ(node.err,
              "graphs/worker_pool.yaml: --set nonode.count=5: error: no node named 'nonode'\n"
              "graphs/spin_summary.yaml: --set nonode.count=5: error: no node named 'nonode'\n");
    const auto run = run_cli("run graphs/worker_pool.yaml --set nonode.count=5");
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.err,
              "graphs/worker_pool.yaml: --set nonode.count=5: error: no node named 'nonode'\n");
    EXPECT_EQ(run.out, "");
    const auto shape = run_cli("run graphs/worker_pool.yaml --set nonsense");
    EXPECT_EQ(shape.exit_code, 2);
    EXPECT_EQ(shape.err,
              "graphs/worker_pool.yaml: --set nonsense: error: expected NODE.PARAM=VALUE\n");
}

TEST(Cli, ANumberFlagOutOfRangeSaysWhatItMustBe) {
    const auto error_of = [](const std::string& args) {
        const auto result = run_cli(args, "1\n");
        EXPECT_EQ(result.exit_code, 2) << args;
        return result.err;
    };
    const std::string help = " (see flowpool --help)\n";
    EXPECT_EQ(error_of("run graphs/worker_pool.yaml --threads 0"),
              "error: --threads: must be a whole number of at least 1, not 0" + help);
    EXPECT_EQ(error_of("run graphs/worker_pool.yaml --threads 1.5"),
              "error: --threads: must be a whole number of at least 1, not '1.5'" + help);
    EXPECT_EQ(error_of("exec -j x -- echo"),
              "error: --jobs: must be a whole number of at least 1, not 'x'" + help);
    EXPECT_EQ(error_of("run graphs/worker_pool.yaml --drain-timeout -1"),
              "error: --drain-timeout: must be 0 or more, not -1" + help);
    EXPECT_EQ(error_of("exec --timeout inf -- echo"),
              "error: --timeout: must be a number of seconds, not 'inf'" + help);
    EXPECT_EQ(error_of("exec --timeout 1e999 -- echo"),
              "error: --timeout: must be a number of seconds, not '1e999'" + help);
    EXPECT_EQ(error_of("exec --timeout 2e9 -- echo"),
              "error: --timeout: must be at most 1000000000 seconds, not 2e9" + help);
    // --batch and --max-in-flight wrapped round (-1 ran with 2^64 - 1) and exited 0.
    EXPECT_EQ(error_of("run graphs/worker_pool.yaml --batch -1"),
              "error: --batch: must be a whole number (0: chosen automatically), not '-1'" + help);
    EXPECT_EQ(error_of("run graphs/worker_pool.yaml --batch 99999999999999999999"),
              "error: --batch: must be a whole number (0: chosen automatically), not "
              "'99999999999999999999'" +
                  help);
    EXPECT_EQ(error_of("run graphs/worker_pool.yaml --max-in-flight -1"),
              "error: --max-in-flight: must be a whole number (0: chosen automatically), not "
              "'-1'" +
                  help);
    EXPECT_EQ(run_cli("run graphs/worker_pool.yaml --threads 1 --quiet").exit_code, 0);
    EXPECT_EQ(run_cli("run graphs/worker_pool.yaml --batch 0 --max-in-flight 3 -q").exit_code, 0);
    EXPECT_EQ(run_cli("exec --timeout 0.5 -- echo", "1\n").exit_code, 0);
}

TEST(Cli, ValidateReportsOkPerFile) {
    const auto result = run_cli("validate graphs/worker_pool.yaml graphs/spin_summary.yaml");
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.out, "graphs/worker_pool.yaml: ok\ngraphs/spin_summary.yaml: ok\n");
}

namespace {

/// The files of tests/data/bad, by name: each is a test of its own, as all of them in one took 72 s
/// of a 180 s timeout under AddressSanitizer.
std::vector<std::string> bad_graph_files() {
    std::vector<std::string> files;
    std::error_code error;  // none at all, if the directory is missing: TheBadGraphFilesAreThere
    for (const auto& entry :
         fs::directory_iterator(fs::path(FLOWPOOL_SOURCE_DIR) / "tests/data/bad", error)) {
        if (entry.path().extension() == ".yaml") files.push_back(entry.path().filename().string());
    }
    std::sort(files.begin(), files.end());
    return files;
}

/// A test's name for the bad graph file @p info.param: its stem, any character a name may not
/// hold made '_'.
std::string bad_graph_test_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string name = fs::path(info.param).stem().string();
    for (char& c : name) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
    }
    return name;
}

}  // namespace

TEST(Cli, TheBadGraphFilesAreThere) { EXPECT_GE(bad_graph_files().size(), 90u); }

class CliBadGraph : public ::testing::TestWithParam<std::string> {};

TEST_P(CliBadGraph, GivesItsExpectedFirstErrorAndExitsTwo) {
    use_built_plugins();
    for (const char* name : {"FLOWPOOL_TEST_UNSET_COUNT", "FLOWPOOL_TEST_UNSET_SINK"})
        ::unsetenv(name);
    const std::string rel = "tests/data/bad/" + GetParam();
    SCOPED_TRACE(rel);
    // The first line of each file is "# expect: <the first error line, FILE:LINE:COL: error:
    // ...>".
    std::string first_line;
    std::getline(
        std::istringstream(flowpool::test::slurp((fs::path(FLOWPOOL_SOURCE_DIR) / rel).string())),
        first_line);
    const std::string marker = "# expect: ";
    ASSERT_EQ(first_line.rfind(marker, 0), 0u) << "the first line must be '# expect: ...'";
    const auto result = run_cli("validate " + rel);
    EXPECT_EQ(result.exit_code, 2);
    // Plugin paths are this build's: the expected lines write the directory as a variable.
    const std::string err = replace_all(result.err, FLOWPOOL_PLUGIN_DIR, "${FLOWPOOL_PLUGIN_DIR}");
    EXPECT_EQ(err.substr(0, err.find('\n')), first_line.substr(marker.size()));
    EXPECT_EQ(result.err.find("terminate called"), std::string::npos) << result.err;
    const auto run = run_cli("run " + rel);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.err, result.err) << "run must report what validate reports";
    EXPECT_EQ(run.out, "");
}

// Named for the file: BadGraphs/CliBadGraph.GivesItsExpectedFirstErrorAndExitsTwo/cycle_of_three.
INSTANTIATE_TEST_SUITE_P(BadGraphs, CliBadGraph, ::testing::ValuesIn(bad_graph_files()),
                         bad_graph_test_name);

TEST(Readme, ShowsTheCustomOpExampleAndItsGraphVerbatim) {
    const std::string readme =
        flowpool::test::slurp(std::string(FLOWPOOL_SOURCE_DIR) + "/README.md");
    for (const auto& [file, fence] :
         {std::pair{"custom_op.cpp", "```cpp\n"}, std::pair{"add.yaml", "```yaml\n"}}) {
        const std::string text =
            flowpool::test::slurp(std::string(FLOWPOOL_SOURCE_DIR) + "/tests/examples/" + file);
        ASSERT_FALSE(text.empty()) << file;
        EXPECT_NE(readme.find(fence + text + "```"), std::string::npos)
            << "README.md does not show tests/examples/" << file << " verbatim";
    }
    // Without the application's registry, `add` is unknown: the op really is the example's own.
    const auto cli = run_cli("validate tests/examples/add.yaml");
    EXPECT_EQ(cli.exit_code, 2);
    EXPECT_NE(cli.err.find("unknown op 'add'"), std::string::npos) << cli.err;
}

TEST(Readme, ShowsTheCompiledExampleVerbatim) {
    const std::string readme =
        flowpool::test::slurp(std::string(FLOWPOOL_SOURCE_DIR) + "/README.md");
    const std::string example = flowpool::test::slurp(std::string(FLOWPOOL_SOURCE_DIR) +
                                                      "/tests/examples/readme_example.cpp");
    ASSERT_FALSE(example.empty());
    EXPECT_NE(readme.find("```cpp\n" + example + "```"), std::string::npos)
        << "README.md's C++ example differs from tests/examples/readme_example.cpp";
    EXPECT_LE(std::count(example.begin(), example.end(), '\n'), 25);
}
