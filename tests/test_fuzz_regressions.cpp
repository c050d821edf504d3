// Every input the graph-file fuzzer ever crashed on (tests/data/fuzz_regressions/), and every
// graph it is seeded from, goes through the fuzzer's own code path again: load, validate, draw.
// A ConfigError is a fine answer; a crash, another exception or a sanitizer report is not.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/graph_file_target.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path source_dir{FLOWPOOL_SOURCE_DIR};

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The regular files under @p dir, recursively, sorted so failures read the same each run.
std::vector<fs::path> files_under(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

void replay(const fs::path& dir) {
    const std::vector<fs::path> files = files_under(dir);
    ASSERT_FALSE(files.empty()) << dir;
    for (const fs::path& file : files) {
        SCOPED_TRACE(file.string());
        EXPECT_NO_THROW(flowpool::fuzz::load_and_validate(read_bytes(file)));
    }
}

TEST(FuzzRegressions, PastCrashesAreNowConfigErrorsOrValid) {
    const fs::path crashes = source_dir / "tests" / "data" / "fuzz_regressions";
    if (!fs::exists(crashes) || files_under(crashes).empty()) {
        GTEST_SKIP() << "the fuzzer has found no crash yet: " << crashes << " holds none";
    }
    replay(crashes);
}

TEST(FuzzRegressions, TheSeedsLoadWithoutCrashing) {
    replay(source_dir / "graphs");
    replay(source_dir / "tests" / "data");
}

TEST(FuzzRegressions, TheTargetAcceptsAValidGraphAndSwallowsOnlyConfigErrors) {
    // The harness must not hide real failures: a valid graph goes all the way through, and a
    // bad one ends in the ConfigError the harness expects.
    const std::string valid = read_bytes(source_dir / "graphs" / "worker_pool.yaml");
    EXPECT_NO_THROW(
        flowpool::validate(flowpool::parse_graph(valid, "ok.yaml"), flowpool::OpRegistry{}));
    EXPECT_THROW(flowpool::parse_graph("nodes: [", "bad.yaml"), flowpool::ConfigError);
    EXPECT_NO_THROW(flowpool::fuzz::load_and_validate("nodes: ["));
}

}  // namespace
