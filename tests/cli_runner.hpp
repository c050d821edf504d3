#pragma once
// Runs the flowpool CLI as a child process and captures its exit code, stdout and stderr.

#include <sys/wait.h>
#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace flowpool::test {

/// @p text as lines, in order (the last one with or without its newline).
inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;

    /// stdout as lines, in the order written.
    [[nodiscard]] std::vector<std::string> out_lines() const { return lines_of(out); }
};

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// A file under the test's temporary directory holding @p text; @p name is made unique per process.
inline std::string temp_file(const std::string& name, const std::string& text) {
    const std::string path = std::string(::testing::TempDir()) + "flowpool_test_" +
                             std::to_string(::getpid()) + "_" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

/// A fresh, empty directory for one test, under the test's temporary directory.
inline std::string fresh_dir(const std::string& name) {
    const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                                      ("flowpool_dir_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

/// Writes @p bytes to @p path, which it returns.
inline std::string write(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

/// A wait status as a shell reports it: the exit code, or 128 + the signal that killed it.
inline int shell_status(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Runs `flowpool ARGS` (ARGS as shell words, already quoted) from the source directory. Its
/// stdout goes to @p stdout_path if given (then CliResult::out stays empty), else is captured.
inline CliResult run_cli(const std::string& args, const std::string& stdin_text = "",
                         const std::string& stdout_path = "") {
    static int counter = 0;
    const std::string base = std::string(::testing::TempDir()) + "flowpool_cli_" +
                             std::to_string(::getpid()) + "_" + std::to_string(counter++);
    std::ofstream(base + ".in") << stdin_text;
    const std::string out = stdout_path.empty() ? base + ".out" : stdout_path;
    const std::string command = std::string("cd '") + FLOWPOOL_SOURCE_DIR + "' && '" +
                                FLOWPOOL_CLI + "' " + args + " <'" + base + ".in' >'" + out +
                                "' 2>'" + base + ".err'";
    const int status = std::system(command.c_str());
    CliResult result;
    result.exit_code = shell_status(status);
    if (stdout_path.empty()) result.out = slurp(out);
    result.err = slurp(base + ".err");
    return result;
}

}  // namespace flowpool::test
