#pragma once
// Runs the flowpool CLI as a child process and captures its exit code, stdout and stderr.

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace flowpool::test {

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;

    /// stdout as lines, in the order written.
    [[nodiscard]] std::vector<std::string> out_lines() const {
        std::vector<std::string> lines;
        std::istringstream in(out);
        for (std::string line; std::getline(in, line);) lines.push_back(line);
        return lines;
    }
};

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// A file under the test's temporary directory holding @p text; @p name is made unique per process.
inline std::string temp_file(const std::string& name, const std::string& text) {
    const std::string path =
        std::string(::testing::TempDir()) + "flowpool_test_" + std::to_string(::getpid()) + "_" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

/// Runs `flowpool ARGS` (ARGS as shell words, already quoted) from the source directory.
inline CliResult run_cli(const std::string& args, const std::string& stdin_text = "") {
    static int counter = 0;
    const std::string base = std::string(::testing::TempDir()) + "flowpool_cli_" +
                             std::to_string(::getpid()) + "_" + std::to_string(counter++);
    std::ofstream(base + ".in") << stdin_text;
    const std::string command = std::string("cd '") + FLOWPOOL_SOURCE_DIR + "' && '" + FLOWPOOL_CLI +
                                "' " + args + " <'" + base + ".in' >'" + base + ".out' 2>'" + base + ".err'";
    const int status = std::system(command.c_str());
    CliResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = slurp(base + ".out");
    result.err = slurp(base + ".err");
    return result;
}

}  // namespace flowpool::test
