// `flowpool test FILE|DIR...`: runs graph files' unit tests (test files, `*.test.yaml`), each
// case in-process with its sources given values and its sinks' lines kept in memory, and prints
// PASS or FAIL per case with what differs.

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "graphfile/graph_test.hpp"
#include "graphfile/test_file.hpp"

namespace flowpool::cli {
namespace {

/// `flowpool test`'s command line.
struct TestArgs {
    std::vector<std::string> paths;  ///< test files, and directories to find them under
};

/// What the files tested so far came to.
struct Tally {
    int passed = 0;
    int failed = 0;
    bool malformed = false;  ///< a test file (or a case of it) did not fit its graph

    [[nodiscard]] int exit_code() const { return malformed ? bad_input : failed ? job_failed : ok; }
};

/// The test files @p paths name: files as given, directories' `*.test.yaml` files (in
/// subdirectories too) in name order. Throws UsageError for a path that does not exist.
std::vector<std::string> test_files(const std::vector<std::string>& paths) {
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    for (const std::string& path : paths) {
        std::error_code error;
        if (!fs::is_directory(path, error)) {
            if (!fs::exists(path, error)) throw UsageError("no such test file: '" + path + "'");
            files.push_back(path);
            continue;
        }
        std::vector<std::string> found;
        for (const auto& entry : fs::recursive_directory_iterator(path)) {
            const std::string name = entry.path().filename().string();
            const std::string suffix = ".test.yaml";
            if (entry.is_regular_file() && name.size() > suffix.size() &&
                name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
                found.push_back(entry.path().string());
            }
        }
        if (found.empty()) throw UsageError("no *.test.yaml file under '" + path + "'");
        std::sort(found.begin(), found.end());
        files.insert(files.end(), found.begin(), found.end());
    }
    return files;
}

/// Says on stdout that @p what has errors, and prints them on stderr.
void report_errors(const std::string& what, const ConfigError& e, Tally& tally) {
    std::cout << "ERROR " << what << ": see the errors on stderr\n";
    std::cout.flush();
    print_config_error(e);
    tally.malformed = true;
}

/// Runs every case of the test file at @p path, printing a line per case; a case that does not
/// fit the graph is an error of its own, and the other cases still run.
void test_file(const std::string& path, Tally& tally) {
    try {
        const detail::TestFile tests = detail::load_test_file(path);
        const detail::GraphUnderTest graph(tests);
        for (const detail::TestCase& test : tests.cases) {
            try {
                const detail::CaseResult result = graph.run(test);
                std::cout << (result.passed ? "PASS " : "FAIL ") << path << ": " << test.name
                          << '\n';
                for (const std::string& line : result.report) std::cout << "    " << line << '\n';
                ++(result.passed ? tally.passed : tally.failed);
            } catch (const ConfigError& e) {
                report_errors(path + ": " + test.name, e, tally);
            }
        }
    } catch (const ConfigError& e) {
        report_errors(path, e, tally);
    }
}

int test_command(const TestArgs& args) {
    Tally tally;
    for (const std::string& path : test_files(args.paths)) test_file(path, tally);
    std::cout << tally.passed << " passed, " << tally.failed << " failed"
              << (tally.malformed ? "; some test files have errors" : "") << '\n';
    return tally.exit_code();
}

}  // namespace

Command add_test_command(CLI::App& app) {
    auto args = std::make_shared<TestArgs>();
    CLI::App* test = app.add_subcommand(
        "test", "Run graph files' unit tests: test files (*.test.yaml), or directories of them");
    test->add_option("tests", args->paths, "Test files, or directories holding *.test.yaml files")
        ->required();
    return {test, [args] { return test_command(*args); }};
}

}  // namespace flowpool::cli
